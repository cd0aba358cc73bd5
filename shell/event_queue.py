"""The main loop's event queue: what paho's thread, the forecast thread and the stop signals hand it, in the order
they came, with a bound on the MQTT messages waiting that never drops a command or a device's notice for a reading.

The bound: at most MAX_WAITING_MESSAGES MQTT messages wait (a flood on the broker faster than the loop, a Pi Zero's,
grew the queue and the daemon's memory for as long as it lasted), and their bytes (topic and payload) stay within
MAX_WAITING_BYTES (every handler refuses a payload over values.readings.MAX_PAYLOAD_BYTES, but until handled a
message is held whole: 2000 of 1 MB on a broker that passes them). A message arriving with the queue full, by count
or by bytes, makes room by dropping the oldest meter readings waiting, as many as it takes (a reading of seconds ago
is worth less than a fresh one, and anything else may be a user's order or a device's notice: `regul/mode`, a
variator's `boot_detected`, a meter's boot message on its boot topic). A message is a reading by its topic alone (no
payload parsed here, on paho's thread): a meter's boot message on a readings topic is one, dropped as one, after
the readings older than it, its news superseded by the next reading. When the readings waiting, all dropped, would
not make room (all of them commands or notices: someone flooding `regul/mode`), the new message is dropped, whatever
it is, and the readings kept: the bound holds against any flood. A message bigger than the whole budget is dropped
at once. The link's other events (connected, lost, a fault) and a fetched forecast are few, never dropped, nor
counted in the bound. What was dropped is counted (`take_dropped`), said by the main loop.

A stop signal's handler runs on the main thread, possibly inside this queue's `get` with its lock held: it hands
its request over by `put_from_signal`, which takes no lock (a `queue.SimpleQueue`'s put: C, reentrant), and `get`
returns such a request before any event waiting."""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol

__all__ = ["MAX_WAITING_BYTES", "MAX_WAITING_MESSAGES", "Dropped", "EventQueue", "EventSink"]

MAX_WAITING_MESSAGES = 2000
# The bytes bound is for big messages, not for a flood of readings: a meter's reading is ~300 bytes and every message
# PySEB reads a few KiB at most (values.readings), so a backlog meets the count first unless its messages average
# over 4 KiB (8 MiB / 2000), which only messages no handler takes do. 8 MiB is little on a Pi Zero (512 MB; the
# daemon ~40 MB) and still holds 128 of the biggest payloads a handler takes (64 KiB).
MAX_WAITING_BYTES = 8 * 1024 * 1024


class EventSink(Protocol):
    """Where a thread hands its events to the main loop (an EventQueue; a plain `queue.SimpleQueue` in tests)."""

    def put(self, item: object, /) -> None:
        """Hand `item` over."""


@dataclass(frozen=True, slots=True)
class Dropped:
    """MQTT messages dropped for a full queue since the last look: meter readings (the oldest waiting), others (the
    newest, with too few readings waiting to make room) and messages bigger than the whole bytes bound (never
    queued), each with the last one's topic."""

    readings: int = 0
    last_reading_topic: str | None = None
    others: int = 0
    last_other_topic: str | None = None
    too_big: int = 0
    last_too_big_topic: str | None = None

    @property
    def count(self) -> int:
        """Every message dropped."""
        return self.readings + self.others + self.too_big


_BELL = object()  # (on the wake-up queue: something was put in the deques)
_NOTHING = object()  # (no event: None may be one)


def payload_bytes(message: object) -> int:
    """The size of an MQTT message's payload (its `payload` attribute: a Message's bytes; 0 without one)."""
    payload = getattr(message, "payload", None)
    return len(payload) if isinstance(payload, (bytes, bytearray, memoryview)) else 0


