"""Where a sweep writes: `<name>.partial.csv` while it measures, `<name>.csv` only once it is complete.

The daemon loads `power_calibration_<NAME>.csv` first; an interrupted sweep must never leave a file
there (a partial one would command the wrong percents, an empty one stops the daemon). Nothing is ever
deleted or overwritten: a file a sweep replaces goes to `<file>.<timestamp>.bak`. Only an empty partial file, which
holds nothing to keep, is removed (said in the log).
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import logging
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from calibration.points import CalibrationError, calibration_text, parse_calibration_rows
from calibration.sweep_link import SweepError, format_percent
from calibration.sweep_target import SweepTarget
from shell.lock import AlreadyRunning, InstanceLock
from values.shown import counted

__all__ = ["SweepFiles", "UnreadableSweep", "back_up", "backup_path", "broker_key", "hold_variator", "partial_path_for",
           "read_done_rows", "torn_tail", "variator_lock_path"]

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
    # second by another sweep of the same load: a second sweep into the same file is refused anyway (check).
    os.rename(path, target)
    log.info("kept %s as %s", path, target)
    return target


def _measured_into(path: Path) -> bool:
    """Whether another sweep is measuring into `path`: it holds a lock on its partial file while it runs."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # none (or unreadable: reading it says so)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # (which lets go of our lock)
    return False


# The names this machine's loopback goes by without asking any resolver (/etc/hosts' own, as Debian writes it).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
LOOPBACK_KEY = "loopback"


def broker_key(host: str) -> str:
    """The broker's host as the variator's lock knows it: every name of this machine's loopback (`localhost`,
    `127.0.0.1`, `::1`, any 127.x.y.z, an IPv4-mapped one, and the machine's own name, which Debian's /etc/hosts
    gives 127.0.1.1: `raspberrypi`) is one, and a name is compared without its case and trailing dot. Nothing is
    looked up (no DNS: a sweep must not wait on a resolver for a lock's name): two names of one remote broker stay
    two, as before."""
    name = host.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]  # (an IPv6 address as a URL writes it)
    if name in LOOPBACK_NAMES or name == socket.gethostname().lower().rstrip("."):  # (gethostname: no DNS)
        return LOOPBACK_KEY
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return name
    mapped = getattr(address, "ipv4_mapped", None)
    return LOOPBACK_KEY if address.is_loopback or (mapped is not None and mapped.is_loopback) else str(address)


def variator_lock_path(target: SweepTarget) -> Path:
    """The lock a sweep (or a lag measure) holds on its variator, one per broker and command topic, in the temporary
    directory: every sweep of that variator finds it, whatever its config file or its CSV (the partial file's lock is
    per file), and whatever name of this machine it gives the broker (a sweep on `localhost` and one on `127.0.0.1`
    drove the same variator together)."""
    key = f"{broker_key(target.host)}:{target.port}/{target.topic_set_power}"
    return Path(tempfile.gettempdir()) / f"pyseb-sweep-{hashlib.sha256(key.encode()).hexdigest()[:16]}.lock"


LAG_MEASURE_NOTE = "(the lag measure)"  # the lock's note of a lag measure (a sweep's is its partial file)


def hold_variator(target: SweepTarget, partial: Path | None = None) -> InstanceLock:
    """Lock the variator for this sweep (measuring into `partial`) or lag measure (None), or SweepError naming the
    tool that has it."""
    lock = InstanceLock(variator_lock_path(target), note=str(partial) if partial is not None else LAG_MEASURE_NOTE)
    try:
        lock.acquire()
    except AlreadyRunning as held:
        # Two sweeps of one variator into two files drove it together, each writing the other's steps as its own.
        if held.note == LAG_MEASURE_NOTE:
            what = f"another lag measure (pid {held.pid}) is driving {target.topic_set_power}"
        else:
            what = (f"another sweep (pid {held.pid}) is driving {target.topic_set_power}, measuring into "
                    f"{held.note or '?'}")
        raise SweepError(f"{what}: let it finish, or stop it (Ctrl-C in its terminal, or kill {held.pid}: the load "
                         "goes to its end percent)") from None
    except OSError as exc:
        raise SweepError(f"cannot open the variator's lock {lock.path}: {exc.strerror or exc}") from None
    return lock


class UnreadableSweep(SweepError):
    """A sweep's CSV or partial file that exists but does not parse; the message names the file and the line."""


def torn_tail(data: bytes) -> int:
    """How many bytes at the end of a partial file a power cut left of the line being written: the bytes after
    its last newline (each step is written with its newline, then flushed to disk), and the zeros some file
    systems (XFS, FAT on a USB stick) leave where bytes never came. A tail with zeros inside is no line of text:
    0 then, and the file is refused as not text."""
    end = len(data.rstrip(b"\0"))
    start = data.rfind(b"\n", 0, end) + 1
    return 0 if b"\0" in data[start:end] else len(data) - start


