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


def home_problem(text: str) -> str | None:
    """What is wrong with `text` as a path when it starts with a `~` whose home folder cannot be found (None
    otherwise): kept as written by user_path, a status file `~nosuchuser/status.json` was a folder named
    `~nosuchuser` made beside the config, its saves never where the owner looks."""
    if not text.startswith("~") or user_path(text) != Path(text):
        return None
    return f"{text}: the home folder of {text.split('/', 1)[0]!r} cannot be found (no such user?)"
