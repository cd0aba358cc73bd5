"""A relay's dwell: the minimum on and off times that spare a contactor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class RelayClock:
    """When a relay last switched, and whether that was a trial to measure an unknown power."""

    on: bool = False
    switched_at: float | None = None  # None: never switched by anyone since start (no dwell to keep)
    trial: bool = False  # switched on to measure an unknown power: off again without dwell if it misfits

    def seen(self, on: bool, last_command_at: float | None) -> None:
        """The relay is `on` now, and its last command was published at `last_command_at`. A command we did
        not make (the start's, a force, an unforce, the stale guard) restarts the clock from that moment,
        even an on-and-off pair between two decisions."""
        if last_command_at is not None and (self.switched_at is None or last_command_at > self.switched_at):
            self.switched_at, self.trial = last_command_at, False
        self.on = on

    def switched(self, on: bool, now: float, trial: bool = False) -> None:
        """The rule switched it to `on` at `now`."""
        self.on, self.switched_at, self.trial = on, now, trial and on

    def allows(self, min_on_s: float, min_off_s: float, now: float) -> bool:
        """True when the relay has been in its state long enough to leave it."""
        if self.switched_at is None or now < self.switched_at:
            return True  # never switched, or the clock stepped back: decide rather than freeze
        return now - self.switched_at >= (min_on_s if self.on else min_off_s)
