"""Options of the low-energy fallback and the daily full-tank clear: [fallback], [season], and the seed's
keys in [evaluate] (check_at, init_at, low_ecs_energy_today/two_days; ecs_full_capacity is ignored, as
the seed ignored it)."""

from __future__ import annotations

import configparser
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType
from typing import Any

from field.fallback_resume import MIN_FORCE_WH
from settings.options import Option
from settings.problems import ConfigProblem
from settings.section_reader import SectionReader
from values.local_time import minutes_between, parse_hhmm, parse_span

SEASONS = ("spring", "summer", "fall", "winter")
DEFAULT_TODAY_WH = 7000.0  # the seed's config.ini.sample
DEFAULT_TWO_DAYS_WH = 11000.0
# Day of year each season starts (northern hemisphere: 21 March, 21 June, 22 September, 21 December).
DEFAULT_SEASON_STARTS = {"spring": 80, "summer": 172, "fall": 265, "winter": 355}

# The most Wh an energy option may say: a 3 kW heater on for two days is 144 kWh. A bound: 1e307 Wh passed, and the
# check's own notes raised OverflowError (a traceback, the daemon not started).
MAX_ENERGY_WH = 1_000_000.0
# Read by the loader as part of [evaluate] (the seed's keys live there); the dict is passed back in.
FALLBACK_EVALUATE_OPTIONS: tuple[Option, ...] = (
    Option("check_at", int, 1, "local hour (0-23; 24 = 0) of the daily low-energy check", min=0, max=24),
    Option("init_at", int, 6, "local hour (0-23) at which full tanks are cleared (midnight too)", min=0,
           max=24),
    Option("low_ecs_energy_today", "float?", None, "seed key: today's Wh threshold for every season (not set: "
           f"{DEFAULT_TODAY_WH:.0f}, the seed's sample)", min=0, max=MAX_ENERGY_WH),
    Option("low_ecs_energy_two_days", "float?", None, "seed key: two-day Wh threshold for every season (not set: "
           f"{DEFAULT_TWO_DAYS_WH:.0f}, the seed's sample)", min=0, max=MAX_ENERGY_WH),
    Option("good_forecast", "float?", None, "Coturex's key, read as [fallback] clear_sky_clouds_percent (its "
           "new name)", min=0, max=101),
)
# Seed keys of [evaluate] the seed itself never used, with the reason a user is told.
FALLBACK_EVALUATE_IGNORED: dict[str, str] = {
    "ecs_full_capacity": "a day that ends with the tank full counts as the two-day threshold ([evaluate] "
                         "low_ecs_energy_two_days, or [fallback] low_nrj_two_days_<season>), as in the seed",
}

FALLBACK_OPTIONS: tuple[Option, ...] = (
    Option("water_heater", "text?", None, "the load the fallback and the Domoticz mode act on "
           "(default: the first load of type water_heater, else the first variable load)"),
    Option("seed_rule", bool, True, "run the seed's daily check at [evaluate] check_at: it may force the water "
           "heater from the grid (--check says how much); false = off"),
    Option("clear_sky_clouds_percent", float, 20.0, "seed rule: a forecast cloud cover (%) below this is a "
           "sunny day", min=0, max=101),
    Option("cloudy_min_today_wh", float, 3000.0, "seed rule: enough over two days but a cloudy forecast: today "
           "is topped up to this many Wh", min=0, max=MAX_ENERGY_WH),
    *(Option(f"low_nrj_today_{s}", "float?", None, f"{s}: Wh the heater must get a day (not set: [evaluate] "
             "low_ecs_energy_today's)", min=0, max=MAX_ENERGY_WH)
      for s in SEASONS),
    *(Option(f"low_nrj_two_days_{s}", "float?", None, f"{s}: Wh the heater must get over two days (not set: "
             "[evaluate] low_ecs_energy_two_days's)", min=0, max=MAX_ENERGY_WH)
      for s in SEASONS),
    Option("min_energy_wh", float, 0.0, "deadline rule: Wh the heater must get by `deadline` (0 = off); less than "
           "100 Wh missing is never forced", min=0, max=MAX_ENERGY_WH),
    Option("deadline", str, "07:00", "deadline rule: local time (HH:MM) the energy is due by"),
    Option("offpeak", "text?", None, "deadline rule: local span (HH:MM-HH:MM) forcing may use; empty = any"),
    Option("start_margin_s", float, 900.0, "deadline rule: start this many seconds before the latest start",
           min=0, max=86400),
    Option("deadline_pv_share", float, 0.0, "deadline rule: share (0-1) of the deadline day's forecast PV Wh "
           "counted as coming before the deadline (0 = off)", min=0, max=1),
)

