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

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from equipments.base import Equipment
from equipments.variable import VariableEquipment

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
# Two decisions further apart than this: the house had time to move on its own (a meter's silence): no sample.
STEP_GAP_MAX_S = 10.0


def _percent(load: VariableEquipment) -> int | None:
    """The whole percent the variable load's last command sent (None: a command that sends no percent)."""
    try:
        return int(float(load.current_command().payload))
    except ValueError:
        return None


_State = dict[str, tuple[float | None, float, float | None, bool, int | None]]


def _state(loads: Sequence[Equipment]) -> _State:
    """What each load was last commanded (when, its believed watts, its force, full, a variable load's percent): a load
    commanded between two decisions by someone else (a force, a re-probe, a re-send after a boot) shows here."""
    return {load.name: (load.last_command_at, load.current_power_w, load.forced_power_w, load.overed,
                        _percent(load) if isinstance(load, VariableEquipment) else None) for load in loads}


@dataclass(slots=True)
class _Decision:
    consumption_w: float
    at: float
    before: _State  # the loads as the decision found them
    after: _State | None = None  # ...and as it left them
    moved: tuple[str, int, int] | None = None  # the one variable load it moved by a percent: (name, from, to)


class PercentSteps:
    """Each variable load's learned steps (by name, then by the lower whole percent of the step)."""

    def __init__(self) -> None:
        self._samples: dict[str, dict[int, deque[float]]] = {}
        self._last: _Decision | None = None

    def observe(self, loads: Sequence[Equipment], consumption_w: float, now: float) -> None:
        """At a decision, before it commands anything: the house reading's move since the last decision is a sample of
        the step that decision made, when it moved one variable load by one whole percent and nothing else."""
        state = _state(loads)
        last = self._last
        if last is not None and last.moved is not None and last.after == state and 0 < now - last.at <= STEP_GAP_MAX_S:
            name, from_percent, to_percent = last.moved
            load = next(load for load in loads if load.name == name)
            assert isinstance(load, VariableEquipment)
            lower = min(from_percent, to_percent)
            sample_w = (consumption_w - last.consumption_w) * (1 if to_percent > from_percent else -1)
            if abs(sample_w - self._believed_step_w(load, lower)) <= STEP_OUTLIER_W:
                self._samples.setdefault(name, {}).setdefault(lower, deque(maxlen=STEP_SAMPLES)).append(sample_w)
        self._last = _Decision(consumption_w, now, state)

    def commanded(self, loads: Sequence[Equipment]) -> None:
        """After the decision's commands: what it moved."""
        last = self._last
        if last is None:
            return
        last.after = after = _state(loads)
        moved = [load for load in loads if after[load.name] != last.before.get(load.name)]
        if len(moved) == 1 and isinstance(moved[0], VariableEquipment) and not moved[0].is_forced():
            load = moved[0]
            before, now_on = last.before[load.name], after[load.name]
            from_percent, to_percent = before[4], now_on[4]
            # (both on: the step from off to the floor is its misfire zone's, not a percent's)
            if from_percent is not None and to_percent is not None and before[1] > 0 and now_on[1] > 0 \
                    and abs(to_percent - from_percent) == 1:
                last.moved = (load.name, from_percent, to_percent)

    def forget(self) -> None:
        """A meter fell silent: the next sample waits for two decisions in a row."""
        self._last = None

    @staticmethod
    def _believed_step_w(load: VariableEquipment, lower: int) -> float:
        return load.percent_w(lower + 1) - load.percent_w(lower)

    def step_w(self, load: VariableEquipment, lower: int) -> float:
        """The real watts of the step from `lower` % to the percent over it: learned, or as the calibration believes."""
        samples = self._samples.get(load.name, {}).get(lower)
        if samples is None or len(samples) < STEP_SAMPLES_MIN:
            return self._believed_step_w(load, lower)
        return median(samples)

    def error_w(self, load: VariableEquipment, from_percent: int, to_percent: int) -> float:
        """How much more the load really moves from `from_percent` to `to_percent` than its calibration believes (W,
        signed as the move: going down, a learned step smaller than believed leaves more drawn)."""
        steps = self._samples.get(load.name)
        if not steps:
            return 0.0
        lower, upper = sorted((from_percent, to_percent))
        error_w = sum(self.step_w(load, step) - self._believed_step_w(load, step)
                      for step in range(lower, upper) if step in steps)
        return error_w if to_percent >= from_percent else -error_w
