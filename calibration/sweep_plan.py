"""The plan of a sweep's steps and timings (out of calibration.sweep_measure, which still exports it)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_REMEASURES", "SweepPlan"]

# A step measured again this many times for the variator (a boot_detected during its readings, or the reboot check's
# verdict: rebooted, away, at another percent); the next time stops the sweep: a boot loop is no calibration
MAX_REMEASURES = 3


@dataclass(frozen=True, slots=True)
class SweepPlan:
    """The steps and timings of a sweep (defaults: the seed's)."""

    start_percent: float = 100.0
    stop_percent: float = 0.0
    step_percent: float = 0.5
    # At the first step, the element heats up; also after --resume, a reconnect or a reboot of the variator (the load
    # off a while: its element cooled)
    first_settle_s: float = 500.0
    settle_s: float = 6.0  # after each later step, before readings count
    readings_per_step: int = 6
    end_percent: float = 0.0  # where the load is left, however the sweep ends
    meter_timeout_s: float = 30.0  # no usable reading for this long: stop
    availability_wait_s: float = 1.0  # how long to wait for the regulator's retained availability

    def percents(self) -> list[float]:
        """start, start - step, ... down to stop (stop included)."""
        values: list[float] = []
        k = 0
        while True:
            p = round(self.start_percent - k * self.step_percent, 4)
            if p < self.stop_percent - 1e-9:
                break
            values.append(p)
            k += 1
        if values[-1] > self.stop_percent + 1e-9:
            values.append(self.stop_percent)
        return values
