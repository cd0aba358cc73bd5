"""The sweep's MQTT connection (paho 2.x): commands out, meter/availability/variator events in.

Callbacks only hand events to the sweep (`on_event(kind, data)`); they never decide anything.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from calibration.meter import echo_percent
from calibration.sweep_base import SweepError, format_percent
from calibration.sweep_link_end import COMMAND_QOS, FINAL_PUBLISH_WAIT_S, EndPercent
from calibration.sweep_target import SweepTarget
from shell.broker_hints import connect_failure_hint, silent_broker_reason, unanswered_reason
from shell.link_health import AnswerWatch
from values.boots import whole_percent

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

__all__ = ["SweepError", "SweepLink", "format_percent"]

# At the end, a broker that cannot be reached is waited for this long (paho's network thread reconnects on
# its own): a broker that crashed sends no will (mosquitto stopped cleanly sends it, to the clients still connected
# only), and the variator would stay at the sweep's last percent.
FINAL_RECONNECT_WAIT_S = 30.0
# paho's reconnect delays (s). Its default backoff doubles up to 120 s: by the end of a sweep stopped by its
# meter timeout (30 s), a broker back within the wait above would often not be tried again in time.
RECONNECT_DELAY_S = (1, 2)


class SweepLink(EndPercent):
    """Connects to the broker, subscribes on every (re)connect, publishes percents; `finish()` cleans up.

    An unarmed link (`armed=False`) only listens to the regulator's availability (and for a message retained on the
    command topic, which it may clear once the check has passed: the regulator offline or not heard of, or `online`
    with --ignore-availability, the user vouching it stale): it has no will and never commands, so killing the tool
    while it checks cannot touch a variator the regulator drives.
    """

    def __init__(self, target: SweepTarget, end_percent: float, on_event: Callable[[str, object], None],
                 armed: bool = True, heed_availability: bool = True) -> None:
        self.target = target
        self.end_percent = end_percent
        self.armed = armed
        self._on_event = on_event
        self._started = False
        self._answered = False  # the broker answered the current connection's CONNECT
        # (the connection under way: taken by the broker and held without an answer, said as the daemon's link says it)
        self.answer = AnswerWatch()
        # Up from a CONNACK to the next drop, told by paho's callbacks: paho 1.6's is_connected() stays True after a
        # drop until its first try to reconnect. `_connections` counts the CONNACKs.
        self._up = False
        self._connections = 0
        self.commanded = False  # only a link that has sent a percent puts the load back at the end
        # When a stop was last asked (monotonic s; a signal sets it): one asked once the end's wait for the
        # broker has begun gives that wait up (the stop that ended the sweep came before it).
        self.stop_asked_at: float | None = None
        self.last_percent: float | None = None  # the last percent sent: where the load may be left
        # The variator's status at the end percent, once that was published: the broker's acknowledgement says only
        # that the broker has it (a variator offline or stuck at 100 % was said "at 0.0 %").
        self._end_sent = False
        self._end_answer = threading.Event()
        self.end_answered = False
        # The regulator's availability says `online` (its last message): it commands the variator now, and the end's
        # resends would fight it; `heed_availability` False (--ignore-availability): resent all the same.
        self.regulator_online = False
        self.heed_availability = heed_availability
        self.yielded_to_regulator = False  # the end's wait gave way to it (the load is the regulator's now)
        role = "" if armed else "-check"
        # (paho-mqtt only here: `python3 -m calibration fit` and --help run without it)
        from shell import paho_compat

        self.client = paho_compat.new_client(f"pyseb-calibration-{target.name}-{os.getpid()}{role}")
        if target.username:
            self.client.username_pw_set(target.username, target.password)
        if target.tls:
            try:
                self.client.tls_set(ca_certs=target.ca_file, certfile=target.cert_file, keyfile=target.key_file,
                                    cert_reqs=ssl.CERT_REQUIRED)
            except (OSError, ValueError) as exc:  # (ssl.SSLError is an OSError; the config check finds most)
                raise SweepError(f"cannot set up TLS with the [mqtt] TLS files: {exc}") from None
        if armed:
            # If this tool dies or loses the broker mid-sweep, the broker itself leaves the load at the end
            # percent.
            self.client.will_set(target.topic_set_power, format_percent(end_percent), qos=COMMAND_QOS,
                                 retain=False)
        self.client.reconnect_delay_set(min_delay=RECONNECT_DELAY_S[0], max_delay=RECONNECT_DELAY_S[1])
        paho_compat.on_connect(self.client, self._on_connect)
        paho_compat.on_disconnect(self.client, self._on_disconnect)
        self.client.on_connect_fail = self._on_connect_fail
        self.client.on_socket_open = self._on_socket_open
        self.client.on_loop_error = self._on_loop_error
        self.client.on_message = self._on_message

    def start(self) -> None:
        """Open the connection and start paho's network thread (the CONNACK arrives as a 'connected' event)."""
        try:
            self.client.connect(self.target.host, self.target.port, keepalive=self.target.keepalive_s)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise SweepError(f"cannot connect to the broker {self.target.host}:{self.target.port}: {exc}"
                             f"{connect_failure_hint(exc, self.target)}") from None
        self.client.loop_start()
        self._started = True

    def unanswered(self) -> tuple[float, str] | None:
        """The connection under way, taken by the broker and not answered for AnswerWatch.wait_s or more: (how long,
        why, as the daemon's link says it); once a connection (None otherwise)."""
        waited_s = self.answer.overdue(time.monotonic())
        return None if waited_s is None else (waited_s, silent_broker_reason(self.target))

    def _on_socket_open(self, client: mqtt.Client, userdata: object, sock: object) -> None:
        self.answer.opened(time.monotonic())

    def _on_connect(self, client: mqtt.Client, failure: str | None) -> None:
        self.answer.answered()
        if failure is not None:
            self._on_event("refused", failure)
            return
        self._answered = True
        self._up = True
        self._connections += 1
        if not self.armed:
            # (and the command topic: a percent left retained there, which the variator takes again at each reconnect)
            client.subscribe([(self.target.topic_availability, 0), (self.target.topic_set_power, 0)])
            self._on_event("connected", None)
            return
        topics = [self.target.topic_read_power, self.target.topic_availability]
        if self.target.topic_variator_status:
            topics.append(self.target.topic_variator_status)
        client.subscribe([(t, 0) for t in topics])
        self._on_event("connected", None)

    def _on_disconnect(self, client: mqtt.Client, reason: str) -> None:
        self._up = False
        held_s = self.answer.closed(time.monotonic())
        # (finish() clears _started first: its own clean disconnect is no news)
        if self._started:
            # A connection the broker dropped before answering: a TLS setting that does not match its listener,
            # most likely, said as the daemon says it; held open unanswered until paho gave up at the keepalive, a
            # broker stalled or a port another service's (a TLS listener drops a CONNECT at once).
            if self._answered:
                told = reason
            elif held_s is not None and held_s >= self.answer.wait_s:
                told = silent_broker_reason(self.target)
            else:
                told = unanswered_reason(reason, self.target)
            self._answered = False
            self._on_event("disconnected", told)

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        # paho's background retry failed (the broker still down, or refusing the TLS handshake)
        self.answer.closed(time.monotonic())  # (a socket of this attempt, if one was opened, is not waited on)
        exc = getattr(client, "last_attempt_error", None)
        if self._started:
            self._on_event("disconnected", "connection attempt failed" if exc is None
                           else f"{exc}{connect_failure_hint(exc, self.target)}")

    def _on_loop_error(self, client: mqtt.Client, exc: Exception) -> None:
        # paho's loop raised (paho 1.6: a TLS alert after the handshake) and closed its socket: a dropped connection
        self._on_disconnect(client, f"{exc}{connect_failure_hint(exc, self.target)}")

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        if message.topic == self.target.topic_read_power:
            self._on_event("reading", payload)
        elif message.topic == self.target.topic_availability:
            self.regulator_online = payload.strip() == b"online"
            self._on_event("availability", payload.decode("utf-8", "replace").strip())
        elif message.topic == self.target.topic_variator_status:
            if self._end_sent and not self._end_answer.is_set():
                echo = echo_percent(payload)
                if echo is not None and whole_percent(echo) == whole_percent(self.end_percent):
                    self._end_answer.set()
            self._on_event("variator", payload)
        elif message.topic == self.target.topic_set_power and message.retain:
            self._on_event("leftover", payload)

    def set_percent(self, percent: float) -> None:
        """Command the variator (QoS 1, not retained: a retained percent would outlive the sweep)."""
        if not self.armed:
            raise RuntimeError("an unarmed (checking) link never commands the variator")
        self.commanded = True
        self.last_percent = percent
        self.client.publish(self.target.topic_set_power, format_percent(percent), qos=COMMAND_QOS)

    def ask_status(self) -> None:
        """Ask the variator its status (the firmware's `status` word): it answers with the percent it runs at, its
        state, and `boot_detected` right after a reboot. Changes nothing on the variator; not `last_percent`."""
        if not self.armed:
            raise RuntimeError("an unarmed (checking) link never commands the variator")
        self.client.publish(self.target.topic_set_power, "status", qos=COMMAND_QOS)

    def clear_retained(self) -> bool:
        """Delete the message retained on the command topic (an empty retained one, QoS 1); True once the broker has
        it. The one thing an unarmed link sends: what the variator would take again at its next reconnect."""
        info = self.client.publish(self.target.topic_set_power, b"", qos=COMMAND_QOS, retain=True)
        try:
            info.wait_for_publish(FINAL_PUBLISH_WAIT_S)
        except (RuntimeError, ValueError):  # (the connection dropped meanwhile)
            return False
        return info.is_published()

    def finish(self, reconnect_wait_s: float | None = None, answer_wait_s: float = 0.0) -> bool:
        """Leave the load at the end percent if we commanded it (waiting for the broker to have it, and
        for a broker that went away to come back, up to `reconnect_wait_s`; then for the variator's status at it, up
        to `answer_wait_s`: `end_answered`), disconnect, stop the network thread. False when the broker never
        confirmed the end percent: the load may be left at `last_percent`."""
        if not self._started:
            return True
        self._started = False
        if not self.commanded:
            # Refused before any command (e.g. the regulator is online): the variator is not ours to touch.
            self.client.disconnect()
            self.client.loop_stop()
            return True
        confirmed = self._send_end(FINAL_RECONNECT_WAIT_S if reconnect_wait_s is None else reconnect_wait_s)
        if confirmed and self.target.topic_variator_status is not None:
            self.end_answered = self._wait_for_end_answer(answer_wait_s)
        if self.client.is_connected():
            self.client.disconnect()
        self.client.loop_stop()
        return confirmed
