"""Whether the broker's drops point at PySEB's status being over its packet limit (mosquitto's max_packet_size: it
closes the connection of a client that sends a bigger one, at once, its log saying "oversize packet"). MQTT 3.1.1
says nothing of the limit, nor of why a connection ended: the evidence is the drops' timing, their kind and the
sizes that went through. No paho here: plain state, kept by the main loop, tested without a broker.

A status goes out every few seconds: a drop within a second of one is no evidence by itself (a broker restarted, a
second client with our client id), and two such drops days apart, nothing dropped between, were taken for a limit.
So a drop points at the size only when the broker closed the connection right after a status bigger than any it has
taken; and the hint waits for a second one in a row, with no status going through between."""

from __future__ import annotations

from collections import deque

# A status this recent when the broker closed the connection may be why (it drops an oversize one in a round trip:
# milliseconds on a house's network); one the connection outlived by this much went through.
RIGHT_AFTER_S = 1.0
IN_A_ROW = 2  # drops in a row pointing at the size before it is said: one is as likely a broker restarted


class StatusDrops:
    """The statuses sent on a live link, and the drops that came right after one."""

    def __init__(self, right_after_s: float = RIGHT_AFTER_S) -> None:
        self.right_after_s = right_after_s
        self.passed_bytes = 0  # the biggest status the broker took (the link outlived it by right_after_s)
        self.in_a_row = 0  # drops in a row that point at the status's size
        self._recent: deque[tuple[int, float]] = deque(maxlen=16)  # (bytes, wall time) not known through yet

    def sent(self, size: int, at: float, live: bool) -> None:
        """A status of `size` bytes published at `at` (wall time); `live`: on a live link (paho sends none while the
        link is down: that one is no evidence either way)."""
        self._settle(at)
        if live:
            self._recent.append((size, at))

    def dropped(self, at: float, closed_by_broker: bool) -> int | None:
        """The link (up) dropped at `at`: the size of the status it points at (None: no evidence of one). Said by the
        caller from IN_A_ROW in a row. `closed_by_broker`: the broker (or the network) closed the connection, as a
        broker drops an oversize packet; a keepalive that ran out is not one."""
        self._settle(at)
        near = [size for size, sent_at in self._recent if sent_at <= at]
        self._recent.clear()  # (later ones went on a dead link)
        size = max(near, default=None)
        if not closed_by_broker or size is None or size <= self.passed_bytes:
            self.in_a_row = 0
            return None
        self.in_a_row += 1
        return size

    def _settle(self, now: float) -> None:
        """The statuses the link has outlived by right_after_s went through."""
        while self._recent and self._recent[0][1] <= now - self.right_after_s:
            size, _ = self._recent.popleft()
            self.passed_bytes = max(self.passed_bytes, size)
            self.in_a_row = 0
