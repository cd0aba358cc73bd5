"""Shared set-up of the low-energy fallback's tests (test_fallback, test_fallback_seed_rule,
test_fallback_deadline_rule, test_fallback_forecast): times in Europe/Paris, the seed's [evaluate] keys, the
settings read from them, and Heater, which runs a rule as the regulator does."""

from __future__ import annotations

import configparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from equipments.modes import ForceCommand, UnforceCommand
from field.fallback_deadline import DeadlineFallback
from field.fallback_seed import SeedFallback
from field.fallback_settings import FALLBACK_EVALUATE_OPTIONS, FallbackSettings, read_fallback_settings
from settings.section_reader import SectionReader

PARIS = ZoneInfo("Europe/Paris")
MAX_W = 2300.0
SEED_EVALUATE = """
[evaluate]
margin = 20
period = 3
balance_threshold = 20
check_at = 1
status_time = 900
ecs_full_capacity = 14000
low_ecs_energy_two_days = 11000
low_ecs_energy_today = 7000
"""


def at(y: int, m: int, d: int, h: int, mi: int = 0, s: int = 0, fold: int = 0) -> float:
    return datetime(y, m, d, h, mi, s, tzinfo=PARIS, fold=fold).timestamp()


def local(t: float) -> str:
    return datetime.fromtimestamp(t, PARIS).strftime("%Y-%m-%d %H:%M:%S%z")


def read(text: str) -> tuple[FallbackSettings, SectionReader]:
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    cp.optionxform = str.lower  # type: ignore[assignment,method-assign]
    cp.read_string(text)
    reader = SectionReader()
    evaluate = reader.read(cp, "evaluate", FALLBACK_EVALUATE_OPTIONS)
    return read_fallback_settings(cp, reader, evaluate), reader


def settings(text: str = SEED_EVALUATE) -> FallbackSettings:
    result, reader = read(text)
    assert reader.problems == []
    return result


Rule = SeedFallback | DeadlineFallback
Decision = ForceCommand | UnforceCommand


@dataclass
class Heater:
    """The water heater as the regulator runs it: forced at max while a force lasts, else solar watts."""

    rule: Rule
    now: float
    solar_w: Callable[[float], float] = lambda t: 0.0
    full_from: float = float("inf")
    full_until: float = float("inf")  # the daily clear lifts the flag
    allowed: bool = True
    counter_wh: float = 0.0
    forced_until: float | None = None
    decisions: list[tuple[float, Decision]] = field(default_factory=list)

    def run_until(self, end: float, step: float = 60.0) -> None:
        while self.now < end:
            full = self.full_from <= self.now < self.full_until
            forced = self.forced_until is not None and self.now < self.forced_until
            power_w = 0.0 if full else (MAX_W if forced else self.solar_w(self.now))
            self.now += step
            self.counter_wh += power_w * step / 3600.0
            decision = self.rule.tick(self.now, self.counter_wh, MAX_W,
                                      self.full_from <= self.now < self.full_until, self.allowed)
            if decision is None:
                continue
            self.decisions.append((self.now, decision))
            if isinstance(decision, ForceCommand):
                assert decision.duration_s is not None
                self.forced_until = self.now + decision.duration_s
            else:
                self.forced_until = None


def sunny(kw: float, start_h: int = 11, hours: int = 3) -> Callable[[float], float]:
    """`kw` kW of surplus into the heater for `hours` from `start_h` local, every day."""
    def solar(t: float) -> float:
        return kw * 1000 if start_h <= datetime.fromtimestamp(t, PARIS).hour < start_h + hours else 0.0
    return solar


def daily_sun(day_wh: float, hours: int = 3) -> Callable[[float], float]:
    """`day_wh` Wh of surplus a day, spread evenly over `hours` from 11:00 local (kW = day_wh / (hours x 1000 h))."""
    return sunny(day_wh / (hours * 1000), hours=hours)
