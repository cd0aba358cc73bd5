"""The simulation's traces: read a minute a row (production linear between rows, the house held), ISO times as
Python 3.10 reads them, a spreadsheet's files, bad traces named with file and line, and times of day on the days
the clocks change."""

from __future__ import annotations

import re
from datetime import timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulation.trace import TraceError, parse_clock, read_trace
from simulation.trace_times import iso_as_python_310_reads_it
from tests.replay_days import write

ROOT = Path(__file__).resolve().parent.parent


def test_real_trace_reads_a_day_a_minute_a_row() -> None:
    trace = read_trace(ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv", timezone.utc)
    assert len(trace.times_s) == 1440
    assert trace.step_s == 60
    assert trace.clock(trace.start_s) == "00:00:00"
    assert trace.end_s - trace.start_s == 86400
    assert max(trace.production_w) == 4610


def test_production_is_linear_between_rows_and_house_held_per_row(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "time,production_w,house_w\n2022-03-19T10:00:00,0,100\n"
                                     "2022-03-19T10:01:00,600,400\n2022-03-19T10:02:00,600,400\n")
    trace = read_trace(path, timezone.utc)
    t0 = trace.start_s
    assert trace.production_at(np.array([t0, t0 + 15, t0 + 30, t0 + 60, t0 + 90])).tolist() == [0, 150, 300,
                                                                                                600, 600]
    assert trace.house_at(np.array([t0, t0 + 59.9, t0 + 60, t0 + 170])).tolist() == [100, 100, 400, 400]
    assert trace.at_clock("10:01") == t0 + 60


@pytest.mark.parametrize(("written", "read"), [
    ("2022-03-19T10:00:00Z", "2022-03-19T10:00:00+00:00"),  # Home Assistant's history export: UTC as Z
    ("2022-03-19T10:00:00.123456z", "2022-03-19T10:00:00.123456+00:00"),
    ("2022-03-19 10:00:00+0100", "2022-03-19 10:00:00+01:00"),  # an offset without its colon
    ("2022-03-19T10:00-0530", "2022-03-19T10:00-05:30"),
    (" 2022-03-19T10:00:00+01:00 ", "2022-03-19T10:00:00+01:00"),  # as 3.10 takes it already
    ("2022-03-19T10:00:00", "2022-03-19T10:00:00"),
    ("2022-03-19", "2022-03-19"),  # (a date alone: no time, no offset to mend)
])
def test_iso_times_are_written_as_python_3_10_reads_them(written: str, read: str) -> None:
    # Python 3.10 (Ubuntu 22.04; PySEB claims 3.10) refused "Z" and "+0100", which 3.11 takes: such a trace was
    # "not an ISO date-time" there.
    assert iso_as_python_310_reads_it(written) == read


def test_a_trace_in_utc_with_z_or_with_an_offset_without_colon_reads_the_same_instants(tmp_path: Path) -> None:
    header = "time,production_w,house_w\n"
    z = read_trace(write(tmp_path / "z.csv", header + "2022-03-19T09:00:00Z,0,100\n2022-03-19T09:01:00Z,600,400\n"),
                   None)
    offset = read_trace(write(tmp_path / "o.csv", header + "2022-03-19T10:00:00+0100,0,100\n"
                              "2022-03-19T10:01:00+0100,600,400\n"), None)
    assert z.start_s == offset.start_s == 1647680400 and z.step_s == offset.step_s == 60


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty file"),
    ("time,production_w\n2022-03-19T10:00:00,0\n", "t.csv:1: header lacks house_w"),
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:01:00,x,100\n",
     "t.csv:3: production_w is not a number"),
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:01:00,0,-5\n",
     "t.csv:3: house_w must be a finite number >= 0"),
    # (float() read them as 1000 and 50: the calibration CSV's and the config's rule, ASCII digits)
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:01:00,1_000,100\n",
     "t.csv:3: production_w is not a number: '1_000' (no '_' in a number"),
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:01:00,0,\uff150\n",
     "t.csv:3: house_w is not a number: '\uff150'"),
    ("time,production_w,house_w\nnoon,0,100\n", "t.csv:2: time is not an ISO date-time"),
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:00:00,0,100\n",
     "t.csv:3: time 2022-03-19T10:00:00 does not come after"),
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n2022-03-19T10:01:00,0,100\n"
     "2022-03-19T10:03:00,0,100\n", "t.csv:4: irregular step (120 s after 60 s: 1 row(s) missing"),
    ("time,production_w,house_w\n2022-03-19T10:00:00,0,100\n", "needs at least two rows"),
])
def test_bad_traces_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(TraceError, match=None) as caught:
        read_trace(write(tmp_path / "t.csv", text))
    assert message in str(caught.value)


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8-sig"),  # an Excel "CSV UTF-8": a BOM before the header
    lambda text: text.replace(",", ";").replace(".", ",").encode("cp1252"),  # Excel in French: ; and 1,5
    lambda text: text.replace(",", ";").replace(".", ",").replace("\n", "\r\n").encode("utf-8-sig"),
])
def test_a_trace_saved_by_a_spreadsheet_reads_the_same(tmp_path: Path, encode: Any) -> None:
    text = "time,production_w,house_w\n2022-03-19T10:00:00,0.5,100\n2022-03-19T10:01:00,600,400.25\n"
    plain = read_trace(write(tmp_path / "plain.csv", text), timezone.utc)
    (tmp_path / "sheet.csv").write_bytes(encode(text))
    sheet = read_trace(tmp_path / "sheet.csv", timezone.utc)
    assert list(sheet.production_w) == list(plain.production_w) == [0.5, 600]
    assert list(sheet.house_w) == list(plain.house_w) == [100, 400.25]
    assert list(sheet.times_s) == list(plain.times_s)


