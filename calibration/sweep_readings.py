"""A step's meter readings as the sweep takes them: the watts of each one it counts, and what the readings it does not
count say when the meter falls silent (the highest above max_meter_power, the same message again, a missing field),
for the stop's message. (Out of calibration.sweep_measure; its log lines keep that module's logger.)"""

from __future__ import annotations

import logging

from calibration.meter import Refusal, Unusable, field_advice, usable_watts
from calibration.sweep_base import format_percent
from calibration.sweep_target import SweepTarget

__all__ = ["StepReadings"]

log = logging.getLogger("calibration.sweep_measure")


class StepReadings:
    """The meter's readings across the steps: `take` each, `silent_reason` once none came for `meter_timeout_s`."""

    def __init__(self, target: SweepTarget, meter_timeout_s: float) -> None:
        self.target = target
        self.meter_timeout_s = meter_timeout_s
        # The message of the last usable reading, and how many times it came again since (a frozen meter).
        self._last_reading: bytes | None = None
        self._repeats = 0
        # The highest reading above max_meter_power since the last usable one (None: none), for the stop's message.
        self._huge_w: float | None = None
        # What an unusable reading since the last usable one lacked, and what to set (None: none lacked the field)
        self._field_advice: str | None = None

    def take(self, data: bytes, percent: float) -> float | None:
        """The watts of a meter reading at the step of `percent`, remembered as the last usable one; None when it is
        not counted (noted for the stop's message)."""
        watts = usable_watts(data, self.target, self._last_reading)
        if isinstance(watts, Unusable):
            self._note_unusable(watts, percent, data)
            return None
        self._last_reading, self._repeats, self._huge_w, self._field_advice = data, 0, None, None
        return watts

    def _note_unusable(self, unusable: Unusable, percent: float, data: bytes) -> None:
        """Log a reading not counted, and remember what the stop's message names (silent_reason): the highest
        reading above max_meter_power, how many times the last one came again."""
        at = format_percent(percent)
        if unusable.refusal is Refusal.ABOVE_MAX:
            assert unusable.watts is not None
            self._huge_w = max(self._huge_w or 0.0, unusable.watts)
            log.debug("reading above max_meter_power at %s %%: %r", at, data)
        elif unusable.refusal is Refusal.FROZEN:
            self._repeats += 1
            log.debug("the same message as the last reading at %s %%: not counted", at)
        else:
            if self._field_advice is None:  # (a reading without the field: the stop says what to set)
                self._field_advice = field_advice(data, self.target, f"[{self.target.name}] json_read_power")
            log.debug("unusable reading at %s %%: %r", at, data)

    def silent_reason(self) -> str:
        """Why the sweep stops when no usable reading came for meter_timeout (the broker up): a silent meter, or a
        frozen one."""
        topic, timeout = self.target.topic_read_power, self.meter_timeout_s
        if self._huge_w is not None:
            return (f"the meter on {topic} read up to {self._huge_w:.0f} W, above [evaluate] max_meter_power "
                    f"({self.target.max_meter_power_w:g} W), and nothing below it for {timeout:g} s: such readings "
                    f"are refused, here as in the daemon. Set max_meter_power above what the load draws (it "
                    f"filters out glitched readings; it is no limit of the house's supply)")
        if self._repeats:
            return (f"the meter on {topic} sent the very same message {self._repeats} times and no other usable "
                    f"reading for {timeout:g} s: it looks frozen (its sensor loop hung); reboot it (a PZEM takes "
                    f"'reboot' on {topic}/cmd)")
        advice = f" ({self._field_advice})" if self._field_advice is not None else ""
        return f"the meter on {topic} gave no usable reading for {timeout:g} s{advice}"
