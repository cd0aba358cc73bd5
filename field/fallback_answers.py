"""Whether a fallback rule's force was heard by the heater's variator. Its energy is counted from the command (a
variator's is, meter or not), so a variator off the network all night made a rule take its force for given with the
water cold. Both rules judge its answer the same way (`answer_delay_s`, ANSWER_WAIT_S): the seed rule's own force
(fallback_resume.OwnForce) and the deadline rule's (ForceAnswers, here): what is counted while its force is unanswered
is held aside, given to the rule when the variator answers at once (the ticks before were its answer's way), not
counted when it answers late or never; whether the variator answers at all (VariatorAnswers) is kept across a restart
the same way for both. Pure: times and energies come in."""

from __future__ import annotations

import logging

# The rule's own lines: the logger name is part of what the log shows.
log = logging.getLogger("field.fallback_deadline")

# A variator answering its force's command later than this did not hear it until then (its answer takes well under a
# second on a working network; the rules look at each of their ticks, RULE_TICK_S apart).
ANSWER_WAIT_S = 60.0


def answer_delay_s(started_at: float, at: float, commanded_at: float | None) -> float | None:
    """How long after the command of a force made at `started_at` an answer (or a silence) at `at` comes: from the
    heater's command in effect (`commanded_at`: its last command's time, when before the force: the force's own was
    the same command, not sent again) or else the force's. None when `at` is before that command: an answer then was
    to an earlier one."""
    since = started_at if commanded_at is None else min(commanded_at, started_at)
    return at - since if at >= since else None


def past_answer_wait(waited_s: float) -> bool:
    """True when `waited_s` after its command is past what a variator that heard it takes to answer."""
    return waited_s > ANSWER_WAIT_S


class VariatorAnswers:
    """Whether the heater's variator answers at all, kept across a restart (`answering`, saved by both rules as
    `variator_answers`): a variator not heard since PySEB started is one without answers (no status topic), nothing to
    judge a force by, unless it answered before the restart: then it is one not heard yet, and a force (resumed at the
    restart or made since) waits for its answer. A power cut that rebooted it too (at its default, off the network
    since) had the force counted from its command, the water cold."""

    def __init__(self) -> None:
        self.answering = False  # the variator has answered since PySEB started, or had before its restart (saved)

    def last_answer(self, heard_at: float | None) -> float | None:
        """The variator's last answer to judge a force by, from the heater's (`heard_at`, None: not heard since the
        start): None when it never answers, -inf (not yet) when it answered before the restart. (Once heard in a run,
        `heard_at` is never None again in it: a None with `answering` set comes only after a restart.)"""
        if heard_at is not None:
            self.answering = True
            return heard_at
        return float("-inf") if self.answering else None


class ForceAnswers:
    """The answers to one force of the deadline rule (`start` at its command, `stop` at its end)."""

    def __init__(self, load_name: str) -> None:
        self.load_name = load_name
        self.started_at: float | None = None  # its force's command, while not answered yet (None: nothing to judge)
        self.unheard_wh = 0.0  # counted since, held aside until the variator answers
        self._told = False  # "has not answered" said for this force
        self.variator = VariatorAnswers()

    def start(self, now: float) -> None:
        """Its force commanded at `now` (or resumed at a restart): the variator's answer is waited for."""
        self.started_at, self.unheard_wh, self._told = now, 0.0, False

    def counted_wh(self, now: float, delta_wh: float, heard_at: float | None, commanded_at: float | None) -> float:
        """Of `delta_wh`, counted for the heater this tick, what the rule may count (`heard_at`: the variator's last
        answer, None when not heard since PySEB started: nothing to judge by, unless it answered before the restart;
        `commanded_at`: the heater's last command)."""
        heard_at = self.variator.last_answer(heard_at)
        started_at = self.started_at
        if started_at is None or heard_at is None:
            return delta_wh
        delay_s = answer_delay_s(started_at, heard_at, commanded_at)
        if delay_s is not None:
            held, self.started_at, self.unheard_wh = self.unheard_wh, None, 0.0
            if not past_answer_wait(delay_s):
                return delta_wh + held
            log.info("deadline rule: %s's variator answered its force %.0f min late (off the network until then?): "
                     "%.0f Wh counted before its answer not delivered", self.load_name, delay_s / 60, held)
            return delta_wh
        self.unheard_wh += delta_wh
        silent_s = answer_delay_s(started_at, now, commanded_at)
        if not self._told and silent_s is not None and past_answer_wait(silent_s):
            self._told = True
            log.warning("deadline rule: %s's variator has not answered its force (off the network?): the heater may "
                        "not heat; its energy is not counted until it answers, the force runs on to its end",
                        self.load_name)
        return 0.0

    def stop(self, now: float) -> float:
        """Its force over at `now`: returns what it held that may be counted after all. Within ANSWER_WAIT_S of its
        command the variator may have had no time to answer (a force unforced at once): not judged, all of it (as the
        seed rule's OwnForce.closing). Later, what was held for an answer that never came is not counted (said). A
        `now` before its command (the wall clock stepped back) tells no time since it: no grace (a negative wait was
        taken for the first minute, and a night's unanswered energy was counted)."""
        started_at, held_wh = self.started_at, self.unheard_wh
        self.started_at, self.unheard_wh = None, 0.0
        if started_at is None:
            return 0.0
        if now >= started_at and not past_answer_wait(now - started_at):
            return held_wh
        if held_wh > 0:
            log.warning("deadline rule: %s's variator never answered its force: %.0f Wh not counted, the water may be "
                        "cold", self.load_name, held_wh)
        return 0.0
