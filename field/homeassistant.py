"""The Home Assistant link wired into the regulator: discovery configs (re-sent on each connect and on HA's
birth message), configs of entities that no longer exist removed (all of an earlier run's, discovery off), one
retained state document after each status, and the controls. Every control goes through the validation of
regul/mode (force commands) or of the heater-mode selector (EcsMode): a refused command is logged and changes
nothing."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from equipments.base import Equipment
from equipments.constant import RelayEquipment
from equipments.modes import ForceCommand, ModeCommandError, apply_mode_command, parse_mode_command
from field.water_heater import HeaterControl
from integrations.domoticz_control import EcsMode
from integrations.homeassistant import (
    OFF,
    ON,
    Entity,
    LoadInfo,
    Topics,
    announced_by,
    build_entities,
    config_payload,
    dumps,
    state_document,
)
from integrations.homeassistant_settings import HomeAssistantSettings
from values.numbers import json_or_text_float, text_float

log = logging.getLogger(__name__)

FORCED_BY_HOMEASSISTANT = "homeassistant"
MAX_COMMAND_BYTES = 64  # ON, OFF, a number, a mode name: anything longer is not a command of ours
# Discovery is sent again at most this often for HA's birth message (its configs are retained: a restarting HA
# reads them anyway; they go again for a broker that lost them).
REANNOUNCE_GAP_S = 30.0

Send = Callable[[str, str, bool], None]  # (topic, payload, retain)


class HomeAssistantBridge:
    """Discovery, state and controls for one regulator's loads; `send` publishes."""

    def __init__(self, settings: HomeAssistantSettings, loads: Sequence[Equipment], heater: HeaterControl | None,
                 tank_loads: set[str], topic_regul: str, availability: str, meter_timeout_s: float,
                 sw_version: str, send: Send, on_heater_mode: Callable[[EcsMode, float], None] | None = None) -> None:
        self.enabled = settings.discovery
        self.heater = heater
        self.meter_timeout_s = meter_timeout_s
        self.sw_version = sw_version
        self.device_name = settings.name
        self._send = send
        self._on_heater_mode = on_heater_mode
        self.loads = {load.name: load for load in loads}
        self.infos = [LoadInfo(load.name, load.max_force_power_w(), load.name in tank_loads,
                               isinstance(load, RelayEquipment)) for load in loads]
        self._on_off = {info.name for info in self.infos if info.on_off}  # relays: no force power to set
        self.topics = Topics(settings.prefix, settings.node_id, f"{topic_regul}/ha", availability)
        self._births = self.topics.births  # (once: handles() runs for every message)
        self.entities = build_entities(self.infos, heater.heater.name if heater is not None else None)
        self._configs = {self.topics.config(entity) for entity in self.entities}
        self._controls = {self.topics.command(e): e for e in self.entities if e.command is not None}
        # What the force switch uses: (power W, duration min; 0 = until switched off), per load.
        self.setpoints: dict[str, tuple[float, float]] = {info.name: (info.max_force_power_w, 0.0)
                                                          for info in self.infos}
        self._last_status: dict[str, Any] | None = None
        self._last_state: str | None = None
        self._reannounced_at = float("-inf")  # the last discovery sent again for a birth message
        self._state_removed = False  # discovery off: the state document an earlier run left removed

    # --- topics -------------------------------------------------------------------------------------------
    def forces(self, name: str) -> bool:
        """True when Home Assistant has a force switch for load `name` (discovery on, its entities not left out)."""
        return self.enabled and any(e.command == "force" and e.load == name for e in self.entities)

    def subscriptions(self) -> tuple[str, ...]:
        """HA's birth message, our own configs (to find stale ones) and the controls' command topics; with discovery
        off, our own configs only (an earlier run's, to remove)."""
        if not self.enabled:
            return (self.topics.own_configs,)
        return (*self._births, self.topics.own_configs, *self._controls)

    def live_only_topics(self) -> set[str]:
        """Command topics: a retained command is old news (it would come back at every reconnect)."""
        return set(self._controls) if self.enabled else set()

    def handles(self, topic: str) -> bool:
        """True for a topic `handle` reads."""
        if not self.enabled:
            return self._is_config(topic)
        return (topic in self._births or topic in self._controls or self._is_config(topic))

    def _is_config(self, topic: str) -> bool:
        # (the prefix may have several levels, "ha/discovery": HA takes any topic)
        head = f"{self.topics.prefix}/"
        parts = topic[len(head):].split("/") if topic.startswith(head) else []
        return len(parts) == 4 and parts[1] == self.topics.node_id and parts[3] == "config"

    # --- messages -----------------------------------------------------------------------------------------
    def on_connected(self) -> None:
        """Announce every entity (retained: HA reads them whenever it starts)."""
        if not self.enabled:
            return
        for entity in self.entities:
            self._send(self.topics.config(entity), json.dumps(config_payload(entity, self.topics, self.sw_version,
                                                                             self.device_name)), True)
        log.info("Home Assistant: %d entities announced under %s/", len(self.entities), self.topics.prefix)
        self._last_state = None  # the broker may have lost it: send the next state even if unchanged

    def handle(self, topic: str, payload: bytes, now: float) -> bool:
        """One message on a topic of ours; True when the regulator should publish a status (and state)."""
        if not self.enabled:
            self._remove_if_announced_by_us(topic, payload)
            return False
        if topic in self._births:
            if payload.strip() != b"online":
                return False
            if 0 <= now - self._reannounced_at < REANNOUNCE_GAP_S:  # (negative: a clock stepped back since)
                # (anyone on the broker can send "online": each one made every config go out again)
                log.debug("Home Assistant: another birth message within %g s: discovery not sent again",
                          REANNOUNCE_GAP_S)
                return False
            self._reannounced_at = now
            log.info("Home Assistant (re)started: discovery sent again", extra={"limit_key": topic})
            self.on_connected()
            return True
        control = self._controls.get(topic)
        if control is not None:
            return self._on_command(control, payload, now)
        if payload and topic not in self._configs:
            # A config this node announced for an entity that no longer exists (a load removed from the
            # config): an empty retained payload removes the entity from HA and the message from the broker.
            log.info("Home Assistant: removing %s (no longer configured)", topic,
                     extra={"limit_key": "homeassistant removal"})
            self._send(topic, "", True)
        return False

    def _remove_if_announced_by_us(self, topic: str, payload: bytes) -> None:
        """Discovery off: a config an earlier run with it on left retained is removed (an empty retained payload,
        HA's way to delete an entity); kept, its entities stayed in HA for good, `online`, with its last state."""
        if not announced_by(self.topics, topic, payload):
            return
        log.info("Home Assistant: discovery is off: removing %s, announced by an earlier run", topic,
                 extra={"limit_key": "homeassistant removal"})
        self._send(topic, "", True)
        if not self._state_removed:
            self._state_removed = True  # (its retained state document too: no entity reads it any more)
            self._send(self.topics.state, "", True)

    def after_status(self, status: dict[str, Any]) -> None:
        """The state document for the status just published (retained; skipped when unchanged)."""
        if not self.enabled:
            return
        self._last_status = status
        state = dumps(state_document(status, self.meter_timeout_s, self.infos, self.setpoints))
        if state != self._last_state:
            self._last_state = state
            self._send(self.topics.state, state, True)

    # --- controls -----------------------------------------------------------------------------------------
    def _on_command(self, control: Entity, payload: bytes, now: float) -> bool:
        text = payload[:MAX_COMMAND_BYTES].decode("utf-8", "replace").strip()
        what = f"Home Assistant command {text!r} on {control.name!r} refused"
        if len(payload) > MAX_COMMAND_BYTES:
            log.warning("%s: payload of %d bytes is too large", what, len(payload))
            return False
        try:
            if control.command == "heater_mode":
                return self._set_heater_mode(text, now)
            assert control.load is not None
            if control.command == "force":
                return self._switch(control.load, text, now)
            return self._set_point(control.load, control.command or "", text, now)
        except (ModeCommandError, ValueError) as exc:
            log.warning("%s: %s", what, exc)
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
        command = parse_mode_command(self._force_command(name, power_w, duration_min), self.loads)
        assert isinstance(command, ForceCommand)
        return command.power_w  # (kept as the setting: HA's number shows it, and no force warns again)

    def _set_point(self, name: str, which: str, text: str, now: float) -> bool:
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
                        checked_w)
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
            if left_min <= 0:
                log.info("%s: Home Assistant force duration %g min, already run: the force ends", load.name,
                         duration_min)
                self._apply(self._unforce_command(load.name), now)
                return
        self._apply(self._force_command(load.name, power_w, left_min), now)

    # --- what a restart keeps ------------------------------------------------------------------------------
    def load_status(self, name: str) -> dict[str, Any]:
        """The force switch's settings of load `name`, for the status file (restored at start)."""
        if not self.enabled:
            return {}
        power_w, duration_min = self.setpoints[name]
        return {"ha_force_power": power_w, "ha_force_duration_min": duration_min}

    def restore(self, entries: Any) -> list[str]:
        """The force switches' settings from a status file's `equipments`; a bad one is left at its default,
        with a warning. Settings, not the day's state: kept whatever the file's age."""
        if not self.enabled or not isinstance(entries, list):
            return []
        warnings: list[str] = []
        for entry in entries:
            name = entry.get("name") if isinstance(entry, dict) else None
            if name not in self.setpoints or "ha_force_power" not in entry:
                continue
            power, duration = entry.get("ha_force_power"), entry.get("ha_force_duration_min")
            try:
                power_w, duration_min = _saved_number(power), _saved_number(duration)
                if name in self._on_off:
                    # On or off: no force power to set from HA (an older version's 0 W would force it off
                    # while HA showed the force on, with no number left to change it).
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

    def _set_heater_mode(self, text: str, now: float) -> bool:
        if self.heater is None:
            raise ValueError("no water heater")
        try:
            mode = EcsMode(text)
        except ValueError:
            raise ValueError(f"not a mode: use one of {', '.join(m.value for m in EcsMode)}") from None
        if mode is not self.heater.mode:
            log.info("water-heater mode: %s -> %s (Home Assistant)", self.heater.mode.value, mode.value)
            self.heater.set_mode(mode, now, FORCED_BY_HOMEASSISTANT)
            if self._on_heater_mode is not None:
                self._on_heater_mode(mode, now)
        return True


def _saved_number(value: Any) -> float:
    """A force setting read back from the status file: a JSON number, or one written as ASCII text (a hand edit);
    ValueError otherwise. float() took "1_000", full-width digits and a bool; an int too large for a float is
    +-inf here, refused as a force power or duration is."""
    number = json_or_text_float(value)
    if number is None:
        raise ValueError(f"not a number: {value!r:.40}")
    return number

