"""What the daemon's main loop does with the MQTT link's events, apart from the messages: the broker out of reach
said once and reminded (LinkReport), a connection (the regulator started, or its commands re-sent), a drop (a
takeover by another client with our client id told), a fault of a paho callback (a fatal one stops PySEB), a
retained command left on a load's topic (cleared), messages dropped for a full queue, PySEB's own messages the
broker did not pass back (its ACL).

A mixin of `shell.daemon.Daemon` (its `_loop` calls these), acting on the daemon's state (declared below, set by
`Daemon.__init__`)."""

from __future__ import annotations

import logging
import queue
import time

from core.regulator import Regulator
from shell.clock_watch import steady_s
from shell.event_queue import MAX_WAITING_BYTES, MAX_WAITING_MESSAGES, EventQueue
from shell.mqtt_link import (
    ATTEMPT_FAILED,
    RETRY_PACE,
    Connected,
    Disconnected,
    Leftover,
    LinkFault,
    MqttLink,
    SubscriptionRefused,
    retry_pace,
)
from shell.paho_compat import CONNECTION_CLOSED
from shell.removed_offs import RemovedOffs
from shell.status_drops import IN_A_ROW as STATUS_DROPS_IN_A_ROW
from shell.status_drops import StatusDrops
from shell.unacknowledged_offs import UnacknowledgedOffs
from shell.while_down import WhileDown, kept_dropped
from values.readings import MAX_PAYLOAD_BYTES

# The daemon's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("shell.daemon")

EXIT_LINK_FAULT = 1
OVERSIZE = "oversize packet"  # what mosquitto logs when it drops a client for a message over its max_packet_size
_WAITING_MIB = MAX_WAITING_BYTES // (1024 * 1024)


class LinkReport:
    """What the log says while the broker cannot be had: the reason once, then a reminder every
    `reminder_s` while the same reason lasts (paho retries every few seconds: a line per retry would
    bury everything else). Its times are the steady clock's (steady_s): the network coming back at a Pi's boot
    brings NTP's jump with it, and the outage was said to have lasted hours."""

    def __init__(self, reminder_s: float = 600.0) -> None:
        self.reminder_s = reminder_s
        self.down_since: float | None = None
        self.reason: str | None = None
        self.attempts = 0
        self._told_at = 0.0

    def down(self, reason: str, now: float, attempt: bool = True) -> str | None:
        """One more failed attempt, or a lost link (`attempt` False: no attempt of ours failed, and "connected again
        after 1 s (1 failed attempt)" said one had): "first", "reminder" or None (say nothing)."""
        self.attempts += attempt
        if self.down_since is None:
            self.down_since = now
        if reason != self.reason:
            self.reason, self._told_at = reason, now
            return "first"
        if now - self._told_at >= self.reminder_s:
            self._told_at = now
            return "reminder"
        return None

    def up(self, now: float) -> tuple[float, int] | None:
        """Connected: (seconds it was down, failed attempts), or None when it was not down."""
        if self.down_since is None:
            return None
        down = (now - self.down_since, self.attempts)
        self.down_since, self.reason, self.attempts = None, None, 0
        return down


