"""The day recorder's files: one a local day, keep_days, a day unpacked or copied in text mode and copied back
keeping its decisions, a file that is no cut batch set aside, a clock years ahead removing nothing."""

from __future__ import annotations

import gzip
import logging
from datetime import datetime
from pathlib import Path

import pytest

from core.decisions import DecisionRecord
from recording.format import read_record
from recording.writer import DayRecorder
from tests.recording_support import NOON, PARIS, record, recorded_in_batches, recorder


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
    rec.add(DecisionRecord(NOON + 100.0, 1000.0, 0.0, (42.0,), (812.4,), (1187.6,), (812.4,)))
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
    rec.add(DecisionRecord(NOON + 400.0, 1000.0, 0.0, (42.0,), (812.4,), (1187.6,), (812.4,)) if other_loads
            else record(100))
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
