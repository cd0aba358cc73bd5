"""The day recorder's limits and damage: new loads mid-day get their own file, max_day_mb, a full disk is a
warning, a run as root leaves the files to the folder's owner, damaged batches skipped and said, a hand-edited nan."""

from __future__ import annotations

import gzip
import logging
import os
import re
from pathlib import Path

import pytest

from core.decisions import DecisionRecord
from recording.format import RecordError, header_text, read_record
from recording.writer import DayRecorder
from simulation.__main__ import main
from simulation.recorded import trace_from_record
from tests.recording_support import NOON, PARIS, record, recorded_in_batches, recorder


def test_new_loads_mid_day_get_their_own_file(tmp_path: Path) -> None:
    recorder(tmp_path).write([record(0)])
    other = DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False)
    other.write([DecisionRecord(NOON + 8, 1.0, 2.0, (3.0,), (4.0,), (5.0,), (4.0,))])
    assert read_record(tmp_path / "pyseb-2026-06-01.csv.gz").names == ("ecs", "radiator")
    assert read_record(tmp_path / "pyseb-2026-06-01-2.csv.gz").names == ("ecs",)


def test_a_day_stops_at_max_day_mb(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rec = recorder(tmp_path, max_day_bytes=100)
    rec.write([record(i) for i in range(50)])  # the first batch passes the limit: the next ones are refused
    with caplog.at_level(logging.WARNING):
        rec.write([record(50)])
        rec.write([record(51)])
    assert len(read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records) == 50
    assert caplog.text.count("reached max_day_mb") == 1 and rec.lost_records == 2


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_a_warning_and_recording_resumes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    day_file = tmp_path / "pyseb-2026-06-01.csv.gz"
    day_file.symlink_to("/dev/full")  # every write to it fails with ENOSPC, as on a full disk
    rec = recorder(tmp_path)
    with caplog.at_level(logging.DEBUG, logger="recording.writer"):
        rec.write([record(0)])
        rec.write([record(1)])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "the disk is full" in warnings[0].getMessage()
    assert rec.lost_records == 2
    day_file.unlink()  # room again
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="recording.writer"):
        rec.write([record(2)])
    # (with what was lost meanwhile, as the status saver's "saved again": the failures after the first were at DEBUG)
    assert "writing again in" in caplog.text and "(2 decisions not recorded before)" in caplog.text, caplog.text
    assert read_record(day_file).records == [record(2)]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away")
def test_a_run_as_root_leaves_the_recordings_to_the_folders_owner(tmp_path: Path) -> None:
    # The service runs as a user; one run by hand as root must not leave it a day file it cannot add to
    # (nor a records folder it cannot write in). A folder owned by root keeps root's files.
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 65534, 65534)
    rec = recorder(home / "records")
    rec.add(record(0))
    rec.flush()
    day = home / "records" / "pyseb-2026-06-01.csv.gz"
    assert (os.stat(home / "records").st_uid, os.stat(day).st_uid, os.stat(day).st_gid) == (65534, 65534, 65534)
    root_owned = tmp_path / "root-records"
    rec = recorder(root_owned)
    rec.add(record(0))
    rec.flush()
    assert os.stat(root_owned / "pyseb-2026-06-01.csv.gz").st_uid == 0


