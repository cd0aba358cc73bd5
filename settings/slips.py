"""Slips of the editor or the keyboard that an INI file reads as another value than the one meant, without a
word: found here, so that the config check names them."""

from __future__ import annotations

import re

# A line that reads as a key of its own: a name, then = or : (not a URL's "https://", not a JSON line's "idx":).
_KEY_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\s*(=|:(?!//))")


def swallowed_key(raw: str) -> str | None:
    """The first continuation line of the value `raw` that reads as a `key = value` line, or None. An indented line
    continues the value above it: a key indented to line it up became part of that value (its own never read)."""
    for line in raw.splitlines()[1:]:
        if _KEY_LINE.match(line.strip()):
            return line.strip()
    return None
