"""What a sweep needs from the daemon's INI file: the broker, and the load's command and meter topics.

Parsed by the daemon's own `read_parser` (same INI rules, inline `;` comments included) and read with
the daemon's keys, aliases and rules (TLS files relative to the config file, `topic_regul` without its
trailing '/'), but not through the daemon's full loader: it validates far more than a sweep needs.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from settings.config import read_parser
from settings.options import SectionReader, shown_default
from settings.problems import ConfigError
from settings.sections import EVALUATE_OPTIONS, MQTT_OPTIONS
from settings.tls_check import host_problem, tls_file_problems

__all__ = ["SweepConfigError", "SweepTarget", "load_sweep_target"]


class SweepConfigError(ValueError):
    """The config file cannot drive a sweep; the message lists every problem with file, section and key."""


@dataclass(frozen=True, slots=True)
class SweepTarget:
    """The broker and the topics of the one load being calibrated."""

    name: str
    config_dir: Path
    host: str
    port: int
    keepalive_s: int
    username: str | None
    password: str | None = field(repr=False)  # (never shown: a traceback or a debug print of the target)
    tls: bool
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    topic_set_power: str
    topic_read_power: str
    json_read_power: str
    topic_availability: str
    topic_status: str | None = None  # the load's own `topic_status` key, when its config sets one
    # [evaluate] frozen_meter, the daemon's: a reading that repeats the last one byte for byte is no new reading
    frozen_meter: bool = True
    # [evaluate] max_meter_power, the daemon's: a reading above it is a glitch, not the load's watts
    max_meter_power_w: float = 30000.0

    @property
    def topic_variator_status(self) -> str | None:
        """The variator's status topic, as the daemon takes it: the load's `topic_status`, else
        `regul/vload/ECS` for commands on `regul/vload/ECS/cmd`; None if neither."""
        if self.topic_status is not None:
            return self.topic_status
        return self.topic_set_power[: -len("/cmd")] if self.topic_set_power.endswith("/cmd") else None


def _value(section: configparser.SectionProxy, *keys: str) -> str | None:
    """The first of `keys` present and set; the seed writes `None` for "not set"."""
    for key in keys:
        raw = section.get(key)
        if raw is not None and raw.strip() not in ("", "None", "none"):
            return raw.strip()
    return None


def _bool(text: str | None) -> bool | None:
    if text is None:
        return False
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    return None


def _int(text: str | None, default: int, where: str, problems: list[str], low: int, high: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        problems.append(f"{where}: expected a whole number, got {text!r}")
        return default
    if not low <= value <= high:
        problems.append(f"{where}: {value} is outside {low}..{high}")
    return value


def _evaluate(parser: configparser.ConfigParser, key: str, source: str, problems: list[str]) -> Any:
    """[evaluate] `key` as the daemon reads it (its option's type, range and default)."""
    option = next(o for o in EVALUATE_OPTIONS if o.name == key)
    text = _value(parser["evaluate"], key) if parser.has_section("evaluate") else None
    if text is None:
        return option.default
    try:
        return option.parse(text)
    except ValueError as exc:
        problems.append(f"{source}: [evaluate] {key}: {exc}")
        return option.default


def _path_or_none(value: str | None, config_dir: Path) -> str | None:
    """A file named in the config, relative to the config file's directory (the daemon's rule)."""
    if value is None:
        return None
    file = Path(value).expanduser()
    return str(file if file.is_absolute() else config_dir / file)


def _read(source: str) -> configparser.ConfigParser:
    if not os.path.isfile(source):
        raise SweepConfigError(f"{source}: config file not found")
    try:
        return read_parser(Path(source))
    except ConfigError as exc:
        raise SweepConfigError("\n".join(f"{source}: {p.message}" for p in exc.problems)) from None


def load_sweep_target(path: str | os.PathLike[str], name: str) -> SweepTarget:
    """Read the [mqtt] section and the load's section `name`; SweepConfigError lists every problem."""
    source = os.fspath(path)
    parser = _read(source)
    config_dir = Path(source).resolve().parent

    problems: list[str] = []
    if not parser.has_section("mqtt"):
        problems.append(f"{source}: no [mqtt] section (the broker to use)")
    mqtt = parser["mqtt"] if parser.has_section("mqtt") else parser[parser.default_section]
    if not parser.has_section(name):
        known = [s for s in parser.sections() if s not in ("mqtt", "evaluate", "status", "logging", "debug",
                                                           "equipments", "domoticz", "openweathermap")]
        problems.append(f"{source}: no section [{name}] (loads in this file: {', '.join(known) or 'none'})")
        raise SweepConfigError("\n".join(problems))
    load = parser[name]

    problems += _empty_broker_keys(mqtt, source)
    host = _broker_host(parser, source, problems)
    port = _int(_value(mqtt, "port"), 1883, f"{source}: [mqtt] port", problems, 1, 65535)
    keepalive = _int(_value(mqtt, "keepalive"), 60, f"{source}: [mqtt] keepalive", problems, 5, 3600)
    tls = _bool(_value(mqtt, "tls"))
    if tls is None:
        problems.append(f"{source}: [mqtt] tls: expected true or false, got {_value(mqtt, 'tls')!r}")
    tls_files = {key: _path_or_none(_value(mqtt, key), config_dir) for key in ("ca_file", "cert_file", "key_file")}
    if tls:
        problems += [f"{source}: [mqtt] {key}: {problem}" for key, problem in tls_file_problems(tls_files)]
    topic_regul = (_value(mqtt, "topic_regul") or "regul").rstrip("/")
    topic_set = _value(load, "topic_set_power")
    topic_read = _value(load, "topic_read_power")
    if topic_set is None:
        problems.append(f"{source}: [{name}] topic_set_power is missing: the variator's command topic "
                        f"(e.g. regul/vload/ECS/cmd)")
    if topic_read is None:
        problems.append(f"{source}: [{name}] topic_read_power is missing: a sweep needs the load's own "
                        f"meter (e.g. smeter/pzem/ECS)")
    topic_status = _value(load, "topic_status")
    frozen_meter = bool(_evaluate(parser, "frozen_meter", source, problems))
    max_meter_power_w = float(_evaluate(parser, "max_meter_power", source, problems))
    json_raw = load.get("json_read_power")
    if json_raw is not None and not json_raw.strip():  # (the daemon's rule: `key =` is no default)
        problems.append(f"{source}: [{name}] json_read_power: is empty: give a value, or delete the line for the "
                        "default, power")
    for key, topic in (("topic_set_power", topic_set), ("topic_read_power", topic_read),
                       ("topic_status", topic_status)):
        if topic and any(c in topic for c in "+#"):
            problems.append(f"{source}: [{name}] {key}: {topic!r} holds a wildcard (+ or #)")
    if problems:
        raise SweepConfigError("\n".join(problems))
    assert topic_set is not None and topic_read is not None  # for mypy: problems would have been raised
    target = SweepTarget(
        name=name,
        config_dir=config_dir,
        host=host,
        port=port,
        keepalive_s=keepalive,
        username=_value(mqtt, "username"),
        password=_value(mqtt, "password"),
        tls=bool(tls),
        ca_file=tls_files["ca_file"],
        cert_file=tls_files["cert_file"],
        key_file=tls_files["key_file"],
        topic_set_power=topic_set,
        topic_read_power=topic_read,
        json_read_power=_value(load, "json_read_power") or "power",
        topic_availability=_value(mqtt, "topic_availability") or f"{topic_regul}/availability",
        topic_status=topic_status,
        frozen_meter=frozen_meter,
        max_meter_power_w=max_meter_power_w,
    )
    if (problem := _not_the_loads_meter(target, mqtt)) is not None:
        raise SweepConfigError(f"{source}: [{name}] topic_read_power: {topic_read!r} is {problem}: a sweep needs "
                               f"the load's own meter (e.g. smeter/pzem/ECS)")
    return target


def _broker_host(parser: configparser.ConfigParser, source: str, problems: list[str]) -> str:
    """[mqtt] host read by the daemon's own reader: the first key given of host and its seed name broker_ip, the seed's
    None for the default (the sweep's copy skipped `host = None` for a `broker_ip` beside it: another broker than
    the daemon's), and the daemon's check of the name."""
    option = next(o for o in MQTT_OPTIONS if o.name == "host")
    reader = SectionReader()
    host = reader.read(parser, "mqtt", [option])["host"]
    problems += [problem.render(source) for problem in reader.problems]
    if host is not None and (problem := host_problem(str(host))):
        problems.append(f"{source}: [mqtt] host: {problem}")
    return str(host) if host is not None else str(option.default)


def _empty_broker_keys(mqtt: configparser.SectionProxy, source: str) -> list[str]:
    """The daemon's rule for the [mqtt] keys read here with a default: `key =` is a value deleted, refused (`port =`
    read as 1883 here, the file refused by the daemon, drove the variator through the machine's own broker). (host
    and its seed name broker_ip: `_broker_host`.)"""
    problems = []
    for option in (o for o in MQTT_OPTIONS if o.name in ("port", "keepalive", "tls", "topic_regul")):
        given = next((key for key in (option.name, *option.aliases) if key in mqtt), None)
        if given is not None and not mqtt[given].strip():
            problems.append(f"{source}: [mqtt] {given}: is empty: give a value, or delete the line for the default, "
                            f"{shown_default(option.default)}")
    return problems


def _not_the_loads_meter(target: SweepTarget, mqtt: configparser.SectionProxy) -> str | None:
    """What else the sweep's meter topic is, when it is another device's (None: it may be the load's own meter).

    The variator's answers say `"power": 0` (it does not measure) and come once a command: the sweep stopped as if
    the meter were silent (the daemon refuses that topic too). The house's meters read the house: a curve with its
    consumption in it."""
    if target.topic_read_power == target.topic_variator_status:
        return "the variator's status topic (its answers' power is always 0: it does not measure)"
    for option in MQTT_OPTIONS:
        if option.name in ("topic_cons", "topic_prod") and target.topic_read_power == (
                _value(mqtt, option.name, *option.aliases) or option.default):
            return f"[mqtt] {option.name}, one of the house's meters"
    return None
