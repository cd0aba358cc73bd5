"""A load's section that tells a relay, against the kind [equipments] lists it as (the seed's configs: Coturex's
regulation.py built its first load, the water_heater, as a variator, a variable load after it as a relay, and skipped a
water_heater after the first): refused, or its leftovers said ignored. One rule for the daemon's loader and the
calibration sweep."""

from __future__ import annotations

import configparser

from equipments.constant import DOMOTICZ_IN
from equipments.registry import BUILTIN
from settings.options import is_unset_word
from settings.relay_topics import RELAY_COMMAND_TOPICS


def relay_sign(section: configparser.SectionProxy, keys: tuple[str, ...]) -> str | None:
    """What in a load's section tells a relay ("json_on is a relay's on/off payload"): the first of `keys` written at
    all (the seed's `json_on = None` is the default payload, 1, not "no relay"), or its command topic: Domoticz's input,
    or a relay's whose firmware takes no percent (RELAY_COMMAND_TOPICS); None: neither."""
    written = [key for key in keys if key in section]
    if written:
        return f"{written[0]} is a relay's {'on/off payload' if written[0].startswith('json_') else 'key'}"
    topic = section.get("topic_set_power", raw=True, fallback=None)
    if topic is None or is_unset_word(topic):
        return None
    if topic.strip() == DOMOTICZ_IN:
        return f"topic_set_power = {DOMOTICZ_IN} is Domoticz's input (its switches' commands)"
    for shape, firmware, words in RELAY_COMMAND_TOPICS:
        if shape.fullmatch(topic.strip()):
            return (f"topic_set_power = {topic.strip()} is a {firmware} relay's command topic, which takes {words}, "
                    "never a percent")
    return None


_SEED_PAYLOADS = ("json_on", "json_off")
# Why a leftover json_on/json_off on the seed's water heater is ignored (the seed's regulation.py read them for its
# relays only: its first load, a water_heater, was built as a variator, whatever its section held).
SEED_HEATER_PAYLOAD = ("a relay's on/off payload, which the seed ignored on its first load (its water heater, "
                       "driven as a variator: it takes percents on its command topic); delete it")


# How the variator firmware's command topic ends (settings.topic_checks warns of a variable load's other topics).
VARIATOR_COMMAND_END = "/cmd"


def _first_variable(cp: configparser.ConfigParser) -> str | None:
    """The first load [equipments] lists as a built-in variable load (variable or water_heater), in lower case."""
    listed = cp.items("equipments", raw=True) if cp.has_section("equipments") else []
    return next((name.lower() for name, kind in listed if BUILTIN.get(kind.strip().lower()) == BUILTIN["variable"]),
                None)


def _seed_relay_rule(cp: configparser.ConfigParser, name: str) -> tuple[str | None, tuple[str, ...]]:
    """The one rule for a load `name` listed as a built-in variable load with a relay's sign (relay_sign): why it is
    refused (None: it is not), and its json_on/json_off the seed ignored (the first variable load, on the variator's
    command topic: Coturex's regulation.py built the first load, its water_heater, as a variator, and every `variable`
    load after it as a relay). (Refused whatever its place, the first one, a heater behind a variator with the seed's
    leftovers, was told to write it constant.)"""
    listed = cp.get("equipments", name, raw=True, fallback=None) if cp.has_section("equipments") else None
    if listed is None or BUILTIN.get(listed.strip().lower()) != BUILTIN["variable"] or not cp.has_section(name):
        return None, ()
    section = cp[name]
    said = relay_sign(section, _SEED_PAYLOADS)
    if said is None:
        return None, ()
    topic = (section.get("topic_set_power", raw=True, fallback=None) or "").strip()
    if (later := later_water_heater(cp, name)) is not None:
        return later, ()  # (the seed skipped it: not "ran it as a relay")
    first = _first_variable(cp) == name.lower()
    # Ignored on the variator firmware's command topic alone (<topic>/<name>/cmd, the seed's regul/vload/ECS/cmd): a
    # list of relays' topics (domoticz/in, cmnd/<device>/POWER, shellies/.../relay/<n>/command) let the others
    # through, sent percents, their json_on said ignored: Tasmota's in another case (cmnd/x/Power1) or FullTopic, a
    # Shelly gen 2's, ESPHome's, Zigbee2MQTT's.
    if first and topic.endswith(VARIATOR_COMMAND_END):
        return None, tuple(key for key in _SEED_PAYLOADS if key in section)
    return _relay_refusal(cp, name, listed, said, first), ()


