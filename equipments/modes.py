"""Forced-mode commands on regul/mode, validated before anything changes."""

from __future__ import annotations

import difflib
import json
import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from equipments.base import Equipment
from equipments.power_log import force_line
from values.numbers import json_or_text_float
from values.readings import MAX_PAYLOAD_BYTES
from values.shown import shown
from values.text import UTF8_MARK

log = logging.getLogger(__name__)

MAX_FORCE_DURATION_S = 7 * 24 * 3600
MIN_FORCE_DURATION_S = 1.0  # (under it, said "for 0 s": read as the refused 0)
_KEYS = ("command", "name", "power", "duration")
_PYTHON_QUOTED = re.compile(rb"\s*\{\s*'")  # {'command': ...}: a Python dict's text, not JSON


@dataclass(frozen=True, slots=True)
class ForceCommand:
    """Hold a load at `power_w` for `duration_s` seconds (None: until unforced). `asked_w`: the power the
    command asked when it was above the load's max and `power_w` is that max instead (else None)."""

    name: str
    power_w: float
    duration_s: float | None
    asked_w: float | None = None


@dataclass(frozen=True, slots=True)
class UnforceCommand:
    """Give a load back to the regulation."""

    name: str


class ModeCommandError(ValueError):
    """Why a mode command was refused (one log line). `reason`: which refusal it is, in a few words of the code's own
    (never the payload's: the flood limiter keys on it, and a stranger's distinct payloads must not make distinct
    kinds)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _number(doc: Mapping[str, object], key: str) -> float | None:
    value = doc.get(key)
    if value is None:
        return None
    # Numbers given as text ("1500") are common from shell scripts: accepted. (An int too large for a float is
    # inf, refused below.)
    number = json_or_text_float(value)
    if number is None:
        raise ModeCommandError(f"{key} must be a number, got {shown(value)}", f"{key} not a number")
    if math.isnan(number) or math.isinf(number):
        raise ModeCommandError(f"{key} must be a finite number, got {number}",  # (not an int of 400 digits)
                               f"{key} not finite")
    return number


def _as_sent(number: float) -> str:
    """`number` as a refusal quotes it: every digit it was sent with (the shortest text that reads back as it), without
    a trailing ".0". Rounded to 6 digits (`:g`), a duration of 604800.4 s was refused as "<= 604800 s ..., got 604800",
    and one of 0.9999999 s as ">= 1 s ..., got 1": a line that refused what it said was in range."""
    text = repr(number)
    return text[:-2] if text.endswith(".0") else text


# Other words for a force's length or end, too far from "duration" to be taken for it misspelt: read as absent, each
# forced the load until unforced (a heater from the grid for days, `"timeout": 3600` meant for an hour). Not "time" nor
# "timestamp": a home-automation box's stamp of its message ("time" only when it holds a number a duration may be).
_DURATION_WORDS = frozenset(("timeout", "timer", "delay", "length", "period", "seconds", "secs", "minutes", "mins",
                             "hours", "for", "until", "end", "duree", "durée", "dauer", "durata", "duracion",
                             "duración"))


def _misspelt_key(doc: Mapping[str, object]) -> None:
    """ModeCommandError for a key that looks like one of ours, or is another word for a duration, which the command
    lacks (`"Duration"`, `"durations"`, `"timeout"`): read as absent, a misspelt duration forced the load until
    unforced (a heater from the grid for days). Other keys are left alone: a home-automation box may add its own
    (`"command_id"` beside `"command"`, `"owner"`, `"time"`). An unforce has no power nor duration to misspell: one
    refused for a key like them (`"end": 5`) left the load forced."""
    unforce = _word(doc.get("command")) == "unforce"
    for key in doc:
        if key in _KEYS:
            continue
        word = key.strip().lower()
        if word in _DURATION_WORDS and "duration" not in doc and not unforce:
            raise ModeCommandError(f"unknown key {shown(key)}: did you mean \"duration\" (seconds)?", "misspelt key")
        seconds = doc[key]
        if word == "time" and "duration" not in doc and not unforce and _a_duration(seconds):
            # (a box's own stamp is text, or an epoch time far past a week: `"time": 3600`, meant for an hour,
            # forced the heater from the grid until unforced)
            raise ModeCommandError(f"unknown key {shown(key)} = {_as_sent(float(seconds))}: did you mean "
                                   "\"duration\" (seconds)?", "misspelt key")
        near = difflib.get_close_matches(word, _KEYS, n=1, cutoff=0.75)
        if near and near[0] not in doc and not (unforce and near[0] in ("power", "duration")):
            raise ModeCommandError(f"unknown key {shown(key)}: did you mean \"{near[0]}\"?", "misspelt key")


def _a_duration(value: object) -> TypeGuard[float]:
    """Whether `value` reads as a force's length in seconds: a number (not a bool) a force's duration may be."""
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        MIN_FORCE_DURATION_S <= value <= MAX_FORCE_DURATION_S


class _Pairs(dict[str, Any]):
    """A JSON object's pairs, with the first of our keys it holds twice (in any case: `"Power"` beside `"power"`)."""

    twice: str | None = None


