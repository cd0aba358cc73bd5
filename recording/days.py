"""The day files' names (`pyseb-DAY.csv.gz`, its `-2`, `-3`... parts), the days recorded in a folder, and removing
days older than `keep_days` (the newest `keep_days` recorded days always stay)."""

from __future__ import annotations

import logging
import os
import re
from datetime import date, timedelta
from pathlib import Path

__all__ = ["DAY_FILE", "PARTS_WHY", "day_of_file", "day_parts", "part_of_file", "prune", "recorded_days"]

log = logging.getLogger("recording.store")  # (its lines were the store's: said under the same name)

# A day file's name: its date, its part (`-2`, `-3`...), and `.gz` unless the owner unpacked it (gunzip: the readers
# take its text as the file it came from). The daemon writes, repairs and removes only the `.csv.gz` (an unpacked
# day is the owner's), but the parts of one day are one day whatever their packing.
DAY_FILE = re.compile(r"^pyseb-(\d{4}-\d{2}-\d{2})(?:-(\d+))?\.csv(\.gz)?$")
# Why a day goes on in `-2`, `-3`...: a file has one header, which names the loads and the gap (meter_timeout). Said
# to the user wherever the parts are named: a restart that changed meter_timeout alone was said a change of loads. The
# header names the format too: the day PySEB is updated to a new one (format 2: drew_w) goes on in a new part.
PARTS_WHY = "its loads or [evaluate] meter_timeout changed that day, or the file format (an update)"


def day_of_file(path: Path) -> tuple[Path, str] | None:
    """(folder, date) of a day file's name (`pyseb-DAY.csv.gz` or its `-2`, `-3`... split, packed or not), else
    None."""
    match = DAY_FILE.match(path.name)
    return None if match is None else (path.resolve().parent, match.group(1))


def part_of_file(path: Path) -> int:
    """1 for `pyseb-DAY.csv.gz` (or `.csv`), 2 for its `-2` part...; 1 for any other name."""
    match = DAY_FILE.match(path.name)
    return int(match.group(2) or 1) if match else 1


def day_parts(directory: Path, day: str) -> list[Path]:
    """The files of `day` in `directory`, in order: `pyseb-DAY.csv.gz`, then its `-2`, `-3`... (the parts
    recorded after the loads or meter_timeout changed), packed or not; a part there both ways is the daemon's
    `.csv.gz`."""
    found: dict[int, Path] = {}
    for path in sorted(directory.glob(f"pyseb-{day}*.csv*")):  # (.csv before .csv.gz: the daemon's wins)
        if (m := DAY_FILE.match(path.name)) is not None and m.group(1) == day:
            found[int(m.group(2) or 1)] = path
    return [found[part] for part in sorted(found)]


def _day_files(directory: Path) -> list[tuple[date, Path]]:
    """The day files the daemon wrote (`.csv.gz`) in `directory` with their day (a name of no real date, 2026-13-45, is
    none). OSError when the folder cannot be listed."""
    files = []
    for name in os.listdir(directory):
        match = DAY_FILE.match(name)
        if match is None or match.group(3) is None:
            continue  # (an unpacked day is the owner's copy: not the daemon's to remove)
        try:
            files.append((date.fromisoformat(match.group(1)), directory / name))
        except ValueError:
            continue
    return files


def recorded_days(directory: Path) -> list[str]:
    """The days (YYYY-MM-DD) with a day file in `directory`, in order; none when it is missing or unreadable."""
    try:
        files = _day_files(directory)
    except OSError:
        return []
    return sorted({day.isoformat() for day, _ in files})


def prune(directory: Path, today: date, keep_days: int) -> list[Path]:
    """Remove day files older than `keep_days` days before `today`, once `keep_days` newer days are recorded;
    the removed paths.

    The second condition is what keeps the owner's days when the clock is wrong: a Pi whose clock module read a
    date years ahead (a flat battery, a bad RTC) removed every recorded day at its first write, days that `tune` and
    `replay` exist to read. A clock cannot be told wrong from a Pi that was off for months, so the rule holds for
    both: the newest `keep_days` recorded days always stay (a gap in recording keeps older days a little longer, and
    the folder holds `keep_days` days, but for days dated after `today`: written while the clock was ahead, they
    are kept, and each counts as a newer day)."""
    oldest = today - timedelta(days=keep_days - 1)
    files = _day_files(directory)
    days = sorted({today} | {day for day, _ in files}, reverse=True)  # (today's: being written)
    newer_days = {day: count for count, day in enumerate(days)}  # (recorded days after each one)
    removed = []
    for day, path in sorted(files):
        if day < oldest and newer_days[day] >= keep_days:
            try:
                path.unlink()
                removed.append(path)
            except OSError as exc:
                log.warning("record %s: cannot remove an old day: %s", path, exc.strerror or exc)
    return removed
