"""Whether the heater's variator heard the deadline rule's force: its energy is counted from the command (a variator's
is, meter or not), so a variator off the network all night made the rule say its target met with the water cold. What
is counted while the force is unanswered is held aside: given to the rule when the variator answers at once (the ticks
before were its answer's way), not counted when it answers late or never. Pure: times and energies come in."""

from __future__ import annotations

import logging

from field.fallback_resume import ANSWER_WAIT_S

# The rule's own lines: the logger name is part of what the log shows.
log = logging.getLogger("field.fallback_deadline")


class ForceAnswers:
    """The answers to one force of the deadline rule (`start` at its command, `stop` at its end)."""

    def __init__(self, load_name: str) -> None:
        self.load_name = load_name
        self.started_at: float | None = None  # its force's command, while not answered yet (None: nothing to judge)
        self.unheard_wh = 0.0  # counted since, held aside until the variator answers
        self._told = False  # "has not answered" said for this force

    def start(self, now: float) -> None:
        """Its force commanded at `now`: the variator's answer is waited for."""
        self.started_at, self.unheard_wh, self._told = now, 0.0, False

    def counted_wh(self, now: float, delta_wh: float, heard_at: float | None, commanded_at: float | None) -> float:
        """Of `delta_wh`, counted for the heater this tick, what the rule may count (`heard_at`: the variator's last
        answer, None when it never answers: nothing to judge by; `commanded_at`: the heater's last command)."""
        started_at = self.started_at
        if started_at is None or heard_at is None:
            return delta_wh
        since = started_at if commanded_at is None else min(commanded_at, started_at)
        if heard_at >= since:
            held, self.started_at, self.unheard_wh = self.unheard_wh, None, 0.0
            if heard_at - since <= ANSWER_WAIT_S:
                return delta_wh + held
            log.info("deadline rule: %s's variator answered its force %.0f min late (off the network until then?): "
                     "%.0f Wh counted before its answer not delivered", self.load_name, (heard_at - since) / 60, held)
            return delta_wh
        self.unheard_wh += delta_wh
        if not self._told and now - since > ANSWER_WAIT_S:
            self._told = True
            log.warning("deadline rule: %s's variator has not answered its force (off the network?): the heater may "
                        "not heat; its energy is not counted until it answers, the force runs on to its end",
                        self.load_name)
        return 0.0

    def stop(self, now: float) -> float:
        """Its force over at `now`: returns what it held that may be counted after all. Within ANSWER_WAIT_S of its
        command the variator may have had no time to answer (a force unforced at once): not judged, all of it (as the
        seed rule's OwnForce.closing). Later, what was held for an answer that never came is not counted (said)."""
        started_at, held_wh = self.started_at, self.unheard_wh
        self.started_at, self.unheard_wh = None, 0.0
        if started_at is None:
            return 0.0
        if now - started_at <= ANSWER_WAIT_S:
            return held_wh
        if held_wh > 0:
            log.warning("deadline rule: %s's variator never answered its force: %.0f Wh not counted, the water may be "
                        "cold", self.load_name, held_wh)
        return 0.0
