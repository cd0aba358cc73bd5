"""The instance lock: a lock file left by a run as another user (root) still locks, read-only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from shell import lock as lock_module
from shell.lock import AlreadyRunning, InstanceLock


def test_pid_written_and_second_holder_refused(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path / "status.json.lock")
    first.acquire()
    try:
        assert (tmp_path / "status.json.lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            InstanceLock(tmp_path / "status.json.lock").acquire()
    finally:
        first.release()


def test_a_note_after_the_pid_is_told_to_a_second_holder(tmp_path: Path) -> None:
    # (a calibration sweep's lock on its variator says which file the sweep that holds it measures into)
    first = InstanceLock(tmp_path / "sweep.lock", note="cal/ecs.partial.csv")
    first.acquire()
    try:
        assert (tmp_path / "sweep.lock").read_text() == f"{os.getpid()}\ncal/ecs.partial.csv\n"
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}") as refused:
            InstanceLock(tmp_path / "sweep.lock").acquire()
        assert (refused.value.pid, refused.value.note) == (str(os.getpid()), "cal/ecs.partial.csv")
    finally:
        first.release()


def deny_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """os.open as for a user who may not write the lock nor its directory (the tests run as root: simulated)."""
    real_open = os.open

    def no_write(name: Any, flags: int, *args: Any) -> int:
        if flags & (os.O_RDWR | os.O_CREAT):
            raise PermissionError(13, "Permission denied")
        return real_open(name, flags, *args)

    monkeypatch.setattr(lock_module.os, "open", no_write)


def test_a_lock_file_we_may_not_write_still_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "status.json.lock"
    path.write_text("812\n")  # a root run's
    deny_writes(monkeypatch)
    held = InstanceLock(path)
    held.acquire()
    try:
        with pytest.raises(AlreadyRunning, match="pid 812"):  # the file's content: what it can say
            InstanceLock(path).acquire()
    finally:
        held.release()
    assert path.read_text() == "812\n"


def test_a_lock_its_directory_refuses_to_make_says_permission_denied(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # No lock file and a directory the user may not write: "Permission denied", not the read-only retry's "No such
    # file or directory" (which regulation.py explained as a lock left by another user).
    deny_writes(monkeypatch)
    with pytest.raises(PermissionError):
        InstanceLock(tmp_path / "status.json.lock").acquire()


def test_a_full_disk_takes_the_lock_without_its_pid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Pi booted with its SD card full: writing the PID failed, regulation.py said 'cannot open the lock ...: No
    # space left on device; a run as another user may have left it' and exited 2, which systemd's unit does not
    # restart (a bad config's code): no regulation after the disk was freed, until someone started it by hand.
    path = tmp_path / "status.json.lock"
    path.write_text("812\n")  # the last run's

    def no_space(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lock_module.os, "write", no_space)
    held = InstanceLock(path)
    held.acquire()
    try:
        with pytest.raises(AlreadyRunning, match=r"pid \?"):  # (the last run's PID is not ours: not kept)
            InstanceLock(path).acquire()
    finally:
        held.release()


@pytest.mark.parametrize("how", ["removed", "folder removed", "replaced"])
def test_a_lock_removed_while_held_is_made_and_taken_again(tmp_path: Path, how: str) -> None:
    # The status folder deleted while PySEB ran (the saver makes the folder and the status again, not the lock), or a
    # "stale" lock deleted: the next start found no lock held and ran beside the first, both driving the same loads.
    path = tmp_path / "state" / "status.ini.lock"
    first = InstanceLock(path)
    first.acquire()
    try:
        assert first.keep() is None
        if how == "removed":
            path.unlink()
        elif how == "folder removed":
            path.unlink()
            path.parent.rmdir()
        else:
            path.unlink()
            path.write_text("12345\n")  # (another file under the same name, locked by nobody)
        said = first.keep()
        assert said is not None and "was removed while this PySEB ran" in said and "taken again" in said
        with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
            InstanceLock(path).acquire()
        assert first.keep() is None
    finally:
        first.release()


def test_a_lock_removed_and_taken_by_another_is_said_once(tmp_path: Path) -> None:
    path = tmp_path / "status.ini.lock"
    first = InstanceLock(path)
    first.acquire()
    path.unlink()
    second = InstanceLock(path)
    second.acquire()  # (a second PySEB started before the first looked)
    path.write_text("99999\n")  # (its pid: another process's)
    try:
        said = first.keep()
        assert said is not None and "two PySEBs are driving the same loads" in said
        assert first.keep() is None  # (said once)
    finally:
        second.release()
        first.release()


def test_a_lock_whose_file_compares_otherwise_is_still_ours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a file system whose stat and fstat disagree on the same file: it tried to take its own lock again, failed
    # against itself, and said "another (pid <its own>) has taken a new one")
    path = tmp_path / "status.ini.lock"
    first = InstanceLock(path)
    first.acquire()
    try:
        real_fstat = os.fstat
        monkeypatch.setattr(lock_module.os, "fstat", lambda fd: os.stat_result((0, 1, 2, *real_fstat(fd)[3:])))
        assert first.keep() is None
    finally:
        first.release()


def test_a_lock_whose_folder_became_a_file_is_said_not_made(tmp_path: Path) -> None:
    path = tmp_path / "state" / "status.ini.lock"
    first = InstanceLock(path)
    first.acquire()
    try:
        path.unlink()
        path.parent.rmdir()
        path.parent.write_text("")  # (the folder replaced by a file: stat says not a directory)
        said = first.keep()
        assert said is not None and "cannot be made again" in said
        assert first.keep() is None  # (said once)
    finally:
        first.release()
