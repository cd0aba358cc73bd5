"""The real watts of a variable load's whole-percent steps, learned from the house meter.

The bound on the sigma-delta's upper percent (`dither_import`, core/continuous_share.py) is judged on the watts the
calibration believes each percent draws. A heater whose real curve is not its calibration's makes some steps far
larger than believed: the demo house's heater, believed on ECS-04's sweep and drawing ECS-02's, draws 90 W more at
80 % than at 79 % where its curve believes 10 W, so each upper percent of the dithering there imported some 80 W,
which the bound could not see. The dithering itself shows each step many times: when a decision moved a variable load
by one percent and nothing else was commanded, the house reading at the next decision (one that shows the command:
the decision gate's `settle`) less the one before is a sample of that step's real watts, the house's own move and the
meter's noise besides. The median of a step's last samples stands for it where the bound judges a percent."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from statistics import median

from equipments.base import Equipment
from equipments.variable import VariableEquipment

# (the loop's log lines keep the name they had before the loop was split in parts: a user's filter on it still
# finds them)
log = logging.getLogger("core.controller")

# A step's last samples kept; their median is believed once it has STEP_SAMPLES_MIN of them. With the meters' +-10 W
# noise, a sample is off by up to 20 W; an appliance that switches between the two readings (a fridge's 100 W) puts
# its step into one sample, which the median leaves out once the step has three (two are their mean: three asked
# before believing moved no figure of the benchmark's noisy days by more than 0.01 point, and learned more slowly).
STEP_SAMPLES = 5
STEP_SAMPLES_MIN = 2
# A sample further than this from the step's believed watts is the house's own move (an oven's 2 kW), not the heater's:
# dropped. (The calibration of another heater of the same kind is off by 90 W at one step at most: ECS-04 against
# ECS-02.)
STEP_OUTLIER_W = 150.0
# A learned step this far from its calibration's is said once a run (INFO): the calibration may be another heater's.
STEP_SAID_W = 50.0


def _stamp(loads: Sequence[Equipment]) -> tuple[float | None, ...]:
    """When each load was last commanded: a load commanded between two decisions by someone else (a force, a re-probe's
    hold, a relay) shows here. (Cheap: this runs at every decision.)"""
    return tuple([load.last_command_at for load in loads])


class PercentSteps:
    """Each variable load's learned steps (by name, then by the lower whole percent of the step)."""

    def __init__(self) -> None:
        self._samples: dict[str, dict[int, deque[float]]] = {}
        # Each learned step's real watts less its believed ones (by name, then lower percent), once it has
        # STEP_SAMPLES_MIN samples: what the bound reads at every decision, worked out only when a sample comes.
        self._errors: dict[str, dict[int, float]] = {}
        self._said: set[str] = set()  # the loads whose calibration was said to be off (STEP_SAID_W), once a run
        # The last decision: its house reading and when, the loads' command times as it left them, and the variable
        # load it moved by one percent, (name, from, to), to learn from at the next decision.
        self._consumption_w = 0.0
        self._at: float | None = None
        self._after: tuple[float | None, ...] = ()
        self._moved: tuple[str, int, int] | None = None

    def observe(self, loads: Sequence[Equipment], consumption_w: float, now: float, max_gap_s: float = 10.0) -> None:
        """At a decision, before it commands anything: the house reading's move since the last decision is a sample of
        the step that decision made, when it moved one variable load by one whole percent and commanded nothing else
        (and nothing was commanded since). Two decisions further apart than `max_gap_s`, the loop's longest gap
        (ControlParams.max_gap_s: 10 s, or two paces and a half of slower meters), are no readings in a row: the house
        had time to move on its own (a meter's silence): no sample."""
        moved, at = self._moved, self._at
        if moved is not None and at is not None and 0 < now - at <= max_gap_s and self._after == _stamp(loads):
            name, from_percent, to_percent = moved
            load = next(load for load in loads if load.name == name)
            assert isinstance(load, VariableEquipment)
            lower = min(from_percent, to_percent)
            sample_w = (consumption_w - self._consumption_w) * (1 if to_percent > from_percent else -1)
            believed_w = self._believed_step_w(load, lower)
            if abs(sample_w - believed_w) <= STEP_OUTLIER_W:
                samples = self._samples.setdefault(name, {}).setdefault(lower, deque(maxlen=STEP_SAMPLES))
                samples.append(sample_w)
                if len(samples) >= STEP_SAMPLES_MIN:
                    error_w = self._errors.setdefault(name, {})[lower] = median(samples) - believed_w
                    if abs(error_w) >= STEP_SAID_W and name not in self._said:
                        self._said.add(name)
                        log.info("%s: its step from %d to %d %% draws %+.0f W (the house meter, %d moves), where its "
                                 "calibration says %+.0f W: the loop chooses its percents on the steps it learns so; a "
                                 "calibration this far off may be another heater's (sweep it again: python3 -m "
                                 "calibration sweep)",
                                 name, lower, lower + 1, believed_w + error_w, len(samples), believed_w)
        self._consumption_w, self._at, self._moved = consumption_w, now, None

    def moved(self, load: VariableEquipment, from_percent: float | None, from_w: float) -> None:
        """The decision moved `load` from `from_percent` (believed at `from_w`) to the percent it sends now: a step to
        learn from at the next decision when it is one percent, on at both ends (from off to the floor is its misfire
        zone's, not a percent's), and the decision commands nothing else."""
        to_percent = load.sent_percent
        if self._at is not None and from_percent is not None and to_percent is not None and from_w > 0 \
                and load.current_power_w > 0 and abs(to_percent - from_percent) == 1:
            self._moved = (load.name, int(from_percent), int(to_percent))

    def commanded(self, loads: Sequence[Equipment]) -> None:
        """After the decision's commands: its move is a step to learn only if no other load was commanded at the
        decision's time (a plug switched off by its own measure as the reading came, before the decision, is one)."""
        if self._moved is None:
            return
        self._after = after = _stamp(loads)
        decided_at = self._at
        if decided_at is None or sum([at is not None and at >= decided_at for at in after]) != 1:
            self._moved = None

    def forget(self) -> None:
        """A meter fell silent: the next sample waits for two decisions in a row."""
        self._at, self._moved = None, None

    @staticmethod
    def _believed_step_w(load: VariableEquipment, lower: int) -> float:
        return load.percent_w(lower + 1) - load.percent_w(lower)

    def step_w(self, load: VariableEquipment, lower: int) -> float:
        """The real watts of the step from `lower` % to the percent over it: learned, or as the calibration believes."""
        return self._believed_step_w(load, lower) + self._errors.get(load.name, {}).get(lower, 0.0)

    def learned(self, load: VariableEquipment) -> bool:
        """True once a step of `load` is learned (until then its calibration's steps stand)."""
        return load.name in self._errors

    def error_w(self, load: VariableEquipment, from_percent: int, to_percent: int) -> float:
        """How much more the load really moves from `from_percent` to `to_percent` than its calibration believes (W,
        signed as the move: going down, a learned step smaller than believed leaves more drawn)."""
        errors = self._errors.get(load.name)
        if not errors or from_percent == to_percent:
            return 0.0
        lower, upper = (from_percent, to_percent) if from_percent < to_percent else (to_percent, from_percent)
        error_w = sum([errors.get(step, 0.0) for step in range(lower, upper)])
        return error_w if to_percent > from_percent else -error_w
