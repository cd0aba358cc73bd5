"""The cells of a trace CSV as spreadsheets and loggers save them: the separator, the lines one at a time, a decimal
comma told from a thousands separator, a reading in watts; each refusal a TraceError naming the file and line."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Iterator

from values.numbers import UNDERSCORE_ADVICE, text_float

__all__ = ["TraceError", "cell_watts", "csv_rows", "has_decimal_comma", "separator_of"]


class TraceError(ValueError):
    """A trace file that cannot be used; the message names the file and line."""


def cell_watts(text: str, where: str, column: str, decimal_comma: bool = False) -> float:
    """A reading in watts: a finite number >= 0 (with a decimal comma when the file has one)."""
    if decimal_comma and "." in text:
        # (1.234 in a ';' file is a thousands separator: 1234 W, not 1.234 W)
        raise TraceError(f"{where}: {column} {text.strip()!r} has a '.' in a file whose numbers have a decimal "
                         "comma (a thousands separator?): save the numbers without it")
    try:  # (ASCII digits, as the calibration CSV's: float() read 1_000 as 1000 and full-width digits as ASCII)
        value = text_float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        if "_" in text:
            raise TraceError(f"{where}: {column} is not a number: {text!r} ({UNDERSCORE_ADVICE})") from None
        raise TraceError(f"{where}: {column} is not a number: {text!r}: write the reading in watts, a number "
                         "alone (a logger's gap, empty or 'unavailable': fill it in from the rows around it)") from None
    if not math.isfinite(value) or value < 0:
        raise TraceError(f"{where}: {column} must be a finite number >= 0, got {text!r}")
    return value


def separator_of(text: str) -> str:
    """A trace's separator. As a spreadsheet saves it too: `;` between the cells with a decimal comma (Excel in a
    French locale), or tabs (a "tab-separated" export, cells copied and pasted); else commas."""
    first, _, _ = text.partition("\n")
    return max((",", ";", "\t"), key=first.count)  # (the header's separator; a tie, none: commas)


# A line and its end, as `open(newline="")` splits them (\r\n, \r or \n): the csv module's own input.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def csv_rows(text: str, separator: str, name: str = "") -> Iterator[list[str]]:
    """The rows of a trace's text one at a time, its lines cut from it one at a time too: a day at a 0.2 s step
    (14 MB) held as lists of cells took 180 MB more, and an `io.StringIO` of it, four bytes a character, 58 MB. What
    the csv module refuses (a cell over its 128 KiB: a quote left open swallows the lines after it) is a TraceError
    naming the line where the row began (it was a traceback)."""
    reader = csv.reader((line.group() for line in _LINE.finditer(text)), delimiter=separator)
    began = 1
    try:
        for row in reader:
            yield row
            began = reader.line_num + 1
    except csv.Error as exc:
        raise TraceError(f"{name}:{began}: {exc}: a quote (\") left open at this line or after it? A trace's cells "
                         "are numbers and times, unquoted") from None


def _thousands(mark: str) -> re.Pattern[str]:
    """A number `mark` may have written as a thousands separator (1,234 or 12.345.678): one pattern for both marks,
    which each file's separator calls for (a comma after tabs, a point after `;`)."""
    return re.compile(rf"\s*\d{{1,3}}({re.escape(mark)}\d{{3}})+\s*")


# A number a thousands comma may have written (1,234 or 12,345,678): in a tab-separated file, 1.234 W or 1234 W?
_THOUSANDS = _thousands(",")


def has_decimal_comma(name: str, rows: Iterable[list[str]], columns: tuple[int, ...], separator: str) -> bool:
    """Whether the watts of `rows` (the data rows, from line 2; their `columns`) have a decimal comma: never after
    `,`; after `;`, unless none holds a comma and they hold decimal points (_semicolons_decimal_comma); after tabs,
    when the watts hold a comma, told from them (another column's text, "cloudy, windy", says nothing) and refused
    when every one could be a thousands separator (an English sheet's 1,234 read 1.234 W)."""
    if separator == ",":
        return False
    if separator == ";":
        return _semicolons_decimal_comma(name, rows, columns)
    first: tuple[int, str] | None = None  # (the first comma, in the file's order: the one the refusal names)
    for number, cells in enumerate(rows, start=2):
        for i in sorted(columns):
            if i < len(cells) and "," in cells[i]:
                if not _THOUSANDS.fullmatch(cells[i]):
                    return True  # (one that cannot be a thousands separator: decimal commas)
                first = first or (number, cells[i])
    if first is not None:
        number, cell = first
        raise TraceError(f"{name}:{number}: {cell.strip()!r}: a decimal comma, or a thousands separator? Save the "
                         "watts without thousands separators (or with a decimal comma that is not followed by "
                         "three digits, as 1234,5)")
    return False


# A number a thousands point may have written (1.234 or 12.345.678): after `;`, 1.234 W or 1234 W?
_THOUSANDS_POINT = _thousands(".")


def _semicolons_decimal_comma(name: str, rows: Iterable[list[str]], columns: tuple[int, ...]) -> bool:
    """After `;` (a spreadsheet in a French or German locale), the watts have a decimal comma, unless none holds a
    comma and one holds a point that cannot be a thousands separator (1000.5: a logger writing `;` and decimal
    points; its every '.' was refused as a thousands separator). Points that all could be one (1.234), with no comma
    anywhere, are still refused when read (cell_watts): 1.234 W or 1234 W is not told."""
    point = False
    for cells in rows:
        for i in columns:
            if i < len(cells):
                if "," in cells[i]:
                    return True
                point = point or ("." in cells[i] and not _THOUSANDS_POINT.fullmatch(cells[i]))
    return not point
