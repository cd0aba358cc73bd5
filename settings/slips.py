"""Slips of the editor or the keyboard that an INI file reads as another value than the one meant, without a
word: found here, so that the config check names them."""

from __future__ import annotations

import re

from values.text import windows_text

# A note after a value written as in a shell or YAML: the parser takes only ' ;' there (a value may hold '#').
_HASH_NOTE = re.compile(r"\s#")
HASH_ADVICE = "' #' starts no comment after a value (a line that starts with # or ; is one; after a value, ' ;' is)"
QUOTES_ADVICE = "INI values take no quotes: they are part of the value"
# A note glued to the value (`margin = 20; watts`, `period = 2#s`): the ';' is read as part of the value.
_GLUED_NOTE = re.compile(r"\S[;#]")
GLUED_ADVICE = "a note after a value starts with a space, then ';' (here the rest is read as part of the value)"
# Values never shown, in a warning as in the log.
SECRET_KEYS = frozenset({"password", "key"})
# The start of a line that sets one of them, whatever follows the key (=, :, or by mistake a space or a tab):
# configparser quotes a line it cannot parse, and a continuation line is quoted by the indentation's problem.
_SECRET_KEY = "(" + "|".join(sorted(map(re.escape, SECRET_KEYS))) + r")(?![\w.-])"
_SECRET_LINE = re.compile(r"(\s*)" + _SECRET_KEY, re.IGNORECASE)
# A line quoted by configparser's message (repr: in ' or "), from its first character to the end of that line; not
# the option's name of a duplicate's message ("option 'password' in section 'mqtt' already exists": cut, it said
# nothing), which holds no value. (A line `'password' s3cret`, quoted by a slip, is a line: cut.)
_QUOTED_SECRET_LINE = re.compile(r"(['\"])(\s*)" + _SECRET_KEY + r"(?!\1 in section ).*$",
                                 re.IGNORECASE | re.MULTILINE)
# A line that reads as a key of its own: a name, then = or : (not a URL's "https://", not a JSON line's "idx":).
_KEY_LINE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\s*(=|:(?!//))")


def swallowed_key(raw: str) -> str | None:
    """The first continuation line of the value `raw` that reads as a `key = value` line, or None. An indented line
    continues the value above it: a key indented to line it up became part of that value (its own never read)."""
    for line in raw.splitlines()[1:]:
        if _KEY_LINE.match(line.strip()):
            return line.strip()
    return None


def shown_line(line: str) -> str:
    """A line of the file as a message quotes it: a password's or a key's value left out (`password = ...`)."""
    found = _SECRET_LINE.match(line)
    if found is None:
        return line
    separator = line[found.end():].lstrip()[:1]
    return f"{found.group(2)}{f' {separator}' if separator in ('=', ':') else ''} ..."


def without_secret_lines(message: str) -> str:
    """`message` (configparser's, which quotes the lines it cannot parse) with a password's or a key's line quoted
    only up to its key: `password s3cret` (the = forgotten) was shown whole, on the terminal and in the journal."""
    return _QUOTED_SECRET_LINE.sub(lambda m: f"{m.group(1)}{m.group(3)} ...{m.group(1)}", message)


def has_hash_note(raw: str) -> bool:
    """Whether the value `raw` holds what looks like a note after it (`ON # tasmota`): kept as written, the relay
    was sent "ON # tasmota", which switches nothing."""
    return _HASH_NOTE.search(raw) is not None


def in_quotes(text: str) -> bool:
    """Whether the value `text` is wrapped in quotes, as in Python or a shell (`topic = "cmnd/plug/POWER"`): INI
    keeps them, and the relay's commands went to a topic with quotes in its name."""
    text = text.strip()
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"


def slip_advice(raw: str) -> str:
    """'; <advice>' for each slip the value `raw` holds (a ' #' note, quotes), to add to the error it caused."""
    slips = ((has_hash_note, HASH_ADVICE), (_glued_note, GLUED_ADVICE), (in_quotes, QUOTES_ADVICE))
    return "".join(f"; {text}" for slip, text in slips if slip(raw))


def _glued_note(raw: str) -> bool:
    return _GLUED_NOTE.search(raw) is not None


def config_text(data: bytes) -> str:
    """The text of a config file as Windows editors save it too (values.text): UTF-8 with or without a byte order
    mark (Notepad's "UTF-8 with BOM" put U+FEFF before [mqtt]), else the Windows code page (Notepad's "ANSI": a
    French comment's accents). NotText, a ValueError saying how to save it, for UTF-16 (Notepad's "Unicode") and for
    what is neither, since a byte read as U+FFFD could end up in a topic or a payload; a NUL further on than the
    first two bytes is left to the checks of the value that holds it."""
    return windows_text(data, refuse_utf16=True, strict=True)
