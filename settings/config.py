"""Read a config.ini into validated settings and built loads. Every problem of the file is collected
and reported at once (ConfigError); nothing is published or opened before this succeeds."""

from __future__ import annotations

import configparser
import difflib
import functools
import logging
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from equipments.base import BuildContext, Equipment, EquipmentBuildError
from equipments.constant import CLOSED_LOOP_RELAY_KEYS
from equipments.registry import resolve_kind
from field.config import (
    FIELD_EVALUATE_IGNORED,
    FIELD_EVALUATE_OPTIONS,
    FIELD_LOAD_OPTIONS,
    FIELD_SECTIONS,
    FieldSettings,
    read_field_settings,
)
from integrations.domoticz_settings import MQTT_IGNORED
from settings.inline_comments import cut_values
from settings.load_checks import warn_capped_max_power, warn_closed_loop_keys, warn_curve, warn_kilowatts
from settings.options import SectionReader, parse_bool, resolved
from settings.problems import ConfigError, ConfigProblem
from settings.sections import (
    EVALUATE_OPTIONS,
    IGNORED_SECTIONS,
    LEGACY_IGNORED,
    LOGGING_OPTIONS,
    MQTT_OPTIONS,
    OLD_EQUIPMENT_FORMAT,
    RECORD_OPTIONS,
    SEED_EVALUATE_IGNORED,
    SEED_LOAD_IGNORED,
    SEED_LOG_FILE,
    SEED_LOG_FILE_NAME,
    STATUS_OPTIONS,
    EvaluateSettings,
    LoggingSettings,
    MqttSettings,
    RecordSettings,
    StatusSettings,
)
from settings.slips import config_text
from settings.tls_check import host_problem, tls_file_problems
from settings.topics import TopicRole, topic_problem, topic_warning

log = logging.getLogger(__name__)
P = ParamSpec("P")
# Keys of [evaluate] read and let go, each with what the user is told: the seed's daily-rule keys it never used,
# and those of Coturex's later configs that PySEB does another way (the reference lists the same).
# And a relay's dwell and band, which belong in each relay's own section (the README's table once listed
# them beside [evaluate]'s: "unknown key, ignored" did not say where they go).
RELAY_KEYS_IN_EVALUATE: dict[str, str] = {
    key: "a relay's key: set it in each relay's own section ([radiator], say), not in [evaluate]"
    for key in CLOSED_LOOP_RELAY_KEYS}
EVALUATE_IGNORED: dict[str, str] = {**FIELD_EVALUATE_IGNORED, **SEED_EVALUATE_IGNORED, **RELAY_KEYS_IN_EVALUATE}

# Sections other parts of PySEB read; the daemon's loader leaves their keys to them.
EXTENSION_SECTIONS: set[str] = {"simulation"}
LOAD_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Every section PySEB or its tools read: none can also be a load's.
OWN_SECTIONS: frozenset[str] = frozenset({"mqtt", "evaluate", "status", "logging", "record", "debug", "equipments",
                                          *FIELD_SECTIONS, *EXTENSION_SECTIONS})


@dataclass(frozen=True, slots=True)
class Settings:
    """A whole, valid configuration: the daemon's sections and the loads in priority order."""

    path: Path
    mqtt: MqttSettings
    evaluate: EvaluateSettings
    status: StatusSettings
    logging: LoggingSettings
    equipments: tuple[Equipment, ...]
    field: FieldSettings  # full tank clear, low-energy fallback, Domoticz
    record: RecordSettings
    parser: configparser.ConfigParser  # for the parts that read their own sections
    warnings: tuple[str, ...]

    @property
    def tzinfo(self) -> ZoneInfo | None:
        """The configured time zone, or None for the system's local time."""
        return ZoneInfo(self.evaluate.timezone) if self.evaluate.timezone else None