class EventQueue:
    """A FIFO of the main loop's events; thread-safe. `topic_of(event)`: an MQTT message's topic (None: not an MQTT
    message, never dropped); `reading_topics`: the meters' topics, whose messages make room when the queue is full;
    `payload_bytes_of(message)`: its payload's size, counted with its topic's length in the bytes bound."""

    def __init__(self, topic_of: Callable[[object], str | None], reading_topics: Collection[str],
                 max_messages: int = MAX_WAITING_MESSAGES, max_bytes: int = MAX_WAITING_BYTES,
                 payload_bytes_of: Callable[[object], int] = payload_bytes) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._topic_of = topic_of
        self._payload_bytes_of = payload_bytes_of
        self._reading_topics = frozenset(reading_topics)
        self._lock = threading.Lock()
        # Readings apart, so that the oldest is dropped at once (never a walk through a backlog, under the lock, on
        # paho's thread); each event numbered, so that `get` still gives them in the order they came; each message
        # with its bytes, kept summed for readings and for the others apart (whether dropping every reading would
        # make room is known without a walk either).
        self._readings: deque[tuple[int, int, object]] = deque()  # (number, bytes, message)
        self._others: deque[tuple[int, bool, int, object]] = deque()  # (number, an MQTT message?, bytes, event)
        self._other_messages = 0
        self._reading_bytes = 0
        self._other_bytes = 0
        self._numbered = 0
        # Wakes a `get` waiting; holds a stop signal's request. At most one bell rung and not yet heard: a flood
        # does not grow it.
        self._wake: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._rung = False
        self._dropped = Dropped()

    def put(self, item: object, /) -> None:
        """Queue `item` (any thread but a signal handler's), dropping a message when full (the module's rule)."""
        topic = self._topic_of(item)
        reading = topic is not None and topic in self._reading_topics
        size = 0 if topic is None else len(topic) + self._payload_bytes_of(item)
        with self._lock:
            if topic is not None and not self._made_room(topic, reading, size):
                return
            self._numbered += 1
            if reading:
                self._readings.append((self._numbered, size, item))
                self._reading_bytes += size
            else:
                self._others.append((self._numbered, topic is not None, size, item))
                self._other_messages += topic is not None
                self._other_bytes += size
            if not self._rung:
                self._rung = True
                self._wake.put(_BELL)

    def _made_room(self, topic: str, reading: bool, size: int) -> bool:
        """Room for a message of `size` bytes on `topic`, the oldest readings dropped for it if need be; False (it
        is dropped, counted) when dropping them all would not make room. Called with the lock held."""
        d = self._dropped
        if size > self.max_bytes:
            self._dropped = dataclasses.replace(d, too_big=d.too_big + 1, last_too_big_topic=topic)
            return False
        if self._other_messages >= self.max_messages or self._other_bytes + size > self.max_bytes:
            self._count_dropped(topic, reading)  # (the readings kept: dropped, they would not have made room)
            return False
        while (len(self._readings) + self._other_messages >= self.max_messages
               or self._reading_bytes + self._other_bytes + size > self.max_bytes):
            _, oldest_size, oldest = self._readings.popleft()  # (never empty here: checked above)
            self._reading_bytes -= oldest_size
            self._count_dropped(self._topic_of(oldest), True)
        return True

    def _count_dropped(self, topic: str | None, reading: bool) -> None:
        d = self._dropped
        if reading:
            self._dropped = dataclasses.replace(d, readings=d.readings + 1, last_reading_topic=topic)
        else:
            self._dropped = dataclasses.replace(d, others=d.others + 1, last_other_topic=topic)

    def put_from_signal(self, item: object) -> None:
        """Queue a signal handler's request: no lock taken (the handler may run inside `get`), returned first."""
        self._wake.put(item)

    def get(self, timeout: float | None = None) -> object:
        """The next event (a signal's request first), waiting up to `timeout` s (None: for ever); queue.Empty after."""
        deadline = None if timeout is None else time.monotonic() + timeout
        wait_s: float | None = 0.0  # (first a look for a signal's request, without waiting)
        while True:
            woken = self._heard(wait_s)
            if woken is not _NOTHING and woken is not _BELL:
                return woken
            event = self._get()
            if event is not _NOTHING:
                return event
            wait_s = None if deadline is None else deadline - time.monotonic()
            if wait_s is not None and wait_s <= 0:
                raise queue.Empty

    def get_nowait(self) -> object:
        """The next event; queue.Empty when there is none."""
        return self.get(timeout=0.0)

    def _heard(self, wait_s: float | None) -> object:
        """What the wake-up queue holds, waiting up to `wait_s` (None: for ever); _NOTHING if nothing came. A bell
        heard is a bell no more: anything put from then on rings again, anything put before is in the deques."""
        try:
            woken = self._wake.get(timeout=wait_s) if wait_s is None or wait_s > 0 else self._wake.get_nowait()
        except queue.Empty:
            return _NOTHING
        while woken is _BELL:  # (a signal's request may wait behind it)
            with self._lock:
                self._rung = False
            try:
                woken = self._wake.get_nowait()
            except queue.Empty:
                return _BELL
        return woken

    def _get(self) -> object:
        """The oldest event in the deques; _NOTHING if they are empty."""
        with self._lock:
            if self._readings and (not self._others or self._readings[0][0] < self._others[0][0]):
                _, size, reading = self._readings.popleft()
                self._reading_bytes -= size
                return reading
            if not self._others:
                return _NOTHING
            _, message, size, event = self._others.popleft()
            self._other_messages -= message
            self._other_bytes -= size
            return event

    def qsize(self) -> int:
        """Events waiting (approximate, as a queue's)."""
        with self._lock:
            return len(self._readings) + len(self._others)

    def waiting_bytes(self) -> int:
        """The bytes (topics and payloads) of the MQTT messages waiting."""
        with self._lock:
            return self._reading_bytes + self._other_bytes

    def take_dropped(self) -> Dropped:
        """The messages dropped since the last call."""
        with self._lock:
            dropped, self._dropped = self._dropped, Dropped()
        return dropped
