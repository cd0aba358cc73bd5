"""Where a sweep writes: `<name>.partial.csv` while it measures, `<name>.csv` only once it is complete.

The daemon loads `power_calibration_<NAME>.csv` first; an interrupted sweep must never leave a file
there (a partial one would command the wrong percents, an empty one stops the daemon). Nothing is ever
deleted or overwritten: a file a sweep replaces goes to `<file>.<timestamp>.bak`.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from calibration.points import CalibrationError, calibration_text, parse_calibration_rows
from calibration.sweep_link import SweepError, format_percent

__all__ = ["SweepFiles", "UnreadableSweep", "back_up", "backup_path", "partial_path_for", "read_done_rows"]

log = logging.getLogger(__name__)

Row = tuple[float, float]


def partial_path_for(csv_path: Path) -> Path:
    """`power_calibration_ecs.csv` -> `power_calibration_ecs.partial.csv` (a name the daemon never loads)."""
    return csv_path.with_name(f"{csv_path.stem}.partial{csv_path.suffix or '.csv'}")


def backup_path(path: Path, now: float | None = None) -> Path:
    """A free `<file>.<YYYYmmdd-HHMMSS>[-N].bak` next to `path`: an older backup is never overwritten."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{stamp}-{number}.bak")
        number += 1
    return candidate


def back_up(path: Path) -> Path:
    """Move `path` to a fresh backup name and return it."""
    target = backup_path(path)
    # A rename between the exists() check and here could clobber only a backup made in the same
    # second by another sweep of the same load: two sweeps of one variator are refused anyway.
    os.rename(path, target)
    log.info("kept %s as %s", path, target)
    return target


class UnreadableSweep(SweepError):
    """A sweep's CSV or partial file that exists but does not parse; the message names the file and the line."""


def read_done_rows(path: Path) -> list[Row]:
    """The (percent, watts) rows already in a sweep's CSV, in file order ([] for no file)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise SweepError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        # (as the fit reads it: a CSV edited in the Windows code page resumes; one that is no text is refused,
        # where its UnicodeDecodeError was a traceback)
        return [(p, w) for _, p, w in parse_calibration_rows(calibration_text(data, str(path)), str(path))]
    except CalibrationError as exc:
        raise UnreadableSweep(str(exc)) from None


def _summary(rows: list[Row]) -> str:
    return f"{len(rows)} steps (down to {format_percent(min(p for p, _ in rows))} %)"


@dataclass(slots=True)
class SweepFiles:
    """The final CSV, its partial file, and what `--resume` / `--overwrite` allow on them."""

    final: Path
    resume: bool = False
    overwrite: bool = False
    partial: Path = field(init=False)
    _resume_from_final: bool = field(init=False, default=False)
    _begun: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.partial = partial_path_for(self.final)

    def check(self) -> list[Row]:
        """The finished steps to continue from; SweepError for a refusal. Changes nothing on disk."""
        if self.overwrite:
            # Measured again from the first step: what the files hold is not read, only kept as a .bak (a CSV or
            # a partial file that no longer parses, a power cut's torn line, is what --overwrite is for).
            return []
        try:
            partial_rows = read_done_rows(self.partial)
            final_rows = read_done_rows(self.final)
        except UnreadableSweep as exc:
            if self.resume:
                raise SweepError(f"cannot resume: {exc}; correct that line, or measure again with --overwrite "
                                 f"(the file is kept as a .bak)") from None
            raise SweepError(f"the sweep's file is there but cannot be read: {exc}; --overwrite measures again "
                             f"(the file is kept as a .bak)") from None
        if self.resume:
            if partial_rows:
                return partial_rows
            if final_rows:
                # Written in place by an older version of this tool: continued in the partial file.
                self._resume_from_final = True
                return final_rows
            raise SweepError(f"nothing to resume: neither {self.partial} nor {self.final} holds a finished step")
        if partial_rows:
            raise SweepError(f"{self.partial} holds a stopped sweep, {_summary(partial_rows)}: --resume continues "
                             f"it, --overwrite starts again (the old file is kept as a .bak)")
        if final_rows:
            raise SweepError(f"{self.final} already holds {_summary(final_rows)}: --resume continues it, "
                             f"--overwrite measures again (the old file is kept as a .bak once the new sweep "
                             f"completes)")
        return []

    def begin(self) -> None:
        """The sweep really starts (connected, the regulator offline): set up the partial file."""
        self._begun = True
        if self._resume_from_final:
            shutil.copyfile(self.final, self.partial)
        elif not self.resume and self.partial.exists():
            back_up(self.partial)  # --overwrite of a stopped sweep, or an empty leftover

    def open_partial(self) -> TextIO:
        """The partial file, opened for appending steps."""
        return open(self.partial, "a", encoding="utf-8")

    def complete(self) -> Path | None:
        """Every step is measured: the partial file becomes the CSV; returns the backup of the old CSV, if any."""
        if self._resume_from_final and not self._begun:
            return None  # resumed a complete CSV of an older version: the data is already in place
        backup = back_up(self.final) if self.final.exists() else None
        os.replace(self.partial, self.final)
        return backup
