"""The live daemon: the decision core plus the MQTT link, a saver thread, signals and a lock.
Only this main loop changes regulator state."""

from __future__ import annotations

import functools
import logging
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from core import load_topics
from core.decisions import is_relay
from core.regulator import Regulator
from recording.store import recorded_days
from recording.writer import DayRecorder
from settings.config import Settings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher
from shell.lock import InstanceLock
from shell.loglimit import FloodLimiter
from shell.logsetup import reopen_log_files
from shell.mqtt_link import (
    ATTEMPT_FAILED,
    MAX_WAITING_MESSAGES,
    RETRY_PACE,
    Connected,
    Disconnected,
    Leftover,
    LinkFault,
    Message,
    MqttLink,
    Refused,
)
from shell.stop_signals import StartHangup, StoppedWhileStarting, has_controlling_terminal, stop_signals_to_catch
from status.saver import StatusSaver
from status.store import load_status, remove_stale_temporaries, set_aside

log = logging.getLogger(__name__)

TICK_S = 0.5  # timers (force expiry, stale meters) run at least this often
# A message that waited longer than this in the queue: the main loop was held up (a log file on a stuck SD
# card), and its timers have run since, at a later time. A meter reading that old is dropped: deciding on it
# would act on the surplus of minutes ago. Anything else is handled as received now: the core would take its
# stamp for a clock stepped back, and count the hold-up's energy a second time from it.
QUEUED_TOO_LONG_S = 10.0
EXIT_LINK_FAULT = 1


class LinkReport:
    """What the log says while the broker cannot be had: the reason once, then a reminder every
    `reminder_s` while the same reason lasts (paho retries every few seconds: a line per retry would
    bury everything else)."""

    def __init__(self, reminder_s: float = 600.0) -> None:
        self.reminder_s = reminder_s
        self.down_since: float | None = None
        self.reason: str | None = None
        self.attempts = 0
        self._told_at = 0.0

    def down(self, reason: str, now: float) -> str | None:
        """One more failed attempt or a lost link: "first", "reminder" or None (say nothing)."""
        self.attempts += 1
        if self.down_since is None:
            self.down_since = now
        if reason != self.reason:
            self.reason, self._told_at = reason, now
            return "first"
        if now - self._told_at >= self.reminder_s:
            self._told_at = now
            return "reminder"
        return None

    def up(self, now: float) -> tuple[float, int] | None:
        """Connected: (seconds it was down, failed attempts), or None when it was not down."""
        if self.down_since is None:
            return None
        down = (now - self.down_since, self.attempts)
        self.down_since, self.reason, self.attempts = None, None, 0
        return down


@dataclass(frozen=True, slots=True)
class StopRequest:
    """SIGINT, SIGTERM or SIGHUP arrived."""

    signal_name: str


@dataclass(frozen=True, slots=True)
class ReopenRequest:
    """SIGHUP arrived at a daemon started without a terminal: no hang-up, logrotate's (or a user's) request to
    open the log file again."""


def _recorder(settings: Settings, reg: Regulator) -> DayRecorder:
    rec = settings.record
    return DayRecorder(rec.dir, [load.name for load in reg.loads], [is_relay(load) for load in reg.loads],
                       settings.tzinfo, settings.evaluate.meter_timeout_s, rec.flush_interval_s, rec.keep_days,
                       rec.max_day_bytes)