def seed_relay_listed_as_variable(cp: configparser.ConfigParser, name: str) -> str | None:
    """Why the load `name`, listed in [equipments] as a built-in variable load, is a relay (None: it is not, or not
    listed so): Coturex's regulation.py ran every `variable` load after its first (the water_heater) as a relay, so a
    seed config lists a relay as `variable` with its json_on/json_off, or on domoticz/in. Driven as a variator, the
    relay was sent percents ("37.0" on cmnd/x/POWER). Said alike by the daemon's loader and the calibration sweep
    (after "[equipments] <name>: ")."""
    return _seed_relay_rule(cp, name)[0]


def seed_keys_ignored(cp: configparser.ConfigParser, name: str) -> dict[str, str]:
    """The first variable load's json_on/json_off the seed ignored, with why (key -> reason; empty: none): warned of,
    not refused, by the daemon's loader and the calibration sweep alike."""
    return {key: SEED_HEATER_PAYLOAD for key in _seed_relay_rule(cp, name)[1]}


def later_water_heater(cp: configparser.ConfigParser, name: str) -> str | None:
    """Why the load `name`, listed as water_heater after another water_heater, is refused (None: it is not one).
    Coturex's regulation.py built its first load, which had to be the water_heater, as its variator, a constant or
    variable load after it as a relay, and skipped a water_heater after it without a word: never sent a command.
    Driven as a variator, it was sent a 0 at the start and percents after, a device the seed left alone; whether the
    line is a heater behind a second variator, a relay or a spare cannot be told, so the user says it. Said alike by
    the daemon's loader and, for one with a relay's sign, the calibration sweep."""
    if not cp.has_section("equipments") or not cp.has_option("equipments", name):
        return None
    heaters = [listed for listed, kind in cp.items("equipments", raw=True) if kind.strip().lower() == "water_heater"]
    if name.lower() not in heaters[1:]:
        return None
    head = (f"a second water_heater (after {heaters[0]}): the seed skipped it without a word (Coturex's regulation.py "
            "drove its first water_heater alone, as its variator, and never sent this one a command), where PySEB "
            "would drive it as a variator")
    if all(section.lower() != name.lower() for section in cp.sections()):
        # (the seed never read it: told "write variable" or "constant", the user was refused for the missing section)
        return (f"{head}, and it has no section [{name}]: delete the line to leave it alone as the seed did (a load "
                f"PySEB drives needs its section [{name}], with its topic_set_power)")
    said = relay_sign(cp[name], _SEED_PAYLOADS) if cp.has_section(name) else None
    leave = "or delete the line (and its section) to leave it alone as the seed did"
    if said is not None:
        return (f"{head}, but [{name}] {said}, and a relay's topic would be sent percents, which no relay takes: "
                f"write {name} = constant in [equipments], with {_with_power(cp, name)}, {leave}")
    return (f"{head}: write {name} = variable for a heater behind a variator (sent percents on its topic_set_power), "
            f"{name} = constant with its max_power for a relay, {leave}")


def _with_power(cp: configparser.ConfigParser, name: str) -> str:
    """A constant load's max_power as the advice to write it constant names it: the section's, or that it needs one."""
    max_power = cp.get(name, "max_power", raw=True, fallback=None) if cp.has_section(name) else None
    return (f"its max_power ({max_power.strip()} W, the watts it draws when on)" if max_power is not None
            and max_power.strip() and not is_unset_word(max_power) else
            f"its max_power in [{name}] (the watts it draws when on: a constant load needs it)")


def _relay_refusal(cp: configparser.ConfigParser, name: str, listed: str, said: str, first: bool) -> str:
    """seed_relay_listed_as_variable's words; for the first variable load, a heater behind a variator's way too."""
    with_power = _with_power(cp, name)
    payloads = [key for key in _SEED_PAYLOADS if key in cp[name]]
    # (the seed built its first load as a variator: what it did with a later one is no reason for the first)
    why = ("a relay (on/off at max_power) is what PySEB calls constant" if first else "the seed ran a variable load "
           "after the first as a relay (on/off at max_power), which PySEB calls constant")
    return (f"listed as {listed.strip()}, but [{name}] {said}: {why}: write {name} = constant in [equipments], with "
            f"{with_power}; driven as a variator, a relay's topic would be sent percents, which no relay takes"
            + ("; if it is a heater behind a variator, give topic_set_power the variator's command topic (e.g. "
               f"regul/vload/{name}/cmd)" + (f" and delete {'/'.join(payloads)}" if payloads else "") if first
               else ""))
