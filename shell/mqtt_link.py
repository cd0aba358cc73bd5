"""The MQTT side: paho-mqtt (2.x, or Debian's 1.6.1) on its own network thread. Callbacks only hand over (enqueue) or
subscribe; the main loop does everything else."""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from settings.sections import MqttSettings
from shell import paho_compat

log = logging.getLogger(__name__)

ONLINE, OFFLINE = "online", "offline"


def set_nodelay(sock: object) -> None:
    """Turn Nagle's algorithm off on a TCP socket (no-op for other kinds)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pass


@dataclass(frozen=True, slots=True)
class Connected:
    """The link is (re)connected and subscribed."""

    at: float
    first: bool


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message, with the time it was received."""

    topic: str
    payload: bytes
    received_at: float
    retained: bool = False


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link dropped (paho reconnects by itself, with backoff)."""

    at: float
    reason: str


Event = Connected | Message | Disconnected


class MqttLink:
    """One paho client: will, auth, TLS, reconnect with backoff, subscriptions renewed on each connect."""

    def __init__(self, settings: MqttSettings, events: queue.Queue[object],
                 subscriptions: Callable[[], list[str]], clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._events = events
        self._subscriptions = subscriptions
        self._clock = clock
        self._connections = 0
        client = paho_compat.new_client(settings.client_id, clean_session=True)
        if settings.username:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(ca_certs=settings.ca_file, certfile=settings.cert_file, keyfile=settings.key_file,
                           cert_reqs=ssl.CERT_REQUIRED)
        client.will_set(settings.topic_availability, OFFLINE, qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        paho_compat.on_connect(client, self._on_connect)
        paho_compat.on_disconnect(client, self._on_disconnect)
        client.on_message = self._on_message
        client.on_socket_open = self._on_socket_open
        client.on_connect_fail = self._on_connect_fail
        self.client = client

    def start(self) -> None:
        """Connect; a broker that is down or refuses us is logged with the reason and retried in the
        background with backoff, never fatal."""
        st = self.settings
        log.info("connecting to %s:%d as %r%s%s", st.host, st.port, st.client_id,
                 f" (user {st.username})" if st.username else "", " over TLS" if st.tls else "")
        try:
            # The first attempt in the foreground: paho's background retries swallow the reason
            # (refused, unknown host, certificate not trusted), and the user needs it.
            self.client.connect(st.host, st.port, keepalive=st.keepalive)
        except OSError as exc:  # ssl.SSLError and socket errors alike
            log.error("cannot connect to the broker at %s:%d: %s; retrying in the background", st.host,
                      st.port, exc)
            self.client.connect_async(st.host, st.port, keepalive=st.keepalive)
        self.client.loop_start()

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Publish at QoS 1 (paho keeps it queued across a short disconnection)."""
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Announce offline, flush what is queued, disconnect and stop the network thread."""
        info = self.publish(self.settings.topic_availability, OFFLINE, retain=True)
        try:
            info.wait_for_publish(timeout_s)
        except (RuntimeError, ValueError) as exc:
            log.warning("could not publish offline before stopping: %s", exc)
        self.client.disconnect()
        self.client.loop_stop()

    # --- paho callbacks (network thread): hand over only ----------------------------------------------
    @staticmethod
    def _on_socket_open(client: mqtt.Client, userdata: object, sock: object) -> None:
        # Commands are small packets sent one at a time: without TCP_NODELAY, Nagle's algorithm holds
        # each behind the previous one's delayed ACK (~40 ms on Linux).
        set_nodelay(sock)

    def _on_connect(self, client: mqtt.Client, failure: str | None) -> None:
        if failure is not None:
            log.error("broker refused the connection: %s", failure)
            return
        for topic in self._subscriptions():
            client.subscribe(topic, qos=1)
        client.publish(self.settings.topic_availability, ONLINE, qos=1, retain=True)
        self._connections += 1
        self._events.put(Connected(self._clock(), self._connections == 1))

    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        self._events.put(Disconnected(self._clock(), "connection attempt failed"))

    def _on_disconnect(self, client: mqtt.Client, reason: str) -> None:
        self._events.put(Disconnected(self._clock(), reason))

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self._events.put(Message(msg.topic, bytes(msg.payload), self._clock(), bool(msg.retain)))
