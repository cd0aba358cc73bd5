"""The live daemon: the decision core plus the MQTT link, a saver thread, signals and a lock.
Only this main loop changes regulator state. Its start, stop and signals are in shell/daemon_life_cycle.py, what it
does with the link's events (but the messages) in shell/daemon_link.py, the link down in shell/daemon_link_down.py,
the messages before the regulator has them in shell/daemon_messages.py: mixins of Daemon."""

from __future__ import annotations

import logging
import queue
import time
from typing import Any

from core import load_topics
from core.decisions import is_relay
from core.regulator import Regulator
from recording.writer import DayRecorder
from settings.config import Settings
from shell.clock_watch import CLOCK_JUMP_S, ClockWatch, steady_s
from shell.daemon_life_cycle import DaemonLifeCycle, ReopenRequest, StopRequest
from shell.daemon_link import EXIT_LINK_FAULT as EXIT_LINK_FAULT
from shell.daemon_link import DaemonLinkEvents
from shell.daemon_link_down import DaemonLinkDown, LinkReport
from shell.daemon_messages import DaemonMessages
from shell.event_queue import EventQueue
from shell.forecast_fetch import ForecastFetched, ForecastFetcher
from shell.link_events import Connected, Disconnected, Leftover, LinkFault, Message, Refused, SubscriptionRefused
from shell.lock import InstanceLock
from shell.loglimit import FloodLimiter
from shell.mqtt_link import MqttLink, sent_live
from shell.removed_offs import RemovedOffs
from shell.status_drops import StatusDrops
from shell.unacknowledged_offs import UnacknowledgedOffs
from shell.while_down import WhileDown
from status.saver import StatusSaver
from values.durations import spoken_duration

log = logging.getLogger(__name__)

TICK_S = 0.5  # timers (force expiry, stale meters) run at least this often
# (EXIT_LINK_FAULT, the exit code of a fatal link fault, is imported `as` itself: defined here before the link's
# events moved to shell/daemon_link.py, re-exported)


def _message_topic(event: object) -> str | None:
    """An MQTT message's topic (the event queue bounds them), None for any other event."""
    return event.topic if isinstance(event, Message) else None


def _recorder(settings: Settings, reg: Regulator) -> DayRecorder:
    rec = settings.record
    return DayRecorder(rec.dir, [load.name for load in reg.loads], [is_relay(load) for load in reg.loads],
                       settings.tzinfo, settings.evaluate.meter_timeout_s, rec.flush_interval_s, rec.keep_days,
                       rec.max_day_bytes)


