"""The field features' restore (FieldFeatures.restore and the rest of FieldStatus's restore side): the full flags
since when they stand, the forces whose maker this config does not have, Home Assistant's force settings, the MQTT
forecasts, the water heater's mode and rules, and the seed's own status file. Once at the start: composed by
FieldFeatures, which hands over the parts it made."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from equipments.base import Equipment
from equipments.modes import MAX_FORCE_DURATION_S
from field.domoticz import DomoticzBridge
from field.forcers import force_owner_gone
from field.forecast_book import ForecastBook
from field.full_tank_clear import hhmm
from field.full_tank_watch import FullTankWatch
from field.homeassistant import HomeAssistantBridge
from field.water_heater import HeaterControl
from integrations.domoticz_control import EcsMode
from values.local_time import hour, last_occurrence, local_datetime
from values.saved_numbers import saved_energy
from values.seed_status import seed_heater_entry, seed_heater_name

SEED_FLAG_CLEAR_HOUR = 9  # the seed's one clear of its water heater's full flag, local time


class FieldRestore:
    """The restore of one regulator's field features from a status document."""

    def __init__(self, loads: Sequence[Equipment], tanks: FullTankWatch, forecast: ForecastBook,
                 heater: HeaterControl | None, domoticz: DomoticzBridge, homeassistant: HomeAssistantBridge,
                 mode_setters: Sequence[str]) -> None:
        """`mode_setters`: what sets the water heater's mode from outside (FieldSettings.mode_setters)."""
        self._loads = loads
        self.tanks = tanks
        self.forecast = forecast
        self.heater = heater
        self.domoticz = domoticz
        self.homeassistant = homeassistant
        self._mode_setters = mode_setters

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

    def restore(self, doc: dict[str, Any], saved_at: float, age_days: int, now: float) -> list[str]:
        """After the loads are restored from `doc` (saved at `saved_at`, read at `now`): full flags, rules,
        mode, Home Assistant's force settings, the MQTT forecasts."""
        since = self._flags_since(doc, saved_at)
        saved_hhmm = hhmm(saved_at, self.tanks.tz)
        self.tanks.restored(since, doc, f"for the seed's status file saved at {saved_hhmm}, before the seed's own "
                            f"clear at {SEED_FLAG_CLEAR_HOUR:02d}:00" if since < saved_at
                            else f"passed since the status file was saved at {saved_hhmm}")
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
        its power number, and a change of its duration re-forced the heater at that max, from the grid); and where
        the last run announced its entities (its configs removed at the connect when that was elsewhere)."""
        return self.homeassistant.restore(doc.get("equipments")) + self.homeassistant.restore_announced(
            doc.get("ha_discovery"), doc.get("ha_discovery_left_alone"))

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
