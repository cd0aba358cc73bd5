"""Whether another PySEB runs at the place an earlier run announced its Home Assistant entities under, by that place's
availability topic (LiveOldPlace): the configs read back there are removed when it says `offline` or nothing. Part of
EarlierAnnouncement (field/homeassistant_moved.py)."""

from __future__ import annotations


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
    sends the retained copies of two filters in no order known), the wait's end (EARLIER_WAIT_S) at most.

    `patient` (a later start's look at a place left alone, field/homeassistant_left_alone.py): every removal waits for
    the wait's end, where the last word decides: a PySEB there restarting (its retained `offline`, then its `online`
    within the wait) keeps its configs. One whose `online` comes after the wait (a shared host's reboot, a reconnect
    slower than that) loses them, until its next announcement: the risk a later look takes, bounded by its starts.
    At any look, only PySEB's word for a stop (`offline`) or none (nothing retained, or cleared by hand) removes them:
    another word (`1`, `Online`: not PySEB's, whoever wrote it) says nothing of whether a PySEB runs there. (The
    first look removed them on any word but `online`, where a later look left them alone.)"""

    def __init__(self, patient: bool = False) -> None:
        self.patient = patient
        # the last word on the old place's availability topic in this connection's wait (None: none yet)
        self.online: bool | None = None
        self.word: bytes | None = None  # (that word, stripped)
        self._held: list[tuple[str, object]] = []  # (config topic, its state topic): the removals waiting

    def said(self, payload: bytes) -> list[tuple[str, object]]:
        """A word on the old place's availability topic: the held removals to send now, none when it is `online`."""
        self.word = payload.strip()
        self.online = self.word == b"online"
        if self.online or self.patient or self.unknown_word() is not None:
            return []
        held, self._held = self._held, []
        return held

    def unknown_word(self) -> str | None:
        """The last word when it is neither PySEB's `online` nor `offline` nor empty: it leaves the configs alone as
        `online` does, at the first look as at a later one (None: another word, or none)."""
        if self.word in (None, b"", b"online", b"offline"):
            return None
        return self.word.decode("utf-8", "replace")[:60]

    def removes(self) -> bool:
        """Whether the last word lets the removals go: the held ones at the wait's end, a config read back after it
        at once."""
        return not self.online and self.unknown_word() is None

    def holds(self) -> bool:
        """True when a config read back now waits for the old place's word (none yet, `online` or an unknown word,
        or patient)."""
        return self.patient or self.online is None or not self.removes()

    def hold(self, topic: str, state: object) -> None:
        self._held.append((topic, state))

    def leaves_alone(self) -> bool:
        """True when the wait's end leaves configs alone: the last word `online` (or, at a later look, an unknown
        one), configs held."""
        return not self.removes() and bool(self._held)

    def decided(self) -> list[tuple[str, object]]:
        """At the wait's end: the held removals to send, none when the old place is `online` (leaves_alone, asked
        before, tells whether configs were left alone: the caller says so)."""
        held, self._held = self._held, []
        return held if self.removes() else []
