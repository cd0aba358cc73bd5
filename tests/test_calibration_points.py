"""Reading calibration CSVs: every accepted form, and clear refusals naming the file and the line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calibration import CalibrationError, load_curve, read_calibration_csv
from calibration.points import write_calibration_table

CALIBRATION = Path(__file__).resolve().parent.parent / "calibration"


def _write(tmp_path: Path, text: str, name: str = "sweep.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _s_curve_lines(comma: bool = False, header: str | None = None) -> str:
    lines = [header] if header else []
    for percent in np.arange(100.0, -0.5, -5.0):
        watts = 2000.0 / (1.0 + np.exp(-(percent - 50.0) / 10.0))
        line = f"{percent:.1f};{watts:.3f}"
        lines.append(line.replace(".", ",") if comma else line)
    return "\n".join(lines) + "\n"


def test_the_seeds_decimal_comma_table_reads_as_numbers() -> None:
    points = read_calibration_csv(CALIBRATION / "power_calibration_ECS-02_poly_decimal_comma.csv")
    assert len(points) == 201
    assert points.percent[0] == 0.0 and points.percent[-1] == 100.0  # sorted, although the file goes down
    assert points.watts[-1] == pytest.approx(2265.9585834265413)  # "100,0;2265,9585834265413"
    assert points.watts[points.percent == 1.0][0] == pytest.approx(26.453516767549942)  # "1,0;26,45..."


def test_decimal_comma_and_point_give_the_same_points(tmp_path: Path) -> None:
    comma = read_calibration_csv(_write(tmp_path, _s_curve_lines(comma=True), "comma.csv"))
    point = read_calibration_csv(_write(tmp_path, _s_curve_lines(comma=False), "point.csv"))
    np.testing.assert_array_equal(comma.percent, point.percent)
    np.testing.assert_array_equal(comma.watts, point.watts)


def test_header_blank_lines_comments_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + _s_curve_lines(header="percent;watts").replace("\n", "\r\n")
    text = "# sweep of 2024-05-01\r\n\r\n" + text + "\r\n"
    points = read_calibration_csv(_write(tmp_path, text))
    assert len(points) == 21


def test_rows_in_any_order_are_sorted_and_duplicates_averaged(tmp_path: Path) -> None:
    rows = [f"{p};{10 * p}" for p in range(0, 100, 10)] + ["100;900", "100;1100", "50;600"]
    rows.reverse()
    points = read_calibration_csv(_write(tmp_path, "\n".join(rows)))
    assert list(points.percent) == [float(p) for p in range(0, 101, 10)]
    assert points.watts[-1] == 1000.0  # (900 + 1100) / 2
    assert points.watts[5] == 550.0  # (500 + 600) / 2


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match=r"nope\.csv: calibration file not found"):
        read_calibration_csv(tmp_path / "nope.csv")


def test_a_directory(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="is a directory"):
        read_calibration_csv(tmp_path)


@pytest.mark.parametrize("text", ["", "\n\n  \n", "percent;watts\n", "# only a comment\n"])
def test_empty_files(tmp_path: Path, text: str) -> None:
    with pytest.raises(CalibrationError, match=r"sweep\.csv: no 'percent;watts' line \(empty file\)"):
        read_calibration_csv(_write(tmp_path, text))


@pytest.mark.parametrize(("bad_line", "message"), [
    ("42.5;abc", "watts 'abc' is not a number"),
    ("42.5", "expected 'percent;watts', got '42.5'"),
    ("42.5;100;7", "expected 'percent;watts'"),
    ("42,5,1;100", "percent '42,5,1' is not a number"),
    ("42.5;1_000", "watts '1_000' is not a number"),  # (Python's float() reads it as 1000)
    ("\uff14\uff12;100", "percent '\uff14\uff12' is not a number"),  # (full-width digits: float() reads 42)
    ("101;2300", "percent 101 is outside 0..100"),
    ("-1;0", "percent -1 is outside 0..100"),
    ("50;-3", "watts -3 is negative"),
    ("50;nan", "watts 'nan' is not a finite number"),
    ("50;inf", "watts 'inf' is not a finite number"),
    ("50\t100", "expected 'percent;watts'"),
])
def test_a_bad_line_is_named_with_its_number(tmp_path: Path, bad_line: str, message: str) -> None:
    lines = _s_curve_lines().splitlines()
    lines.insert(6, bad_line)  # line 7 of the file
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(CalibrationError) as caught:
        read_calibration_csv(path)
    assert str(caught.value).startswith(f"{path}, line 7: ")
    assert message in str(caught.value)


def test_a_trailing_separator_is_tolerated(tmp_path: Path) -> None:
    text = "".join(line + ";\n" for line in _s_curve_lines().splitlines())
    assert len(read_calibration_csv(_write(tmp_path, text))) == 21


def test_too_few_points(tmp_path: Path) -> None:
    text = "100;2000\n90;1900\n80;1700\n80;1690\n50;1000\n"
    with pytest.raises(CalibrationError, match=r"sweep\.csv: only 4 distinct percents.*at least 10"):
        read_calibration_csv(_write(tmp_path, text))
    with pytest.raises(CalibrationError, match=r"sweep\.csv: only 1 distinct percent \(line 2 is the last\)"):
        read_calibration_csv(_write(tmp_path, "100;2000\n100;2010\n"))  # (it read "only 1 distinct percents")


def test_a_file_saved_in_the_windows_code_page_reads(tmp_path: Path) -> None:
    # A spreadsheet's CSV or Notepad's "ANSI" on a French Windows: cp1252, not UTF-8. Its numbers are ASCII; an
    # accented header or comment made it "not a text file".
    text = "# mesuré après la coupure\r\n" + _s_curve_lines(comma=True, header="Pourcentage;Puissance électrique (W)")
    path = tmp_path / "sweep.csv"
    path.write_bytes(text.encode("cp1252"))
    points = read_calibration_csv(path)
    np.testing.assert_array_equal(points.watts, read_calibration_csv(_write(tmp_path, _s_curve_lines(), "u.csv")).watts)



@pytest.mark.parametrize("sign", ["\u00a0%", "%", " %"])
def test_a_spreadsheets_percent_column_reads(tmp_path: Path, sign: str) -> None:
    # A column formatted as percentages and saved as shown (LibreOffice's and Excel's default): '99,50 %' (a
    # no-break space in French), '99.50%'. It was 'not a number'.
    text = _s_curve_lines(comma=True).replace(";", f"{sign};")
    points = read_calibration_csv(_write(tmp_path, text))
    plain = read_calibration_csv(_write(tmp_path, _s_curve_lines(), "plain.csv"))
    np.testing.assert_array_equal(points.percent, plain.percent)
    np.testing.assert_array_equal(points.watts, plain.watts)
    with pytest.raises(CalibrationError, match="line 1: watts '1,000 %' is not a number"):
        read_calibration_csv(_write(tmp_path, "100;1,000 %\n"))  # (a percent sign on the watts is no percent)


def test_percents_saved_as_fractions_are_named(tmp_path: Path) -> None:
    # The same column saved as its values (0.995 for 99.5 %): refused as a sweep covering only 0..1 %, to be
    # finished with --resume.
    text = "".join(f"{float(p) / 100:g};{float(w)}\n" for p, w in (line.split(";") for line in
                                                                    _s_curve_lines().splitlines()))
    with pytest.raises(CalibrationError, match=r"sweep\.csv: the percents run from 0 to 1: fractions") as caught:
        load_curve(_write(tmp_path, text))
    assert "--resume" not in str(caught.value)


@pytest.mark.parametrize("method", ["robust", "poly"])
def test_watts_given_in_kw_are_named(tmp_path: Path, method: str) -> None:
    # 2.3 for 2.3 kW: the fit took it, "on from 31 % (0.5 W) to 100 % (2.3 W)" (a load conducts from 0.5 W above its
    # off level), and the daemon's refusal said only that no reading was above min_power.
    text = "".join(f"{p};{float(w) / 1000:.4f}\n" for p, w in (line.split(";") for line in
                                                              _s_curve_lines().splitlines()))
    with pytest.raises(CalibrationError, match=r"sweep\.csv: the highest reading is 1\.99 W, .*in kW "
                                               r"\(1\.99 for 1987 W\)"):
        load_curve(_write(tmp_path, text), method, min_power_w=150.0)  # (the daemon's default min_power)

def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "sweep.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(CalibrationError, match=r"sweep\.csv: not a text file"):
        read_calibration_csv(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    # Notepad's "Unicode" (and "Unicode big endian") saves UTF-16 with its mark: it was refused as "not a text file
    # (invalid start byte at byte 0)", a file the user can read in any editor.
    path = tmp_path / "sweep.csv"
    data = _s_curve_lines().encode(encoding)
    path.write_bytes(data if encoding == "utf-16" else b"\xfe\xff" + data)
    with pytest.raises(CalibrationError, match=r"sweep\.csv: the file is UTF-16 .*save it as UTF-8"):
        read_calibration_csv(path)


def test_a_tab_separated_file_is_told_how_to_save(tmp_path: Path) -> None:
    # A spreadsheet's "Text (Tab delimited)": told "expected 'percent,watts'", as if commas were the way.
    for comma in (True, False):
        path = _write(tmp_path, _s_curve_lines(comma=comma).replace(";", "\t"))
        with pytest.raises(CalibrationError, match=r"sweep\.csv, line 1: .*separated by a tab.*with ';' between"):
            read_calibration_csv(path)


def test_a_sweep_with_no_reading_above_min_power(tmp_path: Path) -> None:
    path = _write(tmp_path, _s_curve_lines())
    with pytest.raises(CalibrationError, match=r"sweep\.csv: no reading above min_power \(2500 W\)"):
        load_curve(path, min_power_w=2500.0)


def test_a_header_is_only_accepted_on_the_first_data_line(tmp_path: Path) -> None:
    text = _s_curve_lines() + "percent;watts\n"
    with pytest.raises(CalibrationError, match="line 22: percent 'percent' is not a number"):
        read_calibration_csv(_write(tmp_path, text))


def test_written_tables_read_back(tmp_path: Path) -> None:
    percent = np.round(np.arange(0, 201) * 0.5, 1)
    watts = percent * 20.0
    path = tmp_path / "table.csv"
    write_calibration_table(path, percent, watts)
    assert path.read_text().splitlines()[1] == "0.5;10.00"
    points = read_calibration_csv(path)
    np.testing.assert_allclose(points.watts, watts)
    assert not (tmp_path / "table.csv.tmp").exists()


@pytest.mark.parametrize("header", ["", "percent,watts\r\n"])
def test_an_english_spreadsheets_comma_separated_sweep_reads(tmp_path: Path, header: str) -> None:
    # `percent,watts` with decimal points, as an English spreadsheet saves a CSV: there is one way to read a line of
    # two fields. It was refused ("expected 'percent;watts'"), its first line taken for a header.
    real = CALIBRATION / "power_calibration_ECS-03.csv"
    text = header + real.read_text(encoding="utf-8").replace(";", ",").replace("\n", "\r\n")
    points = read_calibration_csv(_write(tmp_path, text))
    original = read_calibration_csv(real)
    np.testing.assert_array_equal(points.percent, original.percent)
    np.testing.assert_array_equal(points.watts, original.watts)
    with_trailing = read_calibration_csv(_write(tmp_path, text.replace("\r\n", ",\r\n"), "trailing.csv"))
    np.testing.assert_array_equal(with_trailing.watts, original.watts)


@pytest.mark.parametrize("bad_line", ["99,5,2287,92", "99,2287,5", "99.5,2287.9,12"])
def test_commas_both_between_fields_and_in_numbers_are_refused(tmp_path: Path, bad_line: str) -> None:
    # '99,5,2287,92' is 99.5 % at 2287.92 W or 99 % at 5.2287 W...: no reading is safe, the line is named.
    lines = _s_curve_lines().replace(";", ",").splitlines()
    lines.insert(6, bad_line)
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(CalibrationError) as caught:
        read_calibration_csv(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 7: {bad_line!r} has ")
    assert "';' between the fields" in message


def test_a_first_line_of_numbers_is_no_header(tmp_path: Path) -> None:
    # A header is words: '100.0,2290.5' in a ';' file was skipped as one, silently.
    path = _write(tmp_path, "100.0,2290.5\n" + _s_curve_lines())
    with pytest.raises(CalibrationError, match="line 1: expected 'percent;watts', got '100.0,2290.5'"):
        read_calibration_csv(path)


@pytest.mark.parametrize("comma", [False, True])
def test_a_spreadsheets_fully_quoted_fields_read(tmp_path: Path, comma: bool) -> None:
    # A spreadsheet told to quote its text cells, the numbers kept as text: `"100.0";"2290.5"`, its header quoted too.
    # Refused at line 2 ("percent '"100.0"' is not a number"). Quoted, a decimal comma between ',' fields is no longer
    # ambiguous: `"99,5","2287,92"` is one reading.
    real = CALIBRATION / "power_calibration_ECS-03.csv"
    original = read_calibration_csv(real)
    rows = [line.split(";") for line in real.read_text(encoding="utf-8").splitlines() if line.strip()]
    separator = "," if comma else ";"
    quoted = [f'"percent"{separator}"watts"'] + [
        separator.join(f'"{field.replace(".", ",") if comma else field}"' for field in row) for row in rows]
    points = read_calibration_csv(_write(tmp_path, "\r\n".join(quoted) + "\r\n"))
    np.testing.assert_array_equal(points.percent, original.percent)
    np.testing.assert_array_equal(points.watts, original.watts)


@pytest.mark.parametrize(("bad_line", "message"), [
    ('99,"5,2287",92', "has 3 fields separated by ','"),
    # An English spreadsheet's thousands separator, quoted: read as a decimal comma it was 2.29 W at 100 %, the
    # sweep refused as cut by a thermostat (a review's find).
    ('100.0,"2,290"', "'2,290' reads as a thousands separator (2,290 W) or a decimal comma alike"),
    ('99.5,"2,287.5"', "'2,287.5' reads as a thousands separator"),
    ('"99.5,2287.9', "expected 'percent,watts'"),
    ('"99.5","x"', "watts 'x' is not a number"),
])
def test_quoted_fields_that_do_not_make_a_reading_are_named(tmp_path: Path, bad_line: str, message: str) -> None:
    lines = _s_curve_lines().replace(";", ",").splitlines()
    lines.insert(6, bad_line)
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(CalibrationError) as caught:
        read_calibration_csv(path)
    assert str(caught.value).startswith(f"{path}, line 7: ")
    assert message in str(caught.value)
