"""Domoticz over MQTT: the device messages Domoticz publishes on `domoticz/out`, and the grid / injection
sensors the regulator publishes on `domoticz/in` with the seed's rules (values as text in `svalue`,
export negative, a single 0 when a flow stops, a keepalive 0 every 30 min while it stays at 0)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass

from values.readings import MAX_PAYLOAD_BYTES
from values.shown import shown

log = logging.getLogger(__name__)

DEFAULT_KEEPALIVE_S = 1800.0  # the seed's: Domoticz and Grafana see the flat 0 at least this often
# After each connect of PySEB's link, both flows' values are sent once more this much later: a 0 sent while Domoticz was
# not back yet is lost (no session kept for it), and it tries again only every 30 s after a broker restart
# (hardware/MQTT.cpp); without it, a flow that stopped then showed its last watts in Domoticz until the keepalive.
RESEND_AFTER_CONNECT_S = 60.0

Message = tuple[str, str]  # (topic, payload) for the regulator to publish

# What Domoticz publishes for a switch's state: an On/Off switch's nvalue is 0 or 1; a selector's nvalue is
# 0 (level 0) or 2 (a level set; 1 from some versions) and its level a multiple of 10 as text.
ON_OFF_NVALUES = (0, 1)
SELECTOR_NVALUES = (0, 1, 2)
MAX_SELECTOR_LEVEL = 1000
LEVEL_MAX_DIGITS = 9  # svalue1 read as a level up to this many digits (a level is at most MAX_SELECTOR_LEVEL)
SCENE_TYPES = ("Scene", "Group")  # the "Type" of Domoticz's scene updates (hardware/MQTT.cpp, SendSceneInfo)


@dataclass(frozen=True, slots=True)
class DomoticzDevice:
    """One device update from `domoticz/out`: `nvalue` is an On/Off state (0/1, 2 = level set), `svalue1`
    a selector's level as text ("0", "10", ...)."""

    idx: int
    nvalue: int | None
    svalue1: str | None
    name: str
    switch_type: str  # "On/Off", "Selector", ... ("" when absent)
    level_names: tuple[str, ...] = ()  # a selector's, one per level 0, 10, 20...; () when not given

    @property
    def top_level(self) -> int | None:
        """A selector's highest level from its level names (None when not given)."""
        return (len(self.level_names) - 1) * 10 if self.level_names else None

    @property
    def is_selector(self) -> bool:
        """True for a selector switch (its state is the level, not nvalue)."""
        return self.switch_type == "Selector"

    @property
    def level(self) -> int | None:
        """`svalue1` as a whole number, or None when absent or not a number."""
        text = (self.svalue1 or "").strip()
        digits = text[1:] if text.startswith("-") else text
        # (ASCII digits only: str.isdigit() also takes "¹" or "²", which int() refuses; and a few of them: int() refuses
        # over 4300 digits with a ValueError, out of handle(); a level is at most MAX_SELECTOR_LEVEL anyway)
        return int(text) if digits.isascii() and digits.isdigit() and len(digits) <= LEVEL_MAX_DIGITS else None

    @property
    def on_at_level_0(self) -> bool:
        """A selector On at level 0: what an "On" does to a selector never set above level 0 (Domoticz takes an On
        to the selector's last level above 0, its LastLevel, which is 0 until it has been at one)."""
        return self.is_selector and self.nvalue == 1 and self.level == 0

    def switch_state(self) -> tuple[bool | None, str | None]:
        """(on, None) for an update Domoticz really sends for an On/Off switch or a selector; (None, why)
        for anything else: only those values may force or unforce a load."""
        if self.switch_type == "On/Off":
            if self.nvalue not in ON_OFF_NVALUES:
                return None, f"nvalue {self.nvalue!r} is not one an On/Off switch sends (0 or 1)"
            return self.nvalue == 1, None
        if self.is_selector:
            problem = self.selector_problem()
            # (an On at level 0 is an On: a user's Off, or a Set Level 0, leaves nvalue 0)
            return (None, problem) if problem else (self.level != 0 or self.on_at_level_0, None)
        if not self.switch_type:
            return None, "no switchType: not an On/Off switch or selector update"
        return None, f"switchType {shown(self.switch_type)} is not an On/Off switch or a selector"

    def selector_problem(self) -> str | None:
        """Why this is not a selector update as Domoticz sends one (None when it is)."""
        if not self.is_selector:
            return f"switchType {shown(self.switch_type or None)} is not a selector"
        if self.nvalue is not None and self.nvalue not in SELECTOR_NVALUES:
            return f"nvalue {self.nvalue!r} is not one a selector sends (0, 1 or 2)"
        level = self.level
        text = (self.svalue1 or "").strip()
        if level is None or text.startswith("-") or level > MAX_SELECTOR_LEVEL or level % 10:
            return f"svalue1 {shown(self.svalue1)} is not a selector level (0, 10, 20, ... {MAX_SELECTOR_LEVEL})"
        return None


