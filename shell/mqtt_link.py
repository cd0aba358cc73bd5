"""The MQTT side: paho-mqtt (2.x, or Debian's 1.6.1) on its own network thread. Callbacks only hand over (enqueue) or
subscribe (shell/link_callbacks.py); the main loop does everything else. What they hand over: shell/link_events.py;
their watches on the broker (a takeover of our client id, our own messages not passed back): shell/link_health.py;
its stop (`offline` waited for, the network thread's end bounded): shell/link_stop.py."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Sequence

import paho.mqtt.client as mqtt

from equipments.load_command import QueueFull
from settings.sections import MqttSettings
from shell import paho_compat
from shell.broker_hints import connect_failure_hint, silent_broker_reason
from shell.event_queue import EventSink
from shell.link_callbacks import MAX_RECONNECT_S, MIN_RECONNECT_S, LinkCallbacks
from shell.link_health import AnswerWatch, EchoWatch, TakeoverGuard
from shell.link_stop import OFFLINE, OFFLINE_WAIT_S, stop_link
from shell.owed_messages import OwedMessages

log = logging.getLogger(__name__)

FIRST_ATTEMPT_POLL_S = 0.1  # how often the wait for the first connection attempt looks for a stop asked
# (MIN_RECONNECT_S and MAX_RECONNECT_S, paho's waits between attempts: shell/link_callbacks.py, which lengthens them)
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


def sent_live(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether a message went out on a live link (not queued for the reconnect, as a QoS 1 one is; a QoS 0 one
    dropped)."""
    return info.rc != mqtt.MQTT_ERR_NO_CONN


class PublishFailed(RuntimeError):
    """paho did not take a message (not even queued for the next connection)."""


class PublishQueueFull(PublishFailed, QueueFull):
    """paho did not take a message, its queue full (PAHO_QUEUE_MAX): the daily report so refused is owed (the core
    tells it by QueueFull)."""


class MqttLink(LinkCallbacks):
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