def read_parser(path: Path) -> configparser.ConfigParser:
    """Parse the INI file itself; syntax errors become a ConfigError."""
    # Values such as json_on = {"command": ...} hold '%' and ':' freely: no interpolation.
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",), strict=True)
    cp.optionxform = str.lower  # type: ignore[assignment,method-assign]
    try:
        cp.read_string(config_text(path.read_bytes()), str(path))
    except FileNotFoundError:
        raise ConfigError(str(path), [ConfigProblem("-", None, f"file not found; {_sample_hint(path)}")]) from None
    except ValueError as exc:  # (not text: a configparser.Error is none)
        raise ConfigError(str(path), [ConfigProblem("-", None, str(exc))]) from None
    except (configparser.Error, OSError) as exc:
        message = str(exc).replace("\n", " ")
        raise ConfigError(str(path), [ConfigProblem("-", None, f"cannot parse: {message}")]) from None
    return cp


def _sample_hint(path: Path) -> str:
    """How to make the missing file: copy the sample that sits beside regulation.py (a checkout), or the one `pip
    install .` put in <prefix>/share/pyseb (regulation.py is then in <prefix>/lib/pythonX.Y/site-packages)."""
    root = Path(__file__).resolve().parent.parent
    candidates = [root / "config.ini.sample"]
    if len(root.parents) > 2:
        candidates.append(root.parents[2] / "share" / "pyseb" / "config.ini.sample")
    sample = next((c for c in candidates if c.is_file()), candidates[0])
    try:
        shown = sample.relative_to(Path.cwd())
    except ValueError:
        shown = sample
    return f"start from the sample: cp {shown} {path}, then edit it"


