"""The status file on disk: written atomically (temp file, fsync, os.replace), read defensively."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NEW_FILE_MODE = 0o644  # a dashboard running as another user reads it


def _keep_owner_and_mode(fd: int, path: Path) -> None:
    """Give the temp file the mode (and, as root, the owner) of the file it replaces: mkstemp's 0600 would
    hide the status from a dashboard, and a root run would lock the usual user out of it."""
    try:
        old = os.stat(path)
    except FileNotFoundError:
        os.fchmod(fd, NEW_FILE_MODE)
        return
    os.fchmod(fd, old.st_mode & 0o7777)
    if os.geteuid() == 0 and (old.st_uid, old.st_gid) != (0, 0):
        os.fchown(fd, old.st_uid, old.st_gid)


def save_status(path: Path, document: dict[str, Any]) -> None:
    """Write `document` to `path` so that a crash at any moment leaves either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(document, indent=2, sort_keys=True).encode("utf-8")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _keep_owner_and_mode(fd, path)
        with os.fdopen(fd, "wb") as tmp:
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


def load_status(path: Path) -> dict[str, Any] | None:
    """The saved document, or None (with a warning) when missing, corrupt or not a status file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        log.warning("no status file at %s: clean start", path)
        return None
    except OSError as exc:
        log.warning("cannot read status file %s (%s): clean start", path, exc.strerror)
        return None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nesting too deep
        log.warning("status file %s is corrupt (%s): clean start", path, exc)
        return None
    if not isinstance(document, dict) or not isinstance(document.get("equipments"), list):
        log.warning("status file %s is not a PySEB status (no equipments list): clean start", path)
        return None
    version = document.get("schema_version")
    if version is not None and version != 1:
        log.warning("status file %s has schema_version %r, this PySEB reads 1: clean start", path, version)
        return None
    return document
