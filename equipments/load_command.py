"""What a load publishes and with what: its command (re-sent after a reconnect or a device boot), the publish function
the regulator binds it to, and what that function raises when its queue is full (out of equipments/base.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Publish = Callable[..., Any]  # publish(topic, payload, retain=False)


class QueueFull(RuntimeError):
    """What a publish function raises when it refused a message for now, its queue full (the daemon's link: paho's
    PAHO_QUEUE_MAX messages the broker has not acknowledged). The daemon's link owes a retained daily report so
    refused, sent once paho has room (shell/owed_messages.py); a refusal for any other reason is not owed."""


@dataclass(frozen=True, slots=True)
class Command:
    """A message that puts a load in its current state; re-sent after a reconnect or a device boot."""

    topic: str
    payload: str
    retain: bool
