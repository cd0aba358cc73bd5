"""Temporary folders that say who uses them, so that a folder left by a process killed outright can be removed.

A test run or a demo killed with SIGKILL runs no cleanup: its broker and its daemon die with it (die_with_parent),
but their folders stayed in /tmp, one more at each kill. Each folder made here holds the processes that use it
(PID and start time, so that a PID used again by another process is not taken for them); the next start with the
same prefix removes the folders whose processes are all gone. A folder without that file (being made right now, or
an older PySEB's) is never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["claim_dir", "mark_users", "remove_stale"]

USERS = ".pyseb-users"  # one "pid start_ticks" line per process using the folder
_PROC = Path("/proc")


def _start_ticks(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot), or None when it is gone or a zombie."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # (after the command's closing parenthesis: field 3, the state, is fields[0]; field 22, starttime, fields[19])
    return None if fields[0] in ("Z", "X") else fields[19]


def mark_users(folder: Path, pids: list[int]) -> None:
    """Say that `pids` use `folder` (replacing what was said): written whole, then put in place."""
    lines = [f"{pid} {_start_ticks(pid)}" for pid in pids]
    part = folder / (USERS + ".part")
    part.write_text("\n".join(lines) + "\n")
    os.replace(part, folder / USERS)


def claim_dir(prefix: str) -> Path:
    """A new temporary folder (tempfile.mkdtemp), marked as this process's."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    mark_users(folder, [os.getpid()])
    return folder


def _all_gone(folder: Path) -> bool:
    try:
        lines = (folder / USERS).read_text().splitlines()
    except OSError:
        return False  # not marked: not ours to judge
    users = [line.split() for line in lines if line.strip()]
    if not users or any(len(user) != 2 or not user[0].isdigit() for user in users):
        return False
    return all(_start_ticks(int(pid)) != start for pid, start in users)


def remove_stale(prefix: str) -> list[Path]:
    """Remove the folders `prefix`* in the temporary directory whose processes are all gone; return them."""
    if not (_PROC / "self" / "stat").exists():
        return []  # (no /proc: no telling a live process from a dead one, so nothing is removed)
    removed = []
    for folder in sorted(Path(tempfile.gettempdir()).glob(prefix + "*")):
        if folder.is_dir() and not folder.is_symlink() and _all_gone(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
