"""One load's state restored from its entry in a saved status (status.restore calls these): its energies, its
force (applied by Regulator.start), a relay's learned watts; or the load as a fresh start has it. The entries paired
with the configured loads they name, and the offs of the loads no longer configured: status.restore_offs."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from equipments.base import Equipment
from equipments.modes import MAX_FORCE_DURATION_S
from values.saved_numbers import EPOCH_MIN_S, saved_energy, saved_epoch, saved_number, unset_clock_epoch
from values.shown import shown

# The restore's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("status.restore")


def restored_energy(source: dict[str, Any], key: str, what: str, warnings: list[str]) -> float:
    """source[key] as Wh; 0 (with a warning when something else than nothing was there) if implausible."""
    value = source.get(key)
    energy_wh = saved_energy(value)
    if energy_wh is None:
        if value is not None:
            warnings.append(f"{what}: saved {key} {shown(value, 40)} is not a plausible energy: starting from 0")
        return 0.0
    return energy_wh


def restore_load(load: Any, entry: dict[str, Any], now: float, saved_at: float, same_day: bool, yesterday: bool,
                  warnings: list[str], clock_behind_s: float = 0.0) -> None:
    """`clock_behind_s`: how far the system clock is behind the file's date (a file dated ahead: `now` is then that
    date)."""
    energy_wh = restored_energy(entry, "energy", load.name, warnings)
    if same_day:
        load.energy_wh = energy_wh
        load.energy_yesterday_wh = restored_energy(entry, "energy_yesterday", load.name, warnings)
        load.overed = entry.get("overed") is True
        load.full_until = saved_epoch(entry.get("full_until")) if load.overed else None
        if load.overed and load.full_until is None and entry.get("full_until") is not None:
            warnings.append(f"{load.name}: saved full_until {shown(entry['full_until'], 40)} is not a plausible time: "
                            "full until the daily clear")
    elif yesterday:
        load.energy_yesterday_wh = energy_wh
    restore_force(load, entry, now, saved_at, warnings, clock_behind_s)
    _restore_learned(load, entry, warnings)


def _restore_learned(load: Any, entry: dict[str, Any], warnings: list[str]) -> None:
    """A relay's watts learned from the meter (closed loop), if the load still takes that figure."""
    if entry.get("learned_power") is None or not hasattr(load, "learned_power_w"):
        return
    # A relay's figure learned far from its label, from steps that agreed, is saved so (learned_off_label): it may
    # be restored as far from its label as they may teach.
    off_label = entry.get("learned_off_label") is True and hasattr(load, "off_label_range_w")
    # Learned off another label (max_power changed since: a relay swapped for another, or its label set right as the
    # learning said): only a figure within a quarter of the new label is kept. Judged off the new one, a 1900 W figure
    # learned off a 1000 W label was restored for the 500 W radiator put in its place, which then stayed off with
    # 700 W exported until three of its switches taught it again. (A file before 2026-12-04 has no such label.)
    label_w = saved_number(entry.get("learned_label_w"), 0.0) if off_label else None
    label_changed = label_w is not None and label_w != load.max_power_w
    off_label = off_label and not label_changed
    low_w, high_w = load.off_label_range_w() if off_label else load.plausible_learned_range_w()
    watts = saved_number(entry["learned_power"], low_w, high_w)
    if watts is None:
        since = (f", learned off its max_power of then, {label_w:.0f} W (now {load.max_power_w:.0f} W)"
                 if label_changed and label_w is not None else "")
        warnings.append(f"{load.name}: saved learned power {shown(entry['learned_power'], 40)} is not plausible for "
                        f"this load ({low_w:.0f}..{high_w:.0f} W){since}: learned again at its next switch")
        return
    if hasattr(load, "learned_at"):
        # (a file before 2026-12-05 has no learned_provisional: its figures are taken as confirmed, as they were)
        load.learned_at(watts, off_label, provisional=entry.get("learned_provisional") is True)
        # (its label's cover used up: each restart gave it one more switch on short of its figure, each an import the
        # guard shed)
        load.label_tried = getattr(load, "learned_provisional", False) and entry.get("learned_label_tried") is True
    else:
        load.learned_power_w = watts
    doubted_at = saved_epoch(entry.get("learned_doubted_at"))
    if hasattr(load, "doubted") and doubted_at is not None:
        load.doubted = (doubted_at, watts)  # (measured again when due, as without the restart)


def clean_load(load: Any) -> None:
    """`load` as a fresh start has it: no energy, not full, not forced, no watts learned."""
    load.energy_wh = load.energy_yesterday_wh = 0.0
    load.overed, load.full_until = False, None
    load.forced_power_w = load.force_end_at = load.forced_by = None
    load.force_end_fixed = False
    if hasattr(load, "learned_power_w"):
        load.learned_power_w = None
    if hasattr(load, "learned_off_label"):
        load.learned_off_label = False
    if hasattr(load, "learned_provisional"):
        load.learned_provisional = load.label_tried = False
    if hasattr(load, "doubted"):
        load.doubted = None


