"""`python3 -m simulation report` on awkward recorded days: a DST change, a clock stepped back, a day with no
sun, an empty day; and the report's units and fields as a user reads them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from recording.format import format_rows, read_record
from simulation.report import plot_report, report_day
from tests.day_files import PARIS, drawn_figure, paris, rec, write_day


def test_the_plot_of_a_dst_day_labels_each_time_at_its_own_offset(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.dates as mdates

    # 2026-03-29 in Paris: 02:00 +01:00 becomes 03:00 +02:00. One decision every 4 s from 00:00 to 06:00, the house
    # at 1500 W from 03:00 to 04:00 (local, +02:00), 500 W otherwise.
    start, bump = paris("2026-03-29", "00:00:01"), paris("2026-03-29", "03:00:00")
    records = [rec(t, 1500 if bump <= t < bump + 3600 else 500, 0) for t in (start + 4 * i for i in range(5 * 900))]
    path = write_day(tmp_path / "pyseb-2026-03-29.csv.gz", records)
    saved = drawn_figure(monkeypatch)
    report, day = report_day(path)
    plot_report(tmp_path / "day.png", report, day)
    axis = saved[0].axes[0].xaxis
    label = axis.get_major_formatter()
    at_bump = mdates.date2num(datetime.fromtimestamp(bump + 30 * 60, PARIS))
    assert label(at_bump) == "03:30"  # was 02:30: the first row's +01:00 for the whole day
    # The ticks fall on the house's whole hours, after the change too.
    ticks = [label(x) for x in axis.get_major_locator()()]
    assert "04:00" in ticks and all(tick.endswith(":00") or tick.endswith(":30") for tick in ticks)
    assert label(mdates.date2num(datetime.fromtimestamp(records[-1].time_s, PARIS))) == "05:59"
    for record in records[::50]:  # every time as the house's clock showed it
        shown = datetime.fromtimestamp(record.time_s, PARIS)
        assert label(mdates.date2num(shown)) == shown.strftime("%H:%M")


def test_a_dst_day_s_rows_read_back_at_their_own_offsets(tmp_path: Path) -> None:
    # The autumn change, 03:00 +02:00 back to 02:00 +01:00: the hour from 02:00 is lived twice.
    start = paris("2026-10-25", "01:30:00")
    records = [rec(start + 60 * i, 500, 0) for i in range(150)]
    path = write_day(tmp_path / "pyseb-2026-10-25.csv.gz", records)
    day = read_record(path)
    assert format_rows(day.records, day.tz) == format_rows(records, PARIS)  # each row as it was written
    assert datetime.fromtimestamp(records[-1].time_s, day.tz).isoformat() == "2026-10-25T02:59:00+01:00"


def test_a_day_whose_clock_stepped_back_before_its_first_row_is_drawn(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Started at 08:00 on a clock 45 min ahead (a real-time clock module off), set right by NTP at 08:30: the rows
    # go on from 07:45. The report counts every interval once (time really passed); the plot was a traceback.
    start = paris("2026-06-01", "08:00:00")
    records = [rec(start + 4 * i, 500, 1000) for i in range(450)]
    back = records[-1].time_s - 2700
    records += [rec(back + 4 * i, 500, 1000) for i in range(900)]
    path = write_day(tmp_path / "pyseb-2026-06-01.csv.gz", records)
    saved = drawn_figure(monkeypatch)
    report, day = report_day(path)
    assert report.covered_h == pytest.approx(1.5, abs=0.01)
    plot_report(tmp_path / "day.png", report, day)
    import matplotlib.dates as mdates

    low, high = saved[0].axes[0].get_xlim()
    assert mdates.num2date(low).timestamp() <= back and mdates.num2date(high).timestamp() >= start + 1800


def _report_section() -> str:
    text = (Path(__file__).parent.parent / "docs" / "your-own-days.md").read_text()
    return text.split("## The daily report", 1)[1].split("\n## ", 1)[0]


def test_every_field_of_the_report_is_in_the_documented_table() -> None:
    import json
    import re

    from core.daily_report import DailyFigures

    figures = DailyFigures(["ecs", "radiator"], [False, True], 10)
    figures.add(rec(0, 500, 1000, (200, 0), (300, 1000)))
    figures.add(rec(4, 500, 1000, (200, 0), (300, 1000)))
    doc = figures.close("2026-06-01", 4).as_json()
    fields = set(doc) - {"loads"} | {f"loads.*.{key}" for key in doc["loads"]["ecs"]}
    section = _report_section()
    table = {name for row in section.splitlines() if row.startswith("| `")
             for name in re.findall(r"`([^`]+)`", row.split("|")[1])}
    assert fields - table == set()  # (`date` and `loads.*.relay` were in the example only)
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    assert set(example) == set(doc) and set(example["loads"]["ecs"]) == set(doc["loads"]["ecs"])


def test_an_empty_day_file_is_said_empty_by_report_and_replay(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    from simulation.__main__ import main
    from tests.replay_days import write_config

    # What a full disk leaves at a day's first write: the file made, its batch taken back (0 bytes).
    empty = tmp_path / "pyseb-2026-06-01.csv.gz"
    empty.touch()
    assert main(["report", str(empty)]) == 2
    said = capsys.readouterr().err
    assert "empty" in said and "not a gzip file" not in said
    assert main(["replay", str(empty), "-c", str(write_config(tmp_path, "ecs = variable"))]) == 2
    said = capsys.readouterr().err  # (was read as a trace: "expected a header time,production_w,house_w")
    assert "nothing recorded" in said and "production_w,house_w" not in said


def test_a_load_removed_at_a_restart_keeps_its_energy_in_the_day_s_diverted() -> None:
    from core.daily_report import DailyFigures, DailyReport

    # Morning: the heater and a towel dryer drew 1 kWh each; the owner removes the towel dryer from the config
    # and restarts at noon. PV + import = house + diverted + export held in the morning's figures.
    morning = {"date": "2026-06-01", "covered_h": 12.0, "pv_wh": 5000.0, "house_wh": 1000.0, "diverted_wh": 2000.0,
               "exported_wh": 2000.0, "imported_wh": 0.0, "caused_import_wh": 0.0, "missed_wh": 0.0,
               "loads": {"ecs": {"energy_wh": 1000.0, "switches": 0, "relay": False},
                         "towel": {"energy_wh": 1000.0, "switches": 4, "relay": True}}}
    figures = DailyFigures(["ecs"], [False], 10)
    figures.resume(DailyReport.from_json(morning, {"ecs": False}))
    report = figures.so_far("2026-06-01")
    assert report.diverted_wh == 2000.0  # was 1000: the towel dryer's morning gone from the loads, not the house
    assert report.pv_wh + report.imported_wh == pytest.approx(report.house_wh + report.diverted_wh
                                                              + report.exported_wh)
    assert [load.name for load in report.loads] == ["ecs"]
    assert figures.so_far_json("2026-06-01") == report.as_json()


@pytest.mark.parametrize(("decisions", "said"), [(1, "(1 decision)"), (2, "(2 decisions)")])
def test_the_report_s_heading_counts_its_decisions_in_the_singular_for_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], decisions: int, said: str) -> None:
    from simulation.__main__ import main

    # A day of one decision (the daemon run for a second) read "(1 decisions)".
    first = paris("2026-06-01", "12:00:01")
    path = write_day(tmp_path / "pyseb-2026-06-01.csv.gz", [rec(first + 4 * i, 500, 1500) for i in range(decisions)])
    assert main(["report", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"Report of {path} {said}"
