"""Meter payloads as the PZEM firmware really sends them, quirks included (PROTOCOL.md): a good
reading becomes a MeterReading, anything else a MeterProblem of a named kind."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from values.numbers import finite_json_or_text_float, json_or_text_float
from values.shown import SHOWN_MAX_CHARS, shown

# The firmware prints a NaN float as a bare `nan` (not JSON); Python's json module reads `NaN`. A nan in
# another field (the power factor at 0 W, say) must not hide a good power value.
_BARE_NAN = re.compile(r"(?<![\w\"])-?nan(?![\w\"])", re.IGNORECASE)

# Every device message PySEB reads (meters, mode commands, boot messages, Domoticz) is a few KiB at most.
# A bigger one is not one of them: refused before parsing, so no broker client can make us spend time
# or memory on it. (Deep nesting is caught separately: json raises RecursionError, not ValueError.)
MAX_PAYLOAD_BYTES = 64 * 1024

# Meter timestamps and the decisions' clock come from one process's clock, but a reading's `received_at`
# is taken on paho's thread: a millisecond of slack keeps a reading that arrived exactly `settle` seconds
# after a command from being refused for a rounding.
EVIDENCE_SLACK_S = 1e-3


# A time stamp this far before one already seen is the clock stepping back (NTP at a Pi's boot, a manual
# set), not two threads' stamps out of order (the house reading stamped on paho's thread, a force or a
# timer's command on the main loop's, a few milliseconds apart). Closer than this, the order is believed: a
# reading older than a command does not show it, and a relay switched "later" than now has not dwelt yet.
# Beyond it, the rules that compare the two decide rather than freeze for the size of the step.
CLOCK_STEP_BACK_S = 10.0

# The shortest TelePeriod a Tasmota device takes: its steadiest pace, PowerDelta 0 (a Tasmota meter at meter_timeout
# under five of them is warned of at start, settings/device_checks.py, and once seen at an irregular pace).
TASMOTA_LEAST_TELEPERIOD_S = 10.0


def stepped_back(now: float, seen_at: float) -> bool:
    """True when `now` is so far before `seen_at`, a time already seen, that the clock stepped back."""
    return now < seen_at - CLOCK_STEP_BACK_S


def shows_command(reading_at: float, command_at: float, settle_s: float) -> bool:
    """True when a house reading taken at `reading_at` is late enough to show a command sent at
    `command_at`: `settle_s` after it (the closed loop's decisions and the full-tank inference's rule)."""
    return reading_at >= command_at + settle_s - EVIDENCE_SLACK_S


# (Not frozen, though never changed once made: a frozen dataclass's __init__ sets each field through
# object.__setattr__, three times the cost of the rest of it, and two readings come every period. A reading moved
# in time is a new one: dataclasses.replace.)
@dataclass(slots=True, unsafe_hash=True)  # (hashed by its fields, as a frozen one was)
class MeterReading:
    """A good reading: watts at the time it was received (and the mains voltage it gave, when asked for); never
    changed once made."""

    power_w: float
    received_at: float
    voltage_v: float | None = dataclasses.field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class MeterProblem:
    """A payload that carries no usable power; `kind` groups them for logging once per kind."""

    kind: str
    detail: str


# (its scanner, called as the decoder's raw_decode calls it, without that Python function's own frame in between: two
# readings a period; typeshed does not declare the decoder's attribute)
_JSON_SCAN: Callable[[str, int], tuple[object, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_JSON_WHITESPACE = " \t\n\r"


def _json_value(text: str) -> object:
    """json.loads(text), raising ValueError (or RecursionError) where it does, at less cost: two readings come
    every period. The text goes to the decoder's raw_decode without its JSON whitespace at both ends, and the
    value must end where the text does: a JSON value never ends in whitespace, so that is json.loads' test of
    nothing after it, without its two regular-expression matches (a BOM, which it refuses by name, is
    refused here as not a value). The decoder's scanner is called as its raw_decode does."""
    stripped = text.strip(_JSON_WHITESPACE)
    try:
        value, end = _JSON_SCAN(stripped, 0)
    except StopIteration as exc:  # (no value at that index: the error raw_decode raises for it)
        raise json.JSONDecodeError("Expecting value", stripped, exc.value) from None
    if end != len(stripped):
        raise ValueError(f"extra data at {end}")
    return value


_NO_FIELDS: dict[str, object] = {}  # (a reading that is a bare number: nothing beside its watts)


