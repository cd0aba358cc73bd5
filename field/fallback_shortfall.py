"""The seed rule's sums, as the seed's low_energy_fallback did them: the season a night's check is in, and the Wh it
forces from the day's and the two days' energy against that season's thresholds and the forecast cloud cover. Pure:
figures in, figures out (field/fallback_seed.py runs them at each night's check)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from field.fallback_settings import SeasonThresholds, SeedRuleSettings
from field.forecast import SOURCE_DEFAULT, CloudPick


def no_forecast(day: date) -> CloudPick:
    """The seed's value when no forecast source is wired: a fully cloudy sky."""
    return CloudPick(day, 100.0, SOURCE_DEFAULT, None, "no forecast source")


def seed_force_wh(today_wh: float, two_days_wh: float, limits: SeasonThresholds, clouds_percent: float,
                  settings: SeedRuleSettings) -> tuple[float, str]:
    """The seed's low_energy_fallback, branch for branch: the Wh to force and why (not for a full tank)."""
    missing_today_wh = limits.today_wh - today_wh
    sunny = clouds_percent < settings.clear_sky_clouds_percent
    sky = f"{'sunny' if sunny else 'cloudy'} forecast (bound {settings.clear_sky_clouds_percent:.0f} %)"
    if missing_today_wh <= 0:
        return 0.0, "enough today"
    if two_days_wh < limits.two_days_wh:
        if sunny:
            missing_two_days_wh = limits.two_days_wh - two_days_wh
            return min(missing_today_wh, missing_two_days_wh), \
                f"short today and over two days, {sky}: the smaller shortfall"
        return missing_today_wh, f"short today and over two days, {sky}: today's shortfall"
    if sunny:
        return 0.0, f"short today but enough over two days, {sky}"
    return max(0.0, settings.cloudy_min_today_wh - today_wh), \
        f"short today but enough over two days, {sky}: today topped up to {settings.cloudy_min_today_wh:.0f} Wh"


def season_of(day_of_year: int, starts: Mapping[str, int]) -> str:
    """The season whose start day (1..366) is the latest at or before `day_of_year`, cyclically: before
    the earliest start, the season with the latest start (winter, with northern defaults) still runs."""
    ordered = sorted(starts.items(), key=lambda item: item[1])
    current = ordered[-1][0]
    for name, start in ordered:
        if start <= day_of_year:
            current = name
    return current
