"""The seed's own status.ini (Hébert's and Coturex's, no `schema_version`), read back by the status restore and the
fallback's restore."""

from __future__ import annotations

from typing import Any


def seed_heater_entry(document: dict[str, Any]) -> dict[str, Any] | None:
    """The seed file's water heater: its first load, the one the seed reset at its check (it would not start with
    another load first); None when the file lists none."""
    entries = document.get("equipments")
    first = entries[0] if isinstance(entries, list) and entries else None
    return first if isinstance(first, dict) else None


def seed_heater_name(document: dict[str, Any]) -> str | None:
    """The name of the seed file's water heater, lower-cased as the config's names are read (Coturex's file says
    "ECS" for `ECS = water_heater`); None when the file lists none."""
    entry = seed_heater_entry(document)
    name = entry.get("name") if entry is not None else None
    return name.lower() if isinstance(name, str) else None
