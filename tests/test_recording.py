"""The day recorder: round trip, batches as gzip members, a crash (kill -9) never corrupts a file,
rotation at local midnight, keep_days, max_day_mb, and a full disk is a warning."""

from __future__ import annotations

import gzip
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.decisions import DecisionRecord
from recording.format import RecordError, header_text, read_record
from recording.writer import DayRecorder

ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=PARIS).timestamp()


def record(i: int, start: float = NOON) -> DecisionRecord:
    return DecisionRecord(start + 4 * i, 1000.0 + i, float(i), (42.0, 1.0), (812.4, 1000.0), (1187.6, 0.0))


def recorder(directory: Path, **kwargs: object) -> DayRecorder:
    return DayRecorder(directory, ["ecs", "radiator"], [False, True], PARIS, 10.0, threaded=False,
                       **kwargs)  # type: ignore[arg-type]


def recorded_in_batches(directory: Path, batches: int) -> Path:
    """The day file of `batches` batches of 10 decisions, each flushed (one gzip member each)."""
    rec = recorder(directory)
    for batch in range(batches):
        for i in range(batch * 10, batch * 10 + 10):
            rec.add(record(i))
        rec.flush()
    return directory / "pyseb-2026-06-01.csv.gz"


def test_round_trip_in_batches_read_by_gzip_too(tmp_path: Path) -> None:
    path = recorded_in_batches(tmp_path, 3)
    day = read_record(path)
    assert day.names == ("ecs", "radiator") and day.relays == (False, True) and day.max_gap_s == 10
    assert day.date == "2026-06-01" and not day.truncated
    assert day.records == [record(i) for i in range(30)]
    text = gzip.decompress(path.read_bytes()).decode()  # three members, one stream to gzip/zcat
    assert text.count("\n") == 32 and text.startswith("# pyseb-record 1 max_gap_s=10 loads=ecs:variable,radiator:relay")
    assert "2026-06-01T12:00:04.000+02:00,1,1001,42,812.4,1187.6,1,1000,0" in text


def test_the_threaded_writer_writes_each_batch_on_tick_and_at_stop(tmp_path: Path) -> None:
    rec = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0, flush_interval_s=60)
    rec.start()
    try:
        rec.add(record(0))
        rec.tick(0.0)  # starts the interval
        rec.tick(59.0)
        time.sleep(0.2)
        assert not list(tmp_path.iterdir())  # nothing written before flush_interval
        rec.tick(60.0)
        deadline = time.monotonic() + 5
        while rec.written_batches < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rec.written_batches == 1
        rec.add(record(1))
    finally:
        rec.stop()
    assert read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records == [record(0), record(1)]


def test_a_stuck_disk_does_not_hold_the_stop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    # A write that never returns (a dead network share): the queue fills, and the stop must still end.
    import recording.writer as writer

    monkeypatch.setattr(writer, "STOP_WAIT_S", 0.2)
    stuck, release = threading.Event(), threading.Event()

    def stuck_write(batch: object) -> None:
        stuck.set()
        release.wait(30)

    rec = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0)
    monkeypatch.setattr(rec, "write", stuck_write)
    rec.start()
    try:
        rec.add(record(0))
        rec.flush()
        assert stuck.wait(5)  # the writer holds the first batch
        for i in range(1, writer.MAX_WAITING_BATCHES + 2):  # the queue full, one more dropped
            rec.add(record(i))
            rec.flush()
        stopper = threading.Thread(target=rec.stop)
        began = time.monotonic()
        stopper.start()
        stopper.join(5)
        assert not stopper.is_alive(), "the stop waited for the stuck disk"
        assert time.monotonic() - began < 2
        assert "the disk has not taken a write for a long time" in caplog.text
    finally:
        release.set()  # the disk is back: a second stop ends the thread
        monkeypatch.setattr(writer, "STOP_WAIT_S", 5.0)
        rec.stop()