class DaemonLinkEvents:
    """The link's events and its health, as the main loop meets them: the part of `Daemon` that talks of the broker."""

    # The daemon's state these use (set by Daemon.__init__).
    reg: Regulator
    link: MqttLink
    removed_offs: RemovedOffs
    link_report: LinkReport
    events: EventQueue
    username: str | None
    client_id: str
    status_drops: StatusDrops  # the statuses sent, and the drops right after one
    _started: bool
    _exit_code: int
    unacknowledged_offs: UnacknowledgedOffs
    while_down: WhileDown  # what the regulator published while the link was down (dropped)
    _readings: set[str]  # the meters' topics
    status_topic: str
    _refusals_said: set[str]  # the topics whose subscription refused was said (once a run each)

    def _on_link_fault(self, fault: LinkFault) -> bool:
        """Log a fault of a paho callback; True (the exit code set) when the link cannot work on."""
        log.error("internal error in the MQTT %s callback:\n%s", fault.callback, fault.trace.rstrip())
        if fault.fatal:
            log.error("the MQTT link cannot work on after that: stopping (exit %d) so that a supervisor restarts "
                      "PySEB", EXIT_LINK_FAULT)
            self._exit_code = EXIT_LINK_FAULT
        return fault.fatal

    def _events_at_stop(self, taken: object) -> None:
        """At a stop, the link's faults and first connection in the event just taken and in those still waiting (a
        backlog's messages are bounded: a pass over them is quick, the stop not delayed). A fatal fault gives the exit
        code, as it would have without the stop, so that a supervisor restarts PySEB: without it the stop exited 0.
        A connection the loop had not taken yet is said, the regulation not started for a stop: a SIGTERM right
        after `online` left no word in the log that PySEB had connected."""
        events = [taken]
        for _ in range(MAX_WAITING_MESSAGES + 100):  # (bounded: paho's thread may still be putting)
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                break
        for event in events:
            if isinstance(event, LinkFault):
                self._on_link_fault(event)
            elif isinstance(event, Connected) and not self._started:
                self._say_connected(event)

    def _say_dropped(self) -> None:
        dropped = self.events.take_dropped()
        full = f"the queue for the main loop was full ({MAX_WAITING_MESSAGES} messages or {_WAITING_MIB} MiB waiting)"
        if dropped.readings:
            log.warning("%d MQTT messages dropped (the last on %s): %s (a flood on the broker, or the loop held up); "
                        "meter readings, the oldest waiting (commands and device notices are kept)", dropped.readings,
                        dropped.last_reading_topic, full, extra={"limit_key": "dropped messages"})
        if dropped.others:
            log.warning("%d MQTT messages dropped (the last on %s), not meter readings: %s, too few of them readings "
                        "to make room (a flood of commands or device notices on the broker?): the newest were lost, "
                        "orders among them perhaps", dropped.others, dropped.last_other_topic, full,
                        extra={"limit_key": "dropped orders"})
        if dropped.too_big:
            log.warning("%d MQTT messages dropped (the last on %s): each bigger than the %d MiB all the messages "
                        "waiting for the main loop may hold (PySEB reads none over %d KiB)", dropped.too_big,
                        dropped.last_too_big_topic, _WAITING_MIB, MAX_PAYLOAD_BYTES // 1024,
                        extra={"limit_key": "dropped big messages"})

    def _check_echo(self) -> None:
        missing = self.link.echo.missing(time.monotonic())
        if missing:
            user = f"user {self.username!r}" if self.username else "an anonymous client"
            log.warning("the broker did not pass PySEB's own messages on %s back to it within %.0f s: its ACL most "
                        "probably refuses %s publishing there (no device then gets a command; mosquitto drops them "
                        "without a word), or reading them back (then all is well): allow both (mosquitto: topic "
                        "readwrite in its acl_file)", ", ".join(missing), self.link.echo.wait_s, user)

    def _check_answer(self) -> None:
        """A connection the broker took and has not answered for a few seconds, said then: paho waits for the answer
        up to [mqtt] keepalive, and the log was silent for as long. Its drop, said with the same reason, is not said
        again."""
        unanswered = self.link.unanswered()
        if unanswered is not None:
            waited_s, reason = unanswered
            self._report_down(f"cannot connect to the broker: {reason}", attempt=False,
                              pace=retry_pace(self.link.settings.keepalive),
                              so_far=f"; no answer in {waited_s:.0f} s so far")

    def _report_down(self, reason: str, level: int = logging.WARNING, attempt: bool = True, pace: str = RETRY_PACE,
                     so_far: str = "") -> None:
        """`reason` said once, then reminded; `pace`: how soon PySEB tries again; `so_far`: said after the reason the
        first time only (not a part of it: the same failure said later without it is no news)."""
        now = steady_s()
        said = self.link_report.down(reason, now, attempt)
        if said == "first":
            log.log(level, "%s%s; %s (logged again every %.0f min while it lasts)", reason, so_far, pace,
                    self.link_report.reminder_s / 60)
        elif said == "reminder":
            assert self.link_report.down_since is not None
            log.log(level, "still not connected: %s (%d attempts in %.0f min)", reason, self.link_report.attempts,
                    (now - self.link_report.down_since) / 60)

    def _oversize_hint(self, event: Disconnected) -> str:
        """What drops each right after a status may be: a broker whose packet limit is under its size drops the link
        at each status (mosquitto's max_packet_size; the status grows with the loads). Said only when the evidence
        points at the size (StatusDrops: the broker closed the link right after a status bigger than any it took and
        than any other message sent with it, twice in a row): a status goes out every few seconds, and two broker
        restarts days apart, each within 2 s of one, were told to raise it. From then on the status is held back while
        too big (StatusDrops.allows: the link holds, the loads are regulated), one tried a minute on (the two drops may
        have been a broker restarted twice), then hourly: a try the broker drops again is said as such."""
        drops = self.status_drops
        held = drops.holding
        size = drops.dropped(event.at, event.reason == CONNECTION_CLOSED)
        every = f"{drops.retry_s / 60:.0f} min"
        passed = f"{drops.passed_bytes} bytes" if drops.passed_bytes else "none so far"
        if size is not None and held:
            return (f", just after PySEB tried its status again ({size} bytes), held back as too big for the broker: "
                    f"still too big, held back again (raise its max_packet_size: \"{OVERSIZE}\" in its log); tried "
                    f"again in {every}")
        if size is None or drops.in_a_row < STATUS_DROPS_IN_A_ROW:
            return ""
        # (held back from now on: shell/status_drops.py; the status file is saved as ever)
        return (f", just after PySEB published its status ({size} bytes): a broker that refuses a message as too big "
                f"(\"{OVERSIZE}\" in its log) drops the link so; raise its max_packet_size; until it fits, PySEB "
                f"publishes no status bigger than the largest the broker took ({passed}), and tries one again in "
                f"{drops.first_try_s / 60:.0f} min, then every {every}")

    def _on_disconnected(self, event: Disconnected) -> None:
        log.debug("not connected to the broker (%s): retrying", event.reason)
        self.while_down.went_down()
        if self._started:
            self.reg.on_disconnected(event.at)
        if event.backoff_s is not None:
            # (a drop in its row all the same: the one that begins the status's hold is said with it, else it began
            # unsaid)
            hint = self._oversize_hint(event)
            # (its own sentence: after "Next attempt in 30 s", ", just after PySEB published its status" read as the
            # attempt's time)
            hint = f". This drop came {hint.removeprefix(', ')}" if hint else ""
            log.warning("the broker dropped the connection %d times in a row within seconds of connecting: another "
                        "client is probably connected with client_id %r (a second PySEB with a copy of this "
                        "config?); give each its own [mqtt] client_id. Or the broker refuses one of PySEB's "
                        "messages as too big (its log says \"%s\"): raise its max_packet_size. Next attempt in "
                        "%.0f s%s", event.taken_over, self.client_id, OVERSIZE, event.backoff_s, hint)
            # (the drop is said above, with its own wait: not once more with paho's usual pace)
            self.link_report.down(f"connection to the broker lost ({event.reason})", steady_s(), attempt=False)
        elif event.connected_for_s is not None:
            self._report_down(f"connection to the broker lost ({event.reason}){self._oversize_hint(event)}",
                              attempt=False)
        else:
            reason = f"cannot connect to the broker: {event.reason}"
            if event.reason == ATTEMPT_FAILED and self.link_report.reason is not None:
                reason = self.link_report.reason  # paho's retries say no more than the reason already logged
            # (a broker that held the attempt unanswered: paho waited [mqtt] keepalive before its usual wait)
            self._report_down(reason, pace=retry_pace(self.link.settings.keepalive if event.unanswered else None))

    def _on_subscription_refused(self, event: SubscriptionRefused) -> None:
        """Said once a run for each topic (at each reconnect the broker refuses it again)."""
        if event.topic in self._refusals_said:
            log.debug("the broker refused PySEB's subscription to %s again", event.topic)
            return
        self._refusals_said.add(event.topic)
        said = self.reg.subscription_refused(event.topic)
        if said is not None:  # (the earlier Home Assistant announcement's filter: read at the first connect only)
            log.warning("%s", said)
            return
        if event.echo or event.topic == self.status_topic:
            # (an ACL that lets PySEB publish its commands, its status, but not read them back is a fair one)
            log.info("the broker does not let PySEB subscribe to %s, where it publishes: %s is not checked",
                     event.topic, "another PySEB publishing there" if event.topic == self.status_topic
                     else "whether the broker passes PySEB's messages on there")
            return
        user = f"user {self.username!r}" if self.username else "an anonymous client"
        what = ("a meter's readings: they never reach PySEB" if event.topic in self._readings
                else "nothing published there reaches PySEB")
        log.error("the broker refused PySEB's subscription to %s (%s): its ACL does not let %s subscribe there; "
                  "allow it (mosquitto's dynamic security: a subscribe ACL for that topic in the client's role; "
                  "EMQX: its authorization rules), PySEB subscribes again at its next connection", event.topic, what,
                  user)

    def _on_leftover(self, event: Leftover) -> None:
        """A retained message where PySEB publishes its commands not retained: a device (or Domoticz) takes it as
        an order at each of its reconnects, behind PySEB's back (the heater at the seed's last 80 % all night).
        One of our loads' commands is cleared (an empty retained message deletes it), and the loads' commands
        sent again (the device heard the empty one); anyone else's is only told of."""
        shown = repr(event.payload[:80].decode("utf-8", "replace"))
        if event.size > 80:
            shown += f"..., {event.size} bytes" if event.size < 10 * 1024 else f"..., {event.size // 1024} KiB"
        if not self.reg.is_own_command(event.topic, event.payload):  # (its first bytes: Leftover)
            log.warning("a retained message sits on %s (%s), where PySEB publishes not retained: not one of "
                        "PySEB's commands, left as it is; a device or Domoticz reconnecting takes it as an order "
                        "(clear it: mosquitto_pub -r -n -t %s)", event.topic, shown, event.topic)
            return
        log.warning("a retained command was left on %s (%s; the seed published its commands retained): a device "
                    "or Domoticz reconnecting would take it as an order behind PySEB's back; cleared", event.topic,
                    shown)
        try:
            self.link.publish(event.topic, b"", retain=True)
        except (RuntimeError, ValueError) as exc:  # PublishFailed is a RuntimeError
            log.warning("could not clear the retained message on %s: %s", event.topic, exc)
        if self._started:
            self.reg.resend_commands("a retained leftover cleared")

    def _send_owed(self) -> None:
        """`online` refused by paho's full queue at the connect, the daily report refused so, published once paho has
        room (at the ticks; not while the link is known down: paho kept it for the reconnect, which sends its own)."""
        if self.while_down.down:
            return
        for topic in self.link.send_owed():
            what = "`online`" if topic == self.link.settings.topic_availability else "the daily report"
            log.info("%s published on %s: paho has room again", what, topic)

    def _say_connected(self, event: Connected) -> None:
        """The connection's lines: back after an outage, and the first one's subscriptions."""
        down = self.link_report.up(steady_s())
        if down is not None:
            # ("again" only after a connection: the first one, after a start refused or unanswered, is no return)
            log.info("connected to the broker%s after %.0f s (%d failed attempt%s)", "" if event.first else " again",
                     down[0], down[1], "" if down[1] == 1 else "s")
        if not self._started:
            log.info("connected; subscribed to %s", ", ".join(self.reg.subscriptions()))

    def _on_connected(self, event: Connected) -> None:
        self._say_connected(event)
        if event.online_refused:
            log.warning("paho's queue was full at the connect (PAHO_QUEUE_MAX messages the broker has not "
                        "acknowledged, from a link dead before it was known to be): it refused `online` on %s, where "
                        "the broker's `offline` stays meanwhile; published as soon as paho has room",
                        self.link.settings.topic_availability)
        dropped = self.while_down.back()
        if not self._started:
            # (the loads no longer configured first, as the regulator's start has them: a renamed device's own
            # command comes after; sent here, where the link is known: it may have dropped since this connection)
            self.removed_offs.send(self.reg.take_switch_offs_at_start(self.removed_offs.pending))
            self.reg.start(event.at)  # every load to 0 first, then restored forces
            self._started = True
        else:
            log.info("reconnected: subscriptions renewed, commands and the last daily report re-sent%s%s", dropped,
                     kept_dropped(event.dropped))
            self.removed_offs.reconnected()
            self.reg.resend_commands("reconnected")
            self.unacknowledged_offs.resent()
            self.reg.republish_report()
        self.reg.on_connected(event.at)  # e.g. ask Domoticz for the water heater's mode again
