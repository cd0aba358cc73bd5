"""A recorded day's own clock: each instant at the UTC offset its rows were written with.

A day file names no time zone, only each row's offset (`2026-03-29T03:00:01.000+02:00`): on a DST day the offset
changes in the middle. Shown at the first row's offset alone, every time after the change was an hour off (`report
--plot` drew the afternoon's heater an hour early)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone, tzinfo

__all__ = ["RowOffsets", "changed_at"]

QUARTER_HOUR_S = 900.0


def changed_at(before_s: float, after_s: float) -> float:
    """When the offset changed between a row at `before_s` and the next, at `after_s`, at another offset: the first
    whole quarter hour (UTC) after `before_s`, where clocks change (01:00 UTC in Europe), if it is not after
    `after_s`; else `after_s`. (The rows say only that it changed in between: a change drawn at the next row put the
    plot's 03:00 tick at 04:00.)"""
    quarter = (before_s // QUARTER_HOUR_S + 1) * QUARTER_HOUR_S
    return quarter if quarter <= after_s else after_s


class RowOffsets(tzinfo):
    """The offsets of a day's rows, as a tzinfo for display: from each change's instant, its offset."""

    def __init__(self, changes: Sequence[tuple[float, timedelta]]) -> None:
        """`changes`: (epoch s of the first row at an offset, that offset), at least one; sorted here."""
        ordered = sorted(changes, key=lambda change: change[0])
        self._starts = [start for start, _ in ordered]
        self._offsets = [offset for _, offset in ordered]

    def __getinitargs__(self) -> tuple[list[tuple[float, timedelta]]]:  # (picklable)
        return (list(zip(self._starts, self._offsets, strict=True)),)

    def _index_at(self, epoch_s: float) -> int:
        return max(0, bisect_right(self._starts, epoch_s) - 1)  # (before the first row: the first row's offset)

    def _spans_at(self, dt: datetime) -> tuple[list[int], int]:
        """For the wall time `dt`: the spans whose instants show it (two in a DST day's repeated hour, none in its
        skipped one), and the last span begun by then at its own offset (the first if none)."""
        wall_s = dt.replace(tzinfo=timezone.utc).timestamp()
        holding, begun = [], 0
        for index, (start, offset) in enumerate(zip(self._starts, self._offsets, strict=True)):
            instant = wall_s - offset.total_seconds()
            if index > 0 and instant < start:
                continue
            begun = index
            end = self._starts[index + 1] if index + 1 < len(self._starts) else float("inf")
            if instant < end:
                holding.append(index)
        return holding, begun

    def fromutc(self, dt: datetime) -> datetime:
        index = self._index_at(dt.replace(tzinfo=timezone.utc).timestamp())
        local = dt + self._offsets[index]
        # The second pass of a repeated hour is fold 1, as zoneinfo marks it: utcoffset then finds its offset back.
        holding, _ = self._spans_at(local)
        return local.replace(fold=1) if index in holding and holding.index(index) > 0 else local

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return self._offsets[0]
        holding, begun = self._spans_at(dt)
        if holding:
            return self._offsets[holding[min(dt.fold, len(holding) - 1)]]
        return self._offsets[begun]  # a wall time the day skipped: the offset before the change (as zoneinfo, fold 0)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None  # (not known: a file has offsets only)

    def tzname(self, dt: datetime | None) -> str:
        minutes = int(self.utcoffset(dt).total_seconds() // 60)
        return f"UTC{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    def __repr__(self) -> str:
        return f"RowOffsets({len(self._starts)} offset(s), from {self.tzname(None)})"
