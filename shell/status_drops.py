"""Whether the broker's drops point at PySEB's status being over its packet limit (mosquitto's max_packet_size: it
closes the connection of a client that sends a bigger one, at once, its log saying "oversize packet"). MQTT 3.1.1
says nothing of the limit, nor of why a connection ended: the evidence is the drops' timing, their kind and the
sizes that went through. No paho here: plain state, kept by the main loop, tested without a broker.

A status goes out every few seconds: a drop within a second of one is no evidence by itself (a broker restarted, a
second client with our client id), and two such drops days apart, nothing dropped between, were taken for a limit.
So a drop points at the size only when the broker closed the connection right after a status bigger than any it has
taken, and bigger than every other message sent in those moments (the commands, Home Assistant's discovery configs
of some 1 kB, sent at the connect just before it: one of them over the limit has the broker drop the link as well,
and a status smaller than it is not why); and the hint waits for a second one in a row, with no status going through
between.

The status goes out at every connect: one too big had the broker drop each connection at once, paho's wait growing
to 2 min, and nothing was regulated (the commands, small, went out only in the moments the link was up). So once the
hint is said the status is held back while it is bigger than the largest the broker took (none: every one): the link
holds, the loads are commanded, and the status file is saved as ever. One bigger is tried again `first_try_s` (1 min)
after the hold began, then every `retry_s` (1 h); a broker whose limit was raised takes it (the hold is lifted), each
try that fails a drop and a reconnect 1 s later.

The first try comes soon because the two drops that begin a hold are weak evidence where nothing went through yet:
at a run's start the largest status the broker took is none, and a broker restarted twice, or a second client with our
client id kicking us off, each within a second of a connect's status, make them as well. A status really too big is
dropped at every connect, from the start: dropped again at that try, a third time in a row right after it, it is
held an hour from then on, the try having cost one drop and a reconnect. Ordinary drops cost the status a minute, not
an hour. (Not a tighter rule on the drops' pace or on how long each connection lasted: a broker restarting drops us
as soon after a connect and as often as an oversize status does, and a threshold there would be one more to trust; a
try shows it, at the cost of one drop.)"""

from __future__ import annotations

from collections import deque

# A status this recent when the broker closed the connection may be why (it drops an oversize one in a round trip:
# milliseconds on a house's network); one the connection outlived by this much went through.
RIGHT_AFTER_S = 1.0
IN_A_ROW = 2  # drops in a row pointing at the size before it is said: one is as likely a broker restarted
# A status held back as too big is tried again this long after the hold began (its two drops may have been a broker
# restarted, or a second client with our client id: see above), then every RETRY_S (a drop and a reconnect each, if
# it is still too big)
FIRST_TRY_S = 60.0
RETRY_S = 3600.0


class StatusDrops:
    """The statuses sent on a live link, and the drops that came right after one."""

    def __init__(self, right_after_s: float = RIGHT_AFTER_S, first_try_s: float = FIRST_TRY_S,
                 retry_s: float = RETRY_S) -> None:
        self.right_after_s = right_after_s
        self.first_try_s = first_try_s
        self.retry_s = retry_s
        self.passed_bytes = 0  # the biggest status the broker took (the link outlived it by right_after_s)
        self.in_a_row = 0  # drops in a row that point at the status's size
        # (bytes, wall time, a status) sent, not known through yet; the others (Home Assistant's configs at a connect, a
        # few dozen) only to be weighed against a status sent with them
        self._recent: deque[tuple[int, float, bool]] = deque(maxlen=256)
        self.holding = False  # a status bigger than passed_bytes is held back (the drops pointed at its size)
        self._try_at = 0.0  # (wall time) when one held back is tried again
        self._wait_s = retry_s  # how long after the last try (or the hold's start) _try_at is: first_try_s, retry_s
        self._lifted: int | None = None  # the size of the status whose passing lifted the hold, not said yet

    def allows(self, size: int, at: float) -> bool:
        """Whether a status of `size` bytes is published at `at` (wall time): not while held back as too big, but for
        one try first_try_s after the hold began, then every retry_s."""
        self._settle(at)
        if self._try_at - at > self._wait_s:
            # (the clock stepped back: the try counted from the step, else it waited for the clock to catch up, a day's
            # step a day and an hour without a status; the wait in course, the first try's minute too: told by the
            # hour, a step within it held the status as long as the step, one longer an hour)
            self._try_at = at + self._wait_s
        if not self.holding or size <= self.passed_bytes:
            return True
        if at < self._try_at:
            return False
        self._try_at, self._wait_s = at + self.retry_s, self.retry_s
        return True

    def take_lifted(self) -> int | None:
        """The size of the status held back as too big whose passing lifted the hold (once; None: no news)."""
        lifted, self._lifted = self._lifted, None
        return lifted

    def sent(self, size: int, at: float, live: bool) -> None:
        """A status of `size` bytes published at `at` (wall time); `live`: on a live link (paho sends none while the
        link is down: that one is no evidence either way)."""
        self._settle(at)
        if live:
            self._recent.append((size, at, True))
        elif self.holding and size > self.passed_bytes:
            self._try_at = at  # (a try paho did not send is no try: made at the next status, the reconnect's perhaps)

    def other_sent(self, size: int, at: float, live: bool) -> None:
        """A message other than the status, of `size` bytes, published at `at` (wall time) (`live`: as for sent): a
        drop right after it and a status smaller does not point at the status."""
        self._settle(at)
        if live:
            self._recent.append((size, at, False))

    def dropped(self, at: float, closed_by_broker: bool) -> int | None:
        """The link (up) dropped at `at`: the size of the status it points at (None: no evidence of one). Said by the
        caller from IN_A_ROW in a row. `closed_by_broker`: the broker (or the network) closed the connection, as a
        broker drops an oversize packet; a keepalive that ran out is not one."""
        self._settle(at)
        near = [(size, status) for size, sent_at, status in self._recent if sent_at <= at]
        self._recent.clear()  # (later ones went on a dead link)
        size = max((size for size, status in near if status), default=None)
        others = max((size for size, status in near if not status), default=0)
        if not closed_by_broker or size is None or size <= max(self.passed_bytes, others):
            self.in_a_row = 0
            return None
        self.in_a_row += 1
        if self.in_a_row >= IN_A_ROW and not self.holding:
            self.holding, self._try_at, self._wait_s = True, at + self.first_try_s, self.first_try_s
        return size

    def _settle(self, now: float) -> None:
        """The statuses the link has outlived by right_after_s went through."""
        if self._recent and self._recent[0][1] > now:
            # (sent before the clock stepped back, dated ahead of now: no evidence either way. Kept first, none after
            # them was taken for through until the clock caught up: a day's step held a status that fits a day more)
            self._recent = deque((sent for sent in self._recent if sent[1] <= now), maxlen=self._recent.maxlen)
        while self._recent and self._recent[0][1] <= now - self.right_after_s:
            size, _, status = self._recent.popleft()
            if not status:
                continue  # (the others' sizes are not the status's: weighed only against one sent with them)
            if self.holding and size > self.passed_bytes:  # (a try went through: the broker's limit was raised)
                self.holding, self._lifted = False, size
            self.passed_bytes = max(self.passed_bytes, size)
            self.in_a_row = 0
