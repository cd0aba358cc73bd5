"""The loads of the simulation's reading of a config file (simulation/config.py): how the regulator commands each and
how it really behaves, from its section and its `[simulation] <load>.*` keys; and the readers of the file's values
both use."""

from __future__ import annotations

import configparser
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from equipments.variable_curve import default_calibration_paths, find_calibration
from settings.problems import ConfigProblem
from values.numbers import UNDERSCORE_ADVICE, text_float

__all__ = ["PER_LOAD_KEYS", "TYPES", "LoadSpec", "ini_number", "ini_text", "load_spec"]

TYPES = {"variable": "variable", "water_heater": "variable", "constant": "constant", "unknown": "unknown"}
UNKNOWN_DEFAULT_W = 800.0
MIN_POWER_DEFAULT_W = 150.0  # the daemon's default min_power of a variable load
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


def ini_text(cp: configparser.ConfigParser, section: str, key: str, default: str | None) -> str | None:
    """The value of `key` in `section` as written (`default` without it; None for an empty one, or None)."""
    if not cp.has_option(section, key):
        return default
    value = cp.get(section, key, raw=True).strip()
    return None if value in ("", "None", "none") else value


def ini_number(cp: configparser.ConfigParser, section: str, key: str, problems: list[ConfigProblem],
               low: float = 0.0, zero_ok: bool = False) -> float | None:
    """The value of `key` in `section` as a number over `low` (or at it, `zero_ok`); None without it, or with a
    problem, said in `problems`."""
    text = ini_text(cp, section, key, None)
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
    found = find_calibration(name, ini_text(cp, name, "calibration", None), base)
    return (found or default_calibration_paths(name, base)[0]).resolve()


def load_spec(cp: configparser.ConfigParser, name: str, kind: str, base: Path,
              problems: list[ConfigProblem]) -> LoadSpec | None:
    """The load `name` of the kind `kind` (TYPES' values) as the simulation builds it, `base` the config's folder;
    None, with its problems in `problems`, when it cannot be."""
    spec = _load_spec(cp, name, kind, base, problems)
    if spec is None or spec.tank_wh is None:
        for key in ("loss_w", "band_wh", "draws"):
            if spec is not None and cp.has_option("simulation", f"{name}.{key}"):
                problems.append(ConfigProblem("simulation", f"{name}.{key}", f"needs {name}.tank_wh: the energy the "
                                              "thermostat cuts at"))
        return spec
    loss_w = ini_number(cp, "simulation", f"{name}.loss_w", problems, zero_ok=True) or 0.0
    band_wh = ini_number(cp, "simulation", f"{name}.band_wh", problems)
    draws = _draws(ini_text(cp, "simulation", f"{name}.draws", None), f"{name}.draws", problems)
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
    topic = ini_text(cp, name, "topic_set_power", None)
    if topic is None:
        problems.append(ConfigProblem(name, "topic_set_power", "is required"))
    sim = "simulation"
    tank = ini_number(cp, sim, f"{name}.tank_wh", problems)
    if kind == "variable":
        given = ini_text(cp, sim, f"{name}.response", None)
        response = (base / given).resolve() if given else _calibration_path(cp, name, base)
        if not response.is_file():
            where = (sim, f"{name}.response") if given else (name, "calibration")
            problems.append(ConfigProblem(*where, f"no such file: {response}"))
        min_power = ini_number(cp, name, "min_power", problems, zero_ok=True)
        return LoadSpec(name, kind, topic or "", None, None, response,
                        MIN_POWER_DEFAULT_W if min_power is None else min_power, None, tank,
                        _calibration_path(cp, name, base), ini_number(cp, name, "max_power", problems))
    # The daemon's defaults for a relay's payloads (Hébert's plugs).
    payload_on = ini_text(cp, name, "json_on", None) or "1"
    payload_off = ini_text(cp, name, "json_off", None) or "0"
    power = ini_number(cp, sim, f"{name}.power_w", problems)
    if power is None and kind == "constant":
        power = ini_number(cp, name, "max_power", problems)
        if power is None and not cp.has_option(sim, f"{name}.power_w"):
            problems.append(ConfigProblem(name, "max_power", "is required for a constant load"))
    elif power is None:
        power = UNKNOWN_DEFAULT_W
    return LoadSpec(name, kind, topic or "", payload_on, payload_off, None, 0.0, power, tank)
