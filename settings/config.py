"""Read a config.ini into validated settings and built loads. Every problem of the file is collected
and reported at once (ConfigError); nothing is published or opened before this succeeds. The parts it calls:
the INI file itself (settings.ini_file), [DEFAULT] and [debug] (settings.special_sections), the loads
(settings.load_building), the topics' checks (settings.topic_checks) and the files the daemon opens
(settings.daemon_files)."""

from __future__ import annotations

import configparser
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from equipments.base import Equipment
from equipments.constant import CLOSED_LOOP_RELAY_KEYS, RelayEquipment
from field.config import (
    FIELD_EVALUATE_IGNORED,
    FIELD_EVALUATE_OPTIONS,
    FieldSettings,
    read_field_settings,
)
from integrations.domoticz_settings import MQTT_IGNORED
from settings.daemon_files import check_daemon_files, check_file_roles, check_record_dir, path_in_config
from settings.daemon_files import nearest_dir_problem as nearest_dir_problem
from settings.device_checks import warn_meter_fields, warn_relay_payloads, warn_tasmota_meter_timeout
from settings.ini_file import read_parser as read_parser
from settings.inline_comments import cut_values
from settings.load_building import build_equipments, warn_unused_sections
from settings.load_checks import (
    check_kilowatts,
    warn_capped_max_power,
    warn_closed_loop_keys,
    warn_curve,
    warn_example_curve,
    warn_hebert_key,
    warn_max_meter_power,
    warn_meters_pace,
)
from settings.options import resolved
from settings.problems import ConfigError, ConfigProblem, warning_lines
from settings.secret_file import credential_warnings, readable_secrets
from settings.section_reader import SectionReader
from settings.sections import (
    DEFAULT_TOPIC_REGUL,
    EVALUATE_OPTIONS,
    LOGGING_OPTIONS,
    MQTT_OPTIONS,
    RECORD_OPTIONS,
    SEED_EVALUATE_IGNORED,
    STATUS_OPTIONS,
    EvaluateSettings,
    LoggingSettings,
    MqttSettings,
    RecordSettings,
    StatusSettings,
)
from settings.special_sections import apply_debug_section, refuse_defaults, take_defaults
from settings.tls_check import host_problem
from settings.topic_checks import check_shared_topics, check_topic_roles, check_topics, check_variator_command_topic
from settings.version import PYSEB_NAME
from settings.zone_names import zone_advice
from values.paths import user_path

# (read_parser and nearest_dir_problem are imported `as` themselves: defined here before the loader's parts moved
# out, re-exported; the simulator and the sweep import them here)

log = logging.getLogger(__name__)
# Keys of [evaluate] read and let go, each with what the user is told: the seed's daily-rule keys it never used,
# and those of Coturex's later configs that PySEB does another way (the reference lists the same).
# And a relay's dwell and band, which belong in each relay's own section (the README's table once listed
# them beside [evaluate]'s: "unknown key, ignored" did not say where they go).
RELAY_KEYS_IN_EVALUATE: dict[str, str] = {
    key: "a relay's key: set it in each relay's own section ([radiator], say), not in [evaluate]"
    for key in CLOSED_LOOP_RELAY_KEYS}
# (the relay keys each with a warning of their own, which asks for a move; the others only named at a start, with
# whatever else PySEB does not use)
EVALUATE_IGNORED: dict[str, str] = {**FIELD_EVALUATE_IGNORED, **SEED_EVALUATE_IGNORED}


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
    # What to warn of, a line each; the keys and sections PySEB does not use in one line at the end, naming them
    # (settings.problems.unused_summary): the seed's sample had ten lines of them at every start.
    warnings: tuple[str, ...]
    # Those keys and sections, a line each with its reason (the start logs them at debug level, --check prints them)
    unused: tuple[str, ...] = ()
    # The warnings as found, for a tool without a --check of its own to say them (`simulation replay` and `tune`:
    # warning_lines with unused_why_elsewhere, pointing at the daemon's check of the file)
    found_warnings: tuple[ConfigProblem, ...] = ()

    @property
    def tzinfo(self) -> ZoneInfo | None:
        """The configured time zone, or None for the system's local time."""
        return ZoneInfo(self.evaluate.timezone) if self.evaluate.timezone else None


