"""Low-energy fallback, the seed's rule: once a day at `check_at`, if the water heater got too little
energy today and over two days (thresholds per season), force it at full power long enough to make up
today's shortfall: 3600 x missing Wh / max W seconds (Hébert's formula). Pure: `now`, the heater's
energy counter and its state come in; a force command (executed like one from regul/mode) goes out."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from core.fallback_settings import SeedRuleSettings
from core.fallback_time import crossed, hour, local_date
from core.modes import ForceCommand

log = logging.getLogger(__name__)

MIN_WINDOW_S = 20 * 3600  # a check on fewer hours of counted energy (fresh start) would force wrongly

# A saved time outside these years is a damaged file, not a date: 1e20 or inf would overflow every
# datetime conversion (the status document's, the rules'), and 0 or a negative one means nothing here.
EPOCH_MIN_S = 946_684_800.0  # 2000-01-01 UTC
EPOCH_MAX_S = 4_102_444_800.0  # 2100-01-01 UTC


def saved_number(value: Any, low: float = -math.inf, high: float = math.inf) -> float | None:
    """`value` from a status file as a float when it is a finite number in [low, high], else None
    (JSON reads NaN and 1e400 = inf: neither may reach a counter or the published status)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)  # an int too large for a float raises nothing here: it becomes inf
    return number if math.isfinite(number) and low <= number <= high else None


def saved_epoch(value: Any) -> float | None:
    """A saved time (epoch seconds) when it is a plausible one (years 2000 to 2100), else None."""
    return saved_number(value, EPOCH_MIN_S, EPOCH_MAX_S)


def saved_energy(value: Any) -> float | None:
    """A saved energy (Wh) when it is finite and not negative, else None."""
    return saved_number(value, 0.0)


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
        """Take back a snapshot; missing or malformed fields (not finite, a negative energy, a time
        outside 2000..2100) keep their defaults, with a warning."""
        def checked(key: str, parse: Callable[[Any], float | None]) -> float | None:
            value = saved.get(key)
            number = parse(value)
            if value is not None and number is None:
                log.warning("low-energy fallback: saved %s %r ignored (not a plausible value)", key, value)
            return number

        self.today_wh = checked("today_wh", saved_energy) or 0.0
        self.yesterday_wh = checked("yesterday_wh", saved_energy) or 0.0
        self.window_start = checked("window_start", saved_epoch)
        self.checked_until = checked("checked_until", saved_epoch)
        # 0 is the value saved before the rule ever forced (count everything).
        self._count_from = checked("count_from", lambda v: saved_number(v, 0.0, EPOCH_MAX_S)) or 0.0
