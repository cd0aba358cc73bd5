"""Local wall-clock arithmetic for the daily rules (full-tank clear, low-energy fallback): pure, the
time zone is passed in (None = the system's), `now` is epoch seconds."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta, tzinfo

_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$", re.ASCII)  # (\d alone takes Arabic-Indic digits)


# A local day's first instant as a wall time (the day roll's moment; a seed status file's energies count from it).
MIDNIGHT = time.min


def local_date(now: float, tz: tzinfo | None) -> date:
    """The local calendar date at `now`."""
    return datetime.fromtimestamp(now, tz).date()


def local_datetime(now: float, tz: tzinfo | None) -> datetime:
    """`now` as an aware local datetime: in `tz`, or in the system's zone (with its offset at `now`)."""
    return datetime.fromtimestamp(now, tz) if tz else datetime.fromtimestamp(now).astimezone()


def next_local_midnight(now: float, tz: tzinfo | None) -> float:
    """Epoch seconds of the first local midnight after `now` (DST-aware)."""
    return local_instant(local_date(now, tz) + timedelta(days=1), MIDNIGHT, tz)


def local_instant(day: date, at: time, tz: tzinfo | None) -> float:
    """Epoch seconds of wall-clock `at` on `day`. A time skipped by a DST jump is the jump itself, when the clock
    first reads it or later (02:00 or 02:30 on a spring-forward day = 03:00 new time), a repeated time is its first
    occurrence. (Read with the offset before the jump, 02:30 was 03:30 new time: an off-peak span from 02:30 lost the
    half hour from 03:00, and the deadline rule said a target out of reach that fitted.)"""
    wall = datetime.combine(day, at, tzinfo=tz)
    instant = wall.timestamp()
    if datetime.fromtimestamp(instant, tz).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return offset_change_before(instant, tz)
    return instant


def utc_offset(at: float, tz: tzinfo | None) -> timedelta | None:
    """The UTC offset at `at` in `tz` (None: the system's zone)."""
    return datetime.fromtimestamp(at, tz).astimezone(tz).utcoffset()


def offset_change_before(at: float, tz: tzinfo | None) -> float:
    """The instant the UTC offset last changed before `at` (within the hour or two of a clock change), to the second."""
    offset = utc_offset(at, tz)
    low, high = at - 3 * 3600.0, at  # (an offset at `low` other than at `at`: the change is in between)
    while high - low > 0.5:
        middle = (low + high) / 2
        if utc_offset(middle, tz) == offset:
            high = middle
        else:
            low = middle
    return float(round(high))


def wall_clock_text(at: float, tz: tzinfo | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`at` as the house's clock reads it, in `fmt` (a log line's times: "until 2026-10-25 02:30"), its UTC offset
    added as ISO 8601 writes it (`2026-10-25 02:30+01:00`) when that reading is ambiguous: in the hour the October
    change repeats, 02:30 is twice, an hour apart. Only then: every other time reads one way, and says it plainly."""
    moment = local_datetime(at, tz)
    text = moment.strftime(fmt)
    return f"{text}{offset_hhmm(moment.utcoffset())}" if _repeated(moment.replace(tzinfo=None), tz) else text


def _repeated(wall: datetime, tz: tzinfo | None) -> bool:
    """Whether the naive wall time `wall` (one a real instant reads, never a skipped one) is read twice in `tz`."""
    if tz is not None:
        return wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(tzinfo=tz, fold=1).utcoffset()
    # (the system's zone: a naive time's fold picks its occurrence for astimezone, as for the zone's tzinfo)
    return wall.replace(fold=0).astimezone().utcoffset() != wall.replace(fold=1).astimezone().utcoffset()


def day_start_iso(day: date, tz: tzinfo | None) -> str:
    """The first instant of local `day` (its midnight, the day roll's moment) as ISO 8601 with its UTC offset:
    '2026-03-30T00:00:00+02:00'. A midnight skipped by a DST jump is the jump itself, shown at the new offset."""
    return local_datetime(local_instant(day, MIDNIGHT, tz), tz).isoformat(timespec="seconds")


def last_occurrence(now: float, at: time, tz: tzinfo | None) -> float:
    """The latest instant <= `now` whose local wall time is `at`."""
    day = local_date(now, tz)
    for back in range(3):  # today's is in the future at most one day, DST shifts at most hours
        instant = local_instant(day - timedelta(days=back), at, tz)
        if instant <= now:
            return instant
    raise AssertionError("unreachable: yesterday's occurrence is always in the past")


def next_occurrence(now: float, at: time, tz: tzinfo | None) -> float:
    """The earliest instant > `now` whose local wall time is `at`."""
    day = local_date(now, tz)
    for ahead in range(3):
        instant = local_instant(day + timedelta(days=ahead), at, tz)
        if instant > now:
            return instant
    raise AssertionError("unreachable: tomorrow's occurrence is always in the future")


def crossed(since: float, now: float, at: time, tz: tzinfo | None) -> bool:
    """True if local time `at` occurred in (since, now]: e.g. 06:00 passed since the last check."""
    return since < last_occurrence(now, at, tz) <= now


class DailyTime:
    """A wall-clock time of every day (`at`, in `tz`) and its next occurrence after a moment, remembered: a
    rule asked on every tick whether `at` passed compares two floats instead of converting dates.

    The remembered answer is `next_occurrence(moment)` for every moment from the one it was computed for up
    to (not including) the occurrence itself, so it is computed again only when asked about a moment outside
    that span (the occurrence passed, or a clock stepped back); `at` and `tz` never change."""

    def __init__(self, at: time, tz: tzinfo | None) -> None:
        self.at = at
        self.tz = tz
        self._from = math.inf  # the span [_from, _next) the remembered answer holds for (empty: none yet)
        self._next = -math.inf

    def next_after(self, moment: float) -> float:
        """The earliest instant > `moment` whose local wall time is `at` (as `next_occurrence`)."""
        if not self._from <= moment < self._next:
            self._from, self._next = moment, next_occurrence(moment, self.at, self.tz)
        return self._next

    def crossed(self, since: float, now: float) -> bool:
        """True if `at` occurred in (since, now] (as `crossed`: the next one after `since` is at or before
        `now`)."""
        return self.next_after(since) <= now


def hour(value: int) -> time:
    """A whole hour as a time; 24 means midnight, as the seed allowed (check_at = 24)."""
    return time(value % 24)


def parse_hhmm(text: str) -> time:
    """'07:00' -> time(7, 0); ValueError with a message a user can act on."""
    match = _HHMM.match(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"expected a time as HH:MM (00:00 to 23:59), got {text!r}")
    return time(int(match[1]), int(match[2]))


def parse_span(text: str) -> tuple[time, time]:
    """'22:00-06:00' -> (time(22), time(6)); the span may cross midnight; start must differ from end."""
    parts = text.split("-")
    if len(parts) != 2:
        raise ValueError(f"expected a span as HH:MM-HH:MM, got {text!r}")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start == end:
        raise ValueError(f"start and end are the same in {text!r}: leave it empty for 'any time'")
    return start, end


def minutes_between(start: time, end: time) -> int:
    """Minutes from `start` on to the next `end` (across midnight; a whole day when they are the same)."""
    minutes = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % 1440
    return minutes or 1440


def offset_hhmm(offset: timedelta | None) -> str:
    """A UTC offset as +HH:MM (None: +00:00), as ISO 8601 writes it after a time."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
