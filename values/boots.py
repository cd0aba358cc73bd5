"""Device boot messages as the real firmware sends them (PROTOCOL.md): the PZEM meter's and the
variator's boot announcements (often not valid JSON), and the variator's `boot_detected` status."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from values.numbers import json_float
from values.readings import MAX_PAYLOAD_BYTES, looks_like_boot

# `"id": "ECS"` or the meter's unquoted `"id": CONSOMMATION`: the value up to the next quote, comma,
# brace or blank. Read with a pattern because the firmware's boot messages are often not JSON.
_ID = re.compile(r'"id"\s*:\s*"?([^",}\s]+)')
_BOOT_DETECTED = re.compile(r'"msg"\s*:\s*"boot_detected"')
_STATE = re.compile(r'"state"\s*:\s*"(ON|OFF)"', re.ASCII)
# A PZEM's `"pzem_idx1": 651`: a Domoticz idx it publishes its readings to itself (0: none).
_PZEM_IDX = re.compile(r'"(pzem_idx\d)"\s*:\s*"?(\d{1,9})\b', re.ASCII)
_SRATE = re.compile(r'"srate"\s*:\s*"?(\d{1,9})\b', re.ASCII)

log = logging.getLogger(__name__)

# A variator's echo this soon after a command may answer the command before it (they cross on the broker): the daemon
# leaves such an echo alone; the calibration sweep matches its echoes with its commands by their percent (`answered`).
ECHO_LAG_S = 5.0
# A variator answers each command within a fraction of a second: one not answered this long has not heard it (silent:
# VariableEquipment.silent; its heater's meter reading nothing under it says nothing of its tank: MeteredFullTank).
SILENT_AFTER_S = 1.5


def whole_percent(percent: float) -> int:
    """The whole percent a variator runs `percent` at (its firmware runs 42.5 % as 42 %), as its echo says it;
    a hair under a whole one, a float's error, is that one."""
    return math.floor(percent + 1e-9)


def answered(echo: float, unanswered: Sequence[float]) -> int:
    """How many of the commands `unanswered` (their percents, oldest first) a status echo at `echo` % answers: up to and
    including the first one at its whole percent (the firmware answers each command in turn: one whose answer was lost
    is answered by a later one), 0 when none is at it. Compared in whole percents: the firmware runs 42.5 % as 42 %.
    (The calibration sweep and the daemon both match an echo to its command so: an echo is not judged by how soon after
    a command it comes.)"""
    for index, sent in enumerate(unanswered):
        if whole_percent(sent) == whole_percent(echo):
            return index + 1
    return 0


def boot_message_id(payload: bytes) -> str | None:
    """The device id a boot message announces (`"id": ...`), JSON or not; None when there is none."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None  # not a boot message: those are a few hundred bytes
    text = payload.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep to be a boot message
        match = _ID.search(text)
        return match[1] if match else None
    if isinstance(doc, dict) and isinstance(doc.get("id"), (str, int)) and not isinstance(doc.get("id"), bool):
        return str(doc["id"])
    return None


def is_boot_message(payload: bytes) -> bool:
    """True for a device's boot message (`"type"` and `"fw_version"` in it: a PZEM's, a variator's), JSON or not."""
    return len(payload) <= MAX_PAYLOAD_BYTES and looks_like_boot(payload.decode("utf-8", "replace"))


def pzem_domoticz_idx(payload: bytes) -> dict[str, int]:
    """The Domoticz idx a PZEM's boot message says it publishes to itself ({"pzem_idx1": 651, ...}; none at 0)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return {}
    return {key: int(idx) for key, idx in _PZEM_IDX.findall(payload.decode("utf-8", "replace")) if int(idx)}


def pzem_reading_period_s(payload: bytes) -> float | None:
    """How often a PZEM's boot message says it reads, in seconds (its `srate`, in ms); None when it says not."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    match = _SRATE.search(payload.decode("utf-8", "replace"))  # (not JSON: the firmware leaves strings unquoted)
    return int(match[1]) / 1000 if match and int(match[1]) else None


