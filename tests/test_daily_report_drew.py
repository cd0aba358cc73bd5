"""The day's report counts each interval at what the loads drew in the reading that ends it (DecisionRecord.drew_w),
not at the belief the decision before left: a plug of unknown power tried at the watts free for it and measured idle
(~0 W) drew nothing, as its own energy counter says. Counted at its claim, each idle trial put some 1.5 Wh into the
plug's day (and took it from the house's). Live, and for a recorded day: `report` gives the live figures."""

from __future__ import annotations

import gzip
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.daily_report import DailyFigures, DailyReport
from recording.format import read_record
from recording.writer import DayRecorder
from tests.configs import write_config
from tests.harness import NOON, Harness

PLUG = "shellies/plug/relay/0/command"
HOUSE_W, PV_W = 300.0, 2000.0  # a house that never moves: the plug tried at its 1700 W of surplus draws nothing
DATE = "2023-11-14"  # (NOON's, in Paris)


def idle_trials(tmp_path: Path, minutes: int, record: bool = False) -> tuple[Harness, float, Path | None]:
    """A plug of unknown power, idle, tried again and again over `minutes` of steady sun (a reading every 3 s); the
    decisions recorded into tmp_path/records when `record`. The harness, the last reading's time, the day file."""
    h = Harness(write_config(tmp_path, ("plug",), meter_timeout=10))
    recorder = None
    if record:
        reg = h.reg
        recorder = DayRecorder(tmp_path / "records", reg.daily.names, reg.daily.relays, reg.tz, 10.0, threaded=False)
        reg.add_decision_listener(recorder.add)
    h.reg.tick(NOON)
    t = NOON + 1
    while t < NOON + 60 * minutes:
        h.meters(HOUSE_W, PV_W, t)
        t += 3
    last = t - 3
    h.load("plug").accumulate_energy(last)
    if recorder is None:
        return h, last, None
    recorder.flush()
    return h, last, tmp_path / "records" / f"pyseb-{DATE}.csv.gz"


def test_an_idle_trial_counts_what_the_plug_drew_not_its_claim(tmp_path: Path) -> None:
    h, last, _ = idle_trials(tmp_path, 20)
    plug = h.load("plug")
    assert h.on(PLUG).count("on") >= 2 and plug.idle_offs >= 2  # (tried, measured idle, off: more than once)
    report = h.reg.daily.so_far(DATE)
    # The plug's day is what its own counter says it drew: nothing (before: about 1.4 Wh a trial at 1700 W for 3 s).
    assert report.loads[0].energy_wh == pytest.approx(plug.energy_wh, abs=1e-9)
    assert report.diverted_wh == pytest.approx(plug.energy_wh, abs=1e-9) and report.diverted_wh < 0.01
    # The house drew its 300 W the whole time covered (before: 1700 W less during each trial's interval).
    assert report.house_wh == pytest.approx(HOUSE_W * report.covered_h, rel=1e-9)
    assert report.pv_wh == pytest.approx(report.house_wh + report.diverted_wh + report.exported_wh
                                         - report.imported_wh, rel=1e-9)


def test_a_recorded_day_reports_the_live_figures_an_idle_trial_included(tmp_path: Path) -> None:
    h, last, path = idle_trials(tmp_path, 20, record=True)
    assert path is not None
    text = gzip.decompress(path.read_bytes()).decode()
    assert text.splitlines()[1] == ("time,production_w,consumption_w,plug_command,plug_believed_w,plug_room_w,"
                                    "plug_drew_w")
    day = read_record(path)
    live = h.reg.daily.so_far(DATE)
    # The trial's own decision: believed at its claim before it, found to have drawn nothing in its reading.
    tried = [i for i, record in enumerate(day.records) if record.command[0] > 0]
    assert tried and all(day.records[i].believed_w[0] > 1000 and day.records[i + 1].drew_w[0] < 1 for i in tried)
    figures = DailyFigures(day.names, day.relays, day.max_gap_s)
    for record in day.records:
        figures.add(record)
    replayed = figures.so_far(DATE)
    for name in ("covered_h", "pv_wh", "house_wh", "diverted_wh", "exported_wh", "imported_wh", "caused_import_wh",
                 "missed_wh"):
        # (the file's watts to 0.1 W, its times to the ms)
        assert getattr(replayed, name) == pytest.approx(getattr(live, name), abs=0.01), name
    assert replayed.loads[0].energy_wh == pytest.approx(live.loads[0].energy_wh, abs=0.01)


