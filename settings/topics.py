"""MQTT topics in the config, checked for what each is used as. A topic PySEB publishes on must be a valid
publish topic, and one it reads is matched exactly (its subtopics, for Domoticz's out topic), so neither
may hold a wildcard: `topic_set_power = cmnd/+/POWER` would make paho refuse every command, and an empty
`topic_cons` would kill paho's network thread when it subscribes. Found by the config check, not at run
time."""

from __future__ import annotations

from enum import Enum

MAX_TOPIC_BYTES = 65535  # MQTT's limit: a topic's length is a 16-bit number of UTF-8 bytes


class TopicRole(str, Enum):
    """What a configured topic is used as."""

    PUBLISH = "publish"  # PySEB publishes on it (commands, status, availability, domoticz/in)
    READ = "read"  # PySEB subscribes to it and matches messages to it exactly (or as a prefix)


def topic_problem(topic: str | None, role: TopicRole) -> str | None:
    """Why `topic` cannot serve as `role`, or None when it can."""
    if topic is None or topic == "":
        return "is empty: a topic is needed"
    if "\0" in topic:
        return "holds a NUL character, which MQTT forbids in a topic"
    if len(topic.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
        return f"is longer than MQTT's {MAX_TOPIC_BYTES} bytes"
    if "+" in topic or "#" in topic:
        if role is TopicRole.PUBLISH:
            return f"{topic!r} has a wildcard (+ or #): PySEB publishes on it, and a publish topic cannot have one"
        return (f"{topic!r} has a wildcard (+ or #): PySEB reads it as one topic (matched exactly), give the "
                "device's own topic")
    if role is TopicRole.PUBLISH and topic.startswith("$"):
        return f"{topic!r} starts with $: such topics are the broker's own, a client cannot publish there"
    return None
