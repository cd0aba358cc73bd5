"""The temporary files a day file's rewrite leaves when PySEB is killed in the middle of it (SIGKILL, a power cut
between the write and the rename): nothing else ever removes them, and each holds up to a day's file. Removed at the
recorder's start: ours alone (`.pyseb-DAY.csv.gz.XXXXXXXX.tmp`, mkstemp's name), and only those last written before
this process started (one written since is another PySEB's at work, a `replay --record` in the same folder)."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from recording.days import DAY_FILE
from recording.store import TEMP_SUFFIX
from values.file_modes import TEMP_RANDOM, remove_temporaries

__all__ = ["is_our_temporary", "process_started_at", "remove_stale_temporaries"]

log = logging.getLogger(__name__)

_TEMPORARY = re.compile(r"\.(?P<day>.+)\." + TEMP_RANDOM + re.escape(TEMP_SUFFIX))
_IMPORTED_AT = time.time()  # (where /proc does not say when the process started: a little later than that)


def is_our_temporary(name: str) -> bool:
    """Whether the file name `name` is one the rewrite of a day file gives its temporary file."""
    match = _TEMPORARY.fullmatch(name)
    return match is not None and DAY_FILE.match(match.group("day")) is not None


def process_started_at() -> float:
    """The epoch time this process started (Linux's /proc, to a second; elsewhere, when this module was imported)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            # (after the command's name in parentheses, which may hold spaces: field 3 on; the start is field 22)
            ticks = int(handle.read().rpartition(")")[2].split()[19])
        with open("/proc/stat", encoding="ascii") as handle:
            booted = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
    except (OSError, ValueError, IndexError, StopIteration):
        return _IMPORTED_AT
    return booted + ticks / os.sysconf("SC_CLK_TCK")


def remove_stale_temporaries(directory: Path, before_s: float) -> list[Path]:
    """Remove our temporary files in `directory` last written before `before_s` (epoch seconds), and say so; the
    removed paths. A missing folder has none; one that cannot be listed raises OSError."""

    def cannot_remove(path: Path, exc: OSError) -> None:
        log.warning("recorder: cannot remove %s, left by an interrupted rewrite of a day file: %s", path,
                    exc.strerror or exc)

    removed = remove_temporaries(directory, is_our_temporary, cannot_remove, before_s)
    if removed:
        log.warning("recorder: removed %d temporary file(s) left in %s by interrupted rewrites of day files (PySEB was "
                    "stopped by a kill or a power cut in the middle of one): %s", len(removed), directory,
                    ", ".join(path.name for path in removed))
    return removed
