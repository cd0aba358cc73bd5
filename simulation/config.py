"""What the simulation needs from a PySEB config file, plus its own `[simulation]` section.

The daemon reads the same file and only warns about `[simulation]`; the simulator reads the meters'
topics, the loads (in priority order) and their command topics, and the loads' *real* behaviour,
which the regulator does not know:

    [simulation]
    period = 2                     ; seconds between two meter readings
    ecs.response = calibration/power_calibration_ECS-02.csv   ; real percent -> watts (default: its calibration)
    ecs.tank_wh = 8000             ; energy the tank takes before its thermostat cuts (default: never)
    radiator.tank_wh = 1500        ; a radiator's own thermostat too: its room, filled at its cut...
    radiator.loss_w = 400          ; ...losing this much heat all the time (default 0: a tank once full stays so)...
    radiator.band_wh = 150         ; ...the thermostat closing again once it has lost this much (default tank_wh / 10)
    ecs.draws = 07:00 2000, 19:00 2500   ; hot water drawn: at HH:MM (the trace's local time), that many Wh taken
    radiator.power_w = 1000        ; a relay's real watts (default: its max_power; unknown loads: 800)
    noise_w = 10                   ; meter noise: each reading off by up to this many watts (default 0)
    lost_readings = 0.01           ; the share of readings that never arrive (default 0)
    jitter_s = 0.05                ; each reading that much early or late at most (default 0; under period / 4)
    actuation = at_once            ; a command acts from the reading that decided it (default: the next period)
    meter_lag_s = 0.5              ; with at_once: the house meter shows the loads that late (default 0; up to period/2)
    own_meter = after              ; a heater's own meter reads after each decision (default: before the house meter)
    seed = 1                       ; the random generator's seed for noise and losses (default 1)

The file is parsed by the daemon's own reader (`settings.config.read_parser`), so both see the same
values: `%%` read as `%` and no other interpolation, inline `;` comments stripped, keys lower-cased.
"""

from __future__ import annotations

import configparser
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, cast

from equipments.variable_curve import default_calibration_paths, find_calibration
from settings.config import read_parser
from settings.options import did_you_mean
from settings.problems import ConfigError, ConfigProblem
from settings.sections import EVALUATE_OPTIONS
from values.numbers import UNDERSCORE_ADVICE, text_float

__all__ = ["LoadSpec", "SimConfig", "assumptions_note", "read_sim_config"]

TYPES = {"variable": "variable", "water_heater": "variable", "constant": "constant", "unknown": "unknown"}
UNKNOWN_DEFAULT_W = 800.0
MIN_POWER_DEFAULT_W = 150.0  # the daemon's default min_power of a variable load
GLOBAL_KEYS = ("period", "noise_w", "lost_readings", "jitter_s", "actuation", "meter_lag_s", "own_meter", "seed")
# When a command the regulator publishes takes effect (SimConfig.actuation).
ACTUATIONS = ("period", "at_once")
# When a heater's own meter reads (SimConfig.own_meter).
OWN_METER_TIMES = ("before", "after")
METER_TIMEOUT_DEFAULT_S = next(float(o.default) for o in EVALUATE_OPTIONS if o.name == "meter_timeout")
MAX_METER_POWER_DEFAULT_W = next(float(o.default) for o in EVALUATE_OPTIONS if o.name == "max_meter_power")
PER_LOAD_KEYS = {"response": "variable", "tank_wh": "any", "loss_w": "any", "band_wh": "any", "draws": "any",
                 "power_w": "relay"}