def _nested(doc: dict[str, object], path: str) -> tuple[dict[str, object], object, int | None] | None:
    """For a meter whose watts are inside an object of the reading (a Tasmota plug's `tele/<device>/SENSOR`:
    `{"Time": ..., "ENERGY": {..., "Power": 1680, ...}}`, read at `ENERGY.Power`): the object that holds them, their
    value, and the channel when they are an item of a list in it (a Tasmota device of two channels: `"Power": [12,
    0]`, read at `ENERGY.Power.0`, the first; its `Voltage` maybe a list too). None when `path` has no dot or the
    reading has no such field."""
    if "." not in path:
        return None
    holder: dict[str, object] = doc
    value: object = doc
    channel: int | None = None
    for name in path.split("."):
        if isinstance(value, dict) and name in value:
            holder, value, channel = value, value[name], None
        # (no more digits than the list's length has: int() of over 4300 digits raises ValueError, a config's
        # ENERGY.Power.000...1 made every reading raise out of a parser that never raises)
        elif isinstance(value, list) and channel is None and name.isascii() and name.isdigit() \
                and len(name) <= len(str(len(value))) and int(name) < len(value):
            value, channel = value[int(name)], int(name)  # (ENERGY.Power.1: the second of the list at ENERGY.Power)
        else:
            return None
    return holder, value, channel


def json_field_problem(path: str) -> str | None:
    """What is wrong with `path` as the JSON field of a meter's watts (`[mqtt] json_power`, a load's
    `json_read_power`): None when it is a name, or names joined by dots for a field inside objects."""
    if not path.strip():
        return "is empty: give the JSON field of the meter's watts (power, or ENERGY.Power for a Tasmota plug)"
    names = path.split(".")
    if len(names) > 1 and any(not name.strip() for name in names):
        return (f"{path!r} has an empty name between its dots: give the names of the objects down to the watts, joined "
                "by dots (ENERGY.Power for a Tasmota plug's readings)")
    if len(names) > 1 and any(name != name.strip() for name in names):
        # (read as written, `ENERGY . Power` looked for a key "ENERGY " that no reading has: every reading refused as
        # "no 'ENERGY . Power' field", the meter silent, with a config the check passed)
        return (f"{path!r} has spaces around a name: write {'.'.join(name.strip() for name in names)} (the names are "
                "the reading's keys, which have none)")
    return None


_HINT_DEPTH = 3  # objects down a reading's watts are looked for (Tasmota's ENERGY.Power is one down)