SEASON_OPTIONS: tuple[Option, ...] = tuple(
    Option(f"yday_{s}", int, DEFAULT_SEASON_STARTS[s], f"day of year (1-366) {s} starts", min=1, max=366)
    for s in SEASONS
)


@dataclass(frozen=True, slots=True)
class SeasonThresholds:
    """The seed rule's two thresholds for one season."""

    today_wh: float
    two_days_wh: float


@dataclass(frozen=True, slots=True)
class SeedRuleSettings:
    """The seed's daily check."""

    enabled: bool
    check_at_hour: int
    season_starts: Mapping[str, int]
    thresholds: Mapping[str, SeasonThresholds]
    clear_sky_clouds_percent: float = 20.0  # the seed's "cloud forecast is good" bound
    cloudy_min_today_wh: float = 3000.0  # the seed's top-up on a cloudy day after two good ones

    @property
    def forecast_tomorrow(self) -> bool:
        """The seed's getCloudAvg day: tomorrow when check_at is after 07:00 (evening), else today."""
        return 7 < self.check_at_hour < 24


@dataclass(frozen=True, slots=True)
class DeadlineSettings:
    """The deadline rule: `min_energy_wh` by `deadline`, forcing only inside `offpeak` if given."""

    min_energy_wh: float
    deadline: time
    offpeak: tuple[time, time] | None
    start_margin_s: float
    pv_share: float = 0.0  # of the deadline day's forecast PV, counted as coming before the deadline

    def most_wh(self, max_power_w: float) -> float:
        """The most the rule forces before a deadline, at `max_power_w`: its target, or what that power gets in the
        span it may force in, when less (a target out of reach, warned by the config's check)."""
        return min(self.min_energy_wh, max_power_w * self.forcing_span_s() / 3600.0)

    def forcing_span_s(self) -> float:
        """The longest the rule may force before a deadline: a day, or its off-peak span (cut at the deadline when the
        span holds it: DeadlineFallback.window), on a day without a DST change."""
        if self.offpeak is None:
            return 86400.0
        start, end = self.offpeak
        span_min = minutes_between(start, end)
        to_deadline_min = minutes_between(start, self.deadline)
        return 60.0 * (to_deadline_min if to_deadline_min < span_min else span_min)


@dataclass(frozen=True, slots=True)
class FallbackSettings:
    """Everything the fallback rules and the full-tank clear need from the config."""

    water_heater: str | None
    seed: SeedRuleSettings
    deadline: DeadlineSettings | None  # None: the deadline rule is off
    init_at_hour: int


def _parsed(reader: SectionReader, section: str, key: str, text: str | None, parse: Any) -> Any:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        reader.problems.append(ConfigProblem(section, key, str(exc)))
        return None


