"""How many times one step of the sweep was measured again, and why (StepMeasure.remeasures, anew at each step).

One bound for the step, whatever the causes (MAX_REMEASURES: the next time stops the sweep, the step not kept; the
finished steps stay, and --resume goes on from it). The causes: the variator rebooted (a `boot_detected` during the
step's readings), its readings fell to nothing and the reboot check found it rebooted, away or at another percent,
the broker lost and back (during the step's readings or while the variator is asked its status), the variator at
another percent during the readings (commanded again). All but the last wait the first settle again (500 s by
default): uncounted, a broker or a variator dropping more often than that had the step measured again forever; counted
for each cause alone (3 each, and another client's percent once more), a step could be measured 7 times, about an
hour."""

from __future__ import annotations

from enum import Enum, auto

from calibration.sweep_plan import MAX_REMEASURES
from values.shown import counted

__all__ = ["Again", "Cause", "Remeasures", "remeasured_notes", "tally"]


class Cause(Enum):
    """Why a step was measured again."""

    BOOTED = auto()  # a boot_detected during its readings
    FELL = auto()  # its readings fell to nothing; the reboot check found the variator rebooted, away or elsewhere
    DROPPED = auto()  # the broker lost and back
    ELSEWHERE = auto()  # the variator at another percent during its readings (another client's?)


Again = tuple[Cause, str]  # a re-measure: its cause, and the words that say it (the step's line, a stop)
VARIATOR = (Cause.BOOTED, Cause.FELL)  # (toward a boot loop: its power supply or its firmware)


class Remeasures:
    """One step's re-measures; `again` counts one and returns why the sweep stops (None: it measures again)."""

    def __init__(self, first_settle_s: float = 0.0) -> None:
        self.first_settle_s = first_settle_s  # (what each drop cost, for the stop's message)
        self.seen: list[Again] = []

    def again(self, cause: Cause, why: str, at: str, tail: str = "") -> str | None:
        """One more, for `cause` (`why`: its words, as `the variator rebooted (boot_detected)`), at the step's percent
        `at`: past MAX_REMEASURES, why the sweep stops (`tail`: what else the stop says)."""
        self.seen.append((cause, why))
        if len(self.seen) <= MAX_REMEASURES:
            return None
        times, causes = len(self.seen), tally([said for _, said in self.seen])
        if all(seen in VARIATOR for seen, _ in self.seen):
            if any(said != why for _, said in self.seen):  # (not `why` 4 times in a row: each cause, how many times)
                why = f"the variator rebooted or was away during the step at {at} %, {times} times ({causes})"
            else:
                why = f"{why} during the step at {at} %, {times} times in a row"
            return f"{why}: its power supply or its firmware (a boot loop?){tail}; the step is not kept"
        if all(seen is Cause.DROPPED for seen, _ in self.seen):
            return (f"the connection to the broker dropped during the step at {at} %, {times} times (during its "
                    f"readings or while the variator was asked its status): the broker or the network is unstable "
                    f"(each time the step waited {self.first_settle_s:g} s again){tail}; the step is not kept, "
                    f"resume once it holds")
        return (f"the step at {at} % had to be measured again {times} times ({causes}): {MAX_REMEASURES} times at "
                f"most for one step, whatever the causes{tail}; the step is not kept, resume once the variator and "
                f"the broker's link hold")


def tally(reasons: list[str]) -> str:
    """Each reason once, in the order they came, with how many times when more than once (a step's line, a stop)."""
    times = dict.fromkeys(reasons, 0)
    for reason in reasons:
        times[reason] += 1
    return "; ".join(reason if n == 1 else f"{reason}, {n} times" for reason, n in times.items())


def remeasured_notes(steps: list[tuple[float, list[Again]]]) -> list[str]:
    """The end's notes on the steps measured again (each step's percent and its re-measures), one per kind of cause,
    in words that fit it: only a step whose readings fell to nothing was not taken for a thermostat cut."""
    def having(*causes: Cause) -> list[float]:
        return [percent for percent, seen in steps if any(cause in causes for cause, _ in seen)]

    def shown(percents: list[float]) -> str:
        return ", ".join(f"{percent:g} %" for percent in percents)

    notes: list[str] = []
    if variator := having(*VARIATOR):
        fell = having(Cause.FELL)
        what = "rebooted or was away" if fell else "rebooted (boot_detected)"
        note = (f"note: the variator {what} during {counted(len(variator), 'step')} ({shown(variator)}): measured "
                f"again once it was back (the log says when)")
        if fell:
            where = "" if fell == variator else f"at {shown(fell)} "
            note += f"; {where}its readings had fallen to nothing, not taken for a thermostat cut"
        notes.append(note + "; a variator that reboots often: check its power supply")
    if dropped := having(Cause.DROPPED):
        notes.append(f"note: the connection to the broker dropped during {counted(len(dropped), 'step')} "
                     f"({shown(dropped)}): measured again once it was back, after the first settle (the log says "
                     f"when); a broker or a network that drops often: check it")
    if elsewhere := having(Cause.ELSEWHERE):
        notes.append(f"note: the variator reported another percent than the sweep's during "
                     f"{counted(len(elsewhere), 'step')} ({shown(elsewhere)}): commanded again and measured again (the "
                     f"log says when); another client commanding it (an automation, a percent left retained)?")
    return notes