def load_settings(path: str | Path) -> Settings:
    """The validated settings of `path`, loads built; ConfigError lists every problem otherwise."""
    path = Path(path)
    cp = read_parser(path)
    config_dir = path.resolve().parent
    reader = SectionReader()
    leaked = _take_defaults(cp)

    mqtt_raw = reader.read(cp, "mqtt", MQTT_OPTIONS, ignored=MQTT_IGNORED)
    evaluate_raw = reader.read(cp, "evaluate", EVALUATE_OPTIONS + FIELD_EVALUATE_OPTIONS, ignored=EVALUATE_IGNORED)
    status_raw = reader.read(cp, "status", STATUS_OPTIONS)
    logging_raw = reader.read(cp, "logging", LOGGING_OPTIONS)
    record_raw = reader.read(cp, "record", RECORD_OPTIONS)
    _apply_debug_section(cp, reader, status_raw, logging_raw)
    reader.warnings += cut_values(path, cp)

    timezone = evaluate_raw.get("timezone")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # (OSError: a name too long for a file's)
            reader.problems.append(ConfigProblem("evaluate", "timezone", f"unknown time zone {timezone!r}"))
    if mqtt_raw.get("tls") and not mqtt_raw.get("ca_file"):
        reader.problems.append(ConfigProblem("mqtt", "ca_file", "is required when tls = true"))
    if mqtt_raw.get("host") is not None and (problem := host_problem(str(mqtt_raw["host"]))):
        reader.problems.append(ConfigProblem("mqtt", "host", problem))
    # (no rule ties meter_timeout to period: the meters publish every ~2 s whatever the period, a reading's age is
    # what goes stale, and a seed's `period = 10` was refused under the default 10 s timeout for a flapping that
    # does not happen)
    _check_files(reader, mqtt_raw, status_raw, logging_raw, config_dir)
    record_dir = Path(_path_or_none(record_raw["dir"], config_dir) or config_dir)
    if record_raw["enabled"]:
        _check_record_dir(reader, record_dir)

    equipments = _build_equipments(cp, reader, config_dir)
    for load in equipments:
        warn_capped_max_power(reader, load)
        warn_curve(reader, load)
        warn_kilowatts(reader, load)
    warn_closed_loop_keys(reader, cp, evaluate_raw.get("algorithm"), equipments)
    field = read_field_settings(cp, reader, evaluate_raw, equipments, mqtt_raw.get("client_id") or "pyseb")
    _warn_unused_sections(cp, reader, {e.name for e in equipments})
    root = mqtt_raw["topic_regul"].rstrip("/")
    derived = {key for key in ("topic_status", "topic_mode", "topic_availability", "topic_report")
               if not mqtt_raw[key]}
    for key in derived:
        mqtt_raw[key] = f"{root}/{key.removeprefix('topic_')}"
    _check_topics(reader, mqtt_raw, equipments, field.forecast.mqtt_topic)
    for load in equipments:
        _check_variator_command_topic(reader, load, root)
    _check_topic_roles(reader, mqtt_raw, equipments, field, derived)
    _refuse_defaults(reader, leaked)
    reader.place_unknown_keys()

    if reader.problems:
        raise ConfigError(str(path), reader.problems, reader.warnings)

    mqtt = MqttSettings(
        host=mqtt_raw["host"], port=mqtt_raw["port"], keepalive=mqtt_raw["keepalive"],
        client_id=mqtt_raw["client_id"], username=mqtt_raw["username"], password=mqtt_raw["password"],
        tls=mqtt_raw["tls"], ca_file=_path_or_none(mqtt_raw["ca_file"], config_dir),
        cert_file=_path_or_none(mqtt_raw["cert_file"], config_dir),
        key_file=_path_or_none(mqtt_raw["key_file"], config_dir),
        topic_cons=mqtt_raw["topic_cons"], topic_prod=mqtt_raw["topic_prod"], json_power=mqtt_raw["json_power"],
        topic_regul=root, topic_status=mqtt_raw["topic_status"], topic_mode=mqtt_raw["topic_mode"],
        topic_availability=mqtt_raw["topic_availability"], topic_report=mqtt_raw["topic_report"],
    )
    evaluate = EvaluateSettings(
        margin_w=resolved(evaluate_raw["margin"], evaluate_raw["algorithm"]),  # (unset: the algorithm's)
        balance_threshold_w=evaluate_raw["balance_threshold"],
        period_s=evaluate_raw["period"], meter_timeout_s=evaluate_raw["meter_timeout"],
        algorithm=evaluate_raw["algorithm"], gain=evaluate_raw["gain"], settle_s=evaluate_raw["settle"],
        anticipate=evaluate_raw["anticipate"], anticipate_rise=evaluate_raw["anticipate_rise"],
        dither_import_w=evaluate_raw["dither_import"],
        import_guard_w=evaluate_raw["import_guard"], import_guard_s=evaluate_raw["import_guard_time"],
        rising_rate_w_s=evaluate_raw["rising_rate"],
        frozen_meter=evaluate_raw["frozen_meter"],
        status_time_s=evaluate_raw["status_time"], status_interval_s=evaluate_raw["status_interval"],
        timezone=timezone,
        max_meter_power_w=evaluate_raw["max_meter_power"],
    )
    status_file = Path(status_raw["file"]).expanduser()
    log_file = logging_raw["file"]
    return Settings(
        path=path, mqtt=mqtt, evaluate=evaluate,
        status=StatusSettings(status_file if status_file.is_absolute() else config_dir / status_file,
                              status_raw["persistent"]),
        logging=LoggingSettings(logging_raw["level"], Path(_path_or_none(log_file, config_dir) or "")
                                if log_file else None, logging_raw["max_bytes"], logging_raw["backup_count"]),
        equipments=tuple(equipments), field=field, parser=cp,
        record=RecordSettings(record_raw["enabled"], record_dir, record_raw["keep_days"],
                              record_raw["flush_interval"], int(record_raw["max_day_mb"] * 1_000_000)),
        warnings=tuple(w.render(str(path)) for w in reader.warnings),
    )


def _take_defaults(cp: configparser.ConfigParser) -> list[str]:
    """The keys of the file's [DEFAULT], taken out of `cp`: INI copies them into every section, where each would be
    read again (as a load's name in [equipments], a key in every load), each with an error that did not say why."""
    leaked = list(cp.defaults())
    for key in leaked:
        cp.remove_option(cp.default_section, key)
    return leaked


