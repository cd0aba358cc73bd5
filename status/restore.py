"""Restoring a saved status document into a regulator, by load name (never by position)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.regulator import Regulator

log = logging.getLogger(__name__)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _saved_day(doc: dict[str, Any], reg: Regulator) -> date | None:
    saved_at = _number(doc.get("date"))
    if saved_at is None:
        return None
    return (datetime.fromtimestamp(saved_at, reg.tz) if reg.tz
            else datetime.fromtimestamp(saved_at).astimezone()).date()


def restore_status(reg: Regulator, doc: dict[str, Any], now: float) -> list[str]:
    """Apply `doc` (ours, schema_version 1, or the seed's status.ini) to `reg`; returns warnings."""
    warnings: list[str] = []
    saved_day = _saved_day(doc, reg)
    today = (datetime.fromtimestamp(now, reg.tz) if reg.tz else datetime.fromtimestamp(now).astimezone()).date()
    if saved_day is None:
        return ["status file has no valid 'date': energies not restored"]
    age_days = (today - saved_day).days
    same_day, yesterday = age_days == 0, age_days == 1
    entries = doc.get("equipments")
    if not isinstance(entries, list):
        return ["status file has no 'equipments' list: nothing restored"]
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            warnings.append(f"status entry without a name ignored: {entry!r}")
            continue
        name = entry["name"]
        load = reg.loads_by_name.get(name)
        if load is None:
            warnings.append(f"status has a load {name!r} that is not configured: ignored")
            continue
        seen.add(name)
        energy_wh = _number(entry.get("energy")) or 0.0
        if same_day:
            load.energy_wh = energy_wh
            load.energy_yesterday_wh = _number(entry.get("energy_yesterday")) or 0.0
            load.overed = entry.get("overed") is True
        elif yesterday:
            load.energy_yesterday_wh = energy_wh
        _restore_force(load, entry, now, warnings)
    # The seed kept the water heater's yesterday energy at the top level.
    seed_yesterday = _number(doc.get("ECS_energy_yesterday"))
    if seed_yesterday is not None and same_day and "schema_version" not in doc:
        first_variable = next((load for load in reg.loads if load.KIND == "variable"), None)
        if first_variable is not None:
            first_variable.energy_yesterday_wh = seed_yesterday
    if same_day:
        reg.production_energy.energy_wh = _number(doc.get("production_energy")) or 0.0
        reg.production_energy.yesterday_wh = _number(doc.get("production_energy_yesterday")) or 0.0
    elif yesterday:
        reg.production_energy.yesterday_wh = _number(doc.get("production_energy")) or 0.0
    saved_at = _number(doc.get("date"))
    warnings += reg.field.restore(doc, min(saved_at or now, now), age_days)
    missing = [load.name for load in reg.loads if load.name not in seen]
    if missing:
        warnings.append(f"no saved state for {', '.join(missing)}: starting from zero")
    log.info("status restored from %s (%s)", saved_day.isoformat(),
             "today" if same_day else "yesterday" if yesterday else f"{age_days} days ago: energies not kept")
    return warnings


def _restore_force(load: Any, entry: dict[str, Any], now: float, warnings: list[str]) -> None:
    if entry.get("forced") is not True:
        return
    power_w = _number(entry.get("forced_power"))
    end_at = _number(entry.get("force_end"))
    if power_w is None:
        warnings.append(f"{load.name} was forced but the file has no forced_power (seed format): not restored")
        return
    if end_at is not None and end_at <= now:
        log.info("%s: its force ended while stopped", load.name)
        return
    if not 0 <= power_w <= load.max_force_power_w():
        warnings.append(f"{load.name}: saved forced power {power_w:g} W out of range: not restored")
        return
    # Applied by Regulator.start, after every load has first been commanded to 0.
    load.forced_power_w = power_w
    load.force_end_at = end_at
    forced_by = entry.get("forced_by")
    load.forced_by = forced_by if isinstance(forced_by, str) and forced_by else "user"
    span = "until unforced" if end_at is None else f"{end_at - now:.0f} s left"
    log.info("%s: forced state restored (%.0f W, %s)", load.name, power_w, span)
