"""The regulator: one object that takes MQTT messages and times, decides, and publishes through the
function it was given. No broker, thread, sleep or wall clock inside (DESIGN.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.allocation import AllocationParams, allocate
from core.controller import ClosedLoop, ControlParams
from core.daily_report import DailyFigures
from core.decisions import DecisionListener, is_relay, snapshot
from core.meters import EnergyCounter, MeterState
from equipments.base import FORCED_BY_USER, Equipment, power_change_is_news
from equipments.modes import ModeCommandError, apply_mode_command, parse_mode_command
from field.features import FieldFeatures
from field.forecast import ForecastFailure, OwmForecast
from settings.config import Settings, load_settings
from settings.version import PYSEB_VERSION
from status.document import build_status
from status.restore import restore_status
from values.boots import MeterBoots
from values.local_time import local_date, next_local_midnight
from values.readings import MeterProblem, parse_meter_payload

log = logging.getLogger(__name__)

Publish = Callable[..., Any]  # publish(topic, payload, retain=False)

# Meter timestamps and the decision's own clock come from one process's clock, but a reading's
# `received_at` is taken on paho's thread: a millisecond of slack keeps a reading that arrived exactly
# `settle` seconds after the command from being refused for a rounding.
EVIDENCE_SLACK_S = 1e-3


class Regulator:
    """The decision core. `handle` a message, `tick` the timers, read `status`."""

    def __init__(self, settings: Settings, publish: Publish) -> None:
        self.settings = settings
        self._publish = publish
        self.loads: tuple[Equipment, ...] = settings.equipments
        self.loads_by_name = {load.name: load for load in self.loads}
        for load in self.loads:
            load.bind(publish)
        ev = settings.evaluate
        self.params = AllocationParams(ev.margin_w, ev.balance_threshold_w)
        # The closed loop (default) or Hébert's open-loop rule, exactly as the seed had it.
        self.controller: ClosedLoop | None = (
            ClosedLoop(ControlParams(ev.margin_w, ev.gain, ev.import_guard_w, ev.import_guard_s, ev.anticipate))
            if ev.algorithm == "closed_loop" else None)
        if self.controller is not None:
            log.info("regulation: closed loop (export setpoint %.0f W, gain %g, settle %g s, import guard %.0f W "
                     "for %g s)", ev.margin_w, ev.gain, ev.settle_s, ev.import_guard_w, ev.import_guard_s)
        else:
            log.info("regulation: Hébert's rule (margin %.0f W, balance threshold %.0f W)", ev.margin_w,
                     ev.balance_threshold_w)
        self.tz = settings.tzinfo
        mq = settings.mqtt
        self.consumption = MeterState("consumption", mq.topic_cons)
        self.production = MeterState("production", mq.topic_prod)
        self.production_energy = EnergyCounter(max_gap_s=ev.meter_timeout_s)
        self._load_topics: dict[str, list[Equipment]] = {}
        for load in self.loads:
            for topic in load.subscriptions():
                self._load_topics.setdefault(topic, []).append(load)
        self.field = FieldFeatures(settings.field, self.loads, publish, self.tz, ev.max_meter_power_w, mq,
                                   ev.meter_timeout_s, PYSEB_VERSION, ev.settle_s)
        own_meters = [(load.options["topic_read_power"], f"{load.name}'s own") for load in self.loads
                      if load.options.get("topic_read_power")]
        self._meter_boots = MeterBoots([(mq.topic_cons, "consumption"), (mq.topic_prod, "production"), *own_meters])
        self._started_at: float | None = None
        self._next_midnight_at: float | None = None  # computed once a day: the hot path only compares
        self._last_decision_at: float | None = None
        self._decided_on = (0, 0)  # meter reading counts used by the last decision
        self.stale_reason: str | None = None  # why regulation is suspended (a silent meter)
        self.last_decision = "none yet"
        self.last_status: dict[str, Any] | None = None  # the last document published
        self._status_at: float | None = None
        self._status_due = False  # a decision's status was held back by [evaluate] status_interval
        self._reported: set[tuple[str, str]] = set()
        # The day's figures for the daily report, and whoever else wants each decision (the recorder).
        self._relays = tuple(is_relay(load) for load in self.loads)
        self.daily = DailyFigures([load.name for load in self.loads], self._relays, ev.meter_timeout_s)
        self._decision_listeners: list[DecisionListener] = [self.daily.add]

    @classmethod
    def from_config(cls, path: str | Path, publish: Publish) -> Regulator:
        """A regulator for the config file at `path` (ConfigError lists every problem)."""
        return cls(load_settings(path), publish)

    # --- the interface ----------------------------------------------------------------------------
    def subscriptions(self) -> list[str]:
        """Every topic the regulator reads."""
        mq = self.settings.mqtt
        topics = [mq.topic_cons, mq.topic_prod, mq.topic_mode, *self._load_topics, *self._meter_boots.topics(),
                  *self.field.subscriptions()]
        return list(dict.fromkeys(topics))

    def live_only_topics(self) -> set[str]:
        """Topics whose retained messages must be ignored: an old reading or command is not news."""
        topics = {self.settings.mqtt.topic_cons, self.settings.mqtt.topic_prod, self.settings.mqtt.topic_mode}
        topics.update(self.field.live_only_topics())
        topics.update(str(load.options["topic_read_power"]) for load in self.loads
                      if load.options.get("topic_read_power"))
        return topics

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        """One MQTT message received at `now`."""
        self.start(now)
        self._roll_day_if_needed(now)
        if topic == self.consumption.topic:
            self._on_meter(self.consumption, payload, now)
        elif topic == self.production.topic:
            self._on_meter(self.production, payload, now)
        elif topic == self.settings.mqtt.topic_mode:
            self._on_mode(payload, now)
        else:
            # A topic may be several things at once (one boot topic for all variators, say).
            changed = self.field.handles(topic) and self.field.handle(topic, payload, now)
            for load in self._load_topics.get(topic, ()):
                changed = load.handle(topic, payload, now) or changed
            if topic in self._meter_boots:
                self._on_meter_boot(topic, payload)
            if changed:
                self.publish_status(now)
        self.field.reconcile(now)

    def tick(self, now: float) -> None:
        """Run due timers: daily reset, force expiry, full-tank clear and checks, fallback, stale meters."""
        self.start(now)
        self._roll_day_if_needed(now)
        for load in self.loads:
            load.accumulate_energy(now)  # energies stay current even while no reading comes
        changed = False
        for load in self.loads:
            if load.force_end_at is not None and now >= load.force_end_at:
                load.unforce(now, "force expired")
                changed = True
        status_due = self._status_due and self._status_interval_over(now)
        if self.field.tick(now) or changed or status_due:
            self.publish_status(now)
        self._check_stale(now)
        self.field.reconcile(now)

    def on_forecast(self, result: OwmForecast | ForecastFailure, now: float) -> None:
        """A forecast fetched by the shell (or its failure), handed over by the main loop."""
        self.field.on_forecast(result)
        if self._started_at is not None:
            self.publish_status(now)

    def add_decision_listener(self, listener: DecisionListener) -> None:
        """Call `listener(record)` after each decision, on the caller's thread: it must return at once."""
        self._decision_listeners.append(listener)

    def on_connected(self, now: float) -> None:
        """After each (re)connect, once started: publish what the broker, Domoticz or Home Assistant may have
        lost."""
        self.field.on_connected(now)
        if self.field.wants_status_on_connect():
            self.publish_status(now)

    def on_disconnected(self, now: float) -> None:
        """The link to the broker dropped: messages published to us meanwhile are lost (echoes included)."""
        self.field.on_disconnected()

    def status(self, now: float) -> dict[str, Any]:
        """The status document, as it would be published."""
        for load in self.loads:
            load.accumulate_energy(now)
        return build_status(self, now)

    # --- life cycle -------------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """Command every load to 0 before anything else (then restored forces); once."""
        if self._started_at is not None:
            return
        self._started_at = now
        self._next_midnight_at = next_local_midnight(now, self.tz)
        self.field.start(now)
        for load in self.loads:
            forced_w = load.forced_power_w
            load.set_power(0.0, now, "start")
            if forced_w is not None:
                remaining_s = None if load.force_end_at is None else load.force_end_at - now
                load.force(forced_w, remaining_s, now, "forced state restored", by=load.forced_by or FORCED_BY_USER)

    def restore(self, document: dict[str, Any], now: float) -> list[str]:
        """Take energies, forces and full flags from a saved status (by load name); returns warnings."""
        return restore_status(self, document, now)

    def resend_commands(self, reason: str) -> None:
        """Publish every load's current command again (after a reconnect)."""
        for load in self.loads:
            load.resend(reason)

    def shutdown(self, now: float) -> None:
        """Stop: every load to 0 (forced ones too: nothing stays on without the regulator)."""
        for load in self.loads:
            load.set_power(0.0, now, "regulator stopping")
        log.info("all loads commanded to 0 W")

    def publish_status(self, now: float) -> None:
        """Publish the status document on the status topic."""
        try:
            # allow_nan=False: NaN is not JSON, and a dashboard reading it would choke.
            document = self.status(now)
            payload = json.dumps(document, allow_nan=False)
        except ValueError as exc:
            log.error("status not published: %s", exc)
            return
        self.last_status = document  # a fresh dict, never mutated: the daemon hands it to its saver
        self._status_at = now
        self._status_due = False
        self._publish(self.settings.mqtt.topic_status, payload, False)
        self.field.after_status(document)

    # --- internals --------------------------------------------------------------------------------
    def _report(self, topic: str, problem: MeterProblem | str, kind: str) -> None:
        detail = problem.detail if isinstance(problem, MeterProblem) else problem
        key = (topic, kind)
        if key in self._reported:
            log.debug("dropped message on %s: %s", topic, detail)
        else:
            self._reported.add(key)
            log.warning("dropped message on %s: %s (further ones of this kind are logged at DEBUG)", topic,
                        detail)

    def _on_meter(self, meter: MeterState, payload: bytes, now: float) -> None:
        ev = self.settings.evaluate
        result = parse_meter_payload(payload, self.settings.mqtt.json_power, now, ev.max_meter_power_w)
        if isinstance(result, MeterProblem):
            if result.kind == "boot":
                self._meter_booted(meter)
            else:
                self._report(meter.topic, result, result.kind)
            return
        if ev.frozen_meter and meter.is_repeat(payload):
            # A real meter's readings always differ (voltage, current, energy counter): the very same bytes
            # again are a hung sensor loop behind a live MQTT loop. Not a new reading: the meter's age keeps
            # running, and it goes stale after meter_timeout like a silent one.
            meter.repeats += 1
            self._report(meter.topic, "the very same message as the last reading: the meter looks frozen; "
                         "not counted as a reading", "frozen")
            self._check_stale(now)
            return
        meter.accept(result, payload)
        if meter is self.production:
            self.production_energy.add(result.power_w, now)
        elif self.field.on_consumption(result.power_w, now):
            self.publish_status(now)
        self._check_stale(now)
        self._maybe_decide(now)

    def _on_meter_boot(self, topic: str, payload: bytes) -> None:
        label = self._meter_boots.who(topic, payload)
        meter = {"consumption": self.consumption, "production": self.production}.get(label or "")
        if meter is not None:
            self._meter_booted(meter)
        elif label is not None:
            log.info("%s meter booted", label, extra={"limit_key": topic})

    def _meter_booted(self, meter: MeterState) -> None:
        # The boot is no sign of a reading: the meter's age keeps running, and no decision uses a reading
        # from before the boot.
        log.info("%s meter booted; it counts as fresh after its next good reading", meter.name,
                 extra={"limit_key": meter.topic})  # a boot message is anyone's to send: bounded in the log
        if meter is self.consumption:
            self._decided_on = (meter.count, self._decided_on[1])
        else:
            self._decided_on = (self._decided_on[0], meter.count)

    def _maybe_decide(self, now: float) -> None:
        if self.stale_reason is not None:
            return
        counts = (self.consumption.count, self.production.count)
        if counts[0] <= self._decided_on[0] or counts[1] <= self._decided_on[1]:
            # Never twice on the same evidence: both meters must have spoken since the last decision (the
            # meters are not synchronous: the decision comes with the later of the two). Deciding on each house
            # reading with the previous production reading instead was measured worse on the cloudy day
            # (capture 97.4 % against 98.3 %, twice the import): the production it acted on was older.
            return
        ev = self.settings.evaluate
        if self._last_decision_at is not None and 0 <= now - self._last_decision_at < ev.period_s:
            return  # (a clock stepped back gives a negative difference: decide, rather than freeze)
        consumption = self.consumption.last
        production_w = self.production.power_w
        assert consumption is not None and production_w is not None
        # Any command counts, the decisions' and the others' (a force, a full tank, a re-probe, the stale guard),
        # but the start's (every load to 0) does not hold back the first decision: skipping it would put every
        # later decision on the house reading instead of the production reading that follows it, which the
        # replay measured twice as importing on the cloudy day (docs/control.md).
        last_command_at = max((load.last_command_at for load in self.loads if load.last_command_at is not None),
                              default=None)
        if (self.controller is not None and last_command_at is not None and self._last_decision_at is not None
                and last_command_at <= consumption.received_at < last_command_at + ev.settle_s - EVIDENCE_SLACK_S):
            # This house reading was taken before the last command could show in it: deciding on it would
            # correct again what the last command already corrected. Wait for the next one. (A reading from
            # before the command is a clock stepped back: decide, rather than freeze.)
            return
        consumption_w = consumption.power_w
        self._decided_on = counts
        self._last_decision_at = now
        believed_w = sum(load.current_power_w for load in self.loads)
        for load in self.loads:
            load.observe_consumption(consumption_w, believed_w - load.current_power_w, now)
        log.debug("deciding: consumption %.0f W, production %.0f W, grid %.0f W", consumption_w,
                  production_w, consumption_w - production_w)
        regulated = self.field.regulated(self.loads, now)
        watts_before = [load.current_power_w for load in self.loads]
        if self.controller is not None:
            self.last_decision = self.controller.decide(regulated, consumption_w, production_w, now)
        else:
            self.last_decision = allocate(regulated, consumption_w, production_w, self.params, now)
        self.field.after_decision(consumption_w, production_w, now)
        if self._decision_listeners:
            record = snapshot(now, consumption_w, production_w, self.loads, self._relays, regulated)
            for listener in self._decision_listeners:
                listener(record)
        # The status costs more than the decision. Published at once when a load switches or steps by
        # NEWS_STEP_W or more; the closed loop's fine moves of the variator (every decision) and the meters'
        # news at most every `status_interval`: the timers publish a held-back one then, nothing is lost.
        news = any(power_change_is_news(before, load.current_power_w)
                   for load, before in zip(self.loads, watts_before, strict=True))
        if news or self._status_interval_over(now):
            self.publish_status(now)
        else:
            self._status_due = True

    def _status_interval_over(self, now: float) -> bool:
        """True when the last status is `status_interval` old (or there is none; a clock stepped back too)."""
        return self._status_at is None or not 0 <= now - self._status_at < self.settings.evaluate.status_interval_s

    def _on_mode(self, payload: bytes, now: float) -> None:
        try:
            command = parse_mode_command(payload, self.loads_by_name)
        except ModeCommandError as exc:
            log.warning("mode command refused: %s", exc)
            return
        apply_mode_command(command, self.loads_by_name[command.name], now, FORCED_BY_USER)
        self.publish_status(now)

    def next_deadline(self) -> float | None:
        """The earliest time a timer is due (a meter going stale, a force ending, midnight), for the
        daemon to tick at that very moment rather than at its next periodic pass; None before start."""
        if self._started_at is None:
            return None
        due = [self._next_midnight_at] if self._next_midnight_at is not None else []
        if self.stale_reason is None:
            timeout_s = self.settings.evaluate.meter_timeout_s
            for meter in (self.consumption, self.production):
                since = meter.last.received_at if meter.last is not None else self._started_at
                due.append(since + timeout_s)
        due.extend(load.force_end_at for load in self.loads if load.force_end_at is not None)
        return min(due) if due else None

    def _check_stale(self, now: float) -> None:
        timeout_s = self.settings.evaluate.meter_timeout_s
        assert self._started_at is not None
        cons, prod = self.consumption.last, self.production.last
        if (self.stale_reason is None and cons is not None and prod is not None
                and now - cons.received_at < timeout_s and now - prod.received_at < timeout_s):
            return  # the usual case, on every message: both fresh, nothing to do
        silent = []
        for meter in (self.consumption, self.production):
            age = meter.age_s(now)
            if age is None:
                age = now - self._started_at
            if age >= timeout_s:  # at the deadline itself: "within meter_timeout"
                how = (f"frozen for {age:.0f} s (the same message {meter.repeats} times)" if meter.repeats
                       else f"silent for {age:.0f} s")
                silent.append(f"{meter.name} meter {how}")
        if silent and self.stale_reason is None:
            self.stale_reason = "; ".join(silent)
            log.warning("%s: every unforced load to 0 W until both meters are fresh", self.stale_reason)
            for load in self.loads:
                if not load.is_forced():
                    # Every one, even believed at 0 W: a relay may be on while its power is unknown.
                    load.set_power(0.0, now, self.stale_reason)
            self.publish_status(now)
        elif not silent and self.stale_reason is not None:
            log.info("both meters fresh again: regulation resumes")
            self.stale_reason = None
            # Only readings after the silence count for the next decision.
            self._decided_on = (self.consumption.count - 1, self.production.count - 1)

    def _roll_day_if_needed(self, now: float) -> None:
        if self._next_midnight_at is None or now < self._next_midnight_at:
            return
        # Energies are split at the midnight itself, not at the first message after it.
        midnight_at = self._next_midnight_at
        self._next_midnight_at = next_local_midnight(now, self.tz)
        for load in self.loads:
            wh = load.roll_day(midnight_at)  # full flags are cleared by the field features' daily clear
            log.info("new day: %s drew %.0f Wh yesterday", load.name, wh)
        self.production_energy.roll_day(midnight_at)
        log.info("new day: production was %.0f Wh yesterday", self.production_energy.yesterday_wh)
        self._publish_report(midnight_at)

    def _publish_report(self, midnight_at: float) -> None:
        report = self.daily.close(local_date(midnight_at - 1.0, self.tz).isoformat(), midnight_at)
        if report.covered_h <= 0:
            return  # started just before midnight, or no decision all day: nothing to say
        log.info("%s", report.line())
        # Retained: a dashboard that connects later in the day still finds yesterday's report.
        self._publish(self.settings.mqtt.topic_report, json.dumps(report.as_json(), allow_nan=False), True)
