"""Home Assistant's controls of the regulator's loads: per load, a force switch and the force's power and duration
numbers; the water heater's mode selector. Every command goes through the validation of regul/mode (force commands)
or of the heater-mode selector (EcsMode): a refused command is logged and changes nothing. The numbers' settings are
saved in the status file and restored at start. field/homeassistant.py's bridge routes the command topics here."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from equipments.base import Equipment
from equipments.modes import (
    MIN_FORCE_DURATION_S,
    ForceCommand,
    ModeCommandError,
    apply_mode_command,
    parse_mode_command,
)
from field.water_heater import HeaterControl
from integrations.domoticz_control import MODE_LINE, EcsMode
from integrations.homeassistant import MAX_DURATION_MIN, OFF, ON, Entity, LoadInfo
from values.numbers import json_or_text_float, text_float

# The link's lines, moved here with the code that writes them: the logger name is part of what the log shows (and of
# the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.homeassistant")

FORCED_BY_HOMEASSISTANT = "homeassistant"
MAX_COMMAND_BYTES = 64  # ON, OFF, a number, a mode name: anything longer is not a command of ours


class HomeAssistantControls:
    """The controls' state (each load's force settings) and their commands, applied to `loads` and `heater`."""

    def __init__(self, loads: Mapping[str, Equipment], infos: Sequence[LoadInfo], heater: HeaterControl | None,
                 on_heater_mode: Callable[[EcsMode, float], None] | None = None) -> None:
        self.loads = loads
        self.heater = heater
        self._on_heater_mode = on_heater_mode
        self._on_off = {info.name for info in infos if info.on_off}  # relays: no force power to set
        # What the force switch uses: (power W, duration min; 0 = until switched off), per load.
        self.setpoints: dict[str, tuple[float, float]] = {info.name: (info.max_force_power_w, 0.0) for info in infos}

    # --- commands -----------------------------------------------------------------------------------------
    def command(self, control: Entity, topic: str, payload: bytes, now: float) -> bool:
        """A command on `control`'s topic `topic`; True when applied (or nothing to undo), False when refused
        (logged)."""
        text = payload[:MAX_COMMAND_BYTES].decode("utf-8", "replace").strip()
        what = f"Home Assistant command {text!r} on {control.name!r} refused"
        # Bounded per control, not for all of them: under one kind, a user's sixth mistake within a minute, on any
        # control, wrote no warning at the time (the flood limiter's kinds: shell/loglimit.py).
        per_control = {"limit_key": topic}
        if len(payload) > MAX_COMMAND_BYTES:
            log.warning("%s: payload of %d bytes is too large", what, len(payload), extra=per_control)
            return False
        try:
            if control.command == "heater_mode":
                return self._set_heater_mode(text, now)
            assert control.load is not None
            if control.command == "force":
                return self._switch(control.load, text, now)
            return self._set_point(control.load, control.command or "", text, now, topic)
        except (ModeCommandError, ValueError) as exc:
            log.warning("%s: %s", what, exc, extra=per_control)
            return False

    def _force_command(self, name: str, power_w: float, duration_min: float) -> bytes:
        doc: dict[str, Any] = {"command": "force", "name": name, "power": power_w}
        if duration_min > 0:
            doc["duration"] = duration_min * 60.0
        return json.dumps(doc).encode()

    @staticmethod
    def _unforce_command(name: str) -> bytes:
        return json.dumps({"command": "unforce", "name": name}).encode()

    def _apply(self, payload: bytes, now: float) -> None:
        command = parse_mode_command(payload, self.loads)  # regul/mode's own validation
        apply_mode_command(command, self.loads[command.name], now, FORCED_BY_HOMEASSISTANT, "Home Assistant")

    def _switch(self, name: str, text: str, now: float) -> bool:
        if text not in (ON, OFF):
            raise ValueError(f"expected {ON} or {OFF}")
        load = self.loads[name]
        if text == OFF:
            if not load.is_forced():
                return True  # nothing to undo; the state shows OFF again
            self._apply(self._unforce_command(name), now)
            return True
        if load.is_forced():
            # Its force runs on (the switch shows ON already): sent again by an automation making sure the boost is
            # on, the force restarted its duration each time (a 60-minute boost ran on from the grid), and a force
            # made elsewhere (regul/mode, Domoticz) was replaced. As the Domoticz switch: the state it is in, nothing.
            log.info("Home Assistant force on for %s: already forced, its force kept", name,
                     extra={"limit_key": f"homeassistant-on-{name}"})
            return True
        self._apply(self._force_command(name, *self.setpoints[name]), now)
        return True

    def _checked_force(self, name: str, power_w: float, duration_min: float) -> float:
        """The force power for these settings, validated as a force would be (even when not applied now): a power
        above the load's max becomes the max, as on regul/mode; ValueError or ModeCommandError naming what is
        wrong."""
        if not math.isfinite(duration_min) or duration_min < 0:  # (NaN passed both tests below: stored, it broke
            # every status's Home Assistant state until a restart)
            raise ValueError(f"the duration must be >= 0 minutes, a finite number, got {duration_min:g}")
        if duration_min > MAX_DURATION_MIN:  # (said in HA's unit: regul/mode's check spoke of seconds, "leave it out")
            raise ValueError(f"the duration must be <= {MAX_DURATION_MIN} minutes (7 days; 0 = until off), "
                             f"got {duration_min:g}")
        if 0 < duration_min * 60 < MIN_FORCE_DURATION_S:  # (regul/mode's check would speak of seconds)
            raise ValueError(f"the duration must be 0 (until off) or {MIN_FORCE_DURATION_S:g} s "
                             f"({MIN_FORCE_DURATION_S / 60:.4f} minutes) or more, got {duration_min:g}")
        command = parse_mode_command(self._force_command(name, power_w, duration_min), self.loads)
        assert isinstance(command, ForceCommand)
        return command.power_w  # (kept as the setting: HA's number shows it, and no force warns again)

    def _set_point(self, name: str, which: str, text: str, now: float, topic: str) -> bool:
        value = text_float(text)  # ValueError names the text
        power_w, duration_min = was_w, was_min = self.setpoints[name]
        if which == "force_power":
            power_w = value
        else:
            duration_min = value
        checked_w = self._checked_force(name, power_w, duration_min)
        # (not for the number's own top: a max of 2298.6 W is announced as 2299 W, the top HA allows)
        if checked_w != power_w and power_w > round(checked_w):
            log.warning("Home Assistant force power %g W for %s is above its max: %.0f W kept", power_w, name,
                        checked_w, extra={"limit_key": topic})
        self.setpoints[name] = (checked_w, duration_min)
        load = self.loads[name]
        if load.is_forced() and load.forced_by == FORCED_BY_HOMEASSISTANT and (checked_w, duration_min) != (was_w,
                                                                                                         was_min):
            self._change_running_force(load, checked_w, was_min, duration_min, now)
        return True

    def _change_running_force(self, load: Equipment, power_w: float, was_min: float, duration_min: float,
                              now: float) -> None:
        """The switch is on: a new setting takes effect now, the force still counted from the switch's On (applied
        as a new force, a 60-minute boost whose power was changed at its 50th minute ran 110 minutes from the grid).
        A duration it has already run ends it."""
        end_at = load.force_end_at
        if duration_min <= 0:
            left_min = 0.0  # until the switch is turned off
        elif end_at is None or was_min <= 0:
            left_min = duration_min  # it had no end: counted from now
        else:
            left_min = (end_at - was_min * 60.0 + duration_min * 60.0 - now) / 60.0
            if left_min * 60.0 < MIN_FORCE_DURATION_S:  # (under a second left: refused as a force, it ran on)
                log.info("%s: Home Assistant force duration %g min, already run: the force ends", load.name,
                         duration_min)
                self._apply(self._unforce_command(load.name), now)
                return
        self._apply(self._force_command(load.name, power_w, left_min), now)

    def _set_heater_mode(self, text: str, now: float) -> bool:
        if self.heater is None:
            raise ValueError("no water heater")
        try:
            mode = EcsMode(text)
        except ValueError:
            raise ValueError(f"not a mode: use one of {', '.join(m.value for m in EcsMode)}") from None
        if mode is not self.heater.mode:
            log.info("water-heater mode: %s -> %s (Home Assistant)", self.heater.mode.value, mode.value,
                     extra=MODE_LINE)
            self.heater.set_mode(mode, now, FORCED_BY_HOMEASSISTANT)
            if self._on_heater_mode is not None:
                self._on_heater_mode(mode, now)
        return True

    # --- what a restart keeps ------------------------------------------------------------------------------
    def load_status(self, name: str) -> dict[str, Any]:
        """The force switch's settings of load `name`, for the status file (restored at start)."""
        power_w, duration_min = self.setpoints[name]
        # At the load's max (its default): saved so, it follows the max (a 3 kW heater's new calibration; kept as a
        # number, its force stayed at the old 2000 W, 66 %, with no word).
        at_max = {"ha_force_power_at_max": True} if power_w >= self.loads[name].max_force_power_w() else {}
        return {"ha_force_power": power_w, "ha_force_duration_min": duration_min, **at_max}

    def restore(self, entries: Any) -> list[str]:
        """The force switches' settings from a status file's `equipments`; a bad one is left at its default,
        with a warning. Settings, not the day's state: kept whatever the file's age."""
        if not isinstance(entries, list):
            return []
        warnings: list[str] = []
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            # (a name that is no text, a list in a damaged file, raised TypeError: unhashable, in the lookup)
            if not isinstance(name, str) or name not in self.setpoints or "ha_force_power" not in entry:
                continue
            power, duration = entry.get("ha_force_power"), entry.get("ha_force_duration_min")
            try:
                power_w, duration_min = _saved_number(power), _saved_number(duration)
                if name in self._on_off or entry.get("ha_force_power_at_max") is True:
                    # On or off: no force power to set from HA (an older version's 0 W would force it off
                    # while HA showed the force on, with no number left to change it). At the max: this max.
                    power_w = self.setpoints[name][0]
                checked_w = self._checked_force(name, power_w, duration_min)
            except (TypeError, ValueError, OverflowError, ModeCommandError) as exc:
                warnings.append(f"{name}: saved Home Assistant force settings {power!r:.40} W, {duration!r:.40} min "
                                f"ignored ({exc})")
                continue
            if checked_w != power_w:  # the load's max lowered since
                warnings.append(f"{name}: saved Home Assistant force power {power_w:g} W is above the load's max: "
                                f"{checked_w:.0f} W kept")
            self.setpoints[name] = (checked_w, duration_min)
        return warnings


def _saved_number(value: Any) -> float:
    """A force setting read back from the status file: a JSON number, or one written as ASCII text (a hand edit);
    ValueError otherwise. float() took "1_000", full-width digits and a bool; an int too large for a float is
    +-inf here, refused as a force power or duration is."""
    number = json_or_text_float(value)
    if number is None:
        raise ValueError(f"not a number: {value!r:.40}")
    return number

