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


def topic_problem(topic: str | None, role: TopicRole, own: bool = False) -> str | None:
    """Why `topic` cannot serve as `role`, or None when it can; `own`: one of PySEB's own topics (its mode, the
    forecast's...), which no device names."""
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
                + ("one topic it is to read, without + or #" if own else "device's own topic"))
    if role is TopicRole.PUBLISH and topic.startswith("$"):
        return f"{topic!r} starts with $: such topics are the broker's own, a client cannot publish there"
    return None


def topic_warning(topic: str, own: bool = False) -> str | None:
    """Why `topic`, valid, is likely not the one meant, or None. MQTT matches topics exactly: PySEB on
    `smeter/pzem /CONSOMMATION` and a meter on `smeter/pzem/CONSOMMATION` never meet, and the meter looks silent.
    A space at either end of a level, and an empty level after the first (a trailing / or a //), are valid but
    almost always typos. A leading / is one too in PySEB's `own` topics (its mode, status..., the forecast's: no
    device imposes their shape; `/regul/mode` and `regul/mode` are two topics), not in a device's: ESPEasy's older
    default topics start with one."""
    levels = topic.split("/")
    if own and topic.startswith("/"):
        return (f"{topic!r} starts with /: valid MQTT, but {topic!r} and {topic[1:]!r} are two different topics, and "
                "what sends or reads there almost always means the one without; remove the / unless it uses it too")
    if any(level != level.strip() for level in levels):
        what = "a space at the start or end of a level"
    elif "" in levels[1:]:
        what = "an empty level (a / at the end, or //)"
    else:
        return None
    return (f"{topic!r} has {what}: valid MQTT, but topics must match exactly and a device's topic almost never "
            "has one; remove it unless the device's topic has it too")
