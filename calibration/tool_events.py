"""The events every wait of a tool driving the variator takes alike, in one dispatcher: the sweep's step readings and
its reboot check (calibration.sweep_measure, calibration.sweep_reboot) and the lag measure's house readings
(calibration.lag). A stop, the regulator online and the variator's output gated off end the tool; a lost link is the
tool's to handle (the sweep remembers it and measures the step again once back, the lag measure stops: a reconnect's
gap would read as the meter's lag)."""

from __future__ import annotations

from collections.abc import Callable

from calibration.meter import output_gated_off
from calibration.sweep_base import SweepStopped
from calibration.sweep_target import SweepTarget

__all__ = ["ToolEvents"]


class ToolEvents:
    """`take(kind, data)`: True when the event was one of these (the regulator's availability `offline` too: nothing
    to do), False for the tool's own (readings, echoes, reconnects); SweepStopped for those that end it.
    `output_off`: the tool's words for a variator whose output is gated off; `link_lost`: called with why the link
    dropped (or a reconnect failed)."""

    def __init__(self, target: SweepTarget, ignore_availability: bool, output_off: Callable[[], str],
                 link_lost: Callable[[object], None]) -> None:
        self._target = target
        self._ignore_availability = ignore_availability
        self._output_off = output_off
        self._link_lost = link_lost

    def take(self, kind: str, data: object) -> bool:
        if kind == "stop":
            raise SweepStopped(str(data))
        if kind == "availability":
            if data == "online" and not self._ignore_availability:
                raise SweepStopped(f"the regulator came online ({self._target.topic_availability})")
            return True
        if kind in ("disconnected", "refused"):
            self._link_lost(data)
            return True
        if kind == "variator" and isinstance(data, bytes) and output_gated_off(data):
            raise SweepStopped(self._output_off())
        return False
