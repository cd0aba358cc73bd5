"""A relay of unknown power between its trials (equipments.unknown): what it keeps of them, how the regulation starts
one (switched on, measured at the next house reading), and its energy, a trial's seconds held until that measure."""

from __future__ import annotations

from typing import Any

from equipments.constant import RelayEquipment
from equipments.idle_backoff import IDLE_RETRY_MAX_S, IDLE_RETRY_S, IdleBackoff
from equipments.load_build import BuildContext
from equipments.load_command import Command
from equipments.unknown_measure import OFF_STEP_MAX_S, STEADY_W, HouseMeasure


class TrialRelay(RelayEquipment):
    """A relay whose watts are measured by the house meter at each switch on (a trial): its figure, its rests, its
    trials' energy. What a measure means, and a force's, are its subclasses' (equipments.unknown_force, .unknown)."""

    DEFAULT_MAX_W = 3680.0
    # A measured change under this is noise: the appliance drew nothing. (A meter's +-10 W moves a step by 20 W: at
    # 10 W an idle plug was learned at 12 or 13 W in two runs of five, then switched on as a load of its own.)
    IDLE_W = 25.0
    # The idle back-off's waits (equipments.idle_backoff: why these), on the class as before they moved.
    IDLE_RETRY_S = IDLE_RETRY_S
    IDLE_RETRY_MAX_S = IDLE_RETRY_MAX_S
    # The house's readings that measure it (equipments.unknown_measure: why these), on the class as before they moved.
    OFF_STEP_MAX_S = OFF_STEP_MAX_S
    STEADY_W = STEADY_W

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

    def forget_off_step(self) -> None:
        """Another relay switched at the same decision: the next step of the house is not this load's alone."""
        self._house.forget_off_step()

