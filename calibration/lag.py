"""The house meter's lag, measured over MQTT: step the variator between two percents at known times after a house
reading, and see how much of each step the later house readings show (calibration.lag_figures reads them).

The commands fall at offsets spread over the meter's pace, so the first reading after a command comes anywhere from
just after it to a whole pace later: together the trials show how soon a reading shows a command. The link, its
events and the checks before any command are calibration.session's (as the sweep's); the load is left at the low
percent however the measure ends.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from calibration.lag_figures import MIN_STEP_W, NO_STEP, Trial, read_trial
from calibration.meter import Refusal, Unusable, field_advice, output_off_reason, usable_watts, variator_booted
from calibration.session import VariatorSession
from calibration.sweep_base import SweepStopped, format_percent
from calibration.sweep_files import hold_variator
from calibration.sweep_target import SweepTarget
from calibration.thermostat import MIN_HIGHEST_W
from calibration.tool_events import ToolEvents

__all__ = ["LagMeasure", "LagPlan", "LagStopped"]

log = logging.getLogger(__name__)

LagStopped = SweepStopped  # (the same ending: a reason, what was measured is kept)
GOLDEN_FRACTION = 0.6180339887498949


@dataclass(frozen=True, slots=True)
class LagPlan:
    """The trials of a lag measure."""

    trials: int = 16  # steps, up and down in turn
    low_percent: float = 0.0  # the level between steps up, and where the load is left
    high_percent: float = 100.0
    hold_readings: int = 4  # house readings after each command before the next (the last two make its level)
    meter_timeout_s: float = 30.0  # no usable house reading for this long: stop
    availability_wait_s: float = 1.0  # how long to wait for the regulator's retained availability


class LagMeasure(VariatorSession):
    """One lag measure; `run()` blocks until the trials are done or the measure is stopped (LagStopped, with the
    trials finished so far in `trials`)."""

    TOOL = "the lag measure"
    # (as the sweep's: the variator answers in milliseconds; without its answer, the end says the low percent was
    # sent, not that the load is at it)
    END_ANSWER_WAIT_S = 30.0  # (sent again every 2 s meanwhile: a variator back on the Wi-Fi gets it)

    def __init__(self, target: SweepTarget, plan: LagPlan, progress: Callable[[str], None] | None = None,
                 ignore_availability: bool = False) -> None:
        super().__init__(target, plan.low_percent, plan.availability_wait_s, progress, ignore_availability)
        self.plan = plan
        self.trials: list[Trial] = []
        self.pace_s: float | None = None  # the house meter's, once measured (the median time between its readings)
        self._readings: list[tuple[float, float]] = []  # (received at, W) of every usable house reading
        self._last_payload: bytes | None = None
        self._last_valid_at = 0.0
        # What an unusable house reading since the last usable one lacked, and what to set (None: none lacked it)
        self._field_advice: str | None = None
        # (the sweep's dispatch of the events every wait takes alike: a stop, the regulator online, the output off)
        self._taken = ToolEvents(target, ignore_availability, lambda: output_off_reason(target, "the heater"),
                                 self._link_lost)

    def run(self) -> list[Trial]:
        """Check the regulator is not running, connect, run the trials, leave the load at the low percent."""
        variator = hold_variator(self.target)  # (a sweep, or another lag measure, would spoil both; nothing sent yet)
        try:
            self._check_regulator()  # before the armed link: no will exists while we may not command
            self._link.start()
            self._wait_connected()
            self._last_valid_at = time.monotonic()
            self._command(self.plan.low_percent)
            self._say(f"{format_percent(self.plan.low_percent)} %: waiting for {self.plan.hold_readings + 1} house "
                      "readings (the level before the first step, and the meter's pace)")
            self._collect(self.plan.hold_readings + 1)
            self.pace_s = self._pace()
            self._say(f"the house meter reads every {self.pace_s:.2f} s")
            for index in range(self.plan.trials):
                self.trials.append(self._trial(index))
                if index == 1 and all((read_trial(t).why or "").startswith(NO_STEP) for t in self.trials):
                    # (a step up and one down and neither moved the house: the other trials would not either)
                    raise LagStopped(self._no_step_reason())
            return self.trials
        finally:
            try:
                self._finish()
            finally:
                variator.release()  # (once the load is at the low percent)

    def _no_step_reason(self) -> str:
        """Why neither of the first two steps moved the house: the heater drew nothing, or, when every house reading
        was under MIN_HIGHEST_W, a meter reporting kilowatts (a 2 kW step reads 2), which the step's threshold in
        watts cannot see."""
        seen_w = [abs(watts) for _, watts in self._readings]
        high = format_percent(self.plan.high_percent)
        if seen_w and max(seen_w) < MIN_HIGHEST_W:
            return (f"the house meter read {min(seen_w):.3g} to {max(seen_w):.3g} W throughout, the heater at "
                    f"{format_percent(self.plan.low_percent)} % and {high} % alike: too little for a house; does it "
                    f"report kilowatts ({max(seen_w):.3g} for {1000.0 * max(seen_w):.0f} W)? The lag measure, as the "
                    "daemon, reads watts: set the meter to report watts. (If it does, the heater drew nothing: its "
                    "thermostat open, a hot tank?)")
        return (f"the heater drew nothing at {high} % (the house meter did not move by {MIN_STEP_W:.0f} W): its "
                "thermostat is open (a hot tank?), or the variator does not follow its commands; measure when it can "
                "heat")

    def _trial(self, index: int) -> Trial:
        """Step once, a share of a pace after a house reading (spread over the pace by `index`), and hold for the
        readings after."""
        assert self.pace_s is not None
        up = index % 2 == 0
        low, high = self.plan.low_percent, self.plan.high_percent
        from_percent, to_percent = (low, high) if up else (high, low)
        # Spread over the pace whatever the number of trials, short and long waits mixed (not every up step early and
        # every down step late): the golden ratio's multiples, modulo 1.
        offset_s = self.pace_s * ((0.25 + index * GOLDEN_FRACTION) % 1.0)
        (last_at, _), = self._collect(1)  # a fresh house reading: the offset counts from it
        self._collect_until(last_at + offset_s)
        before_w = tuple(watts for _, watts in self._readings[-2:])  # (all from after the last trial's hold)
        commanded_at = self._command(to_percent)
        after: list[tuple[float, float]] = []
        while len(after) < self.plan.hold_readings:
            # (a reading stamped on paho's thread just before the command, taken from the queue after it: one before)
            after += [reading for reading in self._collect(1) if reading[0] >= commanded_at]
        trial = Trial(from_percent, to_percent, commanded_at, before_w, tuple(after))
        self._say(f"[{index + 1:>2}/{self.plan.trials}] {format_percent(from_percent)} -> {format_percent(to_percent)}"
                  f" %: " + ", ".join(f"{watts:.0f} W at {at - commanded_at:.2f} s" for at, watts in after))
        return trial

    def _command(self, percent: float) -> float:
        """Command the variator; when it was sent (monotonic s)."""
        at = time.monotonic()
        self._link.set_percent(percent)
        return at

    def _pace(self) -> float:
        gaps = [b - a for (a, _), (b, _) in zip(self._readings, self._readings[1:], strict=False)]
        return statistics.median(gaps)

    def _collect(self, count: int) -> list[tuple[float, float]]:
        """Wait for `count` usable house readings; they are returned (and kept)."""
        got: list[tuple[float, float]] = []
        while len(got) < count:
            reading = self._next_reading(self._last_valid_at + self.plan.meter_timeout_s)
            if reading is None:
                advice = f" ({self._field_advice})" if self._field_advice is not None else ""
                raise LagStopped(f"the house meter on {self.target.topic_read_power} gave no usable reading for "
                                 f"{self.plan.meter_timeout_s:g} s{advice}")
            got.append(reading)
        return got

    def _collect_until(self, deadline: float) -> None:
        """Keep the usable house readings that come until `deadline` (monotonic s)."""
        while time.monotonic() < deadline:
            self._next_reading(deadline)

    def _next_reading(self, deadline: float) -> tuple[float, float] | None:
        """The next usable house reading by `deadline` (kept), None when none came; what else comes ends the measure
        when it makes its timing unsound (LagStopped)."""
        while (event := self._next_event(deadline)) is not None:
            kind, at, data = event
            if kind == "reading" and isinstance(data, bytes):
                watts = usable_watts(data, self.target, self._last_payload)
                if isinstance(watts, Unusable):
                    if watts.refusal is Refusal.FROZEN:
                        log.debug("the same message as the last house reading: not counted")
                    else:
                        if self._field_advice is None:  # (a reading without the field: the stop says what to set)
                            self._field_advice = field_advice(data, self.target, "[mqtt] json_power")
                        log.debug("unusable house reading: %r", data)
                    continue
                self._last_payload, self._last_valid_at, self._field_advice = data, at, None
                self._readings.append((at, watts))
                return at, watts
            if kind == "variator" and isinstance(data, bytes) and variator_booted(data):
                # (the sweep measures its step again; a trial's timing is gone: the measure stops)
                raise LagStopped("the variator rebooted (it runs at its default percent): start again")
            self._taken.take(kind, data)
        return None

    @staticmethod
    def _link_lost(why: object) -> None:
        # (a reconnect's gap and the will's percent would read as the meter's lag: the measure stops, where the sweep
        # measures its step again once back)
        raise LagStopped(f"the connection to the broker was lost ({why})")

