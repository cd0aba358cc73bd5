"""A heater's own meter read at an irregular pace (a Tasmota plug with PowerDelta set: a reading at each change of power
over the delta, else every TelePeriod): its silences, returns and slow spells are said in full at first, then counted,
the count said once an hour, while the tank is watched as before (by its meter while it reads, else by the house's)."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest

from field.own_meter_notices import NOTICES_PER_WINDOW, OwnMeterNotices
from tests.field_tank import T, metered
from tests.test_full_tank_own_meter_pace import SlowMeterHouse

# Bursts of readings 2 s apart while the heater's power moves, then 1 to 5 minutes of none (its power steady), one
# reading alone between two such gaps now and then (its TelePeriod's): its gaps, in seconds, over and over.
POWER_DELTA_GAPS_S = (2.0, 2.0, 2.0, 90.0, 2.0, 2.0, 2.0, 2.0, 2.0, 240.0, 300.0, 150.0, 2.0, 2.0, 2.0, 2.0, 60.5,
                      2.0, 200.0)


class PowerDeltaHouse(SlowMeterHouse):
    """The heater's own meter at POWER_DELTA_GAPS_S's pace (after `steady_from`: every 2 s)."""

    steady_from = float("inf")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._gaps = itertools.cycle(POWER_DELTA_GAPS_S)

    def next_gap_s(self) -> float:
        return 2.0 if self.own_next_at >= self.steady_from else next(self._gaps)


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The watch's lines on the heater's own meter, INFO and over."""
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.INFO and r.name == "field.full_tank_watch" and "own meter" in r.getMessage()]


def test_an_own_meter_at_a_power_delta_pace_is_said_a_few_times_then_counted_once_an_hour(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Each gap was a silence and each burst its end, two gaps in a row a "too slow", and the next burst its end: a
    # WARNING and an INFO line every few minutes, 223 lines in six hours, all logged (the flood limiter lets five a
    # minute through).
    caplog.set_level(logging.DEBUG, logger="field.full_tank_watch")
    h = metered(tmp_path)
    house = PowerDeltaHouse(h, T)
    states = set()
    for _ in range(6 * 60):  # six hours, a minute at a time
        house.run(60)
        states.add(next(load for load in h.reg.status(house.now)["equipments"] if load["name"] == "ecs")["own_meter"])
    said = _said(caplog)
    counts = [m for m in said if "not logged" in m]
    assert len(counts) == 5, said  # (the sixth hour not over yet)
    assert said[-len(counts):] == counts, said  # (after the first hour, only the counts)
    assert len(said) - len(counts) <= 2 * NOTICES_PER_WINDOW, said  # (a silence said has its end said too)
    assert "ecs: its own meter fell silent " in counts[0] and "read again" in counts[0] and \
        "turned too slow" in counts[0] and "PowerDelta 0 and TelePeriod 10" in counts[0], counts[0]
    # Each change still made, and logged at DEBUG: the tank watched by the house meter in each gap, by its meter in
    # each burst (the watch's verdicts are the same as before, only their lines are counted)
    assert states == {"reads", "silent", "slow"}
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and "own meter" in r.getMessage()]
    assert len(debug) > 100


def _two_hours_of_power_delta(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> PowerDeltaHouse:
    """A metered heater's house, its own meter at the PowerDelta pace for two hours, the watch's lines captured."""
    caplog.set_level(logging.INFO, logger="field.full_tank_watch")
    house = PowerDeltaHouse(metered(tmp_path), T)
    house.run(2 * 3600)
    return house


def test_an_own_meter_steady_for_an_hour_has_its_next_changes_said_in_full_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    house = _two_hours_of_power_delta(tmp_path, caplog)
    house.steady_from = house.now  # (its PowerDelta set to 0, its TelePeriod to... 2 s: a PZEM put in its place)
    house.run(3 * 3600)
    caplog.clear()
    house.own_next_at = float("inf")  # (unplugged)
    house.run(60)
    assert len(_said(caplog)) == 1 and "has given no usable reading for 10 s" in _said(caplog)[0], _said(caplog)


def test_an_own_meter_at_a_power_delta_pace_that_dies_is_said_silent_within_minutes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Its silences held back, counted: one that lasts a fifth longer than any of its gaps lately (300 s) is said.
    house = _two_hours_of_power_delta(tmp_path, caplog)
    caplog.clear()
    last_at, house.own_next_at = house.own_next_at - house.next_gap_s(), float("inf")  # (unplugged)
    house.run(last_at + 350 - house.now)
    assert not [m for m in _said(caplog) if "not logged" not in m]  # (an hour's count, maybe)
    house.run(30)
    said = [m for m in _said(caplog) if "not logged" not in m]
    assert len(said) == 1 and "has given no usable reading for 36" in said[0] and \
        "(longer than any gap between its readings lately)" in said[0], said
    house.run(3600)
    assert len([m for m in _said(caplog) if "no usable reading" in m]) == 1, _said(caplog)
    caplog.clear()
    house.own_next_at = house.now + 1.0  # (plugged in again: its return said, as its silence was)
    house.run(10)
    assert _said(caplog)[:1] == ["ecs: its own meter reads again: its tank is watched by it again"], _said(caplog)


def test_the_notices_count_is_said_after_a_clock_stepped_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="field.full_tank_watch")
    notices = OwnMeterNotices()
    for k in range(NOTICES_PER_WINDOW + 3):
        notices.slow("ecs", "smeter/pzem/ECS", 300.0, 1000.0 + k)
    notices.flush(1000.0 + 600)
    assert not [m for m in caplog.messages if "not logged" in m]
    notices.flush(1000.0 - 3600)  # (the clock set back an hour: the window ends, its count said)
    counted = [m for m in caplog.messages if "not logged" in m]
    assert len(counted) == 1 and "turned too slow 3 times in the last 0 min" in counted[0], counted


def test_a_long_outage_holds_back_a_later_silence_for_an_hour_at_most(caplog: pytest.LogCaptureFixture) -> None:
    # The gaps a silence held back is weighed against are the last two windows' (its meter's pace lately): carried from
    # window to window, one outage of an hour held back every later silence's line for 72 minutes.
    caplog.set_level(logging.INFO)
    notices, hour_s = OwnMeterNotices(), 3600.0
    for i in range(NOTICES_PER_WINDOW + 1):  # (the last one held back: the window's count carried on)
        notices.silent("ecs", "tele/ecs", 30.0, 10.0 * i)
        notices.reads_again("ecs", False, 10.0 * i + 5)
    notices.heard("ecs", hour_s)  # an hour's outage
    for window in (1, 2):
        now = window * hour_s + 60
        notices.flush(now)
        notices.heard("ecs", 60.0)
        notices.silent("ecs", "tele/ecs", 30.0, now + 60)  # held back: the window said its notices already
        notices.still_silent("ecs", "tele/ecs", 200.0, now + 230)
        said = [r.getMessage() for r in caplog.records if "longer than any gap" in r.getMessage()]
        # (the first window after the outage weighs it; the next one its own minutes)
        assert len(said) == window - 1, said
        notices.reads_again("ecs", False, now + 240)
