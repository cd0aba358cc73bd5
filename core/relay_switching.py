"""The closed loop's relays (and loads of unknown power): decided first, on the surplus left over the loads
before them at their max; the continuous loads take what is left. A relay switches on only when that surplus
covers it, off when it falls `hysteresis` short, keeps its minimum on and off times (core/relay_dwell.py), and
teaches its real watts by the house's step (core/relay_learning.py). What the rule wants of each relay (kept on,
switched on, made to wait) is judged in core/relay_wants.py; this walks the relays, switches them and sheds them for
the import guard. docs/control.md tells the whole rule."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

from core.control_params import ControlParams
from core.relay_dwell import RelayClock
from core.relay_learning import RelayLearning
from core.relay_pass import RelayPass, relay_power_w, watts_measured
from core.relay_trials import displaced_for_nothing, retry_doubted, trial_wait_why
from core.relay_wants import keeps_handed_over, keeps_on, wants_on
from equipments.base import Equipment
from equipments.constant import ConstantEquipment, RelayEquipment
from equipments.unknown import UnknownEquipment

# (the loop's log lines keep the name they had before the loop was split in parts: a user's filter on it still
# finds them)
log = logging.getLogger("core.controller")


class RelaySwitcher:
    """The relays' dwell clocks, what their switches teach, and the loads shed before their dwell."""

    def __init__(self, params: ControlParams, learning: RelayLearning) -> None:
        self.params = params
        self.learning = learning
        self._clocks: dict[str, RelayClock] = {}
        self.beliefs_moved_w = 0.0  # what the relays learned from this decision's reading moved their beliefs by
        # Relays switched off before their dwell, by name: by the import guard, or a measuring trial that
        # did not fit (the benchmark checks every short stretch against these).
        self.guard_sheds_by: dict[str, int] = {}
        self.trial_sheds_by: dict[str, int] = {}
        # Relays handed over on at an unforce that the next decision switched off, within their dwell or not.
        self.handover_offs_by: dict[str, int] = {}

    def see(self, loads: Sequence[Equipment]) -> None:
        """Every relay's clock sees a switch made by anyone (the start, a force, an unforce). A forced relay's cover
        is not judged (it is the user's): its wait for on_delay_s starts again once it is the rule's (it switched on
        at the first decision after an unforce, on a cover counted from before the force)."""
        for load in loads:
            if isinstance(load, RelayEquipment):
                clock = self._clock(load)
                clock.seen(load.is_on, load.last_command_at, load.min_on_s,
                           load.measure_off_at if isinstance(load, UnknownEquipment) else None)
                if load.is_forced():
                    clock.covered_since = None

    def clock_stepped_back(self, step_s: float, loads: Sequence[Equipment]) -> None:
        """The wall clock stepped back by `step_s`: each relay keeps the time it has been in its state, a command
        someone else made before the step and no decision saw yet too (stamped on the old clock, taken after the
        step, it dated the relay's state from a time still ahead: the start's off, a force, an unforce freed it)."""
        self.see(loads)
        for clock in self._clocks.values():
            clock.stepped_back(step_s)

    def regulation_suspended(self) -> None:
        """A meter fell silent: no decision judges the cover meanwhile, so the relays' waits for it start again
        (a cover of 40 s before ten minutes of silence switched a relay on 2 s after the readings came back)."""
        for clock in self._clocks.values():
            clock.covered_since = None

    def switch(self, loads: Sequence[Equipment], walk: RelayPass, consumption_w: float, now: float) -> None:
        """Switch the relays down the pass `walk`: for its total, none left on that its keep total (the total for
        a grid at 0 W) does not cover; the pass then says what the relays left on draw, which ones the rule wants
        off but their dwell holds, and each relay the surplus covers but that stays off, with what it waits for
        (no load of unknown power switched on while `measures_wait`, nor tried while the grid is `importing`).

        While production is `rising` (the sun back after a cloud), a relay does not switch on after an off relay
        that may switch on and that the rise would soon cover: switched on, the lower relay's min_on_s would
        hold that one off. Switched on at 17:35 on Payerne 06-29 (demo house), the towel dryer kept the
        radiator, which the surplus covered 30 s later, off for its ten minutes (capture 98.85 %; 99.11 %
        waiting)."""
        for index, load in enumerate(loads):
            if isinstance(load, RelayEquipment):
                clock = walk.clocks[index] = self._clock(load)
                if isinstance(load, UnknownEquipment) and load.doubted is not None:
                    retry_doubted(load, clock, now)
                # (a relay handed over on at an unforce is judged afresh, its dwell or not: see RelayEquipment)
                allowed = load.handed_over or clock.allows(load.min_on_s, load.min_off_s, now) or (
                    clock.displaced_by is not None and displaced_for_nothing(load, clock, loads))
                walk.free.append(allowed)
                on_w = (relay_power_w(load) or 0.0) if load.is_on else 0.0
                # (one whose draw is in doubt is counted as held: its watts may be none to give, RelayLearning)
                given = allowed and not (on_w and self.learning.draw_doubted(load.name))
                walk.held_w.append(0.0 if given else on_w)
                # (one handed over at an unforce is free at this decision only: its dwell holds it from the next, so
                # a trial tried beside it could not have its watts then)
                walk.free_on_w.append(on_w if given and not load.handed_over else 0.0)
            else:
                walk.free.append(False)
                walk.held_w.append(0.0)
                walk.free_on_w.append(0.0)
        for index, load in enumerate(loads):
            if not isinstance(load, RelayEquipment):
                walk.passed_continuous.append((load, walk.left_w))
                walk.left_w -= load.max_power_w
                if walk.doubted_w and load.name in walk.draws_in_doubt:
                    walk.doubted_w = max(0.0, walk.doubted_w - load.current_power_w)  # (no float residue left)
                continue
            power_w = relay_power_w(load)
            on = load.is_on
            handed_over, load.handed_over = load.handed_over, False  # (judged at this decision, once)
            shortfall_w = math.inf  # an off relay's: what the surplus lacks to cover it (<= 0: covered)
            claim_w = 0.0
            walk.off_why = None  # (this relay's own, if any: not the one before it's)
            if on and handed_over:
                want = keeps_handed_over(load, power_w, walk.clocks[index], walk)
            elif on:
                want = keeps_on(load, power_w, walk.clocks[index], walk)
            else:
                want, shortfall_w, claim_w = wants_on(load, power_w, index, walk, now)
            if want != on:
                doubted = on and self.learning.draw_doubted(load.name)
                self._act(load, want, claim_w, index, walk, loads, consumption_w, now)
                was_on = on
                on, power_w = load.is_on, relay_power_w(load)  # (read again only here: nothing else switches it)
                if was_on and not on and walk.trial is not None:
                    walk.clocks[index].displaced_by = walk.trial  # (switched off after that trial: for it)
                if doubted and not on:
                    # (its believed watts freed nothing, maybe: not the relays after it's at this decision, the next
                    # reading says what its off freed: RelayLearning.draw_doubted)
                    walk.doubted_w += power_w or 0.0
            if on:
                drawn_w = power_w or 0.0
                walk.left_w -= drawn_w
                walk.on_w += drawn_w
            elif walk.rising and 0 < shortfall_w < walk.before_short_w and walk.free[index]:
                walk.before_short_w = shortfall_w  # (one switched off at this decision has no shortfall: it was on)
            if handed_over and not on:
                self.handover_offs_by[load.name] = self.handover_offs_by.get(load.name, 0) + 1


    def _act(self, load: RelayEquipment, want: bool, claim_w: float, index: int, walk: RelayPass,
             loads: Sequence[Equipment], consumption_w: float, now: float) -> None:
        """Switch `load` to `want` if its dwell and the measures under way let it; else say what holds it."""
        if walk.free[index]:
            # (a switch off goes through: an import is worse than a measure to do again)
            why = trial_wait_why(load, walk, now) if want else None
            if why is not None:
                log.debug("%s: waits: %s", load.name, why)
                walk.waiting_w += claim_w  # its place kept, as for an on delay
                walk.waiting.append(f"{load.name} ({walk.relays_wait.get(load.name) or 'measure'})")
            elif self._switch(load, want, walk.left_w, consumption_w, loads, now, claim_w=claim_w,
                              off_why=None if want else walk.off_why):
                walk.switched = True
                if want and isinstance(load, UnknownEquipment):
                    walk.measuring, walk.trial = True, load.name
        elif self._failed_trial(load):
            self.trial_sheds_by[load.name] = self.trial_sheds_by.get(load.name, 0) + 1
            clock = walk.clocks[index]
            if clock.retrying:
                clock.retrying = False  # too big twice: the figure stands
            elif isinstance(load, UnknownEquipment) and load.learned_power_w is not None:
                load.doubted = (now, load.learned_power_w)
            shed = self._switch(load, want, walk.left_w, consumption_w, loads, now)
            walk.switched = walk.switched or shed
            walk.measuring_off = walk.measuring_off or shed
        elif load.is_on:
            walk.wanted_off.append(load)
        else:
            walk.waiting.append(f"{load.name} (min_off_s)")
            clock = walk.clocks[index]
            if want and clock.switched_at is not None:
                walk.resting.append((claim_w, clock.switched_at + clock.min_off_s(load.min_off_s)))

    def shed_for_guard(self, walk: RelayPass, consumption_w: float, loads: Sequence[Equipment],
                       now: float, import_w: float = 0.0, cloud: bool = False) -> tuple[float, bool] | None:
        """The import guard is due: switch off the lowest relay the rule wants off but its dwell holds on whose
        watts alone bring `import_w` (the import nothing else answers at this decision) to the guard's level; if none
        does, the lowest (`cloud`: the import came from production's fall, see RelayClock.switched). Returns the watts
        it drew and whether they were measured (`watts_measured`), None when none was shed; the relay shed leaves
        `walk.wanted_off`, for the next shed at the same decision."""
        if not walk.wanted_off:
            return None
        # The lowest priority first, among those whose shed ends the import: a 400 W relay shed first under a 1400 W
        # import did not end it, and the 1500 W relay before it was shed anyway, the 400 W one then off for its
        # min_off_s where it fitted (an oven's bursts, the tank full).
        end_w = import_w - self.params.import_guard_w  # (an import at the guard's level is no more to shed for)
        # A load of unknown power qualifies whatever its figure: that may be another appliance's (a plug learned at
        # 100 W, its dishwasher heating at 2000 W, kept on by its low figure while the radiator before it was shed, and
        # the heater before both held at 0 W for ten minutes).
        victim = next((load for load in reversed(walk.wanted_off)
                       if isinstance(load, UnknownEquipment) or (relay_power_w(load) or 0.0) >= end_w),
                      walk.wanted_off[-1])
        walk.wanted_off.remove(victim)
        drawn_w, measured = relay_power_w(victim) or 0.0, watts_measured(victim)
        on_clock = self._clocks.get(victim.name)  # (for the log: how long it had been on)
        on_since = on_clock.switched_at if on_clock is not None else None
        if not self._switch(victim, False, 0.0, consumption_w, loads, now, guard_shed=True, cloud=cloud):
            return None
        # (INFO: the guard doing its job, several times on a day of clouds; the dwell is what it overrode)
        # (the guard's limit, not a measure: "0.56 Wh in all" read as the import measured, which the day's log showed
        # at 0.16 to 1.22 Wh for the same line; the import the guard counts is not the grid's whole import)
        log.info("%s: switched off by the import guard %s into its %.0f s minimum on time: the grid imported over "
                 "%.0f W until the guard's count reached its limit, %.2f Wh (import_guard %.0f W x import_guard_time "
                 "%g s)", victim.name, "?" if on_since is None else f"{max(now - on_since, 0.0):.0f} s",
                 victim.min_on_s, self.params.import_guard_w,
                 self.params.import_guard_w * self.params.import_guard_s / 3600, self.params.import_guard_w,
                 self.params.import_guard_s)
        self.guard_sheds_by[victim.name] = self.guard_sheds_by.get(victim.name, 0) + 1
        if isinstance(victim, ConstantEquipment) and victim.covered_by_label:
            # (on by its label under a provisional figure, and the grid imported: its figure it is, even with its
            # steps lost, as a meter that lags loses each one; the label covering it again, it was shed 18 times in 3 h)
            victim.label_tried = True
        clock, min_off_s = self._clock(victim), victim.min_off_s
        rest_s = clock.min_off_s(min_off_s)
        if rest_s > min_off_s:
            log.info("%s: shed by the guard (%d in a row): off for %.0f s at least", victim.name, clock.guard_sheds,
                     rest_s)
        return drawn_w, measured

    def _clock(self, load: RelayEquipment) -> RelayClock:
        clock = self._clocks.get(load.name)
        if clock is None:
            clock = self._clocks[load.name] = RelayClock(load.is_on)
        return clock

    def _failed_trial(self, load: RelayEquipment) -> bool:
        # A load of unknown power switched on to be measured, that turned out not to fit: a test, not a
        # cycle to protect from wear; keeping it on would take power from the loads before it.
        return (self._clock(load).trial and load.is_on and isinstance(load, UnknownEquipment)
                and not load.measuring)

    def _switch(self, load: RelayEquipment, on: bool, left_w: float, consumption_w: float,
                loads: Sequence[Equipment], now: float, guard_shed: bool = False, cloud: bool = False,
                claim_w: float | None = None, off_why: str | None = None) -> bool:
        """Switch `load` to `on`; False when the command could not be published (nothing changed). A load of unknown
        power is believed at `claim_w` until measured (what is free for it: `left_w` less the relays after it that
        their dwell holds on), else at `left_w`."""
        self.learning.before_switch(load, on, consumption_w, loads)
        power_w = relay_power_w(load)
        if on:
            # (believed at `left_w`, a trial counted the watts of a relay after it held on by its dwell twice: the
            # heater before it gave them back, 1000 W exported for a reading, and its calibration's error in that
            # move was measured as the plug's: an idle plug learned at 100 W, left on)
            trial_w = left_w if claim_w is None else claim_w
            reason = (f"surplus {left_w:.0f} W covers it" if power_w is not None
                      else f"surplus {trial_w:.0f} W, power to be measured")
            if isinstance(load, ConstantEquipment) and load.covered_by_label:
                reason = (f"surplus {left_w:.0f} W covers its label, {load.cover_w:.0f} W: its figure comes from one "
                          "step, to be measured again")
            if isinstance(load, UnknownEquipment) and power_w is not None and claim_w is not None and claim_w < power_w:
                reason = f"surplus {claim_w:.0f} W, found idle at its last measure: measured again"
                power_w = claim_w
            sent = load.set_power(power_w if power_w is not None else trial_w, now, reason)
            if sent and load.is_on and isinstance(load, UnknownEquipment):
                load.start_measuring(self.beliefs_moved_w)
        elif guard_shed:
            sent = load.set_power(0.0, now, "shed by the import guard")
        else:
            # (what is left is counted over the loads before it at their max: under 0, they are short of it, and
            # "surplus -989 W" read as nonsense where the heater before the radiator lacked 989 W)
            sent = load.set_power(0.0, now, off_why or (f"surplus {left_w:.0f} W no longer covers it" if left_w >= 0
                                                        else f"the loads before it are {-left_w:.0f} W short of their "
                                                        "max"))
        if sent:  # (a command that could not be published changed nothing: no dwell to start)
            # A trial: nothing was known of its power before this switch; or a load of unknown power, measured at each
            # switch on: one measured bigger than its figure that no longer fits is off at once (held its min_on_s,
            # a plug believed at 1000 W and drawing 1500 kept the heater before it 420 W short for ten minutes)
            unknown = isinstance(load, UnknownEquipment)
            self._clock(load).switched(load.is_on, now, load.min_on_s, trial=power_w is None or unknown,
                                       guard_shed=guard_shed, trial_w=power_w if unknown else None, cloud=cloud)
        return sent
