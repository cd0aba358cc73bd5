"""What a variator's status messages say: its echo of each command, at our percent or another client's (ours then
sent again), its output gated off, its boots; and whether it runs at PySEB's command since a time (the full-tank
watch's question)."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from equipments.load_build import BuildContext
from equipments.variator_answers import VariatorAnswers
from values.boots import ECHO_LAG_S, boot_message_id, read_variator_status, whole_percent
from values.shown import shown

# The load's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("equipments.variable")

# Our last percents kept for judging echoes (two a command: it and the one it replaced): eight commands, what a closed
# loop sends in ECHO_LAG_S at a decision every 0.6 s (a house meter every 2 s: 2 or 3). Faster, an echo of an older one
# is corrected: our command sent again, said as another client's.
RECENT_PERCENTS = 16


class VariatorEchoes(VariatorAnswers):
    """A variator's status and boot messages read, and our percents kept to judge its echoes by (a base of
    VariableEquipment)."""

    ECHO_LAG_S = ECHO_LAG_S  # (values.boots)

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        self._at_command_at: float | None = None  # its last answer at our command's percent
        # Our percents of the last ECHO_LAG_S, each with the one it replaced, by when sent: an echo at one of them
        # answers a command that crossed a later one on the broker; at none, it is another client's.
        self._recent_percents: deque[tuple[float, float]] = deque(maxlen=RECENT_PERCENTS)
        self._sent_percent: float | None = 0.0  # our last command's percent, as set_power sent it (the start's: 0)

    def subscriptions(self) -> tuple[str, ...]:
        topics = [self.topic_status] + ([self.topic_boot] if self.device_id else [])
        return tuple(dict.fromkeys(t for t in topics if t))

    def handle(self, topic: str, payload: bytes, now: float) -> bool:
        """A variator that rebooted runs at its default, not at our command: send it again at once. Its
        status echo after each command (`"msg": "setpower"`) changes nothing, unless it tells of a percent that
        is not ours (_check_echo)."""
        if topic == self.topic_status:
            status = read_variator_status(payload)  # (parsed once: an echo comes after every command)
            if not (status.booted or status.percent is not None or status.output_off is not None):
                self._not_a_status(payload)
                return False
            self.heard_at = now
            if not status.booted and status.percent is not None:  # (a boot's is no answer: at its default, our
                # command re-sent, which it must answer)
                self._answers, self._unanswered_since, self._doubted = True, None, False
            gate_changed = self._check_gate(status.output_off, now)
            if status.booted:
                self._booted("the variator reports boot_detected", topic, now)
            elif status.percent is not None:
                self._check_echo(status.percent, now)
            return gate_changed
        if topic == self.topic_boot:
            device = boot_message_id(payload)
            if device is not None and device == self.device_id:
                self._booted(f"the variator {device} sent its boot message", topic, now)
        return False

    @property
    def output_off(self) -> bool:
        """Its status says its output is gated off (an `off` sent by another client): it draws nothing whatever the
        percent, so it is left out of the allocation and its tank is not judged until its status says on again."""
        return self._output_off

    def _not_a_status(self, payload: bytes) -> None:
        """A message on the status topic that is no status (no percent, state or boot in it) says nothing of the
        variator: taken as its answer, one off the network was judged by the full-tank probe as one that answered
        (its tank found full, the heater off for the day). An empty one clears a retained message: quietly."""
        log.log(logging.WARNING if payload.strip() else logging.DEBUG,
                "%s: a message on %s that is no variator status, ignored: %s", self.name, self.topic_status,
                shown(payload), extra={"limit_key": f"{self.topic_status} junk"})

    def _check_gate(self, off: bool | None, now: float) -> bool:
        """`off` gates the variator's output without changing its percent (PROTOCOL.md): its echo is then at our
        percent, and the load draws nothing. Said, not undone: an `off` may be the owner's own stop. Meanwhile the load
        is believed at 0 W, commanded 0 W unless forced (believed at its percent, its missing watts were taken for a
        full tank, the heater then left out until the daily clear after its `on`; its energy counted what it never
        drew), and left out of the allocation (FieldFeatures.regulated): the loads after it take the surplus. `off`:
        what its status says (None: neither). True when the gate changed."""
        if off is None or off == self._output_off:
            return False
        self._output_off = off
        if off:
            log.warning("%s: the variator reports its output off (\"state\": \"OFF\", an `off` sent by another "
                        "client): the load draws nothing whatever the percent until the variator is sent `on` "
                        "(mosquitto_pub -t %s -m on); left out of the regulation meanwhile", self.name,
                        self.topic_set_power, extra={"limit_key": f"{self.topic_status} state"})
            if self.forced_power_w is None:
                self.set_power(0.0, now, "variator output off")
            else:  # (its force's command kept: the owner's, or a rule's, whose count of the heater's energy stops)
                self.accumulate_energy_and_believe(0.0, now)
        else:
            log.info("%s: the variator reports its output on again: back in the regulation", self.name,
                     extra={"limit_key": f"{self.topic_status} state"})
            if self.forced_power_w is not None:  # (its force's watts again; a full-tank hold's 0 W ended meanwhile)
                self.set_power(self.forced_power_w, now, "variator output on again: its force")
        return True

    def set_power(self, watts: float, now: float, reason: str) -> bool:
        # (a new command is told by the command itself, not its time: two at one `now`, a force expiring and the
        # decision of the same tick, kept the first one's percent as the one sent)
        command, before = self._last_command, self._sent_percent
        if not super().set_power(watts, now, reason):
            return False
        if self._last_command is not command:
            self._commanded(now)
            self._sent_percent = sent = _percent_of(self.current_command().payload)
            recent = self._recent_percents  # (the older ones fall out; _check_echo judges their age)
            if before is not None:
                recent.append((now, before))
            if sent is not None:
                recent.append((now, sent))
        if self._output_off and self.current_power_w > 0:
            # Gated off: its command is sent (a force's: the `on` finds it at its percent), but it draws nothing, and
            # its energy counts nothing (a fallback rule counted a night's force it never drew: its need "met").
            self.accumulate_energy_and_believe(0.0, now)
        return True

    def _check_echo(self, percent: float, now: float) -> None:
        """The variator answers every command it takes with the percent it now runs at. One that is not our
        last command's came from someone else: the seed published its percents retained, and the variator
        takes that leftover again at each reconnect to the broker (80 % through the night while PySEB, which
        publishes nothing while its command holds, believed 0 W), or another client. Ours is sent again. (An
        echo within ECHO_LAG_S at a percent of ours of that time (sent, or replaced by one sent) may answer a command
        that crossed our last one on the broker: the variator's status is asked when ECHO_LAG_S is over, and its answer
        judged. Any echo within ECHO_LAG_S was left alone: another client's 100 % a second after our 0 % ran the heater
        from the grid all night, nothing sent again to be answered.)"""
        sent_percent = self._sent_percent  # (kept by set_power, through which every command goes)
        if sent_percent is None:
            self._at_command_at = now  # (no command of ours yet: at none but its own)
            return
        # (whole percents: the firmware runs 42.5 % as 42 %; a negative difference is a clock stepped back since:
        # judged, not left alone for the step's length)
        if whole_percent(percent) == sent_percent:
            self._at_command_at = now
            return
        # (a moment from when each command went: one that went out late replaced its percent only then)
        went_at = self.went_at
        if any(whole_percent(percent) == whole_percent(ours) for at, ours in self._recent_percents
               if at <= now and now - went_at(at) < self.ECHO_LAG_S):
            # (a percent of ours of a moment ago: the answer to a command our last one crossed, or another client's
            # at that very percent, the one our 0 % replaced: its status asked when the moment is over, and judged.
            # Not off our command: taken so, the closed loop's every crossed answer voided the probe of its step)
            last_at = self.last_command_at
            self._recheck_at = (went_at(last_at) if last_at is not None else now) + self.ECHO_LAG_S
            return
        self.off_command_at = now  # (its default after a boot whose re-sends were lost, or another client's percent)
        if 0 <= now - self._corrected_at < self.ECHO_LAG_S:
            # (corrected a moment ago: not sent again at the other client's pace; its status asked when the moment is
            # over, and its answer judged then)
            self._recheck_at = self._corrected_at + self.ECHO_LAG_S
            return
        self._corrected_at = now
        log.warning("%s: the variator reports %g %% where PySEB's command is %s %%: sent again (a command from "
                    "another client, or a retained one left on the broker: the seed published its percents "
                    "retained; clear it with mosquitto_pub -r -n -t %s)", self.name, percent,
                    self.current_command().payload, self.topic_set_power,
                    extra={"limit_key": f"{self.topic_status} echo"})
        if self.resend("variator at another percent"):
            self._commanded(now)  # (to be answered as any command: a correction lost is a silence too)

    def off_command_since(self, at: float) -> bool:
        """True when the variator ran off our command at some time since `at`: it booted or answered at another percent
        since, or before and has not answered at our percent since (its re-sends lost). One that never answers its
        commands is taken at our command from its boot's re-send on: nothing to judge by."""
        off_at = self.off_command_at
        if off_at is None:
            return False
        if off_at >= at:
            return True
        back_at = self._at_command_at
        if back_at is not None and back_at >= off_at:
            return back_at > at
        return self._answers

    def at_command_since(self, at: float) -> bool:
        """True when the variator is known at PySEB's command from `at` on: it answered at our percent since (a command,
        or the `status` question), and has not run off it since (booted, answered at another percent). One that never
        answers is taken at our command but across a boot since `at` (nothing else to judge by)."""
        if self.off_command_since(at):
            return False
        back_at = self._at_command_at
        return not self._answers or (back_at is not None and back_at >= at)

    @property
    def sent_percent(self) -> float | None:
        """The percent our last command sent (0 before any; None: a command that sends no percent)."""
        return self._sent_percent


def _percent_of(payload: str) -> float | None:
    """The percent a command's payload sends, or None for a payload that sends none (`status`, `on`, `off`)."""
    try:
        return float(payload)
    except ValueError:
        return None
