"""A device's topic that says which firmware reads it, against what the config sends it or reads from it: a Tasmota
device's telemetry read with the seed's flat `power` (every reading dropped), a relay sent payloads its firmware does
not take (the seed's Domoticz JSON on a Tasmota relay's cmnd/<device>/POWER: it never switched, PySEB believing it
on). Warnings, not problems: the topic's shape is a strong hint, and another firmware may use it."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from equipments.base import Equipment
from settings.problems import ConfigProblem
from settings.relay_topics import SHELLY_RELAY, SHELLY_WORDS, TASMOTA_POWER, TASMOTA_WORDS
from settings.section_reader import SectionReader
from settings.slips import slip_advice
from values.readings import TASMOTA_LEAST_TELEPERIOD_S

# Tasmota's telemetry topic (its default FullTopic %prefix%/%topic%/, prefix tele): its energy readings hold their
# watts inside ENERGY, never at the top.
_TASMOTA_SENSOR = re.compile(r"tele/[^/]+/SENSOR")
_TASMOTA_ADVICE = "a Tasmota device's telemetry, whose watts are at ENERGY.Power (the reading's top holds none)"


def warn_meter_fields(reader: SectionReader, mqtt_raw: dict[str, Any], equipments: Sequence[Equipment]) -> None:
    """A meter read on a Tasmota device's `tele/<device>/SENSOR` with a flat JSON field (the seed's `power`): each
    reading dropped for "no 'power' field", the meters silent at the first start."""
    field = str(mqtt_raw.get("json_power") or "")
    for key in ("topic_cons", "topic_prod"):
        said = tasmota_field_warning(f"[mqtt] {key}", str(mqtt_raw.get(key) or ""), "json_power", field)
        if said is not None:
            reader.warnings.append(ConfigProblem("mqtt", "json_power", said))
            return  # (one warning: the key is one for both meters)
    for load in equipments:
        said = tasmota_field_warning("topic_read_power", str(load.options.get("topic_read_power") or ""),
                                     "json_read_power", str(load.options.get("json_read_power") or ""))
        if said is not None:
            reader.warnings.append(ConfigProblem(load.name, "json_read_power", said))


def warn_tasmota_meter_timeout(reader: SectionReader, mqtt_raw: dict[str, Any], meter_timeout_s: float | None) -> None:
    """A house or production meter read on a Tasmota device's `tele/<device>/SENSOR` under a meter_timeout of less than
    five of its readings at its steadiest (TelePeriod 10, PowerDelta 0): each of its gaps cuts every load. At the
    default 10 s, a TelePeriod 10 read a few ms late went stale before each reading, and one with PowerDelta set in
    each steady minute (the cut itself read as a change: 300 cuts an hour, said "silent"). Said before the first."""
    least_s = 5.0 * TASMOTA_LEAST_TELEPERIOD_S
    if meter_timeout_s is None or meter_timeout_s >= least_s:
        return
    for key in ("topic_cons", "topic_prod"):
        topic = str(mqtt_raw.get(key) or "")
        if not _TASMOTA_SENSOR.fullmatch(topic):
            continue
        reader.warnings.append(ConfigProblem("evaluate", "meter_timeout", (
            f"{meter_timeout_s:g} s is under five readings of the Tasmota energy meter on [mqtt] {key} {topic!r}, "
            "which reads once every TelePeriod (10 s at least, 300 s by default) and, with PowerDelta set, at each "
            "change of power over the delta, nothing while the power is steady: each of its gaps over meter_timeout "
            "stops the regulation (every load not forced to 0 W) until its next reading. Set "
            f"TelePeriod {TASMOTA_LEAST_TELEPERIOD_S:.0f} and PowerDelta 0 on the device (a reading every "
            f"{TASMOTA_LEAST_TELEPERIOD_S:.0f} s), and meter_timeout = {least_s:.0f} (five of its readings)")))
        return  # (one line: the key is one for both meters)


def tasmota_field_warning(topic_key: str, topic: str, field_key: str, field: str) -> str | None:
    """What to set when `topic` (the setting `topic_key`) is a Tasmota device's telemetry and `field` (the setting
    `field_key`) a flat name, read at the top of each reading where Tasmota's has no watts; else None. The daemon's
    meters and a load's own, and the calibration tools' meter, said alike."""
    if not field or "." in field or not _TASMOTA_SENSOR.fullmatch(topic):
        return None
    return (f"{field!r} is read at the top of each reading, and {topic_key} {topic!r} is {_TASMOTA_ADVICE}: set "
            f"{field_key} = ENERGY.Power")


def warn_relay_payloads(reader: SectionReader, equipments: Sequence[Equipment], domoticz_in: str) -> None:
    """Each relay's json_on and json_off against the firmware its topic names: a Domoticz command anywhere but
    Domoticz's input (what else goes there is refused: RelayEquipment), a Tasmota or Shelly relay's topic sent another
    word."""
    for load in equipments:
        topic = load.options.get("topic_set_power")
        if load.KIND == "variable" or not isinstance(topic, str):
            continue
        for key in ("json_on", "json_off"):
            payload = load.options.get(key)
            if not isinstance(payload, str) or slip_advice(payload):
                continue  # (a note after it, quotes around it: said as that slip, whose fix is this one's too)
            if said := _payload_warning(topic, payload, domoticz_in, key):
                reader.warnings.append(ConfigProblem(load.name, key, said))
                break  # (one line a relay: the other payload is the same mistake)


def _payload_warning(topic: str, payload: str, domoticz_in: str, key: str) -> str | None:
    word = "ON" if key == "json_on" else "OFF"
    if topic != domoticz_in and _domoticz_command(payload):
        return (f"{payload!r} is a Domoticz command (the seed's relays were Domoticz switches), which Domoticz "
                f"reads on its input ([domoticz] topic_in, {domoticz_in}) only: sent to {topic!r}, it switches "
                "nothing. For a Tasmota relay (cmnd/<device>/POWER): json_on = ON, json_off = OFF; Shelly: on, off; "
                f"else send it to topic_set_power = {domoticz_in}")
    if TASMOTA_POWER.fullmatch(topic) and payload.strip().lower() not in TASMOTA_WORDS:
        return (f"{topic!r} is a Tasmota relay's POWER command, which takes ON or OFF (1 or 0): {payload!r} switches "
                f"nothing; write {key} = {word} (ignore this for another firmware)")
    if SHELLY_RELAY.fullmatch(topic) and payload.strip().lower() not in SHELLY_WORDS:
        return (f"{topic!r} is a Shelly relay's command topic, which takes on or off: {payload!r} switches nothing; "
                f"write {key} = {word.lower()} (ignore this for another firmware)")
    return None


def _domoticz_command(payload: str) -> bool:
    """Whether `payload` is a Domoticz MQTT command ({"command": "switchlight", "idx": 359, ...})."""
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        return False
    return isinstance(doc, dict) and "command" in doc and "idx" in doc
