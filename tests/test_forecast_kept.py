"""The OpenWeatherMap forecast kept across a restart: saved in the status file (its daytime entries), taken back when
fetched at most 36 h before, and a start soon after its fetch not fetching again (a restart loop spent a free key's
calls); older status files (without it) still load."""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from field.forecast import OwmForecast, parse_owm_answer
from field.forecast_settings import OwmSettings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.owm_server import Answer, OwmServer, fixture, forecast_doc, noon_clock, serving, utc

PARIS = ZoneInfo("Europe/Paris")
OWM = "\n[openweathermap]\nkey = 0123456789abcdef\nlocation = Chambery,FR\n"
FETCHED_AT = at(2024, 1, 10, 22, 10)


def fetched(tmp_path: Path) -> Harness:
    """A regulator holding a forecast fetched at 22:10 (10 % at 09:00 and 12:00 UTC, 90 % at the other hours)."""
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    h.reg.tick(FETCHED_AT - 86400)  # (running since the day before: the night's check weighs a whole window)
    h.reg.tick(FETCHED_AT)
    doc = forecast_doc(utc(2024, 1, 10, 0), lambda t: 10 if t.hour in (9, 12) else 90)
    h.reg.on_forecast(parse_owm_answer(200, json.dumps(doc).encode(), FETCHED_AT), FETCHED_AT)
    return h


def test_a_forecast_fetched_before_a_restart_decides_the_night(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    saved = json.loads(json.dumps(fetched(tmp_path).reg.status(at(2024, 1, 10, 22, 20))))  # (through JSON)
    owm = saved["forecast"]["openweathermap"]
    assert len(owm["daytime_clouds"]) == 10 and owm["daytime_clouds"]["2024-01-11T09:00:00+00:00"] == 10
    again = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    assert again.reg.restore(saved, at(2024, 1, 10, 22, 30)) == []
    assert "forecast from openweathermap fetched at 2024-01-10T22:10:00+01:00 kept from the status file" in caplog.text
    ticks(again, at(2024, 1, 10, 22, 31), at(2024, 1, 10, 23, 1))
    used = again.reg.status(at(2024, 1, 10, 23, 2))["forecast"]["used"]
    assert used == {"date": "2024-01-11", "clouds_percent": 10, "source": "openweathermap",
                    "time": "2024-01-10T22:10:00+01:00", "cause": None}


@pytest.mark.parametrize("change, warning", [
    (lambda owm: owm.pop("daytime_clouds"), None),  # a status file from before: no forecast kept, no warning
    (lambda owm: owm.clear(), None),
    (lambda owm: owm.update(time="2024-01-09T10:00:00+01:00"), None),  # over 36 h old: a check would not take it
    (lambda owm: owm.update(time="2024-01-11T22:10:00+01:00"), "fetched at 2024-01-11T22:10:00+01:00, after now"),
    (lambda owm: owm["daytime_clouds"].update({"2024-01-11T09:00:00+00:00": 250}), "is not a cloud cover"),
    (lambda owm: owm.update(daytime_clouds=[10, 20]), "daytime_clouds is not an object"),
])
def test_a_kept_forecast_not_usable_is_not_taken(tmp_path: Path, change: object, warning: str | None) -> None:
    saved = fetched(tmp_path).reg.status(at(2024, 1, 10, 22, 20))
    change(saved["forecast"]["openweathermap"])  # type: ignore[operator]
    again = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    warnings = again.reg.restore(saved, at(2024, 1, 10, 22, 30))
    assert [w for w in warnings if "openweathermap" in w] == ([] if warning is None else [
        w for w in warnings if warning in w and w.startswith("status file's openweathermap forecast ignored: ")])
    assert (warning is None) == (warnings == [])
    assert again.reg.field.forecast.owm is None


def test_the_seed_s_status_file_still_loads(tmp_path: Path) -> None:
    seed = json.loads((Path(__file__).parent / "data" / "seed-status.ini.example.json").read_text())
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    warnings = h.reg.restore(seed, seed["date"] + 60)
    assert not [w for w in warnings if "forecast" in w] and h.reg.field.forecast.owm is None


# --- the fetch thread at start ----------------------------------------------------------------------------

@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(Answer(200, fixture("forecast-chambery-2026-06-26T12.json")))


def owm(url: str) -> OwmSettings:
    return OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", url, 2.0, 1, 0.1)


@pytest.mark.parametrize("kept_age_s, fetches", [
    (None, True),  # nothing kept
    (600.0, False),  # a restart 10 min after the fetch (a crash loop): no fetch
    (2.5 * 3600.0, False),  # under KEEP_AT_START_S (3 h): no fetch
    (3.5 * 3600.0, True),  # kept but over 3 h old: fetched afresh
    (-600.0, True),  # "fetched" after now (a clock set back): fetched afresh
])
def test_a_start_soon_after_the_kept_fetch_does_not_fetch(server: OwmServer, kept_age_s: float | None,
                                                          fetches: bool, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # (on a clock at noon: the round before the 01:00 check far off, whatever the hour the test runs)
    clock = noon_clock()
    now = clock()
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(server.url), 1, PARIS, events, clock=clock)
    fetcher.start(kept_at=None if kept_age_s is None else now - kept_age_s)
    try:
        if fetches:
            event = events.get(timeout=5.0)
            assert isinstance(event, ForecastFetched) and isinstance(event.result, OwmForecast)
        else:
            time.sleep(0.5)
            assert events.empty() and server.requests == []
            assert kept_age_s is not None
            assert (f"no fetch at start: the one kept from the status file was fetched {kept_age_s / 60:.0f} min "
                    "ago") in caplog.text
    finally:
        fetcher.stop()


def test_a_new_forecast_is_saved_at_once(tmp_path: Path) -> None:
    # Saved only at status_time (15 min), a daemon crashing a minute after each start never kept what it fetched, and
    # fetched again at every start.
    from status.saver import StatusSaver

    path = tmp_path / "s.json"
    saver = StatusSaver(path, interval_s=3600)
    saver.start()
    try:
        saver.offer({"equipments": [], "forecast": {"openweathermap": {"enabled": True}}})
        fetched_doc = {"equipments": [], "forecast": {"openweathermap": {"enabled": True, "time": "2024-01-10T22:10"}}}
        saver.offer(fetched_doc)
        deadline = time.monotonic() + 5
        while not (path.exists() and json.loads(path.read_text()) == fetched_doc):
            assert time.monotonic() < deadline, "the fetched forecast was not saved at once"
            time.sleep(0.02)
    finally:
        saver.stop()


@pytest.mark.parametrize("changed", [
    OWM.replace("Chambery,FR", "Brest,FR"),  # the place corrected (a wrong town, swapped coordinates)
    OWM.replace("0123456789abcdef", "fedcba9876543210"),  # another key (another account)
])
def test_a_kept_forecast_asked_for_another_place_is_not_taken(tmp_path: Path, changed: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    # A forecast for the place the config named before its fix, kept, had the start fetch nothing (under 3 h) and the
    # night's check read the clouds of the wrong town.
    caplog.set_level(logging.INFO)
    saved = json.loads(json.dumps(fetched(tmp_path).reg.status(at(2024, 1, 10, 22, 20))))
    again = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=changed))
    assert again.reg.restore(saved, at(2024, 1, 10, 22, 30)) == []
    assert again.reg.field.forecast.owm is None
    assert "[openweathermap] changed since: not kept" in caplog.text
