"""The modes of what PySEB makes on disk: files 0644, folders 0755, which the umask may only narrow. Left to
Python's defaults (0666, 0777), a umask of 000 (a container's, a shell's set so) made the log file and the
folders of the log, the status file and the records writable by every user of the machine. And the temporary files
its atomic writes leave when killed: how they are named, and their removal."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

FILE_MODE = 0o644  # readable by a dashboard running as another user, written by PySEB's user only
FOLDER_MODE = 0o755
# What tempfile.mkstemp puts between a prefix and a suffix: 8 of "a-z0-9_" (tempfile's own alphabet). The files
# PySEB writes whole through a temp file beside them (the status file, a day file rewritten) are named so, and the
# cleanups of what a kill left behind take these only: `.status.ini.foo.tmp` or `.status.ini.ABCDEFGH.tmp` is a
# user's own.
TEMP_RANDOM = r"[a-z0-9_]{8}"


def make_folder(path: Path) -> None:
    """`path` and its missing parents (as `mkdir -p`), each made FOLDER_MODE less the umask; a folder that exists is
    left as it is. FileExistsError when a file is in the way."""
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileNotFoundError:
        # (pathlib's parents=True makes the parents 0777 less the umask, whatever `mode` says)
        make_folder(path.parent)
        path.mkdir(mode=FOLDER_MODE, exist_ok=True)
    except FileExistsError:
        if not path.is_dir():
            raise


def file_opener(path: str, flags: int) -> int:
    """(`open`'s opener) A file it creates is made FILE_MODE less the umask, not 0666."""
    return os.open(path, flags, FILE_MODE)


def remove_temporaries(directory: Path, is_ours: Callable[[str], bool], cannot_remove: Callable[[Path, OSError], None],
                       before_s: float | None = None) -> list[Path]:
    """Remove the files in `directory` whose name `is_ours` takes (a killed write's temporary files: the status
    file's, a day file's), only those last written before `before_s` (epoch seconds) when it is given; the removed
    paths, in name order. A link or a folder so named is no file of ours: left. One that cannot be removed is handed
    to `cannot_remove` (each caller says it in its words) and left. A missing folder has none; one that cannot be
    listed raises OSError."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    removed = []
    for name in names:
        if not is_ours(name):
            continue
        path = directory / name
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or (before_s is not None and info.st_mtime >= before_s):
                continue  # (a link or a folder is no temp file of ours; a recent one may be at work)
            path.unlink()
        except OSError as exc:
            cannot_remove(path, exc)
            continue
        removed.append(path)
    return removed
