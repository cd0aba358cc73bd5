"""Whether a fallback rule's force was heard by the heater's variator. Its energy is counted from the command (a
variator's is, meter or not), so a variator off the network all night made a rule take its force for given with the
water cold. Both rules judge its answer the same way (`answer_delay_s`, ANSWER_WAIT_S): the seed rule's own force
(fallback_resume.OwnForce) and the deadline rule's (ForceAnswers, here): what is counted while its force is unanswered
is held aside, given to the rule when the variator answers at once (the ticks before were its answer's way), not
counted when it answers late or never; whether the variator answers at all (VariatorAnswers) is kept across a restart
the same way for both. Pure: times and energies come in."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from values.saved_numbers import saved_number

# The rule's own lines: the logger name is part of what the log shows.
log = logging.getLogger("field.fallback_deadline")

# A variator answering its force's command later than this did not hear it until then (its answer takes well under a
# second on a working network; the rules look at each of their ticks, RULE_TICK_S apart).
ANSWER_WAIT_S = 60.0
# A variator that answered before takes this much running time with a command unanswered to be taken for one without
# answers (its firmware swapped for one that publishes none): days, so a variator off the network for a night (a
# power cut) still has that night's force judged.
FORGET_AFTER_S = 3 * 86400.0
SILENT_STEP_MAX_S = 600.0  # the most one look adds to that time (the rules look every few seconds)


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
    since) had the force counted from its command, the water cold. Not kept for ever: a status topic changed or removed
    since it was saved, or FORGET_AFTER_S of running with a command unanswered, and it is one without answers again
    (a firmware swapped for one that answers nothing had every force after each restart read as unheard, its energy
    never counted, the water heated again), until it answers."""

    def __init__(self, load_name: str = "", rule: str = "", status_topic: str | None = None) -> None:
        self.load_name, self.rule = load_name, rule  # (for the log)
        self.status_topic = status_topic  # where its answers come (None: none, or not told)
        self.answering = False  # the variator has answered since PySEB started, or had before its restart (saved)
        self.silent_s = 0.0  # running time a command of its has waited for an answer since its last one (saved)
        self._forgotten_at: float | None = None  # its last answer when forgotten: none after it heard since
        self._last_now: float | None = None  # the previous look (None: none since the start)

    def last_answer(self, heard_at: float | None, now: float | None = None,
                    commanded_at: float | None = None) -> float | None:
        """The variator's last answer to judge a force by, from the heater's (`heard_at`, None: not heard since the
        start): None when it never answers, -inf (not yet) when it answered before the restart. (Once heard in a run,
        `heard_at` is never None again in it: a None with `answering` set comes only after a restart.) `now`,
        `commanded_at` (the heater's last command): the time a command waits for an answer is summed (ticks apart by
        more than SILENT_STEP_MAX_S add nothing: a clock jump, a suspended process)."""
        if heard_at is not None and self._forgotten_at is not None and heard_at <= self._forgotten_at:
            heard_at = None  # (an answer from before it was forgotten)
        if heard_at is not None:
            self.answering, self._forgotten_at = True, None
        last_now, self._last_now = self._last_now, now
        if commanded_at is None or (heard_at is not None and heard_at >= commanded_at):
            if heard_at is not None:
                self.silent_s = 0.0  # (it answered the command in effect)
        elif self.answering and now is not None and last_now is not None and 0 < now - last_now <= SILENT_STEP_MAX_S:
            self.silent_s += max(0.0, now - max(last_now, commanded_at))  # (a command waits for its answer)
            if self.silent_s >= FORGET_AFTER_S:
                self._forget(heard_at)
                return None
        if heard_at is not None:
            return heard_at
        return float("-inf") if self.answering else None

    def _forget(self, heard_at: float | None) -> None:
        """It answered nothing for FORGET_AFTER_S of running while a command waited: one without answers (said)."""
        self.answering, self.silent_s = False, 0.0
        self._forgotten_at = heard_at if heard_at is not None else float("-inf")
        log.warning("%s: %s's variator has answered no command for %.0f days (its firmware publishes no answers, "
                    "or its status topic %s is wrong?): taken for one without answers, its forces counted from their "
                    "command until it answers again", self.rule, self.load_name, FORGET_AFTER_S / 86400,
                    self.status_topic)

    def snapshot(self) -> dict[str, Any]:
        """What to persist across a restart (JSON-ready)."""
        return {"variator_answers": self.answering, "variator_status_topic": self.status_topic,
                "variator_silent_s": round(self.silent_s, 1)}

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Take back a snapshot: answering only if saved so for the same status topic (a file from before the topic
        was saved: the one configured now); a changed or removed topic is said, and its answers learned afresh."""
        self.answering = saved.get("variator_answers") is True
        self.silent_s = saved_number(saved.get("variator_silent_s"), 0.0, FORGET_AFTER_S) or 0.0
        saved_topic = saved.get("variator_status_topic", self.status_topic)
        if self.answering and saved_topic != self.status_topic:
            self.answering, self.silent_s = False, 0.0
            log.info("%s: %s's variator status topic is %s, it was %s when saved: whether it answers is learned "
                     "afresh", self.rule, self.load_name, self.status_topic or "none", saved_topic or "none")


class ForceAnswers:
    """The answers to one force of the deadline rule (`start` at its command, `stop` at its end)."""

    def __init__(self, load_name: str, status_topic: str | None = None) -> None:
        self.load_name = load_name
        self.started_at: float | None = None  # its force's command, while not answered yet (None: nothing to judge)
        self.unheard_wh = 0.0  # counted since, held aside until the variator answers
        self._told = False  # "has not answered" said for this force
        self.variator = VariatorAnswers(load_name, "deadline rule", status_topic)

    def start(self, now: float) -> None:
        """Its force commanded at `now` (or resumed at a restart): the variator's answer is waited for."""
        self.started_at, self.unheard_wh, self._told = now, 0.0, False

    def counted_wh(self, now: float, delta_wh: float, heard_at: float | None, commanded_at: float | None) -> float:
        """Of `delta_wh`, counted for the heater this tick, what the rule may count (`heard_at`: the variator's last
        answer, None when not heard since PySEB started: nothing to judge by, unless it answered before the restart;
        `commanded_at`: the heater's last command)."""
        heard_at = self.variator.last_answer(heard_at, now, commanded_at)
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
