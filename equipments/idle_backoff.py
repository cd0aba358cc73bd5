"""The idle back-off of a load of unknown power (equipments.unknown): switched on and found drawing nothing, it is
left alone for a while before its next try, longer at each idle measure in a row."""

from __future__ import annotations

import logging

from values.readings import CLOCK_STEP_BACK_S

# The load's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("equipments.unknown")

IDLE_RETRY_S = 300.0  # after an idle measurement, how long the surplus goes to the loads after it
# Found idle again at each try, it is an appliance done (a dishwasher finished, a charger full), not one in a
# pause: the wait doubles at each idle measure in a row, up to this (5, 10, 20, then every 40 minutes).
# Tried every 5 minutes, it clicked 12 times an hour all day for nothing; a cycle started by hand waits at
# most 40 minutes for the surplus (20 on average), and a force starts it at once. Found drawing, forced, a
# new day or a restart: back to 5 minutes (a pause between two phases of a program is still found soon).
IDLE_RETRY_MAX_S = 2400.0


class IdleBackoff:
    """When a load left alone after a measure (idle, or the house moved) is tried again."""

    def __init__(self, retry_s: float = IDLE_RETRY_S, retry_max_s: float = IDLE_RETRY_MAX_S) -> None:
        self.retry_s, self.retry_max_s = retry_s, retry_max_s
        self.until = float("-inf")  # left alone until then (epoch seconds; -inf: never was)
        self.wait_s = retry_s  # the length of that wait
        self.in_a_row = 0  # idle measures since it was last found drawing (or forced, or the day began)

    def resting(self, now: float) -> bool:
        """True while the load is left alone. A wait further ahead than its own length is from before the clock
        stepped back: it keeps its length from now (an hour's step kept the plug off for an hour instead of 5
        minutes)."""
        if self.until - now > self.wait_s + CLOCK_STEP_BACK_S:
            self.until = now + self.wait_s
        return now < self.until

    def rest(self, now: float, wait_s: float) -> None:
        """Left alone for `wait_s` from `now`."""
        self.until, self.wait_s = now + wait_s, wait_s

    def waits_afresh(self) -> None:
        """Found drawing, or a new day (the appliance likely used since: a dishwasher loaded at night): the next idle
        wait is the first again (its current rest, if any, runs on)."""
        self.in_a_row = 0

    def start_afresh(self) -> None:
        """Someone acted on the load (a new cycle started, a charger plugged in): its rest and waits start afresh."""
        self.until, self.in_a_row = float("-inf"), 0

    def wait_after(self, name: str, measured_w: float, when: str = "after switching on", then: str = ", off") -> float:
        """One more idle measure in a row of the load `name` (taken `when`; `then`: what the measure does, said after
        "idle"): the wait until its next try. Said at INFO when the wait grew (once per step); at the cap each further
        one at DEBUG (a line every 40 minutes all day would say nothing new)."""
        self.in_a_row += 1
        count = self.in_a_row
        wait_s = self.wait_for(count)
        grew = count == 1 or wait_s > self.wait_for(count - 1)
        capped = wait_s >= self.retry_max_s
        log.log(logging.INFO if grew else logging.DEBUG,
                "%s: measured %.0f W %s: idle%s%s; tried again in %.0f min%s", name, measured_w, when,
                f" {count} times in a row" if count > 1 else "", then, wait_s / 60,
                f", then every {wait_s / 60:.0f} min while it stays idle" if capped and grew else "")
        return wait_s

    def wait_for(self, count: int) -> float:
        """The wait after `count` idle measures in a row: doubled at each, up to retry_max_s."""
        return min(self.retry_s * 2.0 ** min(count - 1, 16), self.retry_max_s)
