"""Domoticz devices that steer the regulator: the water heater's mode selector (the seed's idx_ecs_mode)
and one force switch per load, whose changes force or unforce it. Only the values Domoticz really sends
for a switch type act; anything else is logged and dropped. The regulator's own updates come back as
echoes on `domoticz/out`; they are matched in order with what was sent and never taken as a user's
command."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from enum import Enum

from integrations.domoticz import MAX_SELECTOR_LEVEL, DomoticzDevice, Message
from integrations.domoticz_echoes import ECHO_WAIT_S, EchoQueue
from values.shown import cut, shown

log = logging.getLogger(__name__)

DEFAULT_ON_LEVEL = 10  # a selector force switch set "on" by the regulator goes to its first level
# The `extra` of the line a change of the water heater's mode logs (Domoticz's selector, Home Assistant's select): one
# kind for the flood limiter, 5 a minute, as anyone on the broker may flip the mode a thousand times a minute.
MODE_LINE = {"limit_key": "water-heater mode"}


class EcsMode(str, Enum):
    """What the water heater may do, chosen on a Domoticz selector."""

    OFF = "off"  # commanded 0, not allocated, no fallback
    SOLAR = "solar"  # surplus only
    SOLAR_FALLBACK = "solar+fallback"  # surplus, and the low-energy fallback (the seed's level 20)
    FORCED = "forced"  # held at full power until the mode changes

    @property
    def allows_solar(self) -> bool:
        """The allocation may give it surplus."""
        return self in (EcsMode.SOLAR, EcsMode.SOLAR_FALLBACK)

    @property
    def allows_fallback(self) -> bool:
        """The low-energy fallback rules may force it."""
        return self is EcsMode.SOLAR_FALLBACK


def parse_levels(text: str) -> dict[int, EcsMode]:
    """'0:off, 10:solar, 20:solar+fallback, 30:forced' -> {0: OFF, ...} (modes in any case); ValueError on a bad
    entry, a level given twice (the later one won without a word) or one no selector has (15: never sent)."""
    levels: dict[int, EcsMode] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        level_text, _, mode_text = entry.partition(":")
        try:
            if re.fullmatch(r"[+-]?[0-9]+", level_text.strip()) is None:
                raise ValueError(level_text)  # (int() reads "1_0" as 10, and full-width digits)
            level, mode = int(level_text), EcsMode(mode_text.strip().lower())
        except ValueError:
            names = ", ".join(m.value for m in EcsMode)
            raise ValueError(f"expected level:mode pairs (modes: {names}), got {entry!r}") from None
        if level in levels:
            raise ValueError(f"level {level} is given twice")
        if level < 0 or level > MAX_SELECTOR_LEVEL or level % 10:
            raise ValueError(f"level {level} is no selector level (0, 10, 20, ... {MAX_SELECTOR_LEVEL}): Domoticz "
                             "never sends it")
        levels[level] = mode
    if not levels:
        raise ValueError("no level:mode pair given")
    return levels


class EcsModeSelector:
    """The water heater's mode from a Domoticz selector's level (`svalue1`)."""

    def __init__(self, idx: int, levels: Mapping[int, EcsMode], default: EcsMode = EcsMode.SOLAR_FALLBACK,
                 topic_in: str = "domoticz/in") -> None:
        self.idx = idx
        self.levels = dict(levels)
        self.mode = default  # until Domoticz tells (the seed assumed its level 20)
        self.topic_in = topic_in
        self.top_level: int | None = None  # the selector's highest level, from its level names (None: not known)

    def request(self) -> Message:
        """Ask Domoticz to publish the selector's state (send after connecting)."""
        return self.topic_in, json.dumps({"command": "getdeviceinfo", "idx": self.idx})

    def show(self, mode: EcsMode) -> Message | None:
        """`mode` was chosen elsewhere (Home Assistant): the message that moves the selector to its level, so
        that Domoticz shows the mode in effect and does not hand back its old level at the next connect
        (None when no level maps to it: the selector cannot show it). The lowest such level; the echo is
        the mode already in effect, so nothing changes when it comes."""
        self.mode = mode
        level = self.level_for(mode)
        if level is None:
            log.info("water-heater mode %s: no level of Domoticz selector idx %d maps to it (%s): it keeps its "
                     "level", mode.value, self.idx, ", ".join(f"{k}:{v.value}" for k, v in self.levels.items()),
                     extra=MODE_LINE)
            return None
        return self.topic_in, json.dumps({"command": "switchlight", "idx": self.idx, "switchcmd": "Set Level",
                                          "level": level})

    def level_for(self, mode: EcsMode) -> int | None:
        """The selector's lowest level mapped to `mode` (None: none it has)."""
        # (a level the selector lacks is refused by Domoticz, and under its Prevent Loop the refused update's idx
        # stays marked: the user's next change of the selector would not be published)
        levels = [level for level, mapped in self.levels.items()
                  if mapped is mode and (self.top_level is None or level <= self.top_level)]
        return min(levels) if levels else None

    def on_device(self, device: DomoticzDevice) -> EcsMode | None:
        """The new mode when this update changes it; None for another device, the same mode, or a level
        not in the mapping (logged, the mode is kept)."""
        mode = self.shown_mode(device)
        if mode is None or mode is self.mode:
            return None
        log.info("water-heater mode: %s -> %s (Domoticz idx %d level %d)", self.mode.value, mode.value,
                 self.idx, device.level, extra=MODE_LINE)
        self.mode = mode
        return mode

    def shown_mode(self, device: DomoticzDevice) -> EcsMode | None:
        """The mode this update of the selector shows, the mode in effect left alone; None for another device or a
        level not in the mapping (logged)."""
        if device.idx != self.idx:
            return None
        problem = device.selector_problem()
        if problem is not None:
            log.warning("water-heater mode selector idx %d: %s; update dropped, mode stays %s", self.idx,
                        problem, self.mode.value, extra={"limit_key": f"domoticz-selector-{self.idx}"})
            return None
        self._learn_levels(device)
        level = device.level
        mode = self.levels.get(level) if level is not None else None
        if mode is None:
            log.warning("water-heater mode selector idx %d: level %r is not mapped (%s): mode stays %s",
                        self.idx, device.svalue1, ", ".join(f"{k}:{v.value}" for k, v in self.levels.items()),
                        self.mode.value)
            return None
        return mode

    def _learn_levels(self, device: DomoticzDevice) -> None:
        """The selector's levels from its level names: say once (per change) which mapped ones it lacks."""
        top = device.top_level
        if top is None or top == self.top_level:
            return
        self.top_level = top
        lacking = [f"{level}:{mode.value}" for level, mode in sorted(self.levels.items()) if level > top]
        if lacking:
            # (the remedy said: the seed's three-level selector meets the default mapping's 30:forced at every start)
            kept = ", ".join(f"{level}:{mode.value}" for level, mode in sorted(self.levels.items()) if level <= top)
            log.warning("water-heater mode selector idx %d has levels 0 to %d (%s), not %s of ecs_mode_levels: such a "
                        "mode cannot be chosen or shown there; add the level to the selector in Domoticz%s", self.idx,
                        top, cut("|".join(device.level_names)), ", ".join(lacking),
                        f", or map only its levels: [domoticz] ecs_mode_levels = {kept}" if kept else "")


