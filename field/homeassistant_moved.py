"""Home Assistant discovery moved: where the last run announced its entities (the status file's `ha_discovery`), and,
when that was under another prefix, node id or topic_regul, the configs it left retained there read back at the
connect and removed (ours only: their unique id and availability topic the earlier run's), before this run's
announcement after a new prefix or node id (EARLIER_WAIT_S). Kept, a new node id left the old device in HA beside the
new one, showing the same states. Not when the old place's availability topic says `online`: another PySEB runs there
(LiveOldPlace, field/homeassistant_old_place.py); that place is then kept in the status file
(`ha_discovery_left_alone`) and looked at again at a few starts (LeftAlone, field/homeassistant_left_alone.py). Part of
HomeAssistantBridge (field/homeassistant.py), which announces."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from field.homeassistant_left_alone import (
    LEFT_ALONE_MAX_AGE_S,
    LEFT_ALONE_MAX_STARTS,
    LeftAlone,
    LeftPlace,
    forgotten,
    unknown_word_kept,
)
from field.homeassistant_moved_said import left_alone_first, refused_configs, refused_left_alone, refused_watched
from field.homeassistant_old_place import LiveOldPlace
from integrations.homeassistant import Topics, announced_config, earlier_topics

# (the bridge's logger: the lines the log shows keep the name they had)
log = logging.getLogger("field.homeassistant")

# After a change of prefix or node id, the first connect's announcement waits this long for the retained configs of
# the earlier announcement, removed first: HA has removed the old entities when it adds the new ones (a new entity
# whose id an old one still held would get sensor.pyseb_grid_2). The broker sends them at the subscribe, within
# milliseconds.
EARLIER_WAIT_S = 1.0

Send = Callable[[str, str, bool], None]  # (topic, payload, retain)


def is_config(topics: Topics, topic: str) -> bool:
    """True for a config topic of the node `topics` (`<prefix>/<component>/<node_id>/<object_id>/config`)."""
    # (the prefix may have several levels, "ha/discovery": HA takes any topic)
    head = f"{topics.prefix}/"
    parts = topic[len(head):].split("/") if topic.startswith(head) else []
    return len(parts) == 4 and parts[1] == topics.node_id and parts[3] == "config"


class EarlierAnnouncement:
    """Where the last run announced (restore), its configs removed at the connect when that was elsewhere (handle),
    this run's announcement held until then (waiting, tick); `send` publishes, `remove_state` removes a retained state
    document that no entity reads any more (once a run)."""

    def __init__(self, topics: Topics, enabled: bool, configs: set[str], send: Send,
                 remove_state: Callable[[str], None]) -> None:
        self.topics = topics  # this run's
        self.enabled = enabled
        self._configs = configs  # this run's config topics
        self._send = send
        self._remove_state = remove_state
        # Where an earlier run announced, when the status file says it was elsewhere (another prefix, node id or
        # topic_regul; restore): its configs still retained there are ours to remove.
        self._earlier: Topics | None = None
        # Where the status file says the last run announced, here or elsewhere: saved again until a connect read its
        # configs back (with discovery off, a run that never reached the broker saved no place, and a later new node
        # id left that device in HA)
        self._kept: Topics | None = None
        self._earlier_read = False  # a connect has read them back (the status file may forget them)
        # The old place's availability topic, when it is not this run's: `online` there, another PySEB runs at the
        # old place now, and the configs read back are its own (the earlier run's to the letter): not removed.
        self._live = LiveOldPlace()
        # The old places whose configs were left alone (another PySEB said `online` there), saved in the status file:
        # the next starts look at the first again, a few of them (forgotten, a stale `online` kept that device in HA
        # for good, said once); and the one this start looks at again, if any (not at its first look).
        self._left = LeftAlone()
        self._again: LeftPlace | None = None
        self._read_at: float | None = None  # when a connect will have read them back (EARLIER_WAIT_S after it)
        self.waiting = False  # the first connect's announcement, waiting for them (EARLIER_WAIT_S)

    def filters(self) -> tuple[str, ...]:
        """The filter of the earlier run's configs when it is not ours (another prefix or node id), until a connect
        read them back: what is retained there later is another's (another PySEB given the old node id and
        topic_regul: its configs, the earlier run's to the letter, were removed at each reconnect)."""
        if self._earlier is None or self._earlier_read or self._earlier.own_configs == self.topics.own_configs:
            return ()
        return (self._earlier.own_configs,)

    def watched(self) -> tuple[str, ...]:
        """The old place's availability topic while its configs are read back, when it is not this run's (see
        LiveOldPlace)."""
        earlier = self._earlier
        if earlier is None or self._earlier_read or earlier.availability == self.topics.availability:
            return ()
        return (earlier.availability,)

    def refused(self, topic: str) -> str | None:
        """What the broker's refusal of PySEB's subscription to `topic` costs, when that is the earlier run's configs'
        filter (an ACL for the new node id or prefix only); None for any other topic. (Said as any refusal, it was an
        ERROR asking to allow it, "PySEB subscribes again at its next connection", where it is read at the first connect
        only, and the old device was left in HA unsaid.) The old place's availability topic refused: the removals held
        for its word go at once; at a later look at a place left alone, none (forgotten, said)."""
        earlier = self._earlier
        # (not this run's own availability topic, the old one's under the same topic_regul: the daemon's echo's)
        if earlier is not None and topic == earlier.availability != self.topics.availability:
            if self._again is not None and topic in self.watched():  # (a later look at a place left alone: no removal)
                self._left.drop(earlier)
                self._earlier = None
                return refused_left_alone(topic, earlier, self._change(earlier), self._own())
            if topic in self.watched():
                self.availability(b"")  # (no word will come: the removals held for one go now, not at the wait's end)
            return refused_watched(topic, self._change(earlier))
        if earlier is None or topic != earlier.own_configs:
            return None
        return refused_configs(topic, earlier, self._change(earlier), self._own())

    def is_config(self, topic: str) -> bool:
        """True for a config topic of the earlier run's node."""
        return self._earlier is not None and is_config(self._earlier, topic)

    def is_availability(self, topic: str) -> bool:
        """True for the old place's availability topic, while watched."""
        return topic in self.watched()

    def availability(self, payload: bytes) -> None:
        """A message on the old place's availability topic (retained or live) while its configs are read back: not
        `online`, the removals held for it go now, EARLIER_WAIT_S before this run's announcement (held to the wait's
        end, they went just before it, the second HA has to remove the old entities lost)."""
        for topic, state in self._live.said(payload):
            self._remove(topic, state)

    def connected(self, now: float) -> bool:
        """The broker connected at `now`: the earlier configs are read back until EARLIER_WAIT_S after it; True when
        this run's announcement waits for them (tick)."""
        if (self._kept is not None or self._earlier is not None) and not self._earlier_read:
            self._read_at = now + EARLIER_WAIT_S
        # (what a connection dropped within the wait read comes again, retained; a later start's look at a place
        # left alone waits for the wait's end: a retained `offline`, then the `online` of a PySEB starting there)
        self._live = LiveOldPlace(patient=self._again is not None)
        if self._earlier_read:
            self._earlier = None  # (read back by the last connection, late ones too: the old place is left alone)
        self.waiting = self.enabled and bool(self.filters()) and not self._earlier_read
        return self.waiting

    def tick(self, now: float, link_down: bool) -> bool:
        """The earlier run's configs read back EARLIER_WAIT_S after the connect (their removal sent as they came):
        True when this run's announcement waited for them and is due."""
        if self._read_at is None or link_down or 0 < self._read_at - now <= EARLIER_WAIT_S:  # (or a clock stepped
            return False  # back: not waited for again)
        self._read_at = None
        watched = self.watched()
        self._earlier_read = True
        earlier = self._earlier
        if earlier is not None:
            left_alone = bool(watched) and self._live.leaves_alone()
            word = self._live.unknown_word()
            if watched:
                for topic, state in self._live.decided():
                    self._remove(topic, state)  # (before this run's announcement, which follows)
            # Kept while left alone, last in the list: the next start looks at another left alone first, if any.
            self._left.drop(earlier)
            if left_alone:
                self._say_left_alone(earlier, now, word)
        return self.waiting

    def _say_left_alone(self, earlier: Topics, now: float, word: str | None) -> None:
        """The old place's configs left alone at `now` (it says `online`, or at a later look an unknown `word`): said,
        and kept to be looked at again at the next starts, or forgotten once it was at LEFT_ALONE_MAX_STARTS or for
        LEFT_ALONE_MAX_AGE_S."""
        place, kept, dropped = self._left.left_again(earlier, now, self._again, self._own())
        for said in dropped:
            log.warning("%s", said)
        days = (now - (place.since or now)) / 86400
        if self._again is None:
            log.warning("%s", left_alone_first(earlier, self._change(earlier), self._own(), word))
        elif word is not None and kept:
            # (a word PySEB never writes there: whoever wrote it, it says nothing of a PySEB running; counted as an
            # `online`, the look bounded alike, and said each time: only a hand clears it)
            log.warning("%s", unknown_word_kept(earlier, self._change(earlier), word, place.starts, days))
        elif kept:
            log.info("Home Assistant: %s, where an earlier run announced its entities (%s), still says online: its "
                     "configs left alone again (%d starts of %d at most, %.1f days of %g)", earlier.availability,
                     self._change(earlier), place.starts, LEFT_ALONE_MAX_STARTS, days, LEFT_ALONE_MAX_AGE_S / 86400)
        elif self.enabled and earlier.own_configs == self.topics.own_configs:
            log.warning("%s; no longer looked at", left_alone_first(earlier, self._change(earlier), self._own(), word))
        else:
            log.warning("%s", forgotten(earlier, self._change(earlier), place.starts, days,
                                        "online" if word is None else repr(word), self._own()))

    def handle(self, topic: str, payload: bytes, own: bool) -> bool:
        """A config the broker kept retained on `topic` (`own`: this run's node's): True when it was the earlier
        run's, removed."""
        if self._earlier is None or not (own or self.is_config(topic)):
            return False
        config = announced_config(self._earlier, topic, payload)
        if config is None:
            return False
        if self.watched() and self._live.holds():
            # (no word yet from the old place's availability topic: removed when it says anything but `online`, or at
            # the wait's end if it says nothing; `online`: left alone, said at the wait's end; at a later look at a
            # place left alone, held to the wait's end, removed then on `offline` or no word only)
            self._live.hold(topic, config.get("state_topic"))
        elif self._live.removes():  # (after a later look's wait, an unknown word left them alone: this one too)
            self._remove(topic, config.get("state_topic"))
        return True

    def _remove(self, topic: str, state: object) -> None:
        """A config an earlier run announced under another prefix, node id or topic_regul (the status file says where,
        restore), still retained: removed, unless this run's announcement replaced it (same topic). Its `state` topic,
        when the record's, no longer read (under the old topic_regul, or discovery off): that retained document
        removed too. (The record's alone is not trusted: edited, it named a retained message that is not ours.)"""
        earlier = self._earlier
        assert earlier is not None
        if state == earlier.state and (earlier.state != self.topics.state or not self.enabled):
            self._remove_state(earlier.state)
        if self.enabled and topic in self._configs:
            return
        log.info("Home Assistant: removing %s, announced by an earlier run under %s", topic,
                 self._change(earlier), extra={"limit_key": "homeassistant removal"})
        self._send(topic, "", True)

    def _own(self) -> Topics | None:
        """This run's place, when it announces (discovery on): a place under its node id is told apart by it."""
        return self.topics if self.enabled else None

    def _change(self, earlier: Topics) -> str:
        """What the earlier run announced under, as the log says it: only what changed."""
        changed = [f"{what} {old!r}" for what, old, new in (
            ("prefix", earlier.prefix, self.topics.prefix), ("node id", earlier.node_id, self.topics.node_id),
            ("availability topic", earlier.availability, self.topics.availability),
            ("state topic", earlier.state, self.topics.state)) if old != new]
        return ", ".join(changed)

    def status(self) -> dict[str, Any]:
        """Top-level fields of the status document: where the configs of ours that may be retained were announced
        (`ha_discovery`), read back at the next start (restore). The status file's (the earlier run's, discovery on
        or off) until a connect read its configs back; then this run's, nothing with discovery off."""
        left = {"ha_discovery_left_alone": self._left.records()} if self._left else {}
        if self._kept is not None and not self._earlier_read:
            return {"ha_discovery": self._kept.record(), **left}
        return {"ha_discovery": self.topics.record(), **left} if self.enabled else left

    def restore(self, record: Any, left: Any = None) -> list[str]:
        """Where an earlier run announced, from a status file's `ha_discovery`: when it is not here (another prefix,
        node id or topic_regul), its configs are read back at the connect and removed; and the old places whose
        configs were left alone (`ha_discovery_left_alone`), the first looked at so when the last run's place is this
        one's (one a start). The warnings: a record that is not one."""
        warnings = self._left.restore(left, self.topics)
        if record is None:
            self._look_again()
            return warnings
        earlier = earlier_topics(record)
        if earlier is None:
            self._look_again()
            return [f"its ha_discovery {str(record)[:200]!r} is not where a run announced: the configs it left in "
                    "Home Assistant, if any, are not looked for", *warnings]
        self._kept = earlier
        if earlier != self.topics:
            self._earlier = earlier
            log.info("Home Assistant: an earlier run announced under %s: its configs are removed at the connect",
                     self._change(earlier))
        self._left.drop(earlier)  # (looked at now, as the last run's place: as at a first look)
        self._look_again()
        return warnings

    def _look_again(self) -> None:
        """With no other place to read back at the connect, the first old place left alone is (as at the first)."""
        again = self._left.first()
        if self._earlier is None and again is not None:
            self._earlier, self._again = again.topics, again
            log.info("Home Assistant: an earlier run left alone the configs under %s (another PySEB said online "
                     "there, at %d starts so far): they are removed at the connect unless that topic's last word "
                     "within %g s is online", self._change(again.topics), again.starts, EARLIER_WAIT_S)

