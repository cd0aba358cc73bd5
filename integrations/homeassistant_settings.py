"""Options of the Home Assistant link: [homeassistant] (MQTT discovery, off by default)."""

from __future__ import annotations

import configparser
from collections.abc import Sequence
from dataclasses import dataclass

from equipments.base import Equipment
from equipments.constant import RelayEquipment
from integrations.homeassistant import Entity, LoadInfo, build_entities, slug
from settings.options import Option, SectionReader
from settings.problems import ConfigProblem

HOMEASSISTANT_OPTIONS: tuple[Option, ...] = (
    Option("discovery", bool, False, "announce PySEB to Home Assistant (MQTT discovery)"),
    Option("prefix", str, "homeassistant", "Home Assistant's discovery prefix (its birth message is "
           "<prefix>/status)"),
    Option("node_id", "text?", None, "node id in the discovery topics and unique ids (default: [mqtt] "
           "client_id); one per PySEB instance"),
)

@dataclass(frozen=True, slots=True)
class HomeAssistantSettings:
    """The Home Assistant link as configured."""

    discovery: bool
    prefix: str
    node_id: str


def read_homeassistant_settings(cp: configparser.ConfigParser, reader: SectionReader, client_id: str,
                                equipments: Sequence[Equipment]) -> HomeAssistantSettings:
    """[homeassistant] read with `reader` (problems collected there), checked against the loads."""
    raw = reader.read(cp, "homeassistant", HOMEASSISTANT_OPTIONS)
    prefix = (raw["prefix"] or "homeassistant").strip("/")
    if any(char in prefix for char in "#+") or not prefix:
        reader.problems.append(ConfigProblem("homeassistant", "prefix", f"{raw['prefix']!r} is not a topic "
                                             "prefix (no '#' or '+', not empty)"))
    node_id = slug(raw["node_id"] or client_id or "pyseb")
    settings = HomeAssistantSettings(bool(raw["discovery"]), prefix, node_id)
    if settings.discovery:
        seen: dict[str, str] = {}
        for load in equipments:
            # Each load's entities are named after its slug: two loads must not share one.
            key = slug(load.name)
            if key in seen:
                reader.problems.append(ConfigProblem(load.name, None, f"its Home Assistant id {key!r} is also "
                                                     f"{seen[key]!r}'s: rename one of them"))
            seen[key] = load.name
        _check_entity_ids(reader, [load for load in equipments if seen[slug(load.name)] == load.name])
    return settings


def _check_entity_ids(reader: SectionReader, equipments: Sequence[Equipment]) -> None:
    """Two loads' entities with one object id: a load named `x_force` beside `x` has a power sensor
    `load_x_force_power`, x's force power number's id. One unique id (Home Assistant keeps the first and drops the
    other) and one key of the state document (both show one figure): refused, as a rename changes the ids of one
    load only, while telling them apart here would change ids users already have."""
    # (every load counted as a tank: a "full" sensor more can only show a clash, never hide one)
    infos = [LoadInfo(load.name, 0.0, tank=True, on_off=isinstance(load, RelayEquipment)) for load in equipments]
    owner: dict[str, Entity] = {}
    for entity in build_entities(infos, heater=None):
        first = owner.setdefault(entity.object_id, entity)
        if first.load != entity.load:
            reader.problems.append(ConfigProblem(str(entity.load), None, f"its Home Assistant entity "
                                                 f"{entity.object_id!r} ({entity.name}) is also load {first.load!r}'s "
                                                 f"({first.name}): rename one of them"))