def _refuse_defaults(reader: SectionReader, leaked: list[str]) -> None:
    """One problem per key of [DEFAULT], naming the section(s) that take it (once every section is read)."""
    found = []
    for key in leaked:
        homes = sorted(section for section, keys in reader.known.items() if key in keys)
        where = (f"move it to {', '.join(f'[{home}]' for home in homes)}" if homes
                 else "no section of PySEB takes it: delete it")
        found.append(ConfigProblem("DEFAULT", key, "[DEFAULT] is copied into every section by the INI format (in "
                                   f"[equipments], {key} would be a load): {where}"))
    reader.problems[:0] = found


def _apply_debug_section(cp: configparser.ConfigParser, reader: SectionReader, status_raw: dict[str, Any],
                         logging_raw: dict[str, Any]) -> None:
    """The seed's [debug] keys that still mean something: use_persistent and log_file."""
    if not cp.has_section("debug"):
        return
    debug = cp["debug"]
    known = {"use_persistent", "log_file", "log_file_name"}
    if "simulation" in debug:
        _check_seed_dry_run(debug["simulation"], reader)
    for key in debug:
        if key == "simulation":
            continue
        if key not in known and key not in LEGACY_IGNORED["debug"]:
            reader.warnings.append(ConfigProblem("debug", key, "unknown key, ignored"))
        elif key in LEGACY_IGNORED["debug"]:
            reader.warnings.append(ConfigProblem("debug", key, f"ignored: {LEGACY_IGNORED['debug'][key]}"))
    if "use_persistent" in debug and not cp.has_option("status", "persistent"):
        try:
            status_raw["persistent"] = parse_bool(debug["use_persistent"])
        except ValueError as exc:
            reader.problems.append(ConfigProblem("debug", "use_persistent", str(exc)))
    if "log_file" not in debug or logging_raw.get("file"):
        return  # ([logging] file wins: the seed's keys are not read, nor warned of)
    log_file = reader.read_key("debug", SEED_LOG_FILE, "log_file", debug["log_file"])
    if not log_file:
        return
    lowered = log_file.lower()
    if lowered in ("true", "yes", "on"):  # Coturex: log_file = true + log_file_name = pv.log
        logging_raw["file"] = (reader.read_key("debug", SEED_LOG_FILE_NAME, "log_file_name", debug["log_file_name"])
                               if "log_file_name" in debug else SEED_LOG_FILE_NAME.default)
    elif lowered not in ("false", "no", "off"):
        logging_raw["file"] = log_file


def _check_seed_dry_run(raw: str, reader: SectionReader) -> None:
    """The seed's `[debug] simulation = true` was a dry run: its commands went under simu/ and the devices were
    never driven. PySEB has no such mode: taken as ignored, the file that drove nothing would drive the real
    loads. Refused, with what to do; false is ignored as the other debug keys."""
    try:
        dry_run = parse_bool(raw)
    except ValueError as exc:
        reader.problems.append(ConfigProblem("debug", "simulation", str(exc)))
        return
    if dry_run:
        reader.problems.append(ConfigProblem("debug", "simulation", "true was the seed's dry run (no device "
                                             "driven); PySEB has none and would drive the real loads: set it to "
                                             "false (or delete it) to regulate for real, or try PySEB on a "
                                             "simulated house: make demo"))
    else:
        reader.warnings.append(ConfigProblem("debug", "simulation", "false: ignored, PySEB drives the loads (to try "
                                             "it without them: make demo)"))


