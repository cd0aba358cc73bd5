"""The echoes PySEB awaits from a Domoticz that publishes its own updates back on `domoticz/out` (its MQTT hardware's
"Prevent Loop" at No): matched exactly, in order, with what was sent. Domoticz publishes the echo of each update it is
sent before anything that happens after it, so an update is our echo only when it shows the value of the oldest
update not echoed yet; any other is a change made in Domoticz, and the echoes still awaited are forgotten (one that
comes later was processed after that change: it is what the device now shows, and taken as a command it keeps PySEB
and the device in step). An echo not come ECHO_WAIT_S after its update was sent is given up."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

MAX_PENDING_ECHOES = 32  # a Domoticz that never echoes must not make the queue grow for ever
# Domoticz echoes an update within a second or so: one not echoed this long after it was sent was never read (Domoticz,
# or its link to the broker, was down: domoticz/in is not retained). Awaited longer, it took the user's next change
# that showed its value for the echo.
ECHO_WAIT_S = 10.0

Value = TypeVar("Value")


class EchoQueue(Generic[Value]):
    """The values sent to one device whose echo has not come yet, oldest first, each with its time."""

    def __init__(self, device: str, said: Callable[[Value], str]) -> None:
        self.device = device  # for the log: "force switch idx 360 (radiator)"
        self._said = said  # a value as the log says it ("on", "level 10")
        self._pending: deque[tuple[Value, float]] = deque(maxlen=MAX_PENDING_ECHOES)

    @property
    def values(self) -> tuple[Value, ...]:
        """The values sent whose echo has not come yet (nor been given up), oldest first."""
        return tuple(value for value, _ in self._pending)

    def sent(self, value: Value, now: float) -> None:
        """An update showing `value` was sent: its echo is awaited."""
        self.give_up_late(now)
        self._pending.append((value, now))

    def is_echo(self, value: Value, now: float) -> bool:
        """True for the echo of the oldest update awaited (no longer awaited); False for any other update, a change
        made in Domoticz: the echoes awaited are forgotten (they can no longer come before it)."""
        self.give_up_late(now)
        if self._pending and self._pending[0][0] == value:
            self._pending.popleft()
            log.debug("%s: our own update echoed, ignored", self.device)
            return True
        if self._pending:
            log.debug("%s: %s is not the echo awaited (%s): a change made in Domoticz", self.device, self._said(value),
                      ", ".join(self._said(v) for v in self.values))
            self._pending.clear()
        return False

    def forget(self) -> None:
        """The link to the broker dropped: echoes of updates sent before are lost with the subscription."""
        self._pending.clear()

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped by `step_s` with no time passing: the echoes awaited keep their wait."""
        self._pending = deque(((value, sent_at + step_s) for value, sent_at in self._pending),
                              maxlen=MAX_PENDING_ECHOES)

    def give_up_late(self, now: float) -> None:
        """Forget the echoes awaited ECHO_WAIT_S or more: Domoticz never read their updates. (One dated after `now`
        was sent before the clock stepped back: its wait starts again now, not after the step besides.)"""
        if self._pending:  # (else the usual case, at every tick: nothing awaited)
            self._give_up_late(now)

    def _give_up_late(self, now: float) -> None:
        """`give_up_late` with echoes awaited. (A method of its own: its comprehension reads `now`, which made it a
        cell, made anew at every tick.)"""
        kept = [(value, min(sent_at, now)) for value, sent_at in self._pending if now - min(sent_at, now) < ECHO_WAIT_S]
        if len(kept) < len(self._pending):
            log.debug("%s: %d update(s) not echoed in %g s, no longer awaited (Domoticz did not read them)",
                      self.device, len(self._pending) - len(kept), ECHO_WAIT_S)
        self._pending = deque(kept, maxlen=MAX_PENDING_ECHOES)