def test_a_batch_damaged_in_the_middle_is_skipped_and_nothing_after_it_is_cut(tmp_path: Path) -> None:
    # A bad byte in batch 2 of 4 (a bad sector, a hand edit): the reader skips that batch only, and the
    # recorder, appending again, keeps batches 3 and 4 (it used to cut the file there as a crash's tail).
    path = recorded_in_batches(tmp_path, 4)
    data = bytearray(path.read_bytes())
    starts = [i for i in range(len(data)) if data[i:i + 3] == b"\x1f\x8b\x08"]
    assert len(starts) == 4
    data[(starts[1] + starts[2]) // 2] ^= 0xFF  # inside batch 2's compressed bytes
    path.write_bytes(bytes(data))
    day = read_record(path)
    assert day.records == [record(i) for i in (*range(10), *range(20, 40))]
    assert day.damaged_bytes == starts[2] - starts[1] and not day.truncated
    later = recorder(tmp_path)  # a new start, as the daemon's: repairs the tail before its first batch
    later.add(record(40))
    later.flush()
    assert read_record(path).records == [record(i) for i in (*range(10), *range(20, 41))]


def test_a_damaged_first_batch_is_said_for_what_it_is(tmp_path: Path) -> None:
    # The header is in the first batch alone (zcat gives one clean CSV): damaged, the day cannot be read, and the
    # error said "not a PySEB recorded day" of a file whose other batches are whole.
    path = recorded_in_batches(tmp_path, 3)
    data = bytearray(path.read_bytes())
    starts = [i for i in range(len(data)) if data[i:i + 3] == b"\x1f\x8b\x08"]
    data[(starts[0] + starts[1]) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RecordError, match="its first batch, the only one with the header, is damaged"):
        read_record(path)


def test_a_hand_edited_nan_in_a_day_file_is_refused_as_a_trace_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    text = header_text(["ecs"], [False], 10.0) + "2026-06-01T12:00:00.000+02:00,nan,300,0,0,2000,0\n"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(RecordError, match="not a finite number"):
        read_record(path)


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:01.000+01:00", "9999-12-31T23:59:59.000-05:00"])
def test_a_hand_edited_date_in_the_year_1_or_9999_is_refused_as_a_trace_refuses_it(
        tmp_path: Path, stamp: str, capsys: pytest.CaptureFixture[str]) -> None:
    # (read: report, replay and tune ended in a traceback, the day before or after it past the dates Python holds)
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    rows = f"2026-06-01T12:00:00.000+02:00,900,300,0,0,2000,0\n{stamp},900,300,0,0,2000,0\n"
    text = header_text(["ecs"], [False], 10.0) + rows
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(RecordError, match=re.escape(f":4: a date in the year 1 or 9999 ('{stamp}')")):
        read_record(path)
    assert main(["report", str(path)]) == 2
    assert "a date in the year 1 or 9999" in capsys.readouterr().err


@pytest.mark.parametrize("gap", ["0", "-5", "nan", "inf"])
def test_a_hand_edited_max_gap_s_not_above_0_is_refused(tmp_path: Path, gap: str) -> None:
    # (taken: a report of such a day counted every interval as a gap, or none, and said nonsense)
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    text = header_text(["ecs"], [False], 10.0).replace("max_gap_s=10", f"max_gap_s={gap}")
    path.write_bytes(gzip.compress((text + "2026-06-01T12:00:00.000+02:00,900,300,0,0,2000\n").encode()))
    with pytest.raises(RecordError, match=f"max_gap_s must be a number of seconds above 0, got '{gap}'"):
        read_record(path)


def test_a_day_of_a_newer_format_says_so(tmp_path: Path) -> None:
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    text = header_text(["ecs"], [False], 10.0).replace("pyseb-record 2", "pyseb-record 3")
    path.write_bytes(gzip.compress((text + "2026-06-01T12:00:00.000+02:00,900,300,0,0,2000,0\n").encode()))
    with pytest.raises(RecordError, match=r":1: a day recorded in format '3' .*this PySEB reads formats 1 and 2: "
                                          r"update it \(git pull\) to read this day"):
        read_record(path)


def test_two_days_joined_into_one_file_are_said(tmp_path: Path) -> None:
    # `cat pyseb-2026-06-01.csv.gz pyseb-2026-06-02.csv.gz > both.csv.gz`: gzip reads the two as one stream; the
    # second header was "4 fields, expected 6"
    rows = ["2026-06-01T12:00:00.000+02:00,900,300,0,0,2000,0\n", "2026-06-02T12:00:00.000+02:00,900,300,0,0,2000,0\n"]
    days = [gzip.compress((header_text(["ecs"], [False], 10.0) + row).encode()) for row in rows]
    path = tmp_path / "both.csv.gz"
    path.write_bytes(days[0] + days[1])
    with pytest.raises(RecordError, match=r"both.csv.gz:4: a second day's header: two recorded days joined into one "
                                          r"file; give each day as its own file"):
        read_record(path)


def test_a_damaged_first_batch_does_not_stop_the_recording(tmp_path: Path) -> None:
    # A bad sector in the day's first batch: reading its header raised zlib.error, no OSError, and the writer's thread
    # died: nothing was recorded again, any day, until a restart (and each restart that day killed it again).
    recorder(tmp_path).write([record(i) for i in range(100)])
    [path] = tmp_path.glob("pyseb-*.csv.gz")
    data = bytearray(path.read_bytes())
    for k in range(40, 60):
        data[k] ^= 0x55
    path.write_bytes(bytes(data))
    rec = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0, threaded=True)
    rec.start()
    for i in range(100, 200):
        rec.add(record(i))
    rec.flush()
    for i in range(10):
        rec.add(record(i, NOON + 86400))  # the next day
    rec.flush()
    rec.stop()
    assert rec.written_batches == 2
    assert len(read_record(next(tmp_path.glob("pyseb-2026-06-02*.csv.gz"))).records) == 10


