"""The old Home Assistant discovery places whose configs a run left alone (another PySEB said `online` on their
availability topic), kept in the status file (`ha_discovery_left_alone`) and looked at again at the next starts, a
bounded number of them: LeftAlone. Part of EarlierAnnouncement (field/homeassistant_moved.py).

Why bounded (found by a review; the first version looked again at every start, for ever): a look at a later start
removes the configs when that topic's last word is `offline` or none (another word leaves them alone: it is not
PySEB's, and tells nothing of one running there), and a live PySEB's last word is `offline` for a
while at its restart, a shared host's reboot, its last will during a reconnect; a second instance running there for
good had its warning at every start; and an `online` the broker kept from a run whose end it never heard is never
replaced by itself, so looking again does not clear it: only a hand does (the last message says how)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from integrations.homeassistant import Topics, earlier_topics
from values.saved_numbers import saved_epoch

# The old places left alone that the status file keeps (a bound on a hand-edited list: each start looks at one).
MAX_LEFT_ALONE = 4
# A place left alone is forgotten (a last warning says what to do) at the first start that finds it `online` again
# once it was left alone at this many starts (the first included) or this long after the first: both bound the
# looks, as pending_offs's bound the offs sent again (there, both are needed to give up: an off given up early left
# a device on; here, giving up is the side that removes nothing).
LEFT_ALONE_MAX_STARTS = 5
LEFT_ALONE_MAX_AGE_S = 7 * 86400.0


def listing(topic_filter: str) -> str:
    """The command that lists the retained messages under `topic_filter` and ends (without --retained-only and -W,
    it listed them and waited for more for ever; a prefix with a quote in it broke the quoting)."""
    return f"mosquitto_sub -v --retained-only -W 2 -t {shlex.quote(topic_filter)}"


@dataclass
class LeftPlace:
    """An old place left alone: at how many starts (the first included), since when (epoch s; None: a status file of
    before the count, set at the next look, the count begun afresh)."""

    topics: Topics
    starts: int = 1
    since: float | None = None

    def record(self) -> dict[str, Any]:
        return {**self.topics.record(), "starts": self.starts, **({} if self.since is None else {"since": self.since})}


class LeftAlone:
    """The old places left alone, the first looked at again at a start (one a start); the last left alone, last."""

    def __init__(self) -> None:
        self.places: list[LeftPlace] = []

    def __bool__(self) -> bool:
        return bool(self.places)

    def first(self) -> LeftPlace | None:
        return self.places[0] if self.places else None

    def drop(self, topics: Topics) -> None:
        self.places = [place for place in self.places if place.topics != topics]

    def left_again(self, topics: Topics, now: float, looked: LeftPlace | None) -> tuple[LeftPlace, bool, list[str]]:
        """`topics` left alone at `now`, at its first look (`looked` None) or again: its count, whether it is kept
        (last in the list) or forgotten (its starts or days reached: the caller says so, and what to do), and the
        warnings for the places the bound dropped to keep it (the first, the next to look at: its configs stay in HA
        for good unless a hand clears them, so it is said)."""
        self.drop(topics)
        if looked is None:
            place = LeftPlace(topics, 1, now)
        else:
            since = now if looked.since is None or looked.since > now else looked.since  # (a clock set back since)
            place = LeftPlace(topics, looked.starts + 1, since)
            if place.starts >= LEFT_ALONE_MAX_STARTS or now - since >= LEFT_ALONE_MAX_AGE_S:
                return place, False, []
        self.places.append(place)
        dropped, self.places = self.places[:-MAX_LEFT_ALONE], self.places[-MAX_LEFT_ALONE:]
        why = (f"Home Assistant: the places left alone are kept {MAX_LEFT_ALONE} at most, and one more was left "
               "alone now")
        return place, True, [dropped_place(gone.topics, why) for gone in dropped]

    def records(self) -> list[dict[str, Any]]:
        return [place.record() for place in self.places]

    def restore(self, left: Any, own: Topics) -> list[str]:
        """The places of a status file's `ha_discovery_left_alone` (`own`, this run's place, dropped: it announces
        there itself); the warnings: a list that is not one of places."""
        if left is None:
            return []
        records = left if isinstance(left, list) else [left]
        places = [_place(record) for record in records] if isinstance(left, list) else [None]
        for place in places:
            if place is not None and place.topics != own and all(p.topics != place.topics for p in self.places):
                self.places.append(place)
        why = f"its ha_discovery_left_alone lists more places left alone than the {MAX_LEFT_ALONE} kept"
        dropped = [dropped_place(gone.topics, why) for gone in self.places[MAX_LEFT_ALONE:]]  # (a hand-edited list)
        self.places = self.places[:MAX_LEFT_ALONE]
        bad = [record for record, place in zip(records, places, strict=True) if place is None]
        if bad and len(bad) < len(places):  # (the places in it are still looked at)
            return [f"its ha_discovery_left_alone holds {str(bad)[:200]} that is no place a run announced: ignored; "
                    "the places in it are looked at again", *dropped]
        if bad:
            return [f"its ha_discovery_left_alone {str(left)[:200]!r} is not a list of places a run announced: the "
                    "configs an earlier run left alone there, if any, are not looked at again"]
        return dropped


def _place(record: Any) -> LeftPlace | None:
    """A place of `ha_discovery_left_alone`, its count as saved; a count that is not one (a file of before it, a hand
    edit) begun afresh: one start, since the next look."""
    topics = earlier_topics(record)
    if topics is None:
        return None
    starts = record.get("starts")
    if not isinstance(starts, int) or isinstance(starts, bool) or starts < 1:
        starts = 1
    return LeftPlace(topics, min(starts, LEFT_ALONE_MAX_STARTS - 1), saved_epoch(record.get("since")))


def forgotten(place: Topics, change: str, starts: int, days: float, word: str = "online") -> str:
    """The last word on a place left alone, no longer looked at: what to do if no PySEB runs there. (`word`: what
    its availability topic says, `online` or an unknown word quoted.)"""
    return (f"Home Assistant: {place.availability}, the availability topic of the place an earlier run announced its "
            f"entities under ({change}), still says {word}, at {starts} starts over {days:.1f} days: its configs are "
            "left alone for good and the place is no longer looked at. If no PySEB runs there (an `online` the broker "
            "kept from a run whose end it never heard, which nothing but a hand replaces), delete that device in Home "
            f"Assistant, or clear what the broker keeps there: {listing(place.own_configs)} lists its configs, "
            f"mosquitto_pub -r -n -t <topic> clears each, and mosquitto_pub -r -n -t {shlex.quote(place.availability)} "
            f"clears the stale {'online' if word == 'online' else 'word'}")


def unknown_word_kept(place: Topics, change: str, word: str, starts: int, days: float) -> str:
    """A later look's configs left alone for an unknown `word` on the place's availability topic: what to do if no
    PySEB runs there."""
    return (f"Home Assistant: {place.availability}, the availability topic of the place an earlier run left alone "
            f"({change}), says {word!r}, neither online nor offline (PySEB's words there): whether a PySEB runs there "
            f"is not known, so its configs are left alone again ({starts} starts of {LEFT_ALONE_MAX_STARTS} at most, "
            f"{days:.1f} days of {LEFT_ALONE_MAX_AGE_S / 86400:g}). If none runs there, clear that word "
            f"({listing(place.availability)} shows it, mosquitto_pub -r -n -t {shlex.quote(place.availability)} "
            "clears it): the next start then removes them")


def dropped_place(place: Topics, why: str) -> str:
    """A place left alone that the bound drops (`why`, the line's head): no longer looked at, what to clear by hand if
    no PySEB runs there."""
    return (f"{why}: {place.availability}, the availability topic of the place an earlier run announced its Home "
            f"Assistant entities under (prefix {place.prefix!r}, node id {place.node_id!r}), is no longer looked "
            "at, its configs left there. If no PySEB runs there, delete that device in Home Assistant, or clear what "
            f"the broker keeps there: {listing(place.own_configs)} lists its configs, mosquitto_pub -r -n -t <topic> "
            f"clears each, and mosquitto_pub -r -n -t {shlex.quote(place.availability)} its availability")
