"""A file's path as a config or an option writes it."""

from __future__ import annotations

from pathlib import Path


def user_path(text: str) -> Path:
    """`text` as a path, a leading `~` or `~user` expanded to that home folder. A home that cannot be found (`~user`
    of no such user, `~` without $HOME nor a passwd entry) is left as written, for the caller's "not found" to name
    it: pathlib's RuntimeError out of expanduser() was a traceback of the daemon's --check and of the sweep."""
    path = Path(text)
    try:
        return path.expanduser()
    except RuntimeError:
        return path
