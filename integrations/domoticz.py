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
from values.shown import cut, shown

log = logging.getLogger(__name__)

DEFAULT_KEEPALIVE_S = 1800.0  # the seed's: Domoticz and Grafana see the flat 0 at least this often

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


# The commands Domoticz's input reads an idx for, as a number (hardware/MQTT.cpp: asInt64(), which throws on text and
# reads a missing idx as 0); udevice is the command of an order that names none.
IDX_COMMANDS = ("udevice", "switchlight", "switchscene", "getdeviceinfo", "getsceneinfo", "setuservariable",
                "setcolbrightnessvalue")
MAX_IDX = 2 ** 63  # (read as a 64-bit signed number: one past it is out of range, and dropped)
# A switchlight's switchcmd as Domoticz's own devices read it, case and all (main/RFXNames.cpp, GetLightCommand; a
# Python plugin's device is handed it as written): lower-cased -> as written.
SWITCH_WORDS = {word.lower(): word for word in ("On", "Off", "Toggle", "Set Level", "Stop", "Open", "Close")}
# A switchscene's (a group's or scene's): MQTT.cpp drops any other, case and all.
SCENE_WORDS = {word.lower(): word for word in ("On", "Off", "Toggle")}


def as_domoticz_reads(text: str) -> str:
    """`text` (an order to Domoticz's input) as strict JSON, read as Domoticz's jsoncpp reads it with its defaults:
    its comments (// and /* */) and a comma before a closing brace or bracket taken out. Only outside strings."""
    out: list[str] = []
    i, quoted = 0, False
    while i < len(text):
        char = text[i]
        if quoted:
            out.append(text[i:i + 2] if char == "\\" else char)
            i += 2 if char == "\\" else 1
            quoted = char != '"'
            continue
        if text.startswith(("//", "/*"), i):
            end = text.find("\n" if text[i + 1] == "/" else "*/", i + 2)
            i = len(text) if end < 0 else end + (1 if text[i + 1] == "/" else 2)
            continue
        if char in "}]" and "".join(out).rstrip().endswith(","):
            out = list("".join(out).rstrip()[:-1])
        out.append(char)
        quoted = char == '"'
        i += 1
    return "".join(out)


def read_idx(value: object) -> int | None:
    """The device number Domoticz's input reads for an order's idx `value` (jsoncpp's asInt64: a number, its decimals
    dropped), or None when it drops the order (text, a list, true/false, out of 64 bits; NaN and Infinity, which
    Python's json reads, Domoticz's does not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -MAX_IDX <= value < MAX_IDX:
        return None  # (NaN fails the range too)
    return int(value)


def order_problem(doc: dict[str, object]) -> str | None:
    """Why Domoticz's input would drop the order `doc` (a relay's json_on or json_off), or act on no device; None when
    it reads it. Only what no Domoticz version takes: an idx that is text, missing or not a device's (0), a switchlight
    without a switchcmd, a switchscene's other than On, Off or Toggle as written."""
    command = doc.get("command", "udevice")
    if command not in IDX_COMMANDS:
        return None
    idx = doc.get("idx")
    if idx is None:
        return "no idx: Domoticz reads idx 0, no device (its log: unknown idx received!): write the device's idx"
    if isinstance(idx, str):
        number = f' ("idx": {idx.strip()})' if idx.strip().isascii() and idx.strip().isdigit() else ""
        return f"its idx {cut(idx)!r} is text: Domoticz reads a number{number}, else drops the order"
    if (read := read_idx(idx)) is None or read < 1:
        return f"its idx {cut(shown(idx))} is no device: Domoticz's idx are whole numbers from 1"
    if command not in ("switchlight", "switchscene"):
        return None
    word = doc.get("switchcmd")
    if not isinstance(word, str):
        return "no switchcmd (text, e.g. \"switchcmd\": \"On\"): Domoticz switches nothing"
    if command == "switchscene" and word not in SCENE_WORDS.values():
        written = SCENE_WORDS.get(word.strip().lower())
        return f"switchcmd {cut(word)!r}: " + (f"Domoticz reads {written!r}, in those letters" if written else
                                               "a switchscene takes On, Off or Toggle, else Domoticz drops it")
    return None


def order_doubt(doc: dict[str, object]) -> str | None:
    """What Domoticz reads otherwise than written in the order `doc` it acts on (warned of), or None: an idx with
    decimals (dropped), a switchlight's On/Off in other letters (only a Python plugin's device, which is handed it as
    written, may take "on": the Zigbee2MQTT plugin's upper-cases it)."""
    if doc.get("command", "udevice") not in IDX_COMMANDS:
        return None
    idx = doc.get("idx")
    if isinstance(idx, float) and (read := read_idx(idx)) is not None and not idx.is_integer():
        return f'its idx {idx} has decimals: Domoticz drops them and reads it as {read} (write "idx": {read})'
    word = doc.get("switchcmd")
    if doc.get("command") != "switchlight" or not isinstance(word, str):
        return None
    written = SWITCH_WORDS.get(word.strip().lower())
    if written is None or word == written:
        return None
    return (f"switchcmd {word!r}: only a Python plugin's device may take it (handed it as written); Domoticz's "
            f"others (a dummy switch, Z-Wave, RFXCOM, MQTT Auto Discovery) read {written!r} only, and switch nothing: "
            f'write "switchcmd": "{written}"')


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

    def update(self, watts: int, now: float, keepalive_s: float) -> bool:
        """True when this value must be published."""
        previous, self.last_w = self.last_w, watts
        if watts != 0:
            self.zero_sent_at = None
            return True
        # (a last 0 dated after `now` is from before a clock stepped back: sent again, not held back for the step)
        if previous != 0 or self.zero_sent_at is None or not 0 <= now - self.zero_sent_at < keepalive_s:
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

    def update(self, grid_w: float, injection_w: float, now: float) -> list[Message]:
        """The messages for one decision: `grid_w` import (>= 0), `injection_w` export (published
        negative, whichever sign it is given with)."""
        out: list[Message] = []
        for flow, watts in ((self._grid, round(max(0.0, grid_w))), (self._injection, -round(abs(injection_w)))):
            if flow.enabled and flow.update(watts, now, self.keepalive_s):
                out.append((self.topic_in, sensor_payload(flow.idx, watts)))
        return out
