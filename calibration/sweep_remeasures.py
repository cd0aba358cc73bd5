"""How many times one step of the sweep was measured again, and why (StepMeasure.remeasures, anew at each step).

Two counts, one bound each (MAX_REMEASURES: the next time stops the sweep). The variator's reboots (a `boot_detected`
during the step's readings, the reboot check's verdict: rebooted, away, at another percent) count toward a boot loop.
The broker lost and back (during the step's readings or while the variator is asked its status) is no reboot of the
variator, counted apart: each restarts the step with the first settle (500 s by default), so a broker or a network that
drops more often than that, uncounted, had the step measured again forever."""

from __future__ import annotations

from calibration.sweep_plan import MAX_REMEASURES

__all__ = ["Remeasures", "tally"]


class Remeasures:
    """One step's re-measures; each method counts one and returns why the sweep stops (None: it measures again)."""

    def __init__(self) -> None:
        self.reboots = 0  # for the variator, toward a boot loop
        self.drops = 0  # for the broker's link
        # Why it was measured again for the variator, each time (the step's line, the end's note: a boot_detected
        # during its readings as a reboot the check found); a drop is none of them
        self.said: list[str] = []

    def rebooted(self, why: str, at: str, tail: str = "") -> str | None:
        """One more for the variator (`why`: `the variator rebooted (boot_detected)`, at the step's percent `at`):
        past MAX_REMEASURES, a boot loop (`tail`: what else the stop says)."""
        self.reboots += 1
        if self.reboots <= MAX_REMEASURES:
            self.said.append(why)
            return None
        if any(said != why for said in self.said):  # (not `why` 4 times in a row: each cause, how many times)
            causes = tally([*self.said, why])
            why = f"the variator rebooted or was away during the step at {at} %, {self.reboots} times ({causes})"
        else:
            why = f"{why} during the step at {at} %, {self.reboots} times in a row"
        return f"{why}: its power supply or its firmware (a boot loop?){tail}; the step is not kept"

    def dropped(self, at: str, first_settle_s: float) -> str | None:
        """One more for the broker lost and back during the step at `at` %: past MAX_REMEASURES, an unstable link."""
        self.drops += 1
        if self.drops <= MAX_REMEASURES:
            return None
        return (f"the connection to the broker dropped during the step at {at} %, {self.drops} times (during its "
                f"readings or while the variator was asked its status): the broker or the network is unstable (each "
                f"time the step waited {first_settle_s:g} s again); the step is not kept, resume once it holds")


def tally(reasons: list[str]) -> str:
    """Each reason once, in the order they came, with how many times when more than once (a step's line, a stop)."""
    times = dict.fromkeys(reasons, 0)
    for reason in reasons:
        times[reason] += 1
    return "; ".join(reason if n == 1 else f"{reason}, {n} times" for reason, n in times.items())
