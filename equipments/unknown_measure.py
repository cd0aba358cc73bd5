"""What a load of unknown power (equipments.unknown) sees of the house, to measure itself by the house meter: the
house without it and how that moves, the base at its switch on, the house with it and at its switch off, and the
belief a force set it at, never measured. The load decides what a step means (idle, the house moved, learned)."""

from __future__ import annotations

# A switch off is measured too (the house's step down at the next decision's reading), if that reading comes
# within this of the last reading while on: a later one may show the house changed as well. (Decisions come
# `period` apart: 10 s left the seed's `period = 10` no measure at all; nothing is measured across a silent
# meter: StaleGuard calls forget_the_house.)
OFF_STEP_MAX_S = 30.0
# ...or within this many of the house meter's paces, when longer (HouseMeasure.follow_pace): a reading lost (two
# paces), the next up to a quarter of a pace late. 30 s is 15 readings of a PZEM every 2 s, but a reading and a half of
# a meter every 20 s: one reading lost, or a decision held a reading, and neither its step down nor a ramp was seen.
OFF_STEP_PACES = 2.5
# Its measure is the house's step less the other loads' beliefs: a house that moved the same way by more than
# this at each of the last two readings is on the move (an appliance ramping up), and would put its next move
# into the measure (a 500 W plug measured at 561 W on a house rising 61 W a reading). It is not switched on to
# be measured then: a ramp delays it until it ends. One move is a step, most likely over: waiting a reading
# after each (an oven's cycle) cost capture for nothing. (A meter's +-10 W of noise moves it by 20 W at most.)
# Readings further apart than OFF_STEP_MAX_S (or OFF_STEP_PACES of the house meter's pace) tell nothing of it.
STEADY_W = 50.0


class HouseMeasure:
    """The house (consumption less the other loads' beliefs) as one load of unknown power saw it."""

    def __init__(self, off_step_max_s: float = OFF_STEP_MAX_S, steady_w: float = STEADY_W) -> None:
        self.off_step_max_s, self.steady_w = off_step_max_s, steady_w
        self._off_step_least_s = off_step_max_s  # (off_step_max_s for a fast meter: follow_pace)
        # What it saw of the house, set (and forgotten across a meter's silence) by forget:
        self.without_w: float | None  # consumption minus the other loads, last decision
        self.without_at: float | None  # that decision's time (None: it was on, or none yet)
        self.moves_w: tuple[float, float]  # how far that moved at the decision before and since, while off
        self.base_at_switch_w: float | None  # the same, at the decision that switched it on
        # Consumption minus the other loads at the last reading while on, that reading's time, and the other loads'
        # believed watts then (their move to the step down's reading: how far their beliefs' errors may reach into it).
        self.with_: tuple[float, float, float] | None
        self.off_from: tuple[float, float, float] | None  # that, when switched off: to measure the step down
        # Forced on with no house reading without it to measure it against (forced while the house meter was
        # silent, or restored forced at a start, or its measure lost to a silence): the belief the force set, never
        # measured (None: not so). Each house reading while so caps the belief (believed_at_most).
        self.unmeasured_w: float | None = None
        self.forget()

    def follow_pace(self, house_pace_s: float | None) -> None:
        """The house meter reads every `house_pace_s` (None: not known yet): two readings up to OFF_STEP_PACES of it
        apart still tell its moves and a step down, when that is longer than the least off_step_max_s."""
        if house_pace_s is not None:
            # (the longer by a comparison: on Python 3.11 max()'s call parses its keywords, every decision)
            paces_s = OFF_STEP_PACES * house_pace_s
            self.off_step_max_s = paces_s if paces_s > self._off_step_least_s else self._off_step_least_s

    @property
    def measuring(self) -> bool:
        """True between switching on and the next fresh house reading."""
        return self.base_at_switch_w is not None

    @property
    def steady(self) -> bool:
        """False while the house is on the move: it moved the same way by more than `steady_w` at each of the last
        two readings."""
        before_w, last_w = self.moves_w
        return not (min(before_w, last_w) > self.steady_w or max(before_w, last_w) < -self.steady_w)

    def start(self, beliefs_moved_w: float = 0.0) -> None:
        """Switched on: the next house reading tells what it draws, against the house the last decision saw without
        it, less `beliefs_moved_w` (see UnknownEquipment.start_measuring)."""
        before_w = self.without_w
        self.base_at_switch_w = None if before_w is None else before_w - beliefs_moved_w

    def switched_off(self, was_on: bool) -> None:
        """Switched off: a measurement under way would credit the load with a change it did not make."""
        self.base_at_switch_w = self.unmeasured_w = None
        if was_on and self.with_ is not None:
            # (the reading's time, not the switch's: the stale guard's switch off, after 10 s of a silent
            # meter, was measured against the house before the silence, a kettle since taken for the plug)
            self.off_from = self.with_

    def seen_with(self, house_w: float, now: float, others_w: float) -> None:
        """The house with the load (on, not measuring) at a decision's reading, the other loads believed at
        `others_w`."""
        self.with_ = (house_w, now, others_w)
        self.without_at, self.moves_w = None, (0.0, 0.0)

    def step_on_w(self, house_w: float, now: float, others_w: float) -> float:
        """The measuring reading: the house's step since the switch on (the measure is over); the other loads believed
        at `others_w`."""
        assert self.base_at_switch_w is not None
        self.with_ = (house_w, now, others_w)
        step_w = house_w - self.base_at_switch_w
        self.base_at_switch_w = None
        return step_w

    def step_shared(self, measured_next: bool) -> None:
        """The measuring reading holds another load's switch on too: no step of it is this load's, nor is the house
        with it at that reading (the other's belief there is no measure either: taken for the house with it, a
        force's end would measure its step down from it). `measured_next`: the next reading measures it instead,
        against the same base (the others off again by then); else the measure is over, unmade."""
        if not measured_next:
            self.base_at_switch_w = None
        self.with_ = None

    def observe_without(self, house_w: float, now: float) -> None:
        """The house without this load (off) at a decision's reading: kept, with how far it moved since the last."""
        last_w, last_at = self.without_w, self.without_at
        moved_w = house_w - last_w if last_w is not None and last_at is not None and (
            0 < now - last_at <= self.off_step_max_s) else 0.0
        self.moves_w = (self.moves_w[1], moved_w)
        self.without_w, self.without_at = house_w, now

    def step_off_w(self, house_w: float, now: float, others_w: float) -> tuple[float, float] | None:
        """The first reading after a switch off (the other loads believed at `others_w`): the house's step down since
        the last reading while on, if that came within `off_step_max_s`, and by how much the other loads' believed
        watts moved between the two (None: no step to measure)."""
        off_from, self.off_from = self.off_from, None
        if off_from is None or not 0 <= now - off_from[1] <= self.off_step_max_s:
            return None
        return off_from[0] - house_w, abs(others_w - off_from[2])

    def believed_at_most(self, house_w: float) -> float:
        """Forced on and never measured: it draws no more than the house meter shows for the house and it
        (`house_w`), nor more than the force set it at."""
        assert self.unmeasured_w is not None
        return min(self.unmeasured_w, max(0.0, house_w))

    def forget_off_step(self) -> None:
        """The next step of the house is not this load's alone."""
        self.off_from = None

    def forget(self) -> None:
        """The house seen so far is no baseline for a step after now (a meter fell silent); a force's belief never
        measured is kept."""
        self.base_at_switch_w = None
        self.without_w = self.without_at = None
        self.moves_w = (0.0, 0.0)
        self.with_ = self.off_from = None
