"""The day roll when the meters are silent across midnight: an interval between two readings (two decisions) longer
than the gap the counts allow (`meter_timeout`) is not counted in the new day, as at any other time of day (its part
before midnight, counted when the day closed, the rest of the silence still to come, is the day before's). Cut at the
midnight, each half fitted under the gap: a silence of 1.9 times it was counted whole, in two days."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.daily_report import DailyFigures, DailyReport
from core.day_roll import DayRoll
from core.decisions import DecisionRecord
from core.meters import EnergyCounter

PARIS = ZoneInfo("Europe/Paris")
PV_W = 800.0
MAX_GAP_S = 10.0


def paris(day: int, hour: int, minute: int, second: int) -> float:
    return datetime(2026, 10, day, hour, minute, second, tzinfo=PARIS).timestamp()


def run(times: list[float]) -> tuple[list[DailyReport], EnergyCounter]:
    """A reading of 800 W of PV and a decision at each of `times`, the day rolled as the regulator rolls it."""
    production = EnergyCounter(max_gap_s=MAX_GAP_S)
    daily = DailyFigures(["ecs"], [False], max_gap_s=MAX_GAP_S)
    roll = DayRoll([], production, daily, PARIS)
    roll.start(times[0])
    reports = []
    for now in times:
        if now >= roll.next_midnight_at:
            report = roll.roll(now)
            assert report is not None
            reports.append(report)
        production.add(PV_W, now)
        daily.add(DecisionRecord(now, 300.0, PV_W, (0.0,), (0.0,), (0.0,), (0.0,)))
    return reports, production


@pytest.mark.parametrize("day", [24, 25])  # (an ordinary midnight, and the one before the clocks go back)
def test_a_silence_across_midnight_longer_than_the_gap_is_not_counted_in_the_new_day(day: int) -> None:
    before = [paris(day - 1, 23, 0, 0) + 5.0 * i for i in range(720)]  # to 23:59:55
    after = [paris(day, 0, 0, 8) + 5.0 * i for i in range(720)]  # from 00:00:08: 13 s without a reading
    reports, production = run(before + after)
    (yesterday,) = reports
    # The 5 s from the last reading to midnight were within the gap when the day closed: that day's, as before.
    assert yesterday.covered_h * 3600 == pytest.approx(3600.0)
    # The new day counts from its first reading: its 8 s after midnight belong to a 13 s silence.
    assert production.energy_wh == pytest.approx(PV_W * (after[-1] - after[0]) / 3600)
    today = roll_so_far(before + after)
    assert today.covered_h * 3600 == pytest.approx(after[-1] - after[0])
    assert today.pv_wh == pytest.approx(PV_W * (after[-1] - after[0]) / 3600)


def test_readings_close_around_midnight_are_counted_up_to_it_and_from_it() -> None:
    # 23:59:59 and 00:00:01: 1 s for each day, as before.
    times = [paris(24, 23, 59, 51) + 2.0 * i for i in range(5)] + [paris(25, 0, 0, 1) + 2.0 * i for i in range(5)]
    reports, production = run(times)
    assert reports[0].covered_h * 3600 == pytest.approx(9.0)  # 23:59:51 to midnight
    assert production.energy_wh == pytest.approx(PV_W * 9.0 / 3600)  # midnight to 00:00:09
    assert roll_so_far(times).covered_h * 3600 == pytest.approx(9.0)


def roll_so_far(times: list[float]) -> DailyReport:
    """The new day's figures so far after the decisions at `times` (as the status document shows them)."""
    production = EnergyCounter(max_gap_s=MAX_GAP_S)
    daily = DailyFigures(["ecs"], [False], max_gap_s=MAX_GAP_S)
    roll = DayRoll([], production, daily, PARIS)
    roll.start(times[0])
    for now in times:
        if now >= roll.next_midnight_at:
            roll.roll(now)
        daily.add(DecisionRecord(now, 300.0, PV_W, (0.0,), (0.0,), (0.0,), (0.0,)))
    assert roll.day is not None
    return daily.so_far(roll.day)
