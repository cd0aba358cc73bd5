"""Home Assistant MQTT discovery: the entities PySEB announces (retained configs under
`<prefix>/<component>/<node_id>/<object_id>/config`), and the one retained state document their value
templates read, built from the status document. Pure: no broker, no clock.

Schema keys are HA's documented ones (home-assistant.io/integrations/{sensor,binary_sensor,switch,number,
select}.mqtt); every entity is tied to the regulator's availability topic. The ids and the device's default name:
integrations/homeassistant_ids.py; the entities: integrations/homeassistant_entities.py."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integrations.homeassistant_entities import HEATER_MODES, LAST_RESET_KEY, OFF, ON, Entity, LoadInfo
from integrations.homeassistant_entities import MAX_DURATION_MIN as MAX_DURATION_MIN
from integrations.homeassistant_entities import build_entities as build_entities
from integrations.homeassistant_ids import DEFAULT_DEVICE_NAME, entity_id_part, unspellable

# (MAX_DURATION_MIN and build_entities are imported `as` themselves: defined here before the entities moved out,
# re-exported with ON, OFF, Entity and LoadInfo for the field features, which import them here)

DEFAULT_PREFIX = "homeassistant"  # HA's discovery prefix, and its birth topic's first level, by default
MAX_STATE_CHARS = 250  # HA refuses a sensor state over 255 characters
MAX_CONFIG_BYTES = 16_384  # a config PySEB announces is about 1 kB: a larger one is not ours, not parsed
ORIGIN_NAME = "PySEB"  # the application that publishes the configs (HA logs it with each discovered entity)


@dataclass(frozen=True, slots=True)
class Topics:
    """Where discovery, state and commands go."""

    prefix: str
    node_id: str
    base: str  # <topic_regul>/ha
    availability: str

    @property
    def state(self) -> str:
        """The retained state document every entity reads."""
        return f"{self.base}/state"

    @property
    def births(self) -> tuple[str, ...]:
        """Where Home Assistant's birth message may come: HA's own default, homeassistant/status, is not moved
        by its discovery prefix (a separate setting), and <prefix>/status for a user who moved both."""
        return tuple(dict.fromkeys((f"{self.prefix}/status", f"{DEFAULT_PREFIX}/status")))

    @property
    def own_configs(self) -> str:
        """A filter matching every config this node ever announced (removed loads' too)."""
        return f"{self.prefix}/+/{self.node_id}/+/config"

    def config(self, entity: Entity) -> str:
        """The discovery topic of `entity`."""
        return f"{self.prefix}/{entity.component}/{self.node_id}/{entity.object_id}/config"

    def command(self, entity: Entity) -> str:
        """The command topic of a control."""
        return f"{self.base}/{entity.object_id}/set"

    def record(self) -> dict[str, str]:
        """Where this node announces, as the status file keeps it (`earlier_topics` reads it back at the next start:
        the configs a run left retained are found there after a change of prefix, node id or topic_regul)."""
        return {"prefix": self.prefix, "node_id": self.node_id, "availability_topic": self.availability,
                "state_topic": self.state}


MAX_RECORD_CHARS = 500  # a topic in a record (a topic_regul, a prefix): far longer is no record PySEB wrote


def earlier_topics(record: Any) -> Topics | None:
    """The Topics of a run whose `Topics.record()` a status file kept; None for anything else (a hand edit, junk): a
    node id that is no single topic level, a wildcard, a state topic not ending in /state, a text no topic can hold (a
    lone surrogate, JSON's "\\ud800": paho raised at its subscribe, in the connect's callback, and the daemon stopped
    there at every start, the record never read back and so saved again)."""
    if not isinstance(record, dict):
        return None
    values = [record.get(key) for key in ("prefix", "node_id", "availability_topic", "state_topic")]
    texts = [v for v in values if isinstance(v, str) and v and len(v) <= MAX_RECORD_CHARS and not set(v) & set("+#\0")
             and _encodable(v)]
    if len(texts) != len(values):
        return None
    prefix, node_id, availability, state = texts
    if "/" in node_id or not state.endswith("/state") or state == "/state":
        return None
    return Topics(prefix, node_id, state.removesuffix("/state"), availability)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def config_payload(entity: Entity, topics: Topics, sw_version: str,
                   device_name: str = DEFAULT_DEVICE_NAME) -> dict[str, Any]:
    """The discovery config of `entity`.

    HA names every MQTT entity of a device "<device name> <entity name>" (has_entity_name) and, without
    default_entity_id, builds a new entity's id from that: entity names leave the device out. default_entity_id
    (HA 2025.10's replacement of the payload's object_id, which PySEB never sent) is that same id, but for a hint in
    brackets (number.pyseb_ecs_force_duration, not ..._duration_0_until_off): an older HA, and the entities users
    already have, have the same ids. HA reads it only when it first adds the entity. The unique id and the device's
    identifier are the node id's (one per instance), unchanged since the first version: HA files each entity's
    history under its unique id."""
    config: dict[str, Any] = {
        "name": entity.name,
        "unique_id": f"pyseb_{topics.node_id}_{entity.object_id}",
        "default_entity_id": f"{entity.component}.{_entity_object_id(device_name, entity)}",
        "device": {"identifiers": [f"pyseb_{topics.node_id}"], "name": device_name, "manufacturer": "PySEB",
                   "model": "solar surplus router", "sw_version": sw_version},
        "origin": {"name": ORIGIN_NAME, "sw_version": sw_version},
        "availability_topic": topics.availability,
        "payload_available": "online",
        "payload_not_available": "offline",
        "state_topic": topics.state,
        "value_template": f"{{{{ value_json['{entity.object_id}'] }}}}",
        **entity.extra,
    }
    if entity.command is not None:
        config["command_topic"] = topics.command(entity)
    return config


def announced_by(topics: Topics, topic: str, payload: bytes) -> bool:
    """True when `payload`, retained on the config topic `topic`, is one this instance announced: its unique id (node
    id and object id) and its availability topic (topic_regul) are ours; another instance's, given the same node id,
    is not (removed, its entities would go)."""
    return announced_config(topics, topic, payload) is not None


def announced_config(topics: Topics, topic: str, payload: bytes) -> dict[str, Any] | None:
    """`payload` read as a config, when `announced_by` this instance; else None."""
    config = _config_of_this_node(topics, topic, payload)
    return config if config is not None and config.get("availability_topic") == topics.availability else None


def announced_by_another(topics: Topics, topic: str, payload: bytes) -> str | None:
    """The availability topic of the instance that announced `payload` on the config topic `topic` when that is
    another than this one under this node id: the unique id is this node's (pyseb_<node id>_<object id>), the
    availability topic (topic_regul) another's. None for ours, for a deletion, for anything else."""
    config = _config_of_this_node(topics, topic, payload)
    if config is None or config.get("availability_topic") == topics.availability:
        return None
    return str(config.get("availability_topic"))[:200]


def _config_of_this_node(topics: Topics, topic: str, payload: bytes) -> dict[str, Any] | None:
    """`payload` read as a config whose unique id is this node's for the object id of `topic`, else None."""
    if not payload or len(payload) > MAX_CONFIG_BYTES:
        return None
    try:
        config = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: nested too deep for the parser ([[[...]]])
        return None
    object_id = topic.split("/")[-2]
    if isinstance(config, dict) and config.get("unique_id") == f"pyseb_{topics.node_id}_{object_id}":
        return config
    return None


def _entity_object_id(device_name: str, entity: Entity) -> str:
    # (a device name with its digest: the entity's part after it, "dom_1a2b3c4d_grid", not "grid_1a2b3c4d")
    if unspellable(device_name):
        return f"{entity_id_part(device_name)}_{entity_id_part(entity.id_name)}"
    return entity_id_part(f"{device_name} {entity.id_name}")


def state_document(status: Mapping[str, Any], meter_timeout_s: float, loads: Sequence[LoadInfo],
                   setpoints: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """The state every entity reads, from a status document; `setpoints` holds each load's force power (W)
    and duration (min) as the numbers show them. The energies' last_reset is the instant they are counted from
    (the status's energy_counted_since, ISO 8601 with its offset), in the same document as the energies: HA sees
    a new cycle's last_reset and its energies' reset together."""
    state: dict[str, Any] = {
        "grid_power": status.get("grid_w"),
        "production_power": status.get("power_production"),
        "consumption_power": status.get("power_consumption"),
        "production_energy": status.get("production_energy"),
        LAST_RESET_KEY: status.get("energy_counted_since"),
        "last_decision": str(status.get("last_decision") or "")[:MAX_STATE_CHARS],
        "suspended_reason": str(status.get("stale_reason") or "none")[:MAX_STATE_CHARS],
    }
    meters = status.get("meters") or {}
    for meter in ("consumption", "production"):
        age_s = (meters.get(meter) or {}).get("age_s")
        # (>=, as the stale guard suspends at `meter_timeout`: the status published at that moment says
        # 10.0 s for a 10 s timeout, and no other follows while the meter stays silent. No reading yet: stale once
        # the guard suspended the regulation, which names every meter silent since the start; ON before, at every
        # start, an alert on these problem sensors fired for the meter_timeout that both meters are given.)
        if age_s is None:
            state[f"{meter}_stale"] = ON if status.get("stale_reason") else OFF
        else:
            state[f"{meter}_stale"] = ON if age_s >= meter_timeout_s else OFF
    by_name = {entry.get("name"): entry for entry in status.get("equipments") or ()}
    # (setdefault: a key two loads' entities share is the first's, the entity build_entities keeps)
    put = state.setdefault
    for load in loads:
        entry, key = by_name.get(load.name) or {}, load.key
        power_w, duration_min = setpoints.get(load.name, (load.max_force_power_w, 0.0))
        put(f"{key}_power", entry.get("current_power"))
        put(f"{key}_energy", entry.get("energy"))
        put(f"{key}_force", ON if entry.get("forced") else OFF)
        if not load.on_off:
            put(f"{key}_force_power", round(power_w))
        # As set: HA checks a number's range, not its step, and 0.5 min shown as round(0.5) = 0 read "until off"
        put(f"{key}_force_duration", int(duration_min) if duration_min.is_integer() else duration_min)
        if load.tank:
            put(f"{key}_full", ON if entry.get("overed") else OFF)
    heater = status.get("water_heater")
    if isinstance(heater, Mapping) and heater.get("mode") in HEATER_MODES:
        state["water_heater_mode"] = heater["mode"]
    return state


def dumps(document: Mapping[str, Any]) -> str:
    """Compact JSON (a Pi Zero publishes this after every decision)."""
    return json.dumps(document, separators=(",", ":"), allow_nan=False)
