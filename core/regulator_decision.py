"""The regulator's decision step, apart from its routing: the loads observed on the meters' last readings (those a
reading measures first), the closed loop or Hébert's rule deciding, the field features, the meters' swap watch and the
decision's listeners told, the status published when the decision is news.

A mixin of `core.regulator.Regulator`, as `core.life_cycle` is: `_decide` is called by its routing (`_on_meter`,
`tick`) on the regulator's own state (declared below, set by `Regulator.__init__`), with no call layer more on the
replay's hot path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from core.allocation import AllocationParams, allocate, sheds
from core.control_params import max_gap_for
from core.controller import ClosedLoop
from core.decision_summary import DecisionSummary
from core.decisions import DecisionListener, snapshot
from core.hunting import LoopHunting
from core.meter_swap import SWAPPED_REASON, SwapWatch
from core.meters import MeterState
from core.shed_follow import ShedFollow
from core.stale_guard import StaleGuard
from core.status_pacing import StatusPacing
from equipments.base import Equipment
from equipments.unknown import share_the_step
from field.features import FieldFeatures
from settings.config import Settings
from values.shown import whole

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows, so it stays what it was.
log = logging.getLogger("core.regulator")


def _measured_first(loads: Sequence[Equipment], measured: list[int]) -> list[int]:
    """The order a decision observes `loads` in when the reading measures some (`measured`, their indexes): those
    first, as their step is shared out among them (a force beside a trial: that step is neither's)."""
    share_the_step([loads[i] for i in measured])
    return [*measured, *(i for i in range(len(loads)) if i not in measured)]


class RegulatorDecision:
    """One decision on the meters' last readings: the part of `Regulator` that runs at each decision."""

    # The regulator's state this uses (set by Regulator.__init__).
    settings: Settings
    loads: tuple[Equipment, ...]
    params: AllocationParams
    controller: ClosedLoop | None
    consumption: MeterState
    production: MeterState
    field: FieldFeatures
    _relays: tuple[bool, ...]
    _hunting: LoopHunting | None
    _swap_watch: SwapWatch
    _shed_follow: ShedFollow
    _stale_guard: StaleGuard
    _status_pacing: StatusPacing
    _decision_listeners: list[DecisionListener]
    _last_decision: str | DecisionSummary
    # (the regulator's methods this calls, declared only: an annotation is no attribute, so none of them hides the
    # method another part defines)
    publish_status: Callable[[float], None]  # core.regulator_status
    _stale_changed: Callable[[float], None]  # core.regulator_suspension

    def _decide(self, now: float) -> None:
        """Decide on the meters' last readings (the gate just let this decision through)."""
        consumption = self.consumption.last
        production_w = self.production.power_w
        assert consumption is not None and production_w is not None
        consumption_w = consumption.power_w
        # What each load drew in this reading, as far as known: a load of unknown power measured here is known better
        # than it was believed, for the others' baselines (a plug measured at 500 W after a trial at the 1180 W free
        # left a second plug, switched on at the same reading, measured at 1280 W for 600). So the loads measured here
        # are observed first, whatever their order. A load switched off here by its measure (idle, the house moved)
        # still drew in the reading, and its switch is one of this decision's.
        loads = self.loads
        house_pace_s = self.consumption.pace_s()  # (the loads of unknown power's measures and the loop's gaps)
        # (the beliefs before this decision, its measures included: a load its measure switches off here is one of the
        # decision's switches, news for the status as any; compared after its measures, a plug measured idle and
        # switched off was said on at its trial's watts until status_interval was over)
        watts_before = [load.current_power_w for load in loads]
        drawn_w = watts_before.copy()
        total_w = at_reading_w = sum(drawn_w)
        # (the relays' believed watts when the reading was taken, before this decision's measures and commands, summed
        # in the pass below: the hunting watch weighs the variable loads' moves alone, between readings at which the
        # relays held still)
        relays = self._relays
        relays_at_reading_w = 0.0
        switched = 0
        order: Sequence[int] = range(len(loads))
        # (a plain loop: a comprehension reading `loads` made it a cell, made anew at every decision)
        measured: list[int] = []
        for i in order:
            if loads[i].measuring:
                measured.append(i)
        if measured:
            order = _measured_first(loads, measured)
        for i in order:
            load = loads[i]
            before_w, commanded_at = drawn_w[i], load.last_command_at
            if relays[i]:
                relays_at_reading_w += before_w
            drew_w = load.observe_consumption(consumption_w, total_w - before_w, now, house_pace_s)
            if drew_w != before_w:
                drawn_w[i], total_w = drew_w, total_w + drew_w - before_w
            if load.last_command_at != commanded_at:
                switched += 1
        if switched and self.controller is not None:
            self.controller.learning.switched_at_reading(switched)
        if log.isEnabledFor(logging.DEBUG):  # (formatted only when said; whole: a grid at -0.3 W read "-0 W")
            log.debug("deciding: consumption %s W, production %s W, grid %s W", whole(consumption_w),
                      whole(production_w), whole(consumption_w - production_w))
        regulated = self.field.regulated(self.loads, now)
        if self.controller is not None:
            # (a decision waits for a reading of each meter: the slower one's pace spaces them; with meters every 12 s
            # each decision was taken for one after a silence, and no fall of production was ever taken ahead)
            # (the slower one's, None while neither is known: compared here rather than by max() over a comprehension,
            # two calls on Python 3.11, max() parsing its keywords)
            production_pace_s = self.production.pace_s()
            slower_s = production_pace_s if house_pace_s is None or (
                production_pace_s is not None and production_pace_s > house_pace_s) else house_pace_s
            self.controller.follow_meters(max_gap_for(self.settings.evaluate.period_s, slower_s))
            in_doubt = self.field.beliefs_in_doubt(now)
            doubted = self.field.draws_in_doubt(now, in_doubt)
            follow = self._shed_follow
            # (the house's answer to the last decision taken with a load in doubt)
            known = follow.seen(consumption_w, watts_before)
            counted_as_none: list[str] = []
            if doubted or known:
                doubted, counted_as_none = self._closed_loop_doubt(doubted)
            # (the beliefs before the decision, while a load is in doubt: its moves, for the house's answer)
            deciding_w = [load.current_power_w for load in regulated] if doubted or follow.watching else None
            self._last_decision = self.controller.decide(regulated, consumption_w, production_w, now,
                                                         measures_wait=in_doubt,
                                                         relays_wait=self.field.after_held(self.loads, now),
                                                         draws_in_doubt=doubted)
            if deciding_w is not None:
                follow.shed(consumption_w, regulated, deciding_w, counted_as_none,
                            [load.current_power_w for load in loads])
            if self._hunting is not None:
                self._hunting.after_decision(self.loads, now,
                                             (consumption_w, at_reading_w - relays_at_reading_w, relays_at_reading_w))
        else:
            self._last_decision = self._hebert(regulated, consumption_w, production_w, now, watts_before)
        self.field.after_decision(consumption_w, production_w, now)
        if self._swap_watch.after_decision(at_reading_w, consumption_w, production_w, now):
            # (safety first: left running, the loop imported every load's max; a false alarm costs the sun until a
            # restart, said in the log and the status)
            self._stale_guard.latch(SWAPPED_REASON, now)
            self._stale_changed(now)
        if self._decision_listeners:
            # (drawn_w: what each load was believed to draw when this reading came, or what the reading measured of it:
            # the day's report counted an idle trial at its claim, 1.5 Wh more than the load's own energy counter)
            record = snapshot(now, consumption_w, production_w, self.loads, self._relays, regulated, drawn_w)
            for listener in self._decision_listeners:
                listener(record)
        # The status costs more than the decision: at once for news, else at most every status_interval.
        if self._status_pacing.after_decision(self.loads, watts_before, now):
            self.publish_status(now)

    def _hebert(self, regulated: list[Equipment], consumption_w: float, production_w: float, now: float,
                beliefs: Sequence[float]) -> str:
        """Hébert's rule on these readings. A shed counts nothing of what a load in doubt gives up (a heater suspected
        full, a variator silent) only once the house did not follow its sheds (core/shed_follow.py): who is in doubt is
        asked only then, or while anything is known of a load (to forget it once out of doubt). `beliefs`: every load's
        believed watts at this reading (ShedFollow.seen)."""
        follow = self._shed_follow
        known = follow.seen(consumption_w, beliefs)
        shedding = sheds(consumption_w, production_w, self.params)
        if not shedding and not known:
            return allocate(regulated, consumption_w, production_w, self.params, now)
        field = self.field
        counted_as_none = follow.counted_as_none(field.draws_in_doubt(now, field.beliefs_in_doubt(now)))
        if not shedding and not follow.pending:
            return allocate(regulated, consumption_w, production_w, self.params, now)
        # (a decision between a shed and the reading that shows the rest of its fall is recorded too, a shed or not)
        before_w = [load.current_power_w for load in regulated]
        decision = allocate(regulated, consumption_w, production_w, self.params, now, counted_as_none)
        follow.shed(consumption_w, regulated, before_w, counted_as_none, [load.current_power_w for load in self.loads])
        return decision

    def _closed_loop_doubt(self, doubted: list[str]) -> tuple[list[str], list[str]]:
        """Of `doubted`, the loads whose draw is in doubt (a heater suspected full, a variator silent:
        FieldFeatures.draws_in_doubt), those the closed loop takes in doubt: all but those whose sheds the house was
        found to follow (core/shed_follow.py), drawing whatever the doubt (kept in doubt, each shed reaching a heater
        suspected wrongly was doubled for the whole doubt: a reading's export each time); and those found not to
        follow, whose sheds the next weighing counts as none. After ShedFollow.seen."""
        follow = self._shed_follow
        counted_as_none = follow.counted_as_none(doubted)
        followed = follow.followed
        return ([name for name in doubted if name not in followed] if followed else doubted), counted_as_none
