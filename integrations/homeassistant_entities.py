"""The entities PySEB announces to Home Assistant for a configuration: what discovery needs to know of a load
(LoadInfo), each entity (Entity: its platform, object id, name and HA keys), their catalogue in a stable order and the
object ids two of them would share (id_clashes). Apart from the discovery's topics, configs and state document
(integrations.homeassistant) because it is one job: which entities there are, whatever they are announced on. Pure:
no broker, no clock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from integrations.domoticz_control import EcsMode
from integrations.homeassistant_ids import slug

ON, OFF = "ON", "OFF"
MAX_DURATION_MIN = 7 * 24 * 60  # regul/mode's own limit (7 days), in minutes
HEATER_MODES = tuple(mode.value for mode in EcsMode)
# The state document's key for the day's energies' last reset (no entity's object id: load ones start with load_).
LAST_RESET_KEY = "energy_last_reset"
_HINT = re.compile(r"\s*\([^()]*\)$")
# entity_category: HA shows these on cards of their own on the device page, and leaves them off auto-generated
# dashboards. `config` is for a control that is a setting; a read-only entity can only be `diagnostic`. The main
# entities (powers, energies, force switches, the heater's mode) have none.
SETTING = {"entity_category": "config"}
DIAGNOSTIC = {"entity_category": "diagnostic"}
WHOLE = {"suggested_display_precision": 0}  # W and Wh: HA would show 1234.5678 W as sent


@dataclass(frozen=True, slots=True)
class LoadInfo:
    """What discovery needs to know of one load."""

    name: str
    max_force_power_w: float
    tank: bool  # it has a full-tank detector: a "full" binary sensor
    on_off: bool = False  # a relay: forced on or off, no force power to set

    @property
    def key(self) -> str:
        """The load's part of its entities' object ids."""
        return f"load_{slug(self.name)}"


@dataclass(frozen=True, slots=True)
class Entity:
    """One discovered entity: its platform, object id and platform-specific config keys."""

    component: str  # sensor, binary_sensor, switch, number, select
    object_id: str
    name: str
    extra: dict[str, Any] = field(default_factory=dict)
    command: str | None = None  # what a command on its command topic does: force, force_power, ...
    load: str | None = None  # the load it belongs to

    @property
    def id_name(self) -> str:
        """Its name as its HA entity id says it: without a trailing hint in brackets ("ecs force duration (0 = until
        off)": "ecs force duration")."""
        return _HINT.sub("", self.name)


def _power(object_id: str, name: str, load: str | None = None) -> Entity:
    return Entity("sensor", object_id, name, {"unit_of_measurement": "W", "device_class": "power",
                                              "state_class": "measurement", **WHOLE}, load=load)


def _energy(object_id: str, name: str, load: str | None = None) -> Entity:
    # total with a last_reset, the instant the day's energies are counted from (the day's midnight, or a start
    # without the day's figures): HA's recorder starts a new cycle (counted from 0) when the last_reset changes, and
    # takes any other drop for a decrease. total_increasing took every drop below 90 % of the last value for a new
    # cycle: a day restored lower after a crash (the status file is up to 15 min old) was counted again from 0, the
    # day's energy twice in the Energy dashboard.
    return Entity("sensor", object_id, name, {"unit_of_measurement": "Wh", "device_class": "energy",
                                              "state_class": "total", **WHOLE,
                                              "last_reset_value_template": f"{{{{ value_json['{LAST_RESET_KEY}'] }}}}"},
                  load=load)


def build_entities(loads: Sequence[LoadInfo], heater: str | None) -> list[Entity]:
    """Every entity for this configuration, in a stable order; one whose object id an earlier one has is left
    out (see `id_clashes`)."""
    return _first_of_each_id(_every_entity(loads, heater))[0]


def id_clashes(loads: Sequence[LoadInfo]) -> list[tuple[Entity, Entity]]:
    """(entity left out, the earlier entity with its object id) for these loads. A load named `x_force` beside a
    variable `x` has a power sensor `load_x_force_power`, x's force power number's id; `heater-2` and `heater_2`
    share every id. One id would be one unique id (HA keeps the first and drops the other) and one key of the
    state document (both would show one figure): the later is left out, rather than renamed, so that no entity id
    users already have changes."""
    return _first_of_each_id(_every_entity(loads, None))[1]


def _first_of_each_id(entities: list[Entity]) -> tuple[list[Entity], list[tuple[Entity, Entity]]]:
    owner: dict[str, Entity] = {}
    clashes: list[tuple[Entity, Entity]] = []
    for entity in entities:
        first = owner.setdefault(entity.object_id, entity)
        if first is not entity:
            clashes.append((entity, first))
    return list(owner.values()), clashes


def _every_entity(loads: Sequence[LoadInfo], heater: str | None) -> list[Entity]:
    entities = [
        _power("grid_power", "Grid"),
        _power("production_power", "Production"),
        _power("consumption_power", "Consumption"),
        _energy("production_energy", "Production energy today"),
        Entity("sensor", "last_decision", "Last decision", {"icon": "mdi:scale-balance", **DIAGNOSTIC}),
        Entity("sensor", "suspended_reason", "Regulation suspended because", {"icon": "mdi:pause-circle",
                                                                               **DIAGNOSTIC}),
        Entity("binary_sensor", "consumption_stale", "Consumption meter stale", {"device_class": "problem",
                                                                                  **DIAGNOSTIC}),
        Entity("binary_sensor", "production_stale", "Production meter stale", {"device_class": "problem",
                                                                                **DIAGNOSTIC}),
    ]
    for load in loads:
        key, name = load.key, load.name
        entities += [
            _power(f"{key}_power", f"{name} power", name),
            _energy(f"{key}_energy", f"{name} energy today", name),
            Entity("switch", f"{key}_force", f"{name} force", {"payload_on": ON, "payload_off": OFF,
                                                                "icon": "mdi:flash"}, "force", name),
        ]
        if not load.on_off:  # (a relay forced on draws its watts whatever power is asked)
            entities.append(Entity("number", f"{key}_force_power", f"{name} force power",
                                   {"min": 0, "max": round(load.max_force_power_w), "step": 1, "mode": "box",
                                    "unit_of_measurement": "W", "device_class": "power", **SETTING}, "force_power",
                                   name))
        entities += [
            Entity("number", f"{key}_force_duration", f"{name} force duration (0 = until off)",
                   {"min": 0, "max": MAX_DURATION_MIN, "step": 1, "mode": "box", "unit_of_measurement": "min",
                    "device_class": "duration", **SETTING}, "force_duration", name),
        ]
        if load.tank:
            entities.append(Entity("binary_sensor", f"{key}_full", f"{name} full", {"icon": "mdi:water-boiler"},
                                   load=name))
    if heater is not None:
        entities.append(Entity("select", "water_heater_mode", "Water heater mode", {"options": list(HEATER_MODES)},
                               "heater_mode", heater))
    return entities
