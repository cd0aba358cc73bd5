"""The status document published on regul/status and saved to the status file. The seed's fields are
kept as they were (Grafana dashboards read them); new ones are added beside them.

Building it never raises and it never holds NaN or infinity (not JSON: the publication refuses them),
whatever a restored status file or a bug left in the state: such a value is shown as null."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from values.local_time import day_start_iso, local_datetime

if TYPE_CHECKING:
    from equipments.base import Command, Equipment
    from status.view import RegulatorView

SCHEMA_VERSION = 1


def _iso(epoch_s: float | None, tz: Any) -> str | None:
    if epoch_s is None or not math.isfinite(epoch_s):
        return None
    try:
        moment = local_datetime(epoch_s, tz)
    except (OverflowError, OSError, ValueError):  # a time no calendar holds (year 10000, say): not shown
        return None
    return moment.isoformat(timespec="seconds")


@lru_cache(maxsize=4)
def _counted_since_iso(counted_since: float | None, day: str, tz: tzinfo | None) -> str | None:
    """energy_counted_since's text: `counted_since` in ISO 8601, or the midnight of `day` when it is None. Kept
    for the next status: it changes at the day's roll (or a start, a restore) and the status goes out every few
    seconds, where formatting a time costs as much as a tenth of the document's build."""
    if counted_since is not None:
        return _iso(counted_since, tz)
    return day_start_iso(date.fromisoformat(day), tz)


def _round(value: float | None, digits: int = 1) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    # A whole number is its own rounding, and round() with digits is the dearest step of the status (a
    # decimal conversion there and back): many of its values are whole (0 W, 0 Wh yesterday, ages).
    if type(value) is float and value.is_integer():
        return value
    return round(value, digits)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