def test_a_batch_cut_short_is_dropped_and_repaired_before_the_next(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    rec = recorder(tmp_path)
    for i in range(10):
        rec.add(record(i))
    rec.flush()
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    whole = path.stat().st_size
    for i in range(10, 20):
        rec.add(record(i))
    rec.flush()
    with open(path, "r+b") as handle:  # a crash in the middle of the second batch's write
        handle.truncate(whole + (path.stat().st_size - whole) // 2)
    day = read_record(path)
    assert day.truncated and day.records == [record(i) for i in range(10)]
    restarted = recorder(tmp_path)
    for i in range(20, 25):
        restarted.add(record(i))
    with caplog.at_level(logging.WARNING):
        restarted.flush()
    assert "cut short by a crash removed" in caplog.text
    day = read_record(path)
    assert not day.truncated and day.records == [record(i) for i in [*range(10), *range(20, 25)]]


KILLED_WRITER = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from zoneinfo import ZoneInfo
from core.decisions import DecisionRecord
from recording.writer import DayRecorder
rec = DayRecorder(Path({dir!r}), ["ecs", "radiator"], [False, True], ZoneInfo("Europe/Paris"), 10.0, threaded=False)
i = 0
print("ready", flush=True)
while True:
    for _ in range(500):
        rec.add(DecisionRecord({noon} + 0.001 * i, 1000.0, float(i), (42.0, 1.0), (812.4, 1000.0), (0.0, 0.0)))
        i += 1
    rec.flush()
"""


@pytest.mark.parametrize("delay_s", [0.15, 0.4, 0.9])
def test_kill_9_loses_at_most_the_last_batch_and_never_corrupts(tmp_path: Path, delay_s: float) -> None:
    script = KILLED_WRITER.format(root=str(ROOT), dir=str(tmp_path), noon=NOON)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        time.sleep(delay_s)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    day = read_record(path)  # never an error: whole batches, then at most one cut short
    count = len(day.records)
    assert count > 0 and count % 500 == 0
    assert [r.production_w for r in day.records] == [float(i) for i in range(count)]
    # After the crash, recording goes on in the same file and everything reads back.
    rec = recorder(tmp_path)
    rec.add(DecisionRecord(NOON + 0.001 * count, 1000.0, -1.0, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)))
    rec.flush()
    again = read_record(path)
    assert not again.truncated and len(again.records) == count + 1 and again.records[-1].production_w == -1.0


def test_one_file_a_local_day_and_keep_days(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    every_day_of_may = [f"pyseb-2026-05-{day:02d}.csv.gz" for day in range(4, 32)]
    for old in ("pyseb-2026-05-02.csv.gz", "pyseb-2026-05-03-2.csv.gz", *every_day_of_may):
        (tmp_path / old).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("mine")
    rec = recorder(tmp_path, keep_days=30)
    before_midnight = datetime(2026, 6, 1, 23, 59, 50, tzinfo=PARIS).timestamp()
    for i in range(6):  # 23:59:50 to 00:00:10, Paris time (UTC+2)
        rec.add(record(i, before_midnight))
    with caplog.at_level(logging.INFO):
        rec.flush()
    assert len(read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records) == 3
    assert len(read_record(tmp_path / "pyseb-2026-06-02.csv.gz").records) == 3
    # 30 days kept counting the newest (June 2): May 4 and later stay, older ones go; other files are left.
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["notes.txt", *every_day_of_may, "pyseb-2026-06-01.csv.gz", "pyseb-2026-06-02.csv.gz"]
    assert "removed pyseb-2026-05-02.csv.gz (older than keep_days = 30)" in caplog.text


def test_the_days_remembered_stay_few_however_long_it_runs(tmp_path: Path) -> None:
    # The writer remembered every day file it had checked for a cut-short tail, and every day that reached
    # max_day_mb, for as long as the daemon ran: one more entry each day, never one less.
    rec = recorder(tmp_path, keep_days=3, max_day_bytes=100)
    for day in range(60):
        rec.write([record(0, NOON + day * 86400.0)])
        rec.write([record(1, NOON + day * 86400.0)])  # (the day's file already over max_day_bytes)
    assert len(rec._left) <= 2 and len(rec._full_days) <= 2
    assert len(list(tmp_path.iterdir())) == 3


@pytest.mark.parametrize("resaved", [False, True])
def test_a_day_unpacked_and_copied_back_keeps_its_decisions_when_recording_goes_on(tmp_path: Path,
                                                                                  resaved: bool) -> None:
    # The reader takes a day file unpacked (gunzip, or re-saved by Notepad: CRLF, a UTF-8 mark) and copied back under
    # its name; the recorder took its text for a batch cut short by a crash and cut the file to nothing at the day's
    # next batch ("1437 bytes of a batch cut short by a crash removed"): the day's decisions so far were lost.
    path = recorded_in_batches(tmp_path, 2)
    text = gzip.decompress(path.read_bytes())
    path.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n") if resaved else text)
    rec = recorder(tmp_path)  # (the daemon started again that day)
    rec.add(record(100))
    rec.flush()
    day = read_record(path)
    assert [r.time_s for r in day.records] == [record(i).time_s for i in (*range(20), 100)]
    assert not day.truncated and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # (packed again: a gzip file the batches follow)


def test_an_unpacked_day_of_other_loads_is_left_as_it_is(tmp_path: Path) -> None:
    path = recorded_in_batches(tmp_path, 1)
    text = gzip.decompress(path.read_bytes())
    path.write_bytes(text)
    rec = DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False)
    rec.add(DecisionRecord(NOON + 100.0, 1000.0, 0.0, (42.0,), (812.4,), (1187.6,)))
    rec.flush()
    assert path.read_bytes() == text  # (its loads' part: the batch went to the day's -2 file)
    assert len(read_record(path).records) == 10
    assert len(read_record(tmp_path / "pyseb-2026-06-01-2.csv.gz").records) == 1


@pytest.mark.parametrize("other_loads", [False, True])
def test_a_day_copied_in_text_mode_and_copied_back_keeps_its_decisions(tmp_path: Path, other_loads: bool) -> None:
    # A .csv.gz copied in text mode (every LF byte made CR LF) reads as it was before, but copied back under its name
    # the recorder took it for a batch cut short by a crash and cut it to its last whole member: to nothing, the
    # day's decisions so far lost. It is given back as it was first (one of other loads: left whole, the batch in -2).
    path = recorded_in_batches(tmp_path, 2)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"\n", b"\r\n"))
    rec = DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False) if other_loads else recorder(tmp_path)
    rec.add(DecisionRecord(NOON + 400.0, 1000.0, 0.0, (42.0,), (812.4,), (1187.6,)) if other_loads else record(100))
    rec.flush()
    day = read_record(path)
    assert [r.time_s for r in day.records][:20] == [record(i).time_s for i in range(20)]
    assert not day.truncated and day.text_mode_copy == other_loads and not day.damaged_bytes
    assert len(day.records) == (20 if other_loads else 21)
    assert path.read_bytes()[:len(original)] == original or other_loads  # (another config's: left as it is)
    assert len(list(tmp_path.iterdir())) == (2 if other_loads else 1)


@pytest.mark.parametrize("what", [b"not a day, by mistake under its name\r\n", b"damaged"])
def test_a_day_file_that_is_no_cut_batch_is_set_aside_not_cut(tmp_path: Path, what: bytes) -> None:
    # Only a crash's half member may be cut: a file under the day's name that is not gzip was cut to nothing, one
    # whose bytes after the last whole member hold several members (damaged) to that member.
    path = recorded_in_batches(tmp_path, 3)
    data = bytearray(path.read_bytes())
    for member in (data.find(b"\x1f\x8b\x08", 1), data.rfind(b"\x1f\x8b\x08")):  # (the last two batches damaged)
        data[member + 40] ^= 0xFF
    data = what if what != b"damaged" else bytes(data)
    path.write_bytes(data)
    rec = recorder(tmp_path)
    rec.add(record(100))
    rec.flush()
    aside = tmp_path / "set-aside-pyseb-2026-06-01.csv.gz"
    assert aside.read_bytes() == data
    assert [r.time_s for r in read_record(path).records] == [record(100).time_s]


def test_a_day_unpacked_and_swapped_in_while_recording_is_packed_before_the_next_batch(tmp_path: Path) -> None:
    # The check for an unpacked day runs once a day per run: one swapped in for today's file while the daemon ran got
    # the next batches appended to its text as gzip members, and read as text it was garbage from there.
    rec = recorder(tmp_path)
    rec.add(record(0))
    rec.flush()
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    path.write_bytes(gzip.decompress(path.read_bytes()).replace(b"\n", b"\r\n"))
    rec.add(record(1))
    rec.flush()
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert [r.time_s for r in read_record(path).records] == [record(0).time_s, record(1).time_s]


def test_a_clock_years_ahead_does_not_remove_the_recorded_days(tmp_path: Path) -> None:
    # A Pi whose clock module read 2031 (a flat battery): every day recorded was older than keep_days and went at the
    # first write, days that tune and replay exist to read. The newest keep_days recorded days always stay, and the
    # older ones go once as many newer days are recorded (the same for a Pi that was off for months).
    recorded = [f"pyseb-2026-05-{day:02d}.csv.gz" for day in range(1, 11)]
    for name in recorded:
        (tmp_path / name).write_bytes(b"")
    rec = recorder(tmp_path, keep_days=7)
    years_ahead = datetime(2031, 6, 1, 12, 0, tzinfo=PARIS).timestamp()
    rec.write([record(0, years_ahead)])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [*recorded[4:], "pyseb-2031-06-01.csv.gz"]  # (May 4 has 7 newer days recorded: it went)
    for day in range(2, 7):
        rec.write([record(0, years_ahead + (day - 1) * 86400)])
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "pyseb-2026-05-10.csv.gz"  # (6 days of 2031 recorded)
    rec.write([record(0, years_ahead + 6 * 86400)])
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "pyseb-2031-06-01.csv.gz"


def test_new_loads_mid_day_get_their_own_file(tmp_path: Path) -> None:
    recorder(tmp_path).write([record(0)])
    other = DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False)
    other.write([DecisionRecord(NOON + 8, 1.0, 2.0, (3.0,), (4.0,), (5.0,))])
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
    assert "writing again" in caplog.text
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
    text = header_text(["ecs"], [False], 10.0) + "2026-06-01T12:00:00.000+02:00,nan,300,0,0,2000\n"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(RecordError, match="not a finite number"):
        read_record(path)