FORMAT_1 = (
    b"# pyseb-record 1 max_gap_s=10 loads=plug:relay\n"
    b"time,production_w,consumption_w,plug_command,plug_believed_w,plug_room_w\n"
    b"2026-06-01T12:00:00.000+02:00,2000,300,1,1700,0\n"  # tried at its claim
    b"2026-06-01T12:00:04.000+02:00,2000,300,0,0,0\n"  # measured idle: off
    b"2026-06-01T12:00:08.000+02:00,2000,300,0,0,0\n")


@pytest.mark.parametrize("packed", [True, False])
def test_a_day_of_format_1_is_read_and_reported_as_before(tmp_path: Path, packed: bool) -> None:
    # A day recorded before drew_w (format 1), packed or unpacked: each interval at the belief the decision before
    # left, as then.
    path = tmp_path / ("pyseb-2026-06-01.csv.gz" if packed else "pyseb-2026-06-01.csv")
    path.write_bytes(gzip.compress(FORMAT_1) if packed else FORMAT_1)
    day = read_record(path)
    assert [record.drew_w for record in day.records] == [(1700.0,), (1700.0,), (0.0,)]
    figures = DailyFigures(day.names, day.relays, day.max_gap_s)
    for record in day.records:
        figures.add(record)
    report = figures.so_far("2026-06-01")
    assert report.loads[0].energy_wh == pytest.approx(1700 * 4 / 3600)  # (its claim: format 1 has no better)
    assert report.house_wh == pytest.approx((300 * 8 - 1700 * 4) / 3600)


def test_a_day_begun_in_format_1_goes_on_in_a_part_of_format_2(tmp_path: Path) -> None:
    # PySEB updated during the day: the file's header is another (its columns), so the day goes on in its -2 part, and
    # both read.
    from core.decisions import DecisionRecord
    from recording.days import day_parts

    first = tmp_path / "pyseb-2026-06-01.csv.gz"
    first.write_bytes(gzip.compress(FORMAT_1))
    day = read_record(first)
    recorder = DayRecorder(tmp_path, ["plug"], [True], ZoneInfo("Europe/Paris"), 10.0, threaded=False)
    recorder.write([DecisionRecord(day.records[-1].time_s + 60, 300.0, 2000.0, (0.0,), (0.0,), (0.0,), (0.0,))])
    first_part, second_part = day_parts(tmp_path, "2026-06-01")
    assert first_part == first and gzip.decompress(first.read_bytes()) == FORMAT_1
    assert len(read_record(second_part).records) == 1 and len(read_record(first).records) == 3


def test_the_midnight_close_counts_the_last_interval_at_the_belief(tmp_path: Path) -> None:
    # No reading at midnight: from the day's last decision to it, the loads at the belief that decision left.
    from core.decisions import DecisionRecord
    figures = DailyFigures(["plug"], [True], max_gap_s=10)
    figures.add(DecisionRecord(0.0, 2000.0, 2000.0, (1.0,), (1700.0,), (0.0,), (0.0,)))
    figures.add(DecisionRecord(4.0, 300.0, 2000.0, (1.0,), (1700.0,), (0.0,), (50.0,)))  # measured at 50 W: drew it
    report: DailyReport = figures.close("d", 10.0)
    assert report.loads[0].energy_wh == pytest.approx((50 * 4 + 1700 * 6) / 3600)
