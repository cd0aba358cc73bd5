"""Declarative options: each section lists its keys (type, default, one line of help) and is validated
against them (by settings/section_reader.py), collecting every problem instead of stopping at the first."""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from settings.problems import ConfigProblem
from values.numbers import UNDERSCORE_ADVICE, text_float, text_int
from values.readings import json_field_problem

REQUIRED: Any = object()  # sentinel default: the key must be given


def bound_text(bound: float) -> str:
    """An option's bound as a user writes it: 1000000, not %g's 1e+06."""
    return str(int(bound)) if bound == int(bound) else f"{bound:g}"


@dataclass(frozen=True, slots=True, repr=False)
class ByAlgorithm:
    """A default that depends on `[evaluate] algorithm`: the config resolves it once the algorithm is read."""

    values: tuple[tuple[str, float], ...]  # (algorithm, default)

    def for_algorithm(self, algorithm: str | None) -> float:
        """The default under `algorithm` (the first one's for an unknown one)."""
        return next((value for name, value in self.values if name == algorithm), self.values[0][1])

    def __repr__(self) -> str:  # (what the reference and a "None means not set" warning show)
        return ", ".join(f"{value:g} under {name}" for name, value in self.values)

    __str__ = __repr__


def resolved(value: Any, algorithm: str | None) -> Any:
    """`value` as read, or, for a default that depends on the algorithm (ByAlgorithm), its value under
    `algorithm`."""
    return value.for_algorithm(algorithm) if isinstance(value, ByAlgorithm) else value


def parse_bool(text: str) -> bool:
    """A config boolean: true/yes/on/1, false/no/off/0, and Coturex's ok and nok (its set and unset words),
    in any case."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on", "ok"):
        return True
    if lowered in ("0", "false", "no", "off", "nok"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def shown_default(value: Any) -> str:
    """A default as the config file writes it: true/false, 60 (not True, 60.0), 0.25 as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) and value.is_integer() else str(value)


def _parse_text(text: str) -> str:
    return text.strip()


def _parse_json_field(text: str) -> str:
    """The JSON field of a meter's watts: a name, or names joined by dots for one inside objects (ENERGY.Power)."""
    value = text.strip()
    if (problem := json_field_problem(value)) is not None:
        raise ValueError(problem)
    return value


def seed_none_said(section: str, key: str, raw: str) -> ConfigProblem:
    """The warning for the seed's None given to one of its on/off keys: false, as the seed read it."""
    return ConfigProblem(section, key, f"{raw.strip()} is false here, as the seed read it (it took every word but "
                                       "true and ok for false): write false")


def is_unset_word(text: str) -> bool:
    """The seed's spelling of "not set": None, in any case (topic_force = None, a spare load's keys; Coturex
    reads NONE too). (Not its false and nok: a relay's payload may be the word false.)"""
    return text.strip().lower() == "none"


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse`, or None for an empty value or the seed's None ("not set", e.g. topic_force = None)."""
    def parse_optional(text: str) -> Any:
        value = text.strip()
        return None if not value or is_unset_word(value) else parse(value)
    return parse_optional


def _parse_int(text: str) -> int:
    # (text_int: a sign, ASCII digits. Python's int() takes more ("1_000", full-width or Arabic-Indic digits):
    # `keepalive = 6_0`, a typo, was read as 60.)
    value = text.strip()
    try:
        return text_int(value)
    except ValueError:
        advice = f" ({UNDERSCORE_ADVICE})" if "_" in value else ""
        raise ValueError(f"not a whole number: {value!r}{advice}") from None


def _parse_float(text: str) -> float:
    try:
        value = text_float(text.strip())  # (ASCII only, as _parse_int: float() reads "1_000" as 1000 too)
    except ValueError:  # (its message quotes the text; float()'s "could not convert string to float" did not)
        shown = text.strip()
        raise ValueError(f"not a number: {shown!r}" + (f" ({UNDERSCORE_ADVICE})" if "_" in shown else "")) from None
    # float() takes nan and inf, and nan passes every min/max comparison: meter_timeout = nan would
    # disable the silent-meter safety, margin = nan stop the regulation.
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {text.strip()!r}")
    return value


# Python's logging levels; `warn` and `fatal` are its own older names for two of them (a user who writes
# `level = warn` means WARNING: it was refused).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOG_LEVEL_NAMES = {"WARN": "WARNING", "FATAL": "CRITICAL"}


def parse_log_level(text: str) -> str:
    """A log level as Python names it, in upper case (any case read; warn and fatal as Python reads them). Not
    checked against LOG_LEVELS: Option.choices does that, with its message."""
    word = text.strip().upper()
    return _LOG_LEVEL_NAMES.get(word, word)


PARSERS: dict[type | str, Callable[[str], Any]] = {
    int: _parse_int,
    float: _parse_float,
    bool: parse_bool,
    str: _parse_text,
    "text?": _optional(_parse_text),
    "float?": _optional(_parse_float),
    "bool?": _optional(parse_bool),
    "log level": parse_log_level,
    "json field": _parse_json_field,
}


@dataclass(frozen=True, slots=True)
class Option:
    """One config key: how to parse it, its default, its legal range, and one line of help."""

    name: str
    type: type | str
    default: Any
    help: str
    aliases: tuple[str, ...] = ()  # older names (the seed's), accepted as they are
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    # An on/off key the seed read (send_grid...): its None is false, as the seed read it, not "not set" (the default)
    seed_none_is_false: bool = False

    def parse(self, raw: str) -> Any:
        """Parse `raw` or raise ValueError with a message a user can act on."""
        value = PARSERS[self.type](raw)
        if value is None:
            return None
        if self.choices and value not in self.choices:
            # (in any case: the seed's files say `level = info`, and nothing here tells two choices by case)
            value = next((choice for choice in self.choices if choice.lower() == str(value).lower()), None)
            if value is None:
                raise ValueError(f"must be one of {', '.join(self.choices)}, got {raw.strip()!r}")
        if self.min is not None and value < self.min:
            raise ValueError(f"must be >= {bound_text(self.min)}, got {value}")
        if self.max is not None and value > self.max:
            raise ValueError(f"must be <= {bound_text(self.max)}, got {value}")
        return value


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """` (did you mean X?)` for a typo of one of the `known` names, else ''."""
    hint = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean {hint[0]}?)" if hint else ""
