"""The seed rule's night force decided on a forecast fetched from a local HTTP server standing for OpenWeatherMap
(PROTOCOL.md), through the fetch the daemon's thread runs and the regulator's `on_forecast`: a good answer, then the
service down, slow or returning junk at the refetch before check_at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.forecast_fetch import fetch_once
from tests.field_house import at, field_config, ticks
from tests.harness import MODE, Harness
from tests.owm_server import ERROR_401, Answer, OwmServer, forecast_doc, json_answer, serving, utc

# 2024-01-11's 09:00 and 12:00 UTC entries at 10 %: a sunny day for the 01:00 check (below 20 %).
SUNNY = json_answer(forecast_doc(utc(2024, 1, 10, 21), lambda t: 10))
JUNK = [Answer(200, b"{garbage"), Answer(200, b'{"cod": "200", "list": [{"dt": "x", "clouds": {"all": NaN}}]}'),
        json_answer(ERROR_401, 401), Answer(500, b"<html>oops</html>"), Answer(hang=True),
        Answer(200, SUNNY.body, trickle_s=0.05)]  # (the last two: no answer within the timeout)


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(SUNNY)


def night_force_s(tmp_path: Path, server: OwmServer, answers: list[Answer]) -> tuple[float, str]:
    """The 01:00 force's length and the forecast source it used, after the day's fetches got `answers` (a winter
    day: yesterday 7000 Wh counted, 3000 Wh today from a boost: short today, and 1000 Wh short over two days)."""
    path = field_config(tmp_path, extra=f"\n[openweathermap]\nkey = k3y\nlocation = Chambery,FR\nurl = {server.url}\n")
    owm = load_settings(path).field.forecast.owm
    assert owm is not None
    owm = replace(owm, timeout_s=0.5, attempts=1)
    h = Harness(path)
    loads = [{"name": name, "energy": 0.0} for name in ("ecs", "radiator")]
    saved = {"schema_version": 1, "date": int(at(2024, 1, 10, 2)), "equipments": loads,
             "water_heater": {"name": "ecs", "seed_rule": {"yesterday_wh": 7000.0, "window_start": at(2024, 1, 10, 1),
                                                           "checked_until": at(2024, 1, 10, 2)}}}
    assert h.reg.restore(json.loads(json.dumps(saved)), at(2024, 1, 10, 2)) == []
    ticks(h, at(2024, 1, 10, 2), at(2024, 1, 10, 11))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 5400}', at(2024, 1, 10, 11))
    ticks(h, at(2024, 1, 10, 11, 1), at(2024, 1, 11, 0, 10))
    for index, answer in enumerate(answers):  # the fetch at start, then the round from 50 min before check_at
        server.serve(answer)
        now = at(2024, 1, 11, 0, 10 + index)
        h.reg.on_forecast(fetch_once(owm), now)
        h.reg.tick(now)
    ticks(h, at(2024, 1, 11, 0, 30), at(2024, 1, 11, 1, 0))
    heater = h.load("ecs")
    assert heater.forced_by == "seed_rule" and heater.force_end_at is not None
    return heater.force_end_at - at(2024, 1, 11, 1, 0), h.reg.status(at(2024, 1, 11, 1))["forecast"]["used"]["source"]


def test_a_sunny_forecast_fetched_forces_the_smaller_shortfall(tmp_path: Path, server: OwmServer) -> None:
    # min(7000 - 3000, 11000 - 10000) = 1000 Wh at 2000 W
    assert night_force_s(tmp_path, server, [SUNNY]) == (pytest.approx(1800, abs=60), "openweathermap")


@pytest.mark.parametrize("junk", JUNK, ids=["garbage", "nan", "401", "500", "hang", "trickle"])
def test_the_service_failing_at_the_refetch_keeps_the_earlier_good_answer(tmp_path: Path, server: OwmServer,
                                                                            junk: Answer) -> None:
    assert night_force_s(tmp_path, server, [SUNNY, junk, junk]) == (pytest.approx(1800, abs=60), "openweathermap")


@pytest.mark.parametrize("junk", JUNK[:2] + JUNK[4:5], ids=["garbage", "nan", "hang"])
def test_the_service_failing_all_day_counts_100_percent_as_the_seed(tmp_path: Path, server: OwmServer,
                                                                    junk: Answer) -> None:
    # today's shortfall, 4000 Wh: the seed's default on a failed fetch
    assert night_force_s(tmp_path, server, [junk, junk]) == (pytest.approx(7200, abs=60), "default")
