"""A relay's figure from a step confirmed (core/relay_learning.py measures and confirms the steps): learned whole,
smoothed, confirmed or replaced as the step is clean or not; a step out of the relay's plausible range said (did it
draw its watts?) and, once such steps agree, learned off its label and said for the user to fix it. A mixin of
RelayLearning, which sets the state it declares: apart from the step's measure at the readings, for the rules of what a
step teaches are a job of their own."""

from __future__ import annotations

import logging

from equipments.constant import ConstantEquipment

# (the learning's lines keep the name they had before its figures were split from it: a user's filter on it still
# finds them)
log = logging.getLogger("core.relay_learning")

# Each new measure moves the learned figure by 30 %: one disturbed step cannot move it far.
SMOOTHING = 0.3
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

class RelayFigures:
    """The part of RelayLearning that learns a relay's figure from its confirmed steps."""

    # The learning's state these use (set by RelayLearning.__init__, which says what each is).
    _clean: set[str]
    _off_label: dict[str, list[tuple[float, bool, bool]]]
    _said_off_label: set[tuple[str, str]]
    _no_step_on: set[str]

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
