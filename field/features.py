"""The seed's field features, as one object the regulator calls at clear points: full tanks, the water
heater's mode and low-energy fallback, the Domoticz link and Home Assistant discovery. Pure like the
regulator: `now` comes in, messages go out through the regulator's publish function."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

from equipments.base import Equipment, Publish
from equipments.modes import MAX_FORCE_DURATION_S
from equipments.variable import VariableEquipment
from field.config import FieldSettings
from field.domoticz import DomoticzBridge
from field.domoticz_meter_idx import MeterIdxWatch
from field.forcers import force_owner_gone
from field.forecast import ForecastFailure, OwmForecast
from field.forecast_book import ForecastBook
from field.forecast_settings import request_digest
from field.full_tank_watch import FullTankWatch
from field.homeassistant import HomeAssistantBridge
from field.instance_watch import InstanceWatch
from field.water_heater import HeaterControl
from integrations.domoticz import Message
from integrations.domoticz_control import EcsMode
from settings.sections import MqttSettings
from values.local_time import hour, last_occurrence, local_datetime
from values.saved_numbers import saved_energy
from values.seed_status import seed_heater_entry, seed_heater_name

SEED_FLAG_CLEAR_HOUR = 9  # the seed's one clear of its water heater's full flag, local time

log = logging.getLogger(__name__)

class FieldFeatures:
    """Full tank, fallback, Domoticz and Home Assistant for one regulator's loads."""

    def __init__(self, field: FieldSettings, loads: Sequence[Equipment], publish: Publish, tz: tzinfo | None,
                 max_meter_power_w: float, mqtt: MqttSettings | None = None, meter_timeout_s: float = 10.0,
                 sw_version: str = "", settle_s: float = 1.0, frozen_meter: bool = True,
                 house_pace_s: Callable[[], float | None] = lambda: None) -> None:
        """`house_pace_s`: the house meter's usual seconds between two readings, None while unknown (the regulator's
        MeterState.pace_s: the full-tank inference's waits)."""
        self._publish = publish
        self._loads = loads
        # The variators: left out while their output is gated off (a variator sent `off`); the relays after one wait
        # while it does not answer its commands.
        self._variators = tuple(load for load in loads if isinstance(load, VariableEquipment))
        self._mode_setters = field.mode_setters()
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
        self.domoticz = DomoticzBridge(ds, loads, self.heater, self._send)
        self.meter_idx = MeterIdxWatch(ds, loads, self.heater, (mqtt.topic_cons, mqtt.topic_prod) if mqtt else ())
        tanks = set(self.tanks.metered) | set(self.tanks.inferred)
        self.homeassistant = HomeAssistantBridge(
            field.homeassistant, loads, self.heater, tanks, mqtt.topic_regul if mqtt else "regul",
            mqtt.topic_availability if mqtt else "regul/availability", meter_timeout_s, sw_version,
            publish, self._heater_mode_from_homeassistant)
        self.instances = InstanceWatch(mqtt.topic_status, mqtt.client_id) if mqtt is not None else None

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

    def on_forecast(self, result: OwmForecast | ForecastFailure) -> None:
        """A forecast fetch's outcome, handed over by the shell's fetch thread through the main loop."""
        self.forecast.on_fetched(result)

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

    def clock_stepped_back(self, step_s: float, now: float) -> None:
        """The wall clock stepped back by `step_s` to `now` (the timed forces keep the time they had left): the seed
        rule's own force's times move back with the heater's, a full tank's re-check keeps the wait it had left."""
        self.tanks.clock_stepped_back(step_s)
        if self.heater is not None:
            self.heater.clock_stepped_back(step_s, now)

    # --- timers and decisions -----------------------------------------------------------------------------
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
        if self.heater is not None:
            changed = self.heater.tick(now) or changed
        return changed

    def regulation_suspended(self) -> None:
        """The regulation is suspended (its unforced loads at 0 W already): nothing of ours switches one on meanwhile
        (a full tank's re-check)."""
        self.tanks.regulation_suspended()

    def regulated(self, loads: Sequence[Equipment], now: float) -> list[Equipment]:
        """`loads` the allocation may use now (in order): not the heater while its mode is off, nor a load
        held at 0 W by a full-tank re-probe, nor a variator whose output is gated off."""
        off = self.heater.heater if self.heater is not None and self.heater.excluded() else None
        if off is None and not self.tanks.holds_any():
            for variator in self._variators:  # (a plain loop, cheaper than a comprehension: every decision)
                if variator.output_off:
                    break
            else:
                return list(loads)  # the usual case, at every decision
        return self._left_in(loads, off, now)

    def _left_in(self, loads: Sequence[Equipment], off: Equipment | None, now: float) -> list[Equipment]:
        """`regulated`'s `loads` when one may be left out, `off` the heater its mode keeps off. (A method of its own:
        its comprehension reads the caller's names, which made them cells, made anew at every decision.)"""
        gated = [load for load in self._variators if load.output_off]
        return [load for load in loads if load is not off and load not in gated and not self.tanks.excluded(load, now)]

    def after_held(self, loads: Sequence[Equipment], now: float) -> dict[str, str]:
        """The names of `loads` after the first one a full-tank re-probe holds at 0 W now (left out of `regulated`),
        or after the first variator that has not answered our commands (VariableEquipment.silent), each with why
        it waits ("measure", "<name> silent"): none may switch on in its place. A silent variator may draw nothing
        (rebooting, its triac off): the loop raised it in vain, a relay after it came on "over a heater at its max",
        and its min_on_s kept the heater short by that relay's watts for ten minutes once the variator was back."""
        held = self.tanks.holds_any()
        if not held:
            for variator in self._variators:  # (a plain loop, cheaper than any() on a generator: every decision)
                if variator.silent(now):
                    break
            else:
                return {}  # the usual case, at every decision
        for index, load in enumerate(loads):
            if isinstance(load, VariableEquipment) and load.silent(now):
                why = f"{load.name} silent"
            elif held and self.tanks.excluded(load, now):
                why = "measure"
            else:
                continue
            return {after.name: why for after in loads[index + 1:]}
        return {}

    def beliefs_in_doubt(self, now: float) -> bool:
        """True while a load's believed watts may be wrong (a heater suspected full, or the house just fell by
        part of its watts): a load of unknown power is not measured then, its measure being the house's step
        less the others' beliefs."""
        return self.tanks.in_doubt(now)

    def draws_in_doubt(self, now: float, beliefs_in_doubt: bool) -> list[str]:
        """The variable loads that may draw nothing whatever they are believed to, by name: suspected full (only
        while `beliefs_in_doubt`, that method's answer at `now`), or a variator silent (rebooting, its triac off). A
        relay before one counts none of its watts as what it would give back (a heater's cut read as its give-back
        switched a relay on into an import)."""
        doubted = self.tanks.doubted(now) if beliefs_in_doubt else []  # (a new list: ours to add to)
        for variator in self._variators:  # (a plain loop, cheaper than a comprehension added on: every decision)
            if variator.silent(now) and variator.name not in doubted:
                doubted.append(variator.name)
        return doubted

    def reconcile(self, now: float) -> None:
        """Show the regulator's own force changes on the Domoticz force switches."""
        self.domoticz.reconcile(now)

    # --- status -------------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Top-level fields of the status document."""
        forecast = {**self.forecast.status(), **(self.instances.status() if self.instances is not None else {})}
        if self.heater is None:
            return forecast
        heater = self.heater.status()
        if self.domoticz.unshown_mode is self.heater.mode:
            heater["mode_unshown"] = True  # (restored so: Domoticz's answer at the connect does not undo it)
        return {**forecast, "water_heater": heater, "ECS_energy_yesterday": round(self.heater.energy_yesterday_wh, 1)}

    def force_owner_gone(self, load: Equipment) -> str | None:
        """Why the restored force of `load` is not to be kept (made by a rule or a switch this config does not have:
        forcers.force_owner_gone), None to keep it."""
        return force_owner_gone(load, self.heater, self.homeassistant, self.domoticz)

    def _drop_forces_of_owners_off(self) -> list[str]:
        """Forget each restored force whose maker this config does not have (force_owner_gone)."""
        warnings = []
        for load in self._loads:
            said = self.force_owner_gone(load)
            if said is not None:
                load.forced_power_w = load.force_end_at = load.forced_by = None
                warnings.append(f"{load.name}: its saved force was {said}: not restored")
        return warnings

    def load_status(self, load: Equipment) -> dict[str, Any]:
        """Per-load fields of the status document."""
        return {"forced_by": load.forced_by, **self.tanks.load_status(load),
                **self.homeassistant.load_status(load.name)}

    def restore(self, doc: dict[str, Any], saved_at: float, age_days: int, now: float) -> list[str]:
        """After the loads are restored from `doc` (saved at `saved_at`, read at `now`): full flags, rules,
        mode, Home Assistant's force settings, the MQTT forecasts."""
        self.tanks.restored(self._flags_since(doc, saved_at), doc)
        warnings: list[str] = self._drop_forces_of_owners_off()
        warnings += self.restore_settings(doc)
        warnings += self.forecast.restore(doc.get("forecast"), now)
        warnings += self.forecast.restore_last_pick(doc, saved_at, now)
        saved = doc.get("water_heater")
        if self.heater is None:
            return warnings
        # The mode survives a restart when something outside sets it (Domoticz, Home Assistant); an order, it is
        # kept as long as a force until unforced is (off from Home Assistant while away, the Pi down two days: the
        # default mode's fallback heated from the grid every night after), the rules' state only a day.
        restore_mode = self._mode_set_outside() and now - saved_at <= MAX_FORCE_DURATION_S
        if not self._mode_set_outside() and now - saved_at <= MAX_FORCE_DURATION_S:
            warnings += self.heater.mode_left(saved)  # (set with a control this config has not: said, as a force)
        elif now - saved_at > MAX_FORCE_DURATION_S and self.domoticz.selector is None:
            # (said as a force until unforced is: an off lost unsaid; a Domoticz selector sets its mode again at the
            # connect, whatever the file)
            warnings += self.heater.mode_left(saved, f"the file is over {MAX_FORCE_DURATION_S / 86400:g} days old")
        rules_too = age_days <= 1
        if isinstance(saved, dict):
            if rules_too or restore_mode:
                warnings += self._restore_heater(self.heater, saved, restore_mode, restore_rules=rules_too,
                                                 saved_forced_by=_saved_forced_by(doc, self.heater.heater.name))
        elif rules_too and "schema_version" not in doc and self.heater.seed is not None:
            _resume_seed_window(self.heater, doc, saved_at)
        return warnings

    def _flags_since(self, doc: dict[str, Any], saved_at: float) -> float:
        """Since when the full flags of `doc` stand, for the daily clears passed while stopped: its save, or for a
        seed's file saved before 09:00, as from before init_at. The seed cleared its heater's flag at 09:00 only
        ("maybe it has been forced this night"): one saved at 07:11 is the night's top-up, and kept from there to
        midnight, as a flag PySEB sets after init_at is, it kept the heater off the day's sun."""
        if "schema_version" in doc or local_datetime(saved_at, self.tanks.tz).hour >= SEED_FLAG_CLEAR_HOUR:
            return saved_at
        return min(saved_at, last_occurrence(saved_at, hour(self.tanks.init_at_hour), self.tanks.tz) - 1.0)

    def restore_settings(self, doc: dict[str, Any]) -> list[str]:
        """Home Assistant's force settings: settings, not the day's state, kept whatever the file's date (from one
        dated days ahead too: left at their defaults, a Home Assistant force kept at 0 W showed the load's max on
        its power number, and a change of its duration re-forced the heater at that max, from the grid)."""
        return self.homeassistant.restore(doc.get("equipments"))

    def restore_mode_off(self, doc: dict[str, Any]) -> str | None:
        """From a file whose date cannot be trusted (dated days ahead of a clock not synced yet), the water heater's
        mode off alone, as a force to 0 W is: whatever the date it is safe, and it is the other way to keep the
        heater off while away (lost, the default mode's fallback heated from the grid at night). Only where the
        mode survives a restart at all (something outside sets it: Domoticz, Home Assistant)."""
        saved = doc.get("water_heater")
        if self.heater is None or not self._mode_set_outside() or not isinstance(saved, dict) \
                or saved.get("name") != self.heater.heater.name or saved.get("mode") != EcsMode.OFF.value:
            return None
        self._restore_heater(self.heater, saved, restore_mode=True, restore_rules=False)
        return f"{self.heater.heater.name}'s mode off"

    def _mode_set_outside(self) -> bool:
        """Something outside sets the water heater's mode (Domoticz, Home Assistant): only then does it survive a
        restart."""
        return bool(self._mode_setters)  # (the Domoticz selector, Home Assistant's discovery: as --check says)

    def _restore_heater(self, heater: HeaterControl, saved: dict[str, Any], restore_mode: bool,
                        restore_rules: bool, saved_forced_by: str | None = None) -> list[str]:
        warnings = heater.restore(saved, restore_mode=restore_mode, restore_rules=restore_rules,
                                  saved_forced_by=saved_forced_by)
        if self.domoticz.selector is not None:
            self.domoticz.selector.mode = heater.mode  # a change from Domoticz is compared with the restored mode
            # A mode from Home Assistant the selector did not show (no level maps to it, its Set Level lost): the
            # selector's answer at the connect, its level from before, set the mode back (forced from HA on the seed's
            # three levels was solar+fallback again after every restart, where a reconnect kept it).
            if restore_mode and heater.mode_source == "restored" and saved.get("mode_unshown") is True \
                    and saved.get("mode") == heater.mode.value:
                self.domoticz.restore_unshown(heater.mode)
        return warnings


