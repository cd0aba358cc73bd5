"""One step of the calibration sweep, and the plan of its steps: the percent commanded, the meter's readings taken
until enough usable ones came after the settle time, and what ends the sweep or starts the step over (a silent or
frozen meter, a lost broker, a reconnect, a variator rebooted, at another percent, its output off or not answering, the
regulator online, a stop). The sweep (calibration.sweep) runs the steps and writes what they measure. The events every
tool's wait takes alike are calibration.tool_events'; the meter's readings, calibration.sweep_readings'."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from calibration.meter import answered, echo_percent, output_off_reason, unanswered_reason, variator_booted
from calibration.sweep_base import SweepStopped, format_percent
from calibration.sweep_plan import SweepPlan
from calibration.sweep_questions import StatusQuestions
from calibration.sweep_readings import StepReadings
from calibration.sweep_remeasures import Cause, Remeasures
from calibration.sweep_target import SweepTarget
from calibration.tool_events import ToolEvents
from values.boots import whole_percent

__all__ = ["Event", "StepMeasure", "SweepPlan", "SweepStopped"]

log = logging.getLogger(__name__)

Event = tuple[str, float, object]  # (kind, monotonic time, data)

# The variator answers every command on its status topic (PROTOCOL.md), in milliseconds on a LAN: none this long after
# a command, it is off the network or the command went to a topic it does not listen on.
ANSWER_WAIT_S = 10.0
# A command not answered within this long is sent again (until ANSWER_WAIT_S): the variator's module reconnecting (the
# broker back from a restart, its Wi-Fi) subscribes again with a clean session, and a command sent before is lost.
RESEND_S = 2.0


class StepMeasure:
    """Commands the steps' percents and measures each: `next_event(deadline)` the sweep's next event (None: none
    came by the monotonic `deadline`), `set_percent` the link's command. What it remembers between the steps (the
    last usable reading, a lost broker, the last percents commanded) says why a step could not be measured."""

    def __init__(self, target: SweepTarget, plan: SweepPlan, next_event: Callable[[float], Event | None],
                 set_percent: Callable[[float], None], ignore_availability: bool) -> None:
        self.target = target
        self.plan = plan
        self.ignore_availability = ignore_availability
        self._next_event = next_event
        self._set_percent = set_percent
        self.readings = StepReadings(target, plan.meter_timeout_s)  # (the meter's: what a silent one's stop says)
        # Why the broker link is down, while it is (None: up), for the stop's message: no reading comes without it.
        self._broker_lost: str | None = None
        # The percents commanded and not answered yet, oldest first: an echo at one of them answers it (it crossed a
        # later command on the broker); one at none of them, nor at the step's, is another client's.
        self._unanswered: list[float] = []
        # Whether the variator says it runs at the step's percent (its readings count only then), and by when its
        # answer is due (monotonic s; None: answered, or no status topic to hear it on).
        self._confirmed = False
        self._commanded_at = 0.0  # when the step's command was sent (monotonic s): what its settle time is told from
        self._answer_due: float | None = None
        self._resend_at = math.inf  # when the step's command, not answered yet, is sent again
        self._heard = False  # the variator has answered a command since the start (for the stop's message)
        self._echo_resent = False  # this step was commanded again for an echo at another percent
        # How many times this step was measured again, and why (its readings' and the reboot check's): the sweep
        # makes it anew at each step
        self.remeasures = Remeasures(plan.first_settle_s)
        # The reboot check's status questions not answered yet (an answer owed to one is none to a later question)
        self.questions = StatusQuestions(ANSWER_WAIT_S)
        self._events = ToolEvents(target, ignore_availability, self.output_off_reason, self.link_lost)

    def measure(self, percent: float, settled_at: float, last_valid: float) -> tuple[list[float], int, float]:
        """Wait for the settle time and for the variator's answer at `percent`, then collect readings_per_step usable
        readings. No answer within ANSWER_WAIT_S of a command stops the sweep (SweepStopped)."""
        values: list[float] = []
        invalid = 0
        self._echo_resent = False
        settle_s = max(0.0, settled_at - self._commanded_at)
        while len(values) < self.plan.readings_per_step:
            silent_deadline = last_valid + self.plan.meter_timeout_s
            # (not while the broker is lost: no answer comes without it, and the step is commanded again once back)
            answer_due = self._answer_due if self._broker_lost is None else None
            if answer_due is not None and time.monotonic() >= answer_due:
                raise SweepStopped(self._unanswered_reason(percent))
            if answer_due is not None and time.monotonic() >= self._resend_at:
                self._send_again(percent)
            deadline = silent_deadline if answer_due is None else min(silent_deadline, answer_due)
            event = self._next_event(deadline if answer_due is None else min(deadline, self._resend_at))
            if event is None:
                if time.monotonic() < deadline:
                    continue  # (woken to send the command again)
                if answer_due is not None and answer_due <= silent_deadline:
                    raise SweepStopped(self._unanswered_reason(percent))
                raise SweepStopped(self.silent_meter_reason())
            kind, at, data = event
            confirmed_before = self._confirmed
            if kind == "reading":
                assert isinstance(data, bytes)
                watts = self.take_reading(data, percent)
                if watts is None:
                    invalid += 1
                    continue
                last_valid = at
                if at >= settled_at and self._confirmed:  # (before its answer, the variator may be elsewhere)
                    values.append(watts)
            elif self.take_event(kind, data):
                pass
            elif (why := self._restart_reason(kind, at, data, percent)) is not None:
                # A reconnect, a variator reboot, or a variator at another percent: command again and start the step
                # over. After a reconnect (the broker sent our will, the end percent) or a reboot (its default), the
                # element cooled as after a resume: the first settle time again. Never shorter than before (a reboot
                # during the first step's warm-up must not cut it to a later step's settle).
                if kind == "connected":
                    # (the meter's module reconnects on its own pace: its timeout runs from now, not from its last
                    # reading before the loss; a broker back within it stopped the sweep, blaming the meter)
                    last_valid = max(last_valid, at)
                off = kind == "connected" or (isinstance(data, bytes) and variator_booted(data))
                settle_s = self.plan.first_settle_s if off else self.plan.settle_s
                self.command(percent)
                values.clear()
                settled_at = max(settled_at, time.monotonic() + settle_s)
                log.warning("%s: command sent again at %s %%, step restarted; measuring in %.0f s", why,
                            format_percent(percent), max(0.0, settled_at - time.monotonic()))
            if self._confirmed and not confirmed_before:
                # Its answer (_restart_reason took it): the variator runs at the step's percent from then on, and the
                # load settles from then. From the first send, a variator that took only a resend (a Wi-Fi blip of 7 s)
                # had its first readings, still at the step before's percent, counted in (1612 W for 1505 W at 60 %).
                settled_at = max(settled_at, at + settle_s)
        return values, invalid, last_valid

    def take_event(self, kind: str, data: object) -> bool:
        """The events every wait of a step takes alike (its readings' here, the reboot check's asking; the lag
        measure's too: ToolEvents): a stop, the regulator online and the variator's output gated off end the sweep
        (SweepStopped), a lost link is remembered. True when the event was one of these (or the regulator's
        availability, `offline`: nothing to do)."""
        return self._events.take(kind, data)

    def take_reading(self, data: bytes, percent: float) -> float | None:
        """The watts of a meter reading at the step of `percent`, remembered as the last usable one; None when it is
        not counted (noted for the stop's message)."""
        return self.readings.take(data, percent)

    @property
    def broker_lost(self) -> bool:
        """The broker link is down (no answer nor reading can come)."""
        return self._broker_lost is not None

    def link_lost(self, why: object) -> None:
        """The broker link dropped (or a reconnect failed): said once, remembered for the stop's message."""
        if self._broker_lost is None:  # (the loss's reason, once; paho's retries after it: the log file)
            log.warning("the connection to the broker is lost (%s): reconnecting; the step is measured again once it "
                        "is back", why)
            self._broker_lost = str(why)
        else:
            log.debug("the broker is still out of reach: %s", why)

    def reconnected(self) -> None:
        """The broker link is back. The answers sent while we were away are lost; the broker may have sent our will
        (the end percent), whose answer may come yet; the variator may have taken a retained percent again."""
        self._broker_lost = None
        self._echo_resent = False
        self._unanswered = [self.plan.end_percent]
        self.questions.void()

    def command(self, percent: float) -> None:
        """Command the variator to `percent` (remembered: what its echo should say from now on)."""
        self._unanswered.append(percent)
        self._commanded_at = time.monotonic()
        # (without a status topic nothing can confirm it: the sweep said so before it started)
        self._confirmed = self.target.topic_variator_status is None
        self._answer_due = None if self._confirmed else time.monotonic() + ANSWER_WAIT_S
        self._resend_at = math.inf if self._confirmed else time.monotonic() + RESEND_S
        self._set_percent(percent)

    def _send_again(self, percent: float) -> None:
        """The step's command again, not answered within RESEND_S (its answer, if the first was only late, is one
        more awaited: not taken for another client's percent once the next step is commanded)."""
        log.debug("no answer to %s %% within %g s: sent again", format_percent(percent), RESEND_S)
        self._unanswered.append(percent)
        self._resend_at = time.monotonic() + RESEND_S
        self._set_percent(percent)

    def _restart_reason(self, kind: str, at: float, data: object, percent: float) -> str | None:
        """Why the step must be commanded again and measured from scratch (None: it need not). A variator whose echo
        says another percent again once commanded again stops the sweep (SweepStopped): sent again and again,
        forever."""
        # (each reconnect and reboot restarts the step with the first settle: uncounted, a broker or a variator
        # dropping more often than that had the step restarted forever)
        at_percent = format_percent(percent)
        if kind == "connected":
            self.reconnected()
            if (stop := self.remeasures.again(Cause.DROPPED, "the connection to the broker dropped",
                                              at_percent)) is not None:
                raise SweepStopped(stop)
            return "reconnected"
        if kind != "variator" or not isinstance(data, bytes):
            return None
        if variator_booted(data):
            if (stop := self.remeasures.again(Cause.BOOTED, "the variator rebooted (boot_detected)",
                                              at_percent)) is not None:
                raise SweepStopped(stop)
            self._echo_resent = False
            self._unanswered.clear()  # (it runs at its default: the commands before are void)
            self.questions.void()
            return "variator rebooted"
        echo = echo_percent(data)
        if echo is None:
            return None
        self._heard = True
        # An echo answers a command by its percent, not by coming soon after one: a variator stuck at 100 % answered
        # the 95 % command with 100 %, taken for the 100 % command's answer, and 100 %'s watts went in as 95 %'s.
        count = answered(echo, self._unanswered)
        del self._unanswered[:count]
        # (an echo that answers no command answers a status question the reboot check still awaits)
        owed = not count and self.questions.answer(at) is not None
        if whole_percent(echo) == whole_percent(percent):
            self._confirmed, self._answer_due, self._resend_at = True, None, math.inf
            return None
        if count:
            return None  # (an earlier command's answer, which crossed this one on the broker)
        if owed and not self._confirmed:
            # (a question asked before the step's command, answered before it in turn: where the variator ran then, a
            # variator slow to answer at its default after a reboot; taken for another client's percent, the step was
            # measured again, then the sweep stopped, "another client commands it")
            return None
        # Another client's percent (a retained one the variator takes again at each reconnect, an automation): its
        # watts went into the CSV as this step's.
        said = f"the variator reports {echo:g} % where the sweep commands {at_percent} %"
        if self._echo_resent:
            topic = self.target.topic_set_power
            raise SweepStopped(f"{said}, again once sent again: another client commands it (a percent left retained on "
                           f"{topic}: clear it with {self.target.mosquitto_pub('-r', '-n', '-t', topic)}), or it "
                           f"does not run at this percent (a limit of its firmware: sweep from below it, with "
                           f"--start), or it hangs at the percent it says (reboot it)")
        self._echo_resent = True
        if (stop := self.remeasures.again(Cause.ELSEWHERE, said, at_percent)) is not None:
            raise SweepStopped(stop)
        return said

    def _unanswered_reason(self, percent: float) -> str:
        """Why the sweep stops when the variator did not answer the step's command within ANSWER_WAIT_S."""
        return unanswered_reason(self.target, format_percent(percent), ANSWER_WAIT_S, self._heard)

    def output_off_reason(self) -> str:
        """Why the sweep stops when the variator says its output is gated off."""
        said = f" on {self.target.topic_variator_status}: an `off` was sent to it"
        return output_off_reason(self.target, "the load", said) + ", the step is not kept"

    def silent_meter_reason(self) -> str:
        """Why the sweep stops when no usable reading came for meter_timeout: the broker lost, a silent meter, or a
        frozen one."""
        if self._broker_lost is not None:
            return (f"the connection to the broker {self.target.host}:{self.target.port} was lost "
                    f"({self._broker_lost}) and did not come back within {self.plan.meter_timeout_s:g} s "
                    f"(--meter-timeout): no meter reading comes without it")
        return self.readings.silent_reason()
