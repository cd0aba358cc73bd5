"""The heater's own meter read every 10 s (a Tasmota plug's TelePeriod, a slow logger) beside a house meter every 2 s:
the seed's rule chains its low readings "less than 10 s apart", sized for a PZEM every 2 s; a meter that keeps its own
pace slower than that chains them up to a reading and a half apart (MeterRule.for_pace)."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import pytest

from field.full_tank_rules import MeterRule
from field.reading_pace import ReadingPace
from tests.field_house import ECS_METER, House
from tests.field_tank import EMPTY_TANK, T, live, metered
from tests.harness import Harness


def test_the_rule_of_a_2_s_meter_is_the_rule_as_it_was() -> None:
    rule = MeterRule()
    assert rule.for_pace(2.0) is rule and rule.for_pace(6.0) is rule
    assert rule.for_pace(10.0).max_gap_s == 15.0 and rule.for_pace(10.0).count == 5


@pytest.mark.parametrize("ecs_pace_s", [2.0, 10.0])
def test_a_full_tank_is_found_by_its_own_meter_read_every_10_s(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                              ecs_pace_s: float) -> None:
    # Before: five readings at 0 W 10 s apart never chained (each "less than 10 s" after the last): the tank was never
    # found full by its meter, its run of one low reading started again at each, the heater in doubt all along.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    drawing = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 1680.00')
    every = round(ecs_pace_s / 2)  # (the house meter every 2 s, the heater's every `ecs_pace_s`)
    for k in range(1, 61):  # two minutes drawing: the heater's meter's pace known
        h.meters(300 + 1680, 2000, T + 2 * k)
        if k % every == 0:
            h.reg.handle(ECS_METER, live(drawing), T + 2 * k + 0.5)
    assert not h.load("ecs").overed
    for k in range(61, 61 + 5 * every):  # the thermostat cuts: five readings of the heater's meter at 0 W
        h.meters(300, 2000, T + 2 * k)
        if k % every == 0:
            h.reg.handle(ECS_METER, live(EMPTY_TANK), T + 2 * k + 0.5)
    assert h.load("ecs").overed
    assert "ecs is full (its meter reads 0.0 W)" in caplog.text


@pytest.mark.parametrize("ecs_pace_s", [2.0, 10.4])
def test_an_own_meter_slower_than_meter_timeout_is_silent_after_five_of_its_readings(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, ecs_pace_s: float) -> None:
    # A Tasmota plug's TelePeriod 10, read a little late (10.4 s): at meter_timeout (10 s) each reading was a silence,
    # the tank watched by the house meter until the next, and a WARNING and an INFO line each time (34 of each in ten
    # minutes). Silent after five of its readings once its pace is seen; a PZEM every 2 s still after meter_timeout.
    caplog.set_level(logging.INFO, logger="field.full_tank_watch")
    h = metered(tmp_path)
    drawing = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 1680.00')
    own_at = T + 0.5
    for k in range(1, 301):  # ten minutes, the house meter every 2 s
        while own_at <= T + 2 * k:
            h.reg.handle(ECS_METER, live(drawing), own_at)
            own_at += ecs_pace_s
        h.meters(300 + 1680, 2000, T + 2 * k)
    silences = [m for m in caplog.messages if "its own meter (smeter/pzem/ECS) has given no usable reading" in m]
    assert len(silences) <= 1  # (before a second reading shows its pace, at most)
    # Silent for good: after five of its readings (52 s), its tank watched by the house meter
    caplog.clear()
    for k in range(301, 301 + 25):
        h.meters(300 + 1680, 2000, T + 2 * k)
    silent_for_s = [int(m.split("reading for ")[1].split(" s")[0]) for m in caplog.messages if "no usable" in m]
    after_s = 10 if ecs_pace_s == 2.0 else 52  # (seen at the house reading after it)
    assert len(silent_for_s) == 1 and after_s <= silent_for_s[0] <= after_s + 2, caplog.messages


def test_a_meter_read_every_few_minutes_is_slow_after_two_such_gaps_in_a_row() -> None:
    pace = ReadingPace()
    for at in (0.0, 300.0):
        pace.reading(at)
    assert pace.slow_s() is None  # (one gap over a minute: a silence, maybe)
    pace.reading(610.0)
    assert pace.slow_s() == 300.0  # (the shorter of its two gaps)
    pace.reading(620.0)  # (its TelePeriod set to 10)
    assert pace.slow_s() is None
    for at in (1000.0, 6000.0):  # (a gap well over an hour is a silence, not a pace: the row starts again)
        pace.reading(at)
    assert pace.slow_s() is None


class SlowMeterHouse(House):
    """House and production meters every 2 s, the heater's own meter every `own_every_s` (what the heater really
    draws, 0 W once its tank is cut)."""

    own_every_s = 300.0
    own_next_at = T + 1.0

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        while self.now < end:
            if self.own_next_at <= self.now + self.period_s:
                drew_w = 0.0 if "ecs" in self.full else self.h.load("ecs").current_power_w
                self.h.reg.handle(ECS_METER, live(EMPTY_TANK.replace(b'"power": 0.00', f'"power": {drew_w:.2f}'
                                                                     .encode())), self.own_next_at)
                self.own_next_at += self.next_gap_s()
            super().run(self.period_s)

    def next_gap_s(self) -> float:
        """The gap to the heater meter's next reading."""
        return self.own_every_s