BAND_SHARE = 0.1  # a thermostat's hysteresis, as a share of its tank's energy, when band_wh is not given
# One hot-water draw of `<load>.draws`: `HH:MM WH` (a time of day on the clock, the watt-hours drawn then).
# (ASCII digits, as the daemon's numbers: \d takes full-width ones too)
_DRAW = re.compile(r"([0-9]{1,2}):([0-9]{2})\s+(\S+)")
DRAWS_FORMAT = "HH:MM WH, ... (a time of day and the watt-hours drawn then, e.g. 07:00 2000, 19:00 2500)"


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """One load as the simulation builds it: how it is commanded and how it really behaves."""

    name: str
    type: str  # variable, constant or unknown
    topic: str  # where the regulator publishes its commands
    payload_on: str | None  # relays only
    payload_off: str | None
    response_path: Path | None  # variable loads: the measured real response
    min_power_w: float  # variable loads: the regulator never gives less (its min_power); relays: 0
    power_w: float | None  # relays: real watts
    tank_wh: float | None  # thermostat cut after this much energy; None: never
    calibration_path: Path | None = None  # variable loads: the regulator's calibration (its belief)
    # Variable loads: the config's max_power, the most the regulator gives it (None: its curve's top). The oracle keeps
    # it too: it gave a heater limited to 1000 W up to its curve's 2.3 kW, and counted what the regulator rightly left
    # to the loads after it as the order bent (capture up to 112 %).
    max_power_w: float | None = None
    # Its tank's loss of heat, watts, and its thermostat's hysteresis, Wh (simulation.loads.Tank): 0 without a tank.
    loss_w: float = 0.0
    band_wh: float = 0.0
    # Hot water drawn from its tank (`<load>.draws`): (seconds since local midnight, Wh), in the order of the day.
    draws: tuple[tuple[float, float], ...] = ()

    @property
    def relay(self) -> bool:
        """Switched on and off (constant or unknown), not driven by a percentage (variable): a relay, as a recorded
        day's header kinds it and as tune counts its switches."""
        return self.type != "variable"


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The simulation's reading of a config file."""

    path: Path
    topic_cons: str
    topic_prod: str
    json_power: str
    topic_status: str
    topic_availability: str
    timezone: str | None
    period_s: float
    loads: tuple[LoadSpec, ...]
    meter_timeout_s: float = METER_TIMEOUT_DEFAULT_S  # the regulator's: a meter silent this long is stale
    noise_w: float = 0.0  # each meter reading off by a uniform error in +-noise_w
    lost_readings: float = 0.0  # the share of meter readings dropped (a Wi-Fi hiccup)
    # Each meter reading early or late by a uniform error in +-jitter_s (an ESP8266's loop, Wi-Fi, the broker): less
    # than a quarter of the period, so that each meter's readings keep their order and the house reading its place
    # before the production reading.
    jitter_s: float = 0.0
    # When a command takes effect: "period", at the next period's start (a decision with the house reading then acts
    # a whole period after it, one with the production reading half a period after it, a real variator at once);
    # "at_once", from the reading that decided it on (a timer's, from the next reading), the rows then half periods.
    actuation: Literal["period", "at_once"] = "period"
    # With actuation = at_once: the house meter reads the mean draw of the half period that ended this long before it
    # reads (0 to period / 2): a command shows in full only in a reading half a period and this long after it, where
    # `settle` takes one a second after it for one that shows it.
    meter_lag_s: float = 0.0
    # When a heater's own meter (`topic_read_power`) reads: "before", just before each house reading; "after", just
    # after each production reading and the decision it brings, what the heater drew since the house reading (the
    # two meters are not in step: at a decision, the house meter has read the heater's last half period, its own not).
    own_meter: Literal["before", "after"] = "before"
    seed: int = 1  # noise and losses are pseudo-random but the same from one run to the next
    # The regulator's [evaluate] max_meter_power: a reading above it is refused as a glitch (a trace whose watts pass
    # it, in mW or of a bigger site, is replayed with no reading taken: said, not a table of 0 % captures).
    max_meter_power_w: float = MAX_METER_POWER_DEFAULT_W
    power_assumed: tuple[str, ...] = ()  # relays with no <load>.power_w: drawn at their max_power (unknown: 800 W)


def _text(cp: configparser.ConfigParser, section: str, key: str, default: str | None) -> str | None:
    if not cp.has_option(section, key):
        return default
    value = cp.get(section, key, raw=True).strip()
    return None if value in ("", "None", "none") else value


def _number(cp: configparser.ConfigParser, section: str, key: str, problems: list[ConfigProblem],
            low: float = 0.0, zero_ok: bool = False) -> float | None:
    text = _text(cp, section, key, None)
    if text is None:
        return None
    try:
        value = text_float(text)  # (ASCII digits, as the daemon's config: float() read noise_w = 1_0 as 10 W)
    except ValueError:
        advice = f" ({UNDERSCORE_ADVICE})" if "_" in text else ""
        problems.append(ConfigProblem(section, key, f"is not a number: {text!r}{advice}"))
        return None
    if not math.isfinite(value) or value < low or (value == low and not zero_ok):
        problems.append(ConfigProblem(section, key, f"must be a number {'>=' if zero_ok else '>'} {low:g}, "
                                                    f"got {text!r}"))
        return None
    return value


