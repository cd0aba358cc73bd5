"""Before the sweep takes a step's readings of nothing for a thermostat cut, it asks the variator.

A variator that reboots (a power glitch, its watchdog) leaves the load drawing nothing while it is away, and an
ESP8266's reboot and Wi-Fi join outlast a step's readings: its `boot_detected` came after them, and the sweep stopped,
"the load's thermostat has probably cut it (a hot tank)", the owner told to wait for the water to cool. PROTOCOL.md
tells them apart: a real cut leaves the variator answering at the commanded percent, its output on; a reboot makes it
unreachable for a while, then back at its default percent with `boot_detected`. So the variator is asked its status
(its firmware's `status` word) and, rebooted, away or at another percent, the step is commanded and measured again
(MAX_REMEASURES times at most: a boot loop is no calibration either).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from calibration.meter import echo_percent, variator_booted
from calibration.sweep_base import SweepStopped, format_percent
from calibration.sweep_measure import RESEND_S, Event, StepMeasure
from values.boots import whole_percent

__all__ = ["REBOOT_WAIT_S", "RebootCheck", "Verdict"]

log = logging.getLogger(__name__)

# How long a variator that does not answer is waited for: an ESP8266 reboots and joins its Wi-Fi in 5-20 s; one away
# longer is off the network, and the sweep stops (not blaming the thermostat).
REBOOT_WAIT_S = 60.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the variator's answer says of a step whose readings fell to the off level."""

    again: str | None  # why the step is no thermostat cut and is measured again (None: a cut, as far as it can tell)
    last_valid: float  # the last usable meter reading's time (monotonic s), readings taken while waiting counted
    reconnected: bool = False  # the broker link came back meanwhile: measured again, not counted (no reboot)
    away: bool = False  # `again` for a late answer only, at the step's percent (no boot_detected, no other percent)


class RebootCheck:
    """Asks the variator its status after a step that read nothing (`ask`: the link's `status` word), reading the
    sweep's events meanwhile (`next_event`); the meter's readings keep `step`'s count of the last usable one."""

    def __init__(self, step: StepMeasure, next_event: Callable[[float], Event | None], ask: Callable[[], None]) -> None:
        self._step = step
        self._next_event = next_event
        self._ask = ask

    def verdict(self, percent: float, fell_to_w: float, last_valid: float, away_counts: bool = True) -> Verdict:
        """Ask until the variator answers (again every RESEND_S: one back from a reboot subscribes with a clean
        session, a question sent before is lost to it), up to REBOOT_WAIT_S, after which the sweep stops
        (SweepStopped). An answer at `percent`, its output on, at once: a cut. Rebooted (boot_detected, a status seen
        since the step's readings too), at another percent (its default), or silent for RESEND_S or more while
        `away_counts`: a reboot. Not `away_counts` (the step measured again already for such a silence), a late answer
        at `percent` is a cut too: a variator slow to answer on a busy Wi-Fi (no boot_detected, at its percent) read as
        away each time had its hot tank measured again 3 times, then taken for a boot loop, its power supply blamed."""
        began = time.monotonic()  # (its first question goes out now, before any event is read)
        deadline, ask_at = began + REBOOT_WAIT_S, began
        asked = 0
        while True:
            now = time.monotonic()
            if now >= deadline and self._step.broker_lost:
                raise SweepStopped(self._step.silent_meter_reason())  # (the broker's loss, said as the measure says it)
            if now >= deadline:
                raise SweepStopped(
                    f"the variator did not answer its status request for {REBOOT_WAIT_S:g} s after the readings at "
                    f"{format_percent(percent)} % fell to {fell_to_w:.1f} W: rebooting, or off the network (its "
                    f"power, its Wi-Fi); not taken for a thermostat cut (a cut leaves it answering at its percent); "
                    f"the step is not kept")
            if now >= ask_at:
                self._ask()
                self._step.questions.ask(now)
                asked += 1
                ask_at = now + RESEND_S
            event = self._next_event(min(deadline, ask_at))
            if event is None:
                continue
            kind, at, data = event
            if kind == "reading" and isinstance(data, bytes):
                if self._step.take_reading(data, percent) is not None:
                    last_valid = at
            elif self._step.take_event(kind, data):
                continue
            elif kind == "connected":
                self._step.reconnected()
                return Verdict("the connection to the broker dropped", max(last_valid, at), reconnected=True)
            elif kind == "variator" and isinstance(data, bytes):  # (its output gated off: take_event stopped it)
                if variator_booted(data):
                    self._step.questions.void()  # (lost with its reboot: the next check's answers are its own)
                    return Verdict("the variator rebooted (boot_detected)", last_valid)
                echo = echo_percent(data)
                if echo is None:
                    continue
                question = self._step.questions.answer(at)  # (when the question it answers was asked)
                if at < began or (question is not None and question < began):
                    # (an answer owed to the check before is none to this one: one that came before the question,
                    # still waiting in the events, or after it, to the check before's questions asked again; after a
                    # short --first-settle's readings, either was said a cut at once, though the variator rebooted
                    # since. calibration.sweep_questions)
                    log.debug("an answer owed to an earlier status question: not this check's")
                    continue
                if whole_percent(echo) != whole_percent(percent):
                    return Verdict(f"the variator reports {echo:g} % where the sweep commanded "
                                   f"{format_percent(percent)} % (back from a reboot at its default?)", last_valid)
                if asked > 1 and away_counts:  # (away, then back at the percent: it may have lost it meanwhile;
                    # measuring again is safe, once: a reboot says boot_detected, and its default is another percent)
                    return Verdict(f"the variator did not answer for {at - began:.1f} s (away: rebooting?)",
                                   last_valid, away=True)
                late = f" (after {at - began:.1f} s, as it did before)" if asked > 1 else ""
                log.info("the variator answers at %s %%%s, its output on: the readings of nothing are the load's",
                         format_percent(percent), late)
                return Verdict(None, last_valid)
