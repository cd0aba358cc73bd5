"""The MQTT side: paho-mqtt (2.x, or Debian's 1.6.1) on its own network thread. Callbacks only hand over (enqueue) or
subscribe; the main loop does everything else. What they hand over: shell/link_events.py; their watches on the
broker (a takeover of our client id, our own messages not passed back): shell/link_health.py; its stop (`offline`
waited for, the network thread's end bounded): shell/link_stop.py."""

from __future__ import annotations

import functools
import logging
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import paho.mqtt.client as mqtt

from equipments.base import QueueFull
from settings.sections import MqttSettings
from shell import paho_compat
from shell.broker_hints import connect_failure_hint, refusal_hint, silent_broker_reason, unanswered_reason
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
from shell.link_stop import OFFLINE, OFFLINE_WAIT_S, stop_link
from shell.owed_messages import OwedMessages

log = logging.getLogger(__name__)

ONLINE = "online"  # (OFFLINE, the will and the stop's: shell/link_stop.py)
FIRST_ATTEMPT_POLL_S = 0.1  # how often the wait for the first connection attempt looks for a stop asked
MIN_RECONNECT_S, MAX_RECONNECT_S = 1, 60  # paho doubles the wait from the first to the second
# The most QoS 1 messages paho holds not yet acknowledged (those it keeps for the next connection among them); its
# default, 0, is no bound. The daemon hands it none while it knows the link is down (shell/while_down.py): this is a
# backstop, for a link dead but not yet known to be (paho notices within 2 x keepalive) and the moments before the
# main loop takes the drop (what it holds then is dropped at the next connect: MqttLink._on_connect). Home Assistant's
# discovery at a connect, the largest burst, is a few dozen messages for a few loads; a thousand, a megabyte or two at
# most, on a Pi Zero too. Past it paho refuses the message (said once a connection).
PAHO_QUEUE_MAX = 1000
# (said with each failure: how soon a fix on the broker's side shows)
RETRY_PACE = f"retrying after {MIN_RECONNECT_S} s, the wait doubling up to {MAX_RECONNECT_S} s"


def retry_pace(answer_wait_s: int | None = None) -> str:
    """How soon PySEB tries again, as a failure's line says it. `answer_wait_s`: each attempt is first held that long
    by a broker that takes the connection and does not answer (paho waits [mqtt] keepalive for its answer, then its
    usual wait before the next: RETRY_PACE alone said "after 1 s" of attempts 61 s apart)."""
    if answer_wait_s is None:
        return RETRY_PACE
    return (f"each attempt waits up to {answer_wait_s} s ([mqtt] keepalive) for the broker's answer, the next one "
            f"starting {MIN_RECONNECT_S} s after, that wait doubling up to {MAX_RECONNECT_S} s: attempts "
            f"{answer_wait_s + MIN_RECONNECT_S} to {answer_wait_s + MAX_RECONNECT_S} s apart")


def set_nodelay(sock: object) -> None:
    """Turn Nagle's algorithm off on a TCP socket (no-op for other kinds)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass


def sent_live(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether a message went out on a live link (not queued for the reconnect, as a QoS 1 one is; a QoS 0 one
    dropped)."""
    return info.rc != mqtt.MQTT_ERR_NO_CONN


class PublishFailed(RuntimeError):
    """paho did not take a message (not even queued for the next connection)."""


class PublishQueueFull(PublishFailed, QueueFull):
    """paho did not take a message, its queue full (PAHO_QUEUE_MAX): the daily report so refused is owed (the core
    tells it by QueueFull)."""


F = TypeVar("F", bound=Callable[..., Any])


def _guarded(fatal: bool) -> Callable[[F], F]:
    """Nothing raised in a paho callback may kill paho's network thread silently: the exception is handed
    to the main loop (LinkFault), which logs it and, when `fatal`, stops the daemon."""

    def wrap(callback: F) -> F:
        @functools.wraps(callback)
        def guarded(self: MqttLink, *args: Any, **kwargs: Any) -> Any:
            try:
                return callback(self, *args, **kwargs)
            except Exception:
                self._events.put(LinkFault(self._clock(), callback.__name__.lstrip("_"), traceback.format_exc(),
                                           fatal))
                return None

        return guarded  # type: ignore[return-value]

    return wrap


