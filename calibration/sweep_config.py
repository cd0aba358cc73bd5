"""What a sweep needs from the daemon's INI file: the broker, and the load's command and meter topics.

Parsed by the daemon's own `read_parser` (same INI rules, inline `;` comments included); [mqtt] and the two
[evaluate] keys read by the daemon's own `SectionReader` and options (keys, aliases, defaults, words, ranges and
messages of its --check), with its rules (TLS files relative to the config file, `topic_regul` without its trailing
'/', [DEFAULT] refused), but not through the daemon's full loader: it validates far more than a sweep needs.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path
from typing import Any

from calibration.sweep_target import SweepTarget
from equipments.constant import RELAY_OPTIONS
from equipments.registry import BUILTIN
from equipments.variable import VariableEquipment
from equipments.variable_curve import default_calibration_paths, find_calibration
from integrations.domoticz_settings import MQTT_IGNORED
from settings.config import read_parser
from settings.device_checks import tasmota_field_warning
from settings.load_building import OWN_SECTIONS
from settings.options import is_unset_word
from settings.problems import ConfigError, ConfigProblem, unused_why_elsewhere, warning_lines
from settings.section_reader import SectionReader
from settings.sections import EVALUATE_OPTIONS, MQTT_OPTIONS
from settings.seed_loads import relay_sign, seed_keys_ignored, seed_relay_listed_as_variable
from settings.special_sections import refuse_defaults, take_defaults
from settings.tls_check import host_problem, tls_file_problems
from values.paths import user_path
from values.readings import json_field_problem

__all__ = ["SweepConfigError", "load_sweep_target", "other_curve_note"]

# What the sweep reads of [evaluate] and of the load's section (with [mqtt], whole).
_EVALUATE_KEYS = ("frozen_meter", "max_meter_power")
_LOAD_KEYS = ("topic_set_power", "topic_read_power", "json_read_power", "topic_status")
# A relay's own keys (json_on first: the one the seed's spare section shows), which no variator takes
_RELAY_KEYS = tuple(o.name for o in RELAY_OPTIONS if o.name not in {v.name for v in VariableEquipment.OPTIONS})


class SweepConfigError(ValueError):
    """The config file cannot drive a sweep; the message lists every problem with file, section and key."""


def _value(load: configparser.SectionProxy, key: str) -> str | None:
    """The load's `key`, None when absent or not set (empty, or the seed's `None` in any case, as the daemon's
    options read it: `NONE` was taken for a topic)."""
    raw = load.get(key)
    return raw.strip() if raw is not None and raw.strip() and not is_unset_word(raw) else None


def _path_or_none(value: str | None, config_dir: Path) -> str | None:
    """A file named in the config, relative to the config file's directory (the daemon's rule)."""
    if value is None:
        return None
    file = user_path(value)
    return str(file if file.is_absolute() else config_dir / file)


def _read(source: str) -> configparser.ConfigParser:
    if not os.path.isfile(source):
        raise SweepConfigError(f"{source}: config file not found")
    try:
        return read_parser(Path(source))
    except ConfigError as exc:
        # (rendered with its section and key: a section or key written twice is said in it, settings.ini_file._twice)
        raise SweepConfigError("\n".join(p.render(str(source)) for p in exc.problems)) from None


def load_sweep_target(path: str | os.PathLike[str], name: str, house_meter: bool = False) -> SweepTarget:
    """Read the [mqtt] section and the load's section `name`; SweepConfigError lists every problem.

    `house_meter` (the lag measure): the meter read is the house's, [mqtt] topic_cons with its json_power, and the
    load needs no meter of its own; [evaluate] settle is read too (`settle_s`)."""
    source = os.fspath(path)
    parser = _read(source)
    config_dir = Path(source).resolve().parent
    leaked = take_defaults(parser)  # (the daemon refuses [DEFAULT]: INI copies it into every section)

    problems: list[str] = []
    if not parser.has_section("mqtt"):
        problems.append(f"{source}: no [mqtt] section (the broker to use)")
    if parser.has_section(name) and name in OWN_SECTIONS:
        # (`--equipment mqtt` said "[mqtt] topic_set_power is missing: the variator's command topic")
        problems.append(f"{source}: [{name}] is PySEB's own section, not a load: give --equipment a load's name "
                        f"(loads in this file: {', '.join(_loads_named(parser)) or 'none'})")
        raise SweepConfigError("\n".join(problems))
    if not parser.has_section(name):
        known = _loads_named(parser)
        near = [s for s in known if s.lower() == name.lower()]
        hint = f"; section names differ in case: --equipment {near[0]}" if near else ""
        if parser.has_section("equipment") and not parser.has_section("equipments"):  # (as the daemon's check says)
            hint += ("; [equipment] (eq_1_* keys, an older format) is not read: list the loads in [equipments] (name "
                     "= type, e.g. ecs = variable) with a section each ([ecs] topic_set_power = ...)")
        problems.append(f"{source}: no section [{name}] (loads in this file: {', '.join(known) or 'none'}{hint})")
        raise SweepConfigError("\n".join(problems))
    load = parser[name]
    if (problem := _not_a_variator(parser, name)) is not None:
        raise SweepConfigError(f"{source}: {problem}")

    # [mqtt] and [evaluate] through the daemon's own reader: its keys, aliases, defaults, types, ranges and words.
    reader = SectionReader()
    mqtt = reader.read(parser, "mqtt", MQTT_OPTIONS, ignored=MQTT_IGNORED)
    evaluate_keys_read = _EVALUATE_KEYS + (("settle",) if house_meter else ())
    evaluate_options = [o for o in EVALUATE_OPTIONS if o.name in evaluate_keys_read]
    evaluate = reader.read(parser, "evaluate", evaluate_options)
    if mqtt["host"] is not None and (problem := host_problem(str(mqtt["host"]))):
        reader.problems.append(ConfigProblem("mqtt", "host", problem))
    tls_files = {key: _path_or_none(mqtt[key], config_dir) for key in ("ca_file", "cert_file", "key_file")}
    if mqtt["tls"]:
        reader.problems += [ConfigProblem("mqtt", key, said) for key, said in tls_file_problems(tls_files)]
    reader.known.setdefault(name, set()).update(_LOAD_KEYS)
    refuse_defaults(reader, [key for key in leaked if any(key in keys for keys in reader.known.values())])
    problems += [problem.render(source) for problem in reader.problems]
    # (not the "unknown key" of [evaluate]'s other keys: the daemon's, only not read by a sweep)
    evaluate_keys = {name for o in evaluate_options for name in (o.name, *o.aliases)}
    warned = [w for w in reader.warnings if w.section != "evaluate" or w.key in evaluate_keys]
    # (the seed's json_on/json_off left on its water heater: ignored, as the daemon's loader says, not refused)
    warned += [ConfigProblem(name, key, f"ignored: {why}") for key, why in seed_keys_ignored(parser, name).items()]

    topic_regul = str(mqtt["topic_regul"]).rstrip("/")
    topic_set = _value(load, "topic_set_power")
    topic_read = _value(load, "topic_read_power")
    if topic_set is None:
        problems.append(f"{source}: [{name}] topic_set_power is missing: the variator's command topic "
                        f"(e.g. regul/vload/ECS/cmd)")
    if house_meter:
        topic_read = str(mqtt["topic_cons"])
    elif topic_read is None:
        problems.append(f"{source}: [{name}] topic_read_power is missing: a sweep needs the load's own "
                        f"meter (e.g. smeter/pzem/ECS)")
    topic_status = _value(load, "topic_status")
    if topic_read is not None:
        # (the daemon's --check warns of it too: every reading dropped, the sweep stopped on "no usable reading")
        warned += _tasmota_field(name, topic_read, house_meter, str(mqtt["json_power"]) if house_meter else
                                   _value(load, "json_read_power") or "power")
    json_raw = load.get("json_read_power")
    if json_raw is not None and not json_raw.strip():  # (the daemon's rule: `key =` is no default)
        problems.append(f"{source}: [{name}] json_read_power: is empty: give a value, or delete the line for the "
                        "default, power")
    elif json_raw is not None and (json_problem := json_field_problem(json_raw.strip())) is not None:
        problems.append(f"{source}: [{name}] json_read_power: {json_problem}")
    read_key = "[mqtt] topic_cons" if house_meter else f"[{name}] topic_read_power"
    for key, topic in ((f"[{name}] topic_set_power", topic_set), (read_key, topic_read),
                       (f"[{name}] topic_status", topic_status)):
        if topic and any(c in topic for c in "+#"):
            problems.append(f"{source}: {key}: {topic!r} holds a wildcard (+ or #)")
    # (the keys PySEB does not use in one line, as the daemon says them, pointing at the daemon's check: the sweep has
    # no --check, and its problems, a meter to read, need not be the daemon's; the seed's [mqtt] topic_ecsMode had a
    # line of its own at each sweep)
    warning_text = warning_lines(source, warned, unused_why_elsewhere(source))
    if problems:
        # (with the warnings: a typo's "did you mean" often explains a problem, as the daemon's check shows both)
        raise SweepConfigError("\n".join(problems + [f"warning: {w}" for w in warning_text]))
    assert topic_set is not None and topic_read is not None  # for mypy: problems would have been raised
    target = SweepTarget(
        name=name,
        config_dir=config_dir,
        host=mqtt["host"],
        port=mqtt["port"],
        keepalive_s=mqtt["keepalive"],
        username=mqtt["username"],
        password=mqtt["password"],
        tls=mqtt["tls"],
        ca_file=tls_files["ca_file"],
        cert_file=tls_files["cert_file"],
        key_file=tls_files["key_file"],
        topic_set_power=topic_set,
        topic_read_power=topic_read,
        json_read_power=str(mqtt["json_power"]) if house_meter else _value(load, "json_read_power") or "power",
        topic_availability=mqtt["topic_availability"] or f"{topic_regul}/availability",
        topic_status=topic_status,
        frozen_meter=evaluate["frozen_meter"],
        max_meter_power_w=evaluate["max_meter_power"],
        calibration=_value(load, "calibration"),
        command_topic_note=_status_shaped(topic_set, topic_regul),
        config_warnings=tuple(warning_text),
        settle_s=evaluate["settle"] if house_meter else None,
    )
    if not house_meter and (problem := _not_the_loads_meter(target, mqtt)) is not None:
        raise SweepConfigError(f"{source}: [{name}] topic_read_power: {topic_read!r} is {problem}: a sweep needs "
                               f"the load's own meter (e.g. smeter/pzem/ECS)")
    return target


def _tasmota_field(name: str, topic: str, house_meter: bool, field_name: str) -> list[ConfigProblem]:
    """The daemon's warning of a meter on a Tasmota device's telemetry read at a flat field (settings.device_checks),
    for the meter the tool reads: the load's own, or the house's for the lag measure."""
    if house_meter:
        said = tasmota_field_warning("[mqtt] topic_cons", topic, "json_power", field_name)
        where = ConfigProblem("mqtt", "json_power", said or "")
    else:
        said = tasmota_field_warning("topic_read_power", topic, "json_read_power", field_name)
        where = ConfigProblem(name, "json_read_power", said or "")
    return [where] if said is not None else []


def _status_shaped(topic: str, topic_regul: str) -> str | None:
    """What to write instead of a command topic shaped as the variator's status topic, <topic_regul>/vload/<id>
    (Coturex's older equipment.py added /cmd itself), or None. The daemon's check (settings.topic_checks) warns of
    it; a sweep sending there never moves the heater, and its first step's 0 W looked like a hot tank."""
    if topic.endswith("/cmd") or not (topic.startswith(f"{topic_regul}/vload/")
                                      and topic.count("/") == topic_regul.count("/") + 2):
        return None
    return (f"topic_set_power {topic!r} is the shape of a variator's STATUS topic (<topic_regul>/vload/<id>): the "
            f"variator firmware takes its percents on <topic>/<name>/cmd only (Coturex's older equipment.py added /cmd "
            f"itself): write topic_set_power = {topic}/cmd")


def _loads_named(parser: configparser.ConfigParser) -> list[str]:
    """The loads [equipments] lists (section names keep their case there); without it, the sections that are not
    PySEB's own (a spare one the seed kept is listed then, as the daemon would not know either)."""
    if parser.has_section("equipments"):
        return [s for s in parser.sections() if s.lower() in parser["equipments"]]
    return [s for s in parser.sections() if s not in OWN_SECTIONS and s != "equipment"]


def _not_a_variator(parser: configparser.ConfigParser, name: str) -> str | None:
    """Why the load, as [equipments] lists it, has no percent curve to sweep (None: a variator, or not listed and
    without a relay's key).

    A relay's topic takes its json_on/json_off, not percents: the seed's sample's `resille = constant`, commanded
    through domoticz/in, was sent `100.0` down to `0.0` there. A user's own `package.module:Class` is let through."""
    listed = parser.get("equipments", name, raw=True, fallback=None) if parser.has_section("equipments") else None
    kind = None if listed is None else BUILTIN.get(listed.strip().lower())
    if listed is not None and kind is None:
        return None
    if listed is not None and kind != BUILTIN["variable"]:
        return (f"[equipments] {name} = {listed.strip()}: a sweep measures a variator's percent -> watts curve, and "
                f"{name} is switched whole (its watts are its max_power, or measured when on): it needs no "
                "calibration; sweep a variable load (a water_heater)")
    if listed is not None:
        # Listed as variable, its json_on/json_off or Domoticz's input: a seed config's relay (the daemon's rule and
        # words); it was sent `100.0`..`0.0` for the 500 s warm-up, and the 0 W read blamed on a hot tank.
        relay = seed_relay_listed_as_variable(parser, name)
        return None if relay is None else (f"[equipments] {name}: {relay}; a relay is switched whole (it needs no "
                                           "calibration)")
    # Not listed (the seed's spare [soufflant_a], filled in): a relay's key tells a relay, written at all, and so
    # does Domoticz's input topic.
    said = relay_sign(parser[name], _RELAY_KEYS)
    if said is None:
        return None
    return (f"[{name}] {said}: a sweep sends percents to its topic, which no relay takes, and a relay is "
            "switched whole (it needs no calibration); sweep a variable load (a water_heater)")


def _not_the_loads_meter(target: SweepTarget, mqtt: dict[str, Any]) -> str | None:
    """What else the sweep's meter topic is, when it is another device's (None: it may be the load's own meter).

    The variator's answers say `"power": 0` (it does not measure) and come once a command: the sweep stopped as if
    the meter were silent (the daemon refuses that topic too). The house's meters read the house: a curve with its
    consumption in it."""
    if target.topic_read_power == target.topic_variator_status:
        return "the variator's status topic (its answers' power is always 0: it does not measure)"
    for key in ("topic_cons", "topic_prod"):
        if target.topic_read_power == mqtt[key]:
            return f"[mqtt] {key}, one of the house's meters"
    return None


def other_curve_note(target: SweepTarget, csv_path: Path, config: str | os.PathLike[str]) -> str | None:
    """What to change for the regulator to load the sweep just written, when it would load another curve (the
    daemon's own find_calibration: the load's `calibration`, else calibration/power_calibration_<name>.csv, then
    ./power_calibration_<name>.csv beside the config file); None when it loads this one.

    config.ini.sample names an example curve in `calibration =`: swept into the default file, the heater was still
    commanded by the example's watts."""
    defaults = default_calibration_paths(target.name, target.config_dir)
    loaded = find_calibration(target.name, target.calibration, target.config_dir)
    written = csv_path.resolve()
    if loaded is not None and loaded.resolve() == written:
        return None
    shown = written.relative_to(target.config_dir) if written.is_relative_to(target.config_dir) else written
    delete = ", or delete the line" if written == defaults[0] else ""
    if target.calibration is not None:
        return (f"the regulator loads {target.calibration} ([{target.name}] calibration in {config}), not this "
                f"sweep: set calibration = {shown.as_posix()} there{delete}")
    return (f"the regulator does not load this sweep (it reads {loaded or defaults[0]}): set calibration = "
            f"{shown.as_posix()} in [{target.name}] of {config}")