def _rename_hint(name: str) -> str:
    """'; rename it and its section (sechoir)' for a name the seed took (séchoir, ballon ecs), or ''."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9_-]+", "_", plain).strip("_")
    return f"; rename it and its section ({plain})" if plain and LOAD_NAME.fullmatch(plain) else ""


def _build_equipments(cp: configparser.ConfigParser, reader: SectionReader,
                      config_dir: Path) -> list[Equipment]:
    if not cp.has_section("equipments") or not cp["equipments"]:
        # An older config lists its loads in [equipment]: say so with the error, the section's own warning
        # is printed only for a config that loads.
        old_format = f"; {OLD_EQUIPMENT_FORMAT}" if cp.has_section("equipment") else ""
        reader.problems.append(ConfigProblem("equipments", None,
                                             f"no load listed (name = type, one a line){old_format}"))
        return []
    built: list[Equipment] = []
    context = BuildContext(config_dir=config_dir)
    for name, type_name in cp.items("equipments", raw=True):
        if not LOAD_NAME.fullmatch(name):
            # A load's name heads columns of the recorded days (a space or a comma made every day unreadable by
            # report, replay and tune), and Home Assistant's topics and ids.
            reader.problems.append(ConfigProblem("equipments", name, "a load's name takes letters without accents "
                                                 "(a-z), digits, _ and - only (it names the recorded days' columns "
                                                 f"and MQTT topics){_rename_hint(name)}"))
            continue
        if name.lower() in OWN_SECTIONS:
            # Its section would be PySEB's own: read twice, as the load's options and as [record]'s or [mqtt]'s.
            reader.problems.append(ConfigProblem("equipments", name, f"a load cannot be named like PySEB's own "
                                                 f"section [{name.lower()}]: rename it (and its section)"))
            continue
        try:
            cls = resolve_kind(type_name)
        except ValueError as exc:
            reader.problems.append(ConfigProblem("equipments", name, str(exc)))
            continue
        if not cp.has_section(name):
            # (the names in [equipments] are keys, read in lower case, while section names keep theirs)
            near = next((section for section in cp.sections() if section.lower() == name), None)
            hint = (f" ([{near}] differs only in case: names in [equipments] are read in lower case, so name the "
                    f"section [{name}])" if near else "")
            reader.problems.append(ConfigProblem(name, None, f"section [{name}] for load {name!r} is missing{hint}"))
            continue
        before = len(reader.problems)
        options = reader.read(cp, name, cls.OPTIONS + FIELD_LOAD_OPTIONS, ignored=SEED_LOAD_IGNORED)
        if len(reader.problems) > before:
            continue  # its options are wrong: building it would only add noise
        try:
            built.append(cls(name, options, context))
        except EquipmentBuildError as exc:
            reader.problems.append(ConfigProblem(name, exc.key, str(exc) + _seed_relay_hint(cp, name, cls, exc)))
    return built


def _seed_relay_hint(cp: configparser.ConfigParser, name: str, cls: type[Equipment],
                     exc: EquipmentBuildError) -> str:
    """For a variable load with no calibration but a relay's payloads: Coturex's regulation.py built every
    `variable` load after its first (the water_heater) as a relay, so a seed config says `variable` of a relay."""
    if exc.key != "calibration" or cls.KIND != "variable" or not any(
            cp.has_option(name, key) for key in ("json_on", "json_off")):
        return ""
    return (f"; its section has a relay's json_on/json_off: the seed ran a variable load after the first as a relay "
            f"(on/off at max_power), which PySEB calls constant: write {name} = constant in [equipments]")


def _warn_unused_sections(cp: configparser.ConfigParser, reader: SectionReader, loads: set[str]) -> None:
    own = OWN_SECTIONS
    for section in cp.sections():
        if section in own or section in loads:
            continue
        if section in IGNORED_SECTIONS:
            reader.warnings.append(ConfigProblem(section, None, f"section ignored: {IGNORED_SECTIONS[section]}"))
        elif cp.has_section("equipments") and cp.has_option("equipments", section):
            continue  # a listed load that failed to build: already reported
        elif section.lower() in own - EXTENSION_SECTIONS:
            # Section names are read as written: every key of [MQTT] or [Fallback] was dropped for its default
            # (the broker, the topics, seed_rule = false), with a warning that did not say why.
            reader.problems.append(ConfigProblem(section, None, f"PySEB's section names are lower case: name it "
                                                 f"[{section.lower()}] (as written, all its keys would be ignored)"))
        else:
            listed = set(cp["equipments"]) if cp.has_section("equipments") else set()
            hint = difflib.get_close_matches(section.lower(), sorted(own | loads | listed), n=1)
            extra = f" (did you mean [{hint[0]}]?)" if hint else ""
            reader.warnings.append(ConfigProblem(section, None,
                                                 "section ignored: not a PySEB section nor a load listed in "
                                                 f"[equipments]{extra}"))


def _check_topics(reader: SectionReader, mqtt_raw: dict[str, Any], equipments: list[Equipment],
                  forecast_topic: str | None) -> None:
    """One topic for two roles: a meter reading taken for the other meter, a status or a load's command
    read back as a mode command, a forecast read as a meter. Each role must have its own topic."""
    owner: dict[str, str] = {}
    for key in ("topic_cons", "topic_prod", "topic_mode", "topic_status", "topic_availability", "topic_report"):
        topic = mqtt_raw.get(key)
        if not topic:
            continue
        if topic in owner:
            reader.problems.append(ConfigProblem("mqtt", key, f"{topic!r} is also [mqtt] {owner[topic]}: "
                                                 "each needs its own topic"))
        else:
            owner[topic] = key
    if forecast_topic and forecast_topic in owner:
        reader.problems.append(ConfigProblem("forecast", "topic", f"{forecast_topic!r} is also [mqtt] "
                                             f"{owner[forecast_topic]}: each needs its own topic"))
    for load in equipments:
        topic = load.options.get("topic_set_power")
        if topic in owner:
            reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is also [mqtt] "
                                                 f"{owner[topic]}: its commands would be read back as that"))
        own_meter = load.options.get("topic_read_power")
        if own_meter in owner:
            reader.problems.append(ConfigProblem(load.name, "topic_read_power", f"{own_meter!r} is also [mqtt] "
                                                 f"{owner[own_meter]}: the load's own meter (what it alone draws) "
                                                 "needs its own topic"))


def _check_variator_command_topic(reader: SectionReader, load: Equipment, topic_regul: str) -> None:
    """A variable load's commands go to the variator's `<topic>/<name>/cmd`. Coturex's older equipment.py
    added the /cmd itself, so its configs say `regul/vload/ECS`: PySEB would then send every percent to
    the variator's status topic and the heater would never move."""
    if load.KIND != "variable":
        return
    topic = load.topic_set_power
    status = getattr(load, "topic_status", None)
    if status and load.options.get("topic_read_power") == status:
        # The variator's answers say `"power": 0` always (it does not measure): read as the heater's own meter,
        # every command looked like a tank that draws nothing, "full" for the day, every day.
        reader.problems.append(ConfigProblem(load.name, "topic_read_power", f"{status!r} is this load's "
                                             "topic_status, the variator's own answers (their power is always 0: "
                                             "it does not measure): name the heater's power meter (e.g. "
                                             "smeter/pzem/ECS), or leave it out"))
    if status and topic == status:
        # Not a firmware question: the load would read its own commands back as the variator's answers
        # (and never command the device), whatever the firmware.
        reader.problems.append(ConfigProblem(load.name, "topic_set_power", f"{topic!r} is also this load's "
                                             "topic_status (the variator's status topic): commands go to "
                                             f"its command topic, e.g. {topic}/cmd"))
        return
    if topic.endswith("/cmd"):
        return
    # A warning, not an error: the topic's shape is a strong hint, not a certainty. The seed's own README puts
    # the percent at <vload_topic>/<id>, and another firmware (or a user's script) may take commands there.
    advice = (f"the variator firmware takes commands on <topic>/<name>/cmd only; if {topic!r} is its status "
              f"topic (Coturex's older equipment.py added /cmd itself), write topic_set_power = {topic}/cmd")
    if topic.startswith(f"{topic_regul}/vload/") and topic.count("/") == topic_regul.count("/") + 2:
        message = (f"{topic!r} is the shape of a variator's STATUS topic (<topic_regul>/vload/<id>): the "
                   f"heater would never move; {advice}")
    else:
        message = f"{topic!r} does not end in /cmd: {advice} (ignore this for another firmware)"
    reader.warnings.append(ConfigProblem(load.name, "topic_set_power", message))


