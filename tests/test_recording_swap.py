"""Today's day file replaced by the owner's copy while the recorder runs (a copy made in text mode, a day unpacked, or
unpacked and packed again): the batches recorded after it follow the day's decisions so far, in one file that
`report` reads whole, nothing lost and nothing twice."""

from __future__ import annotations

import gzip
import os
import random
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from core.decisions import DecisionRecord
from recording.format import format_rows, read_record
from recording.writer import DayRecorder
from simulation.__main__ import main
from tests.recording_support import PARIS

MORNING = datetime(2026, 6, 1, 6, 0, tzinfo=PARIS).timestamp()
BATCH = 150  # decisions: five minutes at one every 2 s, the daemon's default flush_interval
NOTEPAD = b"\xef\xbb\xbf"  # (the UTF-8 mark an older Notepad put first, with CR LF line ends)


def unpacked(original: bytes) -> bytes:
    return gzip.decompress(original)


# How the owner's copy comes back: each from the day file as the recorder left it.
COPIES: dict[str, Callable[[bytes], bytes]] = {
    "text mode": lambda original: original.replace(b"\n", b"\r\n"),  # (FTP's ASCII mode: every LF byte CR LF)
    "unpacked": unpacked,
    "unpacked, re-saved by Notepad": lambda original: NOTEPAD + unpacked(original).replace(b"\n", b"\r\n"),
    "unpacked and packed again": lambda original: gzip.compress(unpacked(original)),
    "re-saved with CR LF, packed again": lambda original: gzip.compress(unpacked(original).replace(b"\n", b"\r\n")),
    "re-saved by Notepad, packed again": lambda original: gzip.compress(
        NOTEPAD + unpacked(original).replace(b"\n", b"\r\n")),
}


class Decisions:
    """A day's decisions, their figures as a real day's vary (a batch of them compresses to bytes of any value)."""

    def __init__(self) -> None:
        self.made: list[DecisionRecord] = []
        self._figures = random.Random(1)

    def batch(self) -> list[DecisionRecord]:
        def watts(top: float) -> float:
            return round(self._figures.uniform(0.0, top), 1)

        start = len(self.made)
        batch = [DecisionRecord(MORNING + 2.0 * i, watts(4000.0), watts(3000.0),
                                (float(self._figures.randint(0, 100)), 1.0), (watts(2300.0), 1000.0),
                                (watts(2000.0), 0.0), (watts(2300.0), 1000.0)) for i in range(start, start + BATCH)]
        self.made += batch
        return batch


def written(recorder: DayRecorder, batches: int) -> None:
    """Wait until the writer thread has written `batches` batches."""
    deadline = time.monotonic() + 10.0
    while recorder.written_batches < batches:
        assert time.monotonic() < deadline, "the writer did not write"
        time.sleep(0.01)


def holds_cr_lf(batch: list[DecisionRecord]) -> bool:
    """Whether the batch's gzip member, as the recorder writes it, holds a CR LF byte pair: what a reader undoing a
    text-mode copy (every CR LF back to LF) breaks in a batch appended after it."""
    return b"\r\n" in gzip.compress(format_rows(batch, PARIS).encode(), compresslevel=6, mtime=0)


@pytest.mark.parametrize("copy", sorted(COPIES))
@pytest.mark.parametrize("swap", ["in place", "renamed over"])
def test_today_s_file_swapped_while_recording_reads_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          copy: str, swap: str) -> None:
    recorder = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0)
    decisions = Decisions()
    recorder.start()
    try:
        for _ in range(3):
            for record in decisions.batch():
                recorder.add(record)
            recorder.flush()
        written(recorder, 3)
        path = tmp_path / "pyseb-2026-06-01.csv.gz"
        copied = COPIES[copy](path.read_bytes())
        if swap == "in place":  # (cp over it: the same file, its bytes replaced)
            path.write_bytes(copied)
        else:  # (a copy beside it, then mv: another file under its name)
            (tmp_path / "copy").write_bytes(copied)
            os.replace(tmp_path / "copy", path)
        # The batches after it, up to one whose compressed bytes hold a CR LF (the next one, with these figures)
        for _ in range(30):
            batch = decisions.batch()
            for record in batch:
                recorder.add(record)
            recorder.flush()
            if holds_cr_lf(batch):
                break
        else:
            pytest.fail("no batch held a CR LF: a text-mode copy's undoing was not put to the test")
        written(recorder, len(decisions.made) // BATCH)
    finally:
        recorder.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # (no -2 part, nothing set aside)
    day = read_record(path)
    assert day.records == decisions.made  # (nothing lost, nothing twice, in order)
    assert not day.truncated and not day.damaged_bytes
    assert main(["report", str(path)]) == 0
    out, err = capsys.readouterr()
    assert f"Report of {path} ({len(decisions.made)} decisions)\n" in out and err == ""


def test_a_full_day_is_checked_once_not_at_each_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a day at max_day_mb at a restart, 20 MB, read whole every five minutes for nothing)
    import recording.writer

    decisions = Decisions()
    DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0, threaded=False).write(decisions.batch())
    checks: list[Path] = []
    repair = recording.writer.repair_tail
    monkeypatch.setattr(recording.writer, "repair_tail", lambda path: checks.append(path) or repair(path))
    recorder = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0, max_day_bytes=100,
                           threaded=False)
    for _ in range(3):
        recorder.write(decisions.batch())
    assert len(checks) == 1 and recorder.lost_records == 3 * BATCH


