"""The seed's field features, as one object the regulator calls at clear points: full tanks, the water
heater's mode and low-energy fallback, and the Domoticz link. Pure like the regulator: `now` comes in,
messages go out through the regulator's publish function."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

from core.field_domoticz import DomoticzBridge
from core.field_heater import HeaterControl
from core.field_tank import FullTankWatch
from equipments.base import Equipment
from integrations.domoticz import Message
from settings.field_config import FieldSettings

log = logging.getLogger(__name__)

Publish = Callable[..., Any]  # publish(topic, payload, retain=False)


class FieldFeatures:
    """Full tank, fallback and Domoticz for one regulator's loads."""

    def __init__(self, field: FieldSettings, loads: Sequence[Equipment], publish: Publish, tz: tzinfo | None,
                 max_meter_power_w: float) -> None:
        self._publish = publish
        fs, ds = field.fallback, field.domoticz
        self.tanks = FullTankWatch(loads, fs.init_at_hour, tz, max_meter_power_w)
        heater = next((load for load in loads if load.name == field.water_heater), None)
        self.heater = HeaterControl(heater, fs, ds.ecs_mode_default, tz) if heater is not None else None
        self.domoticz = DomoticzBridge(ds, loads, self.heater, self._send)

    def _send(self, message: Message) -> None:
        self._publish(message[0], message[1], False)

    # --- messages -----------------------------------------------------------------------------------------
    def subscriptions(self) -> tuple[str, ...]:
        """The topics the field features read."""
        return self.tanks.subscriptions() + self.domoticz.subscriptions()

    def handles(self, topic: str) -> bool:
        """True for a topic `handle` reads."""
        return self.tanks.handles(topic) or self.domoticz.handles(topic)

    def handle(self, topic: str, payload: bytes, now: float) -> bool:
        """A message on one of `subscriptions()`; True when it changed something worth a status."""
        changed = False
        if self.tanks.handles(topic):
            changed = self.tanks.on_load_meter(topic, payload, now)
        if self.domoticz.handles(topic):
            changed = self.domoticz.on_out(payload, now) or changed
        return changed

    def on_consumption(self, consumption_w: float, now: float) -> bool:
        """A good house reading (full-tank inference); True when a load was found full."""
        return self.tanks.on_consumption(consumption_w, now)

    def after_decision(self, consumption_w: float, production_w: float, now: float) -> None:
        """After each decision: grid and injection to Domoticz."""
        self.domoticz.after_decision(consumption_w, production_w, now)

    def on_connected(self, now: float) -> None:
        """After each (re)connect: what Domoticz must be told or asked again."""
        self.domoticz.on_connected(now)

    def on_disconnected(self) -> None:
        """The broker link dropped: what was awaited from Domoticz will not come."""
        self.domoticz.on_disconnected()

    # --- timers and decisions -----------------------------------------------------------------------------
    def start(self, now: float) -> None:
        """The regulator starts: daily clear times count from now (or from the restored status's time)."""
        if self.tanks.since is None:
            self.tanks.since = now

    def tick(self, now: float) -> bool:
        """Daily clear, full-tank re-probes, the heater's mode and fallback rules; True when something changed."""
        changed = self.tanks.tick(now)
        if self.heater is not None:
            changed = self.heater.tick(now) or changed
        return changed

    def regulated(self, loads: Sequence[Equipment], now: float) -> list[Equipment]:
        """`loads` the allocation may use now (in order): not the heater while its mode is off, nor a load
        held at 0 W by a full-tank re-probe."""
        off = self.heater.heater if self.heater is not None and self.heater.excluded() else None
        return [load for load in loads if load is not off and not self.tanks.excluded(load, now)]

    def reconcile(self, now: float) -> None:
        """Show the regulator's own force changes on the Domoticz force switches."""
        self.domoticz.reconcile(now)

    # --- status -------------------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Top-level fields of the status document."""
        if self.heater is None:
            return {}
        return {"water_heater": self.heater.status(),
                "ECS_energy_yesterday": round(self.heater.energy_yesterday_wh, 1)}

    def load_status(self, load: Equipment) -> dict[str, Any]:
        """Per-load fields of the status document."""
        return {"forced_by": load.forced_by, **self.tanks.load_status(load)}

    def restore(self, doc: dict[str, Any], saved_at: float, age_days: int) -> list[str]:
        """After the loads are restored from `doc` (saved at `saved_at`): full flags, rules, mode."""
        self.tanks.restored(saved_at)
        warnings: list[str] = []
        saved = doc.get("water_heater")
        if self.heater is None or age_days > 1:
            return warnings
        if isinstance(saved, dict):
            selector = self.domoticz.selector
            warnings += self.heater.restore(saved, restore_mode=selector is not None)
            if selector is not None:
                selector.mode = self.heater.mode  # a change from Domoticz is compared with the restored mode
        elif "schema_version" not in doc and self.heater.seed is not None and age_days == 0:
            seed_yesterday = doc.get("ECS_energy_yesterday")  # the seed's own status.ini
            if isinstance(seed_yesterday, (int, float)) and not isinstance(seed_yesterday, bool):
                self.heater.seed.yesterday_wh = float(seed_yesterday)
        return warnings