# Values _clean returns as they are, tested by exact type before any call (finite floats too): most of a part's
# values are these, and the status is built often enough for a call per value to show (a subclass takes the
# full path).
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def _clean(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None, for the parts other modules build."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: item if type(item) in _PLAIN_TYPES or (type(item) is float and math.isfinite(item))
                else _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [item if type(item) in _PLAIN_TYPES or (type(item) is float and math.isfinite(item)) else _clean(item)
                for item in value]
    return value


def _as_is(value: Any) -> Any:
    return value


def _command(command: Command) -> dict[str, Any]:
    """`command` as the status file keeps it (status.restore_offs reads it back)."""
    return {"topic": command.topic, "payload": command.payload, "retain": command.retain}


def _off_starts(reg: RegulatorView, name: str, off: Command, now: float) -> dict[str, Any]:
    """How many starts have sent a pending off, since when (epoch s): the restore gives it up after enough of both
    (status.restore_offs.restore_pending_offs)."""
    starts, since = reg.removed_off_starts(name, off.topic) or (1, now)
    return {"starts": starts, "since": since}


def _off_command(load: Equipment) -> dict[str, Any]:
    """The command that switches `load` off, as the status file keeps it."""
    return _command(load.command_for(0.0)[0])


def _load_entry(reg: RegulatorView, load: Equipment, part: Callable[[Any], Any]) -> dict[str, Any]:
    """The status document's entry of `load`. (The fields only some loads have are added by plain statements, in the
    same order as before: a dict unpacked for each, empty for most, cost a fifth of the document's build.)"""
    entry: dict[str, Any] = {
        "name": load.name,
        "type": load.KIND,
        "current_power": _round(load.current_power_w),
        "command": load.current_command().payload,
        # How to switch it off: a restart whose config no longer has it still can (status.restore_offs).
        "off_command": _off_command(load),
        "energy": _round(load.energy_wh),
        "energy_yesterday": _round(load.energy_yesterday_wh),
        "forced": load.is_forced(),
        "forced_power": _round(load.forced_power_w),
        "forced_until": _iso(load.force_end_at, reg.tz),
        "force_end": _finite(load.force_end_at),
        "overed": load.overed,
        "full_until": _finite(load.full_until),
    }
    # A relay's watts as measured when it switched (closed loop); restored at start.
    if hasattr(load, "learned_power_w"):
        entry["learned_power"] = _round(load.learned_power_w)
    # ... far from its label, from steps that agreed: restored so (status.restore_load).
    if getattr(load, "learned_off_label", False):
        entry["learned_off_label"] = True
        entry["learned_label_w"] = load.max_power_w
    # ... from one step only, not confirmed by another: restored so (its label covers it meanwhile, until a step is
    # measured under it or the guard sheds it: `learned_label_tried`, restored too).
    if getattr(load, "learned_provisional", False):
        entry["learned_provisional"] = True
        if getattr(load, "label_tried", False):
            entry["learned_label_tried"] = True
    # A load of unknown power's figure from one trial shed as too big: when, to measure it again then.
    doubted = getattr(load, "doubted", None)
    if doubted:
        entry["learned_doubted_at"] = _finite(doubted[0])
    # A variator whose output another client gated off (`off`): out of the regulation until it is on.
    if getattr(load, "output_off", False):
        entry["output_off"] = True
    entry.update(part(reg.field.load_status(load)))
    return entry


def build_status(reg: RegulatorView, now: float, clean: bool = True) -> dict[str, Any]:
    """The document for `reg` at `now` (energies must be accumulated to `now` by the caller). `clean=False`
    takes the parts other modules build as they are, NaN or infinity included, for a caller that encodes the
    document with allow_nan=False and builds it again cleaned only when the encoder refuses it: the check of
    every value costs a third of the document, published every few seconds, and it almost never finds one.
    Unchecked, a part is not copied either: each must be built afresh at each call (field.status, a load's
    fields, so_far_json do), never a live container of the regulator's, since the document goes to the saver's
    thread while the main loop goes on."""
    part = _clean if clean else _as_is
    consumption_w = reg.consumption.power_w
    production_w = reg.production.power_w
    equipments_w = sum([load.current_power_w for load in reg.loads])  # (a list: cheaper than a generator)
    grid_w = None if consumption_w is None or production_w is None else consumption_w - production_w
    local_iso = local_datetime(now, reg.tz).isoformat(timespec="seconds")  # 2022-03-19T20:59:52+01:00
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "date": int(now),
        # strftime("%Y-%m-%d %H:%M:%S") of the same moment, cut from its ISO form for a tenth of the cost (the
        # same text for any year from 1000 on: ISO pads a year to 4 digits, %Y does not).
        "date_str": f"{local_iso[:10]} {local_iso[11:19]}",
        "time": local_iso,
        "time_utc": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds"),
        "power_consumption": _round(consumption_w),
        "power_production": _round(production_w),
        # The seed's sign convention: grid = import (>= 0), injection = export as a negative number. (max(0.0, grid_w)
        # and min(0.0, grid_w) by comparisons: on Python 3.11 their calls parse their keywords.)
        "grid": _round(grid_w if grid_w > 0.0 else 0.0) if grid_w is not None else None,
        "injection": _round(grid_w if grid_w < 0.0 else 0.0) if grid_w is not None else None,
        "grid_w": _round(grid_w),
        "power_equipments": _round(equipments_w),
        "power_house": _round(consumption_w - equipments_w) if consumption_w is not None else None,
        "production_energy": _round(reg.production_energy.energy_wh),
        "production_energy_yesterday": _round(reg.production_energy.yesterday_wh),
        "state": "stale" if reg.stale_reason else "regulating",
        "stale_reason": reg.stale_reason,
        "last_decision": reg.last_decision,
        "meters": {
            meter.name: {"topic": meter.topic, "power_w": _round(meter.power_w),
                         "age_s": _round(meter.age_s(now), 2)}
            for meter in (reg.consumption, reg.production)
        },
        "equipments": [_load_entry(reg, load, part) for load in reg.loads],
    }
    # The house meter has read a mains voltage: restored at a restart, else its 0 V readings (a sense wire unplugged)
    # were taken again after it as a house of 0 W (status.restore).
    doc["meters"][reg.consumption.name]["mains_seen"] = reg.consumption.mains_seen
    # When the day's energies are counted from, restored with them: Home Assistant's last_reset (a new one is a new
    # meter cycle there). Before start, the day's midnight.
    doc["energy_counted_since"] = _counted_since_iso(reg.energy_counted_since, reg.counted_day or local_iso[:10],
                                                     reg.tz)
    # The day's report so far: a restart the same day resumes it (status.restore). Dated with the day it counts,
    # which the restore takes for the file's day: a file saved by a clock behind (a Pi before NTP) at 23:45, its
    # figures those of the day after, restored after NTP read as yesterday's.
    doc["report_today"] = part(reg.daily.so_far_json(reg.counted_day or local_iso[:10]))
    # The offs of loads no longer configured that the broker has not acknowledged yet: the file saved now no longer
    # has those loads, and the next start sends them again (status.restore_offs.restore_pending_offs). Only while
    # there are any: the document of every other run is as it was.
    # The closed loop's gain while halved for an overshoot (core/hunting.py): only then, as pending_offs.
    lowered_gain = reg.lowered_gain
    if lowered_gain is not None:
        doc["loop_gain"] = lowered_gain
    pending = reg.pending_offs()
    if pending:
        doc["pending_offs"] = [{"name": name, "off_command": _command(off), **_off_starts(reg, name, off, now)}
                               for name, off in pending]
    # The energy counters of the loads taken out of the config at a restart (status.restore_removed): a load put back
    # resumes them. Only while there are any, as pending_offs.
    removed = reg.removed_counters.as_json()
    if removed:
        doc["removed_equipments"] = removed
    # The water heater's mode and fallback rules (their state is what a restart restores), and the seed's
    # ECS_energy_yesterday.
    doc.update(part(reg.field.status()))
    if "ECS_energy_yesterday" not in doc:
        first_variable = next((load for load in reg.loads if load.KIND == "variable"), None)
        if first_variable is not None:
            doc["ECS_energy_yesterday"] = _round(first_variable.energy_yesterday_wh)
    return doc
