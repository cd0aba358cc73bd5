"""A trace's times as its CSV writes them: ISO date-times as Python 3.10 reads them, naive ones on the house's clock
(the hour the clocks go back read twice), what to say of a step broken by the house's change of clock, and a trace
that is one day at most."""

from __future__ import annotations

import re
from array import array
from datetime import datetime, timedelta, tzinfo

import numpy as np

from simulation.trace_cells import TraceError
from values.local_time import offset_hhmm, utc_offset

__all__ = ["check_one_day", "clock_change_hint", "iso_as_python_310_reads_it", "row_epoch"]

# A UTC offset written without its colon (+0100), at the end of a date and time.
_OFFSET_WITHOUT_COLON = re.compile(r"(\d)([+-]\d{2})(\d{2})$")


def iso_as_python_310_reads_it(text: str) -> str:
    """An ISO date and time as Python 3.10's `datetime.fromisoformat` takes it (3.11 takes more): a trailing `Z`
    (UTC, as Home Assistant's history and many loggers export it) as `+00:00`, an offset without its colon (`+0100`)
    with it. On 3.10, the oldest Python PySEB claims (Ubuntu 22.04), such a trace was "not an ISO date-time"."""
    text = text.strip()
    if text[-1:] in ("Z", "z") and ":" in text:
        return text[:-1] + "+00:00"
    return _OFFSET_WITHOUT_COLON.sub(r"\1\2:\3", text) if ":" in text else text


def row_epoch(text: str, tz: tzinfo | None, fold: int = 0) -> float:
    """Epoch seconds of a row's ISO time (ValueError when it is none)."""
    stamp = datetime.fromisoformat(iso_as_python_310_reads_it(text))
    if stamp.tzinfo is None:
        # Naive times are wall-clock times of the house: read them in its zone (the system's if unset). `fold`
        # 1 is the second pass of a wall time that comes twice (the hour the clocks go back).
        stamp = stamp.replace(fold=fold)
        stamp = stamp.replace(tzinfo=tz) if tz is not None else stamp.astimezone()
    return stamp.timestamp()


def clock_change_hint(previous: float, at: float, step_s: float | None, tz: tzinfo | None) -> str:
    """What to say of a row (`at`, after `previous`) whose time breaks the step by just the change of the house's
    clock there: a logger that ignores summer time writes the skipped hour, or not the repeated one, and its naive
    times read on the house's clock have an hour too many or too few (it was "irregular step" or "does not come
    after", the clocks not named); "" for any other break."""
    before, after = utc_offset(at - 2 * 3600, tz), utc_offset(at + 2 * 3600, tz)
    if before is None or after is None or before == after or step_s is None:
        return ""
    if abs((at - previous) - (step_s - (after - before).total_seconds())) > 1e-3:
        return ""
    hours = before.total_seconds() / 3600
    # (Etc/GMT-1 is UTC+01:00: the POSIX sign; a zone of whole hours only)
    offsets = f"its times with their UTC offset (...T03:00:00{offset_hhmm(before)})"
    what = (f"Set [evaluate] timezone to the logger's own fixed zone in the config you replay with (Etc/GMT"
            f"{-int(hours):+d} is UTC{offset_hhmm(before)}), or write {offsets}" if hours == int(hours) and hours
            else f"Write {offsets}")
    return (f"; the house's clock changes here (UTC{offset_hhmm(before)} to UTC{offset_hhmm(after)}) and the trace's "
            f"times do not follow it: a logger that ignores summer time? {what}")


def check_one_day(name: str, times: np.ndarray, step_s: float, line_of_row: array[int], tz: tzinfo | None) -> int:
    """The rows to keep: all, or all but a last one exactly a day after the first (an export "00:00 to 24:00"
    inclusive, whose 24:00 is the next day's). A trace is a day at most: to the same time of day the next day (23 to
    25 h over the nights the clocks change: an evening to the next over October's is 25 h, and was refused as more
    than a day), from any time of day (an evening to past midnight is fine). Two days replayed as one carried the
    first day's full tank into the second (the simulated tank is filled once) and counted both days' energy as one
    day's figures, in tune's means too."""
    try:
        first = datetime.fromtimestamp(times[0], tz)
    except (ValueError, OverflowError, OSError):  # (year 0 or 10000 in this zone: out of Python's dates)
        first = None
    if first is None or first.year >= datetime.max.year or first.year <= datetime.min.year:
        # (its next day, or the day before, past the dates Python holds: an OverflowError's traceback)
        when = "" if first is None else f" {first.replace(tzinfo=None).isoformat(timespec='seconds')}:"
        raise TraceError(f"{name}:{line_of_row[0]}:{when} a date in the year 1 or 9999 (or out of range in this "
                         "zone), no recorded day")
    wall = first.replace(tzinfo=None) + timedelta(days=1)
    day_s = datetime(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second, wall.microsecond,
                     tzinfo=tz).timestamp() - times[0]
    # (the last row holds for a step: a day of rows 00:00 to 23:59 a minute apart is 24 h)
    later = int(np.searchsorted(times, times[0] + day_s - step_s, side="right"))
    if later == len(times) - 1 and abs(times[later] - (times[0] + day_s)) < 1e-3:
        return later
    if later < len(times):
        stamp = datetime.fromtimestamp(times[later], tz).replace(tzinfo=None).isoformat(timespec="seconds")
        raise TraceError(f"{name}:{line_of_row[later]}: {stamp} is more than a day after the first row "
                         f"({first.replace(tzinfo=None).isoformat(timespec='seconds')}): a trace is one day at "
                         "most; split a longer one into a file per day (tune takes several days)")
    return len(times)
