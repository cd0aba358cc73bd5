"""Options of the Home Assistant link: [homeassistant] (MQTT discovery, off by default)."""

from __future__ import annotations

import configparser
import re
from collections.abc import Sequence
from dataclasses import dataclass

from equipments.base import Equipment
from settings.options import Option, SectionReader
from settings.problems import ConfigProblem

HOMEASSISTANT_OPTIONS: tuple[Option, ...] = (
    Option("discovery", bool, False, "announce PySEB to Home Assistant (MQTT discovery)"),
    Option("prefix", str, "homeassistant", "Home Assistant's discovery prefix (its birth message is "
           "<prefix>/status)"),
    Option("node_id", "text?", None, "node id in the discovery topics and unique ids (default: [mqtt] "
           "client_id); one per PySEB instance"),
)

_NOT_ID = re.compile(r"[^a-z0-9_]+")


def slug(name: str) -> str:
    """`name` as a discovery object id: lower case letters, digits and '_' only."""
    return _NOT_ID.sub("_", name.lower()).strip("_") or "x"


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
    return settings
