"""The temporary files a day file's rewrite leaves when PySEB is killed in the middle of it (SIGKILL, a power cut):
removed at the recorder's start, ours alone and only those older than the running process."""

from __future__ import annotations

import gzip
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recording.format import header_text, read_record
from tests.recording_support import ROOT, record, recorder

OURS_OLD = (".pyseb-2026-05-30.csv.gz.k3j_x9q2.tmp", ".pyseb-2026-05-31-2.csv.gz.a1b2c3d4.tmp")
# Named almost like ours, or ours but someone else's: left alone. (mkstemp's 8 characters are a-z, 0-9 and _.)
OTHERS = (".pyseb-2026-05-30.csv.gz.ABCDEFGH.tmp", ".pyseb-2026-05-30.csv.gz.a1b2c3d4e.tmp",
          ".pyseb-2026-05-30.csv.gz.foo.tmp", "pyseb-2026-05-30.csv.gz.a1b2c3d4.tmp", ".notes.txt.a1b2c3d4.tmp",
          ".status.ini.a1b2c3d4.tmp", ".pyseb-2026-05-30.csv.gz.a1b2c3d4.bak", ".pyseb-notes.csv.gz.a1b2c3d4.tmp")
HOUR_S = 3600.0


def leave(directory: Path, names: tuple[str, ...], age_s: float) -> list[Path]:
    """Files named `names` in `directory`, last written `age_s` ago."""
    directory.mkdir(exist_ok=True)
    made = []
    for name in names:
        path = directory / name
        path.write_bytes(b"\x1f\x8b\x08half a day")
        os.utime(path, (time.time() - age_s, time.time() - age_s))
        made.append(path)
    return made


def test_a_killed_rewrite_s_temporaries_are_removed_at_the_first_write(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    old = leave(tmp_path, OURS_OLD, HOUR_S)
    others = leave(tmp_path, OTHERS, HOUR_S)
    # One of ours written after this process started: not a leftover of a killed PySEB (another one's, at work).
    fresh = leave(tmp_path, (".pyseb-2026-06-01.csv.gz.zz99zz99.tmp",), 0.0)
    link = tmp_path / ".pyseb-2026-05-29.csv.gz.abcd1234.tmp"
    link.symlink_to(others[0])
    os.utime(link, (time.time() - HOUR_S, time.time() - HOUR_S), follow_symlinks=False)
    rec = recorder(tmp_path)
    rec.add(record(0))
    with caplog.at_level(logging.WARNING, logger="recording"):
        rec.flush()
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in [*others, *fresh]) and link.is_symlink()
    assert read_record(tmp_path / "pyseb-2026-06-01.csv.gz").records == [record(0)]
    said = [r.getMessage() for r in caplog.records if "temporary" in r.getMessage()]
    assert len(said) == 1 and f"removed 2 temporary file(s) left in {tmp_path}" in said[0]
    assert all(name in said[0] for name in OURS_OLD)


def test_the_threaded_recorder_removes_them_as_it_starts(tmp_path: Path) -> None:
    from recording.writer import DayRecorder
    from tests.recording_support import PARIS

    old = leave(tmp_path, OURS_OLD, HOUR_S)
    rec = DayRecorder(tmp_path, ["ecs", "radiator"], [False, True], PARIS, 10.0)
    rec.start()
    deadline = time.monotonic() + 5
    while any(path.exists() for path in old) and time.monotonic() < deadline:
        time.sleep(0.01)
    rec.stop()
    assert not any(path.exists() for path in old)  # (no batch written: at the start, not at the first write)


def test_nothing_to_remove_says_nothing_and_a_missing_folder_is_no_error(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    rec = recorder(tmp_path / "records")
    rec.add(record(0))
    with caplog.at_level(logging.DEBUG, logger="recording"):
        rec.flush()
    assert rec.written_batches == 1 and "temporary" not in caplog.text


def test_a_rewrite_killed_before_its_rename_leaves_what_the_next_start_removes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The real thing: a day unpacked and copied back is packed again through a temp file; SIGKILL before the rename.
    import recording.writer
    from recording.leftovers import is_our_temporary

    day = tmp_path / "pyseb-2026-06-01.csv.gz"
    text = (header_text(["ecs", "radiator"], [False, True], 10.0)
            + "2026-06-01T11:00:00.000+02:00,1,1000,42,812.4,1187.6,1,1000,0\n")
    day.write_text(text)
    killed = subprocess.run(
        [sys.executable, "-c",
         "import os, signal, sys; from pathlib import Path; from recording import store; "
         "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL); store.repair_tail(Path(sys.argv[1]))",
         str(day)], cwd=ROOT, timeout=60)
    assert killed.returncode == -9
    [left] = [path for path in tmp_path.iterdir() if path.name.endswith(".tmp")]
    assert is_our_temporary(left.name)
    monkeypatch.setattr(recording.writer, "process_started_at", time.time)  # (PySEB started again, after it)
    time.sleep(0.01)
    rec = recorder(tmp_path)
    rec.add(record(0))
    rec.flush()
    assert not left.exists()
    assert gzip.decompress(day.read_bytes()).decode().startswith(text)  # (packed again at this start instead)


def test_the_process_start_is_before_now_and_not_long_ago() -> None:
    from recording.leftovers import process_started_at

    assert 0.0 <= time.time() - process_started_at() < 24 * HOUR_S  # (a test run is shorter than a day)