@pytest.mark.parametrize("part", [1, 2])
def test_today_s_file_unpacked_in_place_while_recording_reads_whole(tmp_path: Path, part: int,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    # `gunzip pyseb-DAY.csv.gz` while PySEB records: the next batch began a new .csv.gz, and report, replay and tune,
    # which take the .csv.gz, lost the day's start (`tune` said the .csv "differs"). Also the day's second part (its
    # loads changed during the day: the first part is another config's).
    loads = ["ecs", "radiator"]
    if part == 2:
        DayRecorder(tmp_path, ["ecs"], [False], PARIS, 10.0, threaded=False).write(
            [DecisionRecord(MORNING - 60.0, 500.0, 2000.0, (50.0,), (1000.0,), (0.0,), (1000.0,))])
    recorder = DayRecorder(tmp_path, loads, [False, True], PARIS, 10.0, threaded=False)
    decisions = Decisions()
    recorder.write(decisions.batch())
    name = "pyseb-2026-06-01.csv.gz" if part == 1 else "pyseb-2026-06-01-2.csv.gz"
    path = tmp_path / name
    unpacked_copy = path.with_name(name.removesuffix(".gz"))
    unpacked_copy.write_bytes(gzip.decompress(path.read_bytes()))  # (gunzip: the .csv in the .csv.gz's place)
    path.unlink()
    recorder.write(decisions.batch())
    recorder.write(decisions.batch())
    assert read_record(path).records == decisions.made  # (nothing lost, nothing twice, in order)
    assert read_record(unpacked_copy).records == decisions.made[:BATCH]  # (the owner's file left as it was)
    assert f"the day's file was unpacked in place ({unpacked_copy.name}) while recording: its decisions packed " \
           f"again into {name} to record on in it" in caplog.text
    assert main(["report", str(path)]) == 0
    assert f"Report of {path} ({len(decisions.made)} decisions)\n" in capsys.readouterr().out


def test_a_blank_line_in_a_day_file_is_skipped(tmp_path: Path) -> None:
    # A blank line an editor added to a day unpacked and copied back: "1 fields, expected 9" made the whole day
    # unreadable, and every batch the recorder appended after it too.
    decisions = Decisions()
    recorder = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0, threaded=False)
    recorder.write(decisions.batch())
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    path.write_bytes(gzip.decompress(path.read_bytes()) + b"\n \n")  # (copied back unpacked, two blank lines after)
    recorder.write(decisions.batch())
    assert read_record(path).records == decisions.made


@pytest.mark.parametrize("how", ["copied back", "unpacked in place"])
def test_a_day_re_saved_without_its_last_line_end_records_on(tmp_path: Path, how: str) -> None:
    # An editor that saves no line end after the last line: the next batch, appended to it, joined that last row and
    # its own first into one ("19 fields, expected 10": the day unreadable from there).
    decisions = Decisions()
    recorder = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0, threaded=False)
    recorder.write(decisions.batch())
    path = tmp_path / "pyseb-2026-06-01.csv.gz"
    text = gzip.decompress(path.read_bytes()).replace(b"\n", b"\r\n").removesuffix(b"\r\n")
    if how == "copied back":
        path.write_bytes(text)
    else:
        path.unlink()
        path.with_name(path.name.removesuffix(".gz")).write_bytes(text)
    recorder.write(decisions.batch())
    assert read_record(path).records == decisions.made
