"""The day roll on the days the clocks change (Europe/Paris, 2026): midnight to midnight is 23 h on 03-29 and 25 h on
10-25, in the config's zone and in the system's (TZ, no [evaluate] timezone); the report and the energies count the
hours the day had."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

import pytest

from core.daily_report import DailyFigures, DailyReport
from core.day_roll import DayRoll
from core.decisions import DecisionRecord
from core.meters import EnergyCounter

PARIS = ZoneInfo("Europe/Paris")
PV_W = 800.0
STEP_S = 5.0


@pytest.fixture(params=["config", "system"])
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[tzinfo | None]:
    """The zone as the regulator gets it: the config's, or None with the system's set to Paris by TZ."""
    if request.param == "config":
        monkeypatch.setenv("TZ", "UTC")  # (the system's is not the one used)
        time.tzset()
        yield PARIS
    else:
        monkeypatch.setenv("TZ", "Europe/Paris")
        time.tzset()
        yield None
    monkeypatch.undo()
    time.tzset()


def run_days(first: date, last: date, tz: tzinfo | None) -> tuple[list[DailyReport], list[float]]:
    """Decisions every 5 s at a steady 800 W of PV from 23:00 the day before `first` to past the midnight after `last`;
    the reports and the production's yesterday energy at each roll."""
    production = EnergyCounter(max_gap_s=10.0)
    daily = DailyFigures(["ecs"], [False], max_gap_s=10.0)
    roll = DayRoll([], production, daily, tz)
    now = datetime(first.year, first.month, first.day, tzinfo=PARIS).timestamp() - 3600
    end = datetime(last.year, last.month, last.day, tzinfo=PARIS).timestamp() + 26 * 3600
    roll.start(now)
    reports: list[DailyReport] = []
    yesterdays: list[float] = []
    while now < end:
        if now >= roll.next_midnight_at:
            report = roll.roll(now)
            assert report is not None
            reports.append(report)
            yesterdays.append(production.yesterday_wh)
        production.add(PV_W, now)
        daily.add(DecisionRecord(now, 300.0, PV_W, (0.0,), (0.0,), (0.0,), (0.0,)))
        now += STEP_S
    return reports, yesterdays


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_the_day_the_clocks_change_is_reported_with_its_hours(zone: tzinfo | None, day: date, hours: int) -> None:
    reports, yesterdays = run_days(day, day, zone)
    before, changed = reports[0], reports[1]
    assert [r.date for r in reports] == [str(date.fromordinal(day.toordinal() - 1)), str(day)]
    # (the last decision's interval before midnight is the day's, at its readings: it left them out until 2026-12-04)
    assert before.covered_h == pytest.approx(1.0)
    assert changed.covered_h == pytest.approx(hours)
    assert changed.pv_wh == pytest.approx(PV_W * hours)
    assert changed.exported_wh == pytest.approx((PV_W - 300) * hours)
    assert yesterdays[1] == pytest.approx(PV_W * hours)  # (the meter's energy is counted up to midnight)
    assert len(reports) == 2  # (the next midnight is a day of its own ahead)


def test_a_day_roll_rolls_once_at_each_midnight_across_the_change(zone: tzinfo | None) -> None:
    reports, _ = run_days(date(2026, 10, 24), date(2026, 10, 26), zone)
    assert [r.date for r in reports] == ["2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26"]
    assert [round(r.covered_h) for r in reports[1:]] == [24, 25, 24]
