"""Learning a relay's real watts from the house meter's step when it switches (a label says 1000 W, the
radiator draws 1050 W): what the meter moved by, less what the other loads were commanded to move by.

What the others were commanded to move by is their belief, and a heater's belief is its calibration: when the
heater moves in the same decision (the hand-over), its calibration's error is in the step. A clean step (no
other load's belief moved) is preferred: once a relay has one, steps in which another load moved teach it
nothing, and its first clean one replaces a figure learned otherwise whole.

A step is measured at the first reading after the switch and learned from once the next reading shows it alike (a
meter that averages over the switch shows part of it first); cleanness is judged at the first reading (by the next
one, the loop has answered what it showed)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from equipments.base import Equipment
from equipments.constant import ConstantEquipment, RelayEquipment

log = logging.getLogger(__name__)

# Each new measure moves the learned figure by 30 %: one disturbed step cannot move it far.
SMOOTHING = 0.3
# The other loads' beliefs moved by less than this between the switch and its reading: a clean step.
CLEAN_W = 1.0
# A relay's steps out of its plausible range are the house changing at the same time, unless they agree: this many
# in a row within this share of one another are its own watts, far from its max_power, and are learned (a 2000 W
# label on a 1000 W heater was never switched on under 2000 W of surplus; a 1000 W label on a 2000 W one was switched
# on short of 1000 W, made the house import, was shed by the guard and tried again, 11 switches an hour). Said, for
# the user to fix the label. Each step counts once the next reading shows it alike, within the same share.
OFF_LABEL_STEPS = 3
OFF_LABEL_AGREE = 0.15
# A step within this share of a figure learned from one step confirms it (a resistive load's watts follow the mains
# voltage squared: a few percent between two switches).
CONFIRM_SHARE = 0.1
# A learned figure that moves by less than this (watts, or share of it) is said at DEBUG only: no news.
LEARNED_NEWS_W = 10.0
LEARNED_NEWS_SHARE = 0.01


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


class RelayLearning:
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

    def _learn(self, load: ConstantEquipment, measured_w: float, clean: bool, on: bool, now: float) -> float:
        """A confirmed step of `measured_w` when `load` switched `on` (or off); `clean`: no other load's belief moved
        in it. Returns by how many watts that moved what it is believed to draw."""
        # (a step measured: the label no longer covers a provisional figure above it, unless the step gives it a new
        # figure, which learned_at says: ConstantEquipment.cover_w)
        load.label_tried = True
        # A step out of the load's plausible range is the house changing at the same time, not the relay
        # (the same range a figure restored from the status file must meet), unless such steps agree.
        low_w, high_w = load.plausible_learned_range_w()
        if not low_w <= measured_w <= high_w:
            if measured_w < low_w:
                if on and load.is_on:
                    self._no_step_on.add(load.name)
                # (said: a radiator whose own thermostat had cut was believed on at 1000 W for hours, its energy and the
                # day's report with it, and nothing in the log said so; the house moving at that reading does the same)
                step = f"moved the house by {measured_w:.0f} W only" if measured_w > 0 else "did not move the house"
                log.info("%s: switching %s %s: did it draw its %.0f W? (its own thermostat cut, or the house moved at "
                         "that reading); counted at its figure while on", load.name, "on" if on else "off", step,
                         load.on_power_w, extra={"limit_key": f"{load.name} no step"})
            else:
                log.debug("%s: step of %.0f W when switching is not plausible for a %.0f W load: not learned",
                          load.name, measured_w, load.on_power_w)
            # (a step in which another load moved teaches a relay with a clean figure nothing, as below: the other
            # load's calibration error is in it)
            trusted = clean or load.name not in self._clean
            return self._steps_off_label(load, measured_w, trusted, clean, now)
        self._off_label.pop(load.name, None)
        self._no_step_on.discard(load.name)
        # A heater moving in the same decision puts its calibration's error in the step: on serf-east (demo
        # house) the radiator, drawing 1050 W, went off as the heater rose 90 W on its curve and 32 W really,
        # and was learned at 1107 W; its clean switch-off at 16:04 only pulled that to 1090 W. Such a step
        # teaches a relay with a clean figure nothing; a relay without one (before a heater that always takes
        # the hand-over) learns from it.
        # A figure from one step is provisional: an appliance starting at the same reading may have made that step (a
        # kettle's 240 W taught a 1000 W radiator 1240 W, saved, and the radiator stayed off under 1150 W of surplus,
        # with no switch on to measure it again: only 30 % of a later step came off it, and none of a step in which
        # the heater moved). A step that agrees with it confirms it; the next clean step that does not replaces it
        # whole, and until then a step in which another load moved (its calibration's error in it) teaches it too.
        agrees = (load.learned_power_w is not None and abs(measured_w - load.learned_power_w)
                  <= CONFIRM_SHARE * max(measured_w, load.learned_power_w))
        if not clean and load.name in self._clean:
            if not load.learned_provisional:
                log.debug("%s: measured %.0f W when switching while the other loads moved: not learned (its figure "
                          "comes from a step where nothing else moved)", load.name, measured_w)
                return 0.0
            if agrees:
                load.learned_provisional = False
                log.debug("%s: measured %.0f W when switching while the other loads moved: its figure, %.0f W, "
                          "confirmed", load.name, measured_w, load.on_power_w)
                return 0.0
            # (a provisional figure it disagrees with: moved 30 %, below)
        before_w = None if clean and load.name not in self._clean else load.learned_power_w
        said_w, said_provisional = load.on_power_w, load.learned_provisional
        if clean:
            self._clean.add(load.name)
        if before_w is None:
            # (no figure yet, or the first clean step since the start, taken whole: confirmed if it agrees with the
            # figure it replaces, one restored at a start too)
            load.learned_at(measured_w, load.learned_off_label, provisional=not agrees)
        elif clean and load.learned_provisional and not agrees:
            load.learned_at(measured_w, load.learned_off_label, provisional=True)
        else:
            load.learned_at(before_w + SMOOTHING * (measured_w - before_w), load.learned_off_label,
                            provisional=load.learned_provisional and not agrees)
        # Said at INFO when the belief moves (by LEARNED_NEWS_W, or to a figure to be confirmed): on a day of switches,
        # a third of the log's lines said the same figure again ("measured 600 W ...; now believed at 600 W").
        moved = abs(load.on_power_w - said_w) >= max(LEARNED_NEWS_W, LEARNED_NEWS_SHARE * said_w) or \
            load.learned_provisional != said_provisional
        log.log(logging.INFO if moved else logging.DEBUG,
                "%s: measured %.0f W when switching %s; now believed at %.0f W%s", load.name, measured_w,
                "on" if on else "off", load.on_power_w,
                "" if clean or not load.learned_provisional
                else " (another load moved in the same step: to be confirmed by a step of its own)")
        return self._believe(load, now)

    @staticmethod
    def _believe(load: ConstantEquipment, now: float) -> float:
        """`load` on is believed at its figure from now; returns by how many watts that moved its belief."""
        if not load.is_on:
            return 0.0
        moved_w = load.on_power_w - load.current_power_w
        load.accumulate_energy_and_believe(load.on_power_w, now)
        return moved_w

    def _steps_off_label(self, load: ConstantEquipment, measured_w: float, trusted: bool, clean: bool,
                         now: float) -> float:
        """A step out of `load`'s plausible range (`clean`: no other load's belief moved in it; `trusted`: it may
        teach this relay): once OFF_LABEL_STEPS of them in a row agree, its watts, learned and said.
        Returns by how many watts that moved what it is believed to draw now."""
        steps = self._off_label.setdefault(load.name, [])
        steps.append((measured_w, trusted, clean))
        del steps[:-OFF_LABEL_STEPS]
        if len(steps) < OFF_LABEL_STEPS:
            return 0.0
        watts = sorted(w for w, _, _ in steps)
        middle_w = watts[len(watts) // 2]
        if middle_w <= 0 or watts[-1] - watts[0] > OFF_LABEL_AGREE * middle_w:
            return 0.0
        low_w, high_w = load.off_label_range_w()
        kind = why = ""
        if middle_w < low_w:
            kind, why = "under", ("under a quarter of it: does the relay switch it, or did its own thermostat cut? "
                                  "Check the relay and its topic")
        elif middle_w > high_w:
            kind, why = "over", (f"over four times: another load's watts? If it really draws about {middle_w:.0f} W, "
                                 f"set [{load.name}] max_power = {middle_w:.0f}")
        elif not all(trusted for _, trusted, _ in steps):
            kind, why = "moved", (f"another load moved in some of them, and such a step holds that load's calibration "
                                  f"error, while its figure, {load.on_power_w:.0f} W, comes from a step in which "
                                  "nothing else moved: check the calibration of the load that moved (a heater's "
                                  "curve)")
        if why:
            if (load.name, kind) not in self._said_off_label:
                self._said_off_label.add((load.name, kind))
                log.warning("%s: its last %d switches each moved the house by about %.0f W, against its max_power of "
                            "%.0f W: not learned (%s)", load.name, OFF_LABEL_STEPS, middle_w, load.max_power_w, why)
            return 0.0
        # From clean steps only, a clean figure (a step in which another load moved teaches it nothing more); else
        # the first clean step within a quarter of it replaces it whole.
        if all(was_clean for _, _, was_clean in steps):
            self._clean.add(load.name)
        else:
            self._clean.discard(load.name)
        steps.clear()
        before_w = load.on_power_w
        load.learned_at(middle_w, not load.within_label_w(middle_w))
        log.warning("%s: its last %d switches each moved the house by about %.0f W, against its max_power of %.0f W "
                    "(believed at %.0f W): now believed at %.0f W; if it draws that, set [%s] max_power = %.0f",
                    load.name, OFF_LABEL_STEPS, middle_w, load.max_power_w, before_w, load.on_power_w, load.name,
                    middle_w)
        return self._believe(load, now)
