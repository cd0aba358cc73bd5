"""A day of a real house: PV production and base load from a CSV `time,production_w,house_w`."""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path

import numpy as np
import numpy.typing as npt

from simulation.trace_cells import TraceError, cell_watts, csv_rows, has_decimal_comma, separator_of
from simulation.trace_times import check_one_day, clock_change_hint, row_epoch
from values.local_time import local_instant
from values.text import NotText, windows_text

# A time of day on the command line (--from, --to, the demo's --start): ASCII digits only (int() and float() took
# "1_0" for 10 and full-width digits, float() "1e1" and "nan" for seconds).
_CLOCK = re.compile(r"([0-9]+):([0-9]+)(?::([0-9]+(?:\.[0-9]*)?))?", re.ASCII)

__all__ = ["Trace", "TraceError", "parse_clock", "read_trace"]

COLUMNS = ("time", "production_w", "house_w")



@dataclass(frozen=True, slots=True, eq=False)
class Trace:
    """Rows at a regular step: production is interpolated linearly, the house load held per row.

    The columns are float64 arrays (read-only), not tuples of floats: a day at a 0.2 s step is 432,000 rows, 10 MB
    so against 41 MB as Python floats (a Pi Zero has 512 MB). (Not compared with ==: an array's == is per value.)"""

    path: str
    times_s: np.ndarray  # epoch seconds of each row
    production_w: np.ndarray
    house_w: np.ndarray
    step_s: float
    tz: tzinfo | None  # zone the trace's naive times are read in (None: the system's)
    notes: tuple[str, ...] = ()  # what the reader had to assume (a recording's gaps), printed with the figures
    # Where the last row's hold ends when not a step after it: a recorded day's at its midnight (see end_s)
    held_until_s: float | None = None

    @property
    def start_s(self) -> float:
        """Epoch seconds of the first row."""
        return self.times_s[0]

    @property
    def end_s(self) -> float:
        """Epoch seconds where the last row's hold ends: a step after it, or `held_until_s` when set."""
        return self.times_s[-1] + self.step_s if self.held_until_s is None else self.held_until_s

    def day_start_s(self) -> float:
        """Epoch seconds of midnight of the trace's first day, in its zone."""
        first = datetime.fromtimestamp(self.start_s, self.tz)
        midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp()

    def production_at(self, times_s: npt.ArrayLike) -> np.ndarray:
        """PV watts at each time, linear between rows (held flat past the last row)."""
        return np.interp(np.asarray(times_s, dtype=float), self.times_s, self.production_w)

    def house_at(self, times_s: npt.ArrayLike) -> np.ndarray:
        """House base-load watts at each time: the value of the row in force then."""
        starts = self.times_s
        rows = np.clip(np.searchsorted(starts, times_s, side="right") - 1, 0, len(starts) - 1)
        return self.house_w[rows]

    def clock(self, time_s: float) -> str:
        """Time of day `HH:MM:SS` of an epoch time, in the trace's zone."""
        return datetime.fromtimestamp(time_s, self.tz).strftime("%H:%M:%S")

    def hhmm(self, time_s: float) -> str:
        """`HH:MM` of an epoch time; the end of the first day reads `24:00`, not `00:00`, and so does the trace's end
        within a minute after it (a trace's last row at 23:59:30 a minute long ends at 00:00:30: it read "00:00 to
        00:00")."""
        midnight_s = self.at_clock("24:00")
        if abs(time_s - midnight_s) < 1e-6 or (time_s == self.end_s and midnight_s < time_s < midnight_s + 60.0):
            return "24:00"
        return self.clock(time_s)[:5]

    def said(self, time_s: float) -> str:
        """`hhmm` of an epoch time, `HH:MM:SS` when it is not on a whole minute (a `--start 06:00:30` was said `06:00`,
        and its minute's end `06:01`)."""
        hhmm, hhmmss = self.hhmm(time_s), self.clock(time_s)
        return hhmm if hhmm == "24:00" or hhmmss.endswith(":00") else hhmmss

    def at_clock(self, text: str, days_later: int = 0) -> float:
        """Epoch seconds of `HH:MM[:SS]` on the trace's first day (`24:00` is the next midnight), or `days_later`,
        as the house's clock reads it: on a day the clocks change, 08:00 is not midnight + 8 h."""
        seconds = parse_clock(text) + 86400 * days_later
        first = datetime.fromtimestamp(self.start_s, self.tz)
        day = first.date() + timedelta(days=int(seconds // 86400))
        hours, rest = divmod(int(seconds % 86400), 3600)
        # (a time the clocks skip, 02:30 the night they go forward, is the jump itself: the house's clock first reads
        # it or later then, at 03:00)
        return local_instant(day, time(hours, rest // 60, rest % 60), self.tz) + (seconds - int(seconds))


def parse_clock(text: str) -> float:
    """Seconds since midnight of `HH:MM` or `HH:MM:SS`; ValueError with a readable message."""
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"expected a time of day HH:MM or HH:MM:SS, got {text!r}")
    hours, minutes = int(match[1]), int(match[2])
    seconds = float(match[3]) if match[3] else 0.0
    if not (0 <= minutes < 60 and 0 <= seconds < 60 and 0 <= hours <= 24):
        raise ValueError(f"not a time of day: {text!r}")
    total = hours * 3600 + minutes * 60 + seconds
    if total > 86400:
        raise ValueError(f"not a time of day: {text!r}")
    return total


# What a trace's columns hold, for an export whose header names them otherwise (Home Assistant's, a logger's).
_COLUMNS_TOLD = ("rename the columns of another tool's export: time: the date and time of the row; production_w: the "
                 "PV's production in W; house_w: the house's own consumption in W, without the loads PySEB drives")

# A whole day's watts all under this are kilowatts (a house's own load alone, a fridge and a router, is more).
_KILOWATTS_BELOW_W = 50.0


def _kilowatts_note(name: str, production: np.ndarray, house: np.ndarray) -> tuple[str, ...]:
    """A note when the watts look like kilowatts (an export in kW replayed as watts diverts nothing, silently)."""
    top_pv, top_house = float(production.max()), float(house.max())
    if top_house >= _KILOWATTS_BELOW_W or top_pv >= _KILOWATTS_BELOW_W or top_pv + top_house == 0:
        return ()
    return (f"{name}: production_w is at most {top_pv:g} W and house_w {top_house:g} W: kilowatts? The columns are "
            "watts: multiply them by 1000",)


def read_trace(path: str | Path, tz: tzinfo | None = None) -> Trace:
    """Read and check a trace CSV (header `time,production_w,house_w`, ISO times, regular step)."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise TraceError(f"{name}: trace file not found") from None  # the calibration tool's wording
    except OSError as exc:
        raise TraceError(f"{name}: cannot read the trace: {exc.strerror or exc}") from None
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # (a zip: .xlsx, .ods; an OLE file: .xls)
        raise TraceError(f"{name}: a spreadsheet's own file (.xlsx, .ods, .xls), not a CSV: save it from the "
                         f"spreadsheet as CSV (File, Save as, CSV), the columns {','.join(COLUMNS)}")
    # (UTF-8 with a BOM, or Windows' own encoding: what PySEB reads, the header, ISO times and numbers, is ASCII)
    try:
        text = windows_text(raw, refuse_utf16=True)  # (UTF-16's NULs were printed in the header's error)
    except NotText as exc:
        raise TraceError(f"{name}: {exc}") from None
    del raw  # (the bytes are the text again: 14 MB for a day at a 0.2 s step)
    separator = separator_of(text)
    lines = csv_rows(text, separator, name)
    first = next(lines, None)
    if first is None:
        raise TraceError(f"{name}: empty file (expected a header {','.join(COLUMNS)})")
    header = [cell.strip() for cell in first]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise TraceError(f"{name}:1: header lacks {', '.join(missing)} (expected {','.join(COLUMNS)}; found "
                         f"{', '.join(header)}): {_COLUMNS_TOLD}")
    col = {c: header.index(c) for c in COLUMNS}
    # (only tabs and semicolons read them twice)
    rows_after_header = csv_rows(text, separator, name) if separator != "," else iter(())
    next(rows_after_header, None)
    decimal_comma = has_decimal_comma(name, rows_after_header, (col["production_w"], col["house_w"]), separator)
    # Arrays of C doubles, not lists of Python floats (8 bytes a value, not 32).
    times, production, house = array("d"), array("d"), array("d")
    line_of_row = array("l")
    for number, cells in enumerate(lines, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        where = f"{name}:{number}"
        if len(cells) < len(header):
            raise TraceError(f"{where}: {len(cells)} fields, expected {len(header)}")
        try:
            stamp = row_epoch(cells[col["time"]], tz)
        except ValueError:
            raise TraceError(f"{where}: time is not an ISO date-time: {cells[col['time']]!r}; write it year first: "
                             "2022-03-19T08:00:00 or 2022-03-19 08:00 (a UTC offset after it if the file has one, "
                             "+01:00 or Z)") from None
        if times and stamp <= times[-1]:
            # A logger of naive wall-clock times writes the hour the clocks go back twice (02:00 to 02:59 in
            # Paris): its second pass is the later one. A time that is not ambiguous reads the same either way.
            stamp = row_epoch(cells[col["time"]], tz, fold=1)
        if times and stamp <= times[-1]:
            step_s = times[-1] - times[-2] if len(times) > 1 else None
            raise TraceError(f"{where}: time {cells[col['time']]} does not come after the row before"
                             f"{clock_change_hint(times[-1], stamp, step_s, tz)}")
        times.append(stamp)
        line_of_row.append(number)
        production.append(cell_watts(cells[col["production_w"]], where, "production_w", decimal_comma))
        house.append(cell_watts(cells[col["house_w"]], where, "house_w", decimal_comma))
    if len(times) < 2:
        raise TraceError(f"{name}: needs at least two rows, found {len(times)}")
    times_s = _read_only(times)
    steps = np.diff(times_s)
    step = float(steps[0])
    irregular = np.nonzero(np.abs(steps - step) > 1e-3)[0]
    if irregular.size:
        bad = int(irregular[0])
        rows = steps[bad] / step - 1  # (a whole number of steps: a logger's rows left out, which a fix can add)
        where = f"{name}:{line_of_row[bad + 1]}: irregular step ({steps[bad]:g} s after {step:g} s"
        clocks = clock_change_hint(float(times_s[bad]), float(times_s[bad + 1]), step, tz)
        if clocks:  # (no rows to add, nothing to resample: the clock's hour)
            raise TraceError(f"{where}){clocks}")
        gap = rows >= 1 and abs(rows - round(rows)) < 1e-3
        lost = f": {rows:.0f} row(s) missing before this one?" if gap else ""
        add = "add the missing rows (the readings around the gap held across it), or " if gap else ""
        raise TraceError(f"{where}{lost}); a trace needs one regular step: {add}resample the file to one row every "
                         f"{step:g} s")
    kept = check_one_day(name, times_s, step, line_of_row, tz)
    production_w, house_w = _read_only(production)[:kept], _read_only(house)[:kept]
    notes = _kilowatts_note(name, production_w, house_w)
    if kept < len(times_s):
        notes += (f"{name}:{line_of_row[kept]}: a row a day after the first (an export with both ends of its day, "
                  "00:00 and 24:00): left out, as the next day's start",)
        times_s = times_s[:kept]
    return Trace(name, times_s, production_w, house_w, step, tz, notes)


def _read_only(values: array[float]) -> np.ndarray:
    """The values as a read-only float64 array, sharing their memory (no copy): a trace's columns, set once."""
    column = np.frombuffer(values, dtype=np.float64)
    column.flags.writeable = False
    return column
