"""The loads switched off whose off the broker has not acknowledged: at a stop they may still be on. A link dead but
not yet known to be (a frozen broker, a Wi-Fi gone without a word: paho notices within 2 x keepalive) takes every
message and delivers none: the stale guard's offs, the meters silent with it, went into it, the regulation's own
view said every load at 0 W, and the stop named none while a relay stayed on. No paho state but the message infos it
hands back (tests/test_daemon_removed_off.py, on a real broker frozen or gone)."""

from __future__ import annotations

from paho.mqtt.client import MQTTMessageInfo

from equipments.base import Equipment
from shell.paho_compat import acknowledged


class UnacknowledgedOffs:
    """Which loads went from on to off with that off not acknowledged yet. QoS 1 messages go out in order on one
    link and the broker acknowledges them in order: the last message sent when a load was commanded off stands for
    its off (the off itself, or a later one), which saves tracking each load's topic (domoticz/in carries many)."""

    def __init__(self) -> None:
        self._last_sent: MQTTMessageInfo | None = None
        self._on: set[str] = set()
        self._offs: dict[str, MQTTMessageInfo | None] = {}

    def watch(self, load: Equipment) -> None:
        """Follow `load`'s commands (each set_power, published or unchanged)."""
        name = load.name
        load.add_power_listener(lambda watts, now: self._commanded(name, watts))

    def sent(self, info: MQTTMessageInfo) -> None:
        """A QoS 1 message was handed to paho (a QoS 0 one is 'published' once written to the socket: no witness)."""
        self._last_sent = info

    def not_sent(self) -> None:
        """A message was dropped, the link down (shell/while_down.py): an off made now has no witness until the
        reconnect's re-sends (`resent`)."""
        self._last_sent = None

    def _commanded(self, name: str, watts: float) -> None:
        if watts > 0:
            self._on.add(name)
            self._offs.pop(name, None)
        elif name in self._on:
            self._on.discard(name)
            self._offs[name] = self._last_sent

    def resent(self) -> None:
        """Every load's command was sent again (a reconnect): an off is delivered once the last of those is."""
        for name in self._offs:
            self._offs[name] = self._last_sent

    def pending(self) -> list[str]:
        """The loads whose off is not acknowledged (the acknowledged ones forgotten)."""
        for name in [name for name, info in self._offs.items() if info is not None and acknowledged(info)]:
            del self._offs[name]
        return list(self._offs)
