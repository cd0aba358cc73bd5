"""Learning a relay's real watts from the house meter's step when it switches (a label says 1000 W, the
radiator draws 1050 W): what the meter moved by, less what the other loads were commanded to move by.

What the others were commanded to move by is their belief, and a heater's belief is its calibration: when the
heater moves in the same decision (the hand-over), its calibration's error is in the step. A clean step (no
other load's belief moved) is preferred: once a relay has one, steps in which another load moved teach it
nothing, and its first clean one replaces a figure learned otherwise whole.

A step is measured at the first reading after the switch and learned from once the next reading shows it alike (a
meter that averages over the switch shows part of it first); cleanness is judged at the first reading (by the next
one, the loop has answered what it showed). What a confirmed step teaches the relay's figure: core/relay_figures.py (a
mixin of RelayLearning)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from core.relay_figures import OFF_LABEL_AGREE, RelayFigures
from equipments.base import Equipment
from equipments.constant import ConstantEquipment, RelayEquipment

log = logging.getLogger(__name__)

# The other loads' beliefs moved by less than this between the switch and its reading: a clean step.
CLEAN_W = 1.0


@dataclass(frozen=True, slots=True)
class _Pending:
    on: bool  # switched on (True) or off
    house_without_w: float  # the house reading less every other load's belief, at the switching decision
    others_w: float  # every other load's belief then


@dataclass(frozen=True, slots=True)
class _Unconfirmed:
    """A relay's step, measured at the first reading after its switch: learned from once the next reading shows
    the same."""

    pending: _Pending
    measured_w: float
    clean: bool


class RelayLearning(RelayFigures):
    """Pending measurements, one per relay that just switched; resolved at the next decision's reading."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}
        self._switched = 0  # relays of any kind switched in the decision the pending measures come from
        # Loads of unknown power switched off by the reading this decision is made on (found idle, the house moved),
        # before it: their off is in the next reading's step with this decision's switches (a radiator switched on as
        # a plug went off as "the house moved" was learned at 850 W for 1050, the plug's 200 W in its step)
        self._at_reading = 0
        # The same two for loads of unknown power only: their belief is no measure of their step (a trial is believed
        # at the whole surplus), so a reading with one of their switches in it confirms no other step (_confirm).
        self._unknown_switched = self._unknown_at_reading = 0
        self._clean: set[str] = set()  # the relays whose figure comes from a clean step (since start)
        # Each relay's last steps out of its plausible range, in a row: watts, trusted, clean
        self._off_label: dict[str, list[tuple[float, bool, bool]]] = {}
        self._said_off_label: set[tuple[str, str]] = set()  # (relay, why) said not learned
        self._unconfirmed: dict[str, _Unconfirmed] = {}  # steps awaiting the next reading, by relay (_confirm)
        # Relays on whose switch on moved the house by less than their plausible least (draw_doubted)
        self._no_step_on: set[str] = set()
        # What the loads the loop leaves alone (forced: the user's; full tanks) are believed to draw, set at each
        # decision: a force between a relay's switch and its reading moves the house too (a heater forced to
        # 220 W then taught a 1000 W radiator 1220 W, as a clean step).
        self.outside_w = 0.0

    def before_switch(self, load: RelayEquipment, on: bool, consumption_w: float,
                      loads: Sequence[Equipment]) -> None:
        """`load` is about to switch (to `on`) on a decision made on `consumption_w`."""
        self._switched += 1
        self._no_step_on.discard(load.name)  # (a new step to measure: off, it draws nothing to doubt)
        if not isinstance(load, ConstantEquipment):
            self._unknown_switched += 1
        else:
            others_w = sum(o.current_power_w for o in loads if o is not load) + self.outside_w
            self._pending[load.name] = _Pending(on, consumption_w - others_w, others_w)

    def forget(self) -> None:
        """The regulation was suspended (a meter silent): the next reading is no measure of a switch made before the
        silence. It held the house's whole change over the silence (a relay switched off just before its meter fell
        silent, read again after an hour, was learned at 1072 W for 1000 W, saved, and came on short of surplus)."""
        self._pending.clear()
        self._unconfirmed.clear()
        self._switched = self._at_reading = self._unknown_switched = self._unknown_at_reading = 0

    def switched_at_reading(self, count: int) -> None:
        """`count` loads (of unknown power) were switched off by the reading the next decision is made on, before it
        decides."""
        self._at_reading += count
        self._unknown_at_reading += count

    def draw_doubted(self, name: str) -> bool:
        """Whether relay `name`, on, may draw nothing whatever it is believed to: its switch on moved the house by
        less than its plausible least, as when its own thermostat had cut (or the house moved at that reading). Until
        it switches again, or a step of it is learned. Its watts are no other relay's to switch on over (core.
        relay_switching: one before it, nor one after it at the decision that switches it off): switched off for a
        radiator before it, a towel dryer whose thermostat had cut freed nothing, the radiator came on into an import
        and the guard shed it 8 s later (then off for its back-off, 1 kW exported)."""
        return name in self._no_step_on

    @property
    def switched(self) -> int:
        """Relays of any kind switched in this decision so far."""
        return self._switched

    def observe(self, loads: Sequence[Equipment], consumption_w: float, now: float) -> float:
        """A reading at a decision: the first that shows a switch measures its step, the next confirms it, and the
        relay learns from a step confirmed, if it is plausible. Returns by how many watts that moved what the loads
        are believed to draw now (a relay on, believed anew)."""
        switched, self._switched, self._at_reading = self._switched, self._at_reading, 0
        unknown, self._unknown_switched, self._unknown_at_reading = self._unknown_switched, self._unknown_at_reading, 0
        moved_w = self._confirm(loads, consumption_w, unknown, now) if self._unconfirmed else 0.0
        if not self._pending:
            return moved_w
        if moved_w:
            # A relay's figure learned from this very reading moved its belief, not what it draws: the reading holds
            # its real watts, as the one the pending relays' baselines were taken on did. Taken out of their steps,
            # the move was measured as theirs (a 300 W relay switched on the decision after a 1000 W radiator drawing
            # 1050 W was learned at 250 W as the radiator's figure came in; at 0 W, "did it draw its 300 W?", as a
            # radiator drawing 1300 W was learned so off its label), and their steps judged not clean.
            self._pending = {name: _Pending(pending.on, pending.house_without_w - moved_w, pending.others_w + moved_w)
                             for name, pending in self._pending.items()}
        if switched > 1:
            # Relays switched in the same decision (a load of unknown power among them too) make one step of the
            # house: it cannot be split between them (each one's baseline was taken with the others' beliefs
            # half switched: a 1000 W radiator switched on with a 200 W towel dryer was learned at 1200 W).
            log.debug("%d relays switched in the same decision: one step of the house for all, nothing learned",
                      switched)
            self._pending.clear()
            return moved_w
        for load in loads:
            pending = self._pending.pop(load.name, None)
            if pending is None or not isinstance(load, ConstantEquipment) or load.is_on != pending.on:
                continue  # switched again by someone else meanwhile: the step is not its own
            measured_w, others_w = self._step_w(load, pending, loads, consumption_w)
            # (clean: no other load's belief moved between the switch and this reading; between this one and the next,
            # the loop answers what this one showed, which is no part of the step)
            self._unconfirmed[load.name] = _Unconfirmed(pending, measured_w,
                                                        abs(others_w - pending.others_w) < CLEAN_W)
        self._pending.clear()
        return moved_w

    def _step_w(self, load: ConstantEquipment, pending: _Pending, loads: Sequence[Equipment],
                consumption_w: float) -> tuple[float, float]:
        """What `load`'s switch moved the house by, as the reading `consumption_w` shows it (watts it draws when
        on), and what every other load is believed to draw now."""
        others_w = sum(o.current_power_w for o in loads if o is not load) + self.outside_w
        step_w = (consumption_w - others_w) - pending.house_without_w
        return (step_w if pending.on else -step_w), others_w

    def _confirm(self, loads: Sequence[Equipment], consumption_w: float, unknown: int, now: float) -> float:
        """The reading after the one that measured a step: a step it shows alike, within OFF_LABEL_AGREE, is learned
        from (`_learn`), as the first reading measured it. A house meter that averages over the switch shows part of
        the step at the first reading and the rest at the next, the same part every time (a 1050 W radiator read at
        525 W, three times alike, was learned so off its label, and shed by the guard again and again; a 1600 W one
        at 800 W, within its label's quarter, at once). A relay of known power switched since is taken out of this
        reading by its belief, as the loads that moved. After a switch of a load of unknown power (`unknown`), whose
        belief is no measure, nothing can be confirmed: a step within the relay's plausible range is learned as
        measured, as before there was a confirmation, one out of it not at all (dropped, the demo's radiator, whose
        step at 08:47 on serf-east was measured as its towel dryer of unknown power went on, waited for its next
        switch, hours later). Returns by how many watts that moved the loads' beliefs."""
        unconfirmed, self._unconfirmed = self._unconfirmed, {}
        moved_w = 0.0
        for load in loads:
            step = unconfirmed.get(load.name)
            if step is None or not isinstance(load, ConstantEquipment) or load.is_on != step.pending.on:
                continue
            if unknown:
                low_w, high_w = load.plausible_learned_range_w()
                if not low_w <= step.measured_w <= high_w:
                    log.debug("%s: a load of unknown power switched since its step of %.0f W: not confirmed, not "
                              "counted", load.name, step.measured_w)
                    continue
            else:
                again_w, _ = self._step_w(load, step.pending, loads, consumption_w)
                if abs(again_w - step.measured_w) > OFF_LABEL_AGREE * abs(again_w):
                    log.debug("%s: a step of %.0f W at the first reading after its switch, %.0f W at the next: a "
                              "meter that lags, or the house moving; not learned", load.name, step.measured_w, again_w)
                    continue
            # (the first reading's measure is learned: the loop's answer to it since moved the heater, whose
            # calibration error is in the second one)
            moved_w += self._learn(load, step.measured_w, step.clean, step.pending.on, now)
        return moved_w
