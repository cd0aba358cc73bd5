"""The paho callbacks of the MQTT link (shell/mqtt_link.py): what runs on paho's network thread (or the first
attempt's) and only hands over to the main loop: a connection (subscriptions made, `online` published), a refusal, a
subscription refused, a drop (a takeover's longer wait set), a message. Apart from MqttLink's own methods, which the
main loop calls, because they run on another thread under other rules: nothing here may raise into paho (_guarded)
nor touch the regulator.

A mixin of `shell.mqtt_link.MqttLink`, acting on the link's state (declared below, set by `MqttLink.__init__`)."""

from __future__ import annotations

import functools
import socket
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import paho.mqtt.client as mqtt

from settings.sections import MqttSettings
from shell import paho_compat
from shell.broker_hints import refusal_hint, silent_broker_reason, unanswered_reason
from shell.clock_watch import steady_s
from shell.event_queue import EventSink
from shell.link_events import (
    ATTEMPT_FAILED,
    LEFTOVER_KEPT_BYTES,
    Connected,
    Disconnected,
    Leftover,
    LinkFault,
    Message,
    Refused,
    SubscriptionRefused,
)
from shell.link_health import AnswerWatch, EchoWatch, TakeoverGuard
from shell.owed_messages import OwedMessages

ONLINE = "online"  # (OFFLINE, the will and the stop's: shell/link_stop.py)
MIN_RECONNECT_S, MAX_RECONNECT_S = 1, 60  # paho doubles the wait from the first to the second


