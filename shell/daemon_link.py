"""What the daemon's main loop does with the MQTT link's events, apart from the messages and the link down
(shell/daemon_link_down.py): a connection (the regulator started, or its commands re-sent), a fault of a paho
callback (a fatal one stops PySEB), a retained command left on a load's topic (cleared), messages dropped for a full
queue, PySEB's own messages the broker did not pass back (its ACL), a subscription the broker refused.

A mixin of `shell.daemon.Daemon` (its `_loop` calls these), acting on the daemon's state (declared below, set by
`Daemon.__init__`)."""

from __future__ import annotations

import logging
import queue
import time

from core.regulator import Regulator
from shell.clock_watch import steady_s
from shell.daemon_link_down import LinkReport
from shell.event_queue import MAX_WAITING_BYTES, MAX_WAITING_MESSAGES, EventQueue
from shell.link_events import Connected, Leftover, LinkFault, SubscriptionRefused
from shell.mqtt_link import MqttLink
from shell.removed_offs import RemovedOffs
from shell.unacknowledged_offs import UnacknowledgedOffs
from shell.while_down import WhileDown, kept_dropped
from values.readings import MAX_PAYLOAD_BYTES

# The daemon's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("shell.daemon")

EXIT_LINK_FAULT = 1
_WAITING_MIB = MAX_WAITING_BYTES // (1024 * 1024)


class DaemonLinkEvents:
    """The link's events and its health, as the main loop meets them: the part of `Daemon` that talks of the broker."""

    # The daemon's state these use (set by Daemon.__init__).
    reg: Regulator
    link: MqttLink
    removed_offs: RemovedOffs
    link_report: LinkReport
    events: EventQueue
    username: str | None
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
