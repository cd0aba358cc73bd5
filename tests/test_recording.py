"""The day recorder: round trip, batches as gzip members, a stuck disk does not hold the stop, a batch cut short
repaired, a crash (kill -9) never corrupts a file. The day files: test_recording_days; max_day_mb, a full disk,
damaged batches: test_recording_limits."""

from __future__ import annotations

import gzip
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.decisions import DecisionRecord
from recording.format import read_record
from recording.writer import DayRecorder
from tests.recording_support import NOON, PARIS, ROOT, record, recorded_in_batches, recorder


def test_round_trip_in_batches_read_by_gzip_too(tmp_path: Path) -> None:
    path = recorded_in_batches(tmp_path, 3)
    day = read_record(path)
    assert day.names == ("ecs", "radiator") and day.relays == (False, True) and day.max_gap_s == 10
    assert day.date == "2026-06-01" and not day.truncated
    assert day.records == [record(i) for i in range(30)]
    text = gzip.decompress(path.read_bytes()).decode()  # three members, one stream to gzip/zcat
    assert text.count("\n") == 32 and text.startswith("# pyseb-record 2 max_gap_s=10 loads=ecs:variable,radiator:relay")
    assert "2026-06-01T12:00:04.000+02:00,1,1001,42,812.4,1187.6,812.4,1,1000,0,1000" in text


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


def test_a_full_queue_is_said_once_then_with_its_count_when_the_disk_keeps_up_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A disk that stopped taking writes for hours: "the disk is not keeping up; N decisions not recorded" at every
    # flush (every 5 min) while it lasted, and nothing said when it took batches again.
    import recording.writer as writer

    rec = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0)  # (its thread not started: stuck)
    for i in range(writer.MAX_WAITING_BATCHES + 3):  # the queue full, three batches more dropped
        rec.add(record(2 * i))
        rec.add(record(2 * i + 1))
        with caplog.at_level(logging.DEBUG, logger="recording.writer"):
            rec.flush()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and "the disk is not keeping up; 2 decisions not recorded" in said[0], said
    assert rec.lost_records == 6
    rec._batches.get_nowait()  # the disk takes a batch: room again
    caplog.clear()
    rec.add(record(1000))
    with caplog.at_level(logging.WARNING, logger="recording.writer"):
        rec.flush()
    assert "the disk keeps up again (6 decisions were not recorded while it did not)" in caplog.text, caplog.text
    caplog.clear()
    rec._batches.get_nowait()
    rec.add(record(1001))
    with caplog.at_level(logging.WARNING, logger="recording.writer"):
        rec.flush()
    assert caplog.text == ""  # (said once)


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
        rec.add(DecisionRecord({noon} + 0.001 * i, 1000.0, float(i), (42.0, 1.0), (812.4, 1000.0), (0.0, 0.0),
                                (812.4, 1000.0)))
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
    rec.add(DecisionRecord(NOON + 0.001 * count, 1000.0, -1.0, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)))
    rec.flush()
    again = read_record(path)
    assert not again.truncated and len(again.records) == count + 1 and again.records[-1].production_w == -1.0
