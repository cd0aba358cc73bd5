"""The loads' topics, for the regulator and the daemon: which loads read a topic, the loads' own meters, their
command topics (those neither retained nor read), and whether a message is one of their own commands."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment
from equipments.variable import VariableEquipment


def loads_by_topic(loads: Sequence[Equipment]) -> dict[str, list[Equipment]]:
    """Each topic the loads read, with the loads that read it (one boot topic for all variators, say)."""
    by_topic: dict[str, list[Equipment]] = {}
    for load in loads:
        for topic in load.subscriptions():
            by_topic.setdefault(topic, []).append(load)
    return by_topic


def own_meters(loads: Sequence[Equipment]) -> list[tuple[str, str]]:
    """(topic, name as the log says it) of each load's own meter (`topic_read_power`, as the load took it: the seed's
    words for no meter, `false` and `nok`, are none; read from the option as written, a topic named `false` was
    subscribed to and its boots looked for)."""
    # (a load class of one's own with no such attribute: its option as written)
    return [(str(topic), f"{load.name}'s own") for load in loads
            if (topic := getattr(load, "topic_read_power", load.options.get("topic_read_power")))]


def own_meter_topics(loads: Sequence[Equipment]) -> set[str]:
    """The topics of the loads' own meters."""
    return {str(topic) for topic, _ in own_meters(loads)}


def command_topics(loads: Sequence[Equipment]) -> list[str]:
    """The topics the loads' commands go to, each once."""
    return list(dict.fromkeys(load.current_command().topic for load in loads))


def unretained_command_topics(loads: Sequence[Equipment], read: set[str]) -> list[str]:
    """The topics the loads' commands go to not retained (a variator's; a relay on domoticz/in) and that are
    not `read`: a retained message there is someone else's, taken as an order at every reconnect."""
    unretained = [load for load in loads if not load.current_command().retain]
    return [topic for topic in command_topics(unretained) if topic not in read]


def is_own_command(loads: Sequence[Equipment], topic: str, payload: bytes) -> bool:
    """`payload` on `topic` is a command a load sends there: any on a variator's own topic, a relay's on or off
    payload on a shared one (domoticz/in carries every device's orders)."""
    text = payload.decode("utf-8", "replace")
    for load in loads:
        off = load.command_for(0.0)[0]
        if off.topic != topic:
            continue
        on = load.command_for(load.max_power_w)[0]
        if isinstance(load, VariableEquipment) or text in (off.payload, on.payload):
            return True
    return False
