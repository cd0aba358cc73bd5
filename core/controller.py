"""The closed-loop controller: regulate the measured grid flow to an export setpoint.

Each decision works on a house reading that already shows the last command's effect (the regulator
checks that). The loop is an integrator in velocity form: the regulated loads' total is moved by `gain`
times the grid error, then shared out in priority order. Relays (and loads of unknown power) switch on
only when the surplus left over the loads before them, at their max, covers them, off when it falls
`hysteresis` watts short, and they keep a minimum on and off time; the variable loads take the rest, so
when a relay switches the variable load moves by the relay's watts in the same decision and the grid
sees no step. docs/control.md tells the whole rule.

The variable load's target is continuous while the variator takes whole percents: the command is the
whole percent under the target, and the loop integrates what the meter then shows, so the commands
alternate between the two percents around the target and average to it (a first-order sigma-delta
modulator, closed through the real house). The same integration absorbs calibration errors.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from core.relay_dwell import DOUBT_RETRY_S, RelayClock
from core.relay_learning import RelayLearning
from equipments.base import Equipment
from equipments.constant import ConstantEquipment, RelayEquipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment

log = logging.getLogger(__name__)

# Two decisions further apart than this (a silence, a restart) say nothing about a trend of production,
# and an import seen at both is not counted over the whole gap.
MAX_GAP_S = 10.0
# Each decision moves production's smoothed rate of change 30 % of the way to its own. The day's own rise is
# under 1 W/s on a house array, and a meter's +-10 W of noise a reading, smoothed so, moves the rate by about
# 1 W/s (3 W/s at most, at a reading every 2 s): both stay under the default `rising_rate` (5 W/s), which a
# sun coming back after a cloud passes.
RISE_SMOOTHING = 0.3
# A relay waits for the rise only for a relay before it that the rise, going on at its rate, would cover within
# this many seconds (a 3 kW relay behind 2 kW of surplus is no reason to keep a 600 W one off), and within a
# tenth of the waiting relay's own min_on_s, the hold the wait spares (the sped-up demo divides the dwell by
# its speed, so its horizon shrinks as much).
RISE_HORIZON_S = 60.0
RISE_HORIZON_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class ControlParams:
    """The loop's knobs (the `[evaluate]` section)."""

    setpoint_w: float  # export kept flowing to the grid (the seed's `margin`)
    gain: float  # share of the error corrected per decision: 1 is dead-beat, less is gentler on noise
    import_guard_w: float  # import above this sheds a relay whatever its dwell, once the energy imported
    import_guard_s: float  # reaches import_guard_w x import_guard_s
    anticipate: float = 1.0  # share of the last production fall taken again ahead (0: off)
    anticipate_rise: float = 0.0  # share of a rise of production seen twice in a row taken again ahead (0: off)
    dither_import_w: float = 5.0  # the most a whole percent over the surplus may import (the sigma-delta's upper one)
    # Production rising faster than this (W/s, smoothed: RISE_SMOOTHING) is the sun coming back after a cloud: a
    # relay waits while a relay before it, free to come on, is one the rise would soon cover (_switch_relays);
    # 0: off.
    rising_rate_w_s: float = 5.0


@dataclass(slots=True)
class _Continuous:
    """A load of continuous power: the loop's target and what its command made the load believed at."""

    target_w: float = 0.0
    believed_w: float = 0.0  # a different belief at the next decision: someone else (force, stale) moved it


def relay_power_w(load: RelayEquipment) -> float | None:
    """The watts a relay draws when on, as far as the controller knows (None: never measured)."""
    if isinstance(load, ConstantEquipment):
        return load.on_power_w
    if isinstance(load, UnknownEquipment):
        if load.learned_power_w is not None:
            return load.learned_power_w
        return load.current_power_w if load.is_on else None
    return load.max_power_w


