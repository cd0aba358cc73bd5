"""Options of the Home Assistant link: [homeassistant] (MQTT discovery, off by default)."""

from __future__ import annotations

import configparser
from collections.abc import Sequence
from dataclasses import dataclass

from equipments.base import Equipment
from equipments.constant import RelayEquipment
from integrations.homeassistant import DEFAULT_PREFIX
from integrations.homeassistant_entities import LoadInfo, id_clashes
from integrations.homeassistant_ids import DEFAULT_DEVICE_NAME, DEFAULT_NODE_ID, default_device_name, slug
from settings.options import Option
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader
from settings.topics import TopicRole, topic_problem

HOMEASSISTANT_OPTIONS: tuple[Option, ...] = (
    Option("discovery", bool, False, "announce PySEB to Home Assistant (MQTT discovery)"),
    Option("prefix", str, DEFAULT_PREFIX, "Home Assistant's discovery prefix (its birth message, which sends "
           "discovery again, is heard on homeassistant/status, HA's default whatever the prefix, and on "
           "<prefix>/status); PySEB publishes under it: no + or #, and not starting with $ (the broker's own "
           "topics, such as $SYS: refused)"),
    Option("node_id", "text?", None, "node id in the discovery topics, unique ids and device identifier "
           "(default: [mqtt] client_id); one per PySEB instance on the broker; lower-cased, only a-z, digits and _ "
           "kept (each run of other characters, $, + or # too, becomes one _, none kept at either end: $SYS is sys)"),
    Option("name", "text?", None, "the device's name in Home Assistant, the start of every entity's name and "
           "new entity id (default: PySEB for node id pyseb, else PySEB <node id>, a leading pyseb_ left out)"),
)

@dataclass(frozen=True, slots=True)
class HomeAssistantSettings:
    """The Home Assistant link as configured."""

    discovery: bool
    prefix: str
    node_id: str
    name: str = DEFAULT_DEVICE_NAME  # the device's
    # What the node id was made of, as the user wrote it ("[mqtt] client_id 'pyseb-2'"), for the messages that name
    # it: case and punctuation are lost in the id, and two such texts make one node id.
    node_source: str = ""


def read_homeassistant_settings(cp: configparser.ConfigParser, reader: SectionReader, client_id: str,
                                equipments: Sequence[Equipment]) -> HomeAssistantSettings:
    """[homeassistant] read with `reader` (problems collected there), checked against the loads."""
    raw = reader.read(cp, "homeassistant", HOMEASSISTANT_OPTIONS)
    prefix = (raw["prefix"] or DEFAULT_PREFIX).strip("/")
    # (PySEB publishes its entities' configs under it: a `$SYS` one was taken, and the broker dropped every config,
    # "19 entities announced" in the log, none in Home Assistant)
    problem = topic_problem(prefix, TopicRole.PUBLISH, own=True)
    if problem is not None:
        reader.problems.append(ConfigProblem("homeassistant", "prefix", problem if prefix else
                                             f"{raw['prefix']!r} is not a topic prefix (not empty, not only /)"))
    node_text = raw["node_id"] or client_id or DEFAULT_NODE_ID
    node_id = slug(node_text)
    name = (raw["name"] or "").strip() or default_device_name(node_id, node_text)
    source = "[homeassistant] node_id" if raw["node_id"] else "[mqtt] client_id" if client_id else "the default"
    settings = HomeAssistantSettings(bool(raw["discovery"]), prefix, node_id, name, f"{source} {node_text!r}")
    if settings.discovery:
        _check_ids(reader, equipments)
    return settings


def _check_ids(reader: SectionReader, equipments: Sequence[Equipment]) -> None:
    """Warnings for entities left out of discovery as another load's have their ids (`id_clashes`). Warned, not
    refused: a clash in Home Assistant is no reason to leave the house unregulated (a config an upgrade made
    wrong stopped the daemon with exit 2, which systemd does not restart)."""
    seen: dict[str, str] = {}
    for load in equipments:
        # Each load's entities are named after its slug: a second load with one has none.
        key = slug(load.name)
        if key in seen:
            reader.warnings.append(ConfigProblem(load.name, None, f"its Home Assistant entities are left out: "
                                                 f"their id {key!r} is load {seen[key]!r}'s too; rename one of the "
                                                 "two loads"))
        seen.setdefault(key, load.name)
    # (no "full" sensor: its id meets no other load's, whether a load has one or not)
    infos = [LoadInfo(load.name, 0.0, tank=False, on_off=isinstance(load, RelayEquipment)) for load in equipments
             if seen[slug(load.name)] == load.name]
    for entity, first in id_clashes(infos):
        reader.warnings.append(ConfigProblem(str(entity.load), None, f"its Home Assistant entity {entity.name!r} is "
                                             f"left out: its id {entity.object_id!r} is that of {first.name!r} (load "
                                             f"{first.load!r}); rename one of the two loads"))