def set_nodelay(sock: object) -> None:
    """Turn Nagle's algorithm off on a TCP socket (no-op for other kinds)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass


F = TypeVar("F", bound=Callable[..., Any])


def _guarded(fatal: bool) -> Callable[[F], F]:
    """Nothing raised in a paho callback may kill paho's network thread silently: the exception is handed
    to the main loop (LinkFault), which logs it and, when `fatal`, stops the daemon."""

    def wrap(callback: F) -> F:
        @functools.wraps(callback)
        def guarded(self: LinkCallbacks, *args: Any, **kwargs: Any) -> Any:
            try:
                return callback(self, *args, **kwargs)
            except Exception:
                self._events.put(LinkFault(self._clock(), callback.__name__.lstrip("_"), traceback.format_exc(),
                                           fatal))
                return None

        return guarded  # type: ignore[return-value]

    return wrap


class LinkCallbacks:
    """paho's callbacks: hand over only (Connected, Refused, Disconnected, SubscriptionRefused, Leftover, Message)."""

    # The link's state these use (set by MqttLink.__init__), and its part they call.
    settings: MqttSettings
    _events: EventSink
    _subscriptions: Callable[[], list[str]]
    _leftover_topics: Callable[[], list[str]]
    _probing: frozenset[str]  # topics subscribed to only to find a retained message left there (Leftover)
    _echo_topics: Callable[[], list[str]]
    _echo_only: frozenset[str]  # topics subscribed to only to read PySEB's own messages back (EchoWatch)
    echo: EchoWatch
    answer: AnswerWatch
    _subscribing: dict[int, str]  # each subscription's message id: its topic
    _clock: Callable[[], float]
    _connections: int
    _refused: bool
    takeover: TakeoverGuard
    _backed_off: bool
    _stopping: bool
    _queue_full_said: bool
    owed: OwedMessages
    _attempt_failure: Callable[[OSError], str]

    def _on_socket_open(self, client: mqtt.Client, userdata: object, sock: object) -> None:
        self.answer.opened(time.monotonic())
        # Commands are small packets sent one at a time: without TCP_NODELAY, Nagle's algorithm holds
        # each behind the previous one's delayed ACK (~40 ms on Linux).
        set_nodelay(sock)

    @_guarded(fatal=True)  # connected but not subscribed would be a deaf daemon: better stopped
    def _on_connect(self, client: mqtt.Client, failure: str | None) -> None:
        self.answer.answered()
        if failure is not None:
            self.takeover.attempt_failed()
            self._refused = True
            st = self.settings
            self._events.put(Refused(self._clock(), failure + refusal_hint(failure, st.username, st.client_id)))
            return
        self._refused = False
        self._queue_full_said = False
        # What paho holds for this connection, sent by it right after this callback: the QoS 1 messages of a link dead
        # but not yet known to be (paho notices within 2 x keepalive, and takes every message meanwhile), not
        # acknowledged, and any it took with no connection. Sent, a relay switched on by the last readings before the
        # Wi-Fi went, then off by the stale guard, went on then off at the reconnect, a minute and more after the
        # evidence for it, its dwell skipped (a night force's on then off alike, with a long keepalive). Dropped: the
        # daemon sends what is in effect (each load's command, the daily report, the removed loads' offs not
        # acknowledged) once it takes the connection, as after an outage it knew of (shell/while_down.py). Kept at a
        # stop: the stop's offs, handed to paho whatever the link, go out if the broker is back within its wait
        # (`stopping` read with paho's queue locked: read before, a stop's off handed over in between was dropped).
        dropped = tuple(paho_compat.drop_kept(client, keep=lambda: self._stopping))
        self.takeover.connected(time.monotonic())
        subscriptions = self._subscriptions()
        self._subscribing = {}
        for topic in subscriptions:
            self._subscribe(client, topic)
        # (a broker sends a topic's retained message, flagged so, to a new subscription only: what comes later
        # on these topics, our own commands included, is no leftover)
        self._probing = frozenset(self._leftover_topics()) - set(subscriptions)
        for topic in self._probing:
            self._subscribe(client, topic)
        echoed = ({self.settings.topic_availability, *self._echo_topics()}) - set(subscriptions)
        self._echo_only = frozenset(echoed - self._probing)
        self.echo.start(echoed, time.monotonic())
        for topic in self._echo_only:
            self._subscribe(client, topic)
        # (a backstop since what paho kept is dropped above, but at a stop: with its queue full, a link dead but not
        # yet known to be, it refused `online` without a word, the availability topic left at the broker's `offline`
        # for as long as the connection lasted; the main loop sends it as soon as paho has room, send_owed)
        self.owed.forget()
        online = client.publish(self.settings.topic_availability, ONLINE, qos=1, retain=True)
        refused = online.rc == mqtt.MQTT_ERR_QUEUE_SIZE
        self.owed.published(self.settings.topic_availability, ONLINE, refused)
        self._connections += 1
        self._events.put(Connected(self._clock(), self._connections == 1, refused, dropped))

    def _subscribe(self, client: mqtt.Client, topic: str) -> None:
        result, mid = client.subscribe(topic, qos=1)
        if result == mqtt.MQTT_ERR_SUCCESS and mid is not None:
            self._subscribing[mid] = topic

    @_guarded(fatal=False)
    def _on_subscribe(self, client: mqtt.Client, mid: int, refused: bool) -> None:
        topic = self._subscribing.pop(mid, None)
        if refused and topic is not None:
            echo = topic in self._probing or topic in self._echo_only
            if echo:
                self.echo.forget(topic)  # (it cannot come back: not said missing)
            self._events.put(SubscriptionRefused(self._clock(), topic, echo))

    @_guarded(fatal=False)
    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        self.takeover.attempt_failed()
        self.answer.closed(time.monotonic())  # (a socket of this attempt, if one was opened, is not waited on)
        # (the retry's own reason: the first attempt's, said again in each reminder, sent a user who booted with no
        # network yet after a name that did not resolve, while the broker now refused the connection)
        exc = getattr(client, "last_attempt_error", None)
        self._events.put(Disconnected(self._clock(), ATTEMPT_FAILED if exc is None else self._attempt_failure(exc)))

    @_guarded(fatal=False)
    def _on_disconnect(self, client: mqtt.Client, reason: str) -> None:
        self.owed.forget()  # (the next connection sends its own)
        lasted_s, backoff_s = self.takeover.dropped(time.monotonic())
        unanswered_s = self.answer.closed(time.monotonic())
        # Set before paho's own wait starts (it runs right after this callback): a takeover lengthens it.
        if backoff_s is not None:
            client.reconnect_delay_set(min_delay=int(backoff_s), max_delay=int(max(backoff_s, MAX_RECONNECT_S)))
            self._backed_off = True
        elif self._backed_off and lasted_s is not None:  # a connection that lasted: paho's usual backoff again
            client.reconnect_delay_set(min_delay=MIN_RECONNECT_S, max_delay=MAX_RECONNECT_S)
            self._backed_off = False
        if self._refused:
            self._refused = False  # the refusal was reported with its reason; this adds nothing
            return
        # (no CONNACK came: a refusal has one). Held open that long without one: paho gave up waiting at [mqtt]
        # keepalive (its reason then, "Keep alive timeout", or the broker's close, named nothing to check)
        silent = lasted_s is None and unanswered_s is not None and unanswered_s >= self.answer.wait_s
        if silent:
            reason = silent_broker_reason(self.settings)
        elif lasted_s is None:
            reason = unanswered_reason(reason, self.settings)
        self._events.put(Disconnected(self._clock(), reason, lasted_s,
                                      self.takeover.short_in_a_row if backoff_s else 0, backoff_s, silent))

    @_guarded(fatal=False)
    def _on_loop_error(self, client: mqtt.Client, exc: Exception) -> None:
        # paho's loop raised (paho 1.6: a TLS alert, a TimeoutError) and its socket is closed: a dropped connection
        # whose reason paho did not say; it reconnects as after any.
        self._on_disconnect(client, str(exc))

    @_guarded(fatal=False)
    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        # (a retained message is the broker's old copy, not ours coming back)
        if not msg.retain and self.echo.came_back(msg.topic) and msg.topic in self._echo_only:
            client.unsubscribe(msg.topic)  # (read back once: the rest of its traffic is no business of ours)
        if msg.topic in self._echo_only:
            return
        if msg.topic in self._probing:
            if msg.retain and msg.payload:  # (its first bytes only: not bounded by the queue, see LEFTOVER_KEPT_BYTES)
                self._events.put(Leftover(msg.topic, bytes(msg.payload[:LEFTOVER_KEPT_BYTES]), self._clock(),
                                          len(msg.payload)))
            return
        # (bounded by the daemon's EventQueue, by count and bytes: a full one drops the oldest readings waiting to
        # make room, or this one; one bigger than the whole byte budget at once)
        self._events.put(Message(msg.topic, bytes(msg.payload), steady_s(), bool(msg.retain)))