# PySEB's own topics, whose shape no device imposes: a leading / in one is a slip (settings.topics.topic_warning).
OWN_TOPIC_KEYS = frozenset({("mqtt", "topic_regul"), ("mqtt", "topic_mode"), ("mqtt", "topic_status"),
                            ("mqtt", "topic_availability"), ("mqtt", "topic_report"), ("forecast", "topic"),
                            ("domoticz", "topic_in"), ("domoticz", "topic_out")})


def _check_topic_roles(reader: SectionReader, mqtt_raw: dict[str, Any], equipments: list[Equipment],
                       field: FieldSettings, derived: set[str]) -> None:
    """Every topic checked for what it is used as (settings.topics): one clear line per bad topic, one warning per
    suspicious one the file gives (those `derived` from topic_regul repeat its own)."""
    publish, read = TopicRole.PUBLISH, TopicRole.READ
    checks: list[tuple[str, str, Any, TopicRole]] = [
        ("mqtt", "topic_cons", mqtt_raw.get("topic_cons"), read),
        ("mqtt", "topic_prod", mqtt_raw.get("topic_prod"), read),
        ("mqtt", "topic_mode", mqtt_raw.get("topic_mode"), read),
        ("mqtt", "topic_status", mqtt_raw.get("topic_status"), publish),
        ("mqtt", "topic_availability", mqtt_raw.get("topic_availability"), publish),
        ("mqtt", "topic_report", mqtt_raw.get("topic_report"), publish),
    ]
    if field.forecast.mqtt_topic is not None:
        checks.append(("forecast", "topic", field.forecast.mqtt_topic, read))
    if mqtt_raw.get("topic_regul") is not None and not mqtt_raw["topic_regul"].strip("/"):
        checks.append(("mqtt", "topic_regul", "", publish))
    if field.domoticz.send or field.domoticz.idx_ecs_mode or any(
            e.options.get("domoticz_idx_force") for e in equipments):
        checks += [("domoticz", "topic_in", field.domoticz.topic_in, publish),
                   ("domoticz", "topic_out", field.domoticz.topic_out, read)]
    for load in equipments:
        checks.append((load.name, "topic_set_power", load.topic_set_power, publish))
        given = {key: value for key, value in load.options.items()
                 if key.startswith("topic_") and key != "topic_set_power" and value is not None}
        checks += [(load.name, key, value, read) for key, value in given.items()]
        if any(topic_problem(str(v), read) for v in given.values()) or topic_problem(load.topic_set_power, publish):
            continue  # topics derived from a bad one would only repeat its problem
        for topic in load.subscriptions():  # topics derived from others (a variator's status and boot topics)
            if topic not in given.values():
                checks.append((load.name, "topic_set_power", topic, read))
    seen: set[tuple[str, str]] = set()
    for section, key, value, role in checks:
        problem = topic_problem(None if value is None else str(value), role)
        if problem and (section, key) not in seen:
            seen.add((section, key))
            reader.problems.append(ConfigProblem(section, key, problem))
    to_warn = [(section, key, value) for section, key, value, _ in checks
               if (section, key) not in seen and not (section == "mqtt" and key in derived) and value]
    if mqtt_raw.get("topic_regul") and ("mqtt", "topic_regul") not in seen:
        to_warn.append(("mqtt", "topic_regul", mqtt_raw["topic_regul"].rstrip("/")))
    warned: set[tuple[str, str]] = set()
    for section, key, value in to_warn:
        if (section, key) not in warned and (warning := topic_warning(str(value), (section, key) in OWN_TOPIC_KEYS)):
            warned.add((section, key))
            reader.warnings.append(ConfigProblem(section, key, warning))