def _calibration_path(cp: configparser.ConfigParser, name: str, base: Path) -> Path:
    """The curve the daemon loads for load `name` (its own rule: a sample's example curve too), else the seed's first
    file name, for the "no such file" it is said with."""
    found = find_calibration(name, _text(cp, name, "calibration", None), base)
    return (found or default_calibration_paths(name, base)[0]).resolve()


def _load(cp: configparser.ConfigParser, name: str, kind: str, base: Path,
          problems: list[ConfigProblem]) -> LoadSpec | None:
    spec = _load_spec(cp, name, kind, base, problems)
    if spec is None or spec.tank_wh is None:
        for key in ("loss_w", "band_wh", "draws"):
            if spec is not None and cp.has_option("simulation", f"{name}.{key}"):
                problems.append(ConfigProblem("simulation", f"{name}.{key}", f"needs {name}.tank_wh: the energy the "
                                              "thermostat cuts at"))
        return spec
    loss_w = _number(cp, "simulation", f"{name}.loss_w", problems, zero_ok=True) or 0.0
    band_wh = _number(cp, "simulation", f"{name}.band_wh", problems)
    draws = _draws(_text(cp, "simulation", f"{name}.draws", None), f"{name}.draws", problems)
    if band_wh is not None and band_wh > spec.tank_wh:
        problems.append(ConfigProblem("simulation", f"{name}.band_wh", f"must be at most {name}.tank_wh "
                                      f"({spec.tank_wh:g} Wh), got {band_wh:g}"))
    elif band_wh is not None and not loss_w and not cp.has_option("simulation", f"{name}.draws"):
        # (a thermostat's band means something only for a tank that loses heat or gives hot water: given alone, it
        # changed nothing)
        problems.append(ConfigProblem("simulation", f"{name}.band_wh", f"needs {name}.loss_w or {name}.draws: a "
                                      "tank that loses no heat and gives no hot water never closes its thermostat "
                                      "again"))
    return replace(spec, loss_w=loss_w, band_wh=BAND_SHARE * spec.tank_wh if band_wh is None else band_wh,
                   draws=draws)


def _draws(text: str | None, key: str, problems: list[ConfigProblem]) -> tuple[tuple[float, float], ...]:
    """`<load>.draws` (`07:00 2000, 19:00 2500`) as (seconds since midnight, Wh), sorted by time (written in any
    order: a list of the day's draws, not a sequence the simulator checks); () for none, or on a problem (said)."""
    if text is None:
        return ()
    draws: list[tuple[float, float]] = []
    # (an empty entry, a comma at the end, is none: not worth an error)
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        match = _DRAW.fullmatch(entry)
        if match is None:
            problems.append(ConfigProblem("simulation", key, f"{entry!r} is not a draw: write {DRAWS_FORMAT}"))
            continue
        hours, minutes, amount = int(match[1]), int(match[2]), match[3]
        # (24:00 refused: the next day's 00:00, which a replay of one day never reaches or reads as its start)
        if not (hours < 24 and minutes < 60):
            problems.append(ConfigProblem("simulation", key, f"{entry!r}: {match[1]}:{match[2]} is not a time of day "
                                          "(00:00 to 23:59)"))
            continue
        try:
            wh = text_float(amount)
        except ValueError:
            advice = f" ({UNDERSCORE_ADVICE})" if "_" in amount else ""
            problems.append(ConfigProblem("simulation", key, f"{entry!r}: the watt-hours drawn are not a number: "
                                          f"{amount!r}{advice}"))
            continue
        if not (math.isfinite(wh) and wh > 0):
            problems.append(ConfigProblem("simulation", key, f"{entry!r}: the watt-hours drawn must be > 0, got "
                                          f"{amount!r}"))
            continue
        draws.append((hours * 3600.0 + minutes * 60.0, wh))
    return tuple(sorted(draws))


