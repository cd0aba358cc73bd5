"""Low-energy fallback, the seed's rule: once a day at `check_at`, if the water heater got too little
energy today and over two days (thresholds per season), force it at full power long enough to make up
today's shortfall: 3600 x missing Wh / max W seconds (Hébert's formula). Pure: `now`, the heater's
energy counter and its state come in; a force command (executed like one from regul/mode) goes out."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from core.fallback_settings import SeedRuleSettings
from core.fallback_time import crossed, hour, local_date
from core.modes import ForceCommand

log = logging.getLogger(__name__)

MIN_WINDOW_S = 20 * 3600  # a check on fewer hours of counted energy (fresh start) would force wrongly


def season_of(day_of_year: int, starts: Mapping[str, int]) -> str:
    """The season whose start day (1..366) is the latest at or before `day_of_year`, cyclically: before
    the earliest start, the season with the latest start (winter, with northern defaults) still runs."""
    ordered = sorted(starts.items(), key=lambda item: item[1])
    current = ordered[-1][0]
    for name, start in ordered:
        if start <= day_of_year:
            current = name
    return current


@dataclass(slots=True)
class EnergyDelta:
    """Increments of a load's energy counter, which may be reset (e.g. at midnight) between two reads."""

    last_wh: float | None = None

    def step(self, counter_wh: float) -> float:
        """The energy drawn since the previous read: after a reset, all of the new value."""
        last, self.last_wh = self.last_wh, counter_wh
        if last is None:
            return 0.0
        return counter_wh if counter_wh < last else counter_wh - last


class SeedFallback:
    """The seed's daily check. `yesterday_wh` is persisted (snapshot/restore) with the running window."""

    def __init__(self, load_name: str, settings: SeedRuleSettings, tz: tzinfo | None,
                 full_capacity_wh: float = 0.0) -> None:
        self.load_name = load_name
        self.settings = settings
        self.tz = tz
        self.full_capacity_wh = full_capacity_wh
        self.today_wh = 0.0  # heater energy counted since the window started
        self.yesterday_wh = 0.0  # the previous window's, for the two-day threshold
        self.window_start: float | None = None
        self.checked_until: float | None = None  # the last tick: a check_at passed after it is due
        self._count_from = 0.0  # energy before this (the fallback's own force) is not counted
        self._delta = EnergyDelta()

    def tick(self, now: float, heater_energy_wh: float, max_power_w: float, full: bool,
             allowed: bool = True) -> ForceCommand | None:
        """Count the heater's energy; at `check_at` decide. `allowed` is False when the water-heater mode
        excludes the fallback (the window still rolls)."""
        delta_wh = self._delta.step(heater_energy_wh)
        if now >= self._count_from:
            self.today_wh += delta_wh
        since, self.checked_until = self.checked_until, now
        if since is None or self.window_start is None:
            self.window_start = now if self.window_start is None else self.window_start
            return None
        if not crossed(since, now, hour(self.settings.check_at_hour), self.tz):
            return None
        return self._check(now, max_power_w, full, allowed)

    def _check(self, now: float, max_power_w: float, full: bool, allowed: bool) -> ForceCommand | None:
        assert self.window_start is not None
        season = season_of(local_date(now, self.tz).timetuple().tm_yday, self.settings.season_starts)
        limits = self.settings.thresholds[season]
        today_wh, yesterday_wh = self.today_wh, self.yesterday_wh
        two_days_wh = today_wh + yesterday_wh
        numbers = (f"{season}: today {today_wh:.0f} Wh (threshold {limits.today_wh:.0f}), yesterday "
                   f"{yesterday_wh:.0f} Wh, two days {two_days_wh:.0f} Wh (threshold {limits.two_days_wh:.0f})")
        command: ForceCommand | None = None
        counted_wh = today_wh
        missing_wh = limits.today_wh - today_wh
        if now - self.window_start < MIN_WINDOW_S:
            log.info("low-energy fallback: only %.1f h of heater energy counted (fresh start): no force; %s",
                     (now - self.window_start) / 3600, numbers)
        elif full:
            counted_wh = max(today_wh, self.full_capacity_wh)
            log.info("low-energy fallback: %s is full, no force; today counted as %.0f Wh; %s", self.load_name,
                     counted_wh, numbers)
        elif missing_wh <= 0 or two_days_wh >= limits.two_days_wh:
            log.info("low-energy fallback: enough energy, no force; %s", numbers)
        elif not allowed:
            log.info("low-energy fallback: %.0f Wh missing but the water-heater mode excludes the fallback; %s",
                     missing_wh, numbers)
        elif max_power_w <= 0:
            log.warning("low-energy fallback: %s has no usable max power: no force; %s", self.load_name, numbers)
        else:
            duration_s = round(3600.0 * missing_wh / max_power_w)
            command = ForceCommand(self.load_name, max_power_w, duration_s)
            log.info("low-energy fallback: forcing %s to %.0f W for %d s (%.0f Wh missing); %s", self.load_name,
                     max_power_w, duration_s, missing_wh, numbers)
        # The force's own energy is credited to the day it makes up (the seed's today + left_energy),
        # not counted again in tomorrow's window.
        self.yesterday_wh = counted_wh + (missing_wh if command else 0.0)
        self.today_wh = 0.0
        self._count_from = now + (command.duration_s or 0.0) if command else now
        self.window_start = now
        return command

    def snapshot(self) -> dict[str, float | None]:
        """What to persist across a restart (JSON-ready)."""
        return {"today_wh": round(self.today_wh, 1), "yesterday_wh": round(self.yesterday_wh, 1),
                "window_start": self.window_start, "checked_until": self.checked_until,
                "count_from": self._count_from}

    def restore(self, saved: Mapping[str, Any]) -> None:
        """Take back a snapshot; missing or malformed fields keep their defaults."""
        def number(key: str) -> float | None:
            value = saved.get(key)
            return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

        self.today_wh = number("today_wh") or 0.0
        self.yesterday_wh = number("yesterday_wh") or 0.0
        self.window_start = number("window_start")
        self.checked_until = number("checked_until")
        self._count_from = number("count_from") or 0.0
