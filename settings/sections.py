"""The daemon's own sections and their options (the seed's key names as aliases)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from settings.options import LOG_LEVELS, ByAlgorithm, Option
from settings.version import PYSEB_NAME

DEFAULT_TOPIC_REGUL = "regul"  # (the seed's)
MQTT_OPTIONS: tuple[Option, ...] = (
    Option("host", str, "127.0.0.1", "broker address: a host name or IP address alone (its port in `port`, no "
           "`mqtt://`)", aliases=("broker_ip",)),
    Option("port", int, 1883, "broker port", min=1, max=65535),
    Option("keepalive", int, 60, "seconds between keepalive pings", min=5, max=3600),
    Option("client_id", str, PYSEB_NAME, "MQTT client id"),
    Option("username", "text?", None, "broker user name (empty: anonymous)"),
    Option("password", "text?", None, "broker password (never logged)"),
    Option("tls", bool, False, "connect with TLS"),
    Option("ca_file", "text?", None, "CA certificate file for TLS (PEM); empty: the system's CA certificates (a "
           "broker with a public certificate, e.g. Let's Encrypt's)"),
    Option("cert_file", "text?", None, "client certificate for TLS (optional)"),
    Option("key_file", "text?", None, "client key for TLS (optional)"),
    Option("topic_cons", str, "smeter/pzem/CONSOMMATION", "house (main line) meter topic"),
    Option("topic_prod", str, "smeter/pzem/PRODUCTION", "PV inverter meter topic"),
    Option("json_power", "json field", "power", "JSON field with the watts in a meter reading (names joined by dots "
           "for one inside an object: ENERGY.Power for a Tasmota plug's tele/<device>/SENSOR, "
           "ENERGY.Power.0 for the first channel of a device of several)"),
    Option("topic_regul", str, DEFAULT_TOPIC_REGUL, "root of the regulator's own topics"),
    Option("topic_status", "text?", None, "status topic (default <topic_regul>/status)"),
    Option("topic_mode", "text?", None, "forced mode topic (default <topic_regul>/mode)",
           aliases=("topic_force",)),
    Option("topic_availability", "text?", None, "availability topic (default <topic_regul>/availability)"),
    Option("topic_report", "text?", None, "daily report topic, retained (default <topic_regul>/report)"),
)

ALGORITHMS = ("closed_loop", "hebert")
# [evaluate] keys only the closed loop reads (settle is not one: the full-tank watch reads it with either rule).
CLOSED_LOOP_EVALUATE_KEYS = ("gain", "anticipate", "anticipate_rise", "dither_import", "import_guard",
                             "import_guard_time", "rising_rate")
# `margin` when the config does not set it: the closed loop's dither_import does what a setpoint did against the
# whole percents' import, at less cost in capture (docs/control.md); Hébert's rule has no such bound.
DEFAULT_MARGIN_W = ByAlgorithm((("closed_loop", 0.0), ("hebert", 10.0)))

EVALUATE_OPTIONS: tuple[Option, ...] = (
    Option("algorithm", str, "closed_loop", "closed_loop (grid feedback, relay dwell) or hebert (the seed's "
           "open-loop step rule, exactly)", choices=ALGORITHMS),
    Option("margin", float, DEFAULT_MARGIN_W, "export setpoint: watts kept flowing to the grid (both algorithms; "
           "the seed's sample sets 20); under closed_loop, dither_import bounds what the variable load's whole "
           "percents import", min=0),
    Option("balance_threshold", float, 20.0, "hebert only: surplus (watts) under which nothing changes", min=0),
    Option("period", float, 1.0, "minimum seconds between two decisions (the meters set the pace)", min=0.01,
           max=3600),
    Option("gain", float, 1.0, "closed_loop: share of the grid error corrected at each decision (halved, not under "
           "0.25, while a loop that hunts overshoots, then doubled back: docs/control.md)", min=0.05, max=1.0),
    Option("anticipate", float, 1.0, "closed_loop: share of the last fall of production taken again ahead "
           "(a cloud keeps coming); 0 = off", min=0, max=2),
    Option("anticipate_rise", float, 0.0, "closed_loop: share of a rise of production seen at two readings in a "
           "row taken again ahead by the variable loads: more of a cloudy day's sun for a few Wh more caused "
           "import (docs/control.md); 0 = off", min=0, max=1),
    Option("settle", float, 1.0, "seconds before a house reading shows a command's effect (the closed loop's "
           "decisions; the full-tank inference under either rule); a closed loop that hunts waits 3/4 of the house "
           "meter's pace until the next start, and says so: set it as the warning says, or as `python3 -m "
           "calibration lag` measures it (docs/calibration.md)",
           min=0, max=60),
    Option("dither_import", float, 5.0, "closed_loop: the most import (W) a variable load's whole percent may "
           "cause: one believed to draw more than the surplus by more than this is not sent, the percent under it "
           "is (docs/control.md)", min=0),
    Option("import_guard", float, 100.0, "closed_loop: import (W) over which relays are shed regardless of their "
           "dwell, once the energy so imported reaches import_guard x import_guard_time (100 W for 20 s, 1 kW for "
           "2 s)", min=1),
    Option("import_guard_time", float, 20.0, "closed_loop: seconds an import of import_guard W must last before "
           "the guard sheds (a larger import, as much less; 0: at the second reading over import_guard)", min=0),
    Option("rising_rate", float, 5.0, "closed_loop: production rising faster than this (W/s, smoothed over a few "
           "readings: the sun back after a cloud) keeps a relay off while a relay before it, off but free to come "
           "on, is one the rise would cover within a minute; 0 = off (docs/control.md)", min=0),
    Option("demo_speed", float, 1.0, "the live demo's (python3 -m simulation demo): its house runs this many times "
           "faster than the daemon's clock, and the full-tank inference's fixed waits (the re-probe's 120 s, its "
           "15 s hold, ...) are divided by it as the demo divides the keys above; leave 1 at home", min=0.1, max=100),
    Option("meter_timeout", float, 10.0, "seconds of meter silence before every load goes to 0 (over the meters' "
           "pace: 2 s or less is warned of, a PZEM module reading every 2 s; so is a meter read more than half of it "
           "apart, once its pace is seen: a single reading lost would cut the loads; five of its readings advised; a "
           "Tasmota meter (tele/<device>/SENSOR): 50, with TelePeriod 10 and PowerDelta 0 set on it, else warned)",
           min=0.05, max=3600),
    Option("frozen_meter", bool, True, "a meter (the house's, the production's, a load's own) that repeats the "
           "very same message is frozen: a repeat is no new reading, so it goes stale after meter_timeout like a "
           "silent one (false only for a meter whose messages hold nothing but a power that can repeat)"),
    # (at most a day: the status holds the day's energy, and a much larger wait overflowed the saver thread's clock)
    Option("status_time", float, 900.0, "seconds between two saves of the status file (and at stop)", min=0.1,
           max=86400),
    Option("status_interval", float, 10.0, "the status is published at once when a load switches or steps by "
           "100 W, else every this many seconds (the variator's fine moves, the meters; while a silent meter suspends "
           "the regulation too)", min=1, max=3600),
    Option("timezone", "text?", None, "IANA time zone for the midnight reset (empty: the system's)"),
    Option("max_meter_power", float, 30000.0, "a meter reading above this many watts is rejected (a glitch); "
           "over what the house and the panels may read, the loads all on", min=100),
)

STATUS_OPTIONS: tuple[Option, ...] = (
    Option("file", str, "status.ini", "status file (JSON), relative to the config file; a symlink stays one (the "
           "saves go to the file it names)"),
    Option("persistent", bool, True, "save the status and restore it at start"),
)

LOGGING_OPTIONS: tuple[Option, ...] = (
    Option("level", "log level", "INFO", "log level; `warn` and `fatal` are read as WARNING and CRITICAL",
           choices=LOG_LEVELS),
    Option("file", "text?", None, "rotating log file (empty: standard error only)"),
    Option("max_bytes", int, 1_000_000, "size of one log file before it rotates", min=1000),
    Option("backup_count", int, 3, "rotated log files kept (0: none, the file starts over at max_bytes)", min=0,
           max=100),
)

RECORD_OPTIONS: tuple[Option, ...] = (
    Option("enabled", bool, True, "record each decision into one compressed file a day"),
    Option("dir", str, "records", "directory of the day files, relative to the config file"),
    Option("keep_days", int, 30, "days of files kept (older ones are removed once as many newer days are recorded)",
           min=1, max=36500),
    Option("flush_interval", float, 300.0, "seconds between two writes (a batch each)", min=1, max=86400),
    # (a bound: 1e303 MB made bytes was infinity, and a traceback)
    Option("max_day_mb", float, 20.0, "a day's file stops growing at this size (MB)", min=0.1, max=10000),
)

# The seed's switches for printing to the terminal: PySEB's log goes to its file when one is set (the seed's
# [debug] log_file is still read), else to standard error, and to both when that is a terminal.
_STDOUT_IGNORED = ("the log goes to the file [logging] file (or the seed's [debug] log_file) names, else to "
                   "standard error; to both when standard error is a terminal")
# Seed keys that no longer do anything here, with the reason a user is told.
LEGACY_IGNORED: dict[str, dict[str, str]] = {
    "debug": {
        "simulation": "false is ignored, true (the seed's dry run: no device driven) is refused, since PySEB "
                      "would drive the real loads; to try PySEB without them: make demo",
        "simul_prod": "use the simulator instead", "sim_prod": "use the simulator instead",
        "simul_fallback": "use the simulator instead",  # (Coturex's: the dry run's fallback check, at once)
        "debug_file": "use [logging] level = DEBUG", "debug_file_name": "use [logging] file",
        "equipment_stdout": _STDOUT_IGNORED, "regulation_stdout": _STDOUT_IGNORED,
        "equipment_debug": "use [logging] level = DEBUG", "regulation_debug": "use [logging] level = DEBUG",
    },
}
# The seed's [debug] log file, read as [logging] file when that is not set: a name, or true and the name in
# log_file_name (Coturex's). Read by hand ([debug] is no PySEB section), with the checks of every text key.
SEED_LOG_FILE = Option("log_file", "text?", None, "the seed's log file: a file name, or true with log_file_name")
SEED_LOG_FILE_NAME = Option("log_file_name", "text?", "pv.log", "the log file's name when log_file = true")
# Keys of Coturex's later configs that PySEB does another way, with what replaces them.
SEED_EVALUATE_IGNORED: dict[str, str] = {
    "ecs_measure_correction": "PySEB does not correct the heater's meter: what each percent draws comes from "
                              "the load's calibration CSV (re-measure it: python3 -m calibration, see "
                              "docs/calibration.md)",
}
SEED_LOAD_IGNORED: dict[str, str] = {
    "full": "a full tank is detected by itself (full_detect = auto, meter, inferred or off in this section) "
            "and cleared at [evaluate] init_at and midnight; see docs/field-features.md, Full tank",
    "morning": "the low-energy fallback replaces it: the seed's daily check at [evaluate] check_at, or "
               "[fallback] min_energy_wh by deadline (HH:MM); see docs/field-features.md, Low-energy fallback",
    "ecs_measure_correction": SEED_EVALUATE_IGNORED["ecs_measure_correction"],
}
OLD_EQUIPMENT_FORMAT = ("[equipment] (eq_1_* keys, an older format) is not read: list loads in [equipments] "
                        "(name = type, e.g. ecs = variable) with a section each ([ecs] topic_set_power = ...)")
IGNORED_SECTIONS: dict[str, str] = {
    "init": "the status file carries these values now",
    "equipment": "list loads in [equipments] (name = type) with a section each",
    # Coturex's last version: its cloud forecast from wttr.in by location (no key), in place of [openweathermap].
    "cloudForecast": "Coturex's wttr.in forecast is not fetched: the seed rule's clouds come from OpenWeatherMap "
                     "([openweathermap] key, location) or an MQTT forecast ([forecast] topic), else count as 100 %; "
                     "see docs/field-features.md, Forecasts",
}
# Of those, the ones whose work PySEB does not do in their place (the user has to give it another way): each said in a
# warning of its own at a start, not only named with what PySEB does not use.
SECTIONS_NOT_REPLACED: frozenset[str] = frozenset({"cloudForecast"})


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
    topic_report: str


@dataclass(frozen=True, slots=True)
class EvaluateSettings:
    """The decision loop's parameters."""

    margin_w: float
    balance_threshold_w: float
    period_s: float
    algorithm: str
    gain: float
    settle_s: float
    anticipate: float
    anticipate_rise: float
    dither_import_w: float
    import_guard_w: float
    import_guard_s: float
    rising_rate_w_s: float
    meter_timeout_s: float
    frozen_meter: bool
    status_time_s: float
    status_interval_s: float
    timezone: str | None
    max_meter_power_w: float


@dataclass(frozen=True, slots=True)
class StatusSettings:
    """Where the status file lives and whether it is used."""

    file: Path
    persistent: bool


@dataclass(frozen=True, slots=True)
class RecordSettings:
    """The day recorder: where, how long, how often."""

    enabled: bool
    dir: Path
    keep_days: int
    flush_interval_s: float
    max_day_bytes: int


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """Log level and optional rotating file."""

    level: str
    file: Path | None
    max_bytes: int
    backup_count: int