class VariatorStatus(NamedTuple):
    """A variator's status message, read once (an echo comes after every command; a NamedTuple: a frozen dataclass
    took a fifth of the read to build)."""

    booted: bool  # it says it has just (re)booted (`"msg": "boot_detected"`): it runs at its default
    percent: float | None  # the percent its echo after a command says it runs at (None: see read_variator_status)
    output_off: bool | None  # its output gated off (`"state": "OFF"`, after an `off`) or on (`"ON"`); None: neither


def read_variator_status(payload: bytes) -> VariatorStatus:
    """A variator's status message (`{"percent": 42.50, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}`),
    parsed once. The percent is None when the message is not JSON, has no such number, one outside 0..100, or is a
    boot status. Not JSON (a `nan` percent), its `msg` and `state` are read with a pattern."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return VariatorStatus(False, None, None)
    text = payload.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        state = _STATE.search(text)
        return VariatorStatus(_BOOT_DETECTED.search(text) is not None, None,
                              None if state is None else state[1] == "OFF")
    if not isinstance(doc, dict):
        return VariatorStatus(False, None, None)
    state_text = doc.get("state")
    off = None if state_text not in ("ON", "OFF") else state_text == "OFF"
    if doc.get("msg") == "boot_detected":
        return VariatorStatus(True, None, off)
    percent = json_float(doc.get("percent"))
    return VariatorStatus(False, percent if percent is not None and 0 <= percent <= 100 else None,  # (NaN: not in)
                          off)


def variator_status(payload: bytes) -> tuple[bool, float | None]:
    """A variator's status message: whether it says it has just (re)booted, and the percent its echo says it runs at
    (read_variator_status)."""
    status = read_variator_status(payload)
    return status.booted, status.percent


def variator_output_off(payload: bytes) -> bool | None:
    """Whether a variator's status says its output is gated off (`"state": "OFF"`, after an `off` command: the load
    draws nothing whatever its percent) or on (`"ON"`); None when it says neither."""
    return read_variator_status(payload).output_off


def is_boot_detected(payload: bytes) -> bool:
    """True for a variator status saying it has just (re)booted (`"msg": "boot_detected"`); False for its
    ordinary status echo after a command (`"msg": "setpower"`) and anything else."""
    return variator_status(payload)[0]


def split_device_topic(topic: str) -> tuple[str, str] | None:
    """'smeter/pzem/CONSOMMATION' -> ('smeter/pzem', 'CONSOMMATION'): the topic a device's boot message
    comes on (the parent) and its id (the last segment); None for a topic without a parent."""
    parent, sep, last = topic.rstrip("/").rpartition("/")
    if not sep or not parent or not last:
        return None
    return parent, last


class MeterBoots:
    """The boot topics of the meters we read, and which meter a boot message there is from. A PZEM
    announces its boot on the parent of its readings' topic, with its id: the topic's last segment."""

    def __init__(self, meters: Iterable[tuple[str, str]]) -> None:
        self._labels: dict[str, dict[str, str]] = {}  # boot topic -> {device id: label}
        for reading_topic, label in meters:
            parts = split_device_topic(reading_topic)
            if parts is not None:
                self._labels.setdefault(parts[0], {})[parts[1]] = label

    def topics(self) -> tuple[str, ...]:
        """The boot topics to subscribe to."""
        return tuple(self._labels)

    def __contains__(self, topic: object) -> bool:
        return topic in self._labels

    def who(self, topic: str, payload: bytes) -> str | None:
        """The label of the meter whose boot message this is, or None (another device: logged at DEBUG)."""
        device = boot_message_id(payload)
        label = self._labels.get(topic, {}).get(device or "")
        if label is None:
            log.debug("boot message on %s from %r: not one of our meters", topic, device)
        return label
