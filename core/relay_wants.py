"""What the closed loop's rule wants of each relay, one at a time down the pass: an on relay kept on (or one
handed over on at an unforce), an off one switched on or made to wait (its on delay, production rising, the grid
importing). Split from core/relay_switching.py, which walks the relays, asks these at each one and does the
switching (its dwell, its trials, its log): these only judge, from the relay, its clock and the pass."""

from __future__ import annotations

import logging
import math

from core.relay_dwell import RelayClock
from core.relay_pass import RelayPass
from core.relay_trials import held_before_why, may_try, trial_free_w, trial_need_w
from equipments.constant import ConstantEquipment, RelayEquipment
from equipments.unknown import UnknownEquipment

# (the loop's log lines keep the name they had before the loop was split in parts: a user's filter on it still
# finds them)
log = logging.getLogger("core.controller")

# A relay waits for the rise only for a relay before it that the rise, going on at its rate, would cover within
# this many seconds (a 3 kW relay behind 2 kW of surplus is no reason to keep a 600 W one off), and within a
# tenth of the waiting relay's own min_on_s, the hold the wait spares (the sped-up demo divides the dwell by
# its speed, so its horizon shrinks as much).
RISE_HORIZON_S = 60.0
RISE_HORIZON_SHARE = 0.1


def _claimed_before(resting: list[tuple[float, float]], until: float) -> float:
    """The watts claimed by the relays `resting` (RelayPass.resting) that are free again before `until`. (A function of
    its own: a generator in wants_on read its `now` and `load`, which made them cells, made anew at
    every decision.)"""
    return sum(claim_w for claim_w, free_at in resting if free_at < until)


def keeps_handed_over(load: RelayEquipment, power_w: float | None, clock: RelayClock, walk: RelayPass) -> bool:
    """Whether a relay handed over on at an unforce stays on: as an on relay does, but not on watts a relay before
    it waits for (its on delay, a rise, a measure: kept on, from the next decision its min_on_s, counted from its
    last switch, would hold it on in that relay's place), nor after a load held at 0 W for a moment (a full-tank
    re-probe: its dwell would keep the heater short)."""
    if (held_before := walk.relays_wait.get(load.name)) is not None:
        walk.off_why = held_before_why(held_before)
        return False
    return keeps_on(load, power_w, clock, walk, spoken_for_w=walk.waiting_w)


def keeps_on(load: RelayEquipment, power_w: float | None, clock: RelayClock, walk: RelayPass,
             spoken_for_w: float = 0.0) -> bool:
    """Whether an on relay stays on (`spoken_for_w`: watts of what is left that are not for it). Within the
    hysteresis band the variable loads before it give back what it lacks; never so far that the loads' total
    with no export at all cannot cover the relays left on (that would be import). So a relay with no variable
    load to give back stays on while the meter shows any export: off 1 W short of a 10 W setpoint, or on a fall
    only foreseen, it would rest its min_off_s with all its watts exported."""
    covered = power_w is not None and walk.left_w - spoken_for_w + walk.keep_margin_w >= power_w - load.hysteresis_w
    short_w = walk.keep_total_w - walk.on_w - (power_w or 0.0)
    want = covered and short_w >= 0
    # (its log line says which rule switches it off: "surplus 597 W no longer covers it" was said of a relay off for
    # an import of 1 W that no variable load could give back, the hysteresis far from reached)
    walk.off_why = None if want or not covered or power_w is None else \
        f"the grid imports, {max(1.0, -short_w):.0f} W more than the variable loads can give back"
    if not want and not covered and walk.trial is not None:
        # (switched off for a trial before it: "surplus 400 W no longer covers it" read as a fall of the sun, and
        # the relay on again two seconds on, the load tried found idle, as chatter)
        walk.off_why = (f"{walk.trial} is tried, its power to be measured: the surplus it leaves, "
                        f"{walk.left_w:.0f} W, no longer covers it")
    if clock.trial and not (isinstance(load, UnknownEquipment) and load.measuring) and (
            want or (clock.trial_w is not None and power_w is not None
                     and power_w <= clock.trial_w + UnknownEquipment.HOUSE_MOVED_W)):
        # Measured, and it fits, or no bigger than the figure it was switched on at (the surplus fell meanwhile):
        # from now on it keeps its dwell, as a known relay does
        clock.trial = clock.retrying = False
    return want