def _slow_meter_house(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> tuple[Harness, SlowMeterHouse]:
    """The metered heater's regulator and its house, its own meter every 5 minutes; the watch's lines caught."""
    caplog.set_level(logging.INFO, logger="field.full_tank_watch")
    h = metered(tmp_path)
    return h, SlowMeterHouse(h, T)


def test_an_own_meter_read_every_5_min_is_said_once_and_the_tank_watched_by_the_house_meter(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A Tasmota plug at its default TelePeriod, 300 s: its gaps were over the 60 s a pace may be, so it never had one,
    # and each reading ended a silence: a WARNING after meter_timeout and an "its own meter reads again" INFO line
    # every 5 minutes, all day. Its tank was watched by the house meter between two readings, by it for 10 s.
    h, house = _slow_meter_house(tmp_path, caplog)
    house.run(3600)
    lines = [m for m in caplog.messages if "own meter" in m]
    slow = [m for m in lines if "reads every 300 s, too slowly to watch its tank by" in m]
    assert len(slow) == 1, lines
    assert len(lines) <= 4, lines  # (before its second slow gap: a silence or two, and its end, at most)
    assert not h.load("ecs").overed
    # The thermostat cuts: found by the house meter (its fall under a command held, the re-probe), not 25 minutes on.
    caplog.clear()
    house.full.add("ecs")
    house.run(240)
    assert h.load("ecs").overed and "ecs is full (inferred from the house meter)" in caplog.text, caplog.messages
    # Its TelePeriod set to 10 s (the advice): watched by it again, said once.
    caplog.clear()
    house.own_every_s, house.own_next_at = 10.0, house.now + 1.0
    house.run(60)
    assert [m for m in caplog.messages if "own meter" in m] == [
        "ecs: its own meter reads again: its tank is watched by it again"]


def _paced(gaps: list[float]) -> tuple[ReadingPace, list[bool], float]:
    """A meter read at 0 s and after each of `gaps`: its pace, whether it was slow after each reading, the last one's
    time."""
    pace, at = ReadingPace(), 0.0
    slow = []
    for gap_s in [0.0, *gaps]:
        at += gap_s
        pace.reading(at)
        slow.append(pace.slow_s() is not None)
    return pace, slow, at


def test_a_meter_read_about_every_minute_stays_slow_through_its_jitter() -> None:
    # A TelePeriod 60: its gaps straddle 60 s by tens of ms (60.03, 60.03, 59.97 s...). Each gap just under 60 s ended
    # its slowness, and two over it began it again: the watch flapped between its meter and the house meter.
    pace, slow, at = _paced([60.0 + (0.03 if k % 3 != 2 else -0.03) for k in range(29)])
    assert slow[3:] == [True] * 27, slow
    pace.reading(at + 9.97)  # (its TelePeriod set to 10: faster, not jitter)
    assert pace.slow_s() is None


class JitteryMinuteHouse(SlowMeterHouse):
    """The heater's own meter about every 60 s, its gaps 60.03, 60.03, 59.97 s..."""

    own_every_s = 60.0
    _readings = 0

    def next_gap_s(self) -> float:
        self._readings += 1
        return self.own_every_s + (0.03 if (self._readings - 1) % 3 != 2 else -0.03)


def test_an_own_meter_read_about_every_minute_is_said_slow_once_not_again_and_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Two hours of it: 82 lines, a "too slow" WARNING and a "reads again" INFO line every few minutes (6 before the
    # meter's slowness was judged: the silences of its start).
    caplog.set_level(logging.INFO, logger="field.full_tank_watch")
    h = metered(tmp_path)
    JitteryMinuteHouse(h, T).run(7200)
    lines = [m for m in caplog.messages if "own meter" in m]
    assert len([m for m in lines if "too slowly to watch its tank by" in m]) == 1, lines
    assert len(lines) <= 4, lines


def test_a_meter_read_every_hour_is_slow_through_its_jitter() -> None:
    # A TelePeriod 3600, a Tasmota's longest: its gaps a few ms over an hour were silences, the row started again, and
    # it was never slow: each of its readings ended a silence, with a warning and a "reads again" line.
    pace, slow, at = _paced([3600.0 + (0.02 if k % 2 == 0 else -0.02) for k in range(7)])
    assert slow[2:] == [True] * 6, slow
    pace.reading(at + 4 * 3600.0)  # (four hours without a reading: a silence, still slow at its pace)
    assert pace.slow_s() == pytest.approx(3600.0, abs=0.1)
    pace.reading(at + 4 * 3600.0 + 10.0)  # (its TelePeriod set to 10: faster)
    assert pace.slow_s() is None
    pace, slow, at = _paced([10.0, 4 * 3600.0, 3600.0])  # (a silence before it was slow: the row starts again)
    assert slow == [False] * 4


def test_an_own_meter_read_every_hour_is_said_slow_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h, house = _slow_meter_house(tmp_path, caplog)
    house.own_every_s = 3600.02
    house.run(6 * 3600)
    lines = [m for m in caplog.messages if "own meter" in m]
    assert len([m for m in lines if "too slowly to watch its tank by" in m]) == 1, lines
    assert len(lines) <= 4, lines


def _ecs_status(h: Harness, now: float) -> dict[str, Any]:
    """The heater's entry in the regulator's status at `now`."""
    return next(load for load in h.reg.status(now)["equipments"] if load["name"] == "ecs")


def test_an_own_meter_read_every_5_min_that_dies_is_said_silent_and_its_return_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A meter too slow to watch a tank by was never judged silent after: dead, its last reading stood in the status
    # beside "full_detect": "meter" all day, and nothing was said.
    h, house = _slow_meter_house(tmp_path, caplog)
    house.run(1800)
    assert {k: _ecs_status(h, house.now)[k] for k in ("full_detect", "own_meter")} == {
        "full_detect": "inferred", "own_meter": "slow"}
    caplog.clear()
    last_at, house.own_next_at = house.own_next_at - 300, math.inf  # (its plug unplugged)
    house.run(last_at + 5 * 300 - 30 - house.now)  # (under five of its readings since its last one: not yet silent)
    assert not [m for m in caplog.messages if "own meter" in m]
    house.run(60)
    silent = [m for m in caplog.messages if "own meter" in m]
    assert len(silent) == 1 and "has given no usable reading for 150" in silent[0], silent
    assert _ecs_status(h, house.now)["own_meter"] == "silent"
    house.run(3600)
    assert len([m for m in caplog.messages if "own meter" in m]) == 1  # (said once)
    caplog.clear()
    house.own_next_at = house.now + 1.0  # (plugged in again, its TelePeriod still 300)
    house.run(30)
    assert [m for m in caplog.messages if "own meter" in m] == [
        "ecs: its own meter reads again, still too slowly to watch its tank by: whether its tank is full is still "
        "inferred from the house meter"]
    assert _ecs_status(h, house.now)["own_meter"] == "slow"


def test_the_status_says_how_a_tank_is_watched_while_its_own_meter_is_silent(tmp_path: Path) -> None:
    # Its meter never wired: the house meter watched the tank, the status said "meter" all the while.
    h = metered(tmp_path)
    shown = _ecs_status(h, T)
    assert (shown["full_detect"], shown["own_meter"], shown["measured_power"]) == ("meter", "reads", None)
    for k in range(1, 11):
        h.meters(300 + 1680, 2000, T + 2 * k)
    shown = _ecs_status(h, T + 20)
    assert (shown["full_detect"], shown["own_meter"], shown["full_suspect"]) == ("inferred", "silent", False)
    h.reg.handle(ECS_METER, live(EMPTY_TANK.replace(b'"power": 0.00', b'"power": 1680.00')), T + 21)
    shown = _ecs_status(h, T + 21)
    assert (shown["full_detect"], shown["own_meter"], shown["measured_power"]) == ("meter", "reads", 1680.0)
    assert "full_suspect" not in shown


def test_a_slow_meter_dead_again_after_a_silence_and_one_reading_is_said_silent_at_its_pace(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Its silence of over an hour, its last gap, was taken for its pace: dead again after one reading back, it was said
    # silent only after five of those (five hours and more), its last reading shown in the status meanwhile.
    h, house = _slow_meter_house(tmp_path, caplog)
    house.run(1800)
    house.own_next_at = math.inf  # (its plug unplugged for over an hour)
    house.run(4000)
    house.own_next_at = house.now + 1.0  # (back for one reading)
    house.run(30)
    assert _ecs_status(h, house.now)["own_meter"] == "slow"
    house.own_next_at = math.inf  # (dead again)
    caplog.clear()
    house.run(5 * 300 + 30)
    silent = [m for m in caplog.messages if "own meter" in m]
    assert len(silent) == 1 and "has given no usable reading for 150" in silent[0], silent
    assert _ecs_status(h, house.now)["own_meter"] == "silent"


def test_a_slow_meter_set_slower_still_takes_its_new_pace_at_its_second_gap() -> None:
    pace = ReadingPace()
    for at in (0.0, 300.0, 600.0, 2400.0):  # (its TelePeriod set from 300 to 1800)
        pace.reading(at)
    assert pace.slow_s() == 300.0  # (one gap of 1800 s: a silence, maybe)
    pace.reading(4200.0)
    assert pace.slow_s() == 1800.0  # (its pace now)


def test_an_own_meter_that_dies_while_its_tank_is_full_is_said_silent(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # Found full by its meter, then unplugged: the status said it read ("own_meter": "reads", its last 0 W) until the
    # daily clear, and its silence was said only then.
    caplog.set_level(logging.INFO, logger="field.full_tank_watch")
    h = metered(tmp_path)
    for k in range(1, 8):  # the thermostat cuts: its meter reads 0 W, five readings in a row
        h.meters(300, 2000, T + 2 * k)
        h.reg.handle(ECS_METER, live(EMPTY_TANK), T + 2 * k + 0.5)
    assert h.load("ecs").overed and _ecs_status(h, T + 15)["own_meter"] == "reads"
    for k in range(8, 40):  # its meter silent from now
        h.meters(300, 2000, T + 2 * k)
        h.reg.tick(T + 2 * k + 1)
    assert _ecs_status(h, T + 79)["own_meter"] == "silent"
    assert len([m for m in caplog.messages if "has given no usable reading" in m]) == 1
