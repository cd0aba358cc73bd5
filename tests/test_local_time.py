"""values/local_time.py: DailyTime, the remembered next occurrence, against the functions it stands for."""

from __future__ import annotations

import random
import time as clock
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from values.local_time import (
    DailyTime,
    crossed,
    day_start_iso,
    hour,
    next_local_midnight,
    next_occurrence,
    offset_hhmm,
    wall_clock_text,
)

PARIS = ZoneInfo("Europe/Paris")


def at(y: int, m: int, d: int, h: int = 0) -> float:
    return datetime(y, m, d, h, tzinfo=PARIS).timestamp()


@pytest.mark.parametrize("wall", [hour(0), hour(2), time(2, 30), hour(7)])
def test_daily_time_answers_as_next_occurrence_and_crossed_whatever_the_order_of_questions(wall: time) -> None:
    # Across both DST changes, with times going forward, standing still and stepping back (a clock set back,
    # a restored status): the remembered answer is never used outside the span it holds for.
    daily = DailyTime(wall, PARIS)
    rng = random.Random(7)
    for start in (at(2024, 3, 29), at(2024, 10, 25)):
        since = start
        for _ in range(3000):
            step = rng.choice([0.0, 1.0, 5.0, 600.0, 3599.0, 3600.0, 7200.0, -30.0, -3600.0, -90000.0])
            now = since + step
            assert daily.next_after(since) == next_occurrence(since, wall, PARIS)
            assert daily.crossed(since, now) == crossed(since, now, wall, PARIS)
            since = now if rng.random() < 0.9 else start + rng.uniform(0, 4 * 86400)


def test_an_occurrence_itself_is_crossed_once() -> None:
    daily = DailyTime(hour(2), PARIS)
    check = at(2024, 10, 27, 2)  # the fall-back day: 02:00 comes twice, the rule takes the first
    assert daily.crossed(check - 1, check)
    assert not daily.crossed(check, check + 1)
    assert not daily.crossed(check, check + 3600)  # 02:00 again, an hour later: not a second occurrence
    assert daily.next_after(check) == at(2024, 10, 28, 2)


@pytest.mark.parametrize(("zone", "day", "iso"), [
    ("Europe/Paris", date(2023, 11, 14), "2023-11-14T00:00:00+01:00"),
    ("Europe/Paris", date(2026, 3, 29), "2026-03-29T00:00:00+01:00"),  # a 23-hour day: its midnight in winter time
    ("Europe/Paris", date(2026, 3, 30), "2026-03-30T00:00:00+02:00"),
    ("Europe/Paris", date(2026, 10, 25), "2026-10-25T00:00:00+02:00"),  # a 25-hour day
    ("America/Santiago", date(2024, 9, 8), "2024-09-08T01:00:00-03:00"),  # midnight skipped: the jump itself
])
def test_a_day_s_start_is_its_roll_moment_with_its_offset(zone: str, day: date, iso: str) -> None:
    # Home Assistant's last_reset for the day's energies: the instant the day roll splits them.
    tz = ZoneInfo(zone)
    assert day_start_iso(day, tz) == iso
    eve = datetime.combine(day - timedelta(days=1), time(12), tz).timestamp()
    assert datetime.fromisoformat(iso).timestamp() == next_local_midnight(eve, tz)


@pytest.mark.parametrize(("offset", "said"), [
    (None, "+00:00"), (timedelta(hours=2), "+02:00"), (timedelta(hours=5, minutes=45), "+05:45"),
    (timedelta(hours=-3, minutes=-30), "-03:30"),
])
def test_a_utc_offset_is_written_as_iso_8601_writes_it(offset: timedelta | None, said: str) -> None:
    # (one writer for the trace's and the recorded day's messages and --check's clock line, which had one each)
    assert offset_hhmm(offset) == said


@pytest.mark.parametrize("wall", [hour(2), time(2, 30), time(2, 59)])
def test_a_time_the_spring_jump_skips_is_the_jump_itself(wall: time) -> None:
    # 02:30 read with the offset before the jump was 03:30 new time: an off-peak span from 02:30 lost the half hour
    # from 03:00, and the deadline rule said a target out of reach that fitted (the simulator said the jump already).
    jump = datetime(2026, 3, 29, 3, 0, tzinfo=PARIS).timestamp()
    assert next_occurrence(jump - 7200, wall, PARIS) == jump
    assert next_occurrence(jump - 7200, time(3, 30), PARIS) == jump + 1800  # (a time that is, as it is)
    autumn_first_0230 = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS).timestamp()  # (fold 0: the first of the two)
    assert next_occurrence(autumn_first_0230 - 60, time(2, 30), PARIS) == autumn_first_0230


@pytest.mark.parametrize("zone", ["Europe/Paris", None])
def test_a_time_the_october_change_repeats_is_said_with_its_offset_and_only_then(
        zone: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    # In the log's lines ("until 2026-10-25 02:30"), 02:30 that night was either of two instants an hour apart.
    tz = ZoneInfo(zone) if zone else None
    if tz is None:  # (the system's zone, as with no [evaluate] timezone)
        monkeypatch.setenv("TZ", "Europe/Paris")
        clock.tzset()
    try:
        first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS).timestamp()
        second = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1).timestamp()
        assert second - first == 3600
        assert wall_clock_text(first, tz) == "2026-10-25 02:30+02:00"
        assert wall_clock_text(second, tz) == "2026-10-25 02:30+01:00"
        assert wall_clock_text(second, tz, "%H:%M") == "02:30+01:00"
        assert wall_clock_text(first - 3600, tz) == "2026-10-25 01:30"  # (the hours around it read one way)
        assert wall_clock_text(second + 3600, tz) == "2026-10-25 03:30"
        assert wall_clock_text(datetime(2026, 3, 29, 3, 0, tzinfo=PARIS).timestamp(), tz) == "2026-03-29 03:00"
    finally:
        monkeypatch.undo()
        clock.tzset()
