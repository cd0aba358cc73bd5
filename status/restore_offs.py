"""The loads a saved status names that the config no longer has, or whose command moved since (status.restore calls
these): the entries paired with the configured loads they name, the off command of a load no longer configured that
PySEB left on (or of one whose command moved to another topic or payload since), and the offs the last run sent that
the broker never acknowledged, sent again at the start."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from equipments.base import Command, Equipment
from settings.topics import TopicRole, topic_problem
from status.restore_renames import likely_renames
from values.saved_numbers import saved_epoch, saved_number
from values.shown import shown

if TYPE_CHECKING:
    from status.view import RegulatorView

# An off kept pending that the broker never acknowledges (its ACL refuses the topic, a broker that drops the link at
# it) was sent again at every start, for ever: given up, with a warning naming the load and the topic, once sent at
# this many starts over at least this long. Both: a daemon restarted often while its broker is down a few hours
# reaches the starts, not the days; a Pi stopped for weeks, the days, not the starts; neither is an off refused.
PENDING_OFF_MAX_STARTS = 5
PENDING_OFF_MAX_AGE_S = 7 * 86400.0


# What a load's entry in the status file gives it at a restore (status.restore_load), by its name.
SAVED_STATE = "its energies, a force, a full tank, learned watts"
# What of it is dropped with a load no longer configured whose energies are kept for their day
# (status.restore_removed: resumed by a load configured again under its name)
STATE_BUT_ENERGIES = "a force, a full tank, learned watts"
ENERGIES_KEPT = "its energies are kept for their day: configured again under that name, it resumes them"


def _not_configured(name: str, renamed_to: str | None, energies_kept: bool = False) -> str:
    """What the restore says of the saved load `name` that is not configured: a rename when a configured load the
    file does not have looks its new name (`renamed_to`: status.restore_renames; the state goes by name: it was
    "ignored", no word of why nor of what became of its state). `energies_kept`: its energies are kept by name."""
    dropped = STATE_BUT_ENERGIES if energies_kept else SAVED_STATE
    kept = f"; {ENERGIES_KEPT}" if energies_kept else ""
    if renamed_to is None:
        return f"status has a load {name!r} that is not configured: its saved state ({dropped}) is dropped{kept}"
    return (f"status has a load {name!r} that is not configured, and {renamed_to!r} is configured but not in it: "
            f"renamed? A load's saved state goes by its name: {renamed_to} starts afresh ({SAVED_STATE}), {name}'s "
            f"({dropped}) is dropped (the file saved from now on has it no more: this start's cannot be carried "
            f"over){kept}; next time, to carry a load's state over a rename, rename it in the status file too, PySEB "
            "stopped, before starting it with the new config")


def removed_load_off(entry: dict[str, Any], configured_offs: set[tuple[str, str]], renamed_to: str | None = None,
                     energies_kept: bool = False) -> tuple[Command | None, str, bool]:
    """For the entry of a load the config no longer has: the command that switches it off, and what the restore's
    warning says of it. Sent even when the file shows it off: a load's command does not save the file at once (it
    can be [status] status_time old, a relay switched on since, then a kill), and a stop's off may not have reached
    a broker that was down; an off to a device already off costs nothing. None when a configured load has that very
    off command, retained or not (the same device, renamed: its own start command switches it; the old one, retained
    where the new name's is not, stayed on the broker, an order the device took at each reboot), or nothing usable
    was saved; and whether what was saved was usable (False: an off_command dropped, said). `renamed_to`: the
    configured load that looks this one renamed (status.restore_renames.likely_renames); `energies_kept`: its energies
    are kept by name (status.restore_removed)."""
    name = str(entry["name"])[:80]
    said = _not_configured(name, renamed_to, energies_kept)
    saved = entry.get("off_command")
    if saved is None:  # (the seed's file, or a PySEB's before off_command: nothing known of where it goes)
        drawn_w = saved_number(entry.get("current_power"), 0.0)
        if drawn_w is None or drawn_w <= 0:
            return None, said, True
        # (the seed's own stop, a kill, left its relays on: dropped without a word, one drew 596 W with nobody
        # regulating it)
        return None, (f"{said}; it drew {drawn_w:.0f} W when the file was saved, and the file does not say how to "
                      "switch it off: if it is still on, switch it off yourself"), False
    off = _saved_command(saved)
    if off is None:
        return None, (f"{said}; its saved off_command {shown(saved, 120)} is not usable: if it was left on, switch "
                      "it off yourself"), False
    if _order(off) in configured_offs:
        return None, said, True
    last = entry.get("command")
    state = (f"was left on ({shown(last, 60)} on {off.topic})" if last != off.payload else
             f"was saved off, maybe before its last command ({off.topic})")
    said = f"{name} is no longer configured but {state}: commanded off ({shown(off.payload, 60)}) at the start"
    if renamed_to is not None:  # (a rename onto another device: its old one switched off, its state said too)
        said += f"; {_not_configured(name, renamed_to, energies_kept)}"
    return off, said, True


def _saved_command(saved: Any) -> Command | None:
    """A saved {"topic", "payload", "retain"} as a Command, None if it is not one PySEB can publish."""
    if not isinstance(saved, dict):
        return None
    topic, payload, retain = saved.get("topic"), saved.get("payload"), saved.get("retain")
    if not isinstance(topic, str) or not isinstance(payload, str) or not isinstance(retain, bool):
        return None
    if topic_problem(topic, TopicRole.PUBLISH) is not None:  # (the config's own check of a publish topic)
        return None
    return Command(topic, payload, retain)


@dataclass
class FoundOffs:
    """What a restore found of the loads no longer configured, kept whatever comes after it (a failure, a file dated
    far ahead: a clean start but for these) and said then too: the offs queued to be sent at the start, and those
    dropped as not usable (the device maybe left on: never without a word)."""

    names: list[str] = field(default_factory=list)  # the loads whose off is queued (a name once)
    lines: list[str] = field(default_factory=list)  # what was said of each off, queued or dropped, in order
    # Each off queued, by load and topic: a load moved twice has two old devices to switch off (taken by name, the
    # pending off of the first was dropped as the same load's, that device left on for good)
    offs: set[tuple[str, str]] = field(default_factory=set)

    def queued(self, name: str, said: str, off: Command) -> None:
        if name not in self.names:
            self.names.append(name)
        self.lines.append(said)
        self.offs.add((name, off.topic))


def configured_entries(reg: RegulatorView, entries: list[Any], now: float, warnings: list[str],
                       found: FoundOffs, energies_kept: bool = False) -> Iterator[tuple[Equipment, dict[str, Any]]]:
    """Each entry of `entries` with the configured load it names, the first for a load; why the others are
    ignored in `warnings`; a load no longer configured queued to be commanded off at the start, or its unusable off
    dropped, in `found` too (its first start `now`). `energies_kept`: those of a load no longer configured are kept
    by name (status.restore_removed), said so."""
    seen: set[str] = set()
    configured_offs = _configured_offs(reg)
    gone: dict[str, dict[str, Any]] = {}  # (each load no longer configured, by its first entry, in the file's order)
    saved: set[str] = set()
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            saved.add(entry["name"].lower())
            if entry["name"].lower() not in reg.loads_by_name:
                gone.setdefault(entry["name"].lower(), entry)
    renames = likely_renames(gone, [load for load in reg.loads if load.name not in saved], _same_device)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            warnings.append(f"status entry without a name ignored: {str(entry)[:80]}")
            continue
        # (in any case: the config's names are lower-cased as read, and a Coturex status file may say "ECS")
        name = entry["name"].lower()
        if name in seen:  # (a removed load's too: its off command sent once)
            warnings.append(f"status has {name!r} twice: the second entry ignored")
            continue
        seen.add(name)
        load = reg.loads_by_name.get(name)
        if load is None:
            off, said, usable = removed_load_off(entry, configured_offs, renames.get(name), energies_kept)
            warnings.append(said)
            if off is not None:  # (nobody else would: left on, with nobody regulating it)
                reg.switch_off_at_start(name, off, 1, now)
                found.queued(name, said, off)
            elif not usable:
                found.lines.append(said)
            continue
        moved = moved_load_off(entry, load, configured_offs)
        if moved is not None:
            warnings.append(moved[1])
            reg.switch_off_at_start(name, moved[0], 1, now)
            found.queued(name, moved[1], moved[0])
        yield load, entry


def said_of(name: str, configured: Collection[str]) -> str:
    """How the log names the load whose off is sent at the start: one no longer configured, or a configured one whose
    command moved to another topic or payload since (its old device's off: moved_load_off)."""
    return f"{name} ({'its old device, maybe left on' if name in configured else 'no longer configured, left on'})"


def moved_load_off(entry: dict[str, Any], load: Equipment, configured_offs: set[tuple[str, str]],
                   ) -> tuple[Command, str] | None:
    """For the entry of a configured load whose saved off command no configured load has (its topic or payload
    changed: a relay moved to another device): that old off, sent at the start as a removed load's, and what the
    warning says. The load's own start command goes to its new topic only: the old device, maybe left on (a kill, a
    stop whose off never reached the broker; an order retained there, taken again at each of its reboots), was
    switched by nobody. None when nothing usable was saved or a configured load has that off."""
    off = _saved_command(entry.get("off_command"))
    if off is None or _order(off) in configured_offs:
        return None
    now_off = load.command_for(0.0)[0]
    return off, (f"{load.name}: its off command was {shown(off.payload, 60)} on {off.topic}, now "
                 f"{shown(now_off.payload, 60)} on {now_off.topic}: the old one commanded at the start too (the device "
                 "it switched may have been left on)")


def _same_device(entry: dict[str, Any], load: Equipment) -> bool:
    """The saved entry's off command is `load`'s (the same order to the same device): a rename, not a new device."""
    off = _saved_command(entry.get("off_command"))
    return off is not None and _order(off) == _order(load.command_for(0.0)[0])


def _configured_offs(reg: RegulatorView) -> set[tuple[str, str]]:
    """The configured loads' offs (the same order to the same device, retained or not: `_order`), and their ons at
    their max: an old off that is a configured load's on now (a relay whose json_on and json_off were swapped, a
    normally-closed one) is not sent, it would switch that load on at the start, retained maybe."""
    return {_order(command) for load in reg.loads
            for command in (load.command_for(0.0)[0], load.command_for(load.max_power_w)[0])}


def _order(command: Command) -> tuple[str, str]:
    """What a command orders, as its device reads it: its topic (MQTT's topics are case-sensitive) and its payload in
    any case (Tasmota takes `on` as `ON`), a JSON one whatever its spacing and key order (Domoticz's). Compared
    byte for byte, an old `off` was sent again at the start beside a configured `OFF`, and an old `OFF` after a
    normally-closed relay's `json_on = off`, switching it on."""
    try:
        payload = json.dumps(json.loads(command.payload), sort_keys=True)
    except ValueError:
        payload = command.payload.strip()
    return command.topic, payload.lower()


def restore_pending_offs(reg: RegulatorView, saved: Any, now: float, saved_at: float, warnings: list[str],
                         found: FoundOffs) -> None:
    """The offs of loads no longer configured that the last run sent without the broker acknowledging them (its
    status document's `pending_offs`: a kill, a power cut before the broker was back), queued to be sent at the start
    again, into `found` as configured_entries queues a removed load's. Each checked as a saved off_command; a
    malformed one dropped with a warning, the others kept; one sent at PENDING_OFF_MAX_STARTS starts over
    PENDING_OFF_MAX_AGE_S given up with a warning (its days counted as _starts_since says, `saved_at` the file's
    date). None for an off a configured load has (its own start command switches that device) or one already queued
    (the same load and topic: a load moved twice has an off queued for each of its old devices)."""
    if saved is None:
        return
    if not isinstance(saved, list):
        said = f"status file's pending_offs {shown(saved, 80)} is not a list: ignored"
        warnings.append(said)
        found.lines.append(said)
        return
    configured_offs = _configured_offs(reg)
    for entry in saved:
        name = entry.get("name") if isinstance(entry, dict) else None
        off = _saved_command(entry.get("off_command")) if isinstance(name, str) and name else None
        if name is None or off is None:
            said = (f"status file's pending off {shown(entry, 120)} is not usable: dropped; if its load was left on, "
                    "switch it off yourself")
            warnings.append(said)
            found.lines.append(said)
            continue
        name = name[:80]
        if _order(off) in configured_offs or (name, off.topic) in found.offs:
            continue
        starts, since = _starts_since(entry, now, saved_at)
        gone = "its old device" if name in reg.loads_by_name else "no longer configured"  # (moved_load_off's)
        if starts >= PENDING_OFF_MAX_STARTS and now - since >= PENDING_OFF_MAX_AGE_S:
            said = (f"{name} ({gone}): its off ({shown(off.payload, 60)} on {off.topic}) was sent at "
                    f"{starts} starts since {datetime.fromtimestamp(since, reg.tz):%Y-%m-%d} and the broker never "
                    "acknowledged it (unreachable each time, or refusing that topic): given up; if it is still on, "
                    "switch it off yourself")
            warnings.append(said)
            found.lines.append(said)
            continue
        said = (f"{name} ({gone}): its off ({shown(off.payload, 60)} on {off.topic}) was not "
                "acknowledged by the broker before PySEB stopped: commanded off at the start")
        warnings.append(said)
        reg.switch_off_at_start(name, off, starts + 1, since)
        found.queued(name, said, off)


def _starts_since(entry: dict[str, Any], now: float, saved_at: float) -> tuple[int, float]:
    """How many starts sent a pending off, since when: as saved, else (a file of before the count, a bad value) the
    one start that saved it, now, the count begun afresh (the safe direction: sent more, not given up early). A
    `since` after the file's own date `saved_at` was set by a clock ahead, set right since (a start precedes its
    saves): its days count from this start, `now`. (One set by a clock behind that NTP set while that start ran was
    moved with the clock: Regulator.clock_stepped_forward.)"""
    starts, since = entry.get("starts"), saved_epoch(entry.get("since"))
    if not isinstance(starts, int) or isinstance(starts, bool) or starts < 1:
        starts = 1
    return starts, now if since is None or since > saved_at else since
