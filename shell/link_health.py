"""The MQTT link's three watches on the broker, kept by paho's callbacks, read by the link and the main loop: a broker
that drops us right after each connect (another client with our client id: TakeoverGuard), one that does not pass
PySEB's own messages back (its ACL refusing them: EchoWatch), and one that takes the connection but does not answer
PySEB's CONNECT (AnswerWatch). No paho here: plain state, tested without a broker."""

from __future__ import annotations

import threading


class TakeoverGuard:
    """Tells a broker that keeps dropping us right after we connect, as it does when another client
    connects with the same client id (MQTT lets the newest one in and drops the other), and how long to
    wait before the next attempt so that two such clients stop kicking each other off every second."""

    SHORT_S = 30.0  # a connection the broker ended sooner than this counts as a takeover
    IN_A_ROW = 3  # this many in a row: another client with our client id, most probably
    FIRST_BACKOFF_S = 15.0
    # (at most 2 minutes: a broker that restarts often looks the same, and meanwhile nothing regulates; 10 minutes
    # kept PySEB away from a broker back for 9 of them)
    MAX_BACKOFF_S = 120.0

    def __init__(self) -> None:
        self.short_in_a_row = 0
        self._connected_at: float | None = None

    def connected(self, at: float) -> None:
        """The broker accepted the connection at `at` (a monotonic time)."""
        self._connected_at = at

    def attempt_failed(self) -> None:
        """A connection attempt failed or was refused: the broker was down or unwilling between two connections,
        which another client taking our client id over never makes it: its restarts, not a takeover."""
        self.short_in_a_row = 0

    def dropped(self, at: float) -> tuple[float | None, float | None]:
        """The connection ended at `at`: how long it lasted (None: it never came up) and the wait before
        the next attempt when the drops look like a takeover (None: paho's usual backoff)."""
        if self._connected_at is None:
            return None, None
        lasted_s, self._connected_at = at - self._connected_at, None
        if lasted_s >= self.SHORT_S:
            self.short_in_a_row = 0
            return lasted_s, None
        self.short_in_a_row += 1
        if self.short_in_a_row < self.IN_A_ROW:
            return lasted_s, None
        return lasted_s, min(self.MAX_BACKOFF_S, self.FIRST_BACKOFF_S * 2 ** (self.short_in_a_row - self.IN_A_ROW))


ECHO_WAIT_S = 15.0  # PySEB's own messages not back by then after a connect: the broker does not pass them on


class EchoWatch:
    """Whether the broker passes on what PySEB publishes. MQTT 3.1.1 has no word for a publish the broker's ACL
    refuses: mosquitto acknowledges it and drops it, and PySEB ran on, 'connected', its loads never commanded and
    its log silent. So PySEB reads its own topics back once after each connect (the retained `online`, each load's
    first command): one that does not come back within `wait_s` is said, once a run. (Thread-safe: paho's thread
    ticks the topics off, the main loop asks.)"""

    def __init__(self, wait_s: float = ECHO_WAIT_S) -> None:
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._waiting: set[str] = set()
        self._due: float | None = None
        self._told = False

    def start(self, topics: set[str], now: float) -> None:
        """Connected at `now` (monotonic): each of `topics` is to come back."""
        with self._lock:
            self._waiting, self._due = set(topics), now + self.wait_s

    def came_back(self, topic: str) -> bool:
        """One of PySEB's own messages came back on `topic`: True when it was awaited."""
        with self._lock:
            if topic not in self._waiting:
                return False
            self._waiting.discard(topic)
            return True

    def forget(self, topic: str) -> None:
        """`topic` is not to be awaited (the broker refused PySEB's subscription to it)."""
        with self._lock:
            self._waiting.discard(topic)

    def missing(self, now: float) -> list[str]:
        """The topics not back by their time, once a run ([] otherwise)."""
        with self._lock:
            if self._told or self._due is None or now < self._due:
                return []
            self._due = None
            if not self._waiting:
                return []
            self._told = True
            return sorted(self._waiting)


# A connection taken, PySEB's CONNECT not answered this long: said (a broker answers in milliseconds; paho itself waits
# up to [mqtt] keepalive, 60 s by default, and PySEB's log was silent for as long, then said "retrying after 1 s").
ANSWER_WAIT_S = 5.0


class AnswerWatch:
    """Whether the broker answers the CONNECT of the connection under way. A socket the broker (or whatever listens on
    its port) takes and holds without a word keeps paho waiting up to [mqtt] keepalive for an answer: the main loop
    asks `overdue` at each pass, and says it after `wait_s`. (Thread-safe: paho's callbacks, on its network thread or
    the first attempt's, mark the socket; the main loop asks.)"""

    def __init__(self, wait_s: float = ANSWER_WAIT_S) -> None:
        self.wait_s = wait_s
        self._lock = threading.Lock()
        self._opened_at: float | None = None  # the socket under way, unanswered, opened then (monotonic)
        self._told = False

    def opened(self, now: float) -> None:
        """A socket was opened at `now` (monotonic), its CONNECT about to be sent."""
        with self._lock:
            self._opened_at, self._told = now, False

    def answered(self) -> None:
        """The broker answered the CONNECT (accepted or refused)."""
        with self._lock:
            self._opened_at = None

    def closed(self, now: float) -> float | None:
        """The socket was closed at `now`: how long it was held open unanswered (None: answered, or none open)."""
        with self._lock:
            opened_at, self._opened_at = self._opened_at, None
        return None if opened_at is None else now - opened_at

    def overdue(self, now: float) -> float | None:
        """How long the socket under way has waited for an answer, once a socket, when `wait_s` or more (else None)."""
        with self._lock:
            if self._told or self._opened_at is None or now - self._opened_at < self.wait_s:
                return None
            self._told = True
            return now - self._opened_at