# A Domoticz that echoes PySEB's updates does so at once (milliseconds on a LAN, a second when busy): a state read
# longer than this after PySEB showed it is no echo of it (ForceLink.crossed).
ECHO_SOON_S = 2.0


class ForceLink:
    """One load's force switch (On/Off or selector). `request` after each connect, `on_answer` for Domoticz's answer
    (what the switch is and shows: never an order); `publish_state` when the regulator changes the load's
    forced state itself; `on_device` for every other `domoticz/out` update.

    `echoed`: Domoticz publishes our own updates back on `domoticz/out` (its MQTT hardware's "Prevent Loop" set
    to No). At Yes, its default, it never does: then nothing is awaited, and every update is a change made in
    Domoticz (awaiting echoes that never come took a user's Off for the echo of an Off sent at connect).

    Echoes are matched exactly, in order, with what was sent, and given up after a while (EchoQueue): a user's Off is
    never taken for the echo of an Off sent before the user's On."""

    def __init__(self, load_name: str, idx: int, topic_in: str = "domoticz/in", echoed: bool = True) -> None:
        self.load_name = load_name
        self.idx = idx
        self.topic_in = topic_in
        self.echoed = echoed
        self.selector = False  # learned from the device's answer or updates
        self.on_level = DEFAULT_ON_LEVEL
        self.usable = True  # False once Domoticz answered with a device that is no switch: nothing is shown on it
        self.echoes: EchoQueue[bool] = EchoQueue(f"force switch idx {idx} ({load_name})",
                                                  lambda on: "on" if on else "off")
        # (no echoes) the states shown in the last ECHO_WAIT_S, when, and whether shown again for a crossing (`crossed`)
        self._shown: list[tuple[bool, float, bool]] = []

    @property
    def pending(self) -> tuple[bool, ...]:
        """The states sent whose echo has not come yet (nor been given up), oldest first."""
        return self.echoes.values

    def publish_state(self, forced: bool, now: float, again: bool = False) -> Message:
        """The `domoticz/in` message that shows the load's new forced state; its echo is expected if `echoed`, else it
        is kept a while for `crossed` (`again`: shown again for a crossing)."""
        if self.echoed:
            self.echoes.sent(forced, now)
        else:
            self._shown = [*self._recently_shown(now), (forced, now, again)]
        doc: dict[str, object] = {"command": "switchlight", "idx": self.idx}
        if self.selector:
            doc.update(switchcmd="Set Level", level=self.on_level if forced else 0)
        else:
            doc["switchcmd"] = "On" if forced else "Off"
        return self.topic_in, json.dumps(doc)

    def request(self) -> Message:
        """Ask Domoticz to publish the switch (after each connect): its answer says what the switch is and shows.
        Domoticz answers at once, under its Prevent Loop too, and says nothing for an idx it has no device for."""
        return self.topic_in, json.dumps({"command": "getdeviceinfo", "idx": self.idx})

    def on_answer(self, device: DomoticzDevice) -> bool | None:
        """Domoticz's answer to `request`: whether the switch shows on, and learn what it is (On/Off or selector, its
        level). It looks exactly like a user's update, but is none: it forces and unforces nothing. None, with a
        warning, for a device that is no switch PySEB can use: nothing is shown on it then (a blind would move)."""
        state, problem = device.switch_state()
        if state is None:
            self.usable = False
            name = f" ({shown(device.name)})" if device.name else ""
            log.warning("[%s] domoticz_idx_force = %d: Domoticz's device idx %d%s is no switch PySEB can use: %s; it "
                        "forces nothing, and %s's forced state is not shown on it", self.load_name, self.idx,
                        self.idx, name, problem, self.load_name)
            return None
        self._learn(device)
        log.debug("force switch idx %d (%s): a %s, %s", self.idx, self.load_name,
                  "selector" if self.selector else "On/Off switch", "on" if state else "off")
        return state

    def _learn(self, device: DomoticzDevice) -> None:
        """What the switch is, from an update Domoticz sent of it (a switch state)."""
        self.usable = True
        self.selector = device.is_selector
        if self.selector and device.level:
            self.on_level = device.level

    def forget_pending(self) -> None:
        """The link to the broker dropped: echoes of updates sent before are lost with the subscription."""
        self.echoes.forget()
        self._shown = []

    def _recently_shown(self, now: float) -> list[tuple[bool, float, bool]]:
        """The states shown less than ECHO_WAIT_S ago (none ahead of a clock stepped back)."""
        return [shown_at for shown_at in self._shown if 0 <= now - shown_at[1] < ECHO_WAIT_S]

    def crossed(self, state: bool, now: float) -> bool:
        """(no echoes) The switch's `state`, just taken as an order, read while a state PySEB showed on it may not be
        applied yet (the last ECHO_WAIT_S): a timer, a scene or a user's order made before Domoticz read PySEB's. Under
        Prevent Loop nothing tells: Domoticz then applies PySEB's, and the switch shows the other state than the load
        (Off, the load forced from the grid with no end). True to show `state` again. Not when the last state shown is
        that one, nor when PySEB showed `state` in the last ECHO_SOON_S, or showed it again in that time: it may be its
        echo, from a Domoticz that echoes though `prevent_loop` says it does not (a force and its unforce half a second
        apart, both echoed after: each answered the other; and each crossing is shown again once, so the echoes end on
        the last state, as with the mode selector's levels: field.domoticz_selector's _crossed)."""
        recent = self._recently_shown(now)
        return bool(recent) and recent[-1][0] != state and not any(
            shown_state == state and (again or now - shown_at < ECHO_SOON_S) for shown_state, shown_at, again in recent)

    def on_device(self, device: DomoticzDevice, load_forced: bool, now: float) -> bool | None:
        """True: force the load, False: unforce it, None: nothing (another device, our own echo, an
        update that is not a switch state, or the state the load is already in)."""
        if device.idx != self.idx:
            return None
        state, problem = device.switch_state()
        if state is None:
            log.warning("force switch idx %d (%s): %s; update dropped", self.idx, self.load_name, problem,
                        extra={"limit_key": f"domoticz-force-{self.idx}"})
            return None
        self._learn(device)
        if self.echoes.is_echo(state, now):
            return None
        if state == load_forced:
            return None
        # (DEBUG: the bridge says the force or unforce it makes of it at INFO, with the watts)
        log.debug("force switch idx %d: %s %s from Domoticz", self.idx, self.load_name,
                 "forced" if state else "unforced")
        return state