def test_a_thousands_separator_in_a_decimal_comma_trace_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sheet.csv"
    path.write_text("time;production_w;house_w\n2022-03-19T10:00:00;1.234;300\n2022-03-19T10:01:00;2,5;300\n")
    with pytest.raises(TraceError, match=r"sheet.csv:2: production_w '1.234' has a '.' in a file whose numbers have"):
        read_trace(path)


def test_missing_trace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="nope.csv: trace file not found"):
        read_trace(tmp_path / "nope.csv")


def test_parse_clock() -> None:
    assert parse_clock("05:00") == 5 * 3600
    assert parse_clock("21:30:15") == 21 * 3600 + 30 * 60 + 15
    assert parse_clock("24:00") == 86400
    assert parse_clock(" 9:05:30.5 ") == 9 * 3600 + 5 * 60 + 30.5
    # (int() and float() read "1_0" as 10, full-width digits as ASCII ones and "1e1" as 10: --from 1_0:00 was 10:00)
    for bad in ("5", "25:00", "10:61", "ab:cd", "24:01", "1_0:00", "\uff11\uff10:00", "10:00:1_5", "10:00:1e1",
                "+5:00", "10: 00", "10:00:nan"):
        with pytest.raises(ValueError, match="HH:MM|time of day"):
            parse_clock(bad)


@pytest.mark.parametrize("day, offset_h", [("2022-03-27", 2), ("2022-10-30", 1)])
def test_a_time_of_day_on_a_day_the_clocks_change_is_the_house_clocks(tmp_path: Path, day: str,
                                                                       offset_h: int) -> None:
    # 08:00 on the night the clocks change is not midnight + 8 h: --from/--to and tune's daylight read the
    # wall clock, as the trace's own times do.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from simulation.trace import read_trace

    paris = ZoneInfo("Europe/Paris")
    path = tmp_path / "dst.csv"
    midnight = datetime.fromisoformat(f"{day}T00:00:00").replace(tzinfo=paris).timestamp()
    rows = (datetime.fromtimestamp(midnight + 3600 * i, paris).isoformat() for i in range(23))
    path.write_text("time,production_w,house_w\n" + "".join(f"{row},0,300\n" for row in rows))
    trace = read_trace(path, paris)
    eight = trace.at_clock("08:00")
    assert eight == datetime.fromisoformat(f"{day}T08:00:00").replace(tzinfo=paris).timestamp()
    assert datetime.fromtimestamp(eight, paris).utcoffset().total_seconds() == offset_h * 3600
    assert trace.hhmm(eight) == "08:00" and trace.hhmm(trace.at_clock("24:00")) == "24:00"
    assert trace.hhmm(trace.at_clock("24:00") + 1) == "00:00"  # (a time of the next day, not the trace's end)
    assert trace.at_clock("24:00") - trace.at_clock("00:00") == (23 if offset_h == 2 else 25) * 3600


