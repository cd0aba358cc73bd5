"""The closed-loop controller: regulate the measured grid flow to an export setpoint.

Each decision works on a house reading that already shows the last command's effect (the regulator
checks that). The loop is an integrator in velocity form: the regulated loads' total is moved by `gain`
times the grid error, then shared out in priority order. Relays (and loads of unknown power) switch on
only when the surplus left over the loads before them, at their max, covers them, off when it falls
`hysteresis` watts short, and they keep a minimum on and off time (core/relay_switching.py); the variable
loads take the rest (core/continuous_share.py), so when a relay switches the variable load moves by the
relay's watts in the same decision and the grid sees no step. An import that lasts sheds a relay whatever
its dwell (core/import_guard.py; its sheds: core/guard_sheds.py). docs/control.md tells the whole rule.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from core.continuous_share import ContinuousLoads
from core.control_params import ControlParams
from core.decision_summary import DecisionSummary
from core.guard_sheds import came_with_a_cloud, shed_for_import
from core.import_guard import ImportGuard
from core.percent_steps import PercentSteps
from core.production_trend import ProductionTrend
from core.relay_learning import RelayLearning
from core.relay_pass import NO_WAITS, RelayPass, relay_power_w
from core.relay_switching import RelaySwitcher
from equipments.base import Equipment
from equipments.constant import RelayEquipment
from equipments.unknown import UnknownEquipment
from values.shown import signed_whole

__all__ = ["ClosedLoop", "ControlParams"]  # (ControlParams: the regulator builds it; it lives in control_params)

log = logging.getLogger(__name__)


class ClosedLoop:
    """The controller's state across decisions: the continuous loads' targets, the relays' clocks, the import
    guard's count, production's trend."""

    def __init__(self, params: ControlParams) -> None:
        self.learning = RelayLearning()
        self._relays = RelaySwitcher(params, self.learning)
        self._continuous = ContinuousLoads(params)
        self._guard = ImportGuard(params)
        self._trend = ProductionTrend(params)
        # (the house less the loads, and production, at the last decision without import: came_with_a_cloud)
        self._before_import: tuple[float, float] | None = None
        self.params = params

    @property
    def params(self) -> ControlParams:
        """The loop's knobs; set anew, every part of the loop reads the new ones from its next decision."""
        return self._params

    @params.setter
    def params(self, params: ControlParams) -> None:
        self._params = self._relays.params = self._continuous.params = self._guard.params = self._trend.params = params

    def follow_meters(self, max_gap_s: float) -> None:
        """Two decisions up to `max_gap_s` apart are readings in a row, not a silence (control_params.max_gap_for the
        meters' pace): set before each decision, as the pace may move."""
        if self._params.max_gap_s != max_gap_s:
            self.params = replace(self._params, max_gap_s=max_gap_s)

    @property
    def percent_steps(self) -> PercentSteps:
        """The variable loads' whole-percent steps as the house meter showed them (core/percent_steps.py)."""
        return self._continuous.steps

    @property
    def guard_sheds_by(self) -> dict[str, int]:
        """Relays the import guard switched off against their dwell, by name, since start."""
        return self._relays.guard_sheds_by

    @property
    def trial_sheds_by(self) -> dict[str, int]:
        """Loads of unknown power measured too big for the surplus and switched off at once, by name."""
        return self._relays.trial_sheds_by

    @property
    def handover_offs_by(self) -> dict[str, int]:
        """Relays handed over on at an unforce that the next decision switched off (its dwell or not), by name."""
        return self._relays.handover_offs_by

    @property
    def guard_sheds(self) -> int:
        """Relays the import guard switched off against their dwell, since start."""
        return sum(self.guard_sheds_by.values())

    @property
    def trial_sheds(self) -> int:
        """Loads of unknown power measured too big for the surplus and switched off at once, since start."""
        return sum(self.trial_sheds_by.values())

    def regulation_suspended(self) -> None:
        """A meter fell silent and every unforced load went to 0 W: what was measured from the readings before is
        dropped (the relays' steps awaited, their cover's waits)."""
        self.learning.forget()
        self._continuous.steps.forget()
        self._relays.regulation_suspended()
        self._before_import = None

    def clock_stepped_back(self, step_s: float, loads: Sequence[Equipment]) -> None:
        """The wall clock stepped back by `step_s` (NTP, set by hand): the relays among `loads` keep their dwell, the
        import guard its count's time."""
        self._relays.clock_stepped_back(step_s, loads)
        self._guard.clock_stepped_back(step_s)

    def guard_clock_stepped_back(self, step_s: float) -> None:
        """A step back under CLOCK_STEP_BACK_S, measured by the shell: no step to the relays' dwell (the rest of the
        core cannot tell it from stamps out of order), but the import guard's count keeps its time."""
        self._guard.clock_stepped_back(step_s)

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing: the import guard counts none of it as
        import time (a relay shed inside its dwell for a jump, not for import)."""
        self._guard.clock_stepped_forward(step_s)

    # --- one decision -------------------------------------------------------------------------------
    def decide(self, loads: Sequence[Equipment], consumption_w: float, production_w: float, now: float,
               measures_wait: bool = False, relays_wait: Mapping[str, str] = NO_WAITS,
               draws_in_doubt: Collection[str] = ()) -> DecisionSummary:
        """Command the regulated `loads` (priority order) for these readings; returns its summary (its text when
        read: core/decision_summary.py).
        `measures_wait`: another load's believed watts are in doubt (a heater suspected full, or the house just
        fell by part of its watts), so a load of unknown power, measured by the house's step less the others'
        beliefs, does not switch on yet. `relays_wait`: names of the relays after a load held at 0 W for a moment
        (a full-tank re-probe, left out of `loads`) or after a silent variator, each with why it waits: none switches
        on in its place (one did, and its min_on_s kept the heater 1 kW short for ten minutes). `draws_in_doubt`:
        names of the continuous loads that may draw nothing whatever they are believed to (suspected full, a variator
        silent): a relay before one does not switch on over its watts (see RelayPass.doubted_w), nor does a continuous
        load before one take them, and a shed counts none of them as freed (ContinuousLoads.share); the regulator leaves
        out those whose sheds the house was found to follow (core/shed_follow.py)."""
        params = self._params  # (read once: the property costs a call at each of its uses, every decision)
        self._relays.see(loads)
        # Forced loads are the user's; full tanks draw nothing whatever we command: both are part of the
        # house for the loop, which sees them only through the meter.
        regulated: list[Equipment] = []
        outside_w = 0.0  # (what the others draw: the relays' learning takes it out of the house's step)
        force_measured = False  # (a force still to be measured at the next reading: UnknownEquipment.share_the_step)
        for load in loads:
            if load.is_forced() or load.overed:
                outside_w += load.current_power_w
                force_measured = force_measured or load.measuring
            else:
                regulated.append(load)
        # (the loads the decision sees, the forced and the full ones too: a step of the heater is learned only when
        # nothing else was commanded; one held out by the field features, a re-probe's, changes the set: no sample)
        every_load = loads
        self._continuous.steps.observe(every_load, consumption_w, now, params.max_gap_s)
        self.learning.outside_w, loads = outside_w, regulated
        grid_w = consumption_w - production_w
        # (what the relays learned from this reading moved their beliefs by: a measure starting now needs it)
        self._relays.beliefs_moved_w = self.learning.observe(loads, consumption_w, now)
        error_w = -grid_w - params.setpoint_w  # > 0: more export than wanted, the loads may take more
        fall_w, rise_w = self._trend.ahead_w(production_w, now)
        error_w += fall_w
        # The loads' total as the loop counts it (a continuous load at its target), and as their commands are
        # believed to draw (a continuous load at its whole percent's watts): the meter shows the latter.
        current_w = believed_w = give_back_w = doubted_w = 0.0  # (give_back_w: the continuous loads' believed watts)
        relays_on = False  # (a relay is on: the import guard's question)
        for load in loads:
            if isinstance(load, RelayEquipment):
                if load.is_on:
                    relays_on = True
                    drawn_w = relay_power_w(load) or 0.0
                    current_w += drawn_w
                    believed_w += drawn_w
            else:
                current_w += self._continuous.counted_w(load)
                believed_w += load.current_power_w
                give_back_w += load.current_power_w
                if draws_in_doubt and load.name in draws_in_doubt:
                    doubted_w += load.current_power_w
        # What keeps the relays on: the loads' total for a grid at 0 W, as the meter shows it (the heater at
        # its command's watts: its target holds the sigma-delta's carry, up to a percent step the meter never
        # saw). Neither the setpoint (the variable loads' target) nor the anticipated fall (a guess the
        # variable loads take back at the next reading if it was wrong) switches a relay off: off on it, a
        # relay rests its min_off_s with its watts exported, as a noisy production reading made a 600 W one
        # do at 26 W of real export.
        keep_total_w = believed_w - grid_w
        # A rise taken ahead is for the variable loads only: a relay switched on on a guess is shed at the
        # next reading, or kept on importing by its dwell.
        # (at 0 W at least: by a comparison rather than max(), whose call parses its keywords on Python 3.11, a tenth
        # of a microsecond at every decision; so below)
        total_w = current_w + params.gain * (error_w + rise_w)
        total_w = total_w if total_w > 0.0 else 0.0
        guard = self._guard.due(grid_w, now, give_back_w, relays_on=relays_on)
        # The relays decide on the whole error: `gain` damps the continuous loads' correction (a meter that
        # averages), while a relay's switch is one decision on the surplus the meter shows. Damped, a relay
        # needed power / gain of export to come on (2 kW for a 1 kW radiator at gain 0.5). They decide on what
        # the meter shows, the heater at its command's watts: judged on its target, 10 W of carry switched a
        # 1000 W radiator on at 990 W of surplus, to import 10 W for its whole min_on_s.
        relay_total_w = believed_w + error_w
        relay_total_w = relay_total_w if relay_total_w > 0.0 else 0.0
        # (the relays on before this decision: only the damped loop's share kept below asks which it switched on)
        were_on = {load.name for load in loads if isinstance(load, RelayEquipment) and load.is_on} \
            if params.gain < 1 else set()
        walk = RelayPass(relay_total_w, keep_total_w, measures_wait=measures_wait, relays_wait=relays_wait,
                         importing=grid_w > 0, heaters_give=give_back_w > 0, rising=self._trend.rising(),
                         rise_rate_w_s=self._trend.rate_w_s, draws_in_doubt=draws_in_doubt, doubted_w=doubted_w)
        # A force made as a trial was measured is measured at the next reading instead: nothing switches on with it,
        # as with a trial switched on in this pass.
        walk.measuring = force_measured
        # (the relays on, with their watts, before the rule's pass: for the guard's sheds below, when it is due)
        on_before = [(load, relay_power_w(load) or 0.0) for load in loads
                     if isinstance(load, RelayEquipment) and load.is_on] if guard else []
        self._relays.switch(loads, walk, consumption_w, now)
        relays_on_w = walk.on_w
        house_w = consumption_w - believed_w  # (the house less the loads, as believed)
        if guard:
            # The import the relays the rule switched off at this decision and the continuous loads leave: what the
            # guard's sheds must answer.
            import_left_w = grid_w - give_back_w - sum([watts for load, watts in on_before if not load.is_on])
            cloud = came_with_a_cloud(self._before_import, house_w, production_w)
            relays_on_w, shed = shed_for_import(self._relays, walk, loads, consumption_w, now, import_left_w, cloud,
                                                relays_on_w, params.import_guard_w)
            if shed:
                self._guard.shed()
        if grid_w <= 0:
            self._before_import = (house_w, production_w)
        if self.learning.switched > 1:
            # (one step of the house for several relays: a load of unknown power switched off among them must not
            # take all of it for its own at the next reading)
            for load in loads:
                if isinstance(load, UnknownEquipment):
                    load.forget_off_step()
        # What the continuous loads could draw with the grid at 0 W, on their commands' believed watts, plus what
        # a command may import: no whole percent over it, the sigma-delta's upper one included (see
        # ContinuousLoads.share). The grid counts at `gain`, as in the loop: a meter that averages shows a step over
        # a few readings, and the bound taking it whole would move the heater twice. A rise taken ahead is a
        # chosen guess, allowed too.
        free_w = believed_w - relays_on_w + rise_w + params.dither_import_w
        import_free_w = free_w - params.gain * grid_w
        whole_free_w = free_w - grid_w  # (the same bound with the grid taken whole: at gain 1 they are one)
        available_w = total_w - relays_on_w
        kept_w: dict[str, float] = {}
        if grid_w > 0 and params.gain < 1:
            # While the grid imports, a relay switched off (the guard's shed, the rule's) hands its watts over to
            # the continuous loads only as far as a grid at 0 W: at `gain` under 1 the total moves by part of the
            # import, and the continuous loads took the rest of the relay's watts, raised into the import the
            # shed answered (1000 W shed into a 1380 W import at gain 0.5: the heater raised 300 W, 680 W of
            # import left instead of 380 W).
            import_free_w = min(import_free_w, max(give_back_w, whole_free_w))
        elif params.gain < 1:
            # A relay switched on after a continuous load, on the whole surplus, takes its watts from that surplus,
            # not from the continuous loads before it, which keep their own damped move, up to what the whole
            # surplus leaves them: taken from the damped total, a 300 W relay switched on with 540 W exported
            # lowered the heater before it from 1860 to 1820 W at gain 0.5, a lower priority taking power a
            # higher one could use. (At gain 1 the total is the whole surplus: nothing to keep.)
            kept_w = self._switched_on_after_continuous(loads, were_on)
            lent_w = sum(kept_w.values())
            available_w = min(available_w + lent_w, max(available_w, relay_total_w - relays_on_w))
            import_free_w = min(import_free_w + lent_w, max(import_free_w, whole_free_w))
        # (the same two with the grid's error taken whole: a continuous load off starts on them, at its floor)
        whole = (max(0.0, current_w + error_w + rise_w) - relays_on_w, whole_free_w) if params.gain < 1 else None
        # (a load of unknown power switched on at this decision is measured by the house's step at the next reading:
        # the continuous loads after it wait a reading to go up, or their rise, with their calibration's error, is the
        # plug's; the ones before it are at their max, or it waited for them)
        continuous_w = self._continuous.share(loads, available_w, now, import_free_w, kept_w, whole,
                                              not_raised_after=walk.trial, draws_in_doubt=draws_in_doubt)
        self._continuous.steps.commanded(every_load)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("grid %s W (export setpoint %.0f W): loads %.0f W -> %.0f W", signed_whole(grid_w),
                      params.setpoint_w, current_w, total_w)
        # (the relays are judged on the undamped total: at gain < 1 it is the larger)
        wanted_w = max(total_w, relay_total_w) if walk.waiting else 0.0
        return DecisionSummary(grid_w, believed_w, relays_on_w + continuous_w, wanted_w, walk.waiting)

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
