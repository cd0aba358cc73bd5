"""argparse `type`s for the tools' numbers (`--step`, `--readings`, `--period`...): read as the config's and the
payloads' numbers are (values.numbers), ASCII digits, a sign, a point, an exponent. argparse's own float and int
took more: `--step 0_5` was 5 % (Python's digit grouping), `--start ５0` (full-width digits, an input method left
on) 50 %, and a sweep drove the variator through steps nobody asked for. A refusal is argparse's, naming the
option: `argument --step: not a number: '0_5' (no '_' in a number: write its digits only)`, exit 2.

nan and inf are numbers here, as text_float reads them: each command refuses them by name with its own range
(`--settle nan: not a finite number`)."""

from __future__ import annotations

import argparse

from values.numbers import UNDERSCORE_ADVICE, text_float, text_int

__all__ = ["decimal_option", "whole_option"]

# Why a number with other characters than ASCII is refused (the digits of another script, a no-break space).
_ASCII_ADVICE = "ASCII characters only: the digits 0-9, a sign, a point, an exponent"


def _refusal(what: str, text: str) -> argparse.ArgumentTypeError:
    why = UNDERSCORE_ADVICE if "_" in text else _ASCII_ADVICE if not text.isascii() else None
    return argparse.ArgumentTypeError(f"{what}: {text!r}" + (f" ({why})" if why else ""))


def decimal_option(text: str) -> float:
    """argparse `type` of an option taking a number (`--step 0.5`, `--period 2`, `--speed 1e2`)."""
    try:
        return text_float(text)
    except ValueError:
        raise _refusal("not a number", text) from None


def whole_option(text: str) -> int:
    """argparse `type` of an option taking a whole number (`--readings 5`, `--jobs 4`)."""
    try:
        return text_int(text)
    except ValueError:
        raise _refusal("not a whole number", text) from None
