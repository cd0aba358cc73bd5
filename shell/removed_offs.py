"""The off commands of the loads the config no longer has that PySEB left on (status.restore_offs finds them), as the
daemon sends them: once, at the first connection, and said as what became of them. The connection the main loop takes
may be gone already (it dropped in between), or dead but not yet known to be: paho then keeps the message (QoS 1, 2.x
and 1.6 alike), which the log said was done at once ("commanded off"), and drops it at its next connect
(MqttLink._on_connect): sent again by the daemon then, until the broker acknowledged one. Until then, the status
document keeps it (`pending_offs`, from `pending`): the status file saved since no longer names the load, and a stop or
a kill before the broker was back lost it, the device on for good."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import NamedTuple

import paho.mqtt.client as mqtt

from equipments.load_command import Command
from shell import paho_compat
from shell.mqtt_link import MqttLink
from status.restore_offs import said_of

# The lines the regulator wrote when it sent them itself: the same logger, so that the log shows them as before.
log = logging.getLogger("core.regulator")


class _Sent(NamedTuple):
    name: str
    off: Command
    info: mqtt.MQTTMessageInfo


class RemovedOffs:
    """The offs handed to the link, and whether each went out on a live link yet."""

    def __init__(self, link: MqttLink, configured: Collection[str]) -> None:
        self._link = link
        self._configured = configured  # the configured loads' names (said_of)
        self._queued: list[_Sent] = []  # taken by paho while the link was down: sent at its next connection
        self._sent: list[_Sent] = []  # handed to a live link (acknowledged or not)
        self._refused: list[tuple[str, Command]] = []  # not even queued: kept pending, the next start tries again

    def _said(self, name: str) -> str:
        return said_of(name, self._configured)

    def send(self, offs: list[tuple[str, Command]]) -> None:
        """Publish each off once, at QoS 1 (MqttLink.publish); say whether it went out on a live link or was queued."""
        for name, off in offs:
            sent = self._publish(name, off)
            if sent is None:
                continue
            if self._live(sent):
                self._sent.append(sent)
                log.info("%s: off sent, %r on %s", self._said(sent.name), off.payload, off.topic)
            else:
                self._queued.append(sent)
                log.warning("%s: off queued (%r on %s): the broker is unreachable, it is sent when the broker is back",
                            self._said(sent.name), off.payload, off.topic)

    def _publish(self, name: str, off: Command) -> _Sent | None:
        """`off` handed to the link; None (said, kept pending for the next start) when paho did not even queue it."""
        try:
            info = self._link.publish(off.topic, off.payload, off.retain)
        except (RuntimeError, ValueError) as exc:  # PublishFailed, paho's ValueError: not even queued
            log.error("%s: its off command %r on %s could not be published (%s): tried again at the next start "
                      "(with a status file); meanwhile switch it off yourself", self._said(name), off.payload,
                      off.topic, exc)
            self._refused.append((name, off))
            return None
        return _Sent(name, off, info)

    def _live(self, sent: _Sent) -> bool:
        return sent.info.rc == mqtt.MQTT_ERR_SUCCESS and self._link.client.is_connected()

    def reconnected(self) -> None:
        """The link is up again: paho dropped what it held for the connection (MqttLink._on_connect), so each off the
        broker has not acknowledged is sent again now (one per load and connection: the lost one never delivered it,
        or the broker's acknowledgement never came back)."""
        queued, self._queued = self._queued, []
        sent_before, self._sent = self._sent, []
        unacknowledged: list[_Sent] = []
        for one in sent_before:  # (each looked at once: paho's thread may mark one acknowledged meanwhile)
            (self._sent if paho_compat.acknowledged(one.info) else unacknowledged).append(one)
        for before in (*queued, *unacknowledged):
            again = self._publish(before.name, before.off)
            if again is None:
                continue
            if not self._live(again):  # (the link gone again already: sent at the next reconnect)
                self._queued.append(again)
                continue
            self._sent.append(again)
            log.info("%s: off sent %snow that the broker is back (%r on %s)", self._said(again.name),
                     "" if before in queued else "again (not acknowledged on the lost connection) ", again.off.payload,
                     again.off.topic)

    def pending(self) -> list[tuple[str, Command]]:
        """The offs (name, off) the broker has not acknowledged yet (read at each status document: kept in it)."""
        return [*self._refused, *((sent.name, sent.off) for sent in (*self._sent, *self._queued)
                                  if not paho_compat.acknowledged(sent.info))]

    def at_stop(self, saved: bool) -> None:
        """After the link's stop: each off the broker has not acknowledged is said kept in the status file, sent again
        at the next start, if the stop `saved` it (unacknowledged now, it was when the status was saved); lost if
        not."""
        for sent in (*self._sent, *self._queued):
            if paho_compat.acknowledged(sent.info):
                continue
            if saved:
                log.warning("%s: its off %r on %s was not acknowledged by the broker: kept in the status file, sent "
                            "again at the next start", self._said(sent.name), sent.off.payload, sent.off.topic)
            else:
                log.error("could not send off to %s: broker unreachable, %r on %s not acknowledged: it may still be "
                          "on, switch it off yourself", self._said(sent.name), sent.off.payload, sent.off.topic)