def wants_on(load: RelayEquipment, power_w: float | None, index: int, walk: RelayPass,
             now: float) -> tuple[bool, float, float]:
    """Whether an off relay switches on: (wanted, its shortfall, the watts it claims). A relay the surplus
    covers may still wait (its on delay, the sun coming back, a grid importing): it is added to the pass's
    waiting, its claim kept for it."""
    # What the relays after it, held on by their dwell, will draw anyway is not free for it.
    free_w = walk.left_w - sum(walk.held_w[index + 1:]) - walk.waiting_w - walk.doubted_w
    if walk.resting:
        free_w -= _claimed_before(walk.resting, now + load.min_on_s)
    shortfall_w = math.inf  # (none for an appliance found idle)
    if may_try(load, now):
        # (a load of unknown power is tried on some free watts at least: with hysteresis = 0 and none
        # free it was "switched on" at 0 W, stayed off, and took the house's noise for its watts)
        # (a relay of known watts is covered by its label while its figure, above it, rests on one step:
        # ConstantEquipment.cover_w)
        if power_w is None:  # (a load of unknown power, no figure: tried on what is free for a trial)
            least_w = trial_need_w(load)
            free_w = trial_free_w(walk, index, free_w, least_w)
            shortfall_w = least_w - free_w
        else:
            shortfall_w = (load.cover_w if isinstance(load, ConstantEquipment) else power_w) - free_w
    claim_w = power_w if power_w is not None else free_w  # (an unknown power takes what is free)
    found_idle = isinstance(load, UnknownEquipment) and load.found_idle
    if found_idle and power_w is not None:
        # (its figure from an earlier cycle, found idle since: tried on the spare, as one with no figure, rather
        # than on the watts of the relays after it, which went off for it and on again at each idle measure)
        claim_w = min(power_w, trial_free_w(walk, index, free_w, trial_need_w(load)))
    covered = shortfall_w <= 0
    if not covered and walk.doubted_w and shortfall_w <= walk.doubted_w:
        log.debug("%s: not covered: %.0f W of it would come from a load that may draw nothing (a heater suspected "
                  "full or its variator silent, a relay whose switch on did not move the house)", load.name,
                  shortfall_w)
    clock = walk.clocks[index]
    on_delay_s = clock.on_delay_s(load.on_delay_s, load.min_off_s)
    want = clock.covered(covered, now, on_delay_s)
    wait = ""
    if covered and not want:
        wait = "on delay"
        if clock.covered_since == now:
            log.debug("%s: the surplus covers it: on if it still does in %.0f s (on delay)", load.name,
                      on_delay_s)
    elif (want and walk.rising and walk.free[index] and walk.before_short_w
          <= walk.rise_rate_w_s * min(RISE_HORIZON_S, RISE_HORIZON_SHARE * load.min_on_s)):
        wait = "production rising"
        log.debug("%s: waits: production is rising, and will soon cover a relay before it", load.name)
    elif want and walk.importing and (power_w is None or found_idle or (
            walk.heaters_give and getattr(load, "learned_power_w", 0.0) is None)):
        # A trial while the grid imports would take what the variable loads give back for its own (its
        # claim is what is free for a grid at 0 W), and its measure would hold the house's step the loop
        # has not answered yet: it waits for a reading without import, its place kept. So does a hand-over
        # from the variable loads to a relay of known power not measured yet: its label may be under its draw
        # (1000 W for 1100), and the heater lowered by the label raised the house's draw into the import. So does
        # a load of unknown power found idle at its last measure (a try, or its switch off): tried again, most
        # likely idle, as one with no figure.
        wait = "the grid imports"
        log.debug("%s: waits: no trial, nor a first switch on, while the grid imports", load.name)
    if wait:
        want = False
        walk.waiting.append(f"{load.name} ({wait})")
        walk.waiting_w += claim_w
    return want, shortfall_w, claim_w
