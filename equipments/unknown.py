"""Loads on a relay whose power is not known in advance: switch, then measure the house meter."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from equipments.base import FORCED_BY_USER, MAX_LOAD_W, BuildContext, Command, Equipment
from equipments.constant import RELAY_OPTIONS, RelayEquipment
from equipments.idle_backoff import IDLE_RETRY_MAX_S, IDLE_RETRY_S, IdleBackoff
from equipments.power_log import force_line
from equipments.unknown_measure import OFF_STEP_MAX_S, STEADY_W, HouseMeasure
from settings.options import Option

log = logging.getLogger(__name__)


class UnknownEquipment(RelayEquipment):
    """A relay; its watts are learned from the change of the house consumption after switching it on."""

    KIND = "unknown"
    OPTIONS = RELAY_OPTIONS + (
        Option("max_power", "float?", None,
               "upper bound of its watts, for forced mode and sanity (default 3680 W: a 16 A plug; under 50: "
               "kilowatts written for watts when it has a fraction, 2.3: refused; a whole one, 25: warned)",
               min=1, max=MAX_LOAD_W),
    )
    DEFAULT_MAX_W = 3680.0
    # A measured change under this is noise: the appliance drew nothing. (A meter's +-10 W moves a step by 20 W: at
    # 10 W an idle plug was learned at 12 or 13 W in two runs of five, then switched on as a load of its own.)
    IDLE_W = 25.0
    # The idle back-off's waits (equipments.idle_backoff: why these), on the class as before they moved.
    IDLE_RETRY_S = IDLE_RETRY_S
    IDLE_RETRY_MAX_S = IDLE_RETRY_MAX_S
    # Switching a load on cannot make the house draw less: a fall larger than this at the measuring reading
    # is the house (or another load's belief: a heater whose tank just cut) moving at the same moment.
    HOUSE_MOVED_W = 100.0
    # Then tried again this much later (not at once: the house is restless), or when the relay's
    # min_off_s allows under the closed loop, whichever is later.
    HOUSE_MOVED_RETRY_S = 10.0
    # The house's readings that measure it (equipments.unknown_measure: why these), on the class as before they moved.
    OFF_STEP_MAX_S = OFF_STEP_MAX_S
    STEADY_W = STEADY_W
    # A measure above max_power by more than this share (and HOUSE_MOVED_W) is a max_power too low, not the
    # meter's noise: said once (a relay shed and tried again at every reading would say it every few seconds).
    OVER_MAX_SHARE = 0.1

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        # Read once (the options are its config, never changed once built): asked at every decision.
        self._max_power_w = float(options.get("max_power") or self.DEFAULT_MAX_W)
        self.learned_power_w: float | None = None
        # (when, the figure): its figure comes from one trial, shed as too big, and is measured again a while later
        # (core.relay_trials.retry_doubted); saved, so that a restart meanwhile does not make it stand for good.
        self.doubted: tuple[float, float] | None = None
        # What it saw of the house (forgotten across a meter's silence by forget_the_house), to measure it.
        self._house = HouseMeasure(self.OFF_STEP_MAX_S, self.STEADY_W)
        self._idle = IdleBackoff(self.IDLE_RETRY_S, self.IDLE_RETRY_MAX_S)  # when it is tried again after a measure
        # Switched off again at the measuring reading (drew nothing, or the house moved): not a dwell to
        # keep, since start.
        self.idle_offs = 0
        # The stamp (last_command_at) of its last switch off by its own measure (idle, or the house moved): the
        # regulation's, made outside its relay pass. The relay's clock takes a command it did not see made for someone
        # else's (a force, a restart), which ends the guard's back-off row: this one must not (core.relay_dwell).
        self.measure_off_at: float | None = None
        self._moved_at_last_trial = False  # the last measurement was spoilt by the house moving
        self._said_over_max = False
        # Seconds of a trial not counted yet: its energy is counted at its measure, not at the belief it was switched
        # on at (see accumulate_energy).
        self._trial_s = 0.0
        # The other loads of unknown power switched on since the last reading as this one was, one of them or this one
        # the regulation's trial (share_the_step): set for the decision on that reading, whose observation of this
        # load takes it back.
        self._step_shared_with: tuple[str, ...] = ()

    @property
    def max_power_w(self) -> float:
        return self._max_power_w

    @property
    def measuring(self) -> bool:
        """True between switching on and the next fresh house reading."""
        return self._house.measuring

    def plausible_learned_range_w(self) -> tuple[float, float]:
        """The measured watts a saved status may restore: more than idle, at most its max_power."""
        return self.IDLE_W, self.max_power_w

    @property
    def house_steady(self) -> bool:
        """False while the house (less the other loads' beliefs) is on the move: it moved the same way by more than
        STEADY_W at each of the last two readings, and a measure now would take its next move for this load's."""
        return self._house.steady

    @property
    def idle_until(self) -> float:
        """Until when it is left alone after it was measured idle (epoch seconds; -inf: never was)."""
        return self._idle.until

    @property
    def found_idle(self) -> bool:
        """True when its last measure found it idle (since it was last found drawing, forced, or the day began): an
        appliance likely done, whose figure, if any, is from an earlier cycle."""
        return self._idle.in_a_row > 0

    def resting(self, now: float) -> bool:
        """True while it is left alone after a measure (idle, or the house moved); a wait from before the clock
        stepped back keeps its length from now (IdleBackoff.resting)."""
        return self._idle.resting(now)

    def _rest(self, now: float, wait_s: float) -> None:
        self._idle.rest(now, wait_s)

    def start_measuring(self, beliefs_moved_w: float = 0.0) -> None:
        """Just switched on by the regulation: the next house reading tells what it draws. `beliefs_moved_w`:
        by how much the other loads' beliefs moved since the deciding reading was observed (a relay's watts
        learned from that very reading): the house without this load is that much less than it seemed."""
        self._house.start(beliefs_moved_w)

    def share_the_step(self, others: tuple[str, ...]) -> None:
        """Measuring, and the loads of unknown power named `others` switched on since the last reading too, this one
        or one of them the regulation's trial (a force made as the trial was being measured): one step of the house
        holds them all, and the next observe_consumption takes it for none of them (_step_not_its_own)."""
        self._step_shared_with = others

    def command_for(self, watts: float) -> tuple[Command, float]:
        on = watts > 0
        return self._relay(on), (min(watts, self.max_power_w) if on else 0.0)

    def forced_watts(self, power_w: float) -> float:
        # (on, it draws what it was last measured at, whatever power is asked: see force)
        if power_w > 0 and self.learned_power_w is not None:
            return self.learned_power_w
        return super().forced_watts(power_w)

    def force(self, power_w: float, duration_s: float | None, now: float, reason: str,
              by: str = FORCED_BY_USER) -> bool:
        # On or off: forced on, it draws what it was last measured at, whatever power is asked (kept as
        # asked, the status said "forced at 300 W" of a plug measured at 600 W).
        was_on = self.is_on
        if power_w > 0 and self.learned_power_w is not None:
            power_w = self.learned_power_w
        sent = super().force(power_w, duration_s, now, reason, by)
        if sent:
            # Someone acted on it (a new cycle started, a charger plugged in): its rest and waits start afresh.
            self._idle.start_afresh()
        if sent and power_w > 0 and not was_on and self._house.without_at is not None and not self._kept_unsteady():
            # The next house reading tells what it draws, not the power asked (Home Assistant's force switch asks its
            # max_power, 3680 W by default), nor its last figure (a plug learned at 500 W, forced on for an hour
            # drawing 2000 W, was counted 500 Wh and still believed at 500 W after): measured at each switch on, as
            # the regulation's are. Only against the house the last
            # decision saw without it: on at that decision (forced, idle, and unforced since), the house without
            # it was older (an hour's, 800 W lower: the idle plug forced again was believed at 800 W). And only on a
            # steady house, as the regulation's trials (_kept_unsteady).
            self._house.start()
        if sent and power_w > 0 and self.learned_power_w is None and not self.measuring:
            self._house.unmeasured_w = self.current_power_w
            log.info("%s: forced on with no reading of the house without it to measure it against: believed at "
                     "%.0f W (the power asked) until the house meter reads, then at no more than it shows; measured "
                     "when the force ends", self.name, self.current_power_w, extra=force_line(self.name))
        return sent

    def _kept_unsteady(self) -> bool:
        """Forced on while the house is on the move (house_steady): True, its figure kept, when it has one. As the
        regulation's trials wait for a steady house, so that the house's next move is not taken for the load's (a 600 W
        plug forced on as a heat pump ramped up was believed at 1200 W all through its force); a force cannot wait,
        and no later step measures it while forced on (its step down at the force's end may, if smaller). Never
        measured, it is measured anyway: a ramp's move is nearer its watts than the power the force asked."""
        if self.learned_power_w is None or self.house_steady:
            return False
        log.info("%s: forced on while the house is on the move: believed at its %.0f W, not measured (the house's "
                 "next move would be taken for its own)", self.name, self.learned_power_w,
                 extra=force_line(self.name))
        return True

    def set_power(self, watts: float, now: float, reason: str) -> bool:
        if watts <= 0:
            # Off (shed, silent meter, unforce, stop...): a measurement under way would credit this load
            # with a change it did not make.
            self._house.switched_off(self.is_on)
        return super().set_power(watts, now, reason)

    def increase_power_by(self, watts: float, now: float) -> float | None:
        if self.is_on or self.measuring:
            return watts
        if self.resting(now):
            return watts  # it drew nothing last time: let the others have the surplus for a while
        if self.learned_power_w is not None and watts < self.learned_power_w:
            # It drew more than this last time: switching it on would import. Like a known relay.
            return watts - self.learned_power_w
        # Believed at what it last drew (or what is free) until the next reading tells the truth.
        if self.set_power(self.learned_power_w or watts, now, f"surplus {watts:.0f} W, power to be measured"):
            self._house.start()
        return None

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        # The command, not the belief, says whether it is on: a load believed at 0 W may still be on.
        if not self.is_on:
            return 0.0
        self.set_power(0.0, now, f"over-consumption {watts:.0f} W")
        return None  # what it really freed shows at the next reading

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

    def roll_day(self, midnight_at: float) -> float:
        # A new day: the appliance has likely been used since (a dishwasher loaded at night), its waits start at
        # 5 minutes again. (A trial across midnight: its held seconds are counted in the new day, at its measure.)
        self._idle.waits_afresh()
        return super().roll_day(midnight_at)

    def accumulate_energy(self, now: float) -> None:
        """As any load's, but a trial's seconds are held until its measure (_count_trial_at): counted at the belief it
        was switched on at (the whole surplus), an idle plug tried at 2980 W was credited 1.7 Wh a trial, some 30 Wh a
        day. Held, not taken back: the counter never falls (the fallback rules read a fall as midnight's reset, and
        counted the heater's whole day again at each idle trial of one of unknown power)."""
        if not self._house.measuring:
            if self._trial_s:
                self._count_trial_at(self.current_power_w)  # (a trial ended with no measure: at its belief, as before)
            super().accumulate_energy(now)
            return
        before_wh, believed_w = self.energy_wh, self.current_power_w
        super().accumulate_energy(now)  # (its gaps, clock steps and jumps as every load's)
        if believed_w > 0:
            self._trial_s += (self.energy_wh - before_wh) * 3600.0 / believed_w
        self.energy_wh = before_wh

    def _count_trial_at(self, measured_w: float) -> None:
        """The trial's held seconds counted at `measured_w` (what the reading that measures it shows it drew since it
        switched on; its belief itself changes with the command or the figure that follows)."""
        self.energy_wh += measured_w * self._trial_s / 3600.0
        self._trial_s = 0.0

    def _believe_at_most(self, house_w: float, now: float) -> None:
        """Forced on and never measured: believed at the power the force asked, it counted that much for the whole
        force (a 500 W plug at Home Assistant's 3680 W for hours: 7 times its energy, the house's power negative).
        It draws no more than the house meter shows for the house and it (`house_w`): believed at most that, at
        each reading (the house's own draw with it: no reading tells them apart until the force ends)."""
        believed_w = self._house.believed_at_most(house_w)
        if believed_w != self.current_power_w:
            self.accumulate_energy_and_believe(believed_w, now)

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

    def forget_off_step(self) -> None:
        """Another relay switched at the same decision: the next step of the house is not this load's alone."""
        self._house.forget_off_step()

    def forget_the_house(self) -> None:
        """A meter fell silent (the stale guard suspends the regulation): the house seen before the silence is no
        baseline for a step after it. Forced, the load is left as it is through the silence: a force during it
        was measured against the house before it (a 500 W plug at 2500 W, an oven on meanwhile), and so was an
        unforce's step down (a 2000 W plug at 500 W, a kettle on meanwhile). It is measured at its next switch
        after the silence instead (a force's power asked believed until then, at no more than the house meter shows
        once it reads again: _believe_at_most, a force being measured as the silence began too)."""
        # (a force measured idle kept its measure: believed at what it drew, learned when the force ends)
        if (self.is_forced() and self.is_on and self.measuring and self.learned_power_w is None
                and self._house.unmeasured_w is None):
            self._house.unmeasured_w = self.current_power_w
            log.info("%s: forced on, its measure lost to the house meter's silence: believed at no more than the "
                     "house meter shows once it reads; measured when the force ends", self.name)
        self._house.forget()

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
