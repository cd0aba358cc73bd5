"""The MQTT link's stop (MqttLink.stop): `offline` announced and waited for, so that the stop commands queued before
it are known delivered, or the loads they may have left on named; then paho's network thread stopped, bounded. Logs
as shell.mqtt_link, the link's own lines."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import paho.mqtt.client as mqtt

from settings.sections import MqttSettings

log = logging.getLogger("shell.mqtt_link")

OFFLINE = "offline"
# The most the stop waits for the broker to acknowledge `offline` (and with it the stop commands before it), then for
# paho's network thread to end (a connection attempt under way: a name resolution, a connect, has its own timeouts).
OFFLINE_WAIT_S = 4.0
NETWORK_THREAD_WAIT_S = 2.0

_LEFT_AS_THEY_WERE = ("and each load stays as last commanded until PySEB runs again (its start commands every load "
                      "off)")


class Publish(Protocol):
    """MqttLink.publish: a retained message at QoS 1 (its owed-message bookkeeping and its warnings with it);
    PublishFailed (a RuntimeError) or ValueError when paho did not even queue it."""

    def __call__(self, topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> mqtt.MQTTMessageInfo:
        ...


def _not_sent(left_on: Sequence[str], could: str = "could not send") -> str:
    """What the stop's line says first of the loads that were on (none: nothing)."""
    return f"{could} off to {', '.join(left_on)}: broker unreachable; " if left_on else ""


def stop_link(client: mqtt.Client, publish: Publish, settings: MqttSettings, timeout_s: float,
              left_on: Sequence[str], commanded: bool) -> None:
    """Announce offline, flush what is queued, disconnect and stop `client`'s network thread (MqttLink.stop, whose
    docstring says the arguments)."""
    # (paho 1.6 says connected from a lost link until its next attempt: `offline` refused then tells)
    if not commanded and not client.is_connected():
        log.warning("stopping with the broker link down, before the regulation started: no load was commanded, "
                    "each stays as it was until PySEB runs again (its start commands every load off)")
    elif not client.is_connected() or not _publish_offline(publish, settings, timeout_s, left_on):
        # The stop's commands were queued for a reconnect that will not come: the log had just said every
        # load went to 0 W, while a relay switched on stayed on.
        log.warning(f"stopping with the broker link down: {_not_sent(left_on)}the stop commands (every load to "
                    f"0 W) were not delivered, {_LEFT_AS_THEY_WERE}")
    client.disconnect()
    # (paho's loop_stop waits for its thread with no bound: with the network gone, a retry's name resolution
    # held the stop for the resolver's timeouts, 10 to 40 s, past systemd's TimeoutStopSec. Its thread is a
    # daemon thread: one left behind goes with the process.)
    stopper = threading.Thread(target=client.loop_stop, name="mqtt-stop", daemon=True)
    stopper.start()
    stopper.join(NETWORK_THREAD_WAIT_S)
    if stopper.is_alive():
        log.warning("the MQTT network thread has not ended within %g s (a connection attempt to %s under way): "
                    "left behind", NETWORK_THREAD_WAIT_S, settings.host)


def _publish_offline(publish: Publish, settings: MqttSettings, timeout_s: float, left_on: Sequence[str]) -> bool:
    """A retained `offline`, waited for; False when paho found the link down (it keeps the message for a
    reconnect). (Not waited for then: paho refuses the wait, which said 'could not publish offline' instead of
    the stop's own line; the broker publishes the will of a link it lost.)"""
    try:
        info = publish(settings.topic_availability, OFFLINE, retain=True)
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            return False
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            # A link dead but not yet known to be (Wi-Fi gone without a word: paho notices within 2 x keepalive)
            # takes every message and delivers none. "offline" follows the stop commands on the same link:
            # unacknowledged, they may be lost too.
            log.warning("the broker did not acknowledge PySEB's last message within %g s: %sthe stop commands "
                        "(every load to 0 W) may not have been delivered, %s", timeout_s,
                        _not_sent(left_on, "may not have sent"), _LEFT_AS_THEY_WERE)
    except (RuntimeError, ValueError) as exc:  # PublishFailed is a RuntimeError
        log.warning("could not publish offline before stopping: %s", exc)
    return True
