"""What Domoticz is asked at each connect (the mode selector's level, what each force switch is) and how its answers
are told from a user's changes: the first update of the device since the request is the answer, however late; a busy
Domoticz's burst of answers to the requests sent again; an answer superseded by a mode chosen in Home Assistant since;
a switch's answer set back to its load's state."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from equipments.base import Equipment
from integrations.domoticz import DomoticzDevice, Message
from integrations.domoticz_control import ForceLink

log = logging.getLogger(__name__)
# The Domoticz link's own line (say_late_answer), moved here from field/domoticz.py: its logger name stays.
_link_log = logging.getLogger("field.domoticz")

# Domoticz answers getdeviceinfo at once: silent this long, it has no such device or does not read topic_in.
ANSWER_WAIT_S = 60.0
# Unanswered, the request is sent again after each wait, the wait doubled up to this (a Domoticz that connected to
# the broker after the request never had it; a wrong idx costs Domoticz one "unknown idx" line an hour).
MAX_ANSWER_WAIT_S = 3600.0
# A Domoticz busy past the wait reads the requests queued meanwhile all at once: updates this close to an answer are
# the answers to the ones sent again (each shows what the switch showed when it was read), while some are unanswered.
ANSWER_BURST_S = 5.0


@dataclass(slots=True)
class Asked:
    """A device Domoticz was asked about at the connect (and again while unanswered), until its answers are in."""

    at: float  # the request's time (the last one sent)
    wait_s: float = ANSWER_WAIT_S  # sent again once unanswered this long
    overdue: bool = False  # the first wait ran out: said once, and a switch shown its load's state since
    unanswered: int = 1  # requests sent since the connect, less the answers taken (lost ones are never answered)
    answered_at: float | None = None  # the last answer's time (None: none yet)
    # (the mode selector) a mode chosen in Home Assistant since the request: newer than the level the answers show
    superseded: bool = False
    since: float | None = None  # the connect's first request (None: `at`): how late a late answer came, for the log

    def __post_init__(self) -> None:
        if self.since is None:
            self.since = self.at

    def late_answer(self, now: float) -> float | None:
        """Seconds since the connect when an update now is the first answer after the wait ran out (said at WARNING:
        the answer is said too, or the warning stands as the last word on a link that works); else None."""
        if not self.overdue or self.answered_at is not None or not self.takes_answer(now):
            return None
        return max(0.0, now - (self.at if self.since is None else self.since))

    def due(self, now: float) -> bool:
        if self.at > now:  # (from before a clock stepped back: the wait counts from now, not for the step besides)
            self.at = now
        return self.answered_at is None and now - self.at >= self.wait_s

    def again(self, now: float) -> None:
        self.at, self.wait_s, self.overdue = now, min(2 * self.wait_s, MAX_ANSWER_WAIT_S), True
        self.unanswered += 1

    def takes_answer(self, now: float) -> bool:
        """An update of the device now is an answer: the first since the connect however late, or one in the burst
        of answers to requests sent again (later, or with all answered, an update is a user's)."""
        return self.answered_at is None or (self.unanswered > 0 and 0 <= now - self.answered_at < ANSWER_BURST_S)

    def take_answer(self, now: float) -> bool:
        """Whether an update of the device now is an answer, counted; False: the device awaits no answer since."""
        if not self.takes_answer(now):
            return False
        self.answered_at = now
        self.unanswered -= 1
        return True


def judge_update(asked: Asked | None, now: float) -> tuple[bool, Asked | None]:
    """An update of an asked device now: whether it is an answer (counted), and what is still awaited after it (None
    once not an answer or all are in: any update of it says the device exists and Domoticz reads us)."""
    answer = asked is not None and asked.take_answer(now)
    if asked is None or not answer or asked.unanswered <= 0:
        return answer, None
    return answer, asked


def past_burst(asked: Asked | None, now: float) -> Asked | None:
    """`asked`, or None once answered and its burst of answers is over."""
    if asked is not None and asked.answered_at is not None and not asked.takes_answer(now):
        return None
    return asked


def say_late_answer(asked: Asked | None, now: float, key: str) -> None:
    """Says an answer that came after the "has not answered" warning, which named a wrong idx as the likely cause."""
    late_s = None if asked is None else asked.late_answer(now)
    if late_s is not None:
        _link_log.info("%s: Domoticz answered at last, %.0f s after the connect", key, late_s)


@dataclass(slots=True)
class Switch:
    """A load's force switch, and what was asked about it."""

    load: Equipment
    link: ForceLink
    shown_forced: bool  # the load's forced state as last shown on (or taken from) the switch
    # Domoticz asked what the switch is, an answer awaited: its next update is that answer, never an order (one that
    # came after the wait ran out, an On left from before a restart, forced the load from the grid); nothing shown
    # until the first wait ran out.
    asked: Asked | None = None
    # (no echoes) an answer was set back to its load's state: Domoticz may apply that after the switch's next update
    set_back: bool = False

    def answered(self, device: DomoticzDevice, now: float, forced_by_switch: str) -> Message | None:
        """Domoticz's answer: what the switch is; the message that shows its load's state when it shows another one
        (an On is never taken as an order: a user's On left from before a restart would force the load). An Off on the
        switch that forced its load (`forced_by_switch`: the load's forced_by then) is its owner's, made while PySEB
        was away: taken, the safe direction (it was shown On again, the load kept forced from the grid)."""
        shows_on = self.link.on_answer(device)
        if shows_on is False and self.load.is_forced() and self.load.forced_by == forced_by_switch:
            log.info("%s unforced: its Domoticz switch idx %d, which forced it, shows Off (switched off while PySEB "
                     "was away)", self.load.name, self.link.idx)
            self.load.unforce(now, f"Domoticz switch idx {self.link.idx} off")
        forced = self.load.is_forced()
        self.shown_forced = forced
        self.set_back = shows_on is not None and shows_on != forced and not self.link.echoed
        return self.link.publish_state(forced, now) if shows_on is not None and shows_on != forced else None

    def after_set_back(self, device: DomoticzDevice) -> bool:
        """An update of any device: True when it is the switch's first since its answer was set back (counted)."""
        if device.idx != self.link.idx:
            return False
        set_back, self.set_back = self.set_back, False
        return set_back