def parse_domoticz_out(payload: bytes) -> DomoticzDevice | None:
    """The device in one `domoticz/out` message, or None (logged) when the payload is not one."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        log.warning("domoticz/out: message of %d bytes is too large for a device update, dropped", len(payload))
        return None
    try:
        doc = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        log.warning("domoticz/out: not JSON, dropped: %r", payload[:80])
        return None
    if not isinstance(doc, dict):
        log.warning("domoticz/out: not a JSON object, dropped: %r", payload[:80])
        return None
    if doc.get("Type") in SCENE_TYPES and "dtype" not in doc:
        # Domoticz publishes a scene or group switched on topic_out too; scenes number their idx apart from devices,
        # so its idx may be a device's (the mode selector's, a force switch's): not a device update.
        log.debug("domoticz/out: a %s's update (idx %r), not a device's: ignored", doc["Type"].lower(),
                  doc.get("idx"))
        return None
    idx, nvalue, svalue1 = doc.get("idx"), doc.get("nvalue"), doc.get("svalue1")
    if isinstance(idx, bool) or not isinstance(idx, int):
        log.warning("domoticz/out: no integer idx, dropped: %r", payload[:80])
        return None
    if nvalue is not None and (isinstance(nvalue, bool) or not isinstance(nvalue, int)):
        log.warning("domoticz/out: idx %d: nvalue %s is not an integer, dropped", idx, shown(nvalue))
        return None
    if svalue1 is not None and not isinstance(svalue1, str):
        if isinstance(svalue1, bool) or not isinstance(svalue1, (int, float)):
            log.warning("domoticz/out: idx %d: svalue1 %s is not text, dropped", idx, shown(svalue1))
            return None
        svalue1 = str(svalue1)  # Domoticz sends text; a hand-made number is taken as its text
    name, switch_type = doc.get("name"), doc.get("switchType")
    if not isinstance(switch_type, str) and doc.get("stype") == "Selector Switch":
        switch_type = "Selector"
    return DomoticzDevice(idx, nvalue, svalue1, name if isinstance(name, str) else "",
                          switch_type if isinstance(switch_type, str) else "", level_names(doc.get("LevelNames")))


def level_names(value: object) -> tuple[str, ...]:
    """A selector's "LevelNames" option, "Off|Level1|Level2" (base64 in some Domoticz versions); () when absent or
    not readable (a level count is then not known: nothing is checked against it)."""
    if not isinstance(value, str) or not value:
        return ()
    text = value
    if "|" not in text:
        try:
            text = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return ()
    names = tuple(text.split("|"))
    return names if len(names) > 1 else ()


def sensor_payload(idx: int, watts: int) -> str:
    """A `domoticz/in` sensor update, e.g. {"idx": 648, "nvalue": 0, "svalue": "-28"}."""
    return json.dumps({"idx": idx, "nvalue": 0, "svalue": str(watts)})


def split_grid(grid_w: float) -> tuple[float, float]:
    """Net grid power (consumption - production) as the seed's pair: import >= 0, export <= 0."""
    return max(0.0, grid_w), min(0.0, grid_w)


@dataclass(slots=True)
class _Flow:
    idx: int
    enabled: bool
    last_w: int | None = None
    zero_sent_at: float | None = None

    def update(self, watts: int, now: float, keepalive_s: float, again: bool = False) -> bool:
        """True when this value must be published (a 0 too when `again`)."""
        previous, self.last_w = self.last_w, watts
        if watts != 0:
            self.zero_sent_at = None
            return True
        # (a last 0 dated after `now` is from before a clock stepped back: sent again, not held back for the step)
        if again or previous != 0 or self.zero_sent_at is None or not 0 <= now - self.zero_sent_at < keepalive_s:
            self.zero_sent_at = now
            return True
        return False


class GridPublisher:
    """Grid import and injection (export) as two Domoticz sensors, each with its idx (0 = not sent)."""

    def __init__(self, topic_in: str, idx_grid: int, idx_injection: int, send_grid: bool = True,
                 send_injection: bool = True, keepalive_s: float = DEFAULT_KEEPALIVE_S) -> None:
        self.topic_in = topic_in
        self.keepalive_s = keepalive_s
        self._grid = _Flow(idx_grid, send_grid and idx_grid > 0)
        self._injection = _Flow(idx_injection, send_injection and idx_injection > 0)
        self._again_at: float | None = None  # when both flows' values go once more after a connect
        # ...and after the last connect within a minute before it (a flapping link, or a broker restarted just before
        # it): that one's own, a minute after it (the first's may go while Domoticz is not back from the same outage)
        self._again_last_at: float | None = None

    def connected(self, now: float) -> None:
        """PySEB's link (re)connected at `now`: both flows' values are sent again RESEND_AFTER_CONNECT_S later (a flow
        not at 0 is sent at every decision anyway: a 0 is what this sends again). A resend still to come is kept: set
        anew at each connect, a link dropping every 30 s put it off for ever; this connect's goes too, a minute after
        it (replaced by a later connect's within that minute): the one kept may go before Domoticz is back from the
        outage this connect ends. One whose time came while the link was down (not sent: nothing is then) is set anew,
        as is one dated further ahead (a clock stepped back)."""
        if self._again_at is not None and 0 < self._again_at - now <= RESEND_AFTER_CONNECT_S:
            self._again_last_at = now + RESEND_AFTER_CONNECT_S
        else:
            self._again_at, self._again_last_at = now + RESEND_AFTER_CONNECT_S, None

    def update(self, grid_w: float, injection_w: float, now: float) -> list[Message]:
        """The messages for one decision: `grid_w` import (>= 0), `injection_w` export (published
        negative, whichever sign it is given with)."""
        out: list[Message] = []
        # (due, or dated further ahead than it was set: a clock stepped back, sent rather than held back for the step)
        due = [at is not None and not 0 < at - now <= RESEND_AFTER_CONNECT_S
               for at in (self._again_at, self._again_last_at)]
        if due[0]:
            self._again_at = None
        if due[1]:
            self._again_last_at = None
        again = any(due)
        for flow, watts in ((self._grid, round(max(0.0, grid_w))), (self._injection, -round(abs(injection_w)))):
            if flow.enabled and flow.update(watts, now, self.keepalive_s, again):
                out.append((self.topic_in, sensor_payload(flow.idx, watts)))
        return out
