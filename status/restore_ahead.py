"""A status file dated ahead of the clock (status.restore calls these): up to a boot's lag, taken as saved now, with a
warning; further, nothing is restored but what keeps a load off."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from status.restore_load import clean_load, restore_force, say_restored_forces
from status.restore_offs import FoundOffs, configured_entries, restore_pending_offs
from values.local_time import wall_clock_text
from values.saved_numbers import EPOCH_MIN_S, saved_number, unset_clock_epoch
from values.shown import shown

if TYPE_CHECKING:
    from status.view import RegulatorView

# A file dated ahead of the clock: the clock is behind. A Raspberry Pi has no clock chip; it boots with the time it
# last saved (fake-hwclock's, hourly; systemd-timesyncd's) until NTP sets it, so a file saved minutes before a power
# cut looks saved later than now (tomorrow, just after midnight). Up to this far ahead it is taken as saved now, its
# day as today's; further is no lag a boot leaves (a clock way off, a file from elsewhere): nothing is restored.
CLOCK_BEHIND_MAX_S = 12 * 3600.0
# Less ahead than this is no news (NTP stepping the clock back a little after the last save).
_CLOCK_BEHIND_QUIET_S = 60.0


class FarAhead(Exception):
    """A file dated further ahead of the clock than a boot's lag, or on a clock not set yet (clock_unset; why in the
    message): a clean start, the file kept aside, but for what keeps a load off."""

    def __init__(self, message: str, doc: dict[str, Any], saved_at: float) -> None:
        super().__init__(message)
        self.doc, self.saved_at = doc, saved_at


def clock_behind(doc: dict[str, Any], saved_at: float, now: float) -> list[str]:
    """The warning for a file saved at `saved_at`, ahead of the clock (`now`), taken as saved now; FarAhead if
    too far."""
    ahead_s = saved_at - now
    lag = f"{ahead_s / 86400:.1f} days" if ahead_s >= 86400 else \
        f"{ahead_s / 3600:.0f} h" if ahead_s >= 3 * 3600 else f"{ahead_s / 60:.0f} min"
    cause = "the system clock is behind (not synced yet? a Raspberry Pi has no clock chip)"
    if ahead_s > CLOCK_BEHIND_MAX_S:
        raise FarAhead(f"is dated {lag} ahead of the system clock: {cause}, or the file is not this machine's",
                       doc, saved_at)
    if ahead_s <= _CLOCK_BEHIND_QUIET_S:
        return []
    return [f"status file is dated {lag} ahead of the system clock: {cause}; taken as saved now"]


def clock_unset(doc: dict[str, Any], saved_at: float, tz: Any) -> FarAhead:
    """What to raise for a file dated `saved_at`, before 2000: saved by a clock not set yet (a Pi booted on 1970,
    offline or before NTP), its day unknown. Taken for no valid date, it was a clean start: the next start before NTP
    lost the 0 W force and the offs that the file dated far ahead had given that run."""
    when = datetime.fromtimestamp(saved_at, tz).strftime("%Y-%m-%d %H:%M")
    return FarAhead(f"is dated {when}, before 2000: saved by a clock not set yet (a Raspberry Pi without a clock "
                    "chip boots on 1970 until NTP sets it), its day unknown", doc, saved_at)


class ForcesOff(NamedTuple):
    """What restore_forces_off kept of a file dated far ahead, for the restore's warning."""

    restored: bool  # a force to 0 W or the water heater's mode off at least was restored
    said: str  # what the warning adds
    warnings: tuple[str, ...] = ()  # about the settings restored whatever the date (FieldStatus.restore_settings)


def restore_forces_off(reg: RegulatorView, doc: dict[str, Any], saved_at: float, found: FoundOffs,
                       now: float) -> ForcesOff:
    """From a file dated far ahead of the clock, only what keeps a load off (forces to 0 W, the water heater's mode
    off: FieldFeatures.restore_mode_off): whatever the date, they are safe, and a vacation's "keep the heater off"
    was lost with the rest (the heater ran on the surplus while the owner was away). Checked as of the file's time,
    the best known (a timed one's end is its own, an epoch: it ends when the clock, set by NTP, reaches it). The
    rest stays in the file kept aside. From a file dated on a clock not set yet (before 2000), a timed force is kept
    as restore_force says of `unset_clock_now` (`now`: the clock's time). A force made by a rule or a switch this
    config does not have is dropped, as in any restore (FieldFeatures.force_owner_gone). A load no longer configured
    is commanded off at the start, as in any restore (in `found`), and the offs it kept pending; an off not usable is
    dropped, said in `found` as in any restore."""
    restored: list[str] = []
    skipped: list[str] = []
    try:  # (before the forces: a force's settings go with it)
        settings_said = tuple(reg.field.restore_settings(doc))
    except Exception as exc:  # (a damaged file: the settings stay at their defaults, the start goes on)
        settings_said = (f"Home Assistant's force settings could not be restored ({type(exc).__name__}: {exc}): "
                         "left at their defaults",)
    unset_clock_now = now if unset_clock_epoch(saved_at) is not None else None
    entries = doc.get("equipments")
    for load, entry in configured_entries(reg, entries if isinstance(entries, list) else [], saved_at, [], found):
        if entry.get("forced") is not True:
            continue
        power_w = saved_number(entry.get("forced_power"), 0.0)
        if power_w != 0.0:
            said = f"{power_w:g}" if power_w is not None else shown(entry.get("forced_power"), 20)
            skipped.append(f"{load.name}'s force ({said} W)")
            continue
        try:
            restore_force(load, entry, saved_at, saved_at, [], unset_clock_now=unset_clock_now)
        except Exception:  # (a bad entry: that force is not restored, the others are)
            clean_load(load)
        if not load.is_forced():
            skipped.append(f"{load.name}'s force to 0 W (over, or not plausible)")
            continue
        gone = reg.field.force_owner_gone(load)
        if gone is not None:  # (as in any restore: nothing but a regul/mode unforce would end it)
            clean_load(load)
            skipped.append(f"{load.name}'s force to 0 W ({gone})")
            continue
        # (an end that is a real time, the file's own, ends when NTP brings the clock to it: no jump moves it; one made
        # on a clock not set yet, kept with the time it had left, is on the clock now and moves with it)
        load.force_end_fixed = load.force_end_at is not None and load.force_end_at >= EPOCH_MIN_S
        end = "unforced" if load.force_end_at is None else \
            wall_clock_text(load.force_end_at, reg.tz)
        restored.append(f"{load.name} (0 W until {end})")
    say_restored_forces(reg.loads, saved_at if unset_clock_now is None else now)
    restore_pending_offs(reg, doc.get("pending_offs"), saved_at, saved_at, [], found)
    mode_off = reg.field.restore_mode_off(doc)  # (the water heater's other way to be kept off while away)
    if mode_off is not None:
        restored.append(mode_off)
    kept = "; not restored: " + ", ".join(skipped + ["energies, the day's report, the water heater's "
                                                       f"{'rules' if mode_off else 'state'} (in the file kept aside)"])
    if not restored:
        return ForcesOff(False, "; no force or mode that keeps a load off in it, nothing restored" + kept,
                         settings_said)
    return ForcesOff(True, "; restored only what keeps a load off: " + ", ".join(restored) + kept, settings_said)
