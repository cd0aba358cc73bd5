"""What the log says of an old Home Assistant discovery place (EarlierAnnouncement, field/homeassistant_moved.py):
its configs left alone at a first look, a subscription there the broker refused. The lines only; which one is said,
and when, is EarlierAnnouncement's."""

from __future__ import annotations

from field.homeassistant_left_alone import LEFT_ALONE_MAX_AGE_S, LEFT_ALONE_MAX_STARTS, configs_listing
from integrations.homeassistant import Topics


def left_alone_first(earlier: Topics, change: str, own: Topics | None, word: str | None) -> str:
    """The warning for the configs at the old place `earlier` left alone at the first look: its availability topic
    says `online` (`word` None: another PySEB runs there), or an unknown `word` (whether one runs there is not known).
    `own`: this run's place (discovery on), to tell a place under this PySEB's own node id."""
    head = (f"Home Assistant: {earlier.availability}, the availability topic of the place an earlier run announced its "
            f"entities under ({change}), ")
    said = ("says online: another PySEB runs there now" if word is None else
            f"says {word!r}, neither online nor offline (PySEB's words there): whether another PySEB runs there now "
            "is not known")
    clear = ("" if word is None else
             f"; if none runs there, clear that word (mosquitto_pub -r -n -t {earlier.availability} clears it): the "
             "next start then removes them")
    if own is not None and earlier.own_configs == own.own_configs:
        # (only topic_regul moved: the two share a node id; deleting the device in HA deleted this run's too)
        return (f"{head}{said}, under this PySEB's node id {earlier.node_id!r}: Home Assistant takes the two for one "
                "device, each announcement replacing the other's entities; set [homeassistant] node_id to a name of "
                f"its own on one of them{clear}")
    if word is not None:
        return (f"{head}{said}, so the configs there (the earlier run's to the letter) are not removed; looked at "
                "again at the next starts (removed if that topic then says offline or nothing), until left alone at "
                f"{LEFT_ALONE_MAX_STARTS} starts or for {LEFT_ALONE_MAX_AGE_S / 86400:g} days{clear}")
    return (f"{head}{said}, and the configs there (the earlier run's to the letter) are its own: not removed, each "
            "PySEB keeps its device in Home Assistant; looked at again at the next starts (removed if that topic then "
            f"says offline or nothing), until left alone at {LEFT_ALONE_MAX_STARTS} starts or for "
            f"{LEFT_ALONE_MAX_AGE_S / 86400:g} days. If none runs there any more (an `online` the broker kept from a "
            "run whose end it never heard: nothing but a hand replaces it), delete that device in Home Assistant, or "
            f"clear its retained configs: {configs_listing(earlier, own)} lists them, mosquitto_pub -r -n -t <topic> "
            "clears each")


def refused_left_alone(topic: str, earlier: Topics, change: str, own: Topics | None) -> str:
    """The availability topic `topic` of a place left alone, looked at again, refused by the broker."""
    return (f"the broker does not let PySEB read {topic}, the availability topic of the place an earlier run left "
            f"alone ({change}): whether another PySEB runs there now is not known: its configs are left alone, the "
            "place no longer looked at; if none runs there, delete that device in Home Assistant (or clear its "
            f"retained configs: {configs_listing(earlier, own)} lists them, mosquitto_pub -r -n -t <topic> clears "
            "each)")


def refused_watched(topic: str, change: str) -> str:
    """The availability topic `topic` of the old place, at the first look, refused by the broker."""
    return (f"the broker does not let PySEB read {topic}, the availability topic of the place an earlier run "
            f"announced its Home Assistant entities under ({change}): whether another PySEB runs there now is not "
            "known, and the configs there that are the earlier run's are removed")


def refused_configs(topic: str, earlier: Topics, change: str, own: Topics | None) -> str:
    """The old place's configs' filter `topic` refused by the broker."""
    return (f"the broker does not let PySEB read {topic}, where an earlier run announced its Home Assistant "
            f"entities (under {change}): its configs cannot be read back, and are not removed; delete that device "
            "in Home Assistant (or clear its retained configs, as a user the broker lets read there: "
            f"{configs_listing(earlier, own)} lists them, mosquitto_pub -r -n -t <topic> clears each)")