def test_a_time_of_day_the_clocks_skip_is_the_moment_they_jump(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    # 02:30 on the night the clocks go forward is no time of the house's clock: it was read with the offset before the
    # change, 03:30, and `replay --from 02:30 --to 03:30` said "--from 03:30 must come at least one period before --to
    # 03:30" of a --from the user never gave. The first time the house's clock reads at or after 02:30 is 03:00.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from simulation.__main__ import main
    from simulation.trace import read_trace
    from tests.replay_days import write_config

    paris = ZoneInfo("Europe/Paris")
    path = tmp_path / "dst.csv"
    midnight = datetime.fromisoformat("2022-03-27T00:00:00").replace(tzinfo=paris).timestamp()
    rows = (datetime.fromtimestamp(midnight + 60 * i, paris).isoformat() for i in range(6 * 60))
    path.write_text("time,production_w,house_w\n" + "".join(f"{row},0,300\n" for row in rows))
    trace = read_trace(path, paris)
    jump = datetime.fromisoformat("2022-03-27T03:00:00").replace(tzinfo=paris).timestamp()
    assert trace.at_clock("02:00") == trace.at_clock("02:30") == trace.at_clock("02:59:59") == jump
    assert trace.at_clock("03:00") == jump and trace.at_clock("01:59") == jump - 60
    config = write_config(tmp_path, "ecs = variable")
    config.write_text(config.read_text().replace("meter_timeout = 10", "meter_timeout = 10\ntimezone = Europe/Paris"))
    assert main(["replay", str(path), "-c", str(config), "--from", "02:30", "--to", "03:30"]) == 0
    out = capsys.readouterr().out
    assert "03:00 to 03:30, a period of 2 s" in out and "0.50 h" in out


@pytest.mark.parametrize("zone", ["given", "system"])
def test_naive_wall_clock_times_read_the_hour_the_clocks_go_back_twice(tmp_path: Path, zone: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # A logger writing the house's wall clock without an offset writes 02:00 to 02:59 twice on the night the
    # clocks go back: the second pass is the hour after, not a row out of order (the day was refused).
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    midnight = datetime.fromisoformat("2022-10-30T00:00:00").replace(tzinfo=paris).timestamp()
    walls = [datetime.fromtimestamp(midnight + 60 * k, paris).replace(tzinfo=None) for k in range(25 * 60)]
    assert walls[180] == walls[120]  # (02:00 comes twice)
    path = tmp_path / "autumn.csv"
    path.write_text("time,production_w,house_w\n"
                    + "".join(f"{wall.isoformat()},{k},300\n" for k, wall in enumerate(walls)))
    if zone == "system":
        monkeypatch.setenv("TZ", "Europe/Paris")
        time.tzset()
    try:
        trace = read_trace(path, paris if zone == "given" else None)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert len(trace.times_s) == 25 * 60 and trace.step_s == 60
    assert trace.times_s[0] == midnight and trace.end_s - trace.start_s == 25 * 3600
    assert trace.production_at([midnight + 180 * 60]).tolist() == [180.0]  # the second 02:00, an hour after the first


def test_a_naive_time_out_of_order_outside_that_hour_is_still_refused(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    path = write(tmp_path / "t.csv", "time,production_w,house_w\n2022-10-30T02:30:00,0,100\n"
                                     "2022-10-30T02:31:00,0,100\n2022-10-30T01:31:00,0,100\n")
    with pytest.raises(TraceError, match="t.csv:4: time 2022-10-30T01:31:00 does not come after"):
        read_trace(path, ZoneInfo("Europe/Paris"))


@pytest.mark.parametrize("first", ["2022-03-19T00:00:00", "2022-03-19T20:00:00", "2022-03-27T00:00:00"])
def test_a_trace_of_more_than_a_day_is_refused(tmp_path: Path, first: str) -> None:
    # Replayed as one, two days carried the first day's full tank into the second and were counted as one day's
    # figures (tune's means too): a day is the rows of the first row's day's length (23 h the night the clocks
    # go forward), from any time (an evening past midnight is one).
    from datetime import datetime
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    start = datetime.fromisoformat(first).replace(tzinfo=paris)
    hours = 23 if first.startswith("2022-03-27") else 24
    rows = [datetime.fromtimestamp(start.timestamp() + 600 * k, paris).replace(tzinfo=None).isoformat()
            for k in range(hours * 6 + 2)]
    day = read_trace(write(tmp_path / "day.csv", "time,production_w,house_w\n"
                           + "".join(f"{r},0,300\n" for r in rows[:-2])), paris)
    assert day.end_s - day.start_s == hours * 3600 and day.notes == ()
    # (a last row a day after the first, an export 00:00 to 24:00 inclusive: left out, and said; it was "split the
    # file")
    inclusive = read_trace(write(tmp_path / "inclusive.csv", "time,production_w,house_w\n"
                                 + "".join(f"{r},0,300\n" for r in rows[:-1])), paris)
    assert inclusive.end_s - inclusive.start_s == hours * 3600 and len(inclusive.times_s) == hours * 6
    assert len(inclusive.production_w) == len(inclusive.house_w) == hours * 6
    assert inclusive.notes == (f"{tmp_path / 'inclusive.csv'}:{hours * 6 + 2}: a row a day after the first (an "
                               "export with both ends of its day, 00:00 and 24:00): left out, as the next day's "
                               "start",)
    with pytest.raises(TraceError, match=rf"two.csv:{hours * 6 + 2}: {rows[-2]} is more than a day after the first "
                                         rf"row \({first}\): a trace is one day at most"):
        read_trace(write(tmp_path / "two.csv", "time,production_w,house_w\n" + "".join(f"{r},0,300\n" for r in rows)),
                   paris)


def test_an_evening_to_the_next_over_the_october_change_is_a_day(tmp_path: Path) -> None:
    # 20:00 to 20:00 the next evening over the night the clocks go back is 25 h: refused as "more than a day after the
    # first row" (the first row's day, 24 h long, was the measure), without naming the clock change. A day is to the
    # same time of day the next day.
    from datetime import datetime
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    start = datetime(2022, 10, 29, 20, tzinfo=paris).timestamp()
    rows = [datetime.fromtimestamp(start + 600 * k, paris).replace(tzinfo=None).isoformat() for k in range(25 * 6 + 2)]
    day = read_trace(write(tmp_path / "day.csv", "time,production_w,house_w\n"
                           + "".join(f"{r},0,300\n" for r in rows[:-2])), paris)
    assert day.end_s - day.start_s == 25 * 3600 and day.notes == ()
    with pytest.raises(TraceError, match=r"2022-10-30T20:00:00 is more than a day after the first row"):
        read_trace(write(tmp_path / "two.csv", "time,production_w,house_w\n" + "".join(f"{r},0,300\n" for r in rows)),
                   paris)


@pytest.mark.parametrize(("first", "said"), [
    ("9999-12-31T00:00:00", "9999-12-31T00:00:00: a date in the year 1 or 9999"),
    ("9999-12-31T20:00:00-05:00", "2: a date in the year 1 or 9999 (or out of range in this zone)"),  # (10000 here)
    ("0001-01-01T00:00:00", "2: a date in the year 1 or 9999 (or out of range in this zone)"),
])
def test_a_trace_at_the_ends_of_the_calendar_is_refused_clearly(tmp_path: Path, first: str, said: str) -> None:
    # (its next day past the last date Python holds, or the first row's instant out of them in the zone read:
    # an OverflowError's or a ValueError's traceback)
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    start = datetime.fromisoformat(first)
    rows = "".join(f"{(start + timedelta(minutes=10 * k)).isoformat()},0,300\n" for k in range(6))
    with pytest.raises(TraceError, match=re.escape(said)):
        read_trace(write(tmp_path / "far.csv", "time,production_w,house_w\n" + rows), ZoneInfo("Europe/Paris"))
