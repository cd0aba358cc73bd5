"""No status file at the start: a first start says so at INFO; a start where something says a status file was
expected (one kept aside or copied beside its path, a broken symlink, the recorder's days) warns."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.daemon import Daemon
from shell.lock import InstanceLock
from status.store import load_status
from tests.configs import write_config
from tests.harness import NOON


def start(tmp_path: Path, caplog: pytest.LogCaptureFixture, extra: str = "") -> list[tuple[str, str]]:
    """The start's restore in a folder as a real start finds it (its lock taken beside the status file); the
    lines that say no status file was found, with their level."""
    settings = load_settings(write_config(tmp_path, ("ecs",), port=9, extra=extra))  # (never connects)
    lock = InstanceLock(Path(f"{settings.status.file}.lock"))
    lock.acquire()
    try:
        with caplog.at_level(logging.DEBUG):
            Daemon(settings, lock).restore_saved_status(NOON)
    finally:
        lock.release()
    return [(r.levelname, r.getMessage()) for r in caplog.records if "no status file" in r.getMessage()]


def test_a_first_start_is_said_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Every first start (each demo run too) warned of a missing status file, a WARNING the owner could do nothing
    # about, which taught them to skip the warnings.
    assert start(tmp_path, caplog) == [("INFO", f"no status file at {tmp_path / 'status.json'} (a first start: "
                                                "nothing beside it says one was saved): clean start")]


@pytest.mark.parametrize("beside", ["status.json.bad-20261201-101010", "status.json.bak", "status.json~",
                                    "status.json.BAK", "status.json.bak.1", "status.json.old-20261130",
                                    "status.json.backup"])
def test_a_status_file_kept_aside_or_copied_says_one_was_expected(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                   beside: str) -> None:
    (tmp_path / beside).write_text("{}")
    said = f"no status file at {tmp_path / 'status.json'}, but {beside} is beside it: clean start (moved, removed, " \
           "or [status] file changed?)"
    assert start(tmp_path, caplog) == [("WARNING", said)]


@pytest.mark.parametrize("beside", ["status.json.example.json", "status.json.sample", "status.json.lock"])
def test_a_file_only_named_like_the_status_file_is_no_sign(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                           beside: str) -> None:
    # The seed ships status.ini.example.json at its root: a seed user starting there was warned that a status file
    # had been lost. Only a copy's names are signs (a kept-aside file's, a backup's); the lock is there from the start.
    (tmp_path / beside).write_text("{}")
    assert [level for level, _ in start(tmp_path, caplog)] == ["INFO"]


def test_a_broken_symlink_says_the_file_was_expected(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "status.json").symlink_to(tmp_path / "data" / "status.json")
    # (the saves go to the file it names: the path said is that one)
    assert start(tmp_path, caplog) == [("WARNING", f"no status file at {tmp_path / 'data' / 'status.json'}, but the "
                                                   f"symlink {tmp_path / 'status.json'} names it: clean start (moved, "
                                                   "removed, or [status] file changed?)")]


def test_recorded_days_say_pyseb_ran_here_before(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "records").mkdir()
    for day in ("2026-11-29", "2026-11-30", "2026-11-30-2"):
        (tmp_path / "records" / f"pyseb-{day}.csv.gz").write_bytes(b"")
    assert start(tmp_path, caplog) == [("WARNING", f"no status file at {tmp_path / 'status.json'}, but the recorder "
                                                   f"has 2 day(s) in {tmp_path / 'records'}, the last 2026-11-30: "
                                                   "clean start (moved, removed, or [status] file changed?)")]


def test_without_the_recorder_its_folder_is_not_looked_at(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "pyseb-2026-11-30.csv.gz").write_bytes(b"")
    assert [level for level, _ in start(tmp_path, caplog, extra="[record]\nenabled = false\n")] == ["INFO"]


def test_many_kept_aside_files_are_named_up_to_three(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for n in range(5):
        (tmp_path / f"status.json.bad-20261201-10101{n}").write_text("{}")
    (tmp_path / ".status.json.abcdefgh.tmp").write_text("{}")  # (a killed save's: not named after it)
    with caplog.at_level(logging.INFO):
        assert load_status(tmp_path / "status.json") is None
    assert [r.getMessage() for r in caplog.records] == [
        f"no status file at {tmp_path / 'status.json'}, but status.json.bad-20261201-101010, "
        "status.json.bad-20261201-101011, status.json.bad-20261201-101012 and 2 more are beside it: clean start "
        "(moved, removed, or [status] file changed?)"]
