"""The closed loop's rules for a load of unknown power (UnknownEquipment): when its trial waits, a figure in doubt
tried again, a relay switched off for a trial that found nothing, an appliance left alone after an idle trial.
Split from core/relay_switching.py, which walks the relays and asks these at each one."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core.relay_dwell import DOUBT_RETRY_S, RelayClock
from core.relay_pass import RelayPass
from equipments.base import Equipment
from equipments.constant import RelayEquipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment

# (the loop's log lines keep the name they had before the loop was split in parts: a user's filter on it still
# finds them)
log = logging.getLogger("core.controller")

# A rise of the variable loads before a load of unknown power under this is float residue, not a step its measure
# would see (a trial waiting on it would wait for good).
RISE_NOISE_W = 0.5


def held_before_why(held_before: str) -> str:
    """Why a relay after a held load waits or goes off (its relays_wait reason: "measure", or "<name> silent")."""
    if held_before == "measure":
        return "a load before it is held at 0 W for its full-tank check"
    return f"a load before it does not answer its commands ({held_before}: rebooting?)"


def trial_wait_why(load: RelayEquipment, walk: RelayPass, now: float) -> str | None:
    """Why `load`, which the surplus covers and its dwell lets switch on, waits at this decision (a load held before
    it, a measure under way, or, for a load of unknown power, whatever would spoil its own measure at the next
    reading); None when it may switch on."""
    held_before = walk.relays_wait.get(load.name)
    if held_before is not None:
        return held_before_why(held_before)
    if walk.measuring or walk.measuring_off:
        return "a load is being measured alone"
    if not isinstance(load, UnknownEquipment):
        return None
    # (measured by the house's step at the next reading: nothing else may step with it)
    if walk.switched:
        return "it is measured alone"
    if walk.measures_wait:
        return ("another load's watts are in doubt (a heater suspected full, or the house just fell by part of its "
                "watts)")
    if not load.house_steady:
        return "the house is on the move (the same way at the last two readings): measured once it holds still"
    rise_w = raised_before_w(walk, now)
    if rise_w > RISE_NOISE_W:
        return (f"the variable loads before it go up by {rise_w:.0f} W at this decision: tried once they are up "
                "(their rise would be measured as its watts)")
    return None


def trial_need_w(load: RelayEquipment) -> float:
    """What a trial of the load of unknown power `load` needs free: its hysteresis, UnknownEquipment.IDLE_W at least
    (with hysteresis = 0 and none free it was "switched on" at 0 W, stayed off, and took the house's noise for its
    watts). (A comparison in max()'s own order, not its call: max() parses its keywords on Python 3.11.)"""
    hysteresis_w, idle_w = load.hysteresis_w, UnknownEquipment.IDLE_W
    return idle_w if idle_w > hysteresis_w else hysteresis_w


def trial_free_w(walk: RelayPass, index: int, free_w: float, least_w: float) -> float:
    """What the load of unknown power at `index`, with no figure yet (or found idle at its last measure), is tried on:
    the `free_w` the relays after it leave to it, less the watts of those on whose dwell would let them go off for it
    (RelayPass.free_on_w), while that spare still holds its `least_w` (its hysteresis, 25 W at least). Tried on
    their watts too, a relay after it went off for the trial and on again a reading later each time the load was
    found idle: an appliance done for the day, tried every 40 minutes, cost a 600 W radiator after it 26 switches on
    serf-east (28 against 2). Tried on the spare, an idle load costs them nothing, and one that draws more than the
    spare is measured all the same: the next decision hands the relays' watts over to it, if their dwell lets them
    go, or sheds it as too big; meanwhile the grid imports what it draws over the spare for a reading. With no such
    spare (the relays after it take the whole surplus), their watts are its to be tried on, as a higher priority's."""
    spare_w = free_w - sum(walk.free_on_w[index + 1:])
    return spare_w if spare_w >= least_w else free_w


def raised_before_w(walk: RelayPass, now: float) -> float:
    """What the continuous loads the walk passed go up by at this decision (RelayPass.passed_continuous)."""
    return sum([_rise_w(load, left_w, now) for load, left_w in walk.passed_continuous])


def _rise_w(load: Equipment, left_w: float, now: float) -> float:
    """What a continuous `load` goes up by at this decision, given `left_w` (what the loads from it on may take, the
    ones before at their max): its command's believed watts for its share, up to its max, less what it is believed
    to draw now (0 for a variator held down, silent after a fall: ContinuousLoads.share does not raise it)."""
    take_w = min(max(left_w, 0.0), load.max_power_w)
    if isinstance(load, VariableEquipment):
        if load.held_down(now):
            return 0.0
        take_w = load.command_for(take_w)[1]  # (the whole percent under it, off under its floor)
    return max(0.0, take_w - load.current_power_w)


def retry_doubted(load: UnknownEquipment, clock: RelayClock, now: float) -> None:
    """A figure from one trial shed as too big is forgotten DOUBT_RETRY_S later, for a new trial: one reading could
    not tell the load's watts from a burst of the house at that reading. A figure measured since (its step down, a
    switch on) is no longer in doubt."""
    assert load.doubted is not None
    doubted_at, figure_w = load.doubted
    if load.is_on or load.learned_power_w != figure_w:
        load.doubted = None
    elif not 0 <= now - doubted_at < DOUBT_RETRY_S:  # (or the clock stepped back: decide rather than wait)
        load.doubted, clock.retrying = None, True
        load.learned_power_w = None
        log.info("%s: its %.0f W come from one trial, shed as too big %.0f s ago: to be measured again",
                 load.name, figure_w, now - doubted_at)


def displaced_for_nothing(load: RelayEquipment, clock: RelayClock, loads: Sequence[Equipment]) -> bool:
    """True when `load` was switched off for a load of unknown power before it, switched on to be measured, that a
    decision since found off (idle, too big, the house moved): its rest is not owed (an idle plug tried every 40
    minutes had the radiator after it rest its min_off_s, 1000 W exported, at each trial). Found on, the load keeps
    the place it measured into, and the relay rests as usual."""
    by = clock.displaced_by
    if by is None or load.is_on:
        return False
    trial = next((other for other in loads if other.name == by), None)
    if not isinstance(trial, RelayEquipment) or trial.measuring:  # (left out: forced, say; still to be measured)
        return False
    if trial.is_on:
        clock.displaced_by = None  # it measured in: the rest stands
        return False
    return True


def may_try(load: RelayEquipment, now: float) -> bool:
    """False for an appliance found idle, left alone for a while (UnknownEquipment's own rule)."""
    return not isinstance(load, UnknownEquipment) or not load.resting(now)