def load_settings(path: str | Path, *, daemon_files: bool = True) -> Settings:
    """The validated settings of `path`, loads built; ConfigError lists every problem otherwise. Without
    `daemon_files`, the files only the running daemon opens (TLS certificates, status file and its lock, log file,
    records folder) are not looked at: a replay of the Pi's config on a laptop, which opens none of them, was
    refused for "/etc/pyseb/ca.crt does not exist"."""
    path = Path(path)
    cp = read_parser(path)
    config_dir = path.resolve().parent
    reader = SectionReader()
    leaked = take_defaults(cp)

    mqtt_raw = reader.read(cp, "mqtt", MQTT_OPTIONS, ignored=MQTT_IGNORED)
    evaluate_raw = reader.read(cp, "evaluate", EVALUATE_OPTIONS + FIELD_EVALUATE_OPTIONS, ignored=EVALUATE_IGNORED,
                               misplaced=RELAY_KEYS_IN_EVALUATE)
    status_raw = reader.read(cp, "status", STATUS_OPTIONS)
    logging_raw = reader.read(cp, "logging", LOGGING_OPTIONS)
    record_raw = reader.read(cp, "record", RECORD_OPTIONS)
    apply_debug_section(cp, reader, status_raw, logging_raw)
    reader.warnings += cut_values(path, cp)

    timezone = evaluate_raw.get("timezone")
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # (OSError: a name too long for a file's)
            reader.problems.append(ConfigProblem("evaluate", "timezone", f"unknown time zone {timezone!r}: "
                                                 f"{zone_advice(timezone)}"))
    if mqtt_raw.get("host") is not None and (problem := host_problem(str(mqtt_raw["host"]))):
        reader.problems.append(ConfigProblem("mqtt", "host", problem))
    # (no rule ties meter_timeout to period: the meters publish every ~2 s whatever the period, a reading's age is
    # what goes stale, and a seed's `period = 10` was refused under the default 10 s timeout for a flapping that
    # does not happen)
    record_dir = Path(path_in_config(record_raw["dir"], config_dir) or config_dir)
    if daemon_files:
        check_daemon_files(reader, mqtt_raw, status_raw, logging_raw, config_dir)
        if record_raw["enabled"]:
            check_record_dir(reader, record_dir)

    equipments = build_equipments(cp, reader, config_dir, float(evaluate_raw.get("demo_speed") or 1.0))
    if daemon_files:
        check_file_roles(reader, path, mqtt_raw, status_raw, logging_raw, config_dir, equipments)
    for load in equipments:
        warn_capped_max_power(reader, load)
        warn_curve(reader, load)
        warn_example_curve(reader, load, path)
        check_kilowatts(reader, load)
    warn_closed_loop_keys(reader, cp, evaluate_raw.get("algorithm"), equipments)
    warn_hebert_key(reader, cp, evaluate_raw.get("algorithm"))
    if evaluate_raw.get("max_meter_power") is not None:
        warn_max_meter_power(reader, evaluate_raw["max_meter_power"], equipments)
    warn_meters_pace(reader, evaluate_raw.get("algorithm"), evaluate_raw.get("period"),
                     evaluate_raw.get("meter_timeout"), evaluate_raw.get("demo_speed"))
    field = read_field_settings(cp, reader, evaluate_raw, equipments, mqtt_raw.get("client_id") or PYSEB_NAME)
    for load in equipments:
        if isinstance(load, RelayEquipment):
            load.read_by_domoticz_at(field.domoticz.topic_in)
    warn_unused_sections(cp, reader, {e.name for e in equipments})
    secrets = [what for what, given in (("the broker's password", mqtt_raw.get("password")),
                                        ("the OpenWeatherMap API key", field.forecast.owm))
               if given]
    if (readable := readable_secrets(path, secrets)) is not None:
        reader.warnings.append(readable)
    reader.warnings += credential_warnings(mqtt_raw)
    root = mqtt_raw["topic_regul"].rstrip("/")
    derived = {key for key in _TOPICS_UNDER_ROOT
               if not mqtt_raw[key]}
    for key in derived:
        mqtt_raw[key] = f"{root}/{key.removeprefix('topic_')}"
    _warn_topics_left_at_the_default_root(reader, mqtt_raw, root, derived)
    check_topics(reader, mqtt_raw, equipments, field.forecast.mqtt_topic)
    check_shared_topics(reader, mqtt_raw, equipments, field)
    for load in equipments:
        check_variator_command_topic(reader, load, root)
    check_topic_roles(reader, mqtt_raw, equipments, field, derived)
    warn_meter_fields(reader, mqtt_raw, equipments)
    warn_tasmota_meter_timeout(reader, mqtt_raw, evaluate_raw.get("meter_timeout"))
    warn_relay_payloads(reader, equipments, field.domoticz.topic_in)
    refuse_defaults(reader, leaked)
    reader.place_unknown_keys({load.name: load.KIND for load in equipments})
    reader.name_keys_as_written()

    if reader.problems:
        raise ConfigError(str(path), reader.problems, reader.warnings)

    mqtt = MqttSettings(
        host=mqtt_raw["host"], port=mqtt_raw["port"], keepalive=mqtt_raw["keepalive"],
        client_id=mqtt_raw["client_id"], username=mqtt_raw["username"], password=mqtt_raw["password"],
        tls=mqtt_raw["tls"], ca_file=path_in_config(mqtt_raw["ca_file"], config_dir),
        cert_file=path_in_config(mqtt_raw["cert_file"], config_dir),
        key_file=path_in_config(mqtt_raw["key_file"], config_dir),
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
    status_file = user_path(status_raw["file"])
    log_file = logging_raw["file"]
    return Settings(
        path=path, mqtt=mqtt, evaluate=evaluate,
        status=StatusSettings(status_file if status_file.is_absolute() else config_dir / status_file,
                              status_raw["persistent"]),
        logging=LoggingSettings(logging_raw["level"], Path(path_in_config(log_file, config_dir) or "")
                                if log_file else None, logging_raw["max_bytes"], logging_raw["backup_count"]),
        equipments=tuple(equipments), field=field, parser=cp,
        record=RecordSettings(record_raw["enabled"], record_dir, record_raw["keep_days"],
                              record_raw["flush_interval"], int(record_raw["max_day_mb"] * 1_000_000)),
        warnings=tuple(warning_lines(str(path), reader.warnings)),
        unused=tuple(w.render(str(path)) for w in reader.warnings if w.unused),
        found_warnings=tuple(reader.warnings),
    )


# PySEB's own topics, each <topic_regul>/<its name> unless written out.
_TOPICS_UNDER_ROOT = ("topic_status", "topic_mode", "topic_availability", "topic_report")


def _warn_topics_left_at_the_default_root(reader: SectionReader, mqtt_raw: dict[str, Any], root: str,
                                         derived: set[str]) -> None:
    """A topic written out as the older sample wrote it, under another topic_regul: a copy given its own topic_regul
    (a second PySEB on the broker, as the docs advise) kept regul/mode and regul/status, shared with the first (a force
    reached both), without a word. (Only the sample's own value: regul/garage/mode under regul/garage is meant.)"""
    if root == DEFAULT_TOPIC_REGUL:
        return
    for key in _TOPICS_UNDER_ROOT:
        topic = mqtt_raw[key]
        if key not in derived and topic == f"{DEFAULT_TOPIC_REGUL}/{key.removeprefix('topic_')}":
            reader.warnings.append(ConfigProblem("mqtt", key, f"{topic!r} is not under topic_regul ({root!r}): "
                                                 f"remove the line to have {root}/{key.removeprefix('topic_')}, or "
                                                 "set it to what you mean (a copy of an older config.ini.sample "
                                                 "wrote every topic out)"))
