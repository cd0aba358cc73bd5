"""A test-side MQTT client (paho 2.x or 1.6) that records every message and can wait for one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import paho.mqtt.client as mqtt

from shell import paho_compat


@dataclass(frozen=True)
class Received:
    """One message seen by the probe."""

    topic: str
    payload: bytes
    retain: bool
    at: float

    @property
    def text(self) -> str:
        return self.payload.decode("utf-8", "replace")


class MqttProbe:
    """Subscribes to `topics` (default '#') and keeps what arrives; publish() for the test's own traffic."""

    def __init__(self, host: str, port: int, topics: tuple[str, ...] = ("#",), client_id: str = "") -> None:
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._topics = topics
        self._connected = threading.Event()
        self.client = paho_compat.new_client(client_id)
        paho_compat.on_connect(self.client, self._on_connect)
        self.client.on_message = self._on_message
        paho_compat.on_subscribe(self.client, self._on_subscribe)
        self.client.connect(host, port, keepalive=30)
        self.client.loop_start()
        if not self._connected.wait(10):
            self.close()
            raise TimeoutError("probe could not connect")

    def _on_connect(self, client: mqtt.Client, failure: str | None) -> None:
        # Ready only once the broker has acknowledged the subscription: a message published by a device
        # right after the probe is built must not slip through before it.
        client.subscribe([(t, 1) for t in self._topics])

    def _on_subscribe(self, client: mqtt.Client, mid: int, refused: bool) -> None:
        self._connected.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain), time.monotonic()))
            self._cond.notify_all()

    def publish(self, topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> None:
        """Publish and wait until the broker has it."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(5)

    def on(self, topic: str) -> list[Received]:
        """Messages received so far on `topic`."""
        with self._cond:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, topic: str, predicate: Callable[[Received], bool] = lambda m: True,
                 timeout_s: float = 10.0, after: int = 0) -> Received:
        """The first message on `topic` (from index `after` in `messages`) matching `predicate`."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for m in self.messages[after:]:
                    if m.topic == topic and predicate(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.topic, m.text) for m in self.messages[after:]][-20:]
                    raise TimeoutError(f"nothing matching on {topic!r} within {timeout_s} s; "
                                       f"last seen: {seen}")
                self._cond.wait(left)

    def mark(self) -> int:
        """An index into `messages`, to wait only for what comes after it."""
        with self._cond:
            return len(self.messages)

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()
