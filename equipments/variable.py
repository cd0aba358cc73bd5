"""A load behind a triac variator (e.g. a water heater): any power from `min_power` to its max, sent as a
percent through the load's calibration curve."""

from __future__ import annotations

import logging
import math
from collections import deque
from typing import TYPE_CHECKING, Any

from equipments.base import (
    BASE_OPTIONS,
    FORCED_BY_USER,
    MAX_LOAD_W,
    SMALL_LOAD_W,
    BuildContext,
    Command,
    Equipment,
    EquipmentBuildError,
    kilowatts_hint,
)
from equipments.boot_resends import BOOT_RESEND_WINDOW_S, BOOT_RESENDS_AT_ONCE, BootResendPace
from equipments.variable_curve import calibration_path, load_calibration
from settings.options import Option
from values.boots import (
    ECHO_LAG_S,
    SILENT_AFTER_S,
    boot_message_id,
    read_variator_status,
    split_device_topic,
    whole_percent,
)
from values.shown import shown

if TYPE_CHECKING:
    from collections.abc import Mapping

    from calibration.curve import PowerCurve

log = logging.getLogger(__name__)

# Our last percents kept for judging echoes (two a command: it and the one it replaced): eight commands, what a closed
# loop sends in ECHO_LAG_S at a decision every 0.6 s (a house meter every 2 s: 2 or 3). Faster, an echo of an older one
# is corrected: our command sent again, said as another client's.
RECENT_PERCENTS = 16


def format_percent(percent: float) -> str:
    """A percent as the variator firmware takes it: '0', '42.5', '100' (one decimal at most)."""
    return format(round(percent, 1), "g")


