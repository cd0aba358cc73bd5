"""A number read from JSON (a meter reading, a mode command, a saved status, a forecast)."""

from __future__ import annotations

import math
import re

# A number written as text, as scripts and Home Assistant write one: ASCII digits, a sign, a decimal point, an
# exponent (and the words nan and inf, which the callers refuse by name). Python's float() takes more: "1_000",
# full-width or Arabic-Indic digits, Unicode spaces around them; no meter, script or automation means a power so,
# and a typo read as a number is a command nobody gave.
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)
# A whole number as config files and command lines write one: a sign, ASCII digits (int() takes "1_000" and other
# scripts' digits as float() does).
_WHOLE = re.compile(r"[+-]?[0-9]+")
_ASCII_SPACE = " \t\n\r\f\v"
# What a number with a '_' is told: Python reads "2_0" as 20 (its digit grouping), a typo for 2.0 or 20 alike.
UNDERSCORE_ADVICE = "no '_' in a number: write its digits only"


def text_float(text: str) -> float:
    """`text` as a float when it is a number written in ASCII (spaces around it allowed); ValueError, quoting
    `text`, otherwise."""
    bare = text.strip(_ASCII_SPACE)
    if _DECIMAL.fullmatch(bare) is None:
        raise ValueError(f"not a number: {text!r}")
    return float(bare)


def text_int(text: str) -> int:
    """`text` as an int when it is a whole number written in ASCII (spaces around it allowed); ValueError, quoting
    `text`, otherwise (int()'s "invalid literal for int() with base 10" is no words for a user)."""
    bare = text.strip(_ASCII_SPACE)
    if _WHOLE.fullmatch(bare) is None:
        raise ValueError(f"not a whole number: {text!r}")
    return int(bare)


def json_float(value: object) -> float | None:
    """`value` as a float when it is a JSON number (an int or a float, not a bool), else None.

    An int too large for a float (a JSON integer of a few hundred digits) makes float() raise OverflowError;
    here it is +-inf, as the same number written with an exponent (1e400) reads: the caller refuses what is
    not finite, in one place for both spellings."""
    if type(value) is float:
        return value  # the usual case: a meter's watts and volts, two readings a period
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _finite(number: float | None) -> float | None:
    return number if number is not None and math.isfinite(number) else None


def finite_json_float(value: object) -> float | None:
    """`value` as a float when it is a JSON number with a finite value, else None (NaN, +-inf, an int too large
    for a float, anything but a number)."""
    return _finite(json_float(value))


def json_or_text_float(value: object) -> float | None:
    """`value` as a float when it is a JSON number or a number written as text (`"1500"`, `" 42.5 "`: shell
    scripts and Home Assistant's quoted templates send them so), else None. Not checked for being finite: NaN and
    +-inf (`"nan"`, `1e400`) come back as they are, for the caller to refuse."""
    number = json_float(value)
    if number is not None or not isinstance(value, str):
        return number
    try:
        return text_float(value)
    except ValueError:
        return None


def finite_json_or_text_float(value: object) -> float | None:
    """As json_or_text_float, None for NaN and +-inf too."""
    return _finite(json_or_text_float(value))
