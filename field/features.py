"""The seed's field features, as one object the regulator calls at clear points: full tanks, the water
heater's mode and low-energy fallback, the Domoticz link and Home Assistant discovery. Pure like the
regulator: `now` comes in, messages go out through the regulator's publish function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

from equipments.base import Equipment
from equipments.load_command import Publish
from equipments.variable import VariableEquipment
from field.config import FieldSettings
from field.domoticz import DomoticzBridge
from field.domoticz_meter_idx import MeterIdxWatch
from field.features_decision import FeaturesAtDecision
from field.features_restore import FieldRestore
from field.forecast_book import ForecastBook
from field.forecast_pending import FetchNews
from field.forecast_settings import request_digest
from field.full_tank_watch import FullTankWatch
from field.homeassistant import HomeAssistantBridge
from field.instance_watch import InstanceWatch
from field.water_heater import HeaterControl
from integrations.domoticz import Message
from integrations.domoticz_control import EcsMode
from settings.sections import MqttSettings


class FieldFeatures(FeaturesAtDecision):
    """Full tank, fallback, Domoticz and Home Assistant for one regulator's loads (what each decision asks of them:
    field/features_decision.py)."""

    def __init__(self, field: FieldSettings, loads: Sequence[Equipment], publish: Publish, tz: tzinfo | None,
                 max_meter_power_w: float, mqtt: MqttSettings | None = None, meter_timeout_s: float = 10.0,
                 sw_version: str = "", settle_s: float = 1.0, frozen_meter: bool = True,
                 house_pace_s: Callable[[], float | None] = lambda: None) -> None:
        """`house_pace_s`: the house meter's usual seconds between two readings, None while unknown (the regulator's
        MeterState.pace_s: the full-tank inference's waits)."""
        self._publish = publish
        # The variators: left out while their output is gated off (a variator sent `off`); the relays after one wait
        # while it does not answer its commands.
        self._variators = tuple(load for load in loads if isinstance(load, VariableEquipment))
        fs, ds, fc = field.fallback, field.domoticz, field.forecast
        # (a seed's status file counts from its check: status/restore.py; an evening check's, its forecast for
        # tomorrow, began the evening before, and the file holds the day's sun)
        self.seed_night_check_hour = None if fs.seed.forecast_tomorrow else fs.seed.check_at_hour
        self.tanks = FullTankWatch(loads, fs.init_at_hour, tz, max_meter_power_w, settle_s, meter_timeout_s,
                                   frozen_meter, field.demo_speed, house_pace_s)
        # (an [openweathermap] no rule reads is not fetched: the status says it is off, no kept forecast is taken back)
        owm = field.owm_to_fetch()
        self.forecast = ForecastBook(tz, owm is not None, fc.mqtt_topic,
                                     request_digest(owm) if owm is not None else None)
        heater = next((load for load in loads if load.name == field.water_heater), None)
        self.heater = HeaterControl(heater, fs, ds.ecs_mode_default, tz, self.forecast) if heater is not None \
            else None
        self.domoticz = DomoticzBridge(ds, loads, self.heater, self._send, tz)
        self.meter_idx = MeterIdxWatch(ds, loads, self.heater, (mqtt.topic_cons, mqtt.topic_prod) if mqtt else ())
        tanks = set(self.tanks.metered) | set(self.tanks.inferred)
        self.homeassistant = HomeAssistantBridge(
            field.homeassistant, loads, self.heater, tanks, mqtt.topic_regul if mqtt else "regul",
            mqtt.topic_availability if mqtt else "regul/availability", meter_timeout_s, sw_version,
            publish, self._heater_mode_from_homeassistant)
        self.instances = InstanceWatch(mqtt.topic_status, mqtt.client_id) if mqtt is not None else None
        self._restorer = FieldRestore(loads, self.tanks, self.forecast, self.heater, self.domoticz, self.homeassistant,
                                      field.mode_setters())

    def _heater_mode_from_homeassistant(self, mode: EcsMode, now: float) -> None:
        # The selector is moved to the mode in effect: a later Domoticz update is compared with it, and the
        # level Domoticz hands back at the next connect (a restart, a broker outage) is this mode, not the old one.
        self.domoticz.show_mode(mode, now)

    def _send(self, message: Message) -> None:
        self._publish(message[0], message[1], False)

    # --- messages -----------------------------------------------------------------------------------------
    def subscriptions(self) -> tuple[str, ...]:
        """The topics the field features read."""
        forecast = (self.forecast.mqtt_topic,) if self.forecast.mqtt_topic else ()
        instances = (self.instances.topic,) if self.instances is not None else ()
        return (self.tanks.subscriptions() + self.domoticz.subscriptions() + self.homeassistant.subscriptions()
                + forecast + instances)

    def subscription_refused(self, topic: str) -> str | None:
        """What the broker's refusal of PySEB's subscription to `topic` costs, when a field feature says it otherwise
        than any refusal (the earlier Home Assistant announcement's filter); None for the daemon's own line."""
        return self.homeassistant.refused(topic)

    def live_only_topics(self) -> set[str]:
        """Topics (`<topic>/#`: a subtree) whose retained messages must be ignored: commands, Domoticz's updates, the
        status topic (PySEB never retains its status: a retained one is someone's leftover, ignored without the
        warning a retained reading or command gets, at every connect)."""
        instances = {f"{self.instances.topic}/#"} if self.instances is not None else set()
        return self.homeassistant.live_only_topics() | self.domoticz.live_only_topics() | instances

    def handles(self, topic: str) -> bool:
        """True for a topic `handle` reads."""
        return (self.tanks.handles(topic) or self.domoticz.handles(topic) or self.homeassistant.handles(topic)
                or topic in self.meter_idx.topics
                or topic == self.forecast.mqtt_topic or (self.instances is not None and topic == self.instances.topic))

    def answers_at_once(self, topic: str) -> bool:
        """True for a topic whose changes the status must answer at once, however soon after the last one: Home
        Assistant's controls (its switch shows what the state it follows says: held back, it flipped back to its old
        position for up to a second). The other news from outside is paced as the mode topic's forces are."""
        return self.homeassistant.enabled and self.homeassistant.handles(topic)

    def handle(self, topic: str, payload: bytes, now: float, retained: bool = False) -> bool:
        """A message on one of `subscriptions()`; True when it changed something worth a status. `retained`: the
        broker's copy, from before this connect."""
        changed = False
        if self.tanks.handles(topic):
            changed = self.tanks.on_load_meter(topic, payload, now)
        if self.domoticz.handles(topic):
            changed = self.domoticz.on_out(payload, now, topic) or changed
        if topic in self.meter_idx.topics:  # (subscribed by the regulator, for the meters' boots)
            self.meter_idx.on_boot(topic, payload)
        if topic == self.forecast.mqtt_topic:
            changed = self.forecast.on_mqtt(payload, now) or changed
        if self.homeassistant.handles(topic):
            changed = self.homeassistant.handle(topic, payload, now, retained) or changed
        if self.instances is not None and topic == self.instances.topic:
            self.instances.handle(payload)
        return changed

    def on_forecast(self, result: FetchNews) -> None:
        """A forecast fetch's outcome (or its try started), handed over by the shell's fetch thread through the main
        loop."""
        self.forecast.on_fetched(result)

    def seed_checks_done_until(self, now: float) -> float | None:
        """Up to when the seed rule's checks are done at `now`, as its first tick after the restore sees them (a
        check_at after it is due, late or not); None without the rule. For the forecast fetcher's start."""
        seed = self.heater.seed if self.heater is not None else None
        return seed.checks_done_until(now) if seed is not None else None

    def on_consumption(self, consumption_w: float, now: float) -> bool:
        """A good house reading (full-tank inference); True when a load was found full."""
        return self.tanks.on_consumption(consumption_w, now)

    def after_decision(self, consumption_w: float, production_w: float, now: float) -> None:
        """After each decision: grid and injection to Domoticz; the export a full tank's re-check waits for."""
        self.tanks.after_decision(production_w - consumption_w, now)
        self.domoticz.after_decision(consumption_w, production_w, now)

    def on_connected(self, now: float) -> None:
        """After each (re)connect: what Domoticz must be told or asked again, Home Assistant's discovery."""
        self.domoticz.on_connected(now)
        self.homeassistant.on_connected(now)

    def after_status(self, status: dict[str, Any]) -> None:
        """The status document just published: Home Assistant's state follows it."""
        self.homeassistant.after_status(status)

    def on_disconnected(self) -> None:
        """The broker link dropped: what was awaited from Domoticz will not come; Home Assistant's state waits for the
        connect."""
        self.domoticz.on_disconnected()
        self.homeassistant.on_disconnected()

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing: Domoticz's answers keep their wait, the seed
        rule's force in its course is credited only with what the heater drew."""
        self.domoticz.clock_stepped_forward(step_s)
        if self.heater is not None:
            self.heater.clock_stepped_forward(step_s)

    def commands_sent_late(self, stamp: float, late_s: float) -> None:
        """The commands stamped `stamp` went out `late_s` after it (Regulator.commands_sent_late): the full-tank watch
        judges them from then."""
        self.tanks.commands_sent_late(stamp, late_s)

    def clock_stepped_back(self, step_s: float, now: float) -> None:
        """The wall clock stepped back by `step_s` to `now` (the timed forces keep the time they had left): the seed
        rule's own force's times move back with the heater's, a full tank's re-check keeps the wait it had left."""
        self.tanks.clock_stepped_back(step_s)
        if self.heater is not None:
            self.heater.clock_stepped_back(step_s, now)

    # --- timers (what each decision asks: field/features_decision.py) -------------------------------------
    def start(self, now: float) -> None:
        """The regulator starts: daily clear times count from now (or from the restored status's time); the water
        heater's mode holds before the loads' first commands."""
        if self.tanks.since is None:
            self.tanks.since = now
        if self.heater is not None:
            self.heater.start(now)

    def _heater_mode_off(self) -> Equipment | None:
        """The water heater, while its mode keeps it out of the allocation (off); else None."""
        return self.heater.heater if self.heater is not None and self.heater.excluded() else None

    def tick(self, now: float) -> bool:
        """Daily clear, full-tank re-probes, the heater's mode and fallback rules; True when something changed."""
        changed = self.tanks.tick(now, self._heater_mode_off)  # (the heater its mode keeps off: no re-check of it)
        self.domoticz.tick(now)
        self.homeassistant.tick(now)
        if self.heater is not None:
            changed = self.heater.tick(now) or changed
        return changed

    def regulation_suspended(self) -> None:
        """The regulation is suspended (its unforced loads at 0 W already): nothing of ours switches one on meanwhile
        (a full tank's re-check)."""
        self.tanks.regulation_suspended()

    def reconcile(self, now: float) -> None:
        """Show the regulator's own force changes on the Domoticz force switches."""
        self.domoticz.reconcile(now)

    @property
    def reconciles(self) -> bool:
        """Whether `reconcile` has anything to show: Domoticz force switches configured (fixed at the build)."""
        return self.domoticz.has_force_switches

    # --- status and restore (the restore: field/features_restore.py) ---------------------------------------
    def status(self) -> dict[str, Any]:
        """Top-level fields of the status document."""
        forecast = {**self.forecast.status(), **(self.instances.status() if self.instances is not None else {}),
                    **self.homeassistant.status()}
        if self.heater is None:
            return forecast
        heater = self.heater.status()
        if self.domoticz.unshown_mode is self.heater.mode:
            heater["mode_unshown"] = True  # (restored so: Domoticz's answer at the connect does not undo it)
        return {**forecast, "water_heater": heater, "ECS_energy_yesterday": round(self.heater.energy_yesterday_wh, 1)}

    def force_owner_gone(self, load: Equipment) -> str | None:
        """Why the restored force of `load` is not to be kept (made by a rule or a switch this config does not have:
        forcers.force_owner_gone), None to keep it."""
        return self._restorer.force_owner_gone(load)

    def load_status(self, load: Equipment) -> dict[str, Any]:
        """Per-load fields of the status document."""
        return {"forced_by": load.forced_by, **self.tanks.load_status(load),
                **self.homeassistant.load_status(load.name)}

    def restore(self, doc: dict[str, Any], saved_at: float, age_days: int, now: float) -> list[str]:
        """After the loads are restored from `doc` (saved at `saved_at`, read at `now`): full flags, rules,
        mode, Home Assistant's force settings, the MQTT forecasts (field/features_restore.py)."""
        return self._restorer.restore(doc, saved_at, age_days, now)

    def restore_settings(self, doc: dict[str, Any]) -> list[str]:
        """Home Assistant's force settings, kept whatever the file's date (FieldRestore.restore_settings)."""
        return self._restorer.restore_settings(doc)

    def restore_mode_off(self, doc: dict[str, Any]) -> str | None:
        """From a file whose date cannot be trusted, the water heater's mode off alone (FieldRestore.restore_mode_off);
        what was restored, None for nothing."""
        return self._restorer.restore_mode_off(doc)
