"""The regulator: one object that takes MQTT messages and times, decides, and publishes through the
function it was given. No broker, thread, sleep or wall clock inside (DESIGN.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import load_topics
from core.allocation import AllocationParams
from core.control_choice import chosen_controller
from core.controller import ClosedLoop
from core.daily_report import DailyFigures
from core.day_roll import DayRoll
from core.decision_gate import DecisionGate
from core.decision_summary import DecisionSummary
from core.decisions import DecisionListener, is_relay
from core.forces import keep_forces_lengths, take_mode_command
from core.hunting import LoopHunting
from core.life_cycle import RegulatorLifeCycle
from core.meter_intake import MeterIntake, NoReading
from core.meter_swap import SwapWatch
from core.meters import EnergyCounter, MeterState
from core.regulator_decision import RegulatorDecision
from core.regulator_status import RegulatorStatus
from core.regulator_suspension import RegulatorSuspension
from core.regulator_timers import RegulatorTimers
from core.regulator_topics import RegulatorTopics
from core.shed_follow import ShedFollow
from core.stale_guard import StaleGuard
from core.status_pacing import StatusPacing
from equipments.base import Equipment
from equipments.load_command import Command, Publish
from field.features import FieldFeatures
from field.forecast_pending import FetchNews, FetchUnderWay
from settings.config import Settings, load_settings
from settings.version import PYSEB_VERSION
from values.readings import MeterReading, stepped_back


class Regulator(RegulatorDecision, RegulatorStatus, RegulatorTopics, RegulatorSuspension, RegulatorTimers,
                RegulatorLifeCycle):
    """The decision core. `handle` a message, `tick` the timers, read `status` (its decision step:
    core.regulator_decision; its status: core.regulator_status; its topics: core.regulator_topics; the regulation
    suspended: core.regulator_suspension; its timers (`tick`, `next_deadline`): core.regulator_timers; its start,
    restore and stop: core.life_cycle)."""

    def __init__(self, settings: Settings, publish: Publish,
                 status_sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.settings = settings
        self._publish = publish
        # A replay reads the status document, never its JSON, which is a tenth of its time: given a sink, each status
        # goes to it as the document, built as it is for publication (its parts unchecked for NaN: the encoder's
        # refusal is the check), instead of being encoded and published. The daemon has none.
        self._status_sink = status_sink
        self.loads: tuple[Equipment, ...] = settings.equipments
        self.loads_by_name = {load.name: load for load in self.loads}
        # The loads with timers of their own (a variator's re-sends): the others' run_timers does nothing, and the
        # timers run twice a reading.
        self._timed_loads = tuple(load for load in self.loads if type(load).run_timers is not Equipment.run_timers)
        for load in self.loads:
            load.bind(publish)
        ev = settings.evaluate
        self.params = AllocationParams(ev.margin_w, ev.balance_threshold_w)
        # The closed loop (default) or Hébert's open-loop rule, exactly as the seed had it.
        self.controller: ClosedLoop | None = chosen_controller(ev)
        self.tz = settings.tzinfo
        mq = settings.mqtt
        self.consumption = MeterState("consumption", mq.topic_cons)
        self.production = MeterState("production", mq.topic_prod)
        self.production_energy = EnergyCounter(max_gap_s=ev.meter_timeout_s)
        self._load_topics = load_topics.loads_by_topic(self.loads)
        self.field = FieldFeatures(settings.field, self.loads, publish, self.tz, ev.max_meter_power_w, mq,
                                   ev.meter_timeout_s, PYSEB_VERSION, ev.settle_s, ev.frozen_meter,
                                   self.consumption.pace_s)
        self._meter_intake = MeterIntake(self.consumption, self.production, load_topics.own_meters(self.loads),
                                         mq.json_power,
                                         ev.max_meter_power_w, ev.frozen_meter,
                                         loads_w=lambda: sum(load.current_power_w for load in self.loads),
                                         meter_timeout_s=ev.meter_timeout_s)
        self._started_at: float | None = None
        self._resumed_day_at: float | None = None  # a restored file's time ahead of the clock (resume_day)
        self._restored_at: float | None = None  # when a status was restored: the day its figures were judged for
        self._resumed_since: float | None = None  # when the restored day's energies were counted from
        self._clock_seen_at: float | None = None  # the last message's or tick's time: to see the wall clock step back
        self._told_back_s = 0.0  # a step back the shell's steady clock measured since (clock_stepped_back)
        self._stale_guard = StaleGuard(self.consumption, self.production, self.loads, ev.meter_timeout_s)
        self._let_relays_hand_over()
        self._gate = DecisionGate(self.consumption, self.production, ev.period_s,
                                  ev.settle_s if self.controller is not None else None)
        # (a loop that hunts waits longer for evidence; Hébert's rule, which does not wait, is not watched)
        self._hunting = LoopHunting(self._gate, self.consumption, self.controller) \
            if self.controller is not None else None
        # (the meters' topics swapped, which no check can see: said in the log, under either rule, and the regulation
        # suspended until a restart)
        self._swap_watch = SwapWatch(mq.topic_cons, mq.topic_prod)
        # (either rule: whether the house followed its sheds of a load in doubt)
        self._shed_follow = ShedFollow()
        # (the closed loop's as its figures, made into text when read: core/decision_summary.py)
        self._last_decision: str | DecisionSummary = "none yet"
        self.last_status: dict[str, Any] | None = None  # the last document published
        self._status_pacing = StatusPacing(ev.status_interval_s)
        # The day's figures for the daily report, and whoever else wants each decision (the recorder).
        self._relays = tuple(is_relay(load) for load in self.loads)
        self.daily = DailyFigures([load.name for load in self.loads], self._relays, ev.meter_timeout_s)
        self.daily.count_relay_commands(self.loads)
        self._decision_listeners: list[DecisionListener] = [self.daily.add]
        self._day = DayRoll(self.loads, self.production_energy, self.daily, self.tz)
        self.removed_counters = self._day.removed  # (the status's removed_equipments)
        self._last_report: str | None = None  # the last daily report published (retained), for republish_report
        self._removed_left_on: list[tuple[str, Command]] = []  # see switch_off_at_start
        self._removed_off_starts: dict[tuple[str, str], tuple[int, float]] = {}  # see switch_off_at_start
        self._unacknowledged_offs: Callable[[], list[tuple[str, Command]]] = list  # see take_switch_offs_at_start
        # (asked at every message and tick: without Domoticz force switches there is nothing to reconcile, ever)
        self._reconciles = self.field.reconciles

    @classmethod
    def from_config(cls, path: str | Path, publish: Publish) -> Regulator:
        """A regulator for the config file at `path` (ConfigError lists every problem)."""
        return cls(load_settings(path), publish)

    @property
    def counted_day(self) -> str | None:
        """The local date (YYYY-MM-DD) the day's energies and figures are counted for (None before start)."""
        return self._day.day

    @property
    def energy_counted_since(self) -> float | None:
        """The instant (epoch s) the day's energies are counted from (None before start): the counted day's
        midnight, or the start when the regulator started without that day's energies, or the restored day's."""
        return self._day.counted_since

    @property
    def lowered_gain(self) -> float | None:
        """The closed loop's gain while halved for an overshoot (core/hunting.py), else None."""
        return self._hunting.lowered_gain if self._hunting is not None else None

    # --- the interface ----------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, now: float, retained: bool = False) -> None:
        """One MQTT message received at `now`; `retained`: the broker's copy, kept from before PySEB connected (the
        daemon has dropped those on the meters' and the mode topics already)."""
        if self._started_at is None:
            self.start(now)
        self._follow_clock(now)
        if now >= self._day.next_midnight_at:  # (compared here: this runs on every message and timer)
            self._roll_day(now)
        if topic == self.consumption.topic:
            self._on_meter(self.consumption, payload, now)
        elif topic == self.production.topic:
            self._on_meter(self.production, payload, now)
        elif topic == self.settings.mqtt.topic_mode:
            self._on_mode(payload, now)
        else:
            # A topic may be several things at once (one boot topic for all variators, say).
            changed = self.field.handles(topic) and self.field.handle(topic, payload, now, retained)
            for load in self._load_topics.get(topic, ()):
                changed = load.handle(topic, payload, now) or changed
            if topic in self._meter_intake.boots:
                booted = self._meter_intake.boot(topic, payload, retained)
                if booted is not None:
                    self._gate.meter_booted(booted)  # no decision on a reading from before the boot
            # News from outside is paced as a force on the mode topic (a Domoticz force switch, a variator's output
            # gated): anyone on the broker can flip them a hundred times a second, and each published a whole status.
            if changed and (self.field.answers_at_once(topic) or self._status_pacing.after_mode_command(now)):
                self.publish_status(now)
        if self._reconciles:
            self.field.reconcile(now)

    def _follow_clock(self, now: float) -> None:
        """A wall clock stepped back since the last message or tick: timed forces keep the time they had left, the
        relays their dwell. Seen
        by messages too: a force taken on the new clock, between the step and the next tick, was shifted back by the
        step with the others at that tick, and ended at once."""
        seen_at, self._clock_seen_at = self._clock_seen_at, now
        if not self._told_back_s and (seen_at is None or now >= seen_at):
            return  # (the usual case, at every message and tick: time moving on, nothing told)
        told_s, self._told_back_s = self._told_back_s, 0.0  # (told by the shell, measured exactly: taken as it is)
        step_s = told_s
        if not step_s and seen_at is not None and stepped_back(now, seen_at):  # (an earlier `now`: a step?)
            step_s = seen_at - now
        if step_s:
            keep_forces_lengths(self.loads, step_s)
            self.field.clock_stepped_back(step_s, now)  # (the rules' own forces' ends, as the heater's)
            self._day.stepped_back(now)
            if not told_s:
                # (told, the gate moved every command already, measured: a message the network thread received before
                # the step is dated by its age, possibly before a command sent while it waited, which was then moved
                # back a second time, and a house reading from before the command taken for its evidence)
                self._gate.clock_stepped_back(step_s, now, self.loads)
            if self.controller is not None:
                self.controller.clock_stepped_back(step_s, self.loads)

    def on_forecast(self, result: FetchNews, now: float) -> None:
        """A forecast fetched by the shell (or its failure, or its try just started: a check due meanwhile waits for
        it), handed over by the main loop. A step back the shell told before it is taken first, as a message takes it:
        its times are on the new clock (taken at the next tick, the try it names was moved back a second time)."""
        if self._started_at is not None and self._told_back_s:
            self._follow_clock(now)
        self.field.on_forecast(result)
        if self._started_at is not None and not isinstance(result, FetchUnderWay):  # (a try started: no news)
            self.publish_status(now)

    def add_decision_listener(self, listener: DecisionListener) -> None:
        """Call `listener(record)` after each decision, on the caller's thread: it must return at once."""
        self._decision_listeners.append(listener)

    def on_connected(self, now: float) -> None:
        """After each (re)connect, once started: publish what the broker, Domoticz or Home Assistant may have
        lost, the status last. (The status goes at QoS 0, not kept across an outage: without Home Assistant, none
        went at the reconnect, and a reader of it was shown the state from before the outage until the next decision
        or status_interval, the meters perhaps silent meanwhile.)"""
        self._stale_guard.link_up(now)
        for load in self.loads:
            load.link_restored(now)
        self.field.on_connected(now)
        self.publish_status(now)

    def on_disconnected(self, now: float) -> None:
        """The link to the broker dropped: messages published to us meanwhile are lost (echoes included)."""
        self._stale_guard.link_down()
        for meter in (self.consumption, self.production):
            meter.link_dropped()
        for load in self.loads:
            load.link_dropped()
        self.field.on_disconnected()

    # --- internals --------------------------------------------------------------------------------
    def _on_meter(self, meter: MeterState, payload: bytes, now: float) -> None:
        reading = self._meter_intake.take(meter, payload, now)
        if isinstance(reading, MeterReading):
            if meter is self.production:
                self.production_energy.add(reading.power_w, now)
            else:
                self._gate.heard_house(self.loads)  # (claimed or not: the regulation may be suspended)
                if self.field.on_consumption(reading.power_w, now):
                    self.publish_status(now)
            if self._stale_guard.check(now):
                self._stale_changed(now)
            if self._stale_guard.reason is None and self._gate.claim(now, self.loads, meter is self.consumption):
                self._decide(now)
        elif reading is NoReading.FROZEN:
            # Not a reading: a frozen meter goes stale after meter_timeout like a silent one.
            if self._stale_guard.check(now):
                self._stale_changed(now)
        elif reading is NoReading.BOOT:
            self._gate.meter_booted(meter)  # no decision on a reading from before the boot

    def _on_mode(self, payload: bytes, now: float) -> None:
        if take_mode_command(payload, self.loads_by_name, now, self.settings.mqtt.topic_mode) and \
                self._status_pacing.after_mode_command(now):
            self.publish_status(now)