class MqttLink:
    """One paho client: will, auth, TLS, reconnect with backoff, subscriptions renewed on each connect."""

    def __init__(self, settings: MqttSettings, events: EventSink,
                 subscriptions: Callable[[], list[str]], clock: Callable[[], float] = time.time,
                 leftover_topics: Callable[[], list[str]] = list, echo_topics: Callable[[], list[str]] = list
                 ) -> None:
        self.settings = settings
        self._events = events
        self._subscriptions = subscriptions
        # Topics subscribed to only to find a retained message left there (Leftover): the rest is dropped here.
        self._leftover_topics = leftover_topics
        self._probing: frozenset[str] = frozenset()
        # Topics PySEB publishes on, read back after each connect (EchoWatch); the readings are dropped here.
        self._echo_topics = echo_topics
        self._echo_only: frozenset[str] = frozenset()
        self.echo = EchoWatch()
        self.answer = AnswerWatch()  # (the connection under way: does the broker answer its CONNECT?)
        self._subscribing: dict[int, str] = {}  # (network thread) each subscription's message id: its topic
        self._clock = clock
        self._connections = 0
        self._refused = False  # the last attempt was refused: its disconnection is no news
        self.takeover = TakeoverGuard()
        self._backed_off = False  # the reconnect delay is lengthened for a takeover
        self._first_lock = threading.Lock()  # (start and its first attempt's thread: which of them gave up)
        self._first_abandoned = False
        self._stopping = False  # (what paho holds is sent at a connect, not dropped: `stopping`)
        client = paho_compat.new_client(settings.client_id, clean_session=True)
        if settings.username:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(ca_certs=settings.ca_file, certfile=settings.cert_file, keyfile=settings.key_file,
                           cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(settings.topic_availability, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(min_delay=MIN_RECONNECT_S, max_delay=MAX_RECONNECT_S)
        client.max_queued_messages_set(PAHO_QUEUE_MAX)
        self._queue_full_said = False  # (said once a connection: each message refused then is logged by its sender)
        # (`online` and the daily report refused by a full queue: sent at the ticks, send_owed)
        self.owed = OwedMessages(frozenset({settings.topic_availability, settings.topic_report}))
        paho_compat.on_connect(client, self._on_connect)
        paho_compat.on_disconnect(client, self._on_disconnect)
        paho_compat.on_subscribe(client, self._on_subscribe)
        client.on_message = self._on_message
        client.on_socket_open = self._on_socket_open
        client.on_connect_fail = self._on_connect_fail
        client.on_loop_error = self._on_loop_error
        self.client = client

    def start(self, stop_asked: Callable[[], bool] = lambda: False) -> str | None:
        """Connect; a broker that is down or refuses us is logged with the reason and retried in the
        background with backoff, never fatal. Returns that reason (None: the first attempt went through, or a stop
        was asked during it: `stop_asked`, polled while it lasts)."""
        st = self.settings
        log.info("connecting to %s:%d as %r%s%s", st.host, st.port, st.client_id,
                 f" (user {st.username})" if st.username else "", " over TLS" if st.tls else "")
        # The first attempt waited for: paho's background retries swallow the reason (refused, unknown host,
        # certificate not trusted), and the user needs it. On a thread of its own: with the network gone its name
        # resolution or its TLS handshake may take tens of seconds, and on the main thread a stop waited for them
        # (7.5 s measured, a resolver's 10 to 40 s past systemd's TimeoutStopSec).
        outcome: list[BaseException | None] = []
        attempt = threading.Thread(target=self._first_attempt, args=(outcome,), name="mqtt-first-connect",
                                   daemon=True)
        attempt.start()
        while attempt.is_alive() and not stop_asked():
            attempt.join(FIRST_ATTEMPT_POLL_S)
        with self._first_lock:
            if not outcome:
                # The stop came first: the attempt is left behind (a daemon thread), its outcome dropped, no network
                # thread started (the stop finds the link down, and says so).
                self._first_abandoned = True
                log.info("stop asked during the first connection attempt to %s:%d: not waited for", st.host, st.port)
                return None
        failure = outcome[0]
        if failure is None:
            self.client.loop_start()
            return None
        if not isinstance(failure, OSError):  # (ssl.SSLError and socket errors alike are OSErrors: a bug is not)
            raise failure
        log.error("cannot connect to the broker at %s:%d: %s; %s", st.host, st.port, self._attempt_failure(failure),
                  RETRY_PACE)
        self.client.connect_async(st.host, st.port, keepalive=st.keepalive)
        self.client.loop_start()
        return f"cannot connect to the broker: {self._attempt_failure(failure)}"

    def _first_attempt(self, outcome: list[BaseException | None]) -> None:
        """The first connection attempt (start's thread): its failure, or None, into `outcome` unless the stop came
        first."""
        st = self.settings
        failure: BaseException | None = None
        try:
            self.client.connect(st.host, st.port, keepalive=st.keepalive)
        except Exception as exc:  # noqa: BLE001 (handed to start, on the main thread: an OSError logged, others raised)
            failure = exc
        with self._first_lock:
            if not self._first_abandoned:
                outcome.append(failure)

    def _attempt_failure(self, exc: OSError) -> str:
        """A failed connection attempt's reason, as the log says it (the same words for the first attempt and for
        paho's retries: a reason that does not change is not logged again)."""
        return f"{exc}{connect_failure_hint(exc, self.settings)}"

    def publish(self, topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> mqtt.MQTTMessageInfo:
        """Publish at QoS 1 (paho keeps it queued across a short disconnection), or 0 (dropped while the link is
        down). PublishFailed, or paho's ValueError for a topic it refuses, when the message was not even queued."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE and not self._queue_full_said:
            self._queue_full_said = True
            log.warning("paho holds %d messages the broker has not acknowledged (PAHO_QUEUE_MAX): %s and the next ones "
                        "are refused until it does (a link dead but not yet known to be?); each load's command is "
                        "sent again at the reconnect", PAHO_QUEUE_MAX, topic)
        if retain and topic in self.owed.topics:
            self.owed.published(topic, payload, info.rc == mqtt.MQTT_ERR_QUEUE_SIZE)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            raise PublishQueueFull(mqtt.error_string(info.rc))
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):  # NO_CONN: queued for the reconnect
            raise PublishFailed(mqtt.error_string(info.rc))
        return info

    def send_owed(self) -> list[str]:
        """The retained messages paho's full queue refused on the owed topics (`online` at the connect, the daily
        report), published again (the main loop, at its ticks, while the link is up: paho has room once the broker
        acknowledged what it held). The topics paho took now."""
        taken: list[str] = []
        for topic, payload in self.owed.waiting():
            if self.client.publish(topic, payload, qos=1, retain=True).rc != mqtt.MQTT_ERR_QUEUE_SIZE:
                self.owed.taken(topic, payload)
                taken.append(topic)
        return taken

    def stopping(self) -> None:
        """The daemon stops: what paho holds for a connection is sent at the next one from now on (the stop's offs,
        handed to paho whatever the link: no main loop sends what is in effect after that connect)."""
        self._stopping = True

    def stop(self, timeout_s: float = OFFLINE_WAIT_S, left_on: Sequence[str] = (), commanded: bool = True) -> None:
        """Announce offline, flush what is queued, disconnect and stop the network thread. `left_on`: the loads that
        were on before the stop commanded them to 0 W, named when that may not have reached the broker; `commanded`:
        False when the regulation never started (no load commanded, no stop commands)."""
        self.stopping()
        stop_link(self.client, self.publish, self.settings, timeout_s, left_on, commanded)

    def unanswered(self) -> tuple[float, str] | None:
        """The connection under way, taken by the broker and not answered for AnswerWatch.wait_s or more: (how long,
        why, as its drop will say it); once a connection (None otherwise)."""
        waited_s = self.answer.overdue(time.monotonic())
        return None if waited_s is None else (waited_s, silent_broker_reason(self.settings))

    # --- paho callbacks (network thread, or the first attempt's): hand over only ------------------------
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
