"""Calibration CSV files: `percent;watts` lines, read into sorted, de-duplicated points (numpy imported only for the
tools' CalibrationPoints: the daemon reads PlainPoints)."""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from values.numbers import text_float
from values.shown import counted
from values.text import NotText, has_utf16_mark, windows_text

if TYPE_CHECKING:
    import numpy as np

__all__ = ["MIN_POINTS", "CalibrationError", "CalibrationPoints", "PlainPoints", "calibration_text",
           "parse_calibration_rows", "read_calibration_csv", "read_plain_points", "write_calibration_table"]

MIN_POINTS = 10  # distinct percents: fewer cannot describe an S-shaped response


class CalibrationError(ValueError):
    """A calibration file or fit that cannot be used; the message names the file and, where it applies, the line."""


@dataclass(frozen=True, slots=True)
class CalibrationPoints:
    """Measured points sorted by percent (duplicates averaged); `source` names the file they came from."""

    percent: np.ndarray
    watts: np.ndarray
    source: str

    def __len__(self) -> int:
        return int(self.percent.size)


@dataclass(frozen=True, slots=True)
class PlainPoints:
    """CalibrationPoints as Python floats (the fit's input: no numpy in the daemon)."""

    percent: tuple[float, ...]
    watts: tuple[float, ...]
    source: str

    def __len__(self) -> int:
        return len(self.percent)


# A quoted field of a ',' file grouped in thousands: '2,290', '12,345.5' (never a decimal comma's '2287,92' or '99,5').
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def _number(text: str, what: str, where: str, sign: str = "") -> float:
    cleaned = text.strip()
    if sign and cleaned.endswith(sign):
        # A spreadsheet's percent column saved as shown (its default): '99,50 %', '99.50%'.
        cleaned = cleaned[: -len(sign)].strip()
    # The seed's sweep tool wrote decimal commas ("37,5") between ';' (a ',' file's fields hold no comma).
    cleaned = cleaned.replace(",", ".")
    try:
        value = text_float(cleaned)  # (ASCII only: float() reads "1_000" as 1000, full-width digits too)
    except ValueError:
        raise CalibrationError(f"{where}: {what} {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise CalibrationError(f"{where}: {what} {text.strip()!r} is not a finite number")
    return value


def _is_header(fields: list[str]) -> bool:
    """A first line whose fields are words, not numbers (e.g. `percent;watts`). A line with no letter is none:
    `100.0,2290.5` in a ';' file was skipped as a header, silently."""
    if not any(char.isalpha() for field in fields for char in field):
        return False
    for field in fields:
        try:
            text_float(field.strip().replace(",", "."))  # (as _number reads a field)
        except ValueError:
            continue
        return False
    return True


def _separator(lines: list[str]) -> str:
    """';' (this tool's, the seed's: decimal point or comma), unless no data line holds one: then ',' (the CSV of an
    English spreadsheet, decimal points), whose lines of two fields read one way only."""
    data = (line for line in lines if line.strip() and not line.strip().startswith("#"))
    return ";" if any(";" in line for line in data) else ","


def _fields(line: str, separator: str, where: str) -> list[str]:
    """The fields of a data line: exactly two (a trailing separator, as some spreadsheets write it, dropped)."""
    if separator == "," and "\t" in line:
        # A spreadsheet's "Text (Tab delimited)": told to use ',' (or that its decimal commas were fields).
        raise CalibrationError(f"{where}: {line!r} has its fields separated by a tab, where a calibration has "
                               f"'percent;watts': save the file with ';' between the fields")
    if '"' in line:
        # A spreadsheet that quotes every field ("Quote all text cells", numbers kept as text): `"99,5";"2287,92"`.
        # The quotes also tell a decimal comma from a ',' between fields, which nothing else can (below).
        fields = next(csv.reader([line], delimiter=separator, skipinitialspace=True))
        grouped = next((field for field in fields if separator == "," and _THOUSANDS.fullmatch(field.strip())), None)
        if grouped is not None:
            # An English spreadsheet quotes a number it shows with a thousands separator ("2,290" for 2290 W): read
            # as a decimal comma, 2.29 W, the sweep was refused as cut by a thermostat.
            raise CalibrationError(f"{where}: {grouped.strip()!r} reads as a thousands separator ({grouped.strip()} "
                                   f"W) or a decimal comma alike: save the numbers without a thousands separator")
    else:
        fields = line.split(separator)
    if len(fields) == 3 and not fields[2].strip():
        fields = fields[:2]
    if separator == "," and len(fields) > 2:
        # '99,5,2287,92' is 99.5 % at 2287.92 W, or 99 % at 5.2287 W...: no reading of it is safe.
        raise CalibrationError(f"{where}: {line!r} has {len(fields)} fields separated by ',', where a calibration "
                               f"has two (percent,watts); with decimal commas, the separator cannot be told from "
                               f"them: save the file with ';' between the fields")
    return fields


def parse_calibration_rows(text: str, source: str) -> list[tuple[int, float, float]]:
    """Parse the text of a calibration file into (line number, percent, watts) rows, in file order.

    Fields separated by ';', or by ',' in a file with no ';' (then decimal points). Blank lines and lines
    starting with '#' are skipped; the first data line may be a header. No minimum number of rows is
    required here (a sweep being resumed may hold only a few).
    """
    rows: list[tuple[int, float, float]] = []
    seen_data = False
    lines = text.splitlines()
    separator = _separator(lines)
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}, line {number}"
        fields = _fields(line, separator, where)
        if not seen_data and _is_header(fields):
            seen_data = True
            continue
        seen_data = True
        if len(fields) != 2:
            raise CalibrationError(f"{where}: expected 'percent{separator}watts', got {line!r}")
        percent = _number(fields[0], "percent", where, sign="%")
        watts = _number(fields[1], "watts", where)
        if not 0.0 <= percent <= 100.0:
            raise CalibrationError(f"{where}: percent {percent:g} is outside 0..100")
        if watts < 0.0:
            raise CalibrationError(f"{where}: watts {watts:g} is negative")
        rows.append((number, percent, watts))
    return rows


