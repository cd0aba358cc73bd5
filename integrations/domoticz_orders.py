"""A relay's orders to Domoticz's input (its json_on and json_off, on topic_in) as Domoticz reads them
(hardware/MQTT.cpp, on_message; main/mainworker.cpp, SwitchLightInt): what it drops or acts on no device with
(order_problem, refused at the config check), what it reads otherwise than written (order_doubt, warned of)."""

from __future__ import annotations

import re

from values.shown import cut, shown

# The commands Domoticz's input reads an idx for, as a number (hardware/MQTT.cpp: asInt64(), which throws on text and
# reads a missing idx as 0); udevice is the command of an order that names none.
IDX_COMMANDS = ("udevice", "switchlight", "switchscene", "getdeviceinfo", "getsceneinfo", "setuservariable",
                "setcolbrightnessvalue")
MAX_IDX = 2 ** 63  # (read as a 64-bit signed number: one past it is out of range, and dropped)
# All the commands Domoticz's input knows, compared as written (MQTT.cpp: ==; none ever removed since it took commands):
# lower-cased -> as written. Any other is "Unknown command received!", the order dropped.
COMMANDS = {command.lower(): command for command in IDX_COMMANDS + ("addlogmessage", "customevent",
                                                                     "sendnotification")}
INT_RANGE = range(-2 ** 31, 2 ** 31)  # a switchlight's level, read as a 32-bit int (jsoncpp's asInt throws past it)
LEADING_NUMBER = re.compile(r"[ \t\n\v\f\r]*([+-]?[0-9]+)")  # what C's atoi reads of a text
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


def read_level(value: object) -> int | None:
    """A switchlight's level as Domoticz reads it (MQTT.cpp): -1 when none (null too), a text's leading whole number
    (atoi: 0 when none), a number's whole part, true 1; None when it drops the order (a list, an object, out of 32
    bits; an empty list or object is none)."""
    if value is None or value == [] or value == {}:  # (jsoncpp's empty(): null, [] and {} are no level)
        return -1
    if isinstance(value, str):
        match = LEADING_NUMBER.match(value)
        return int(match.group(1)) if match else 0
    # (bool is an int; a double past INT_MIN..INT_MAX throws, decimals and all; NaN fails the range)
    if isinstance(value, (int, float)) and INT_RANGE.start <= value <= INT_RANGE.stop - 1:
        return int(value)
    return None


def command_problem(command: object) -> str | None:
    """Why Domoticz's input drops an order whose "command" is `command` (None: udevice, as when none), or None."""
    # (null, [] and {} are none to jsoncpp's empty(): Domoticz keeps its udevice)
    if command is None or command == [] or command == {} or (isinstance(command, str) and command in COMMANDS.values()):
        return None
    written = COMMANDS.get(command.strip().lower()) if isinstance(command, str) else None
    unknown = "its log: Unknown command received, and the order is dropped"
    if isinstance(command, str) and written is not None:
        return f"command {cut(command)!r}: Domoticz reads {written!r}, in those letters ({unknown})"
    return f"command {cut(shown(command))} is none Domoticz's input knows (switchlight, udevice, ...: {unknown})"


def order_problem(doc: dict[str, object]) -> str | None:
    """Why Domoticz's input would drop the order `doc` (a relay's json_on or json_off), or act on no device; None when
    it reads it. Only what no Domoticz version takes: a command it does not know (or in other letters), an idx that is
    text, missing or not a device's (0), a switchlight without a switchcmd or with a level it cannot read, a
    switchscene's other than On, Off or Toggle as written."""
    if (problem := command_problem(command := doc.get("command"))) is not None:
        return problem
    if (command or "udevice") not in IDX_COMMANDS:
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
    if command == "switchlight" and read_level(level := doc.get("level")) is None:
        return f"its level {cut(shown(level))} is no level Domoticz reads (a whole number): it drops the order"
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
    if (doc.get("command") or "udevice") not in IDX_COMMANDS:
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


def on_order_doubt(doc: dict[str, object]) -> str | None:
    """What a relay's json_on `doc` (an order Domoticz acts on) does otherwise than switch on, or None: a switchlight's
    Set Level with no level, or one of 0 or less, which Domoticz turns into an Off (main/mainworker.cpp,
    SwitchLightInt: a Python plugin's device and MQTT Auto Discovery's are handed the Off too). Warned of, not refused:
    a blind's goes to its last level, and a selector's level 0 runs that level's actions."""
    if doc.get("command") != "switchlight" or doc.get("switchcmd") != "Set Level":
        return None
    level = read_level(doc.get("level"))
    if level is None or level > 0:
        return None
    given = "no level" if level == -1 else f"level {cut(shown(doc.get('level')))} (read as {level})"
    return (f"a Set Level with {given}: Domoticz switches the device Off, and the relay would never switch on: write "
            '"switchcmd": "On" (or "level": 100 with a dimmer)')


