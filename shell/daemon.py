"""The live daemon: the decision core plus the MQTT link, a saver thread, signals and a lock.
Only this main loop changes regulator state."""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from core.regulator import Regulator
from settings.config import Settings
from shell.lock import InstanceLock
from shell.mqtt_link import Connected, Disconnected, Message, MqttLink
from status.saver import StatusSaver
from status.store import load_status

log = logging.getLogger(__name__)

TICK_S = 0.5  # timers (force expiry, stale meters) run at least this often


@dataclass(frozen=True, slots=True)
class StopRequest:
    """SIGINT/SIGTERM arrived."""

    signal_name: str


class Daemon:
    """Runs a Regulator against the broker until a stop signal."""

    def __init__(self, settings: Settings, lock: InstanceLock) -> None:
        self.lock = lock
        self.events: queue.Queue[object] = queue.Queue()
        self.reg = Regulator(settings, publish=self._publish)
        self.link = MqttLink(settings.mqtt, self.events, self.reg.subscriptions)
        self._live_only = self.reg.live_only_topics()
        self._offered: dict[str, Any] | None = None
        st = settings.status
        self.saver = StatusSaver(st.file, settings.evaluate.status_time_s) if st.persistent else None
        self._started = False
        self._ticked_at = 0.0  # wall-clock time of the last timer pass

    def _publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.link.publish(topic, payload, retain)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Signal handlers run on the main thread between bytecodes: only enqueue.
        self.events.put(StopRequest(signal.Signals(signum).name))

    def run(self) -> int:
        """Main loop; returns the exit code."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._on_signal)
            signal.signal(signal.SIGINT, self._on_signal)
        if self.saver is not None:
            document = load_status(self.saver.path)
            if document is not None:
                for warning in self.reg.restore(document, time.time()):
                    log.warning("status restore: %s", warning)
            self.saver.start()
        self.link.start()
        try:
            self._loop()
        finally:
            self._shutdown()
        return 0

    def _wait_s(self, next_tick: float) -> float:
        """Seconds until the periodic pass, or until the regulator's next deadline if that is sooner: a
        silent meter is cut off at meter_timeout itself, not up to TICK_S later."""
        wait_s = next_tick - time.monotonic()
        deadline = self.reg.next_deadline() if self._started else None
        if deadline is not None and deadline > self._ticked_at:  # one the timers did not clear: no busy loop
            wait_s = min(wait_s, deadline - time.time())
        return max(0.0, wait_s)

    def _loop(self) -> None:
        next_tick = time.monotonic()
        while True:
            try:
                event = self.events.get(timeout=self._wait_s(next_tick))
            except queue.Empty:
                event = None
                next_tick = min(next_tick, time.monotonic())  # woken for a deadline: run the timers now
            if isinstance(event, StopRequest):
                log.info("%s received: stopping", event.signal_name)
                return
            if isinstance(event, Connected):
                self._on_connected(event)
            elif isinstance(event, Disconnected):
                log.warning("not connected to the broker (%s): retrying", event.reason)
                if self._started:
                    self.reg.on_disconnected(event.at)
            elif isinstance(event, Message) and self._started:
                self._on_message(event)
            if time.monotonic() >= next_tick:
                self._ticked_at = time.time()
                try:
                    self.reg.tick(self._ticked_at)
                except Exception:  # a bug must not stop the regulation: logged, the loop goes on
                    log.exception("internal error in the timers")
                self._offer_snapshot()  # a status the timers published (a force expired, a stale meter)
                next_tick = time.monotonic() + TICK_S

    def _on_message(self, event: Message) -> None:
        if event.retained and event.topic in self._live_only:
            # A retained reading is old news (it may be hours old): deciding on it could switch loads on.
            log.warning("ignoring a retained message on %s (readings and commands must not be retained)",
                        event.topic)
            return
        try:
            self.reg.handle(event.topic, event.payload, event.received_at)
        except Exception:  # a bug on one message must not stop the regulation: logged and dropped
            log.exception("internal error on a message on %s; message dropped", event.topic)
            return
        self._offer_snapshot()

    def _on_connected(self, event: Connected) -> None:
        if not self._started:
            log.info("connected; subscribed to %s", ", ".join(self.reg.subscriptions()))
            self.reg.start(event.at)  # every load to 0 first, then restored forces
            self._started = True
        else:
            log.info("reconnected: subscriptions renewed, commands re-sent")
            self.reg.resend_commands("reconnected")
        self.reg.on_connected(event.at)  # e.g. ask Domoticz for the water heater's mode again

    def _offer_snapshot(self, fresh: bool = False) -> None:
        # The document the regulator last published serves the saver too: building another one after
        # every message would double the hot path's work for a file written every status_time seconds.
        if self.saver is None:
            return
        snapshot = self.reg.status(time.time()) if fresh else self.reg.last_status
        if snapshot is not None and snapshot is not self._offered:
            self._offered = snapshot
            self.saver.offer(snapshot)

    def _shutdown(self) -> None:
        now = time.time()
        if self._started:
            self.reg.shutdown(now)
        self._offer_snapshot(fresh=True)
        if self.saver is not None:
            self.saver.stop()
            log.info("status saved to %s", self.saver.path)
        self.link.stop()
        self.lock.release()
        log.info("stopped")
