"""A trace as a spreadsheet saves it: cells separated by commas, semicolons or tabs."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.trace import TraceError, read_trace


def write_trace(path: Path, separator: str, watts: str) -> Path:
    rows = [("time", "production_w", "house_w"), ("2026-06-01T12:00:00", watts, "300"),
            ("2026-06-01T12:01:00", watts, "300")]
    path.write_text("".join(separator.join(row) + "\n" for row in rows))
    return path


@pytest.mark.parametrize(("separator", "watts"), [(",", "1000.5"), (";", "1000,5"), ("\t", "1000.5"), ("\t", "1000,5"),
                                                 (";", "1000.5")])
def test_a_trace_reads_whatever_its_separator(tmp_path: Path, separator: str, watts: str) -> None:
    # (tabs: a spreadsheet's "text, tab-separated" export, or its cells copied and pasted into an editor; they were
    # "header lacks time, production_w, house_w", a header that has all three)
    trace = read_trace(write_trace(tmp_path / "day.csv", separator, watts))
    assert tuple(trace.production_w) == (1000.5, 1000.5) and tuple(trace.house_w) == (300.0, 300.0)


def test_semicolons_with_decimal_points_are_read_and_a_thousands_point_still_refused(tmp_path: Path) -> None:
    # (a logger writing `;` and decimal points: its every '.' was refused as a thousands separator; "1.234" alone
    # is still 1.234 W or 1234 W, not told)
    assert read_trace(write_trace(tmp_path / "point.csv", ";", "1000.25")).production_w[0] == 1000.25
    with pytest.raises(TraceError, match=r"production_w '1.234' has a '.' in a file whose numbers have a decimal "
                                         r"comma \(a thousands separator\?\)"):
        read_trace(write_trace(tmp_path / "thousands.csv", ";", "1.234"))


def test_a_utf16_trace_says_so(tmp_path: Path) -> None:
    path = write_trace(tmp_path / "day.csv", ",", "1000")
    path.write_text(path.read_text(), encoding="utf-16")  # (Notepad's "Unicode": its NULs were printed in the error)
    with pytest.raises(TraceError, match=r"day.csv: the file is UTF-16 \(Notepad's \"Unicode\"\): save it as UTF-8"):
        read_trace(path)


def test_a_tab_separated_trace_with_a_thousands_point_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="thousands separator"):
        read_trace(write_trace(tmp_path / "day.csv", "\t", "1.000,5"))


def test_a_tab_separated_trace_whose_commas_may_be_thousands_is_refused(tmp_path: Path) -> None:
    # An English sheet formatted #,##0: 1,234 was read 1.234 W, silently, and replay and tune advised on it.
    with pytest.raises(TraceError, match=r"day.csv:2: '1,234': a decimal comma, or a thousands separator\?"):
        read_trace(write_trace(tmp_path / "day.csv", "\t", "1,234"))


def test_a_comma_in_another_column_of_a_tab_separated_trace_says_nothing_of_the_watts(tmp_path: Path) -> None:
    rows = [("time", "production_w", "house_w", "sky"), ("2026-06-01T12:00:00", "1000.5", "300", "cloudy, windy"),
            ("2026-06-01T12:01:00", "1000.5", "300", "clear")]
    path = tmp_path / "day.csv"
    path.write_text("".join("\t".join(row) + "\n" for row in rows))
    assert tuple(read_trace(path).production_w) == (1000.5, 1000.5)


@pytest.mark.parametrize("separator", [",", "\t"])
def test_a_quote_left_open_is_a_trace_error_naming_its_line(tmp_path: Path, separator: str) -> None:
    # Its cell swallows the lines after it: past the csv module's 128 KiB a cell, a traceback (csv.Error).
    rows = [f"2022-03-19T06:{i // 30:02d}:{i % 30 * 2:02d}{separator}100{separator}200" for i in range(9000)]
    rows[100] = rows[100].replace(f"{separator}100{separator}", f'{separator}"12,400{separator}')
    path = tmp_path / "quote.csv"
    path.write_text(separator.join(("time", "production_w", "house_w")) + "\n" + "\n".join(rows) + "\n")
    with pytest.raises(TraceError, match=r"quote\.csv:102: field larger than field limit .*: a quote \(\"\) left "
                                         r"open at this line or after it\?"):
        read_trace(path)