class ClosedLoop:
    """The controller's state across decisions (targets, dwell clocks, the import guard)."""

    def __init__(self, params: ControlParams) -> None:
        self.params = params
        self._continuous: dict[str, _Continuous] = {}
        self._clocks: dict[str, RelayClock] = {}
        self._beliefs_moved_w = 0.0  # this decision's: see decide
        # The import guard's count (watt-seconds): a reading over the guard level adds its import since the last
        # reading, one at or under it (or an export) takes back what a reading at the level adds (_guard_due).
        self._import_ws = 0.0
        self._guard_seen: tuple[float, float] | None = None  # (grid watts, time) at the last decision
        self._last_production: tuple[float, float] | None = None  # (watts, time) at the last decision
        self._last_change_w = 0.0  # production's change from the decision before that one to the last
        self._rise_w_s = 0.0  # production's rate of change, smoothed (RISE_SMOOTHING), W/s
        self.learning = RelayLearning()
        # Relays switched off before their dwell, by name: by the import guard, or a measuring trial that
        # did not fit (the benchmark checks every short stretch against these).
        self.guard_sheds_by: dict[str, int] = {}
        self.trial_sheds_by: dict[str, int] = {}

    @property
    def guard_sheds(self) -> int:
        """Relays the import guard switched off against their dwell, since start."""
        return sum(self.guard_sheds_by.values())

    @property
    def trial_sheds(self) -> int:
        """Loads of unknown power measured too big for the surplus and switched off at once, since start."""
        return sum(self.trial_sheds_by.values())

    # --- one decision -------------------------------------------------------------------------------
    def decide(self, loads: Sequence[Equipment], consumption_w: float, production_w: float, now: float,
               measures_wait: bool = False, relays_wait: Collection[str] = ()) -> str:
        """Command the regulated `loads` (priority order) for these readings; returns a one-line summary.
        `measures_wait`: another load's believed watts are in doubt (a heater suspected full, or the house just
        fell by part of its watts), so a load of unknown power, measured by the house's step less the others'
        beliefs, does not switch on yet. `relays_wait`: names of the relays after a load held at 0 W for a moment
        (a full-tank re-probe, left out of `loads`): none switches on in its place (one did, and its min_on_s
        kept the heater 1 kW short for ten minutes)."""
        for load in loads:  # every relay's clock sees a switch made by anyone (the start, a force, an unforce)
            if isinstance(load, RelayEquipment):
                self._clock(load).seen(load.is_on, load.last_command_at)
        # Forced loads are the user's; full tanks draw nothing whatever we command: both are part of the
        # house for the loop, which sees them only through the meter.
        loads = [load for load in loads if not load.is_forced() and not load.overed]
        grid_w = consumption_w - production_w
        # (what the relays learned from this reading moved their beliefs by: a measure starting now needs it)
        self._beliefs_moved_w = self.learning.observe(loads, consumption_w, now)
        error_w = -grid_w - self.params.setpoint_w  # > 0: more export than wanted, the loads may take more
        fall_w, rise_w = self._anticipated_w(production_w, now)
        error_w += fall_w
        # The loads' total as the loop counts it (a continuous load at its target), and as their commands are
        # believed to draw (a continuous load at its whole percent's watts): the meter shows the latter.
        current_w = believed_w = give_back_w = 0.0  # (give_back_w: the continuous loads' believed watts)
        for load in loads:
            counted_w = self._current_w(load)
            current_w += counted_w
            if isinstance(load, RelayEquipment):
                believed_w += counted_w
            else:
                believed_w += load.current_power_w
                give_back_w += load.current_power_w
        # What keeps the relays on: the loads' total for a grid at 0 W, as the meter shows it (the heater at
        # its command's watts: its target holds the sigma-delta's carry, up to a percent step the meter never
        # saw). Neither the setpoint (the variable loads' target) nor the anticipated fall (a guess the
        # variable loads take back at the next reading if it was wrong) switches a relay off: off on it, a
        # relay rests its min_off_s with its watts exported, as a noisy production reading made a 600 W one
        # do at 26 W of real export.
        keep_total_w = believed_w - grid_w
        # A rise taken ahead is for the variable loads only: a relay switched on on a guess is shed at the
        # next reading, or kept on importing by its dwell.
        total_w = max(0.0, current_w + self.params.gain * (error_w + rise_w))
        guard = self._guard_due(grid_w, now, give_back_w)
        # The relays decide on the whole error: `gain` damps the continuous loads' correction (a meter that
        # averages), while a relay's switch is one decision on the surplus the meter shows. Damped, a relay
        # needed power / gain of export to come on (2 kW for a 1 kW radiator at gain 0.5). They decide on what
        # the meter shows, the heater at its command's watts: judged on its target, 10 W of carry switched a
        # 1000 W radiator on at 990 W of surplus, to import 10 W for its whole min_on_s.
        relay_total_w = max(0.0, believed_w + error_w)
        waiting: list[str] = []
        # (the relays on before this decision: only the damped loop's share kept below asks which it switched on)
        were_on = {load.name for load in loads if isinstance(load, RelayEquipment) and load.is_on} \
            if self.params.gain < 1 else set()
        relays_on_w = self._switch_relays(loads, relay_total_w, keep_total_w, guard, consumption_w, now,
                                          measures_wait, waiting, relays_wait, importing=grid_w > 0)
        if self.learning.switched > 1:
            # (one step of the house for several relays: a load of unknown power switched off among them must not
            # take all of it for its own at the next reading)
            for load in loads:
                if isinstance(load, UnknownEquipment):
                    load.forget_off_step()
        # What the continuous loads could draw with the grid at 0 W, on their commands' believed watts, plus what
        # a command may import: no whole percent over it, the sigma-delta's upper one included (see
        # _share_continuous). The grid counts at `gain`, as in the loop: a meter that averages shows a step over
        # a few readings, and the bound taking it whole would move the heater twice. A rise taken ahead is a
        # chosen guess, allowed too.
        free_w = believed_w - relays_on_w + rise_w + self.params.dither_import_w
        import_free_w = free_w - self.params.gain * grid_w
        whole_free_w = free_w - grid_w  # (the same bound with the grid taken whole: at gain 1 they are one)
        available_w = total_w - relays_on_w
        kept_w: dict[str, float] = {}
        if grid_w > 0 and self.params.gain < 1:
            # While the grid imports, a relay switched off (the guard's shed, the rule's) hands its watts over to
            # the continuous loads only as far as a grid at 0 W: at `gain` under 1 the total moves by part of the
            # import, and the continuous loads took the rest of the relay's watts, raised into the import the
            # shed answered (1000 W shed into a 1380 W import at gain 0.5: the heater raised 300 W, 680 W of
            # import left instead of 380 W).
            import_free_w = min(import_free_w, max(give_back_w, whole_free_w))
        elif self.params.gain < 1:
            # A relay switched on after a continuous load, on the whole surplus, takes its watts from that surplus,
            # not from the continuous loads before it, which keep their own damped move, up to what the whole
            # surplus leaves them: taken from the damped total, a 300 W relay switched on with 540 W exported
            # lowered the heater before it from 1860 to 1820 W at gain 0.5, a lower priority taking power a
            # higher one could use. (At gain 1 the total is the whole surplus: nothing to keep.)
            kept_w = self._switched_on_after_continuous(loads, were_on)
            lent_w = sum(kept_w.values())
            available_w = min(available_w + lent_w, max(available_w, relay_total_w - relays_on_w))
            import_free_w = min(import_free_w + lent_w, max(import_free_w, whole_free_w))
        continuous_w = self._share_continuous(loads, available_w, now, import_free_w, kept_w)
        log.debug("grid %+.0f W (export setpoint %.0f W): loads %.0f W -> %.0f W", grid_w, self.params.setpoint_w,
                  current_w, total_w)
        # The summary (the status's last_decision) says what was commanded, not what the loop wanted: after a
        # restart every relay rests its min_off_s, and "loads 0 W -> 1580 W" with all of them off reads wrong.
        summary = f"grid {grid_w:+.0f} W: loads {believed_w:.0f} W -> {relays_on_w + continuous_w:.0f} W"
        if waiting:
            # (the relays are judged on the undamped total: at gain < 1 it is the larger)
            summary += f" ({max(total_w, relay_total_w):.0f} W wanted; waiting: {', '.join(waiting)})"
        return summary

    @staticmethod
    def _switched_on_after_continuous(loads: Sequence[Equipment], were_on: Collection[str]) -> dict[str, float]:
        """The relays this decision switched on that come after a continuous load, with their watts."""
        switched: dict[str, float] = {}
        after_continuous = False
        for load in loads:
            if not isinstance(load, RelayEquipment):
                after_continuous = True
            elif after_continuous and load.is_on and load.name not in were_on:
                switched[load.name] = relay_power_w(load) or 0.0
        return switched

    def _anticipated_w(self, production_w: float, now: float) -> tuple[float, float]:
        """What the loads take ahead of the next reading: (the fall, <= 0; the rise, >= 0).

        The command acts a reading later; a cloud that made production fall keeps making it fall for a
        few readings. Taking the last fall again ahead (`anticipate`) halved the import on the cloudy day.
        A rise is taken ahead only when the reading before rose too (`anticipate_rise` of the smaller of the
        two; off by default): a meter's noise seldom rises twice in a row, and importing on a wrong guess
        costs more than exporting on one. Also keeps production's smoothed rate of change (`_rise_w_s`, for
        the relays' wait while it rises), started again after a gap or a clock stepped back."""
        last, self._last_production = self._last_production, (production_w, now)
        before_w, self._last_change_w = self._last_change_w, 0.0
        if last is None or not 0 < now - last[1] <= MAX_GAP_S:
            self._rise_w_s = 0.0
            return 0.0, 0.0
        change_w = self._last_change_w = production_w - last[0]
        self._rise_w_s += RISE_SMOOTHING * (change_w / (now - last[1]) - self._rise_w_s)
        rise_w = self.params.anticipate_rise * min(change_w, before_w) if change_w > 0 and before_w > 0 else 0.0
        return self.params.anticipate * min(0.0, change_w), rise_w

    def _current_w(self, load: Equipment) -> float:
        """What `load` counts for in the loads' total: a relay its watts when on, a continuous load the
        loop's target (not the whole-percent belief: that is the sigma-delta's memory)."""
        if isinstance(load, RelayEquipment):
            return (relay_power_w(load) or 0.0) if load.is_on else 0.0
        state_c = self._continuous_state(load)
        if abs(load.current_power_w - state_c.believed_w) >= 0.5:
            state_c.target_w = state_c.believed_w = load.current_power_w  # moved by someone else: start there
        return state_c.target_w if load.current_power_w > 0 else 0.0

    def _continuous_state(self, load: Equipment) -> _Continuous:
        state = self._continuous.get(load.name)  # (not setdefault: that makes a new default at every call)
        if state is None:
            state = self._continuous[load.name] = _Continuous()
        return state

    def _guard_due(self, grid_w: float, now: float, give_back_w: float) -> bool:
        """True when the import has gone on long enough to shed a relay against its dwell: once the energy
        imported over `import_guard_w` reaches import_guard_w x import_guard_s, at the second reading of the
        import at the soonest. 100 W must last the whole 20 s; a 1 kW import is shed at its second reading.

        A reading over the level after one at or under it (a new step) counts only for what the continuous
        loads cannot give back (`give_back_w`, their believed watts): the rest is the step the loop answers at
        that decision. With the heater's tank full, a 2.2 kW oven switching on under two relays imported
        500 W for one more reading before the guard shed, at each of the oven's cycles, while such a first
        reading counted for nothing (serf-east's caused import in the demo house: 10.5 Wh then, 9.7 Wh
        now). The first reading of an import after an export, with nothing counted before it, sheds nothing
        on its own, however much it counts: when the import began within the time since the last reading
        (up to MAX_GAP_S after lost readings) is unknown, and the relays free to go off answer it at this very
        decision.

        Then each reading over the level adds its import for the time since the last; one at or under the
        level takes back what a reading at the level would add, rather than emptying the count: an import
        that dips under the level every other reading (a hob pulsing, a house at the edge) still reaches the
        guard (emptied, 1 kW and 90 W in turn went on for the relay's whole min_on_s)."""
        level_w, full_ws = self.params.import_guard_w, self.params.import_guard_w * self.params.import_guard_s
        last, self._guard_seen = self._guard_seen, (grid_w, now)
        held_s = 0.0 if last is None else min(max(0.0, now - last[1]), MAX_GAP_S)  # (a clock stepped back: 0)
        # (the first reading of an import after an export, with nothing counted before it, sheds nothing on its
        # own; an import that alternates with an export keeps its count, and is shed)
        first = last is None or (last[0] <= 0 and self._import_ws == 0)
        if grid_w > level_w:
            counted_w = grid_w - max(give_back_w, 0.0) if last is None or last[0] <= level_w else grid_w
            if counted_w > level_w:
                # (full is full: an import no relay could answer must not leave a store that sheds the next
                # relay at its first watt of import)
                self._import_ws = min(self._import_ws + counted_w * held_s, full_ws)
        else:
            self._import_ws = max(0.0, self._import_ws - level_w * held_s)
        return grid_w > 0 and self._import_ws >= full_ws and not first

    # --- relays: decided first, the continuous loads take what is left -------------------------------
    def _switch_relays(self, loads: Sequence[Equipment], total_w: float, keep_total_w: float, guard: bool,
                       consumption_w: float, now: float, measures_wait: bool, waiting: list[str],
                       relays_wait: Collection[str] = (), importing: bool = False) -> float:
        """Switch the relays for a total of `total_w`, none left on that `keep_total_w` (the total for a grid
        at 0 W) does not cover; returns the watts the relays left on draw (no load of unknown power switched
        on while `measures_wait`, nor tried while the grid is `importing`). Each relay the surplus covers but
        that stays off is added to `waiting`, with what it waits for."""
        left_w = total_w  # what the loads from here on may take, the ones before at their max
        # An on relay is judged on the keep total: what the on decision holds back more (the setpoint, the
        # anticipated fall) is given back to its hysteresis band too.
        keep_margin_w = keep_total_w - total_w
        on_w = 0.0
        wanted_off: list[RelayEquipment] = []  # on, wanted off, held by their dwell
        # Whether each relay's dwell lets it switch now (only its own switch, below, restarts its clock), and
        # the watts of those it holds on; each relay's clock, by index, fetched once for the decision.
        free: list[bool] = []
        held_w: list[float] = []
        clocks: dict[int, RelayClock] = {}
        for index, load in enumerate(loads):
            if isinstance(load, RelayEquipment):
                clock = clocks[index] = self._clock(load)
                if clock.doubted is not None and isinstance(load, UnknownEquipment):
                    self._retry_doubted(load, clock, now)
                allowed = clock.allows(load.min_on_s, load.min_off_s, now)
                free.append(allowed)
                held_w.append(0.0 if allowed or not load.is_on else relay_power_w(load) or 0.0)
            else:
                free.append(False)
                held_w.append(0.0)
        # Watts of relays waiting out their on delay: not free for the relays after them, or a lower relay
        # would switch on in their place and its dwell keep them off.
        waiting_w = 0.0
        # A load of unknown power is measured by the house's step at the next reading: it switches on
        # alone, in a decision where no other relay switches, or the two steps would be taken for one. So is a
        # trial shed as too big, by its step down (measuring_off): a relay after it switching on in the same
        # decision threw that measure away, and a plug measured at 2500 W with a kettle stayed off for good.
        switched = measuring = measuring_off = False
        # While production rises (the sun back after a cloud), a relay does not switch on after an off relay
        # that may switch on and that the rise would soon cover: switched on, the lower relay's min_on_s would
        # hold that one off. Switched on at 17:35 on Payerne 06-29 (demo house), the towel dryer kept the
        # radiator, which the surplus covered 30 s later, off for its ten minutes (capture 98.85 %; 99.11 %
        # waiting).
        rate_w_s = self.params.rising_rate_w_s
        rising = 0 < rate_w_s < self._rise_w_s and self._last_change_w > 0
        # The least shortfall of the off relays before this one that may switch on (free by their dwell, not
        # an idle appliance) and are not covered yet: one covered and off waits out an on delay or a measure,
        # its watts already kept for it.
        before_short_w = math.inf
        for index, load in enumerate(loads):
            if not isinstance(load, RelayEquipment):
                left_w -= load.max_power_w
                continue
            power_w = relay_power_w(load)
            hysteresis_w = load.hysteresis_w
            on = load.is_on
            # An off relay's: what the surplus lacks to cover it (<= 0: covered); none for an appliance found idle.
            shortfall_w = math.inf
            if on:
                # Within the hysteresis band the variable loads before it give back what it lacks; never
                # so far that the loads' total with no export at all cannot cover the relays left on (that
                # would be import). So a relay with no variable load to give back stays on while the meter
                # shows any export: off 1 W short of a 10 W setpoint, or on a fall only foreseen, it would
                # rest its min_off_s with all its watts exported.
                want = (power_w is not None and left_w + keep_margin_w >= power_w - hysteresis_w
                        and keep_total_w - on_w - power_w >= 0)
                clock = clocks[index]
                if clock.trial and want and not (isinstance(load, UnknownEquipment) and load.measuring):
                    clock.trial = clock.retrying = False  # measured, and it fits: from now on it keeps its dwell
            else:
                # What the relays after it, held on by their dwell, will draw anyway is not free for it.
                free_w = left_w - sum(held_w[index + 1:]) - waiting_w
                if self._may_try(load, now):
                    # (a load of unknown power is tried on some free watts at least: with hysteresis = 0 and none
                    # free it was "switched on" at 0 W, stayed off, and took the house's noise for its watts)
                    shortfall_w = (power_w if power_w is not None
                                   else max(hysteresis_w, UnknownEquipment.IDLE_W)) - free_w
                claim_w = power_w if power_w is not None else free_w  # (an unknown power takes what is free)
                covered = shortfall_w <= 0
                clock = clocks[index]
                on_delay_s = clock.on_delay_s(load.on_delay_s, load.min_off_s)
                want = clock.covered(covered, now, on_delay_s)
                if covered and not want:
                    waiting.append(f"{load.name} (on delay)")
                    waiting_w += claim_w
                    if clock.covered_since == now:
                        log.debug("%s: the surplus covers it: on if it still does in %.0f s (on delay)", load.name,
                                  on_delay_s)
                elif (want and rising and free[index] and before_short_w
                      <= self._rise_w_s * min(RISE_HORIZON_S, RISE_HORIZON_SHARE * load.min_on_s)):
                    want = False
                    waiting.append(f"{load.name} (production rising)")
                    waiting_w += claim_w
                    log.debug("%s: waits: production is rising, and will soon cover a relay before it", load.name)
                elif want and power_w is None and importing:
                    # A trial while the grid imports would take what the variable loads give back for its own (its
                    # claim is what is free for a grid at 0 W), and its measure would hold the house's step the loop
                    # has not answered yet: it waits for a reading without import, its place kept.
                    want = False
                    waiting.append(f"{load.name} (the grid imports)")
                    waiting_w += claim_w
                    log.debug("%s: waits: no trial while the grid imports", load.name)
            if want != on:
                if free[index]:
                    held_before = load.name in relays_wait
                    if want and (measuring or measuring_off or held_before
                                 or (isinstance(load, UnknownEquipment)
                                     and (switched or measures_wait or not load.house_steady))):
                        # (a switch off goes through: an import is worse than a measure to do again)
                        log.debug("%s: waits: %s", load.name,
                                  "a load before it is held at 0 W for its full-tank check" if held_before
                                  else "a load is being measured alone" if measuring or measuring_off
                                  else "it is measured alone" if switched
                                  else "the house is on the move (the same way at the last two readings): "
                                  "measured once it holds still" if not measures_wait
                                  else "another load's watts are in doubt (a heater suspected full, or the house "
                                  "just fell by part of its watts)")
                        waiting_w += claim_w  # its place kept, as for an on delay
                        waiting.append(f"{load.name} (measure)")
                    elif self._switch(load, want, left_w, consumption_w, loads, now):
                        switched = True
                        measuring = measuring or (want and isinstance(load, UnknownEquipment))
                elif self._failed_trial(load):
                    self.trial_sheds_by[load.name] = self.trial_sheds_by.get(load.name, 0) + 1
                    clock = clocks[index]
                    if clock.retrying:
                        clock.retrying = False  # too big twice: the figure stands
                    elif isinstance(load, UnknownEquipment) and load.learned_power_w is not None:
                        clock.doubted = (now, load.learned_power_w)
                    shed = self._switch(load, want, left_w, consumption_w, loads, now)
                    switched = switched or shed
                    measuring_off = measuring_off or shed
                elif on:
                    wanted_off.append(load)
                else:
                    waiting.append(f"{load.name} (min_off_s)")
                on, power_w = load.is_on, relay_power_w(load)  # (read again only here: nothing else switches it)
            if on:
                drawn_w = power_w or 0.0
                left_w -= drawn_w
                on_w += drawn_w
            elif rising and 0 < shortfall_w < before_short_w and free[index]:
                before_short_w = shortfall_w  # (one switched off at this decision has no shortfall: it was on)
        if guard and wanted_off:
            victim = wanted_off[-1]  # the lowest priority first
            drawn_w = relay_power_w(victim) or 0.0
            if self._switch(victim, False, 0.0, consumption_w, loads, now, guard_shed=True):
                self._import_ws = 0.0  # the next shed, if the import lasts, after as much again
                log.warning("%s: the import over %.0f W reached %.1f Wh: switched off before its minimum on "
                            "time (guard)", victim.name, self.params.import_guard_w,
                            self.params.import_guard_w * self.params.import_guard_s / 3600)
                self.guard_sheds_by[victim.name] = self.guard_sheds_by.get(victim.name, 0) + 1
                on_w -= drawn_w
                clock, min_off_s = self._clock(victim), victim.min_off_s
                rest_s = clock.min_off_s(min_off_s)
                if rest_s > min_off_s:
                    log.info("%s: shed by the guard (%d in a row): off for %.0f s at least",
                             victim.name, clock.guard_sheds, rest_s)
        return on_w

    @staticmethod
    def _retry_doubted(load: UnknownEquipment, clock: RelayClock, now: float) -> None:
        """A figure from one trial shed as too big is forgotten DOUBT_RETRY_S later, for a new trial: one reading
        could not tell the load's watts from a burst of the house at that reading. A figure measured since (its
        step down, a switch on) is no longer in doubt."""
        assert clock.doubted is not None
        doubted_at, figure_w = clock.doubted
        if load.is_on or load.learned_power_w != figure_w:
            clock.doubted = None
        elif not 0 <= now - doubted_at < DOUBT_RETRY_S:  # (or the clock stepped back: decide rather than wait)
            clock.doubted, clock.retrying = None, True
            load.learned_power_w = None
            log.info("%s: its %.0f W come from one trial, shed as too big %.0f s ago: to be measured again",
                     load.name, figure_w, now - doubted_at)

    @staticmethod
    def _may_try(load: RelayEquipment, now: float) -> bool:
        # An appliance found idle is left alone for a while (UnknownEquipment's own rule).
        return not isinstance(load, UnknownEquipment) or not load.resting(now)

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
                loads: Sequence[Equipment], now: float, guard_shed: bool = False) -> bool:
        """Switch `load` to `on`; False when the command could not be published (nothing changed)."""
        self.learning.before_switch(load, on, consumption_w, loads)
        power_w = relay_power_w(load)
        if on:
            reason = (f"surplus {left_w:.0f} W covers it" if power_w is not None
                      else f"surplus {left_w:.0f} W, power to be measured")
            sent = load.set_power(power_w if power_w is not None else left_w, now, reason)
            if sent and load.is_on and isinstance(load, UnknownEquipment):
                load.start_measuring(self._beliefs_moved_w)
        elif guard_shed:
            sent = load.set_power(0.0, now, "shed by the import guard")
        else:
            sent = load.set_power(0.0, now, f"surplus {left_w:.0f} W no longer covers it")
        if sent:  # (a command that could not be published changed nothing: no dwell to start)
            # A trial: nothing was known of its power before this switch.
            self._clock(load).switched(load.is_on, now, load.min_on_s, trial=power_w is None,
                                       guard_shed=guard_shed)
        return sent

    # --- continuous loads ------------------------------------------------------------------------------
    def _share_continuous(self, loads: Sequence[Equipment], available_w: float, now: float,
                          import_free_w: float, kept_w: Mapping[str, float] | None = None) -> float:
        """Give `available_w` to the continuous loads in order, none more than `import_free_w` leaves it (the
        watts they may draw for a grid at 0 W, plus `dither_import`); returns what their commands are believed
        to draw (the decision's summary says what was sent, not the targets). `kept_w`: watts, by relay, counted
        in both for the continuous loads before that relay only.

        The cap is where the sigma-delta stops: between two whole percents it sends the upper one part of the
        time, and when that percent is believed to draw more than the surplus, each time is an import of the
        difference (a 40-58 W step in the middle of a 2.3 kW heater's curve, against a few watts of setpoint).
        Capped, the load stays on the percent under it and the difference is exported; its target goes no
        further than the percent over the cap, so the loop does not wind up on an error it may not answer.
        docs/control.md has what it does to the replays' figures."""
        drawn_w = 0.0
        for load in loads:
            if isinstance(load, RelayEquipment):
                if kept_w:
                    # (a relay switched on past the loads before it: the loads after it come after it)
                    available_w -= kept_w.get(load.name, 0.0)
                    import_free_w -= kept_w.get(load.name, 0.0)
                continue
            take_w = min(max(available_w, 0.0), load.max_power_w)
            variable = load if isinstance(load, VariableEquipment) else None  # (a user's own class may be neither)
            floor_w = variable.least_on_w if variable is not None else 0.0
            if take_w < floor_w:
                # under min_power the triac misfires, under its first conducting percent it draws nothing: off,
                # and the surplus goes on down the list
                take_w = 0.0
            command_w = take_w
            if take_w > import_free_w:
                command_w = max(import_free_w, 0.0)
                log.debug("%s: %.0f W sent as %.0f W at most: more would import over %.0f W", load.name, take_w,
                          command_w, self.params.dither_import_w)
                # The target keeps what the sigma-delta carries, up to the percent over the cap: clamped at the
                # cap, the carry was lost at each upper percent and the mean fell short of the surplus (1030 W
                # for 1035 W between 1020 and 1040 W); unclamped, it would wind up while the cap holds.
                take_w = min(take_w, variable.watts_above(command_w) if variable is not None else command_w)
                if variable is not None and command_w < floor_w:
                    # min_power bounds the target, and the percent under it may believe less: 150 W sent as
                    # 22 % (141 W). That percent under the bound, it stays (off at once, on at the next reading,
                    # was a switch every 2 s at dawn).
                    if variable.command_for(floor_w)[1] <= command_w:
                        command_w, take_w = floor_w, max(take_w, floor_w)
                    else:
                        take_w = command_w = 0.0
            state = self._continuous_state(load)
            if load.set_power(command_w, now, f"grid feedback, {available_w:.0f} W for the variable loads"):
                state.target_w, state.believed_w = take_w, load.current_power_w
            drawn_w += load.current_power_w
            available_w -= take_w
            import_free_w -= load.current_power_w  # (what it is believed to draw: the meter will show that)
        return drawn_w
