"""The load's own PZEM meter as the sweep reads it: watts from a reading, or None when it carries none; whether a
reading is one the calibration tools count (the sweep's load meter and the lag measure's house meter alike), and what
the variator's status (or its silence) says."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, auto

from calibration.sweep_target import SweepTarget
from values.boots import answered, is_boot_detected, variator_output_off, variator_status
from values.readings import MeterProblem, MeterReading, missing_field_advice, parse_meter_payload

__all__ = ["READ_ERROR_KEY", "Refusal", "Unusable", "answered", "echo_percent", "field_advice", "meter_watts",
           "output_gated_off", "output_off_reason", "unanswered_reason", "usable_watts", "variator_booted"]

READ_ERROR_KEY = "PZEM_READ_ERROR"


def meter_watts(payload: bytes, key: str = "power") -> float | None:
    """The finite, non-negative watts under `key` in a meter reading, else None.

    The daemon's own parser decides (one reading of PROTOCOL.md's quirks for both): None for a PZEM read
    error, `nan`, a boot message, a missing key, or a payload that is neither a JSON object nor a number (`key` may be
    a dotted path, ENERGY.Power, to watts inside an object; a bare number is the watts).
    """
    result = parse_meter_payload(payload, key, received_at=0.0, max_power_w=math.inf)
    return result.power_w if isinstance(result, MeterReading) else None


class Refusal(Enum):
    """Why a meter reading is not counted (each tool logs it in its own words; the sweep remembers some for its
    stop's message)."""

    UNREADABLE = auto()  # no watts in it (meter_watts: a read error, nan, a boot message, not JSON)
    ABOVE_MAX = auto()  # above [evaluate] max_meter_power
    FROZEN = auto()  # the very same message as the last usable reading, with [evaluate] frozen_meter


@dataclass(frozen=True, slots=True)
class Unusable:
    """A meter reading not counted, and why; `watts` what it read when it had some (ABOVE_MAX: the stop names it)."""

    refusal: Refusal
    watts: float | None = None


def usable_watts(payload: bytes, target: SweepTarget, last: bytes | None) -> float | Unusable:
    """The watts of a meter reading the calibration tools count, or why it is not counted (Unusable); `last` the
    message of the last usable reading (None: none yet). Checked in this order, the sweep's and the lag measure's
    one reading of a reading."""
    watts = meter_watts(payload, target.json_read_power)
    if watts is None:
        return Unusable(Refusal.UNREADABLE)
    if watts > target.max_meter_power_w:
        # Refused as the daemon refuses it: a glitch, not the load's watts (averaged in, one 99999 W reading made a
        # sweep's step 25 kW).
        return Unusable(Refusal.ABOVE_MAX, watts)
    if target.frozen_meter and payload == last:
        # A real PZEM's readings always differ (voltage, current, the energy counter): the very same bytes again are
        # a sensor loop that hung behind a live MQTT loop. Not a reading: it neither counts nor keeps the meter
        # alive, so a frozen meter stops a tool as a silent one does (counted, the sweep measured its one value down
        # to 0 % and replaced the calibration with it).
        return Unusable(Refusal.FROZEN, watts)
    return watts


def field_advice(payload: bytes, target: SweepTarget, key: str) -> str | None:
    """For a reading that lacks the target's JSON field (the heater's own meter read at `power` where it says
    ENERGY.Power): what it lacks and what to set, the daemon's advice for its meters (values.readings); None for any
    other reading. `key`: the setting that names the field (`[ecs] json_read_power`, `[mqtt] json_power`)."""
    result = parse_meter_payload(payload, target.json_read_power, received_at=0.0, max_power_w=math.inf)
    if not isinstance(result, MeterProblem) or result.kind != "missing_power":
        return None
    return result.detail + missing_field_advice(payload, target.json_read_power, key)


def variator_booted(payload: bytes) -> bool:
    """True for a variator status saying it has just (re)booted: it then runs at its default percent.
    The daemon's own reading of it (values.boots), so the sweep and the regulator agree."""
    return is_boot_detected(payload)


def output_gated_off(payload: bytes) -> bool:
    """True for a variator status saying its output is gated off (`"state": "OFF"`, after an `off`): the load draws
    nothing whatever the percent. The daemon's own reading of it (values.boots)."""
    return variator_output_off(payload) is True


def output_off_reason(target: SweepTarget, load: str, said: str = "") -> str:
    """Why a tool stops when the variator says its output is gated off: `load` draws nothing whatever the percent
    (the sweep read the load's idle level at every step and blamed the thermostat); `said`, where it said so. Not
    undone by the tool: an `off` may be the owner's (the daemon leaves it too)."""
    turn_on = target.mosquitto_pub("-t", target.topic_set_power, "-m", "on")
    return (f"the variator reports its output off (\"state\": \"OFF\"{said}): {load} draws nothing whatever the "
            f"percent; turn it on ({turn_on})")


def unanswered_reason(target: SweepTarget, percent: str, wait_s: float, heard: bool) -> str:
    """Why the sweep stops when the variator did not answer the command of `percent` within `wait_s`: `heard`, it
    answered an earlier one (off the network now); else none yet (offline, or the topics are not its)."""
    status, topic = target.topic_variator_status, target.topic_set_power
    if heard:
        return (f"the variator did not answer the command of {percent} % within {wait_s:g} s (no status on {status}, "
                f"where it answered before): it is off the network (its Wi-Fi?), and the load may not follow; the "
                f"step is not kept")
    # (the load's meter reads whatever the load was left at: the first step was blamed on a hot tank or a meter in
    # kilowatts, and a variator left at 100 % was swept at 100 % down to 0 %)
    name = target.name
    own = f", or [{name}] topic_status = {status} is not the topic it answers on" if target.topic_status else ""
    return (f"no status from the variator on {status} within {wait_s:g} s of the first command ({percent} % on "
            f"{topic}), though it answers every command: the variator is offline (its power, its Wi-Fi), or [{name}] "
            f"topic_set_power = {topic} is not its command topic (<topic>/<name>/cmd, as its own settings say){own}; "
            f"a firmware that publishes no status after a command: sweep with --no-answers")


def echo_percent(payload: bytes) -> float | None:
    """The percent a variator's status echo says it runs at (None: a boot status, or no percent in it). The daemon's
    own reading of it (values.boots)."""
    booted, echo = variator_status(payload)
    return None if booted else echo
