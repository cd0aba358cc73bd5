"""The status file on disk: written atomically (temp file, fsync, os.replace), read defensively."""

from __future__ import annotations

import configparser
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from values.file_modes import FILE_MODE, TEMP_RANDOM, make_folder, remove_temporaries
from values.saved_numbers import saved_epoch, unset_clock_epoch
from values.text import UTF8_MARK

log = logging.getLogger(__name__)


def _keep_owner_and_mode(fd: int, path: Path) -> None:
    """Give the temp file the mode (and, as root, the owner) of the file it replaces: mkstemp's 0600 would
    hide the status from a dashboard, and a root run would lock the usual user out of it. Best effort: a file
    system that refuses the change (NFS's root_squash, some FUSE ones: their modes are the mount's) must not
    cost the save itself, which then failed at every status_time."""
    try:
        old = os.stat(path)
    except OSError:  # (none yet, or not readable: a new file's mode)
        mode = FILE_MODE
    else:
        mode = old.st_mode & 0o7777  # (kept even when the owner cannot be: a chown refused is no reason for 0644)
        if os.geteuid() == 0 and (old.st_uid, old.st_gid) != (0, 0):
            try:
                os.fchown(fd, old.st_uid, old.st_gid)
            except OSError as exc:
                log.debug("status file %s: its owner not given to the new save: %s", path, exc.strerror)
    try:
        os.fchmod(fd, mode)
    except OSError as exc:
        log.debug("status file %s: mode %o not given to the new save: %s", path, mode, exc.strerror)


TEMP_SUFFIX = ".tmp"
# A status file is a few kB (a house of ten loads with a fortnight of MQTT forecasts, some 20 kB): one over this is not
# read, but set aside. Read whole, 40 MB of NULs took 650 MB of memory (a Pi Zero 2 has 512 MB): every start crashed
# on it before it could be set aside.
MAX_STATUS_BYTES = 10_000_000


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def is_our_temporary(path: Path, candidate: Path) -> bool:
    """Whether `candidate` is named as save_status names its temporary files of `path`."""
    pattern = re.escape(_temp_prefix(path)) + TEMP_RANDOM + re.escape(TEMP_SUFFIX)
    return candidate.parent == path.parent and re.fullmatch(pattern, candidate.name) is not None


def save_status(path: Path, document: dict[str, Any]) -> None:
    """Write `document` to `path` so that a crash at any moment leaves either the old or the new file."""
    make_folder(path.parent)
    data = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:  # (closes fd whatever fails: a descriptor left open at each failed save
            _keep_owner_and_mode(fd, path)  # ran the daemon out of them)
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    # The rename itself must reach the disk too (a power cut on a Pi is the usual stop).
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Delete the temporary files that saves of `path` left behind when killed mid-write (SIGKILL, power
    cut): only our own pattern, `.<name>.XXXXXXXX.tmp` beside it, X being mkstemp's 8 characters. Call it
    while holding the instance lock (no save of ours is under way). Returns what was removed."""

    def cannot_remove(candidate: Path, exc: OSError) -> None:
        log.warning("cannot remove %s, left by an interrupted save: %s", candidate, exc.strerror)

    try:
        removed = remove_temporaries(path.parent, lambda name: is_our_temporary(path, path.parent / name),
                                     cannot_remove)
    except OSError:  # (a folder that cannot be listed: nothing to remove there; the load and the saves say why)
        return []
    if removed:
        log.warning("removed %d temporary file(s) left in %s by interrupted saves of %s (the daemon was killed "
                    "while saving): %s", len(removed), path.parent, path.name, ", ".join(p.name for p in removed))
    return removed


CLEAN_START = "clean start"


def set_aside(path: Path, why: str, outcome: str = CLEAN_START) -> Path | None:
    """Rename an unusable status file to `<name>.bad-<local time>` so that the next save does not destroy
    it and a user can see what happened (`outcome`: what the start took of it, if anything); returns the new path
    (None, logged, when it cannot be moved)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bad-{stamp}-{n}")
    try:
        os.replace(path, target)
    except OSError as exc:
        log.warning("status file %s (%s) could not be kept aside: %s; the next save replaces it", path, why,
                    exc.strerror)
        return None
    log.warning("status file %s %s: kept aside as %s (%s)", path, why, target.name, outcome)
    _prune_set_aside(path, target)
    return target


SET_ASIDE_KEPT = 5  # (a fault met at many starts, a dying SD card or a script writing the file, filled the folder)
_SET_ASIDE_SUFFIX = re.compile(r"\.bad-(\d{8}-\d{6})(?:-(\d+))?")


def _prune_set_aside(path: Path, kept: Path) -> None:
    """Remove the files set_aside kept of `path` but the SET_ASIDE_KEPT newest, `kept` (the one just made) always
    among them: newest by the time in their names (-10 after -2), not by the clock: a Pi without a clock chip
    boots behind, and names the one it keeps aside then before the others. Only regular files named so."""
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    older = []
    for name in names:
        found = _SET_ASIDE_SUFFIX.fullmatch(name[len(path.name):]) if name.startswith(path.name) else None
        candidate = path.parent / name
        if found and name != kept.name and not candidate.is_symlink() and candidate.is_file():
            older.append(((found[1], int(found[2] or 1)), candidate))
    removed = []
    for _, candidate in sorted(older, reverse=True)[SET_ASIDE_KEPT - 1:]:
        try:
            candidate.unlink()
        except OSError as exc:
            log.warning("cannot remove %s, an older status file kept aside: %s", candidate, exc.strerror)
            continue
        removed.append(candidate.name)
    if removed:
        log.warning("removed %d older status file(s) kept aside beside %s (the newest %d are kept): %s",
                    len(removed), path.name, SET_ASIDE_KEPT, ", ".join(removed))