def _saved_forced_by(doc: dict[str, Any], name: str) -> str | None:
    """Who forced load `name` in the file `doc` (None: not forced, or not in it). A fallback rule restored in its
    force owes it when the file has the heater forced (its force refused at the start); unforced there, it is the
    user's unforce, saved at once as an order before the rule's tick saw it."""
    entries = doc.get("equipments")
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and entry.get("name") == name:
            forced_by = entry.get("forced_by")
            return forced_by if entry.get("forced") is True and isinstance(forced_by, str) else None
    return None


def _resume_seed_window(heater: HeaterControl, doc: dict[str, Any], saved_at: float) -> None:
    """The seed rule's window from the seed's own status.ini (it has no rule state). The seed reset its heater's energy
    at its check (check_at), not at midnight: the file's energy is the window's since the last check before its save,
    and the rule goes on from the save as the seed would have (from midnight, a file of 00:30 made the 01:00 check a
    fresh start: the night after the move went without its top-up, and that energy was counted again in the next
    window). A check passed since the save is run late, or skipped and said, as after PySEB's own file. The heater
    is the file's first load (the seed would not start otherwise): another one's energy there is no window's."""
    seed = heater.seed
    assert seed is not None
    entry = seed_heater_entry(doc)
    if entry is None or seed_heater_name(doc) != heater.heater.name:
        return  # (a fresh start)
    seed.window_start = last_occurrence(saved_at, seed.check_at.at, seed.tz)
    seed.checked_until = saved_at
    seed.today_wh = saved_energy(entry.get("energy")) or 0.0
    seed.yesterday_wh = saved_energy(doc.get("ECS_energy_yesterday")) or 0.0
    # The seed's full flag, set since its last daily clear (09:00), is the window's when that clear came after the
    # window began: its check then forces nothing. (Restored only from a file of the same day, the flag of 20:50 was
    # lost by a start after midnight, and the 01:00 check forced a tank the seed had seen full.)
    seed.full_in_window = entry.get("overed") is True and \
        last_occurrence(saved_at, hour(SEED_FLAG_CLEAR_HOUR), seed.tz) >= seed.window_start
