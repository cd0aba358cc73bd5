"""When the full flags are cleared: daily, at the local hours `init_at` and midnight (a clear time passed since the last
tick, or while stopped, is due at the next one); and a time of day as the full tank's log lines say it."""

from __future__ import annotations

from datetime import tzinfo

from field.full_tank import daily_clear_due
from values.local_time import hour, last_occurrence, next_occurrence, wall_clock_text


class DailyClear:
    """The daily clear's times: `init_at_hour` and midnight, local to `tz`."""

    def __init__(self, init_at_hour: int, tz: tzinfo | None) -> None:
        self.init_at_hour = init_at_hour
        self.tz = tz
        self._next_at: float | None = None
        self._next_from = 0.0  # the `since` _next_at was computed from

    @property
    def hours(self) -> tuple[int, int]:
        """The local hours of the daily clear: `init_at` and midnight."""
        return self.init_at_hour, 0

    def next_after(self, at: float) -> float:
        """The first clear time after `at`."""
        return min(next_occurrence(at, hour(h), self.tz) for h in self.hours)

    def last_at(self, at: float) -> float:
        """The last clear time at or before `at`."""
        return max(last_occurrence(at, hour(h), self.tz) for h in self.hours)

    def said(self) -> str:
        """The clear times as a log line says them."""
        return "at midnight" if self.init_at_hour == 0 else f"at {self.init_at_hour:02d}:00 and midnight"

    def due(self, since: float, now: float) -> bool:
        """True when a clear time passed in (since, now]."""
        # The next clear time is computed once, not at every tick: the regulator ticks often.
        if self._next_at is None or since < self._next_from:
            self._next_from = since
            self._next_at = self.next_after(since)
        if now < self._next_at:
            return False
        due = daily_clear_due(since, now, self.tz, self.init_at_hour)
        self._next_at = None
        return due

    def forget(self) -> None:
        """The next clear time is computed afresh (a status restored: its `since` is the save's)."""
        self._next_at = None


def hhmm(at: float, tz: tzinfo | None) -> str:
    """`at` as the local time of day a log line says."""
    return wall_clock_text(at, tz, "%H:%M")  # (02:30+01:00 in the hour the October change repeats)
