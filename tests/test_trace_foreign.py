"""A CSV another tool exported (a logger, Home Assistant, a spreadsheet) given as a trace: what it lacks is said with
how to make it one, never only that it is wrong."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from recording.format import RecordError, read_record
from simulation.trace import TraceError, read_trace

HEADER = "time,production_w,house_w\n"


def refusal(path: Path, text: str) -> str:
    path.write_text(text)
    with pytest.raises(TraceError) as caught:
        read_trace(path)
    return str(caught.value)


def test_another_tools_header_is_told_what_each_column_holds(tmp_path: Path) -> None:
    message = refusal(tmp_path / "export.csv", "timestamp,pv,load\n2022-03-19 08:00,1200,300\n")
    assert message.startswith(f"{tmp_path / 'export.csv'}:1: header lacks time, production_w, house_w")
    # (the columns found, and what to rename them to: the PV's watts, the house's own load without the routed loads)
    assert "found timestamp, pv, load" in message
    assert "rename" in message and "production_w: the PV's production in W" in message
    assert "house_w: the house's own consumption in W, without the loads PySEB drives" in message


@pytest.mark.parametrize("stamp", ["19/03/2022 08:00", "1647676800", "03/19/2022 8:00 AM"])
def test_a_time_not_iso_is_shown_how_to_write_it(tmp_path: Path, stamp: str) -> None:
    message = refusal(tmp_path / "t.csv", f"{HEADER}{stamp},1200,300\n")
    assert f"t.csv:2: time is not an ISO date-time: {stamp!r}" in message
    assert "write it year first: 2022-03-19T08:00:00 or 2022-03-19 08:00" in message


def test_a_missing_row_is_counted_and_the_fix_said(tmp_path: Path) -> None:
    message = refusal(tmp_path / "t.csv", f"{HEADER}2022-03-19T08:00:00,0,100\n2022-03-19T08:01:00,0,100\n"
                                          "2022-03-19T08:04:00,0,100\n")
    assert "t.csv:4: irregular step (180 s after 60 s: 2 row(s) missing before this one?)" in message
    assert "add the missing rows" in message


@pytest.mark.parametrize("third, step_s", [("08:02:30", 90), ("08:03:30", 150)])  # (150 s: over a step, not 2)
def test_a_step_not_a_multiple_says_no_count_of_rows(tmp_path: Path, third: str, step_s: int) -> None:
    message = refusal(tmp_path / "t.csv", f"{HEADER}2022-03-19T08:00:00,0,100\n2022-03-19T08:01:00,0,100\n"
                                          f"2022-03-19T{third},0,100\n")
    assert f"t.csv:4: irregular step ({step_s} s after 60 s);" in message and "row(s) missing" not in message
    assert "resample the file to one row every 60 s" in message


@pytest.mark.parametrize("cell", ["", "unavailable"])
def test_an_empty_or_unavailable_reading_says_to_fill_it_in(tmp_path: Path, cell: str) -> None:
    message = refusal(tmp_path / "t.csv", f"{HEADER}2022-03-19T08:00:00,1200,300\n2022-03-19T08:01:00,{cell},300\n")
    assert f"t.csv:3: production_w is not a number: {cell!r}" in message
    assert "write the reading in watts, a number alone (a logger's gap, empty or 'unavailable': fill it in" in message


def test_a_trace_in_kilowatts_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "kw.csv"
    path.write_text(f"{HEADER}2022-03-19T08:00:00,1.2,0.3\n2022-03-19T08:01:00,1.35,0.28\n")
    notes = read_trace(path).notes
    assert len(notes) == 1 and notes[0].startswith(f"{path}: production_w is at most 1.35 W and house_w 0.3 W")
    assert "multiply them by 1000" in notes[0]


@pytest.mark.parametrize("production, house", [
    ("0,1350", "250,280"),
    ("0,0", "60,75"),  # a night's trace: a small house's own load, no PV
    ("1350,2000", "30,40"),  # a house meter on the other circuits: its watts low, the PV's not
    ("0,0", "0,0"),  # nothing at all: no unit to guess
])
def test_a_trace_in_watts_has_no_such_note(tmp_path: Path, production: str, house: str) -> None:
    (pv1, pv2), (house1, house2) = production.split(","), house.split(",")
    path = tmp_path / "w.csv"
    path.write_text(f"{HEADER}2022-03-19T08:00:00,{pv1},{house1}\n2022-03-19T08:01:00,{pv2},{house2}\n")
    assert read_trace(path).notes == ()


def test_a_big_array_in_kilowatts_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "kw.csv"  # (9 kWp: its kilowatts still under 50)
    path.write_text(f"{HEADER}2022-03-19T12:00:00,8.7,0.4\n2022-03-19T12:01:00,9.1,0.5\n")
    notes = read_trace(path).notes
    assert len(notes) == 1 and notes[0].startswith(f"{path}: production_w is at most 9.1 W and house_w 0.5 W")


@pytest.mark.parametrize("start", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_a_spreadsheet_workbook_is_told_to_be_saved_as_csv(tmp_path: Path, start: bytes) -> None:
    path = tmp_path / "day.xlsx"
    path.write_bytes(start + b"\x00\x01binary")
    with pytest.raises(TraceError) as caught:
        read_trace(path)
    assert str(caught.value) == (f"{path}: a spreadsheet's own file (.xlsx, .ods, .xls), not a CSV: save it from the "
                                 "spreadsheet as CSV (File, Save as, CSV), the columns time,production_w,house_w")


def test_a_trace_packed_with_gzip_is_told_to_be_unpacked(tmp_path: Path) -> None:
    path = tmp_path / "day.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}2022-03-19T08:00:00,1200,300\n".encode()))
    with pytest.raises(RecordError) as caught:
        read_record(path)
    assert str(caught.value) == (f"{path}:1: a trace ({HEADER.strip()}) packed with gzip: unpack it (gunzip "
                                 f"{path}) for replay and tune; report takes a day PySEB recorded")


def test_report_of_a_trace_says_to_replay_it(tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    path.write_text(f"{HEADER}2022-03-19T08:00:00,1200,300\n")
    with pytest.raises(RecordError) as caught:
        read_record(path)
    assert str(caught.value).endswith("; a trace (time,production_w,house_w) has no decisions to report: replay it "
                                      f"(python3 -m simulation replay {path} -c config.ini)")


@pytest.mark.parametrize(("day", "said"), [
    ("2022-03-27", "t.csv:182: time 2022-03-27T03:00:00 does not come after the row before; the house's clock changes "
                   "here (UTC+01:00 to UTC+02:00)"),
    ("2022-10-30", "t.csv:182: irregular step (3660 s after 60 s); the house's clock changes here (UTC+02:00 to "
                   "UTC+01:00)")])
def test_a_logger_ignoring_summer_time_is_told_the_clocks_change(tmp_path: Path, day: str, said: str) -> None:
    # A logger on a fixed offset writes 00:00 to 23:59 on the nights the house's clock changes: read in Paris, its
    # 03:00 came before its 02:59 (March), or an hour after its 02:59 (October): it was said "does not come after",
    # or "60 rows missing: add them", without a word of the clock.
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    first = datetime.fromisoformat(f"{day}T00:00:00")
    rows = "".join(f"{(first + timedelta(minutes=i)).isoformat()},0,300\n" for i in range(24 * 60))
    path = tmp_path / "t.csv"
    path.write_text(HEADER + rows)
    with pytest.raises(TraceError) as caught:
        read_trace(path, ZoneInfo("Europe/Paris"))
    message = str(caught.value)
    hours = 1 if day.endswith("03-27") else 2
    assert said in message and "add the missing rows" not in message
    assert (f"a logger that ignores summer time? Set [evaluate] timezone to the logger's own fixed zone in the config "
            f"you replay with (Etc/GMT-{hours} is UTC+0{hours}:00)") in message
    # (and that zone reads the day: what the message says works)
    assert len(read_trace(path, ZoneInfo(f"Etc/GMT-{hours}")).times_s) == 24 * 60


def test_a_break_near_the_clock_change_that_is_not_its_hour_names_no_clock(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    path = tmp_path / "t.csv"
    path.write_text(f"{HEADER}2022-10-30T01:00:00,0,100\n2022-10-30T01:01:00,0,100\n2022-10-30T01:05:00,0,100\n")
    with pytest.raises(TraceError) as caught:
        read_trace(path, ZoneInfo("Europe/Paris"))
    assert "3 row(s) missing" in str(caught.value) and "house's clock" not in str(caught.value)