class Daemon:
    """Runs a Regulator against the broker until a stop signal."""

    def __init__(self, settings: Settings, lock: InstanceLock, limiter: FloodLimiter | None = None) -> None:
        self.lock = lock
        self.limiter = limiter
        self.client_id = settings.mqtt.client_id
        self.link_report = LinkReport()
        self._exit_code = 0
        self._catching = False  # the stop handlers installed (catch_stop_signals)
        # A SimpleQueue: the signal handler puts into it from the main thread, possibly while the main loop is
        # inside its get. A Queue runs Python code there with its (not reentrant) lock held, and the handler's put
        # waited for that lock forever (a daemon deaf to SIGTERM, its loads left on); a SimpleQueue's put and get
        # are C, reentrant, and run no Python code in between.
        self.events: queue.SimpleQueue[object] = queue.SimpleQueue()
        # A stop signal, seen by the main loop before any other event: in the queue, it waited behind every message
        # of a backlog (a flood on the broker), past systemd's TimeoutStopSec, whose kill left the loads on.
        self._stop_asked: StopRequest | None = None
        self.reg = Regulator(settings, publish=self._publish)
        leftover_topics = self.reg.unretained_command_topics()  # (fixed by the config: not asked from paho's thread)
        # (each load's command topic: one the broker's ACL refuses PySEB is said, not a load never commanded)
        command_topics = load_topics.command_topics(self.reg.loads)
        self.link = MqttLink(settings.mqtt, self.events, self.reg.subscriptions,
                             leftover_topics=lambda: leftover_topics, echo_topics=lambda: command_topics)
        self.username = settings.mqtt.username
        live_only = self.reg.live_only_topics()
        self._live_only = {topic for topic in live_only if not topic.endswith("/#")}
        self._live_only_trees = tuple(topic[:-2] for topic in live_only if topic.endswith("/#"))
        self._readings = self.reg.reading_topics()
        self._offered: dict[str, Any] | None = None
        st = settings.status
        self.status_file = st.file  # (as configured: the saver's path is the file a symlink names)
        self.saver = StatusSaver(st.file, settings.evaluate.status_time_s) if st.persistent else None
        owm = settings.field.forecast.owm
        self.fetcher = ForecastFetcher(owm, settings.field.fallback.seed.check_at_hour, settings.tzinfo,
                                       self.events) if owm is not None else None
        self._started = False
        self.recorder = _recorder(settings, self.reg) if settings.record.enabled else None
        if self.recorder is not None:
            self.reg.add_decision_listener(self.recorder.add)
        self._ticked_at = 0.0  # wall-clock time of the last timer pass

    def _publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.link.publish(topic, payload, retain)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Signal handlers run on the main thread between bytecodes: only enqueue (into a reentrant queue: above).
        request = StopRequest(signal.Signals(signum).name)
        self._stop_asked = self._stop_asked or request  # (the first: the one the log names)
        self.events.put(request)  # (wakes the loop's wait)

    def _on_reopen_signal(self, signum: int, frame: FrameType | None) -> None:
        self.events.put(ReopenRequest())

    def catch_stop_signals(self) -> None:
        """Install the stop handlers (the main thread only; once): from then on a stop signal is queued, not raised.
        The start calls it as soon as the Daemon is built: until then a Ctrl-C or a terminal's hangup raises
        KeyboardInterrupt, which the start turns into a clean exit."""
        if self._catching or threading.current_thread() is not threading.main_thread():
            return
        # SIGHUP stops a daemon run in a terminal (closed, or its ssh session dropped). Without one (systemd,
        # cron), nothing hangs up: it is logrotate's postrotate asking, as of any daemon, to reopen the log; a
        # stop there was exit 0, which systemd's Restart=on-failure leaves stopped, nothing regulating.
        hangup_reopens = not has_controlling_terminal()
        for signum in stop_signals_to_catch():
            reopen = hangup_reopens and signum == getattr(signal, "SIGHUP", None)
            signal.signal(signum, self._on_reopen_signal if reopen else self._on_signal)
        self._catching = True

    def run(self, start_hangup: StartHangup | None = None) -> int:
        """Main loop; returns the exit code. `start_hangup`: a SIGHUP held while PySEB started (the log is reopened).
        Raises StoppedWhileStarting (the lock released) for a stop signal caught before it began."""
        self.catch_stop_signals()
        if self._stop_asked is not None:
            # (between the start's end and here: nothing is connected or commanded yet, only the lock to let go)
            self.lock.release()
            raise StoppedWhileStarting(self._stop_asked.signal_name)
        if start_hangup is not None and start_hangup.arrived:
            self.events.put(ReopenRequest())  # (logrotate's, while starting: the log file was moved aside)
        if self.saver is not None:
            self.restore_saved_status(time.time())
            self.saver.start()
        if self.recorder is not None:
            log.info("recording each decision into %s (a batch every %.0f s)", self.recorder.directory,
                     self.recorder.flush_interval_s)
            self.recorder.start()
        failure = self.link.start()
        if failure is not None:
            self.link_report.down(failure, time.time())  # logged by the link with its details
        if self.fetcher is not None:
            self.fetcher.start()
        try:
            self._loop()
        finally:
            self._shutdown()
        return self._exit_code

    def restore_saved_status(self, now: float) -> None:
        """Restore the status file at the start, before the saver runs. A file the restore cannot use at all (a bug
        in the restore, not only a bad file) is kept aside like an unreadable one: the first save replaced it."""
        if self.saver is None:
            return
        path = self.saver.path
        # The lock is ours: no save is under way, so any temporary file of our pattern is a killed save's.
        remove_stale_temporaries(path)
        document = load_status(path, keep_aside=True, expected_because=lambda: self._status_expected_because(path))
        if document is not None:
            for warning in self.reg.restore(document, now, set_aside=functools.partial(set_aside, path)):
                log.warning("status restore: %s", warning)

    def _status_expected_because(self, path: Path) -> list[str]:
        """What, outside the status file's folder, says a status file was saved before (its absence then warns,
        rather than being a first start's INFO line): the configured path a symlink to it, the recorder's days."""
        because = []
        configured = self.status_file
        if configured.is_symlink() and configured != path:
            because.append(f"the symlink {configured} names it")
        if self.recorder is not None and (days := recorded_days(self.recorder.directory)):
            because.append(f"the recorder has {len(days)} day(s) in {self.recorder.directory}, the last {days[-1]}")
        return because

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
            if self._stop_asked is not None:
                self._faults_at_stop(event)
                event = self._stop_asked
            if isinstance(event, StopRequest):
                log.info("%s received: stopping", event.signal_name)
                return
            if isinstance(event, ReopenRequest):
                self._reopen_log()
            if isinstance(event, Connected):
                self._on_connected(event)
            elif isinstance(event, Disconnected):
                self._on_disconnected(event)
            elif isinstance(event, Refused):
                self._report_down(f"the broker refused the connection: {event.reason}", event.at, logging.ERROR)
            elif isinstance(event, LinkFault):
                if self._on_link_fault(event):
                    return
            elif isinstance(event, Message) and self._started:
                self._on_message(event)
            elif isinstance(event, Leftover):
                self._on_leftover(event)
            elif isinstance(event, ForecastFetched):
                self._on_forecast(event)
            if time.monotonic() >= next_tick:
                self._ticked_at = time.time()
                # (not before the link says connected: a tick starts the regulator, whose first commands, sent while
                # the connection was being made, reached the broker before PySEB's subscriptions, and the echo
                # check then said a plain broker's ACL refused them; _on_connected starts it)
                try:
                    if self._started:
                        self.reg.tick(self._ticked_at)
                except Exception:  # a bug must not stop the regulation: logged, the loop goes on
                    log.exception("internal error in the timers")
                self._offer_snapshot()  # a status the timers published (a force expired, a stale meter)
                self._check_echo()
                self._say_dropped()
                if self.recorder is not None:
                    self.recorder.tick(time.monotonic())  # hands a batch to its thread, never writes here
                if self.limiter is not None:
                    self.limiter.flush()  # how many lines a flood had held back
                next_tick = time.monotonic() + TICK_S

    def _on_link_fault(self, fault: LinkFault) -> bool:
        """Log a fault of a paho callback; True (the exit code set) when the link cannot work on."""
        log.error("internal error in the MQTT %s callback:\n%s", fault.callback, fault.trace.rstrip())
        if fault.fatal:
            log.error("the MQTT link cannot work on after that: stopping (exit %d) so that a supervisor restarts "
                      "PySEB", EXIT_LINK_FAULT)
            self._exit_code = EXIT_LINK_FAULT
        return fault.fatal

    def _faults_at_stop(self, taken: object) -> None:
        """At a stop, the link's faults in the event just taken and in those still waiting (a backlog's messages
        are bounded: a pass over them is quick, the stop not delayed): a fatal one gives the exit code, as it would
        have without the stop, so that a supervisor restarts PySEB. Without it the stop exited 0."""
        events = [taken]
        for _ in range(MAX_WAITING_MESSAGES + 100):  # (bounded: paho's thread may still be putting)
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                break
        for event in events:
            if isinstance(event, LinkFault):
                self._on_link_fault(event)

    def _say_dropped(self) -> None:
        dropped, topic = self.link.take_dropped()
        if dropped:
            log.warning("%d MQTT messages dropped (the last on %s): %d were already waiting for the main loop (a flood "
                        "on the broker, or the loop held up)", dropped, topic, MAX_WAITING_MESSAGES,
                        extra={"limit_key": "dropped messages"})

    def _check_echo(self) -> None:
        missing = self.link.echo.missing(time.monotonic())
        if missing:
            user = f"user {self.username!r}" if self.username else "an anonymous client"
            log.warning("the broker did not pass PySEB's own messages on %s back to it within %.0f s: its ACL most "
                        "probably refuses %s publishing there (no device then gets a command; mosquitto drops them "
                        "without a word), or reading them back (then all is well): allow both (mosquitto: topic "
                        "readwrite in its acl_file)", ", ".join(missing), self.link.echo.wait_s, user)

    @staticmethod
    def _reopen_log() -> None:
        reopened = reopen_log_files()
        log.info("SIGHUP received (PySEB was started without a terminal: no hang-up, SIGTERM stops it): %s",
                 f"log file reopened: {', '.join(reopened)}" if reopened else "no log file to reopen")

    def _report_down(self, reason: str, now: float, level: int = logging.WARNING) -> None:
        said = self.link_report.down(reason, now)
        if said == "first":
            log.log(level, "%s; %s (logged again every %.0f min while it lasts)", reason, RETRY_PACE,
                    self.link_report.reminder_s / 60)
        elif said == "reminder":
            assert self.link_report.down_since is not None
            log.log(level, "still not connected: %s (%d attempts in %.0f min)", reason, self.link_report.attempts,
                    (now - self.link_report.down_since) / 60)

    def _on_disconnected(self, event: Disconnected) -> None:
        log.debug("not connected to the broker (%s): retrying", event.reason)
        if self._started:
            self.reg.on_disconnected(event.at)
        if event.backoff_s is not None:
            log.warning("the broker dropped the connection %d times in a row within seconds of connecting: another "
                        "client is probably connected with client_id %r (a second PySEB with a copy of this "
                        "config?); give each its own [mqtt] client_id. Next attempt in %.0f s", event.taken_over,
                        self.client_id, event.backoff_s)
            # (the drop is said above, with its own wait: not once more with paho's usual pace)
            self.link_report.down(f"connection to the broker lost ({event.reason})", event.at)
        elif event.connected_for_s is not None:
            self._report_down(f"connection to the broker lost ({event.reason})", event.at)
        else:
            reason = f"cannot connect to the broker: {event.reason}"
            if event.reason == ATTEMPT_FAILED and self.link_report.reason is not None:
                reason = self.link_report.reason  # paho's retries say no more than the reason already logged
            self._report_down(reason, event.at)

    def _on_leftover(self, event: Leftover) -> None:
        """A retained message where PySEB publishes its commands not retained: a device (or Domoticz) takes it as
        an order at each of its reconnects, behind PySEB's back (the heater at the seed's last 80 % all night).
        One of our loads' commands is cleared (an empty retained message deletes it), and the loads' commands
        sent again (the device heard the empty one); anyone else's is only told of."""
        shown = event.payload[:80].decode("utf-8", "replace")
        if not self.reg.is_own_command(event.topic, event.payload):
            log.warning("a retained message sits on %s (%r), where PySEB publishes not retained: not one of "
                        "PySEB's commands, left as it is; a device or Domoticz reconnecting takes it as an order "
                        "(clear it: mosquitto_pub -r -n -t %s)", event.topic, shown, event.topic)
            return
        log.warning("a retained command was left on %s (%r; the seed published its commands retained): a device "
                    "or Domoticz reconnecting would take it as an order behind PySEB's back; cleared", event.topic,
                    shown)
        try:
            self.link.publish(event.topic, b"", retain=True)
        except (RuntimeError, ValueError) as exc:  # PublishFailed is a RuntimeError
            log.warning("could not clear the retained message on %s: %s", event.topic, exc)
        if self._started:
            self.reg.resend_commands("a retained leftover cleared")

    def _on_message(self, event: Message) -> None:
        if event.retained and event.topic in self._live_only:
            # A retained reading is old news (it may be hours old): deciding on it could switch loads on.
            log.warning("ignoring a retained message on %s (readings and commands must not be retained)",
                        event.topic, extra={"limit_key": event.topic})
            return
        if event.retained and self._in_live_only_tree(event.topic):
            # (Domoticz retains every device's last update by a choice of its own: one line for each at every
            # connect would be noise)
            log.debug("ignoring a retained message on %s (an old update)", event.topic)
            return
        received_at, now = event.received_at, time.time()
        if now - received_at > QUEUED_TOO_LONG_S:
            if event.topic in self._readings:
                log.warning("dropping a reading on %s that waited %.0f s in the queue (the main loop was held up): "
                            "old news", event.topic, now - received_at, extra={"limit_key": "late reading"})
                return
            received_at = now
        try:
            self.reg.handle(event.topic, event.payload, received_at)
        except Exception:  # a bug on one message must not stop the regulation: logged and dropped
            log.exception("internal error on a message on %s; message dropped", event.topic)
            return
        self._offer_snapshot()

    def _in_live_only_tree(self, topic: str) -> bool:
        return any(topic == root or topic.startswith(root + "/") for root in self._live_only_trees)

    def _on_forecast(self, event: ForecastFetched) -> None:
        try:
            self.reg.on_forecast(event.result, time.time())
        except Exception:  # a bug must not stop the regulation: logged, the forecast dropped
            log.exception("internal error on a fetched forecast; dropped")
            return
        self._offer_snapshot()

    def _on_connected(self, event: Connected) -> None:
        down = self.link_report.up(event.at)
        if down is not None:
            log.info("connected to the broker again after %.0f s (%d failed attempts)", down[0], down[1])
        if not self._started:
            log.info("connected; subscribed to %s", ", ".join(self.reg.subscriptions()))
            self.reg.start(event.at)  # every load to 0 first, then restored forces
            self._started = True
        else:
            log.info("reconnected: subscriptions renewed, commands and the last daily report re-sent")
            self.reg.resend_commands("reconnected")
            self.reg.republish_report()
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
        # Its waits at most, in turn (a fetch under way, the status save, the recorder's last batch, the broker's
        # acknowledgement of `offline`, paho's thread: each module's STOP_WAIT_S, OFFLINE_WAIT_S and
        # NETWORK_THREAD_WAIT_S), add up to less than contrib/pyseb.service's TimeoutStopSec (20 s), with room to
        # spare for the rest (tests/test_stop_faults.py adds them up). Longer, systemd killed PySEB on a card that
        # stopped answering, before its last steps, the unit failed.
        now = time.time()
        if self._started:
            self.reg.shutdown(now)
            self._offer_snapshot(fresh=True)
        elif self.saver is not None:
            # Stopped before the first connection: nothing has been decided since the restore, and the file holds
            # what the start had yet to do (a report of a day whose midnight passed while stopped, sent at the
            # start). A fresh status saved over it lost that report, in memory only.
            log.info("status file %s left as it was: stopped before the regulation started", self.saver.path)
        if self.fetcher is not None:
            self.fetcher.stop()
        if self.saver is not None and self.saver.stop() and self._started:
            log.info("status saved to %s", self.saver.path)
        if self.recorder is not None:
            self.recorder.stop()
        self.link.stop()
        self.lock.release()
        log.info("stopped")
