"""The load's own PZEM meter as the sweep reads it: watts from a reading, or None when it carries none."""

from __future__ import annotations

import math

from values.boots import answered, is_boot_detected, variator_output_off, variator_status
from values.readings import MeterReading, parse_meter_payload

__all__ = ["READ_ERROR_KEY", "answered", "echo_percent", "meter_watts", "output_gated_off", "variator_booted"]

READ_ERROR_KEY = "PZEM_READ_ERROR"


def meter_watts(payload: bytes, key: str = "power") -> float | None:
    """The finite, non-negative watts under `key` in a meter reading, else None.

    The daemon's own parser decides (one reading of PROTOCOL.md's quirks for both): None for a PZEM read
    error, `nan`, a boot message, a missing key, or a payload that is not a JSON object.
    """
    result = parse_meter_payload(payload, key, received_at=0.0, max_power_w=math.inf)
    return result.power_w if isinstance(result, MeterReading) else None


def variator_booted(payload: bytes) -> bool:
    """True for a variator status saying it has just (re)booted: it then runs at its default percent.
    The daemon's own reading of it (values.boots), so the sweep and the regulator agree."""
    return is_boot_detected(payload)


def output_gated_off(payload: bytes) -> bool:
    """True for a variator status saying its output is gated off (`"state": "OFF"`, after an `off`): the load draws
    nothing whatever the percent. The daemon's own reading of it (values.boots)."""
    return variator_output_off(payload) is True


def echo_percent(payload: bytes) -> float | None:
    """The percent a variator's status echo says it runs at (None: a boot status, or no percent in it). The daemon's
    own reading of it (values.boots)."""
    booted, echo = variator_status(payload)
    return None if booted else echo
