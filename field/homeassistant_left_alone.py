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

import json
import logging
import shlex
from dataclasses import dataclass
from typing import Any

from integrations.homeassistant import Topics, earlier_topics
from values.saved_numbers import saved_epoch

# (the bridge's logger: the lines the log shows keep the name they had)
log = logging.getLogger("field.homeassistant")

# The old places left alone that the status file keeps (a bound on a hand-edited list: each start looks at one).
MAX_LEFT_ALONE = 4
# The places dropped at once (a hand-edited list) each said in full at WARNING up to this many; past it, one line says
# them all and each one's detail goes to DEBUG (a list of 50 gave 46 warnings of ~600 characters at the start).
MAX_DROPPED_SAID = 3
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


def shares_node(place: Topics, own: Topics | None) -> bool:
    """True when `place` is under this run's prefix and node id (`own`, None with discovery off): only topic_regul
    moved, and that place's configs and this run's are one device in HA, under one filter."""
    return own is not None and own.own_configs == place.own_configs


def configs_listing(place: Topics, own: Topics | None = None) -> str:
    """The command that lists the configs retained at `place`; under this run's own node id (shares_node), only those
    naming the place's availability topic: the filter alone listed this run's configs too, and the advice to clear each
    removed this run's entities from HA."""
    if not shares_node(place, own):
        return listing(place.own_configs)
    named = json.dumps({"availability_topic": place.availability})[1:-1]  # (as PySEB's configs write it)
    return f"{listing(place.own_configs)} | grep -F {shlex.quote(named)}"


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

    def left_again(self, topics: Topics, now: float, looked: LeftPlace | None,
                   own: Topics | None = None) -> tuple[LeftPlace, bool, list[str]]:
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
        return place, True, dropped_places([gone.topics for gone in dropped], why, own)

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
        dropped = dropped_places([gone.topics for gone in self.places[MAX_LEFT_ALONE:]], why, own)  # (hand-edited)
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


def forgotten(place: Topics, change: str, starts: int, days: float, word: str = "online",
              own: Topics | None = None) -> str:
    """The last word on a place left alone, no longer looked at: what to do if no PySEB runs there. (`word`: what
    its availability topic says, `online` or an unknown word quoted.)"""
    return (f"Home Assistant: {place.availability}, the availability topic of the place an earlier run announced its "
            f"entities under ({change}), still says {word}, at {starts} starts over {days:.1f} days: its configs are "
            "left alone for good and the place is no longer looked at. If no PySEB runs there (an `online` the broker "
            f"kept from a run whose end it never heard, which nothing but a hand replaces), {_remedy(place, own)}: "
            f"{configs_listing(place, own)} lists its configs, "
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


def dropped_places(places: list[Topics], why: str, own: Topics | None) -> list[str]:
    """The warnings for the places left alone that the bound drops (`why`, their head): each in full up to
    MAX_DROPPED_SAID; past it one line, each place's detail at DEBUG."""
    said = [dropped_place(place, why, own) for place in places]
    if len(said) <= MAX_DROPPED_SAID:
        return said
    for line in said:
        log.debug("%s", line)
    shown = ", ".join(place.availability for place in places[:MAX_DROPPED_SAID])
    # (one under this run's node id: its device in HA is this run's too, and only its configs are to clear)
    mine = next((place for place in places if shares_node(place, own)), None)
    spare = "" if mine is None else (f" (not the device of node id {mine.node_id!r}: it is this PySEB's too; clear "
                                     f"only the configs naming {mine.availability}, as its line at DEBUG says)")
    return [f"{why}: {len(places)} places are no longer looked at, their configs left there (availability topics "
            f"{shown} and {len(places) - MAX_DROPPED_SAID} more; each one's, with the commands that clear it by hand, "
            "at DEBUG: [logging] level = DEBUG shows them). If no PySEB runs there, delete those devices in Home "
            f"Assistant{spare}"]


def _remedy(place: Topics, own: Topics | None) -> str:
    """What to do by hand about a place no PySEB runs at: delete its device in HA, or clear its retained configs;
    the latter only under this run's own node id (the device in HA is this run's too)."""
    if shares_node(place, own):
        return ("clear what the broker keeps there (not the device in Home Assistant: under this PySEB's node id, it "
                "is this PySEB's too)")
    return "delete that device in Home Assistant, or clear what the broker keeps there"


def dropped_place(place: Topics, why: str, own: Topics | None = None) -> str:
    """A place left alone that the bound drops (`why`, the line's head): no longer looked at, what to clear by hand if
    no PySEB runs there."""
    return (f"{why}: {place.availability}, the availability topic of the place an earlier run announced its Home "
            f"Assistant entities under (prefix {place.prefix!r}, node id {place.node_id!r}), is no longer looked "
            f"at, its configs left there. If no PySEB runs there, {_remedy(place, own)}: {configs_listing(place, own)} "
            "lists its configs, mosquitto_pub -r -n -t <topic> clears each, and mosquitto_pub -r -n -t "
            f"{shlex.quote(place.availability)} its availability")