def _check_files(reader: SectionReader, mqtt_raw: dict[str, Any], status_raw: dict[str, Any],
                 logging_raw: dict[str, Any], config_dir: Path) -> None:
    """Files the daemon opens only once running: a wrong path is a config problem, found by --check, and
    not a FileNotFoundError after start."""
    if mqtt_raw.get("tls"):
        paths = {key: _path_or_none(mqtt_raw.get(key), config_dir) for key in ("ca_file", "cert_file", "key_file")}
        key_alone = bool(mqtt_raw.get("key_file")) and not mqtt_raw.get("cert_file")
        reader.problems += [ConfigProblem("mqtt", key, said)
                            for key, said in tls_file_problems(paths, ask_library=not key_alone)]
        if key_alone:
            reader.problems.append(ConfigProblem("mqtt", "key_file", "needs cert_file (the client certificate)"))
    if status_raw.get("file"):
        status_file = Path(_path_or_none(status_raw["file"], config_dir) or "")
        # Saved or not (persistent = false, the seed's use_persistent), its name is the instance lock's, taken
        # at every start: --check said OK, then the daemon stopped on its lock.
        lock = Path(f"{status_file}.lock")
        problem = (_unwritable(status_file, replaced=True) or _lock_problem(lock) if status_raw.get("persistent")
                   else _lock_problem(lock))
        if problem:
            reader.problems.append(ConfigProblem("status", "file", problem))
        elif status_raw.get("persistent") and status_file.is_file() and not os.access(status_file, os.R_OK):
            # A warning: the daemon starts anyway (clean, as on a corrupt file), and its next save replaces it.
            reader.warnings.append(ConfigProblem("status", "file", f"{status_file} cannot be read (left by a run "
                                                 "as another user?): PySEB starts without the saved status (the "
                                                 "day's energy, the forces) and replaces it at its next save; give "
                                                 "it to PySEB's user (chown) to keep it"))
    if logging_raw.get("file"):
        problem = _unwritable(Path(_path_or_none(logging_raw["file"], config_dir) or ""), replaced=False)
        if problem:
            reader.problems.append(ConfigProblem("logging", "file", problem))


