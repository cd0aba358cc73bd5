"""Restoring a saved status document into a regulator, by load name (never by position).

A status file is outside data (a disk error, a hand edit, another version): whatever it holds, restoring
it never raises. A value that is not plausible is ignored with a warning, and that part starts clean."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import date, time
from typing import TYPE_CHECKING, Any

from core.daily_report import DailyReport
from status.restore_ahead import CLOCK_BEHIND_MAX_S, FarAhead, clock_behind, clock_unset, restore_forces_off
from status.restore_day import counted_since, figures_day
from status.restore_load import clean_load, restore_load, restored_energy, say_restored_forces
from status.restore_offs import FoundOffs, configured_entries, restore_pending_offs
from status.restore_removed import restore_removed_counters
from status.store import CLEAN_START
from values.local_time import hour, last_occurrence, local_date, local_instant, wall_clock_text
from values.saved_numbers import saved_energy, saved_epoch, unset_clock_epoch
from values.seed_status import seed_heater_name
from values.shown import shown

if TYPE_CHECKING:
    from status.view import RegulatorView

__all__ = ["CLOCK_BEHIND_MAX_S", "restore_status"]

log = logging.getLogger(__name__)

# Our documents are 3 levels deep; anything deeper is not ours and is dropped rather than walked.
_MAX_DEPTH = 16


def _sanitized(value: Any, where: str, dropped: list[str], depth: int = 0) -> Any:
    """A copy of `value` where every NaN/inf number (JSON reads NaN, Infinity and 1e400) is its name as
    text: every reader then takes it for what it is, not a number (a None would read as "not set", and a
    force_end of None means forced until unforced). Parts nested too deep are None, listed in `dropped`."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # 'nan', 'inf', '-inf'
    if depth >= _MAX_DEPTH and isinstance(value, (dict, list)):
        dropped.append(where)
        return None
    if isinstance(value, dict):
        return {key: _sanitized(item, f"{where}.{key}", dropped, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_sanitized(item, f"{where}[{i}]", dropped, depth + 1) for i, item in enumerate(value)]
    return value


def _local_date(epoch_s: float, reg: RegulatorView) -> date:
    return local_date(epoch_s, reg.tz)


def restore_status(reg: RegulatorView, doc: dict[str, Any], now: float,
                   set_aside: Callable[[str, str], object] | None = None) -> list[str]:
    """Apply `doc` (ours, schema_version 1, or the seed's status.ini) to `reg`; returns warnings. Never
    raises: a document that cannot be used at all means a clean start, with a warning saying why, or, given
    `set_aside`, a call of it with why and what the start was (the file is to be kept aside: the first save would
    replace it)."""
    far_ahead: FarAhead | None = None
    # (the loads no longer configured already queued to be commanded off, and what was said of each, and of an off
    # dropped: kept by a failure after them, the safe direction, and said)
    found = FoundOffs()
    try:
        return _restore(reg, doc, now, found)
    except FarAhead as exc:
        far_ahead, why = exc, str(exc)
    except Exception as exc:  # anything in a bad file, or a bug here, must end in a clean start, not a crash
        # (a bug's traceback, once: the file is kept, and this says what to report)
        log.error("internal error restoring the status file", exc_info=True)
        why = f"could not be restored ({type(exc).__name__}: {exc})"
    # (whatever ran before the error: the loads, the day's figures so far; resume_day is only called at the end)
    for load in reg.loads:
        clean_load(load)
    reg.production_energy.energy_wh = reg.production_energy.yesterday_wh = 0.0
    reg.daily.forget()
    reg.removed_counters.forget()
    reg.resume_counting_since(None)  # (the day's energies count from the start)
    kept: list[str] = []
    settings_said: list[str] = []
    if far_ahead is not None:
        forces_off = restore_forces_off(reg, far_ahead.doc, far_ahead.saved_at, found, now)
        why += forces_off.said
        settings_said = list(forces_off.warnings)
        if forces_off.restored:
            kept.append("what keeps a load off")
    if found.names:
        # (a load whose command moved since is configured: the off is its old device's, status.restore_offs.said_of)
        names = ", ".join(f"{name}'s old device" if name in reg.loads_by_name else f"{name}, no longer configured"
                          for name in found.names)
        kept.append(f"the off command{'s' if len(found.names) > 1 else ''} of {names}")
    outcome = f"a clean start but for {' and '.join(kept)}" if kept else CLEAN_START
    said = [*found.lines, *settings_said]
    if set_aside is None:
        return [f"status file {why}: {outcome}", *said]
    set_aside(why, outcome)
    return said


def _restore(reg: RegulatorView, raw_doc: dict[str, Any], now: float, found: FoundOffs) -> list[str]:
    warnings: list[str] = []
    if not isinstance(raw_doc, dict):
        return ["status file is not a JSON object: nothing restored"]
    dropped: list[str] = []
    doc: dict[str, Any] = _sanitized(raw_doc, "status", dropped)
    if dropped:
        warnings.append(f"status file holds parts nested too deep to be ours, ignored: {', '.join(dropped[:5])}"
                        f"{' ...' if len(dropped) > 5 else ''}")
    if doc.get("ECS_energy_yesterday") is not None and saved_energy(doc["ECS_energy_yesterday"]) is None:
        warnings.append(f"status file's ECS_energy_yesterday {shown(doc['ECS_energy_yesterday'], 40)} is not a "
                        "plausible energy: ignored")
        doc["ECS_energy_yesterday"] = None  # the water heater's restore reads it too
    saved_at = saved_epoch(doc.get("date"))
    if saved_at is None and (unset_at := unset_clock_epoch(doc.get("date"))) is not None:
        raise clock_unset(doc, unset_at, reg.tz)
    if saved_at is None:
        return warnings + [f"status file has no valid 'date' ({shown(doc.get('date'), 40)}: a time between 2000 and "
                           "2100 is expected): energies not restored"]
    ahead = saved_at > now
    behind_s = saved_at - now if ahead else 0.0
    clock_now = now  # (the forces' ends are moved onto it: their time left is said from it)
    if ahead:
        warnings += clock_behind(doc, saved_at, now)
        now = saved_at  # the best known time: the clock is at least this far behind
    saved_day = figures_day(doc, _local_date(saved_at, reg))
    age_days = (_local_date(now, reg) - saved_day).days
    resume_at = saved_at if ahead else None
    if age_days < 0:
        # Figures of a day after the clock's: saved by a clock behind a day restored from ahead of it, and read by
        # one still behind. Today's, and that day's midnight is the first to roll at (the clock stepping to it is
        # no new day).
        age_days, resume_at = 0, max(saved_at, local_instant(saved_day, time.min, reg.tz))
    same_day, yesterday = age_days == 0, age_days == 1
    entries = doc.get("equipments")
    if not isinstance(entries, list):
        return warnings + ["status file has no 'equipments' list: nothing restored"]
    seen: set[str] = set()
    ours = "schema_version" in doc and (same_day or yesterday)  # (the energies of a load removed kept: below)
    for load, entry in configured_entries(reg, entries, now, warnings, found, energies_kept=ours):
        seen.add(load.name)
        try:
            restore_load(load, entry, now, saved_at, same_day, yesterday, warnings, behind_s)
        except Exception as exc:  # one bad entry costs that load its state, not the start
            clean_load(load)
            warnings.append(f"{load.name}: saved state could not be restored ({type(exc).__name__}: {exc}): "
                            "starting from zero")
    restore_pending_offs(reg, doc.get("pending_offs"), now, saved_at, warnings, found)
    given_back = restore_removed_counters(reg, doc, same_day, yesterday, warnings)  # (a load removed, put back)
    # (the day the file's production_energy was counted for, from today's point of view)
    production_day = "today" if same_day else "yesterday" if yesterday else None
    # The seed kept the water heater's yesterday energy at the top level.
    if "schema_version" not in doc:
        # (its water heater is its first load, whatever this config lists first: the seed would not start otherwise)
        heater_name = seed_heater_name(doc)
        heater = next((load for load in reg.loads if load.name == heater_name), None)
        seed_yesterday = saved_energy(doc.get("ECS_energy_yesterday"))
        if seed_yesterday is not None and same_day and heater is not None:
            heater.energy_yesterday_wh = seed_yesterday
        warnings += _seed_lifetime_energies(reg, seen, heater)
        if _seed_counts_from_the_day_before(reg, saved_at, saved_day):
            # The seed reset its heater's and its production's counts at its check, not at midnight: saved before the
            # check, they hold the day before's (a file of 00:30 held all of the day before's sun, shown as today's,
            # and booked by Home Assistant a second time). They are the day before's: yesterday's, or none.
            if heater is not None and heater.name in seen:
                heater.energy_yesterday_wh = heater.energy_wh if same_day else 0.0
                heater.energy_wh = 0.0
            warnings.append("the seed's status file was saved before its daily check "
                            f"({reg.field.seed_night_check_hour:02d}:00), from which it counted: its energies are "
                            f"{'yesterday' if same_day else 'the day before yesterday'}'s")
            production_day = "yesterday" if same_day else None
    if production_day == "today":
        reg.production_energy.energy_wh = restored_energy(doc, "production_energy", "production", warnings)
        reg.production_energy.yesterday_wh = restored_energy(doc, "production_energy_yesterday", "production",
                                                             warnings)
    elif production_day == "yesterday":
        reg.production_energy.yesterday_wh = restored_energy(doc, "production_energy", "production", warnings)
    if (same_day or yesterday) and doc.get("report_today") is not None:
        warnings += _restore_report(reg, doc["report_today"], saved_day, same_day)
    _restore_mains_seen(reg, doc)
    try:
        warnings += reg.field.restore(doc, min(saved_at, now), age_days, now)
    except Exception as exc:  # the fallback's and full tanks' state start afresh instead
        warnings.append(f"water-heater and full-tank state could not be restored ({type(exc).__name__}: "
                        f"{exc}): starting afresh")
    say_restored_forces(reg.loads, clock_now)  # (after FieldFeatures.restore: it drops the forces of a switch gone)
    if same_day:
        reg.resume_counting_since(counted_since(doc, saved_day, reg, warnings))
    if resume_at is not None:
        reg.resume_day(resume_at)  # (last: a restore that fails before here leaves the day the clock's)
    missing = [load.name for load in reg.loads if load.name not in seen | given_back]
    if missing:
        warnings.append(f"no saved state for {', '.join(missing)}: starting from zero")
    log.info("status restored from %s (%s)%s%s", saved_day.isoformat(),
             "today" if same_day else "yesterday" if yesterday else f"{age_days} days ago: energies not kept",
             _taken_today(reg, seen) if same_day else "",
             "; the seed's status file: saved as PySEB's document from now on, the seed's fields kept"
             if "schema_version" not in doc else "")
    return warnings


def _seed_counts_from_the_day_before(reg: RegulatorView, saved_at: float, saved_day: date) -> bool:
    """True when the seed's file was saved before its night check on its day: its counts began the day before (an
    evening check's began the evening before, and hold the day's sun: today's)."""
    check_hour = reg.field.seed_night_check_hour
    if check_hour is None:
        return False
    return last_occurrence(saved_at, hour(check_hour), reg.tz) < local_instant(saved_day, time.min, reg.tz)


def _taken_today(reg: RegulatorView, restored: set[str]) -> str:
    """What today's restore gave each load (a seed user's first start: the heater's energy, its full tank)."""
    said = [f"{load.name} {load.energy_wh:.0f} Wh{_full(load, reg.tz) if load.overed else ''}"
            f"{' (forced)' if load.forced_power_w is not None else ''}" for load in reg.loads if load.name in restored]
    return f": {', '.join(said)}" if said else ""


def _seed_lifetime_energies(reg: RegulatorView, restored: set[str], heater: Any) -> list[str]:
    """The seed reset only its water heater's energy (at its daily check): every other load's `energy` in its file is
    its count since it was first saved. Taken for today's (or yesterday's), a relay showed 152 kWh drawn today, and
    Home Assistant's energy dashboard booked it on the day of the move. They start from 0, said."""
    said = []
    for load in reg.loads:
        if load is heater or load.name not in restored:
            continue
        lifetime_wh = max(load.energy_wh, load.energy_yesterday_wh)
        load.energy_wh = load.energy_yesterday_wh = 0.0
        if lifetime_wh > 0:
            said.append(f"{load.name}: the seed's status file holds its energy since the seed first saved it "
                        f"({lifetime_wh:.0f} Wh; the seed reset only its water heater's), not a day's: counted from 0")
    return said


def _full(load: Any, tz: Any) -> str:
    """How long a restored full flag holds."""
    if load.full_until is None:
        return " (full for today)"
    return f" (full until {wall_clock_text(load.full_until, tz, '%H:%M')})"


def _restore_mains_seen(reg: RegulatorView, doc: dict[str, Any]) -> None:
    """The house meter read a mains voltage before the restart: its readings under it are refused from the first one
    (core/meter_intake.py), whatever the file's age (a file saved before this was saved, or without it: not)."""
    meters = doc.get("meters")
    house = meters.get(reg.consumption.name) if isinstance(meters, dict) else None
    if isinstance(house, dict) and house.get("mains_seen") is True:
        reg.consumption.mains_seen = reg.consumption.mains_restored = True


def _restore_report(reg: RegulatorView, saved: Any, saved_day: date, same_day: bool) -> list[str]:
    """The day's report so far, from a file saved today (the midnight's report then covers the whole day, not the
    hours since the restart); from one saved yesterday, that day's report, which no midnight published (PySEB was
    stopped at it): sent at the start."""
    daily = reg.daily
    configured = dict(zip(daily.names, daily.relays, strict=True))
    try:
        report = DailyReport.from_json(saved, configured if same_day else _its_loads(saved, configured))
    except ValueError as exc:
        if not same_day:
            return [f"status file's report_today not restored ({exc}): the report of {saved_day} is not sent"]
        return [f"status file's report_today not restored ({exc}): today's report counts from now"]
    if report.date != saved_day.isoformat():
        return []  # saved just after a midnight the regulator had not rolled yet: another day's figures
    if same_day:
        daily.resume(report)
    elif report.covered_h > 0:  # (as at a midnight: a day with no decision has nothing to say)
        daily.unsent = report
    return []


def _its_loads(saved: Any, configured: dict[str, bool]) -> dict[str, bool]:
    """The loads of yesterday's report `saved` (name -> relay), as its midnight would have published it, not this
    config's: a load renamed or removed at this start was listed under removed_loads, though it ran all that day.
    The config's when one of its entries is damaged (as a load no longer configured, it is left out, not the report)."""
    loads = saved.get("loads") if isinstance(saved, dict) else None
    if not isinstance(loads, dict):
        return configured  # (not a report: said as such)
    relays = {name: entry["relay"] for name, entry in loads.items()
              if isinstance(entry, dict) and isinstance(entry.get("relay"), bool)}
    if len(relays) < len(loads):
        return configured
    try:
        DailyReport.from_json(saved, relays)
    except ValueError:
        return configured
    return relays
