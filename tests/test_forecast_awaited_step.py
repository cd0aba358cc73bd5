"""The fetch at start a check waits for is dated on the wall clock as it read then: a Pi booted on a clock behind
(fake-hwclock), set forward by NTP while the fetch was under way, had the try's deadline long past on the new clock, and
the check due went on at once, `under way since 00:29:58, gave no answer by 00:30:10`, forcing as for a 100 % cloudy
sky with the answer seconds away. The try's times move with the clock's step, as the timed forces' do."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from field.forecast import ForecastFailure, parse_owm_answer
from field.forecast_pending import FetchUnderWay
from settings.config import load_settings
from shell.clock_watch import ClockWatch, steady_s
from shell.daemon import Daemon
from shell.lock import InstanceLock
from tests.field_house import at, field_config, ticks
from tests.harness import Harness
from tests.test_forecast_awaited import SUNNY, checks, counted_night
from tests.test_forecast_awaited_round import late_night
from tests.test_forecast_kept import OWM
from tests.test_forecast_night import NO_NETWORK


def test_a_clock_set_forward_during_the_fetch_at_start_moves_its_deadline(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    # (started at 00:59:58 on a clock 30 min behind, which NTP sets a second later)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 0, 29, 58), 10.0), at(2024, 1, 11, 0, 29, 58))
    h.reg.clock_stepped_forward(1800.0)
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 6), step_s=1.0)
    assert checks(caplog) == [] and "no cloud forecast" not in caplog.text
    assert "(its answer by 01:00:10 at the latest)" in caplog.text
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 0, 7))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 0, 7))
    ticks(h, at(2024, 1, 11, 1, 0, 7), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]


def test_a_clock_set_back_during_the_fetch_at_start_moves_its_deadline(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # (a clock 30 min ahead: its deadline 30 min after the check on the new clock, a wait that lasted until the answer
    # came, however late; now until 01:00:10, past which the check names the try)
    h = counted_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 1, 29, 58), 10.0), at(2024, 1, 11, 1, 29, 58))
    h.reg.clock_stepped_back(1800.0, at(2024, 1, 11, 0, 59, 59))
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 9), step_s=1.0)
    assert checks(caplog) == [] and "(its answer by 01:00:10 at the latest)" in caplog.text
    ticks(h, at(2024, 1, 11, 1, 0, 10), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "under way since 00:59:58, gave no answer by 01:00:10" in checks(caplog)[0]


def restored_before_start(tmp_path: Path) -> Harness:
    """A regulator restored from a file saved at 00:20 (its window counted since the night before), not started yet:
    the daemon's state between handing over the fetch at start and the broker's Connected."""
    h = Harness(field_config(tmp_path, extra=OWM))
    loads = [{"name": name, "energy": 0.0} for name in ("ecs", "radiator")]
    saved = {"schema_version": 1, "date": int(at(2024, 1, 11, 0, 20)), "equipments": loads,
             "water_heater": {"name": "ecs", "seed_rule": {"yesterday_wh": 7000.0, "window_start": at(2024, 1, 10, 1),
                                                           "checked_until": at(2024, 1, 11, 0, 20)}}}
    assert h.reg.restore(json.loads(json.dumps(saved)), at(2024, 1, 11, 0, 29, 58)) == []
    return h


@pytest.mark.parametrize("step_s", [1800.0, -1800.0], ids=["forward", "back"])
def test_a_clock_step_before_the_regulator_starts_moves_the_try_s_deadline(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, step_s: float) -> None:
    # (no Connected yet: the step was not applied to the try under way, its deadline 30 min before the check on the new
    # clock, the check going on at once; or 30 min after it, a wait that lasted until the answer came)
    h = restored_before_start(tmp_path)
    caplog.set_level(logging.INFO)
    started_at = at(2024, 1, 11, 0, 59, 58) - step_s
    h.reg.on_forecast(FetchUnderWay("at start", started_at, 10.0), started_at)
    if step_s > 0:
        h.reg.clock_stepped_forward(step_s)
    else:
        h.reg.clock_stepped_back(-step_s, at(2024, 1, 11, 0, 59, 58))
    ticks(h, at(2024, 1, 11, 1), at(2024, 1, 11, 1, 0, 9), step_s=1.0)
    assert checks(caplog) == [] and "(its answer by 01:00:10 at the latest)" in caplog.text
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 0, 9))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 0, 9))
    ticks(h, at(2024, 1, 11, 1, 0, 9), at(2024, 1, 11, 1, 0, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]


@pytest.mark.parametrize("step_s", [1800.0, -1800.0], ids=["forward", "back"])
def test_a_step_before_the_fetch_at_start_is_not_applied_to_its_try_again(tmp_path: Path, step_s: float) -> None:
    # The wall clock stepped between the daemon's build and its fetcher's start (the restore, the broker's first
    # attempt: tens of seconds with the network not up, NTP setting the clock once it is): the try at start is dated on
    # the new clock, and the loop's first look at the clock moved it by that step again (forward: its deadline 30 min
    # late, the round's 20 min bound with it; back: long past, the check going on at once as for 100 % clouds).
    config = field_config(tmp_path, extra=OWM + "url = http://127.0.0.1:9/x\n")
    built = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
    assert built.fetcher is not None
    built.fetcher._thread = threading.Thread(target=lambda: None)  # (its fetches not run)
    built._clock_watch = ClockWatch(time.time() - step_s, steady_s())  # (the clock as the build read it)
    built._start_fetcher()
    built.fetcher._thread.join()
    built._follow_the_clock()  # (the loop's first look at the clock)
    awaited = built.reg.field.forecast.awaited()
    assert awaited is not None and abs(awaited.started_at - time.time()) < 5.0


def test_a_step_back_told_before_a_failed_try_dated_after_it_moves_the_next_try_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A late check waiting for the round at start; NTP sets the clock back 60 s, and the try's failure, dated on the new
    # clock, is the next event the loop hands over: the step, told before it, was applied at the next tick to the next
    # try it names, dated on the new clock already: its deadline a minute early, the check forced as for 100 % clouds
    # before that try's sunny answer came.
    h = late_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 1, 30), 10.0), at(2024, 1, 11, 1, 30))
    ticks(h, at(2024, 1, 11, 1, 30), at(2024, 1, 11, 1, 30, 4), step_s=1.0)
    h.reg.clock_stepped_back(60.0, at(2024, 1, 11, 1, 29, 5))
    h.reg.on_forecast(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 1, 29, 6), final=False,
                                      next_try_at=at(2024, 1, 11, 1, 34, 6)), at(2024, 1, 11, 1, 29, 6))
    ticks(h, at(2024, 1, 11, 1, 29, 7), at(2024, 1, 11, 1, 34, 7), step_s=5.0)
    assert checks(caplog) == []
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 34, 8))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 34, 8))
    ticks(h, at(2024, 1, 11, 1, 34, 8), at(2024, 1, 11, 1, 34, 20), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]


def test_a_small_step_forward_moves_the_try_s_deadline(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # NTP corrects a slow clock by 8 s during the fetch at start a late check waits for: a step under 10 s is no jump to
    # the rest of the core, but the try's deadline, dated on the clock before, stayed put and came 8 s early: the check
    # went on as for 100 % clouds before the try's answer, in its time.
    h = late_night(tmp_path)
    caplog.set_level(logging.INFO)
    h.reg.on_forecast(FetchUnderWay("at start", at(2024, 1, 11, 1, 30), 10.0), at(2024, 1, 11, 1, 30))
    ticks(h, at(2024, 1, 11, 1, 30), at(2024, 1, 11, 1, 30, 2), step_s=1.0)
    h.reg.clock_stepped_forward(8.0)
    ticks(h, at(2024, 1, 11, 1, 30, 11), at(2024, 1, 11, 1, 30, 19), step_s=1.0)
    assert checks(caplog) == []
    answer = parse_owm_answer(200, json.dumps(SUNNY).encode(), at(2024, 1, 11, 1, 30, 19))
    h.reg.on_forecast(answer, at(2024, 1, 11, 1, 30, 19))
    ticks(h, at(2024, 1, 11, 1, 30, 19), at(2024, 1, 11, 1, 30, 30), step_s=1.0)
    assert len(checks(caplog)) == 1 and "clouds 10 % on 2024-01-11 (openweathermap)" in checks(caplog)[0]
