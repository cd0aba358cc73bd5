"""Local midnight, apart from the regulator: yesterday's energies (each load's and the production's) are
split at the midnight itself, and the day's report is closed. The regulator checks for it on every message
and timer, so the next midnight is computed once a day and the check is a single comparison; publishing
the report is left to the regulator, which owns the link."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import time, tzinfo

from core.daily_report import DailyFigures, DailyReport
from core.meters import EnergyCounter
from core.removed_counters import RemovedCounters
from equipments.base import Equipment
from values.local_time import local_date, local_instant, next_local_midnight

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows, so it stays what it was.
log = logging.getLogger("core.regulator")

# The next midnight is never further ahead than this: a day, a DST hour, and the lead of a day restored from a file
# ahead of the clock (status.restore: 12 h at most). Further is from before the clock was set back a day or more.
MAX_MIDNIGHT_AHEAD_S = 2 * 86400.0
# A clock set forward by more than this (NTP) read a day that was not the day: a Pi booted on 1970, or on systemd's
# build date, without its status file (set aside as dated ahead). A real clock's correction is seconds or minutes; a
# Pi off overnight, booted on fake-hwclock's last save, is behind by its downtime and its file's day is the real one.
WRONG_DAY_STEP_S = 86400.0


class DayRoll:
    """The next local midnight, and what happens at it."""

    def __init__(self, loads: Sequence[Equipment], production_energy: EnergyCounter, daily: DailyFigures,
                 tz: tzinfo | None) -> None:
        self._loads = loads
        self._production_energy = production_energy
        self._daily = daily
        self._tz = tz
        # Computed once a day: the regulator's hot path only compares `now` with it (never, before start).
        self.next_midnight_at = math.inf
        # The local date (YYYY-MM-DD) the day's energies and figures are counted for, until `next_midnight_at`
        # (None before start): not always the clock's. The day of a file restored from ahead of a clock still
        # behind, or the day before between a midnight and its roll: the status document says which, so that its
        # restore takes the figures for that day's.
        self.day: str | None = None
        # The instant the day's energies are counted from (epoch s; None before start): the day's midnight once
        # rolled to, the start itself when the regulator started without the day's energies (they count from 0
        # there, not from the midnight), a restored day's own. Home Assistant's last_reset: a new one is a new meter
        # cycle, the same one with lower energies a decrease.
        self.counted_since: float | None = None
        # The clock was set forward by more than WRONG_DAY_STEP_S over the next midnight, and the day that midnight
        # closes was this run's clock's (no file's): it was not the day
        self._wrong_day = False
        self._day_from_file = False  # the day being counted is a restored file's (its figures real, its date too)
        # The counters of the loads taken out of the config at a restart, rolled with the loads' (status.restore)
        self.removed = RemovedCounters()

    def start(self, now: float, counted_since: float | None = None, from_file: bool = False) -> None:
        """The regulator starts at `now`: the first midnight to wait for is the next one. `counted_since`: when the
        restored day's energies were counted from; None for energies counted from 0 at `now`. `from_file`: the day's
        figures were restored from the status file."""
        self._day_from_file = from_file
        self.next_midnight_at = next_local_midnight(now, self._tz)
        self.day = local_date(now, self._tz).isoformat()
        self.counted_since = now if counted_since is None else counted_since

    def stepped_back(self, now: float) -> None:
        """The clock stepped back to `now`: by a day or more, the day rolls at the clock's next midnight (the report
        then has the hours counted before the step too), not once the clock is back at the old one, days later, the
        days between counted as one."""
        if self.next_midnight_at - now > MAX_MIDNIGHT_AHEAD_S:
            self.next_midnight_at = next_local_midnight(now, self._tz)

    def clock_stepped_forward(self, step_s: float, seen_at: float | None) -> None:
        """The wall clock jumped forward by `step_s` from `seen_at` (the last time it read) with no time passing: by
        more than WRONG_DAY_STEP_S over the next midnight, the day it showed until then was no day at all, and the roll
        the jump brings publishes no report of it. Not a day restored from the status file: a Pi off for two days,
        booted on fake-hwclock's last save, counts the file's day on, and its report is that day's."""
        if (step_s > WRONG_DAY_STEP_S and not self._day_from_file and seen_at is not None
                and seen_at + step_s >= self.next_midnight_at):
            self._wrong_day = True

    def roll(self, now: float) -> DailyReport | None:
        """`now` is at or after `next_midnight_at`: roll the day over. Returns the report of the day that
        ended, to publish, when it has something to say."""
        # Energies are split at the midnight itself, not at the first message after it.
        midnight_at = self.next_midnight_at
        self.next_midnight_at = next_local_midnight(now, self._tz)
        new_day = local_date(now, self._tz)
        self.day = new_day.isoformat()
        self.counted_since = local_instant(new_day, time.min, self._tz)  # (midnight_at, but for a stall of days)
        for load in self._loads:
            wh = load.roll_day(midnight_at)  # full flags are cleared by the field features' daily clear
            log.info("new day: %s drew %.0f Wh yesterday", load.name, wh)
        self._production_energy.roll_day(midnight_at)
        self.removed.roll_day()
        log.info("new day: production was %.0f Wh yesterday", self._production_energy.yesterday_wh)
        report = self._daily.close(local_date(midnight_at - 1.0, self._tz).isoformat(), midnight_at)
        wrong_day, self._wrong_day, self._day_from_file = self._wrong_day, False, False
        if wrong_day:
            # (retained, a report dated 1970-01-01 replaced the last real day's for every dashboard)
            log.info("new day: no report of %s: the clock read that day until it was set forward by more than a day "
                     "(%.1f h of it counted)", report.date, report.covered_h)
            return None
        if report.covered_h <= 0:
            return None  # started just before midnight, or no decision all day: nothing to say
        log.info("%s", report.line())
        return report