def _said_not_raised(check: Callable[P, str | None]) -> Callable[P, str | None]:
    """`check`, with an OSError of its own look at a path (exists() of a name too long for the system) returned as
    the problem: it came out of --check as a traceback."""
    @functools.wraps(check)
    def checked(*args: P.args, **kwargs: P.kwargs) -> str | None:
        try:
            return check(*args, **kwargs)
        except OSError as exc:
            return f"{exc.filename}: {exc.strerror}"
    return checked


@_said_not_raised
def _lock_problem(lock: Path) -> str | None:
    """Why the instance lock `lock` could not be taken, or None: an existing one must be readable; else it is
    made, its directory too (shell.lock), where the nearest existing one is writable."""
    if lock.is_dir():
        return f"the instance lock {lock} is a directory: remove it"
    if lock.exists():
        return None if os.access(lock, os.R_OK) else f"the instance lock {lock} cannot be read (left by a run as " \
                                                     "another user? remove it, no PySEB running)"
    problem = _nearest_dir_problem(lock.parent)
    return None if problem is None else f"the instance lock {lock}, taken even with persistent = false: {problem}"


@_said_not_raised
def _nearest_dir_problem(directory: Path) -> str | None:
    """Why `directory` could not be made (or written in, if it exists), or None: the nearest existing one must be
    a writable directory."""
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"directory {existing} is not writable"
    return None


def _check_record_dir(reader: SectionReader, directory: Path) -> None:
    """The recorder makes its directory when missing: the nearest existing parent must be writable."""
    problem = _nearest_dir_problem(directory)
    if problem:
        if problem.endswith("is not writable"):
            problem += " (set [record] enabled = false to run without recording)"
        reader.problems.append(ConfigProblem("record", "dir", problem))


@_said_not_raised
def _unwritable(path: Path, replaced: bool) -> str | None:
    """Why the daemon could not write `path`, or None. Its directory must be writable (new files are made there),
    or, missing, possible to make (the daemon makes it, for the status and for the log); a file `replaced` by a
    rename (the status) need not be writable itself, one appended to (the log) must."""
    directory = path.parent
    if not directory.exists():
        return _nearest_dir_problem(directory)
    if not directory.is_dir():
        return f"{directory} is not a directory"
    if path.is_dir():
        return f"{path} is a directory, not a file"
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"directory {directory} is not writable"
    if not replaced and path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable"
    return None


def _path_or_none(value: str | None, config_dir: Path) -> str | None:
    if not value:
        return None
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else config_dir / path)
