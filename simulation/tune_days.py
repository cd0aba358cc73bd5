"""`tune`'s days given twice under two names: one day recorded in two folders (a copy of the records folder, a
backup taken during the day while the original went on) was counted as two, its figures given double weight.

What is the same day, robustly: the same bytes (a copy, whatever its name), or a recorded day whose decisions are
the start of (or all of) another's with the same date and the same loads (a copy taken before the day ended; the
day files only grow, a batch at a time). The same date and loads alone are not enough: two houses (or a neighbour's
days) record the same date with the same load names, and their readings differ from the first decision on. The
longer is kept; the note names both paths. A day unpacked (`pyseb-DAY.csv`) beside the `.csv.gz` the daemon wrote
in the same folder is left out for it, whatever it holds (said, and whether it differs)."""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from core.decisions import DecisionRecord
from recording.days import day_of_file, part_of_file
from recording.format import RecordedDay, RecordError, is_record_file, read_record
from simulation.tune_grid import TuneError
from values.shown import counted

__all__ = ["DayReads", "given_days", "resolve_days", "same_days"]

_DayKey = tuple[str | None, tuple[str, ...], tuple[bool, ...], DecisionRecord | None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Read(Generic[T]):
    """What is kept of one read of a recorded day."""

    why: str | None  # why it cannot be read at all (without its file's name), None when it was read
    key: _DayKey | None  # what a copy of it shares (date, loads, first decision)
    kept: T | Exception | None  # what the caller keeps of it (or why none), when asked
    short: bool = False  # read, but with fewer decisions than min_decisions: `why` says so


class DayReads(Generic[T]):
    """Each recorded day tune or report is given, read once (0.4 s a day at 2 s on a PC; it was read two or three
    times, for the folder's check, the copies and the daylight or the report): what those take from it is kept, the
    day itself is not (25 MB at 2 s: a month of days held at once would not fit a Pi's memory). `keep` takes what
    the caller wants of a day read (tune its daylight window, report its report); one of the `errors` it raises is
    kept and raised where that is asked for, as before."""

    def __init__(self, keep: Callable[[Path, RecordedDay], T] | None = None,
                 errors: tuple[type[Exception], ...] = (), min_decisions: int = 0) -> None:
        """`min_decisions`: a day with fewer is one that cannot be read (tune's replay needs two: a folder's day the
        daemon ran a few seconds of, stopped the whole tune)."""
        self._keep = keep
        self._errors = errors
        self._min_decisions = min_decisions
        self._reads: dict[Path, _Read[T]] = {}

    def _read(self, path: Path) -> _Read[T]:
        if path not in self._reads:
            self._reads[path] = self._first_read(path)
        return self._reads[path]

    def _first_read(self, path: Path) -> _Read[T]:
        try:
            day = read_record(path)
        except RecordError as exc:
            return _Read(str(exc).removeprefix(f"{path}: "), None, None)
        if len(day.records) < self._min_decisions:
            return _Read(f"{counted(len(day.records), 'decision')}: a replay needs {self._min_decisions} at least",
                         None, None, short=True)
        key = (day.date, day.names, day.relays, day.records[0] if day.records else None)
        if self._keep is None:
            return _Read(None, key, None)
        try:
            return _Read(None, key, self._keep(path, day))
        except self._errors as exc:  # (said in its turn)
            return _Read(None, key, exc)

    def unreadable(self, path: Path, at_all: bool = False) -> str | None:
        """Why the recorded day `path` cannot be read at all (without its file's name), or None. `at_all`: a day read
        whole but with fewer than min_decisions is not said (a date's part of one decision is the date's, replayed
        with its other parts: the date's check takes the tune's reads, and left it out)."""
        read = self._read(path)
        return None if at_all and read.short else read.why

    def key(self, path: Path) -> _DayKey | None:
        """What a copy of the recorded day `path` shares with it; None when it cannot be read."""
        return self._read(path).key

    def forget_kept(self) -> None:
        """Drop what `keep` took of each day (tune's windows made of it): what tells a day or a copy is kept."""
        self._reads = {path: replace(read, kept=None) for path, read in self._reads.items()}

    def kept(self, day: tuple[Path, ...]) -> T | None:
        """What `keep` took of `day` in its one read, when it is one file read here; None otherwise (the parts of a
        day: their trace is one, read together; a trace; a file resolve_days did not read; a day that cannot be
        read: its reader says why)."""
        read = self._reads.get(day[0]) if len(day) == 1 else None
        if read is None or read.kept is None:
            return None
        if isinstance(read.kept, Exception):
            raise read.kept
        return read.kept


def resolve_days(paths: Sequence[Path], reads: DayReads[Any] | None = None,
                 ) -> tuple[list[Path], list[str], list[str]]:
    """The days `paths` give, as `tune` and `report` take them: a folder its days, a pattern its files (given_days),
    a file given twice once, one day under two names once (same_days); the notes of the folders (what each gave: said
    before the days, which they introduce) and those of the days left out. Each recorded day is read once, by
    `reads`."""
    reads = DayReads() if reads is None else reads
    files, folders = given_days(paths, reads)
    files = list({path.resolve(): path for path in files}.values())
    files, twice = same_days(files, reads)
    return files, folders, twice


def _in_day_order(paths: Iterable[Path]) -> list[Path]:
    """`paths` by folder, day and part: a day's `-2` part after its first (by name, '-' sorts before '.')."""
    def key(path: Path) -> tuple[str, str, int, str]:
        found = day_of_file(path)
        return str(path.parent), found[1] if found else path.name, part_of_file(path), path.name
    return sorted(paths, key=key)


def given_days(paths: Sequence[Path], reads: DayReads[Any] | None = None) -> tuple[list[Path], list[str]]:
    """The day files `paths` name, a folder standing for the recorded days in it and a pattern no shell expanded
    (quoted, or run where none does) for the files it matches; and a note for each folder. Raises TuneError for a
    folder with no day in it or a pattern that matches nothing: `tune records` was "cannot read the trace: Is a
    directory"."""
    reads = DayReads() if reads is None else reads
    files: list[Path] = []
    notes: list[str] = []
    for path in paths:
        if not path.exists() and glob.has_magic(str(path)):
            matched = _in_day_order(Path(name) for name in glob.glob(str(path)))
            if not matched:
                raise TuneError(f"{path}: no file matches this pattern")
            more, more_notes = given_days(matched, reads)
            files += more
            notes += more_notes
        elif path.is_dir():
            found = _in_day_order(day for day in path.iterdir()
                                  if day.name.startswith("pyseb-") and day.is_file() and is_record_file(day))
            # (a day given by name that cannot be read stops the tune, named; one in a folder the owner did not
            # name, an empty file or a power cut in its first write, is left out, and said)
            unread = {day: why for day in found if (why := reads.unreadable(day)) is not None}
            days = [day for day in found if day not in unread]
            left_out = ", ".join(f"{day.name} ({why})" for day, why in unread.items())
            if not days:
                raise TuneError(f"{path}: a folder with no recorded day (pyseb-YYYY-MM-DD.csv.gz) in it"
                                + (f" that can be read: {left_out}" if unread else ""))
            dates = {named[1] if (named := day_of_file(day)) else day.name for day in days}
            notes.append(f"{path}: a folder: its {counted(len(dates), 'recorded day')}"
                         + (f", in {len(days)} files" if len(days) > len(dates) else "")
                         + (f"; left out: {left_out}" if unread else ""))
            files += days
        else:
            files.append(path)
    return files, notes


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None  # (said by the replay that reads it)


def _records(path: Path) -> list[DecisionRecord] | None:
    try:
        return read_record(path).records
    except RecordError:
        return None  # (said by the replay that reads it)


def same_days(paths: Sequence[Path], reads: DayReads[Any] | None = None) -> tuple[list[Path], list[str]]:
    """`paths` less the ones that hold a day another of them holds too (in their order), and a note for each."""
    reads = DayReads() if reads is None else reads
    dropped = _unpacked_beside(paths)
    first_of: dict[str, Path] = {}
    for path in paths:
        digest = _digest(path) if path not in dropped else None
        if digest is None:
            continue
        if digest in first_of:
            dropped[path] = f"{path}: the same file as {first_of[digest]}: counted once"
        else:
            first_of[digest] = path
    # Recorded days: grouped by what a copy shares (date, loads, first decision); only a group's few are compared
    # decision by decision (a month of days held at once would not fit a Pi's memory).
    groups: dict[_DayKey, list[Path]] = {}
    for path in paths:
        if path in dropped or not is_record_file(path):
            continue
        key = reads.key(path)
        if key is None:
            continue
        groups.setdefault(key, []).append(path)
    for members in groups.values():
        if len(members) > 1:
            dropped.update(_copies(members))
    return [path for path in paths if path not in dropped], [dropped[path] for path in paths if path in dropped]


def _unpacked_beside(paths: Sequence[Path]) -> dict[Path, str]:
    """The days unpacked (`pyseb-DAY.csv`) given with the `.csv.gz` the daemon wrote beside them (the same folder and
    part), with their notes. The daemon's is kept: an unpacked copy (taken to look at the day) stops where it was
    taken and may have been edited; the names' order kept the `.csv`."""
    packed = {(key, part_of_file(path)): path for path in paths
              if path.name.endswith(".gz") and (key := day_of_file(path)) is not None}
    notes: dict[Path, str] = {}
    for path in paths:
        key = day_of_file(path)
        daemon = None if key is None or path.name.endswith(".gz") else packed.get((key, part_of_file(path)))
        if daemon is None:
            continue
        mine, its = _records(path), _records(daemon)
        how = ("" if mine == its else " (the start of it)" if mine is not None and its is not None
               and its[:len(mine)] == mine else ": its decisions differ from that file's; compare them if you edited "
               "it")
        notes[path] = f"{path}: the same day unpacked, beside the file the daemon wrote, {daemon}: left out{how}"
    return notes


def _copies(members: list[Path]) -> dict[Path, str]:
    """Of recorded days with the same date, loads and first decision, those whose decisions are the start of a
    longer one's (or all of it), with their notes."""
    records = {path: _records(path) or [] for path in members}
    kept: list[Path] = []
    notes: dict[Path, str] = {}
    for path in sorted(members, key=lambda path: -len(records[path])):  # (stable: equal ones in their order)
        mine = records[path]
        longer = next((other for other in kept if records[other][:len(mine)] == mine), None)
        if longer is None:
            kept.append(path)
            continue
        how = "the same decisions as" if len(records[longer]) == len(mine) else "the start of"
        notes[path] = f"{path}: {how} {longer} (the same day recorded twice): counted once, as {longer}"
    return notes