def _load_spec(cp: configparser.ConfigParser, name: str, kind: str, base: Path,
               problems: list[ConfigProblem]) -> LoadSpec | None:
    if not cp.has_section(name):
        problems.append(ConfigProblem("equipments", name, f"has no [{name}] section"))
        return None
    topic = _text(cp, name, "topic_set_power", None)
    if topic is None:
        problems.append(ConfigProblem(name, "topic_set_power", "is required"))
    sim = "simulation"
    tank = _number(cp, sim, f"{name}.tank_wh", problems)
    if kind == "variable":
        given = _text(cp, sim, f"{name}.response", None)
        response = (base / given).resolve() if given else _calibration_path(cp, name, base)
        if not response.is_file():
            where = (sim, f"{name}.response") if given else (name, "calibration")
            problems.append(ConfigProblem(*where, f"no such file: {response}"))
        min_power = _number(cp, name, "min_power", problems, zero_ok=True)
        return LoadSpec(name, kind, topic or "", None, None, response,
                        MIN_POWER_DEFAULT_W if min_power is None else min_power, None, tank,
                        _calibration_path(cp, name, base), _number(cp, name, "max_power", problems))
    # The daemon's defaults for a relay's payloads (Hébert's plugs).
    payload_on = _text(cp, name, "json_on", None) or "1"
    payload_off = _text(cp, name, "json_off", None) or "0"
    power = _number(cp, sim, f"{name}.power_w", problems)
    if power is None and kind == "constant":
        power = _number(cp, name, "max_power", problems)
        if power is None and not cp.has_option(sim, f"{name}.power_w"):
            problems.append(ConfigProblem(name, "max_power", "is required for a constant load"))
    elif power is None:
        power = UNKNOWN_DEFAULT_W
    return LoadSpec(name, kind, topic or "", payload_on, payload_off, None, 0.0, power, tank)


def _check_simulation_keys(cp: configparser.ConfigParser, names: dict[str, str],
                           problems: list[ConfigProblem]) -> None:
    if not cp.has_section("simulation"):
        return
    known = list(GLOBAL_KEYS) + [f"{n}.{k}" for n in names for k in PER_LOAD_KEYS]
    for key in cp.options("simulation"):
        if key in cp.defaults() or key in known:
            continue
        keys = f"; keys are {', '.join(GLOBAL_KEYS)} and <load>.{{{','.join(PER_LOAD_KEYS)}}}"
        problems.append(ConfigProblem("simulation", key, "unknown key" + (did_you_mean(key, known) or keys)))
    for name, kind in names.items():
        for key, applies in PER_LOAD_KEYS.items():
            wrong = (applies == "variable" and kind != "variable") or (applies == "relay" and kind == "variable")
            if wrong and cp.has_option("simulation", f"{name}.{key}"):
                problems.append(ConfigProblem("simulation", f"{name}.{key}", f"does not apply to a {kind} load"))


