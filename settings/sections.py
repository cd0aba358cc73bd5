"""The daemon's own sections and their options (the seed's key names as aliases)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settings.options import Option

MQTT_OPTIONS: tuple[Option, ...] = (
    Option("host", str, "127.0.0.1", "broker address", aliases=("broker_ip",)),
    Option("port", int, 1883, "broker port", min=1, max=65535),
    Option("keepalive", int, 60, "seconds between keepalive pings", min=5, max=3600),
    Option("client_id", str, "pyseb", "MQTT client id"),
    Option("username", "text?", None, "broker user name (empty: anonymous)"),
    Option("password", "text?", None, "broker password (never logged)"),
    Option("tls", bool, False, "connect with TLS"),
    Option("ca_file", "text?", None, "CA certificate file for TLS"),
    Option("cert_file", "text?", None, "client certificate for TLS (optional)"),
    Option("key_file", "text?", None, "client key for TLS (optional)"),
    Option("topic_cons", str, "smeter/pzem/CONSOMMATION", "house (main line) meter topic"),
    Option("topic_prod", str, "smeter/pzem/PRODUCTION", "PV inverter meter topic"),
    Option("json_power", str, "power", "JSON field with the watts in a meter reading"),
    Option("topic_regul", str, "regul", "root of the regulator's own topics"),
    Option("topic_status", "text?", None, "status topic (default <topic_regul>/status)"),
    Option("topic_mode", "text?", None, "forced mode topic (default <topic_regul>/mode)",
           aliases=("topic_force",)),
    Option("topic_availability", "text?", None, "availability topic (default <topic_regul>/availability)"),
)

EVALUATE_OPTIONS: tuple[Option, ...] = (
    Option("margin", float, 20.0, "watts kept between production and consumption", min=0),
    Option("balance_threshold", float, 20.0, "surplus (watts) under which nothing changes", min=0),
    Option("period", float, 2.5, "minimum seconds between two decisions", min=0.01, max=3600),
    Option("meter_timeout", float, 10.0, "seconds of meter silence before every load goes to 0",
           min=0.05, max=3600),
    Option("frozen_meter", bool, True, "a meter that repeats the very same message is frozen: a repeat is no "
           "new reading, so it goes stale after meter_timeout like a silent one (false only for a meter whose "
           "messages hold nothing but a power that can repeat)"),
    Option("status_time", float, 900.0, "seconds between two saves of the status file", min=0.1),
    Option("timezone", "text?", None, "IANA time zone for the midnight reset (empty: the system's)"),
    Option("max_meter_power", float, 30000.0, "a meter reading above this many watts is rejected", min=1),
)

STATUS_OPTIONS: tuple[Option, ...] = (
    Option("file", str, "status.ini", "status file (JSON), relative to the config file"),
    Option("persistent", bool, True, "save the status and restore it at start"),
)

LOGGING_OPTIONS: tuple[Option, ...] = (
    Option("level", str, "INFO", "log level", choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    Option("file", "text?", None, "rotating log file (empty: standard error only)"),
    Option("max_bytes", int, 1_000_000, "size of one log file before it rotates", min=1000),
    Option("backup_count", int, 3, "rotated log files kept", min=0, max=100),
)

# Seed keys that no longer do anything here, with the reason a user is told.
LEGACY_IGNORED: dict[str, dict[str, str]] = {
    "debug": {
        "simulation": "use the simulator instead: python3 -m simulation replay/demo",
        "simul_prod": "use the simulator instead", "sim_prod": "use the simulator instead",
        "debug_file": "use [logging] level = DEBUG", "debug_file_name": "use [logging] file",
        "equipment_stdout": "logs go to standard error", "regulation_stdout": "logs go to standard error",
        "equipment_debug": "use [logging] level = DEBUG", "regulation_debug": "use [logging] level = DEBUG",
    },
}
IGNORED_SECTIONS: dict[str, str] = {
    "openweathermap": "cloud forecasts are not used by PySEB",
    "init": "the status file carries these values now",
    "equipment": "list loads in [equipments] (name = type) with a section each",
}


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """How to reach the broker and which topics to use."""

    host: str
    port: int
    keepalive: int
    client_id: str
    username: str | None
    password: str | None = field(repr=False)
    tls: bool
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    topic_cons: str
    topic_prod: str
    json_power: str
    topic_regul: str
    topic_status: str
    topic_mode: str
    topic_availability: str


@dataclass(frozen=True, slots=True)
class EvaluateSettings:
    """The decision loop's parameters."""

    margin_w: float
    balance_threshold_w: float
    period_s: float
    meter_timeout_s: float
    frozen_meter: bool
    status_time_s: float
    timezone: str | None
    max_meter_power_w: float


@dataclass(frozen=True, slots=True)
class StatusSettings:
    """Where the status file lives and whether it is used."""

    file: Path
    persistent: bool


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """Log level and optional rotating file."""

    level: str
    file: Path | None
    max_bytes: int
    backup_count: int
