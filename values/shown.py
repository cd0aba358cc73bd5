"""A value read from a message, as a log line or the status shows it: cut to a few dozen characters; a count and its
noun, singular for one."""

from __future__ import annotations

# Anyone on the broker can send a value as long as a message may be (64 KiB): shown whole, each of the five lines
# of a kind the flood limiter lets through a minute was that long, and the default rotating log (3 x 1 MB) was
# gone in minutes; a meter's refusal is in the status document's stale reason too.
SHOWN_MAX_CHARS = 60


def shown(value: object, limit: int = SHOWN_MAX_CHARS) -> str:
    """repr(value), cut to `limit` characters when longer (saying how long it was)."""
    return cut(repr(value), limit)


def cut(text: str, limit: int = SHOWN_MAX_CHARS) -> str:
    """`text` as it is, cut to `limit` characters when longer (saying how long it was): a name from a message (a
    meter's id, a selector's level names) in a sentence, without shown()'s quotes."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def counted(count: int, noun: str) -> str:
    """`count` and `noun`, in the plural unless one ("1 day", "2 days"): "1 days", "1 processes" read as slips."""
    return f"{count} {noun if count == 1 else noun + ('es' if noun.endswith(('s', 'sh', 'ch', 'x')) else 's')}"


def whole(value: float) -> str:
    """`value` to a whole number as "%.0f" writes it, but never "-0": a value just under 0 (a meter's -0.3 W, float
    noise in a difference) rounds to 0, and "-0" read as a sign that means something."""
    text = f"{value:.0f}"
    return "0" if text == "-0" else text


def signed_whole(value: float) -> str:
    """`value` to a whole number with its sign as "%+.0f" writes it ("+12", "-3"), but a value that rounds to 0 is "0":
    "grid -0 W" and "grid +0 W" read as an import or an export that is not there."""
    text = f"{value:+.0f}"
    return "0" if text in ("-0", "+0") else text