# The commands Domoticz's input takes that switch no device (hardware/MQTT.cpp): what each does instead.
NON_SWITCHING = {"getdeviceinfo": "asks for the device's state (Domoticz publishes it on its output)",
                 "getsceneinfo": "asks for the scene's state (Domoticz publishes it on its output)",
                 "addlogmessage": "writes a line in Domoticz's log", "sendnotification": "sends a notification"}


def switched_device(doc: dict[str, object] | None) -> tuple[object, int | None] | None:
    """The device a switchlight's or switchscene's order `doc` switches (its command, its idx as Domoticz reads it),
    or None for any other order: a light's idx and a scene's of the same number are two devices."""
    if doc is None or doc.get("command") not in ("switchlight", "switchscene"):
        return None
    return doc.get("command"), read_idx(doc.get("idx"))


def _word(doc: dict[str, object] | None) -> str | None:
    word = None if doc is None else doc.get("switchcmd")
    return word.strip().lower() if isinstance(word, str) else None


def wrong_way_problem(doc: dict[str, object], key: str, other: dict[str, object] | None = None) -> str | None:
    """Why the order `doc` (a relay's `key`, json_on or json_off, that Domoticz reads: order_problem None) can never
    switch the relay the way `key` means, or None: a command that switches nothing, a switchlight's or switchscene's
    switchcmd that is the other key's (in any letters: a Python plugin's device takes "off" as Off) where the relay's
    `other` order (its json_off to a json_on; None: not a JSON object) switches that device the same way. Refused:
    the relay never switched, or ran the wrong way (on while PySEB counted it off and gave its watts to the others).
    Not judged by its word: an order to another device than `other`'s (a scene can only be switched On: a relay on
    scenes has one to switch it on, another to switch it off), and two swapped on one device (a normally-closed relay,
    as a Tasmota's json_on = OFF: warned of, normally_closed_doubt)."""
    command = doc.get("command")
    example = '"command": "switchlight", "idx": <its idx>, "switchcmd": "On" (json_on) / "Off" (json_off)'
    if isinstance(command, str) and command in NON_SWITCHING:
        return f"command {command!r} {NON_SWITCHING[command]} and switches nothing: the relay would never switch; " \
               f"write {example}"
    if command not in ("switchlight", "switchscene") or not isinstance(doc.get("switchcmd"), str):
        return None
    meant, opposite = ("On", "Off") if key == "json_on" else ("Off", "On")
    if _word(doc) != opposite.lower():
        return None
    if switched_device(other) is not None and (switched_device(other) != switched_device(doc)
                                               or _word(other) == meant.lower()):
        return None  # (another device's order, or the two swapped: a normally-closed relay)
    word = doc.get("switchcmd")
    return (f"switchcmd {word!r} in {key}: Domoticz switches the device {opposite} when PySEB switches the relay "
            f'{meant.lower()}: the relay would switch the wrong way; write "switchcmd": "{meant}" in {key} (and '
            f'"{opposite}" in json_{opposite.lower()})')


def normally_closed_doubt(on: dict[str, object], off: dict[str, object] | None) -> str | None:
    """A relay's json_on `on` that switches its device Off and json_off `off` that switches the same device On, or
    None: a normally-closed relay (the load on while the device is Off, as a pilot wire's diode module) switches so,
    and is taken; written by mistake, the relay runs the wrong way. Warned of, once (on json_on)."""
    device = switched_device(on)
    if device is None or device != switched_device(off) or _word(on) != "off" or _word(off) != "on":
        return None
    return ('its "switchcmd" is Off, and json_off\'s On, on one device: taken as a normally-closed relay (the load on '
            "while the device is Off); if the load runs while the device is On, swap them (\"switchcmd\": \"On\" in "
            "json_on, \"Off\" in json_off): else the relay runs the wrong way, on while PySEB counts it off")


def toggle_doubt(doc: dict[str, object]) -> str | None:
    """A switchlight's or switchscene's Toggle in a relay's order, or None: it switches the right way only while the
    device is as PySEB believes (switched by hand, or one order lost, and the relay runs the wrong way from then on).
    Warned of, not refused: it works while nothing else switches the device."""
    word = doc.get("switchcmd")
    if doc.get("command") not in ("switchlight", "switchscene") or not isinstance(word, str):
        return None
    if word.strip().lower() != "toggle":
        return None
    return ("a Toggle flips the device whatever its state: switched by hand, or an order lost, and the relay runs the "
            'wrong way from then on (on when PySEB counts it off): write "switchcmd": "On" in json_on, "Off" in '
            "json_off")