class Daemon(DaemonLifeCycle, DaemonLinkEvents, DaemonLinkDown, DaemonMessages):
    """Runs a Regulator against the broker until a stop signal."""

    def __init__(self, settings: Settings, lock: InstanceLock, limiter: FloodLimiter | None = None) -> None:
        self.lock = lock
        self.limiter = limiter
        self.client_id = settings.mqtt.client_id
        self.config_name = settings.path.name  # (named by the SIGHUP's line: a reload does not read it again)
        self.link_report = LinkReport()
        self._exit_code = 0
        self._catching = False  # the stop handlers installed (catch_stop_signals)
        # A stop signal, seen by the main loop before any other event: in the queue, it waited behind every message
        # of a backlog (a flood on the broker), past systemd's TimeoutStopSec, whose kill left the loads on.
        self._stop_asked: StopRequest | None = None
        self.status_topic = settings.mqtt.topic_status
        # The statuses' sizes and times: a broker's packet limit under one drops the link at once.
        self.status_drops = StatusDrops()
        self.reg = Regulator(settings, publish=self._publish)
        # The signal handlers put into it from the main thread, possibly while the main loop is inside its get: they
        # use put_from_signal, which takes no lock (a queue.Queue's put waited for the lock its get held, forever: a
        # daemon deaf to SIGTERM, its loads left on). A full queue drops the oldest meter reading, not a command.
        self.events = EventQueue(_message_topic, self.reg.reading_topics())
        leftover_topics = self.reg.unretained_command_topics()  # (fixed by the config: not asked from paho's thread)
        # (each load's command topic: one the broker's ACL refuses PySEB is said, not a load never commanded)
        command_topics = load_topics.command_topics(self.reg.loads)
        self.link = MqttLink(settings.mqtt, self.events, self.reg.subscriptions,
                             leftover_topics=lambda: leftover_topics, echo_topics=lambda: command_topics)
        self.removed_offs = RemovedOffs(self.link, set(self.reg.loads_by_name))
        self.username = settings.mqtt.username
        live_only = self.reg.live_only_topics()
        self._live_only = {topic for topic in live_only if not topic.endswith("/#")}
        self._live_only_trees = tuple(topic[:-2] for topic in live_only if topic.endswith("/#"))
        self._readings = self.reg.reading_topics()
        self._refusals_said: set[str] = set()
        self._offered: dict[str, Any] | None = None
        st = settings.status
        self.status_file = st.file  # (as configured: the saver's path is the file a symlink names)
        self.saver = StatusSaver(st.file, settings.evaluate.status_time_s) if st.persistent else None
        owm = settings.field.owm_to_fetch()
        self.fetcher = ForecastFetcher(owm, settings.field.fallback.seed.check_at_hour, settings.tzinfo,
                                       self.events) if owm is not None else None
        if (unused_because := settings.field.owm_unused_because()) is not None:
            # (said once: an owner who sees no fetch in the log must not take it for a broken key or network)
            log.info("forecast: [openweathermap] is not fetched: %s", unused_because)
        self._started = False
        self._set_aside_at_start = False
        self._aside_dated_at: float | None = None
        self.unacknowledged_offs = UnacknowledgedOffs()
        self.while_down = WhileDown()
        for load in self.reg.loads:
            self.unacknowledged_offs.watch(load)
        self.recorder = _recorder(settings, self.reg) if settings.record.enabled else None
        if self.recorder is not None:
            self.reg.add_decision_listener(self.recorder.add)
        self._ticked_at = 0.0  # wall-clock time of the last timer pass
        self._clock_watch = ClockWatch(time.time(), steady_s())

    def _publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == self.status_topic:
            # The status is replaced by the next one: QoS 0, not kept by paho across an outage. At QoS 1 one too big
            # for a broker's packet limit was sent again at every reconnect, and the broker dropped the link at once
            # each time: PySEB never came back, its loads held at 0 W.
            # (the time before: the broker's drop of an oversize one may come before publish returns)
            sent_at = time.time()
            if not self.status_drops.allows(len(payload), sent_at):  # (held back as too big for the broker)
                return
            if (lifted := self.status_drops.take_lifted()) is not None:
                log.info("the broker took PySEB's status (%d bytes), held back as too big since: published again",
                         lifted)
            sent = self.link.publish(topic, payload, retain, qos=0)
            self.status_drops.sent(len(payload), sent_at, live=sent_live(sent))
            return
        if self.while_down.drops(topic):  # (paho would send a night's backlog at the reconnect: shell/while_down.py)
            self.unacknowledged_offs.not_sent()
            return
        sent_at = time.time()
        info = self.link.publish(topic, payload, retain)
        live = sent_live(info)
        if not live:
            self.while_down.went_down()  # (paho has no connection: it keeps this one for the connect, which drops it)
        self.unacknowledged_offs.sent(info)
        # (a drop right after a message bigger than the status, Home Assistant's discovery config at a connect, does not
        # point at the status: shell/status_drops.py)
        self.status_drops.other_sent(len(payload), sent_at, live=live)

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
            self._follow_the_clock()  # (before the event: a reading handled at the new time)
            if self._stop_asked is not None:
                self._events_at_stop(event)
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
                self._report_down(f"the broker refused the connection: {event.reason}", logging.ERROR)
            elif isinstance(event, LinkFault):
                if self._on_link_fault(event):
                    return
            elif isinstance(event, Message) and self._started:
                self._on_message(event)
            elif isinstance(event, Leftover):
                self._on_leftover(event)
            elif isinstance(event, SubscriptionRefused):
                self._on_subscription_refused(event)
            elif isinstance(event, ForecastFetched):
                self._on_forecast(event)
            if time.monotonic() >= next_tick:
                # (a step while the event was handled, told before the timers command on the new clock: told after,
                # their commands were moved by it with those sent before it, "sent" the step's length earlier)
                self._follow_the_clock()
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
                if (lock_said := self.lock.keep()) is not None:
                    log.warning("%s", lock_said)
                self._check_echo()
                self._check_answer()
                self._send_owed()
                self._say_dropped()
                if self.recorder is not None:
                    self.recorder.tick(time.monotonic())  # hands a batch to its thread, never writes here
                if self.limiter is not None:
                    self.limiter.flush()  # how many lines a flood had held back
                next_tick = time.monotonic() + TICK_S

    def _follow_the_clock(self) -> None:
        """A jump forward of the wall clock (NTP setting a Pi's clock) said and handed to the regulator, which cannot
        tell it from time passing. (Any one back is handed over too: the decisions' evidence, which the core cannot date
        on the new clock under 10 s, nor exactly over it; one of 10 s or more the core takes as measured here at its
        next message or tick, and says.)"""
        wall_s = time.time()
        step_s = self._clock_watch.jumped_s(wall_s, steady_s())
        if self._clock_watch.back_s:
            # (any step back, to the decisions' evidence: under CLOCK_JUMP_S the core cannot tell one, and over it the
            # core measured it from its last message or tick, the time since not counted: a step of 10.4 s 0.8 s after
            # a tick was none to it, said by no one)
            if self._clock_watch.back_s < CLOCK_JUMP_S:
                log.log(logging.INFO if self._clock_watch.back_s >= 1.0 else logging.DEBUG,
                        "the clock stepped back by %.1f s (NTP correcting it): the last commands are dated on the new "
                        "clock", self._clock_watch.back_s)
            self.reg.clock_stepped_back(self._clock_watch.back_s, wall_s)
        if (forward_s := self._clock_watch.forward_s) > 0:
            # (a step forward under CLOCK_JUMP_S, no jump to say: NTP correcting a slow clock; the meters' readings keep
            # their ages, the decisions' evidence its distance from the commands: core/life_cycle.py)
            log.log(logging.INFO if forward_s >= 1.0 else logging.DEBUG,
                    "the clock stepped forward by %.1f s (NTP correcting it): the meters' readings keep their ages",
                    forward_s)
            self.reg.clock_stepped_forward(forward_s)
        if step_s > 0:
            log.warning("the clock jumped forward by %s (NTP setting it, or set by hand): the meters' readings keep "
                        "their ages; timed forces on and relay dwells end that much earlier (a timed force to 0 W "
                        "keeps the time it had left)", spoken_duration(step_s))
            self.reg.clock_stepped_forward(step_s)
            if self.recorder is not None:
                self.recorder.clock_stepped_forward(step_s)  # (its pending decisions, stamped on the old clock)
            if self.saver is not None and self._started:
                # The file dated on the new clock at once: dated on the old one (a Pi booted weeks behind, its file
                # from before the power cut set aside as dated ahead, the 0 W force kept), a restart before the next
                # save read it as weeks old, and the force "until unforced" was dropped as older than 7 days.
                self._offer_snapshot(fresh=True)
                self.saver.save_soon()

    def _on_forecast(self, event: ForecastFetched) -> None:
        try:
            self.reg.on_forecast(event.result, time.time())
        except Exception:  # a bug must not stop the regulation: logged, the forecast dropped
            log.exception("internal error on a fetched forecast; dropped")
            return
        self._offer_snapshot()

    def _offer_snapshot(self, fresh: bool = False, dated_at: float | None = None) -> None:
        # The document the regulator last published serves the saver too: building another one after
        # every message would double the hot path's work for a file written every status_time seconds.
        # (`dated_at`: a fresh one's date, when the clock is known to be behind)
        if self.saver is None:
            return
        snapshot = self.reg.status(time.time()) if fresh else self.reg.last_status
        if snapshot is not None and dated_at is not None:
            snapshot = {**snapshot, "date": int(dated_at)}
        if snapshot is not None and snapshot is not self._offered:
            self._offered = snapshot
            self.saver.offer(snapshot)
