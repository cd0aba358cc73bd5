"""How the sweep's link leaves the load at the end percent: published until the broker acknowledges it (waiting for
a broker that went away), then sent again until the variator says it runs at it. A mixin of
`calibration.sweep_link.SweepLink`, whose `finish()` calls these two waits."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from calibration.sweep_base import format_percent
from calibration.sweep_target import SweepTarget

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

__all__ = ["COMMAND_QOS", "END_RESEND_S", "FINAL_PUBLISH_WAIT_S", "EndPercent"]

# (the logger of the link, whose lines these were: the log's names unchanged)
log = logging.getLogger("calibration.sweep_link")

COMMAND_QOS = 1  # a lost percent would skew a whole step's average
FINAL_PUBLISH_WAIT_S = 5.0
END_RESEND_S = 2.0  # the end percent sent again this often while the variator has not confirmed it


class EndPercent:
    """The end percent's two waits, on the link's state (set by SweepLink)."""

    target: SweepTarget
    end_percent: float
    client: mqtt.Client
    _up: bool
    _connections: int
    _end_sent: bool
    _end_answer: threading.Event
    stop_asked_at: float | None
    heed_availability: bool
    regulator_online: bool
    yielded_to_regulator: bool

    def _wait_for_end_answer(self, wait_s: float) -> bool:
        """Wait up to `wait_s` for the variator's status at the end percent, sending it again every END_RESEND_S:
        the variator's module off the Wi-Fi as the sweep ends (the cases that stop a sweep: a silent meter, a silent
        variator) lost the one message (its session is clean), came back, and ran on at the sweep's last percent.
        A Ctrl-C gives the wait up, and so does the regulator coming online (the resends would fight its commands)."""
        began = time.monotonic()
        deadline = began + wait_s
        end = format_percent(self.end_percent)
        said = False
        while not self._end_answer.wait(max(0.0, min(END_RESEND_S, deadline - time.monotonic()))):
            asked = self.stop_asked_at
            if time.monotonic() >= deadline or (asked is not None and asked >= began):
                return False
            if self.heed_availability and self.regulator_online:
                log.info("the regulator is online: it commands the variator now, the end percent is not sent again")
                self.yielded_to_regulator = True
                return False
            if not said:
                said = True
                log.warning("the variator has not confirmed the end percent, %s %%, on %s: sent again every %g s for "
                            "up to %.0f s (Ctrl-C gives up)", end, self.target.topic_variator_status, END_RESEND_S,
                            wait_s)
            if self.client.is_connected():
                self.client.publish(self.target.topic_set_power, end, qos=COMMAND_QOS)
        return True

    def _send_end(self, reconnect_wait_s: float) -> bool:
        """Publish the end percent while connected, once a connection, until the broker acknowledges it (QoS 1), or
        `reconnect_wait_s` is over. (Published at every pass of the wait while paho 1.6 still said connected after a
        drop, each copy was queued, and the variator got them all when the broker came back. One published and not
        acknowledged when the connection drops, paho sends again itself once reconnected.)"""
        end = format_percent(self.end_percent)
        began = time.monotonic()
        deadline = began + reconnect_wait_s
        waiting = False
        pending: mqtt.MQTTMessageInfo | None = None  # the end percent published, not acknowledged yet
        published_on = 0  # the connection (`_connections`) it was last published on
        while True:
            wait_s = 0.0
            if pending is None and self._up and self.client.is_connected() and published_on != self._connections:
                published_on = self._connections
                self._end_sent = True
                pending = self.client.publish(self.target.topic_set_power, end, qos=COMMAND_QOS)
                wait_s = FINAL_PUBLISH_WAIT_S
            if pending is not None:
                try:
                    pending.wait_for_publish(wait_s)
                    if pending.is_published():
                        if waiting:
                            log.info("the broker is back: the load is set to the end percent, %s %%", end)
                        return True
                except (RuntimeError, ValueError) as exc:  # (the connection dropped meanwhile)
                    log.debug("end percent not confirmed yet: %s", exc)
                    pending = None  # (published again on the next connection)
            asked = self.stop_asked_at
            if asked is not None and asked >= began:
                log.warning("stopped waiting for the broker, as asked")
                return False
            if time.monotonic() >= deadline:
                return False
            if not waiting:
                waiting = True
                # A broker that is up sends our will (the end percent) when it notices we are gone; one that
                # crashed sends nothing (stopped cleanly, only to the clients still connected then), so the end
                # percent is sent again once paho has reconnected.
                log.warning("the broker %s:%d does not answer: waiting up to %.0f s for it, to set the end "
                            "percent %s %% on %s (Ctrl-C gives up)", self.target.host, self.target.port,
                            reconnect_wait_s, end, self.target.topic_set_power)
            time.sleep(0.1)