def read_fallback_settings(cp: configparser.ConfigParser, reader: SectionReader,
                           evaluate_raw: Mapping[str, Any]) -> FallbackSettings:
    """[fallback] and [season] read with `reader` (problems collected there); `evaluate_raw` holds the
    values of FALLBACK_EVALUATE_OPTIONS read from [evaluate]."""
    fb = reader.read(cp, "fallback", FALLBACK_OPTIONS)
    season = reader.read(cp, "season", SEASON_OPTIONS)

    def given(key: str, default: Any) -> Any:
        value = evaluate_raw.get(key)
        return default if value is None else value

    starts = {s: season[f"yday_{s}"] or DEFAULT_SEASON_STARTS[s] for s in SEASONS}
    if len(set(starts.values())) != len(starts):
        reader.problems.append(ConfigProblem("season", None, "the four yday_ start days must differ"))
    today_default = given("low_ecs_energy_today", DEFAULT_TODAY_WH)
    two_days_default = given("low_ecs_energy_two_days", DEFAULT_TWO_DAYS_WH)
    thresholds = {
        s: SeasonThresholds(
            fb[f"low_nrj_today_{s}"] if fb[f"low_nrj_today_{s}"] is not None else today_default,
            fb[f"low_nrj_two_days_{s}"] if fb[f"low_nrj_two_days_{s}"] is not None else two_days_default)
        for s in SEASONS
    }
    _warn_two_days_under_today(reader, fb, thresholds)
    clear_sky = _clear_sky_clouds_percent(cp, reader, fb["clear_sky_clouds_percent"], evaluate_raw)
    seed = SeedRuleSettings(
        enabled=bool(fb["seed_rule"]) if fb["seed_rule"] is not None else True,
        check_at_hour=int(given("check_at", 1)) % 24,
        season_starts=MappingProxyType(starts),
        thresholds=MappingProxyType(thresholds),
        clear_sky_clouds_percent=clear_sky,
        cloudy_min_today_wh=fb["cloudy_min_today_wh"] if fb["cloudy_min_today_wh"] is not None else 3000.0,
    )
    deadline_at = _parsed(reader, "fallback", "deadline", fb["deadline"], parse_hhmm)
    offpeak = _parsed(reader, "fallback", "offpeak", fb["offpeak"], parse_span)
    deadline = None
    if fb["min_energy_wh"] and fb["min_energy_wh"] < MIN_FORCE_WH:
        reader.warnings.append(ConfigProblem("fallback", "min_energy_wh", f"{fb['min_energy_wh']:g} Wh: the deadline "
                                             f"rule never forces less than {MIN_FORCE_WH:.0f} Wh missing, so it "
                                             "never forces (0 turns it off)"))
    if fb["min_energy_wh"] and deadline_at is not None:
        deadline = DeadlineSettings(fb["min_energy_wh"], deadline_at, offpeak, fb["start_margin_s"] or 0.0,
                                    fb["deadline_pv_share"] or 0.0)
    return FallbackSettings(
        water_heater=fb["water_heater"], seed=seed, deadline=deadline,
        init_at_hour=int(given("init_at", 6)) % 24,
    )


def _warn_two_days_under_today(reader: SectionReader, fb: Mapping[str, Any],
                               thresholds: Mapping[str, SeasonThresholds]) -> None:
    """A two-day threshold under the day's is a swap (one of the seed's own versions swapped the two): two days never
    hold less than today, so the two-day test means nothing and the sunny and cloudy cases force alike. Said once
    per key that sets it: a season's own, else [evaluate]'s for every season."""
    said: dict[tuple[str, str], str] = {}
    for s in SEASONS:
        t = thresholds[s]
        if t.two_days_wh >= t.today_wh:
            continue
        own = fb[f"low_nrj_two_days_{s}"] is not None or fb[f"low_nrj_today_{s}"] is not None
        where = ("fallback", f"low_nrj_two_days_{s}") if own else ("evaluate", "low_ecs_energy_two_days")
        said.setdefault(where, f"{t.two_days_wh:g} Wh over two days is under the {t.today_wh:g} Wh of one "
                               f"day{f' ({s})' if own else ''}: two days never hold less than today, so the two-day "
                               "test means nothing (the two swapped?)")
    reader.warnings.extend(ConfigProblem(section, key, text) for (section, key), text in said.items())


def _clear_sky_clouds_percent(cp: configparser.ConfigParser, reader: SectionReader, given: float,
                              evaluate_raw: Mapping[str, Any]) -> float:
    """[fallback] clear_sky_clouds_percent, or Coturex's [evaluate] good_forecast under its old name (read,
    with a warning naming the new key, as the seed's other renamed keys are)."""
    new_key = "[fallback] clear_sky_clouds_percent"
    old_value = evaluate_raw.get("good_forecast")
    if old_value is None:
        return given  # (its option's default when not set)
    if cp.has_option("fallback", "clear_sky_clouds_percent"):
        reader.warnings.append(ConfigProblem("evaluate", "good_forecast", f"ignored: {new_key} is given too "
                                             "and is used"))
        return given  # (its option's default when not set)
    reader.warnings.append(ConfigProblem("evaluate", "good_forecast", f"read as {new_key} = {old_value:g} "
                                         "(its new name: rename it)"))
    return float(old_value)