def _once_each(pairs: list[tuple[str, Any]]) -> _Pairs:
    """A JSON object's pairs as a dict, the first of our keys given twice noted (parse_mode_command refuses it in the
    command, not in a box's own object inside it, nor a box's own key twice). JSON's parser keeps the last of a key
    given twice: `"name": "ecs", "name": "radiator"` forced the radiator, and `"power": 100, "Power": 2000` was read as
    100 W, the other left as a box's own key."""
    doc = _Pairs(pairs)
    seen: set[str] = set()
    for key, _ in pairs:
        word = key.strip().lower()
        if word not in _KEYS:
            continue
        if word in seen:
            doc.twice = key
            break
        seen.add(word)
    return doc


def _word(value: object) -> object:
    """A command's word as PySEB names things: load names are read in lower case from the config (a section [ECS]
    is the load `ecs`), so "ECS" or " Force " can only mean `ecs` and `force`; anything else as it is."""
    return value.strip().lower() if isinstance(value, str) else value


def parse_mode_command(payload: bytes, loads: Mapping[str, Equipment]) -> ForceCommand | UnforceCommand:
    """The command in `payload`, or ModeCommandError saying what is wrong with it."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ModeCommandError(f"payload of {len(payload)} bytes is too large for a mode command", "too large")
    try:
        # (utf-8-sig: a command file saved by Notepad, sent with `mosquitto_pub -f`, starts with a byte order mark)
        doc = json.loads(payload.decode("utf-8-sig"), object_pairs_hook=_once_each)
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        # (past a byte order mark too, which lstrip leaves: a Notepad file of Python's quotes got no hint)
        hint = " (JSON's strings take double quotes)" if _PYTHON_QUOTED.match(payload.removeprefix(UTF8_MARK)) else ""
        raise ModeCommandError(f"not JSON{hint}: {payload[:80]!r}", "not JSON") from None
    if not isinstance(doc, dict):
        raise ModeCommandError("expected a JSON object such as {\"command\": \"force\", ...}", "not an object")
    if isinstance(doc, _Pairs) and doc.twice is not None:
        raise ModeCommandError(f"key {shown(doc.twice)} given twice", "key twice")
    _misspelt_key(doc)
    command, name = _word(doc.get("command")), _word(doc.get("name"))
    if command not in ("force", "unforce"):
        # (refusals quote what was sent, not the word as read: "ECS " is what the user looks for in the log)
        raise ModeCommandError(f"command must be 'force' or 'unforce', got {shown(doc.get('command'))}",
                               "unknown command")
    if not isinstance(name, str) or name not in loads:
        raise ModeCommandError(f"unknown load {shown(doc.get('name'))}: known are {', '.join(loads)}",
                               "unknown load")
    if command == "unforce":
        return UnforceCommand(name)
    power_w = _number(doc, "power")
    if power_w is None:
        raise ModeCommandError(f'force needs a power (watts) for {name}: add "power": '
                               f'{int(loads[name].max_force_power_w())} (its max)',  # (rounded down: not above it)
                               "no power")
    if power_w < 0:
        raise ModeCommandError(f"power must be >= 0 W for {name}, got {_as_sent(power_w)}", "negative power")
    power_w += 0.0  # (-0.0, from "-0": said "forcing ecs to -0 W")
    duration_s = _number(doc, "duration")
    if duration_s is not None and not MIN_FORCE_DURATION_S <= duration_s <= MAX_FORCE_DURATION_S:
        # 0 is refused rather than guessed: the seed logged it as "without time limitation" but its force
        # ended at the next check. Leaving `duration` out is the way to force until unforced.
        raise ModeCommandError(f"duration must be >= {MIN_FORCE_DURATION_S:g} s and <= {MAX_FORCE_DURATION_S} s "
                               f"(7 days), got {_as_sent(duration_s)}; leave it out to force until unforced",
                               "duration out of range")
    max_w = loads[name].max_force_power_w()
    if power_w > max_w:
        # The seeds clamped to 100 % (their docs force the heater at its 2400 W nameplate, above a
        # calibrated max of, say, 2298 W): held at the max, and apply_mode_command says so.
        return ForceCommand(name, max_w, duration_s, asked_w=power_w)
    return ForceCommand(name, power_w, duration_s)


def apply_mode_command(command: ForceCommand | UnforceCommand, load: Equipment, now: float, by: str,
                       via: str) -> bool:
    """Carry out a validated command on its load (`by`: who forces, kept in the status; `via`: where the
    command came from, for the log: the mode topic, "Home Assistant"). Required: a force said without its
    source ("forcing ecs to 2000 W for 600 s") left the owner to guess who sent it. True if the load's force
    changed (False: an unforce of a load not forced, or a force whose command could not be published, which change
    nothing)."""
    source = f" ({via})"
    if isinstance(command, ForceCommand):
        span = "until unforced" if command.duration_s is None else f"for {command.duration_s:.0f} s"
        made_w = load.forced_watts(command.power_w)
        # (a message from outside: bounded in the log per load, as anyone on the broker can send it again and again)
        per_load = force_line(load.name)
        if command.asked_w is None and abs(made_w - command.power_w) < 0.5:
            log.info("forcing %s to %.0f W %s%s", load.name, command.power_w, span, source, extra=per_load)
        elif command.asked_w is None:
            # ("forcing radiator to 0 W" of a force at 1e-9 W, which switched the relay on at 1000 W)
            log.info("forcing %s to %.0f W (asked %g W) %s%s", load.name, made_w, command.power_w, span, source,
                     extra=per_load)
        elif abs(made_w - command.power_w) < 0.5:
            log.warning("forcing %s to %.0f W, its max (asked %g W) %s%s", load.name, command.power_w,
                        command.asked_w, span, source, extra=per_load)
        else:  # (a plug of unknown power on at its measured watts: "forcing plug to 3680 W, its max" of one at 1800 W)
            log.warning("forcing %s to %.0f W (asked %g W, over its max %.0f W) %s%s", load.name, made_w,
                        command.asked_w, command.power_w, span, source, extra=per_load)
        if not load.force(command.power_w, command.duration_s, now, f"forced {span}{source}", by=by):
            # (the load's error said why; without this, the line above read as a force made, and nothing retries it)
            log.warning("%s: that force is not made: its command could not be published; send it again", load.name,
                        extra=per_load)
            return False
        return True
    if not load.is_forced():
        # Nothing to undo: the load is the regulation's. Carried out, an unforce (sent twice, or by an automation
        # at the end of every off-peak period) switched a relay off inside its min_on_s, to rest its min_off_s with
        # its watts exported, and dropped the heater to 0 W.
        # (a message from outside that changes nothing: bounded in the log, as anyone on the broker can send it)
        log.info("%s is not forced: unforce ignored%s", load.name, source, extra={"limit_key": load.name})
        return False
    # (bounded with the load's forces: a burst of force and unforce from outside logged every unforce)
    log.info("%s is no longer forced%s", load.name, source, extra=force_line(load.name))
    load.unforce(now, f"unforced{source}")
    return True