class VariableEquipment(Equipment):
    """Percent command on `topic_set_power`; watts -> percent through a fit of the calibration CSV."""

    KIND = "variable"
    OPTIONS = BASE_OPTIONS + (
        Option("calibration", "text?", None,
               "percent;watts CSV (default calibration/power_calibration_<name>.csv, then "
               "./power_calibration_<name>.csv)"),
        Option("min_power", float, 150.0, "watts below which the load is switched off (triac misfires); asked at "
               "it, the variator gets the whole percent under it, which may draw a few watts less", min=0,
               max=MAX_LOAD_W),
        Option("min_percent", float, 4.0, "a command below this percent becomes 0 (a surplus under what it draws is "
               "left to the loads after it); what it draws must be under the load's max", min=0, max=100),
        Option("max_power", "float?", None, "maximum watts (default: the calibration curve's maximum; a larger "
               "figure is held at the curve's, with a warning; under 50: refused, as kilowatts written for watts)",
               min=1, max=MAX_LOAD_W),
        Option("fit", str, "robust", "calibration fit method", choices=("robust", "poly")),
        Option("degree", int, 5, "degree of the polynomial when fit = poly", min=1, max=10),
        Option("topic_read_power", "text?", None, "the load's own meter topic, if it has one (not [mqtt]'s: "
               "what the load alone draws)"),
        Option("json_read_power", "json field", "power", "JSON field of watts in the load's own meter readings "
               "(names joined by dots for one inside an object: ENERGY.Power for a Tasmota plug, "
               "ENERGY.Power.0 for the first channel of a device of several)"),
        # Read by the field features' full-tank watch; declared here, with the load that takes it.
        Option("full_detect", str, "auto", "how a full tank is detected: auto (meter if topic_read_power is "
               "set, else inferred), meter, inferred or off", choices=("auto", "meter", "inferred", "off")),
        Option("topic_status", "text?", None, "the variator's status topic, read for boot_detected (default: "
               "topic_set_power without its trailing /cmd)"),
        Option("topic_boot", "text?", None, "the variator's boot message topic (default: the parent of "
               "topic_status)"),
        Option("device_id", "text?", None, "the variator's id in its boot message (default: the last segment "
               "of topic_status)"),
    )

    ECHO_LAG_S = ECHO_LAG_S  # (values.boots)
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

    @classmethod
    def packages(cls, section: Mapping[str, str]) -> tuple[str, ...]:
        """numpy for a curve fitted by `poly` (numpy's polyfit); the default robust fit is plain Python (numpy is
        15 MB of the daemon's memory)."""
        return ("numpy",) if section.get("fit", "").strip().lower() == "poly" else ()

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        self.min_power_w: float = options["min_power"]
        self.min_percent: float = options["min_percent"]
        # The command and believed watts of each whole percent, made once (at most 101 of them): a command is
        # made at every decision, and what a percent means (the topic, the curve) is fixed once built.
        self._command_at: dict[float, tuple[Command, float]] = {}
        self._off_command = (Command(self.topic_set_power, "0", False), 0.0)  # (the same: made once too)
        # The last watts turned into a whole percent, and that percent: the closed loop's share asks the percent of the
        # watts it then commands (its learned steps, core/continuous_share.py), one search of the curve for both.
        self._percent_of_w: tuple[float, float] = (math.nan, 0.0)
        path = self.calibration_path = calibration_path(name, options.get("calibration"), context.config_dir)
        self.curve: PowerCurve = load_calibration(path, options["fit"], options["degree"], self.min_power_w)
        configured_max = options.get("max_power")
        if configured_max is not None and configured_max < SMALL_LOAD_W:
            # (a relay's is warned: a small relay load may be real; no triac is sold for a few watts. The min_power
            # check below said "min_power (150 W) must be below the load's max (2 W)", sending the user to min_power)
            raise EquipmentBuildError("max_power", f"{configured_max:g} W is too little for a variable load: "
                                                   f"{kilowatts_hint(configured_max)}")
        self._max_power_w = float(min(configured_max, self.curve.max_power_w) if configured_max
                                  else self.curve.max_power_w)
        if self.min_power_w >= self._max_power_w:
            raise EquipmentBuildError("min_power", f"min_power ({self.min_power_w:g} W) must be below the "
                                                   f"load's max ({self._max_power_w:.0f} W)")
        # (its floor worked out once: min_power, its curve and min_percent are its config, never changed once built,
        # and the closed loop asks for it at every decision)
        self._least_on_w = least_on_w = self._floor_w()
        if least_on_w > self._max_power_w:
            # (every command, the regulation's and the fallback's alike, was then "0": a heater never on, said OK)
            key, why = (("min_percent", f"min_percent ({self.min_percent:g} %) draws {least_on_w:.0f} W")
                        if least_on_w > max(self.min_power_w, self.curve.min_on_w) else
                        ("max_power", f"its calibration conducts from {least_on_w:.0f} W"))
            raise EquipmentBuildError(key, f"{why}, above the load's max ({self._max_power_w:.0f} W): it could never "
                                           "be switched on")
        # (its switches at its floor, the loop's dither about it, held back in the log as its steps are)
        self._power_log.floor_w = lambda: self.least_on_w
        # (its floor as commanded, `least_on_w`: min_power said it, 150 W, of a curve on only from 717 W)
        log.info("%s: calibration %s (%s fit), %.0f..%.0f W", name, path, self.curve.method,
                 least_on_w, self._max_power_w)
        read_topic = options.get("topic_read_power")
        # (the seed's words for "no meter" besides its None, any case: false and nok; a topic so named waited for
        # readings that never come, the tank watched by the house meter meanwhile)
        self.topic_read_power: str | None = None if read_topic is not None and read_topic.strip().lower() in (
            "false", "nok") else read_topic
        self.json_read_power: str = options.get("json_read_power") or "power"
        self.full_detection = self._full_detection(options.get("full_detect") or "auto")
        self._resolve_device_topics(options)

    def _full_detection(self, asked: str) -> str | None:
        if asked == "meter" and not self.topic_read_power:
            raise EquipmentBuildError("full_detect", "full_detect = meter needs topic_read_power (the load's "
                                                     "own meter)")
        if asked == "auto":
            return "meter" if self.topic_read_power else "inferred"
        return None if asked == "off" else asked

    def _resolve_device_topics(self, options: dict[str, Any]) -> None:
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
        self._at_command_at: float | None = None  # its last answer at our command's percent
        self._corrected_at = float("-inf")  # the last command sent again for an echo at another percent
        # Our percents of the last ECHO_LAG_S, each with the one it replaced, by when sent: an echo at one of them
        # answers a command that crossed a later one on the broker; at none, it is another client's.
        self._recent_percents: deque[tuple[float, float]] = deque(maxlen=RECENT_PERCENTS)
        self._sent_percent: float | None = 0.0  # our last command's percent, as set_power sent it (the start's: 0)
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

    @property
    def max_power_w(self) -> float:
        return self._max_power_w

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
        later ones do not start the silence again); None when it has answered since (or has never answered at all: a
        firmware or a topic without answers, nothing to judge by)."""
        since = self._unanswered_since
        if not self._answers or since is None:
            return None
        if now < since:  # (a clock stepped back: counted from the step, not silent for the step's length)
            if self._asked_for == since:
                self._asked_for = now
            self._unanswered_since = since = now
        return now - since

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
        if any(whole_percent(percent) == whole_percent(ours) for at, ours in self._recent_percents
               if 0 <= now - at < self.ECHO_LAG_S):
            # (a percent of ours of a moment ago: the answer to a command our last one crossed, or another client's
            # at that very percent, the one our 0 % replaced: its status asked when the moment is over, and judged.
            # Not off our command: taken so, the closed loop's every crossed answer voided the probe of its step)
            self._recheck_at = (self.last_command_at or now) + self.ECHO_LAG_S
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

    def ask_status(self) -> bool:
        """Ask the variator for its status (the firmware's `status` word, PROTOCOL.md): it answers on its status topic
        with the percent it runs at. False when it could not be published (logged)."""
        return self._send(Command(self.topic_set_power, "status", False))

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

    @property
    def answers(self) -> bool:
        """True once the variator has answered a command of PySEB's (a status with a percent): its silences tell."""
        return self._answers

    def at_command_since(self, at: float) -> bool:
        """True when the variator is known at PySEB's command from `at` on: it answered at our percent since (a command,
        or the `status` question), and has not run off it since (booted, answered at another percent). One that never
        answers is taken at our command but across a boot since `at` (nothing else to judge by)."""
        if self.off_command_since(at):
            return False
        back_at = self._at_command_at
        return not self._answers or (back_at is not None and back_at >= at)

    def heard_after(self, at: float) -> bool:
        """True when the variator has answered on its status topic since `at`, or has never answered at all
        (a firmware or a topic without answers: nothing to judge by)."""
        return self.heard_at is None or self.heard_at >= at

    def _whole_percent(self, watts: float) -> float:
        # The variator firmware truncates the percent to a whole number (x.5 % draws what x % draws, on
        # every real sweep): send whole percents, rounded down so the load never draws more than asked.
        if watts > self._max_power_w:  # (not min(), whose call parses its keywords on Python 3.11: every decision)
            watts = self._max_power_w
        if watts <= 0:
            return 0.0
        known_w, percent = self._percent_of_w
        if watts != known_w:
            percent = float(whole_percent(float(self.curve.percent_for(watts))))
            self._percent_of_w = (watts, percent)
        return percent

    @property
    def sent_percent(self) -> float | None:
        """The percent our last command sent (0 before any; None: a command that sends no percent)."""
        return self._sent_percent

    def whole_percent_for(self, watts: float) -> int:
        """The whole percent `watts` is sent as (0: off, or under the curve's first conducting percent)."""
        return int(self._whole_percent(watts))

    def percent_w(self, percent: int) -> float:
        """What the whole `percent` is believed to draw (its calibration's watts)."""
        return self._made(float(percent))[1]

    def watts_above(self, watts: float) -> float:
        """What the whole percent over the one `watts` is sent as is believed to draw (min_percent at least;
        the max at the top)."""
        above = max(self._whole_percent(watts) + 1.0, float(math.ceil(self.min_percent)))
        return min(self._made(above)[1], self._max_power_w) if above <= 100 else self._max_power_w

    def command_for(self, watts: float) -> tuple[Command, float]:
        # The whole percent under `watts`, and what it is believed to draw.
        percent = self._whole_percent(watts)
        if percent < self.min_percent or watts < self.min_power_w:
            # Below min_percent the variator does not conduct reliably, below min_power the triac misfires: off,
            # and believed off. (The regulation never asks under min_power; a force may: 5 W was sent as the
            # lowest percent of the curve, 100 W.)
            return self._off()
        made = self._made(percent)
        if not 0 < made[1] <= watts + 0.5:
            # Under the sweep's lowest percent that conducts: its curve starts over `watts` (a heater conducting
            # only from 20 %, 400 W, was sent 20 % for 250 W, and imported the rest at every other reading), or
            # the whole percent under it is one the sweep found off. The load never draws more than asked: off.
            return self._off()
        return made

    def _off(self) -> tuple[Command, float]:
        return self._off_command

    @property
    def least_on_w(self) -> float:
        """The least it is ever asked to draw when on: min_power, or the curve's first conducting watts, or what
        min_percent draws, whichever is over (under it, `command_for` sends it off; the allocators count it off there
        too, not as taking the watts: a min_percent of 20 % (400 W) over a 150 W min_power held 320 W of surplus from
        the load after it, exported)."""
        return self._least_on_w

    def _floor_w(self) -> float:
        """`least_on_w`, worked out."""
        floor_w = max(self.min_power_w, self.curve.min_on_w)
        if self.min_percent > 0:
            floor_w = max(floor_w, self._made(min(100.0, float(math.ceil(self.min_percent))))[1])
        return floor_w

    def force(self, power_w: float, duration_s: float | None, now: float, reason: str,
              by: str = FORCED_BY_USER) -> bool:
        if power_w > 0 and self.command_for(power_w)[1] == 0:
            log.warning("%s: a force at %g W is under the least it draws steadily (%.0f W: min_power %.0f W, "
                        "min_percent %g %%, and the lowest percent that conducts, %g %%, %.0f W): off", self.name,
                        power_w, self.least_on_w, self.min_power_w, self.min_percent, self.curve.min_on_percent,
                        self.curve.min_on_w)
            power_w = 0.0  # (a force off, as the status's forced_power says: it said 100 W beside current_power 0)
        return super().force(power_w, duration_s, now, reason, by)

    def _made(self, percent: float) -> tuple[Command, float]:
        known = self._command_at.get(percent)
        if known is None:
            known = self._command_at[percent] = (Command(self.topic_set_power, format_percent(percent), False),
                                                 float(self.curve.watts_at(percent)))
        return known

    def increase_power_by(self, watts: float, now: float) -> float | None:
        room_w = self._max_power_w - self.current_power_w
        increase_w, left_w = (room_w, watts - room_w) if watts >= room_w else (watts, 0.0)
        if self.current_power_w + increase_w < self.least_on_w:
            log.debug("%s: %+.0f W would stay under the least it draws when on, %.0f W: unchanged", self.name,
                      increase_w, self.least_on_w)
            return watts
        if increase_w > 0:
            self.set_power(self.current_power_w + increase_w, now, f"surplus {watts:.0f} W")
        return left_w

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        decrease_w = min(watts, self.current_power_w)
        if self.current_power_w - decrease_w < self.least_on_w:
            decrease_w = self.current_power_w  # below min_power it would only misfire (or not conduct): off
        if decrease_w > 0:
            self.set_power(self.current_power_w - decrease_w, now, f"over-consumption {watts:.0f} W")
        return decrease_w


def _percent_of(payload: str) -> float | None:
    """The percent a command's payload sends, or None for a payload that sends none (`status`, `on`, `off`)."""
    try:
        return float(payload)
    except ValueError:
        return None