def watts_field_hint(payload: bytes, field: str) -> str | None:
    """Where the watts of a reading refused for having no `field` look to be: the path (names joined by dots) of a
    number whose key is `field`'s last name in any case, at most _HINT_DEPTH objects down (a Tasmota device's
    `ENERGY.Power` for the seed's `power`, a PZEM's `power` for `ENERGY.Power`; `.0`, the first channel, of a list of
    numbers). None when the reading has no such key. Asked once per meter, for its warning: never for each reading."""
    try:
        text = payload.decode("utf-8")
        # (a PZEM's `nan` read as the parser reads it: its nan readings, refused the same, named no field)
        doc = _json_value(_BARE_NAN.sub("NaN", text) if "nan" in text.lower() else text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    wanted = field.rsplit(".", 1)[-1].strip().lower()
    level: list[tuple[str, object]] = [("", doc)]
    for _ in range(_HINT_DEPTH):
        deeper: list[tuple[str, object]] = []
        for prefix, value in level:
            if not isinstance(value, dict):
                continue
            for key, item in value.items():
                path = f"{prefix}{key}"
                if key.lower() == wanted and json_or_text_float(item) is not None:
                    return path
                if key.lower() == wanted and isinstance(item, list) and item \
                        and json_or_text_float(item[0]) is not None:
                    return f"{path}.0"
                deeper.append((f"{path}.", item))
        level = deeper
    return None


def missing_field_advice(payload: bytes, field: str, key: str) -> str:
    """What to set, for a reading refused for having no `field` (the first of a meter's: asked once): the path its
    watts look to be at (watts_field_hint), else how to write one. `key`: the setting that names the field, as the
    user finds it (`[mqtt] json_power` for the house and production meters, `[ecs] json_read_power` for a load's
    own); one text for the daemon's meters, a load's own and the calibration tools'."""
    found = watts_field_hint(payload, field)
    return (f"; its watts look to be at {found}: set {key} = {found}" if found is not None else
            f"; set {key} to the reading's field of watts (names joined by dots for one inside an object: "
            "ENERGY.Power for a Tasmota device's tele/<device>/SENSOR)")


def looks_like_boot(text: str) -> bool:
    """A device's boot message (a PZEM's is not JSON, unquoted strings; a variator's is): it has these keys."""
    return '"type"' in text and '"fw_version"' in text


# A PZEM reading's voltage field. The PZEM-004T measures from 80 V and no mains is under 100 V: a house meter that
# reads less sees no mains (its voltage wire unplugged, or a power cut), and reads 0 W with it whatever the house
# draws. Its power is then no measure of the house (a DC meter on the panels' side reads 0 V every night: only the
# house meter's reading is judged on it, see core/meter_intake.py).
VOLTAGE_FIELD = "voltage"
TASMOTA_VOLTAGE_FIELD = "Voltage"
MIN_MAINS_V = 50.0


class Voltage(Enum):
    """What a meter's voltage field is to its reading."""

    IGNORED = "ignored"  # not read (the production meter: a DC one reads 0 V every night)
    READ = "read"  # read and given with the reading (MeterReading.voltage_v), never refused on
    REQUIRED = "required"  # a mains voltage required: a reading under MIN_MAINS_V is refused ("no_mains")


# (read once: an enum's member is looked up through the enum's class at several times a plain name's cost on Python
# 3.11, and the two readings a period ask)
_IGNORED, _REQUIRED = Voltage.IGNORED, Voltage.REQUIRED


def parse_meter_payload(payload: bytes, field: str, received_at: float, max_power_w: float,
                        voltage: Voltage = Voltage.IGNORED) -> MeterReading | MeterProblem:
    """Parse one meter message; never raises. `voltage`: what its voltage field is to the reading (a field that
    is missing, or not a number, says nothing: the reading is judged on its power alone)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return MeterProblem("too_big", f"payload of {len(payload)} bytes (a reading is a few hundred)")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return MeterProblem("not_utf8", "payload is not UTF-8 text")
    if "PZEM_READ_ERROR" in text:
        return MeterProblem("read_error", "the meter reports a PZEM read error")
    try:
        doc = _json_value(_BARE_NAN.sub("NaN", text) if "nan" in text.lower() else text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep for the parser
        if looks_like_boot(text):
            return MeterProblem("boot", "meter boot message (not valid JSON)")
        return MeterProblem("not_json", f"not JSON: {text[:60]!r}")
    if not isinstance(doc, dict):
        if type(doc) not in (int, float):  # (a bool is no number of watts)
            return MeterProblem("not_object", f"JSON but neither an object nor a number: {text[:60]!r}")
        # A meter that publishes its watts alone: a Shelly gen 1's shellies/<id>/relay/0/power (no voltage beside them)
        holder, value, channel = _NO_FIELDS, doc, None
    elif field in doc:  # (a PZEM's `power`: every reading of the house's two meters)
        holder, value, channel = doc, doc[field], None
    elif (found := _nested(doc, field)) is not None:
        holder, value, channel = found
    else:
        return MeterProblem("missing_power", f"no {field!r} field")
    # (a number written as text too: the seed read int(j['power']), and a meter or bridge that quotes its watts
    # regulated; a decimal, which the seed's int() refused, as well: nothing is gained by refusing "276.00")
    power_w = json_or_text_float(value)
    if power_w is None:
        # (a Tasmota device of two channels: its ENERGY.Power is [12, 0]. Only a channel that reads a number is
        # advised: of an empty list, a list in a list, a flat key with a dot in it, `<field>.0` was no field, the
        # advice a dead end; of a list of text, the advice made a line of 60 KB of junk cut over 300 characters)
        if isinstance(value, list) and isinstance(doc, dict) and (first := _nested(doc, f"{field}.0")) is not None \
                and json_or_text_float(first[1]) is not None:
            return MeterProblem("bad_power", f"{field!r} is a list, a number per channel (give one: {field}.0 for the "
                                f"first): {shown(value, SHOWN_MAX_CHARS // 2)}")
        return MeterProblem("bad_power", f"{field!r} is not a number: {shown(value)}")
    if not math.isfinite(power_w):
        return MeterProblem("nan", f"{field!r} is {power_w}")  # (not `value`: an int of 400 digits, say)
    if power_w < 0:
        return MeterProblem("negative_power", f"{field!r} is negative ({power_w:g})")
    if power_w > max_power_w:
        return MeterProblem("huge_power", f"{field!r} is {power_w:g} W, above max_meter_power")
    if voltage is _IGNORED:
        return MeterReading(power_w, received_at)
    volts = holder.get(VOLTAGE_FIELD)
    if volts is None:  # (Tasmota writes it Voltage, beside its Power: a PZEM-004T under Tasmota on the house's line)
        volts = holder.get(TASMOTA_VOLTAGE_FIELD)
    if channel is not None and isinstance(volts, list):  # (a device of two channels: a voltage each, maybe)
        volts = volts[channel] if channel < len(volts) else None
    voltage_v = finite_json_or_text_float(volts)
    if voltage is _REQUIRED and voltage_v is not None and voltage_v < MIN_MAINS_V:
        return MeterProblem("no_mains", f"{voltage_v:g} V: the meter sees no mains voltage (its voltage wire "
                            f"unplugged, or a power cut), so its {power_w:g} W says nothing of the house")
    return MeterReading(power_w, received_at, voltage_v)