def restore_force(load: Any, entry: dict[str, Any], now: float, saved_at: float, warnings: list[str],
                  clock_behind_s: float = 0.0, unset_clock_now: float | None = None) -> None:
    """A force saved in `entry` (at `saved_at`), to be applied by Regulator.start: a timed one while its end is
    ahead, one until unforced from a file saved at most MAX_FORCE_DURATION_S ago, the longest a timed force may
    last (a heater forced before ten days of the Pi stopped came back on, from the grid, at the restart). Not from
    today's file only: a 0 W force while away, the file saved at 23:59 and PySEB restarted at 00:01, was lost,
    and the fallback heated from the grid every night of the holiday.

    `unset_clock_now`: the file is dated on a clock not set yet (before 2000: `now` and `saved_at` are that date) and
    this is the clock's time now (restore_forces_off: a force to 0 W only). A timed force's end there that is a real
    time (2000 to 2100) was kept so by the run that saved the file, restored from a file dated right: it is judged
    from the clock when that is set, else kept as it is, to end when NTP brings the clock to it (judged from the
    file's 1970 date, any end was decades ahead, and the force was lost at the second start before NTP: the load
    forced off back on). One on that unset clock (a force made on it) keeps the time it had left at the save, from
    now (the time stopped is not known: kept off the longer)."""
    if entry.get("forced") is not True:
        return
    if entry.get("forced_power") is None:
        warnings.append(f"{load.name} was forced but the file has no forced_power (seed format): not restored")
        return
    power_w = saved_number(entry.get("forced_power"), 0.0)
    if power_w is None:
        warnings.append(f"{load.name}: saved forced power {shown(entry.get('forced_power'), 40)} out of range: "
                        "not restored")
        return
    max_w = load.max_force_power_w()
    if power_w > max_w:  # the max lowered since (a new calibration): held at the max, as a command would be
        warnings.append(f"{load.name}: saved forced power {power_w:g} W is above the load's max: forced at "
                        f"{max_w:.0f} W")
        power_w = max_w
    end_at: float | None = None
    if entry.get("force_end") is None and now - saved_at > MAX_FORCE_DURATION_S:
        warnings.append(f"{load.name} was forced until unforced in a status file saved {(now - saved_at) / 86400:.0f} "
                        f"days ago, more than the {MAX_FORCE_DURATION_S / 86400:.0f} days a force may last: "
                        "not restored")
        return
    if entry.get("force_end") is not None:
        end_at = saved_epoch(entry.get("force_end"))
        judged_from: float | None = now  # (what the end is judged from: None, nothing, see `unset_clock_now`)
        if unset_clock_now is not None and end_at is None:  # made on the unset clock: the time it had left
            end_at = unset_clock_epoch(entry.get("force_end"))
            clock_behind_s = saved_at - unset_clock_now
        elif unset_clock_now is not None:  # a real time: judged from the clock once it is set
            judged_from = saved_epoch(unset_clock_now)
        if end_at is None:
            warnings.append(f"{load.name}: saved force_end {shown(entry.get('force_end'), 40)} is not a plausible "
                            "time: force not restored")
            return
        if judged_from is not None and end_at <= judged_from:
            log.info("%s: its force ended while stopped", load.name)
            return
        # (no command forces for longer: a damaged file)
        if judged_from is not None and end_at - judged_from > MAX_FORCE_DURATION_S:
            warnings.append(f"{load.name}: saved force_end is {(end_at - judged_from) / 86400:.0f} days ahead, "
                            "more than a force may last: not restored")
            return
    # Applied by Regulator.start, after every load has first been commanded to 0. A timed force keeps the time it had
    # left on a clock behind the file's (a Pi without a clock chip, before NTP): its end on the file's clock ran a
    # 1-hour boost for the clock's lag more, from the grid, as a clock stepping back while running no longer does.
    load.forced_power_w = power_w
    load.force_end_at = None if end_at is None else end_at - clock_behind_s
    forced_by = entry.get("forced_by")
    load.forced_by = forced_by if isinstance(forced_by, str) and forced_by else "user"


def say_restored_forces(loads: Iterable[Equipment], now: float) -> None:
    """The line for each force a restore kept, said once every check that may drop one has run: said as each entry
    was read, a force made with a switch the config no longer has (FieldFeatures.restore drops it) was logged
    restored, then warned not restored."""
    for load in loads:
        if load.forced_power_w is None:
            continue
        if load.force_end_at is None:
            span = "until unforced"
        elif now < EPOCH_MIN_S <= load.force_end_at:  # (kept from a file of a clock not set yet: restore_force)
            span = "until its end, once the clock is set"
        else:
            span = f"{load.force_end_at - now:.0f} s left"
        log.info("%s: forced state restored (%.0f W, %s)", load.name, load.forced_power_w, span)