def test_a_config_changed_and_changed_back_keeps_the_parts_in_time_order(tmp_path: Path) -> None:
    # 12:00-12:20 with the heater and the radiator, 12:20-12:40 the heater alone, 12:40-13:00 both again: the last
    # third went back into the first part, after the second part's 20 minutes, and the readers, keeping the day
    # increasing, dropped those (tune: "1 gap(s) with no decision recorded").
    recorder(tmp_path).write([record(i) for i in range(0, 300)])
    only_ecs = DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False)
    only_ecs.write([DecisionRecord(NOON + 4 * i, 1000.0, 0.0, (42.0,), (812.4,), (1187.6,), (812.4,))
                    for i in range(300, 600)])
    recorder(tmp_path).write([record(i) for i in range(600, 900)])
    parts = [tmp_path / f"pyseb-2026-06-01{suffix}.csv.gz" for suffix in ("", "-2", "-3")]
    assert [len(read_record(part).records) for part in parts] == [300, 300, 300]
    trace = trace_from_record(parts, PARIS)
    assert len(trace.times_s) == 900 and not any("gap" in note for note in trace.notes)


def test_a_batch_goes_to_the_day_s_highest_part_when_one_between_is_gone(tmp_path: Path) -> None:
    # Parts 1, 2 and 3, then the -2 deleted by hand: the next batch went back into the first part, after the third's.
    recorder(tmp_path).write([record(0)])
    DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False).write(
        [DecisionRecord(NOON + 8, 1.0, 2.0, (3.0,), (4.0,), (5.0,), (4.0,))])
    recorder(tmp_path).write([record(3)])
    (tmp_path / "pyseb-2026-06-01-2.csv.gz").unlink()
    recorder(tmp_path).write([record(4)])
    assert len(read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records) == 1
    assert len(read_record(tmp_path / "pyseb-2026-06-01-3.csv.gz").records) == 2


def test_a_new_part_of_the_day_is_said_once_in_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A config edit and restart (a load renamed) began pyseb-DAY-2.csv.gz without a word in the log: the owner found
    # two files for the day, and `report DAY` covering the first only.
    recorder(tmp_path).write([record(0)])
    other = DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False)
    with caplog.at_level(logging.INFO, logger="recording.writer"):
        other.write([DecisionRecord(NOON + 8, 1.0, 2.0, (3.0,), (4.0,), (5.0,), (4.0,))])
        other.write([DecisionRecord(NOON + 12, 1.0, 2.0, (3.0,), (4.0,), (5.0,), (4.0,))])
    said = [r.getMessage() for r in caplog.records if "pyseb-2026-06-01-2.csv.gz" in r.getMessage()]
    assert len(said) == 1
    assert said[0].startswith("recorder: the rest of 2026-06-01 is recorded in pyseb-2026-06-01-2.csv.gz, apart from "
                              "pyseb-2026-06-01.csv.gz (its loads or [evaluate] meter_timeout changed")
