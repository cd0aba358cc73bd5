"""The retained messages paho refused for its full queue (PAHO_QUEUE_MAX messages the broker has not acknowledged: a
link dead but not yet known to be, or the moments after a connect while the broker acknowledges what paho kept for
it), on the topics where a reader needs the last word: the availability (`online`, at the connect) and the daily
report. Refused, each was lost until the next reconnect: the availability said the broker's `offline`, the report
was the day before's, for as long as the connection lasted. Owed, they are sent at the main loop's ticks once paho has
room. No paho here: plain state, shared by paho's thread (which owes `online`) and the main loop."""

from __future__ import annotations

import threading


class OwedMessages:
    """The owed retained messages, by topic: one at most each (a later one replaces it: sent once)."""

    def __init__(self, topics: frozenset[str]) -> None:
        self.topics = topics  # the topics whose refused retained messages are owed
        self._owed: dict[str, str | bytes] = {}
        self._lock = threading.Lock()

    def published(self, topic: str, payload: str | bytes, refused: bool) -> None:
        """A retained message on one of `topics`: owed when paho `refused` it; taken, what was owed there is replaced
        by it (not sent a second time)."""
        with self._lock:
            if refused:
                self._owed[topic] = payload
            else:
                self._owed.pop(topic, None)

    def waiting(self) -> list[tuple[str, str | bytes]]:
        """The owed messages (topic, payload), to be published again."""
        with self._lock:
            return list(self._owed.items())

    def taken(self, topic: str, payload: str | bytes) -> None:
        """paho took `payload`, owed on `topic`: no longer owed (unless a connect, a drop or a newer message on the
        topic replaced it meanwhile: that one is what is owed now)."""
        with self._lock:
            if self._owed.get(topic) is payload:
                del self._owed[topic]

    def forget(self) -> None:
        """A connect or a drop: what was owed goes with the connection it was refused on. The next one sends its own
        (the link's connect `online`, the daemon's reconnect the last report: Regulator.republish_report); one sent
        later at a tick while the link was down was kept by paho for the reconnect, which then had it twice."""
        with self._lock:
            self._owed.clear()
