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

The loads' part of it: simulation/config_loads.py. The file is parsed by the daemon's own reader
(`settings.config.read_parser`), so both see the same values: `%%` read as `%` and no other interpolation, inline `;`
comments stripped, keys lower-cased.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

from settings.config import read_parser
from settings.options import did_you_mean
from settings.problems import ConfigError, ConfigProblem
from settings.sections import EVALUATE_OPTIONS
from simulation.config_loads import PER_LOAD_KEYS, TYPES, LoadSpec, ini_number, ini_text, load_spec

__all__ = ["SimConfig", "assumptions_note", "read_sim_config"]

GLOBAL_KEYS = ("period", "noise_w", "lost_readings", "jitter_s", "actuation", "meter_lag_s", "own_meter", "seed")
# When a command the regulator publishes takes effect (SimConfig.actuation).
ACTUATIONS = ("period", "at_once")
# When a heater's own meter reads (SimConfig.own_meter).
OWN_METER_TIMES = ("before", "after")
METER_TIMEOUT_DEFAULT_S = next(float(o.default) for o in EVALUATE_OPTIONS if o.name == "meter_timeout")
MAX_METER_POWER_DEFAULT_W = next(float(o.default) for o in EVALUATE_OPTIONS if o.name == "max_meter_power")


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
    # The live demo's `[evaluate] demo_speed` (its daemon's times divided by it: replay_inputs.meter_period refuses
    # such a config), and `[evaluate] period` as written, which that refusal quotes: read once with the rest (the
    # check read the file again at each replay, 24 times in a tune of 24).
    demo_speed: float = 1.0
    decision_period_s: float = 1.0


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
    regul = (ini_text(cp, "mqtt", "topic_regul", "regul") or "regul").rstrip("/")
    kinds: dict[str, str] = {}
    if not cp.has_section("equipments") or not cp.options("equipments"):
        problems.append(ConfigProblem("equipments", None, "no load to simulate: list them as name = type"))
    else:
        for name in cp.options("equipments"):
            given = ini_text(cp, "equipments", name, "") or ""
            raw = given.lower()
            if raw not in TYPES:
                # (as written: lowered, a user's class read 'mypump:pump', which would not import)
                own = " (a load class of your own cannot be simulated)" if ":" in given else ""
                problems.append(ConfigProblem("equipments", name, f"the simulation knows the types "
                                              f"{', '.join(TYPES)}, not {given!r}{own}"))
                continue
            kinds[name] = TYPES[raw]
    loads = [load_spec(cp, name, kind, base, problems) for name, kind in kinds.items()]
    _check_simulation_keys(cp, kinds, problems)
    period = ini_number(cp, "simulation", "period", problems) or 2.0
    meter_timeout = ini_number(cp, "evaluate", "meter_timeout", problems) or METER_TIMEOUT_DEFAULT_S
    max_meter_power = ini_number(cp, "evaluate", "max_meter_power", problems) or MAX_METER_POWER_DEFAULT_W
    noise = ini_number(cp, "simulation", "noise_w", problems, zero_ok=True) or 0.0
    lost = ini_number(cp, "simulation", "lost_readings", problems, zero_ok=True) or 0.0
    if lost >= 1:
        problems.append(ConfigProblem("simulation", "lost_readings", f"must be below 1 (a share), got {lost:g}"))
    jitter = ini_number(cp, "simulation", "jitter_s", problems, zero_ok=True) or 0.0
    if jitter >= period / 4:
        problems.append(ConfigProblem("simulation", "jitter_s", f"must be under a quarter of the period "
                                      f"({period / 4:g} s: each meter's readings keep their order), got {jitter:g}"))
    actuation = (ini_text(cp, "simulation", "actuation", None) or "period").lower()
    if actuation not in ACTUATIONS:
        problems.append(ConfigProblem("simulation", "actuation", f"must be {' or '.join(ACTUATIONS)} (a command "
                                      f"takes effect at the next period, or from the reading that decided it), got "
                                      f"{actuation!r}"))
    meter_lag = ini_number(cp, "simulation", "meter_lag_s", problems, zero_ok=True) or 0.0
    if meter_lag > period / 2:
        problems.append(ConfigProblem("simulation", "meter_lag_s",
                                      f"must be at most half the period ({period / 2:g} s: the house meter reads a "
                                      f"half period's mean at most that late), got {meter_lag:g}"))
    if meter_lag > 0 and actuation != "at_once":
        problems.append(ConfigProblem("simulation", "meter_lag_s",
                                      "needs actuation = at_once (by default a command acts at the next period's "
                                      "start, when the house meter reads it)"))
    own_meter = (ini_text(cp, "simulation", "own_meter", None) or "before").lower()
    if own_meter not in OWN_METER_TIMES:
        problems.append(ConfigProblem("simulation", "own_meter", f"must be {' or '.join(OWN_METER_TIMES)} (a heater's "
                                      f"own meter reads just before each house reading, or just after each "
                                      f"decision), got {own_meter!r}"))
    seed = ini_number(cp, "simulation", "seed", problems, zero_ok=True)
    if seed is not None and seed != int(seed):
        problems.append(ConfigProblem("simulation", "seed", f"must be a whole number, got {seed:g}"))
    # (not `or 1`: seed 0 is a draw of its own, not seed 1's again)
    seed = 1.0 if seed is None else seed
    if problems:
        raise ConfigError(str(file), problems)
    demo_speed, decision_period = _demo_times(cp)
    return SimConfig(
        path=file,
        topic_cons=ini_text(cp, "mqtt", "topic_cons", None) or "smeter/pzem/CONSOMMATION",
        topic_prod=ini_text(cp, "mqtt", "topic_prod", None) or "smeter/pzem/PRODUCTION",
        json_power=ini_text(cp, "mqtt", "json_power", None) or "power",
        topic_status=ini_text(cp, "mqtt", "topic_status", None) or f"{regul}/status",
        topic_availability=ini_text(cp, "mqtt", "topic_availability", None) or f"{regul}/availability",
        timezone=ini_text(cp, "evaluate", "timezone", None),
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
        demo_speed=demo_speed,
        decision_period_s=decision_period,
    )


def _demo_times(cp: configparser.ConfigParser) -> tuple[float, float]:
    """`[evaluate] demo_speed` and `period` as the daemon reads them, (1, 1) when either is no number (the daemon's
    own check says it; the replay, its own house's pace, does not use them)."""
    evaluate = cp["evaluate"] if cp.has_section("evaluate") else {}
    try:
        return float(evaluate.get("demo_speed") or 1.0), float(evaluate.get("period") or 1.0)
    except ValueError:
        return 1.0, 1.0


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
