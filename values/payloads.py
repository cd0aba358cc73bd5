"""Relay payloads as a device reads them: the daemon's config check and the simulated relays compare them
the same way."""

from __future__ import annotations

import json


def same_payload(received: str, expected: str) -> bool:
    """Does a relay read `received` as `expected`? JSON compared as data, plain words case-insensitively
    (Tasmota and Shelly take ON and on alike)."""
    if received.strip() == expected.strip():
        return True
    try:
        return bool(json.loads(received) == json.loads(expected))
    except (ValueError, RecursionError):  # RecursionError: a payload nested too deep for the parser
        return received.strip().lower() == expected.strip().lower()
