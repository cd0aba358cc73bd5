"""Loads on a relay whose power is not known in advance: switch, then measure the house meter. What a measure means
is here; what the load keeps between its trials and how one starts: equipments/unknown_trial.py; a force's measure
and belief: unknown_force.py; what it sees of the house: unknown_measure.py; its rests: idle_backoff.py."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from equipments.base import Equipment
from equipments.constant import RELAY_OPTIONS
from equipments.load_build import MAX_LOAD_W
from equipments.power_log import force_line
from equipments.unknown_force import ForcedTrialRelay
from settings.options import Option

log = logging.getLogger(__name__)


class UnknownEquipment(ForcedTrialRelay):
    """A relay; its watts are learned from the change of the house consumption after switching it on."""

    KIND = "unknown"
    OPTIONS = RELAY_OPTIONS + (
        Option("max_power", "float?", None,
               "upper bound of its watts, for forced mode and sanity (default 3680 W: a 16 A plug; under 50: "
               "kilowatts written for watts when it has a fraction, 2.3: refused; a whole one, 25: warned)",
               min=1, max=MAX_LOAD_W),
    )
    # Switching a load on cannot make the house draw less: a fall larger than this at the measuring reading
    # is the house (or another load's belief: a heater whose tank just cut) moving at the same moment.
    HOUSE_MOVED_W = 100.0
    # Then tried again this much later (not at once: the house is restless), or when the relay's
    # min_off_s allows under the closed loop, whichever is later.
    HOUSE_MOVED_RETRY_S = 10.0
    # A measure above max_power by more than this share (and HOUSE_MOVED_W) is a max_power too low, not the
    # meter's noise: said once (a relay shed and tried again at every reading would say it every few seconds).
    OVER_MAX_SHARE = 0.1

    def observe_consumption(self, consumption_w: float, others_w: float, now: float,
                            house_pace_s: float | None = None) -> float:
        house_w = consumption_w - others_w  # the house and this load
        self._house.follow_pace(house_pace_s)  # (which readings still tell its moves and its step down)
        if not self._house.measuring:
            if not self.is_on:
                self._house.observe_without(house_w, now)
                self._measure_off_step(house_w, now, others_w)
            else:
                self._house.seen_with(house_w, now, others_w)
                if self._house.unmeasured_w is not None:
                    self._believe_at_most(house_w, now)
            return self.current_power_w
        drew_w = self.current_power_w  # (the belief it was switched on at: what it drew, when no measure says)
        self.accumulate_energy(now)  # (the trial's seconds, held: counted below at what this reading measures)
        if self._step_shared_with:
            return self._step_not_its_own(drew_w, now)
        step_w = self._house.step_on_w(house_w, now, others_w)
        measured_w = min(self.max_power_w, max(0.0, step_w))
        self._warn_over_max(step_w)
        if self.is_forced():
            self._count_trial_at(measured_w)
            # The user's: measured, never switched off by the measure. Idle, it is believed at what it
            # draws, and its power stays to be learned.
            if measured_w >= self.IDLE_W:
                self._learn(measured_w, now)
            else:
                self.accumulate_energy(now)
                self.current_power_w = measured_w
            return measured_w
        if step_w < -self.HOUSE_MOVED_W and not self._moved_at_last_trial:
            # Not a measurement: off again, and tried afresh soon rather than after the idle wait. Once
            # only: a second spoilt trial in a row is taken as idle, so a restless house cannot cycle it.
            log.info("%s: the house fell by %.0f W as it switched on: the house moved, no measure; off, to "
                     "be tried again without the idle wait", self.name, -step_w)
            self._moved_at_last_trial = True
            self._void_trial(now, "the house moved")
            return drew_w
        self._moved_at_last_trial = False
        self._count_trial_at(measured_w)
        if measured_w < self.IDLE_W:
            # Switched on, and nothing drew: the appliance is idle (or done). Off again, so nothing stays on
            # unaccounted for, and not retried for a while so it does not hold up the loads after it.
            self._rest(now, self._idle.wait_after(self.name, measured_w))
            self.idle_offs += 1
            # Believed at its measure before the switch off, whose line starts from it: from the trial's belief it said
            # "towel: 581 W -> 0 W (idle)" just after "towel: measured 0 W after switching on: idle, off".
            self.accumulate_energy_and_believe(measured_w, now)
            self._measure_switches_off(now, "idle")
            # Measured just now: no step down to take at the next reading. Taken, the variable load's watts given
            # back at the trial and taken again (a calibration 10 % off: 148 of 1480 W) were learned as the idle plug's,
            # and it was switched on as a known load, believed at 16 W, on for the rest of the day.
            self._house.forget_off_step()
            return measured_w
        self._learn(measured_w, now)
        return measured_w

    def _step_not_its_own(self, drew_w: float, now: float) -> float:
        """The measuring reading holds another load's switch on too, a trial of the regulation's and a force
        (share_the_step): it measures neither. Measured against the other's belief, a 500 W plug tried at the 2080 W
        free, with a second plug forced on (800 W, 3680 W asked) in the same two seconds, was "the house fell by 2380 W
        as it switched on", and the forced plug was measured at 0 W against the trial's 2080 W and believed so all
        through its ten minutes (133 Wh drawn, none counted; its step down at the force's end then made the heater
        suspected full). The trial is off again, to be tried again as after a house that moved, but without its
        penalty (a second spoilt trial in a row taken as idle): the house did not move, a force stepped with it. The
        force, which cannot wait, is measured at the next reading instead, against the same house before them all
        (the trial off by then, as the regulation switches nothing else on while a load is measured). Returns
        `drew_w`, its belief: what it drew in the reading, as far as known."""
        others = ", ".join(self._step_shared_with)
        self._step_shared_with = ()
        if self.is_forced():
            self._house.step_shared(measured_next=True)  # (its trial's seconds still held: counted at that measure)
            log.info("%s: forced on as %s was switched on to be measured: one step of the house for both; measured at "
                     "the next reading", self.name, others, extra=force_line(self.name))
            return drew_w
        self._house.step_shared(measured_next=False)
        log.info("%s: %s forced on at the same reading: one step of the house for both, no measure; off, to be tried "
                 "again without the idle wait", self.name, others)
        # (not at once: tried again at this decision, its step would land in the force's measure at the next reading)
        self._void_trial(now, f"{others} forced on with it")
        return drew_w

    def _void_trial(self, now: float, why: str) -> None:
        """Its trial measured nothing (`why`): off again, to be tried again after HOUSE_MOVED_RETRY_S rather than the
        idle wait, and no step down of its own taken from that reading either (its belief there is no measure)."""
        self._rest(now, self.HOUSE_MOVED_RETRY_S)
        self.idle_offs += 1
        self._measure_switches_off(now, f"no measure, {why}")
        self._house.forget_off_step()

    def _measure_switches_off(self, now: float, reason: str) -> None:
        """Off at its measure, by the regulation (idle, or the house moved): its command's stamp kept, for the relay's
        clock to know the switch as the rule's own (measure_off_at)."""
        if self.set_power(0.0, now, reason):
            self.measure_off_at = self.last_command_at

    def _warn_over_max(self, step_w: float) -> None:
        """A max_power written below what the load draws: believed at max_power, it is switched on for too little
        surplus (and under Hébert's rule goes on and off at every reading). Said once, with what to do."""
        over_w = max(self.HOUSE_MOVED_W, self.OVER_MAX_SHARE * self.max_power_w)
        if self._said_over_max or step_w <= self.max_power_w + over_w:
            return
        self._said_over_max = True
        log.warning("%s: measured %.0f W after switching on, above its max_power of %.0f W: believed at %.0f W, "
                    "it is switched on for too little surplus; if it draws that much, raise [%s] max_power (a "
                    "house load that came on at the same moment does this too)", self.name, step_w,
                    self.max_power_w, self.max_power_w, self.name)

    def _measure_off_step(self, house_w: float, now: float, others_w: float) -> None:
        """The first reading after a switch off: the house's step down is what the load drew. Taken when it
        is smaller than the learned figure by more than the house moving would: a trial measured at 2500 W for a
        500 W plug (a kettle came on at the same reading) and shed as too big kept the plug off all day, its
        2500 W never measured again; the kettle still on when it went off, the step down says 500 W. Taken
        too when there is no figure: a load forced on before any decision had seen the house without it was
        never measured on (believed at the power the force asked, 3680 W from Home Assistant's switch). A step of
        about nothing is its appliance done while it was on: found idle, as at a try (unless the other loads'
        beliefs moved too far meanwhile for the step to tell: `others_w`, their believed watts now)."""
        measure = self._house.step_off_w(house_w, now, others_w)
        if measure is None:
            return
        measured_w, others_moved_w = measure
        learned_w = self.learned_power_w
        if -self.IDLE_W < measured_w < self.IDLE_W:
            # The step is the load's draw plus the error in the other loads' moves since the last reading while on
            # (the heater's, lowered or raised at its switch off, by its calibration's): with a heater 10 % off, a
            # 100 W plug switched off as the heater went down 1000 W stepped by 0 W, and was found idle while
            # drawing. A move smaller than its figure (than HOUSE_MOVED_W, without one) cannot hide its draw short of
            # an error of all of it: a step of about nothing then is an idle appliance. After a larger move it tells
            # nothing, as before the idle verdict at a switch off: tried on its figure, found idle at that try if so.
            if others_moved_w >= max(learned_w or 0.0, self.HOUSE_MOVED_W):
                log.debug("%s: measured %.0f W when switching off, the other loads moving %.0f W with it: no measure",
                          self.name, max(0.0, measured_w), others_moved_w)
                return
            # It drew nothing as it went off: its appliance finished while it was on (a washing machine's cycle over).
            # Found idle, as at a try: left alone for the idle wait, then tried on the spare (found_idle). Its figure
            # stays, for its next cycle. Unmarked, its next try took the relays after it on that figure, each switched
            # off for it and on again a reading later when it was measured idle. (Said at 0 W at least: the meter's
            # noise made a step of -10 W, "measured -10 W", as a try's measure never reads.)
            self._rest(now, self._idle.wait_after(self.name, max(0.0, measured_w), "when switching off",
                                                  " (its appliance done while on)"))
            return
        # (only a smaller figure: a larger one, a step disturbed by the house, would keep the load off behind it and
        # never be tested again; one too small is corrected at the next switch on)
        if not self.IDLE_W <= measured_w <= self.max_power_w or (
                learned_w is not None and measured_w >= learned_w - self.HOUSE_MOVED_W):
            return
        log.info("%s: measured %.0f W when switching off (%s when switching on)", self.name, measured_w,
                 "never measured" if learned_w is None else f"{learned_w:.0f} W")
        self.learned_power_w = measured_w

    def _learn(self, measured_w: float, now: float) -> None:
        self.learned_power_w = measured_w
        self._idle.waits_afresh()  # found drawing: the next idle wait is 5 minutes again
        self.accumulate_energy(now)
        log.info("%s: measured %.0f W after switching on", self.name, measured_w)
        self.current_power_w = measured_w
        if self.forced_power_w:
            # (forced on before it was ever measured: at what it draws now, as a force of a plug measured before
            # is; kept as asked, the status said "forced at 50 W" of a plug drawing 1800 W, and 1800 W after a restart)
            self.forced_power_w = measured_w


def share_the_step(measured: Sequence[Equipment]) -> None:
    """The loads `measured` at one reading (each switched on since the last one). The regulation tries one at a time:
    more than one is a force made beside its trial, and that step of the house is none of theirs
    (UnknownEquipment.share_the_step). (Forces alone, made within one reading, are measured in turn as before: each
    against the others' beliefs.)"""
    if len(measured) < 2 or all(load.is_forced() for load in measured):
        return
    for load in measured:
        if isinstance(load, UnknownEquipment):
            load.share_the_step(tuple(other.name for other in measured if other is not load))