def read_done_rows(path: Path, torn_tail_cut: bool = False) -> tuple[list[Row], bytes]:
    """The (percent, watts) rows already in a sweep's CSV, in file order ([] for no file), and, with
    `torn_tail_cut` (a partial file, which only this tool writes), its torn_tail: left out of the rows."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], b""
    except OSError as exc:
        raise SweepError(f"{path}: cannot read ({exc.strerror})") from None
    whole = len(data) - (torn_tail(data) if torn_tail_cut else 0)
    data, torn = data[:whole], data[whole:]
    try:
        # (as the fit reads it: a CSV edited in the Windows code page resumes; one that is no text is refused,
        # where its UnicodeDecodeError was a traceback)
        text = calibration_text(data, str(path))
        return [(p, w) for _, p, w in parse_calibration_rows(text, str(path))], torn
    except CalibrationError as exc:
        raise UnreadableSweep(str(exc)) from None


def _summary(rows: list[Row]) -> str:
    return f"{counted(len(rows), 'step')} (down to {format_percent(min(p for p, _ in rows))} %)"


@dataclass(slots=True)
class SweepFiles:
    """The final CSV, its partial file, and what `--resume` / `--overwrite` allow on them."""

    final: Path
    resume: bool = False
    overwrite: bool = False
    partial: Path = field(init=False)
    _resume_from_final: bool = field(init=False, default=False)
    _final_rows: list[Row] = field(init=False, default_factory=list)  # what a resume from the CSV continues
    _begun: bool = field(init=False, default=False)
    # What a power cut left of the partial file's last line (see torn_tail): cut off before a resume appends.
    torn: bytes = field(init=False, default=b"")

    def __post_init__(self) -> None:
        self.partial = partial_path_for(self.final)

    def check(self) -> list[Row]:
        """The finished steps to continue from; SweepError for a refusal. Changes nothing on disk."""
        if _measured_into(self.partial):
            # A sweep left running (in a tmux window, say) when an older stop's hint is followed: both drove the
            # variator into one file (--resume), or the second moved the file aside under the first (--overwrite).
            raise SweepError(f"another sweep is measuring into {self.partial}: let it finish, or stop it (Ctrl-C "
                             f"in its terminal, or kill its process: the load goes to its end percent)")
        if self.overwrite:
            # Measured again from the first step: what the files hold is not read, only kept as a .bak (a CSV or
            # a partial file that no longer parses, a power cut's torn line, is what --overwrite is for).
            return []
        try:
            partial_rows, self.torn = read_done_rows(self.partial, torn_tail_cut=True)
            final_rows, _ = read_done_rows(self.final)
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
                self._resume_from_final, self._final_rows = True, final_rows
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

    def begin(self) -> bytes:
        """The sweep really starts (connected, the regulator offline): set up the partial file. Returns the torn
        last line cut off the partial file being resumed (b"" for none)."""
        self._begun = True
        if self._resume_from_final:
            # Its rows as this tool writes them, not a copy: the steps appended after a comma-separated CSV (an
            # English spreadsheet's) made a file of both separators, refused once complete; a last line saved
            # without its newline ran on into the next step. The CSV itself is kept as a .bak when complete.
            with open(self.partial, "w", encoding="utf-8") as fh:
                fh.writelines(f"{percent!r};{watts!r}\n" for percent, watts in self._final_rows)
                fh.flush()
                os.fsync(fh.fileno())
        elif not self.resume and self.partial.exists():
            if not self.remove_if_empty():
                back_up(self.partial)  # --overwrite of a stopped sweep
        else:
            return self.cut_torn()
        return b""

    def remove_if_empty(self) -> bool:
        """Remove the partial file if it is empty (a sweep stopped, or killed, before its first step), saying so;
        True when removed. Kept as a .bak at each next sweep, every such stop added an empty file to the folder."""
        try:
            if self.partial.stat().st_size != 0:
                return False
            self.partial.unlink()
        except FileNotFoundError:
            return False
        log.info("removed %s: no step measured into it", self.partial)
        return True

    def cut_torn(self) -> bytes:
        """Cut the torn last line off the partial file being resumed, once; returns it (b"" for none)."""
        torn, self.torn = self.torn, b""
        if torn and self.resume and not self._resume_from_final:
            # The step it was writing is measured again: appended to those bytes, the next one made a broken line,
            # and a complete sweep became a CSV with the zeros in it (the daemon refused it as no text).
            with open(self.partial, "r+b") as fh:
                fh.truncate(fh.seek(0, os.SEEK_END) - len(torn))
                os.fsync(fh.fileno())
            log.warning("cut the torn last line of %s: %r", self.partial, torn)
            return torn
        return b""

    def open_partial(self) -> TextIO:
        """The partial file, opened for appending steps, and locked for as long as it is open (see check)."""
        csv_file = open(self.partial, "a", encoding="utf-8")  # noqa: SIM115 (the caller closes it)
        try:
            fcntl.flock(csv_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            csv_file.close()
            raise SweepError(f"another sweep is measuring into {self.partial}: it started meanwhile") from None
        return csv_file

    def complete(self) -> Path | None:
        """Every step is measured: the partial file becomes the CSV; returns the backup of the old CSV, if any."""
        if self._resume_from_final and not self._begun:
            return None  # resumed a complete CSV of an older version: the data is already in place
        self.cut_torn()
        backup = back_up(self.final) if self.final.exists() else None
        os.replace(self.partial, self.final)
        return backup
