"""The load's own PZEM meter as the sweep reads it: watts from a reading, or None when it carries none."""

from __future__ import annotations

import json
import math
import re

__all__ = ["READ_ERROR_KEY", "meter_watts", "variator_booted"]

READ_ERROR_KEY = "PZEM_READ_ERROR"
# The firmware prints a NaN float as a bare `nan` (not JSON); Python's json module knows `NaN`.
_BARE_NAN = re.compile(r"(?<![\w\"])-?nan(?![\w\"])", re.IGNORECASE)


def _decode(payload: bytes) -> object:
    text = payload.decode("utf-8", "replace").strip()
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_BARE_NAN.sub("NaN", text))


def meter_watts(payload: bytes, key: str = "power") -> float | None:
    """The finite, non-negative watts under `key` in a meter reading, else None.

    None for a PZEM read error (`{"PZEM_READ_ERROR": 3, "pzem_read ": 120, ...}`), `nan`, a missing
    key, or a payload that is not JSON. A bare number (`276.00`) is accepted as the watts.
    """
    try:
        data = _decode(payload)
    except ValueError:
        return None
    if isinstance(data, dict):
        if READ_ERROR_KEY in data:
            return None
        data = data.get(key)
    if isinstance(data, bool) or not isinstance(data, int | float):
        return None
    watts = float(data)
    if not math.isfinite(watts) or watts < 0.0:
        return None
    return watts


def variator_booted(payload: bytes) -> bool:
    """True for a variator status saying it has just (re)booted: it then runs at its default percent."""
    try:
        data = _decode(payload)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("msg") == "boot_detected"