def calibration_text(data: bytes, source: str) -> str:
    """The text of a calibration file: UTF-8 (a BOM allowed), else the Windows code page a spreadsheet or Notepad
    saves in (a French header `Pourcentage;Puissance électrique`, a comment `# mesuré après coupure`: the numbers
    are ASCII either way). Refused, naming the file, when it is UTF-16 (saying how to save it), or holds NUL bytes
    and is not UTF-8: a binary file (valid UTF-8 with NULs is a sweep's file torn by a power cut, which the sweep
    repairs)."""
    # UTF-16 (Notepad's "Unicode") only by its mark: a sweep's file torn by a power cut may begin with NULs, the
    # other sign of UTF-16 to windows_text.
    try:
        return windows_text(data, refuse_utf16=has_utf16_mark(data), refuse_nul=True)
    except NotText as exc:
        raise CalibrationError(f"{source}: {exc}") from None


def read_plain_points(path: str | os.PathLike[str]) -> PlainPoints:
    """Read a `percent;watts` calibration CSV (decimal point or comma, optional header, any row order).

    Duplicate percents are averaged. Raises CalibrationError naming the file (and line) when the file
    is missing, empty, has an unparsable line, or holds fewer than MIN_POINTS distinct percents.
    """
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise CalibrationError(f"{source}: calibration file not found") from None
    except IsADirectoryError:
        raise CalibrationError(f"{source}: is a directory, not a calibration file") from None
    except OSError as exc:
        raise CalibrationError(f"{source}: cannot read ({exc.strerror})") from None
    rows = parse_calibration_rows(calibration_text(data, source), source)
    if not rows:
        raise CalibrationError(f"{source}: no 'percent;watts' line (empty file)")
    # A percent's readings summed in file order from 0.0, then divided by their count: numpy's bincount did the
    # same (the curves are the very same to the last bit: tests/test_calibration_plain_fit.py).
    sums: dict[float, list[float]] = {}
    for _, percent, watts in rows:
        total = sums.setdefault(percent, [0.0, 0.0])
        total[0] += watts
        total[1] += 1.0
    if len(sums) < MIN_POINTS:
        raise CalibrationError(f"{source}: only {counted(len(sums), 'distinct percent')} (line {rows[-1][0]} is the "
                               f"last); a calibration needs at least {MIN_POINTS}")
    percents = sorted(sums)
    return PlainPoints(percent=tuple(percents), watts=tuple(sums[p][0] / sums[p][1] for p in percents),
                       source=source)


def read_calibration_csv(path: str | os.PathLike[str]) -> CalibrationPoints:
    """read_plain_points as numpy arrays (the tools' points)."""
    import numpy as np

    plain = read_plain_points(path)
    return CalibrationPoints(percent=np.array(plain.percent, dtype=float), watts=np.array(plain.watts, dtype=float),
                             source=plain.source)


def write_calibration_table(path: str | os.PathLike[str], percent: np.ndarray, watts: np.ndarray) -> None:
    """Write `percent;watts` lines (decimal point, no header) atomically: temp file, then rename."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    lines = [f"{p:.1f};{w:.2f}\n" for p, w in zip(percent.tolist(), watts.tolist(), strict=True)]
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)  # (a folder as the output, a full disk: no `<name>.tmp` left beside it)
        raise
