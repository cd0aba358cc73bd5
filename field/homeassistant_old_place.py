"""Whether another PySEB runs at the place an earlier run announced its Home Assistant entities under, by that place's
availability topic (LiveOldPlace): the configs read back there are removed unless it says `online`. Part of
EarlierAnnouncement (field/homeassistant_moved.py)."""

from __future__ import annotations

import logging

# (the bridge's logger: the lines the log shows keep the name they had)
log = logging.getLogger("field.homeassistant")


class LiveOldPlace:
    """Whether another PySEB runs at the old place now, by its availability topic (HA's convention, PySEB's own:
    `online` retained at each connect, `offline` retained at a stop and as the broker's last will): `online`, the
    configs read back there are that instance's (a copy of this one's directory, status file included, started with
    the old config; the old config run again elsewhere), the earlier run's to the letter. Removed, its entities went
    from HA with no word, until its next announcement (HA's restart or its own).

    `online` is trusted though it may be this PySEB's own earlier run's, left by an end the broker never heard: a
    broker restarted with its retained messages but not the stop's `offline` (sent while it was down), a host lost
    without its TCP close, PySEB back under another client id within the broker's 1.5 keepalive before the last will.
    Wrong that way, the old device stays in HA, said, with what to do (the outcome before the removal existed); wrong
    the other way, a live instance's entities were removed unsaid. Removals wait for the old place's word (the broker
    sends the retained copies of two filters in no order known), the wait's end (EARLIER_WAIT_S) at most."""

    def __init__(self) -> None:
        # the last word on the old place's availability topic in this connection's wait (None: none yet)
        self.online: bool | None = None
        self._held: list[tuple[str, object]] = []  # (config topic, its state topic): the removals waiting

    def said(self, payload: bytes) -> list[tuple[str, object]]:
        """A word on the old place's availability topic: the held removals to send now, none when it is `online`."""
        self.online = payload.strip() == b"online"
        if self.online:
            return []
        held, self._held = self._held, []
        return held

    def hold(self, topic: str, state: object) -> None:
        self._held.append((topic, state))

    def leaves_alone(self) -> bool:
        """True when the wait's end leaves configs alone: the last word `online`, configs held."""
        return bool(self.online) and bool(self._held)

    def decided(self, warning: str) -> list[tuple[str, object]]:
        """At the wait's end: the held removals to send, none when the old place is `online` (`warning` said, when
        configs were left alone)."""
        held, self._held = self._held, []
        if not self.online or not held:
            return held
        log.warning("%s", warning)
        return []
