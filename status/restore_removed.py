"""The energy counters of loads no longer configured, restored (status.restore calls this): those of a saved load the
config has no more (its entry in `equipments`, the first start without it) and those kept since
(`removed_equipments`), kept again by name for their day (core/removed_counters.py); a load configured again takes its
own back. As a configured load's energies (status.restore_load): today's from a file of today, yesterday's from one of
yesterday (its today), none from an older one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from status.restore_load import restored_energy

if TYPE_CHECKING:
    from status.view import RegulatorView


def restore_removed_counters(reg: RegulatorView, doc: dict[str, Any], same_day: bool, yesterday: bool,
                             warnings: list[str]) -> set[str]:
    """Keep (or give back) the counters of the loads `doc` has that are not configured, or were not when it was saved;
    the configured loads given theirs back. Not from the seed's file: its loads other than the heater hold their
    energy since it was first saved, no day's."""
    given_back: set[str] = set()
    if not (same_day or yesterday) or "schema_version" not in doc:
        return given_back
    equipments = doc.get("equipments")
    kept = doc.get("removed_equipments")
    entries = [entry for entry in (equipments if isinstance(equipments, list) else [])
               if isinstance(entry, dict) and isinstance(entry.get("name"), str)
               and entry["name"].lower() not in reg.loads_by_name]
    saved = {entry["name"].lower() for entry in equipments if isinstance(entry, dict)
             and isinstance(entry.get("name"), str)} if isinstance(equipments, list) else set()
    if isinstance(kept, list):
        # (a name the file's `equipments` has too is that entry's: restored with it, or kept from it, above)
        entries += [entry for entry in kept if isinstance(entry, dict) and isinstance(entry.get("name"), str)
                    and entry["name"].lower() not in saved]
    elif kept is not None:
        warnings.append("status file's removed_equipments is not a list: the energies of the loads no longer "
                        "configured are not kept")
    done: set[str] = set()
    for entry in entries:
        name = entry["name"].lower()[:80]
        if name in done:
            continue
        done.add(name)
        energy_wh = restored_energy(entry, "energy", name, warnings)
        energy_yesterday_wh = restored_energy(entry, "energy_yesterday", name, warnings) if same_day else energy_wh
        if yesterday:
            energy_wh = 0.0
        load = reg.loads_by_name.get(name)
        if load is None:
            reg.removed_counters.keep(name, energy_wh, energy_yesterday_wh)
        else:  # (put back in the config: its own counters go on from these)
            load.energy_wh, load.energy_yesterday_wh = energy_wh, energy_yesterday_wh
            given_back.add(name)
    return given_back