def read_sim_config(path: str | Path) -> SimConfig:
    """Read `path`; raise ConfigError listing every problem the simulation sees in it."""
    file = Path(path)
    # The daemon's reader: a value the daemon reads one way must not reach the simulation another way.
    cp = read_parser(file)
    problems: list[ConfigProblem] = []
    base = file.resolve().parent
    # (its slash at the end cut, as the daemon cuts it: `regul/` put its status on regul/status, not regul//status)
    regul = (_text(cp, "mqtt", "topic_regul", "regul") or "regul").rstrip("/")
    kinds: dict[str, str] = {}
    if not cp.has_section("equipments") or not cp.options("equipments"):
        problems.append(ConfigProblem("equipments", None, "no load to simulate: list them as name = type"))
    else:
        for name in cp.options("equipments"):
            given = _text(cp, "equipments", name, "") or ""
            raw = given.lower()
            if raw not in TYPES:
                # (as written: lowered, a user's class read 'mypump:pump', which would not import)
                own = " (a load class of your own cannot be simulated)" if ":" in given else ""
                problems.append(ConfigProblem("equipments", name, f"the simulation knows the types "
                                              f"{', '.join(TYPES)}, not {given!r}{own}"))
                continue
            kinds[name] = TYPES[raw]
    loads = [_load(cp, name, kind, base, problems) for name, kind in kinds.items()]
    _check_simulation_keys(cp, kinds, problems)
    period = _number(cp, "simulation", "period", problems) or 2.0
    meter_timeout = _number(cp, "evaluate", "meter_timeout", problems) or METER_TIMEOUT_DEFAULT_S
    max_meter_power = _number(cp, "evaluate", "max_meter_power", problems) or MAX_METER_POWER_DEFAULT_W
    noise = _number(cp, "simulation", "noise_w", problems, zero_ok=True) or 0.0
    lost = _number(cp, "simulation", "lost_readings", problems, zero_ok=True) or 0.0
    if lost >= 1:
        problems.append(ConfigProblem("simulation", "lost_readings", f"must be below 1 (a share), got {lost:g}"))
    jitter = _number(cp, "simulation", "jitter_s", problems, zero_ok=True) or 0.0
    if jitter >= period / 4:
        problems.append(ConfigProblem("simulation", "jitter_s", f"must be under a quarter of the period "
                                      f"({period / 4:g} s: each meter's readings keep their order), got {jitter:g}"))
    actuation = (_text(cp, "simulation", "actuation", None) or "period").lower()
    if actuation not in ACTUATIONS:
        problems.append(ConfigProblem("simulation", "actuation", f"must be {' or '.join(ACTUATIONS)} (a command "
                                      f"takes effect at the next period, or from the reading that decided it), got "
                                      f"{actuation!r}"))
    meter_lag = _number(cp, "simulation", "meter_lag_s", problems, zero_ok=True) or 0.0
    if meter_lag > period / 2:
        problems.append(ConfigProblem("simulation", "meter_lag_s",
                                      f"must be at most half the period ({period / 2:g} s: the house meter reads a "
                                      f"half period's mean at most that late), got {meter_lag:g}"))
    if meter_lag > 0 and actuation != "at_once":
        problems.append(ConfigProblem("simulation", "meter_lag_s",
                                      "needs actuation = at_once (by default a command acts at the next period's "
                                      "start, when the house meter reads it)"))
    own_meter = (_text(cp, "simulation", "own_meter", None) or "before").lower()
    if own_meter not in OWN_METER_TIMES:
        problems.append(ConfigProblem("simulation", "own_meter", f"must be {' or '.join(OWN_METER_TIMES)} (a heater's "
                                      f"own meter reads just before each house reading, or just after each "
                                      f"decision), got {own_meter!r}"))
    seed = _number(cp, "simulation", "seed", problems, zero_ok=True)
    if seed is not None and seed != int(seed):
        problems.append(ConfigProblem("simulation", "seed", f"must be a whole number, got {seed:g}"))
    # (not `or 1`: seed 0 is a draw of its own, not seed 1's again)
    seed = 1.0 if seed is None else seed
    if problems:
        raise ConfigError(str(file), problems)
    return SimConfig(
        path=file,
        topic_cons=_text(cp, "mqtt", "topic_cons", None) or "smeter/pzem/CONSOMMATION",
        topic_prod=_text(cp, "mqtt", "topic_prod", None) or "smeter/pzem/PRODUCTION",
        json_power=_text(cp, "mqtt", "json_power", None) or "power",
        topic_status=_text(cp, "mqtt", "topic_status", None) or f"{regul}/status",
        topic_availability=_text(cp, "mqtt", "topic_availability", None) or f"{regul}/availability",
        timezone=_text(cp, "evaluate", "timezone", None),
        period_s=period,
        loads=tuple(spec for spec in loads if spec is not None),
        meter_timeout_s=meter_timeout,
        noise_w=noise,
        lost_readings=lost,
        jitter_s=jitter,
        actuation=cast(Literal["period", "at_once"], actuation),
        own_meter=cast(Literal["before", "after"], own_meter),
        meter_lag_s=meter_lag,
        seed=int(seed),
        max_meter_power_w=max_meter_power,
        power_assumed=tuple(name for name, kind in kinds.items()
                            if kind != "variable" and not cp.has_option("simulation", f"{name}.power_w")),
    )


def assumptions_note(config: SimConfig) -> str | None:
    """One line on what the simulation assumed of the loads' real behaviour that the config does not say: relays at
    their max_power and no tank ever full make a replay's (and tune's) figures optimistic, and config.ini.sample has
    no [simulation] section: an owner's own config ran so without a word. None when all is given."""
    relays = [f"{spec.name} at its max_power ({spec.power_w:.0f} W)" if spec.type == "constant"
              else f"{spec.name} at {spec.power_w:.0f} W (an unknown load's default)"
              for spec in config.loads if spec.name in config.power_assumed]
    tank = [] if any(spec.tank_wh is not None for spec in config.loads) else ["no tank ever full"]
    if not relays and not tank:
        return None
    return (f"note: assumed, the config not saying otherwise: {', '.join(relays + tank)}; optimistic if a load draws "
            "less or a tank fills: set [simulation] <load>.power_w (a relay's real watts) and <load>.tank_wh "
            "(docs/simulation.md)")
