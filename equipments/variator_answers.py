"""Whether a variator answers PySEB's commands: its silences (judged, its status asked about them), its boots (our
command sent again, at a bounded pace), the broker link's outages; its device topics. The status messages themselves
are read by VariatorEchoes (equipments/variator_echoes.py), built on this."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from equipments.base import Equipment
from equipments.boot_resends import BOOT_RESEND_WINDOW_S, BOOT_RESENDS_AT_ONCE, BootResendPace
from equipments.load_build import BuildContext
from equipments.load_command import Command
from values.boots import SILENT_AFTER_S, split_device_topic

# The load's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("equipments.variable")

# Our commands that went out late kept (their stamp, when they went): as many as the echoes judge the percents of
# (equipments/variator_echoes.py, RECENT_PERCENTS: two a command), a queue's worth of them taken in a row.
LATE_KEPT = 8


class VariatorAnswers(Equipment):
    """A variator's answers to our commands and its silences (a base of VariableEquipment: the timers, asks and
    re-sends of its variator)."""

    # A variator that answers its commands (the firmware's status after each one, within a fraction of a second) and
    # has not answered ours for this long (from the first one unanswered) is silent: off the network, rebooting (its
    # triac off), so the watts it is believed at may not be drawn (FieldFeatures.after_held: no relay after it
    # switches on meanwhile)...
    SILENT_AFTER_S = SILENT_AFTER_S  # (values.boots)
    # ...its status asked after this long (an echo lost on the way is no silence: the answer ends it), then again
    # twice as late each time, up to ASK_SILENT_MAX_S, while the silence lasts: back from a Wi-Fi drop at the percent it
    # ran at (no boot: its triac ran on), it is told our command by its answer (_check_echo); asked once, a variator
    # back at 100 % while the loop's command held at 0 % under the import drew 2 kW from the grid for good...
    ASK_SILENT_AFTER_S = 5.0
    ASK_SILENT_MAX_S = 60.0
    # ...and no longer waited for after this long: gone (its power cut, its Wi-Fi lost), the relays after it may take
    # the surplus it cannot draw rather than leave it exported for hours.
    SILENT_WAIT_S = 60.0
    # A variator that has nothing to answer (held at its max, no command to send) is asked its status when the house
    # falls at once by what it drew (its thermostat, an appliance, or its reboot: the triac off), at most this often.
    DOUBT_EVERY_S = 60.0

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        # The firmware's topics: commands on <topic>/<name>/cmd, status on <topic>/<name>, boot on <topic>.
        derived = self.topic_set_power[:-len("/cmd")] if self.topic_set_power.endswith("/cmd") else None
        self.topic_status: str | None = options.get("topic_status") or derived
        parts = split_device_topic(self.topic_status) if self.topic_status else None
        self.topic_boot: str | None = options.get("topic_boot") or (parts[0] if parts else None)
        self.device_id: str | None = options.get("device_id") or (parts[1] if parts else None)
        # The last status on the status topic: the firmware answers every command there. None: never yet.
        self.heard_at: float | None = None
        # The last time it was known to run off our command: its boot message or boot_detected (at its default until
        # our command is sent again), or its answer at a percent not ours (its default after a boot whose re-sends were
        # lost, another client's). What its heater drew until then says nothing of its tank (FullTank.on_reading).
        self.off_command_at: float | None = None
        self._corrected_at = float("-inf")  # the last command sent again for an echo at another percent
        self._recheck_at: float | None = None  # an echo not ours came too soon after a correction: asked then
        self._output_off = False  # its status said its output is gated off (`off`), and not on since
        # Its answers to our commands (a status with a percent, not a boot's), for `silent`: whether it gives any, and
        # since when our commands have gone unanswered (the first sent after its last answer; None: answered).
        self._answers = False
        self._unanswered_since: float | None = None
        self._asked_for: float | None = None  # the silence (its _unanswered_since) its status was asked for
        self._ask_again_at: float | None = None  # ...and when to ask again, while it lasts
        self._doubted = False  # its status asked for a fall of the house (doubt_drawing), not answered yet
        # The broker link is down: no status is asked (each ask was kept by paho until the link came back, with no
        # bound: one a minute of an outage, all sent to the variator at once at the reconnect).
        self._link_down = False
        self._doubted_at: float | None = None
        self._boot_pace = BootResendPace()  # a flood of boots is no flood of commands
        # Our last commands that went out late, their message having waited in the daemon's queue: (its stamp, when it
        # went; command_sent_late), the latest last. Their answer is awaited from then. (Not the last one only: two
        # taken in a row on messages that waited together, the first's silence and the percent it replaced were timed
        # from its stamp again.)
        self._went_late: deque[tuple[float, float]] = deque(maxlen=LATE_KEPT)

    def _booted(self, said: str, topic: str, now: float) -> None:
        """A boot signal: the variator runs at its default, not at our command; sent again at once, but at most
        BOOT_RESENDS_AT_ONCE times in BOOT_RESEND_WINDOW_S (a boot loop, or boot messages from another client, would
        have each its command); one held back is sent when the window lets it (run_timers)."""
        self.off_command_at = now
        # Alive, but off our command until it answers the re-send (now, or held back): a silence of its own from now,
        # asked about again if it lasts (the question asked while it was off the network went nowhere; the re-send
        # may be lost: the variator not subscribed yet).
        self._unanswered_since, self._asked_for = now, None
        answer = self._boot_pace.on_boot(now)
        command = self.current_command().payload
        if answer == "send":
            log.info("%s: %s: re-sending its command %s", self.name, said, command, extra={"limit_key": topic})
            self._resend_after_boot("variator booted", now)
        elif answer == "hold first":
            log.warning("%s: %s, again: more than %d boot signals in %.0f s (a variator rebooting again and again, its "
                        "power or its firmware; or another client publishing boot messages): its command %s is sent "
                        "again %d times in %.0f s at most while they last, the next in %.0f s", self.name, said,
                        BOOT_RESENDS_AT_ONCE, BOOT_RESEND_WINDOW_S, command, BOOT_RESENDS_AT_ONCE,
                        BOOT_RESEND_WINDOW_S, (self._boot_pace.due_at or now) - now,
                        extra={"limit_key": f"{topic} boots"})
        else:
            log.debug("%s: %s: its command's re-send held back until %.0f", self.name, said,
                      self._boot_pace.due_at or now)

    def next_timer_at(self) -> float | None:
        if self._link_down:
            return None  # (its timers wait for the link: none is given as due meanwhile)
        # (the re-ask of this very silence only: one of a silence answered since is no timer, and in the past it hid the
        # regulator's other deadlines from the daemon's loop)
        ask_at = self._ask_again_at if self._unanswered_since is not None and \
            self._asked_for == self._unanswered_since else None
        due = [at for at in (self._boot_pace.due_at, self._recheck_at, ask_at) if at is not None]
        return min(due) if due else None

    def _unanswered_s(self, now: float) -> float | None:
        """Seconds since the first of our commands the variator, answering its commands, has not answered (the loop's
        later ones do not start the silence again), from when it went out; None when it has answered since (or has
        never answered at all: a firmware or a topic without answers, nothing to judge by)."""
        since = self._unanswered_since
        if not self._answers or since is None:
            return None
        if now < since:  # (a clock stepped back: counted from the step, not silent for the step's length)
            if self._asked_for == since:
                self._asked_for = now
            self._unanswered_since = since = now
        went_at = self.went_at(since)
        return now - went_at if now > went_at else 0.0

    def command_sent_late(self, stamp: float, late_s: float) -> None:
        """Our commands stamped `stamp` (a message's date) went out `late_s` after it, the message having waited in the
        daemon's queue (Regulator.commands_sent_late): their answer is awaited from then. (From the stamp, a main loop
        held up 6 s had the timers' pass right after it say the variator silent "for 6 s", its answer on its way: its
        status asked, the relays after it held.) A command sent again on that message (another client's percent
        echoed) keeps its command's time: its silence, counted from the resend, is matched instead."""
        if self.last_command_at == stamp or self._unanswered_since == stamp:
            self._went_late.append((stamp, stamp + late_s))

    def went_at(self, at: float) -> float:
        """When our command stamped `at` went out: later than `at` for one that went out late."""
        for stamp, went_at in self._went_late:  # (none but after a main loop held up)
            if stamp == at:
                return went_at
        return at

    def silent(self, now: float) -> bool:
        """True while the variator has not answered our commands for SILENT_AFTER_S to SILENT_WAIT_S, or its status
        asked for a fall of the house (doubt_drawing) from the question on: it may draw nothing (off the network,
        rebooting), so the closed loop switches no relay after it on in its place, nor raises it."""
        unanswered_s = self._unanswered_s(now)
        return unanswered_s is not None and (self._doubted or unanswered_s >= self.SILENT_AFTER_S) and \
            unanswered_s < self.SILENT_WAIT_S

    def held_down(self, now: float) -> bool:
        """True while silent since its status was asked for a fall of the house (doubt_drawing): maybe rebooting, its
        triac off, so the closed loop does not raise it into the surplus its absence made (the raise, re-sent at its
        boot, imported 800 W for a reading); it may go down with the house. (A silence of a command only, an echo lost,
        holds nothing: the loop's next command is answered, and ends it.)"""
        return self._doubted and self.silent(now)

    def doubt_drawing(self, now: float) -> bool:
        """The house just fell at once by what the load drew: its thermostat cut, an appliance of its size stopped,
        or the variator rebooted (its triac off until our command is re-sent at its boot). Held at its max, it had
        no command to answer: judged drawing, the relay after it came on "over a heater at its max", and its
        min_on_s kept the heater short by its watts once the variator was back. Its status is asked: silent from
        the question until it answers (at once on a working network; the next reading shows a full tank's fall
        again; unanswered after ASK_SILENT_AFTER_S, asked again, said at INFO). At most every DOUBT_EVERY_S (an
        appliance of its size cycling beside it); not while waiting for an answer already, nor for a variator that
        never answers. True when asked."""
        if not self._answers or self._unanswered_since is not None or self._output_off or \
                (self._doubted_at is not None and 0 <= now - self._doubted_at < self.DOUBT_EVERY_S):
            return False
        self._doubted_at = now
        if not self.ask_status():
            return False
        log.debug("%s: the house fell at once by about what it drew: its variator's status asked (a reboot turns its "
                  "triac off)", self.name)
        self._unanswered_since, self._doubted = now, True
        return True

    def link_dropped(self) -> None:
        self._link_down = True

    def link_restored(self, now: float) -> None:
        """Its silence, if one goes on, is judged from the connect: our commands' answers of the outage were lost (the
        commands themselves reach it now, paho sending them), and its status is asked if it stays silent."""
        if self._link_down and self._unanswered_since is not None:
            # (a fall's doubt too is old news: the regulation suspended with the meters silent, every load at 0 W)
            self._unanswered_since, self._asked_for, self._ask_again_at, self._doubted = now, None, None, False
        self._link_down = False

    def run_timers(self, now: float) -> None:
        if self._link_down:
            return  # (asks and re-sends wait for the link: see link_restored)
        unanswered_s = self._unanswered_s(now)
        if unanswered_s is not None and unanswered_s >= self.ASK_SILENT_AFTER_S:
            if self._asked_for != self._unanswered_since:
                self._asked_for = self._unanswered_since  # (said once a silence)
                self._ask_again_at = now + 2 * self.ASK_SILENT_AFTER_S
                log.info("%s: the variator has not answered its commands for %.0f s (off the network, rebooting?): "
                         "its status asked, and again while it does not answer; the closed loop switches no load after "
                         "it on until it answers, for %.0f s at most", self.name, unanswered_s, self.SILENT_WAIT_S,
                         extra={"limit_key": f"{self.topic_status} silent"})
                self.ask_status()
            elif self._ask_again_at is not None and (now >= self._ask_again_at or now < self._ask_again_at - 2 * (
                    self.ASK_SILENT_MAX_S)):  # (or a clock stepped back)
                self._ask_again_at = now + min(2 * unanswered_s, self.ASK_SILENT_MAX_S)
                log.debug("%s: still no answer after %.0f s: its status asked again", self.name, unanswered_s)
                self.ask_status()
        if self._recheck_at is not None and (now >= self._recheck_at or now < self._corrected_at):
            self._recheck_at = None  # (a clock stepped back: asked now)
            self.ask_status()
        if self._boot_pace.resend_due(now):
            log.info("%s: re-sending its command %s, held back from a flood of boot signals", self.name,
                     self.current_command().payload, extra={"limit_key": f"{self.topic_boot} boots resent"})
            self._resend_after_boot("variator booted (held back)", now)

    def _resend_after_boot(self, reason: str, now: float) -> None:
        """Our command again, to a variator at its default since its boot: a new command for the evidence clock (it
        draws it from now on), so the next decision waits for a house reading that shows it. Decided on one from before
        it (the heater at its boot's 0 %, believed at the command), the loop took the heater for saturated at its
        100 % re-sent, and switched a relay on over it: the grid then imported 1.8 kW for a reading, and the relay's
        min_on_s kept the heater short for ten minutes."""
        if self.resend(reason):
            self.last_command_at = now
            self._commanded(now)

    def _commanded(self, now: float) -> None:
        """A command of ours went out at `now`: it starts a silence until the variator answers (if none has)."""
        if self._unanswered_since is None:
            self._unanswered_since = now

    def ask_status(self) -> bool:
        """Ask the variator for its status (the firmware's `status` word, PROTOCOL.md): it answers on its status topic
        with the percent it runs at. False when it could not be published (logged)."""
        return self._send(Command(self.topic_set_power, "status", False))

    @property
    def answers(self) -> bool:
        """True once the variator has answered a command of PySEB's (a status with a percent): its silences tell."""
        return self._answers

    def heard_after(self, at: float) -> bool:
        """True when the variator has answered on its status topic since `at`, or has never answered at all
        (a firmware or a topic without answers: nothing to judge by)."""
        return self.heard_at is None or self.heard_at >= at