COPIES_SHOWN = 3
# What, added to the status file's name, makes a copy of it: one set_aside kept (`.bad-<time>`), an owner's or an
# editor's backup. Not any name that starts so: the seed ships `status.ini.example.json` at its root, and a seed
# user starting PySEB there was told a status file had been lost.
_COPY_SUFFIX = re.compile(_SET_ASIDE_SUFFIX.pattern + r"|(?i:\.(bak|backup|old|orig|save)([.-]?[\w-]*)?)|~")


def copies_beside(path: Path) -> list[str]:
    """The copies of `path` beside it: one set_aside kept (`status.ini.bad-20261201-101010`), an owner's or an
    editor's backup (`status.ini.bak`, `.old`, `.orig`, `.save`, `status.ini~`). Sorted; none when the folder is
    missing or unreadable."""
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    return sorted(name for name in names
                  if name.startswith(path.name) and _COPY_SUFFIX.fullmatch(name[len(path.name):]))


def _said_missing(path: Path, expected_because: Callable[[], Sequence[str]]) -> None:
    """No file at `path`: a first start (INFO) unless something says one was saved (WARNING, naming it: the file
    was moved or removed, or `[status] file` changed, and the day's energies and forces are lost)."""
    signs = list(expected_because())
    copies = copies_beside(path)
    if copies:
        more = f" and {len(copies) - COPIES_SHOWN} more" if len(copies) > COPIES_SHOWN else ""
        signs.insert(0, f"{', '.join(copies[:COPIES_SHOWN])}{more} {'is' if len(copies) == 1 else 'are'} beside it")
    if signs:
        log.warning("no status file at %s, but %s: clean start (moved, removed, or [status] file changed?)", path,
                    " and ".join(signs))
    else:
        log.info("no status file at %s (a first start: nothing beside it says one was saved): clean start", path)


def load_status(path: Path, keep_aside: bool = False,
                expected_because: Callable[[], Sequence[str]] = tuple) -> dict[str, Any] | None:
    """The saved document, or None (with a warning) when missing, unreadable, corrupt or not a status file (no
    plausible 'date' included). With `keep_aside`, an unusable file is renamed (set_aside) rather than left for the
    next save to overwrite. A missing file is a first start, said at INFO only, unless a copy beside it or
    `expected_because` (what else says one was saved: "the recorder has 12 day(s) in ...", asked only then: it
    lists the recorder's folder) says otherwise."""
    document, problem = _read_status(path)
    if document is None and problem is None:
        _said_missing(path, expected_because)
    elif problem is not None:
        if keep_aside:
            set_aside(path, problem)
        else:
            log.warning("status file %s %s: clean start", path, problem)
    return document


def _seed_ini(raw: bytes) -> bool:
    """Whether `raw` is the INI status.ini of Coturex's first versions ([init] ecs_energy_today = ...), which
    JSON calls an error at line 1, as if the file were damaged."""
    if not raw.removeprefix(UTF8_MARK).lstrip().startswith(b"["):
        return False  # (configparser's error quotes the whole first line: 40 MB of NULs took 600 MB to say so)
    parser = configparser.ConfigParser()
    try:
        parser.read_string(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, configparser.Error):
        return False
    return parser.has_section("init")


def _read_status(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(document, None), (None, None) when there is no file, or (None, what is wrong with it)."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_STATUS_BYTES + 1)
    except FileNotFoundError:
        return None, None
    except OSError as exc:  # (one the service user may not read, left 0600 by a root run: kept aside at the start)
        return None, f"cannot be read ({exc.strerror})"
    if len(raw) > MAX_STATUS_BYTES:
        return None, (f"is over {MAX_STATUS_BYTES // 1_000_000} MB, where a status file is a few kB (a disk's "
                      "garbage, another file saved under its name): not read")
    try:
        # (utf-8-sig: a file fixed by hand in a Windows editor starts with a BOM, which json refuses)
        document = json.loads(raw.decode("utf-8-sig"))
    except MemoryError:
        return None, "is corrupt (too big to read in this memory)"
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        if _seed_ini(raw):
            return None, "is the INI status of the seed's first versions (2022), not JSON: not read"
        return None, f"is corrupt ({str(exc)[:200]})"
    if not isinstance(document, dict) or not isinstance(document.get("equipments"), list):
        return None, "is not a PySEB status (no equipments list)"
    version = document.get("schema_version")
    if version is not None and version != 1:
        # (repr: a hand edit's "1", a string, read "has schema_version 1, this PySEB reads 1")
        return None, f"has schema_version {repr(version)[:40]}, this PySEB reads the number 1"
    # Every part of a restore needs the day the file was saved: without it nothing is restored, and the first save
    # replaced the file (a hand edit writing date_str's text into date lost the day's energies and forces). One saved
    # on a clock not set yet (1970's) goes to the restore, which takes only what keeps a load off from it.
    if saved_epoch(document.get("date")) is None and unset_clock_epoch(document.get("date")) is None:
        return None, f"has no valid 'date' ({repr(document.get('date'))[:40]}: epoch seconds, 2000 to 2100)"
    return document, None
