"""Low-energy fallback, the seed's rule: once a day at `check_at`, if the water heater got too little
energy today (thresholds per season), force it at full power for 3600 x Wh / max W seconds (Hébert's
formula), the Wh chosen from the two-day energy and the cloud forecast as the seed's low_energy_fallback
did. Pure: `now`, the heater's energy counter, its state and the forecast come in; a force command
(executed like one from regul/mode) goes out. Its parts, mixins of SeedFallback: its window (fallback_seed_window), the
wall clock's steps (fallback_seed_clock), its own force followed (fallback_seed_own)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from equipments.modes import ForceCommand
from field.fallback_answers import VariatorAnswers
from field.fallback_resume import MAX_LATE_S, MIN_FORCE_WH, OwnForce
from field.fallback_seed_clock import SeedClock
from field.fallback_seed_own import Answers, SeedOwnForce
from field.fallback_seed_window import SeedWindow
from field.fallback_settings import SeedRuleSettings
from field.fallback_shortfall import no_forecast, season_of, seed_force_wh
from field.forecast import CloudPick
from field.forecast_pending import FetchUnderWay
from values.local_time import DailyTime, hour, local_date

log = logging.getLogger(__name__)

CloudSource = Callable[[date], CloudPick]  # the forecast cloud cover of a local date, for a check
FORCED_BY_SEED = "seed_rule"  # who forces the heater when this rule does
MIN_WINDOW_S = 20 * 3600  # a check on fewer hours of counted energy (fresh start) would force wrongly
# The most the clock may read behind the last tick for that tick to stand (a restore from a file ahead of a clock not
# synced yet, NTP stepping a clock back): the status restore takes a file up to 12 h ahead.
MAX_CLOCK_BEHIND_S = 24 * 3600
# A forecast fetch's try is waited for only if its answer comes this long before the night's room ends (MAX_LATE_S after
# check_at): the check then runs at the rules' next pass, within it.
AWAIT_SPARE_S = 60.0


@dataclass(slots=True)
class EnergyDelta:
    """Increments of a load's energy counter, which may be reset (e.g. at midnight) between two reads."""

    last_wh: float | None = None

    def step(self, counter_wh: float, final_wh: float | None = None) -> float:
        """The energy drawn since the previous read: after a reset, all of the new value, and what the counter gained
        between the previous read and the reset when its final value is known (`final_wh`, the day's total: lost, the
        rules' counts missed the heater's last seconds before each midnight, some 3 Wh of a 2 kW force)."""
        last, self.last_wh = self.last_wh, counter_wh
        if last is None:
            return 0.0
        if counter_wh >= last:
            return counter_wh - last
        return counter_wh + (final_wh - last if final_wh is not None and final_wh > last else 0.0)


class SeedFallback(SeedWindow, SeedClock, SeedOwnForce):
    """The seed's daily check. `yesterday_wh` is persisted (snapshot/restore: SeedWindow) with the running window."""

    def __init__(self, load_name: str, settings: SeedRuleSettings, tz: tzinfo | None,
                 status_topic: str | None = None) -> None:
        self.load_name = load_name
        self.settings = settings
        self.tz = tz
        self.today_wh = 0.0  # heater energy counted since the window started
        self.yesterday_wh = 0.0  # the previous window's, for the two-day threshold
        self.window_start: float | None = None
        # The window's start was stamped by this run's clock (a fresh start, a roll), not restored from a file: a jump
        # of that clock moves it too (clock_stepped_forward)
        self._window_stamped_here = False
        self.checked_until: float | None = None  # the last tick: a check_at passed after it is due
        self._count_from = 0.0  # energy before this (the fallback's own force) is not counted
        # The clock's steps back told by the regulator since `checked_until` was last set to the clock's time (its own
        # force and `_count_from` moved back by them already): `_set_back_afresh` moves them by the rest only.
        self._told_back_s = 0.0
        # The tank was found full in this window: the full flags are cleared at midnight (and init_at), before
        # the default 01:00 check, which would otherwise never see a tank that filled in the afternoon.
        self.full_in_window = False
        self._delta = EnergyDelta()
        self.check_at = DailyTime(hour(settings.check_at_hour), tz)
        self._told_held = False  # the check waiting for another's force to end was logged
        self._told_awaited: float | None = None  # the check waiting for a forecast fetch's try was logged (its end)
        self._full_before: bool | None = False  # the full flag at the last tick (None: not seen since a restore)
        self._own: OwnForce | None = None  # the rule's last force, while owed (saved with the window)
        # Whether the heater's variator answers on `status_topic` (None: nowhere) (saved: for a force after a restart)
        self._variator = VariatorAnswers(load_name, "low-energy fallback", status_topic)
        # The check_at hour of the run that saved the restored window, until the first tick compares it with this one's
        # (None: nothing restored, or a file that does not say)
        self._saved_check_at_hour: int | None = None

    def tick(self, now: float, heater_energy_wh: float, max_power_w: float, full: bool,
             allowed: bool = True, clouds: CloudSource | None = None,
             forced_by: str | None = FORCED_BY_SEED, answers: Answers = (None, None),
             heater_yesterday_wh: float | None = None, full_by_sun: bool | None = None,
             awaited: FetchUnderWay | None = None) -> ForceCommand | None:
        """Count the heater's energy; at `check_at` decide. `allowed` is False when the water-heater mode
        excludes the fallback (the window still rolls); `clouds` gives the forecast cloud cover of a date
        (none: the seed's 100 %); `forced_by`: who forces the heater now, if anyone. Another's force holds the
        check until it ends (its own would not be applied); none while the rule's own force should run: a user
        unforced it. `answers`: the heater's variator's last answer and when its command was last sent (None: no
        answers to judge by). `heater_yesterday_wh`: the heater's counter's value at its last reset (midnight).
        `full_by_sun`: `full`, not found under a fallback rule's force (None: any full flag). `awaited`: a forecast
        fetch's try under way, its answer not come yet: a check due holds until it comes or its deadline passes."""
        held_by = forced_by if forced_by != FORCED_BY_SEED else None
        own_force_on = forced_by == FORCED_BY_SEED
        delta_wh = self._delta.step(heater_energy_wh, heater_yesterday_wh)
        answers = (self._variator.last_answer(answers[0], now, answers[1]), answers[1])
        resumed = self._follow_own_force(now, delta_wh, max_power_w, full, allowed, held_by, own_force_on, answers)
        if resumed is not None:
            return resumed
        counting = now >= self._count_from
        if counting:
            self.today_wh += delta_wh
        # A tank found full while the window counts: one that fills during the rule's own force is the night's
        # heating done, not a sunny window's (its flag, held until the daily clear, made the next night's check
        # force nothing after a grey day), so only a tank found full once the force is over counts.
        # (after a restore the flag is the saved one's, counted then if it is this window's: seen full at the first
        # tick, it was counted once more, and the next night's check forced nothing after a grey day)
        # Nor one found full under the deadline rule's force (its flag lasts only to that force's end, and the next
        # full flag found under the other rule's force at night counted as a sunny day: no force the next night).
        by_sun = full if full_by_sun is None else full_by_sun
        if by_sun and self._full_before is False and counting:
            self.full_in_window = True
        self._full_before = by_sun
        if self._saved_check_at_hour is not None:
            self._follow_a_moved_check(now)
        since = self.checked_until
        if since is not None and since <= now:
            self._told_back_s = 0.0  # (the clock past the last tick: no step back outstanding)
        if since is None or self.window_start is None:
            self._start_afresh(now)
            return None
        if since - now > MAX_CLOCK_BEHIND_S:
            self._set_back_afresh(now, since - now)
            return None
        if not self.check_at.crossed(since, now):
            # A clock behind the last tick keeps the last tick: a check_at between them was checked already. Restored
            # from a file saved at 01:05 by a Pi booted on the clock it saved last (00:20, until NTP sets it), the
            # clock's 01:00 ran the night's check again, a "fresh start" that rolled the window: the day's energy was
            # no longer yesterday's, and a sunny next night forced more from the grid. (Further behind than a day: a
            # fresh start, above.)
            self.checked_until = since if since > now else now
            return None
        due_at = self._last_check_at(self.check_at.next_after(since), now)
        # (from the last check_at: a day of downtime is not 3 h late)
        if held_by is not None:
            if now - due_at <= MAX_LATE_S:
                # A user's boost at 00:55 refused the 01:00 force, which was then counted as delivered: a cold
                # morning. The check waits (checked_until stays before check_at: it also runs after a restart).
                if not self._told_held:
                    self._told_held = True
                    log.info("low-energy fallback: the %02d:00 check waits: %s is forced by %s",
                             self.settings.check_at_hour, self.load_name, held_by)
                return None
            self.checked_until, self._told_held = now, False
            self._skip(now, due_at, f"{self.load_name} was forced by {held_by} for {MAX_LATE_S / 3600:.0f} h after "
                                    "check_at: the night's check is skipped")
            return None
        if awaited is not None and now - due_at <= MAX_LATE_S and self._waits_for(awaited, due_at):
            # A start seconds before check_at (or a late check after a reboot) ran the check before the start's fetch
            # ended: "no forecast received", a force as for a 100 % cloudy sky, the answer seconds away. The wait is
            # the try's own, timeout_s at most, and its round's next tries' (checked_until stays before check_at, as
            # for another's force).
            return None
        self.checked_until, self._told_held, self._told_awaited = now, False, None
        if now - due_at > MAX_LATE_S:
            late_h = (now - due_at) / 3600
            self._skip(now, due_at, f"the {self.settings.check_at_hour:02d}:00 check comes {late_h:.1f} h late (PySEB "
                                    f"was not running then): skipped, more than {MAX_LATE_S / 3600:.0f} h after it")
            return None
        # (the window starts at the last check_at, even when the check comes late: a restart at 07:00 made the
        # next night's window 18 h long, a "fresh start" that forced nothing after a grey day)
        return self._check(now, due_at, max_power_w, self.full_in_window, allowed, clouds or no_forecast)

    def _waits_for(self, awaited: FetchUnderWay, due_at: float) -> bool:
        """Whether the check due at `due_at` waits for `awaited`: not when its answer would come past the night's room,
        MAX_LATE_S after check_at (waited for, a check at 03:59:55 came late past it, and the night's was skipped);
        said once a try."""
        waits = awaited.ends_by + AWAIT_SPARE_S <= due_at + MAX_LATE_S
        if self._told_awaited != awaited.ends_by:
            self._told_awaited = awaited.ends_by
            said = f"the {self.settings.check_at_hour:02d}:00 check %s {awaited.waited_for(self.tz)}"
            if waits:
                log.info("low-energy fallback: " + said, "waits for")
            else:
                log.info("low-energy fallback: " + said + ": the check must come within %.0f h of check_at, with a "
                         "minute to spare", "does not wait for", MAX_LATE_S / 3600)
        return waits

    def _last_check_at(self, first_due_at: float, now: float) -> float:
        """The last check_at at or before `now`, from `first_due_at` (days of downtime are not counted hours)."""
        last = first_due_at
        while (following := self.check_at.next_after(last)) <= now:
            last = following
        return last

    def _skip(self, now: float, due_at: float, why: str) -> None:
        """No check this time: the window rolls, nothing forced nor credited."""
        log.info("low-energy fallback: %s; today %.0f Wh", why, self.today_wh)
        if self._own is not None:
            # A night's force still owed (another's force over it since) was credited to the window this roll moves
            # out of the two-day sum: settled later, what it did not draw came off the next window's energy (7050 Wh
            # of a 300 W boost left 1950), and the night after forced from the grid what two days had given. Past its
            # night's room by now, it is never forced again: dropped with the credit.
            log.info("low-energy fallback: %s's force of the night before is no longer owed: its credit rolls out "
                     "with this window", self.load_name)
            self._own = None
        self._roll(self.today_wh, now, due_at)

    def forecast_day(self, now: float) -> date:
        """The date whose cloud cover a check at `now` asks about (the seed's getCloudAvg day)."""
        return local_date(now, self.tz) + timedelta(days=1 if self.settings.forecast_tomorrow else 0)

    def _check(self, now: float, due_at: float, max_power_w: float, full: bool, allowed: bool,
               clouds: CloudSource) -> ForceCommand | None:
        assert self.window_start is not None
        # (the night's check_at, not the time it runs: held past midnight, an evening check asked the forecast
        # of the day after the one it is about, found none, and forced as for a cloudy sky)
        season = season_of(local_date(due_at, self.tz).timetuple().tm_yday, self.settings.season_starts)
        limits = self.settings.thresholds[season]
        today_wh, yesterday_wh = self.today_wh, self.yesterday_wh
        two_days_wh = today_wh + yesterday_wh
        numbers = (f"{season}: today {today_wh:.0f} Wh (threshold {limits.today_wh:.0f} Wh), yesterday "
                   f"{yesterday_wh:.0f} Wh, two days {two_days_wh:.0f} Wh (threshold {limits.two_days_wh:.0f} Wh)")
        if now - self.window_start < MIN_WINDOW_S:
            # No force whatever the sky: the cloud cover is not asked. Asked first, a fresh start without a forecast yet
            # warned "no cloud forecast ...: counted as 100 % cloudy" just before this line, as if it heated for want of
            # one.
            log.info("low-energy fallback: only %.1f h of heater energy counted (fresh start): no force, whatever the "
                     "sky; %s", (now - self.window_start) / 3600, numbers)
            self._roll(today_wh, now, due_at)
            return None
        pick = clouds(self.forecast_day(due_at))
        origin = pick.source if pick.cause is None else f"{pick.source}: {pick.cause}"
        numbers += f"; clouds {pick.clouds_percent:.0f} % on {pick.day} ({origin})"
        command: ForceCommand | None = None
        counted_wh = today_wh
        force_wh, branch = seed_force_wh(today_wh, two_days_wh, limits, pick.clouds_percent, self.settings)
        if full:
            counted_wh = limits.two_days_wh  # the seed's: a full tank counts as a two days' worth
            log.info("low-energy fallback: %s was found full since the last check, no force; today counted as "
                     "%.0f Wh; %s", self.load_name, counted_wh, numbers)
        elif force_wh <= 0:
            log.info("low-energy fallback: no force (%s); %s", branch, numbers)
        elif force_wh < MIN_FORCE_WH:
            # (a day whose sun gave the threshold, summed in floats a hair under it, forced the heater on from the
            # grid for 0 s: a click at check_at, for nothing)
            log.info("low-energy fallback: %.0f Wh missing, under %.0f Wh: not worth a force; %s; %s", force_wh,
                     MIN_FORCE_WH, numbers, branch)
        elif not allowed:
            log.info("low-energy fallback: %.0f Wh missing but the water-heater mode excludes the fallback; %s; %s",
                     force_wh, numbers, branch)
        elif max_power_w <= 0:
            log.warning("low-energy fallback: %s has no usable max power: no force; %s", self.load_name, numbers)
        else:
            duration_s = round(3600.0 * force_wh / max_power_w)
            command = ForceCommand(self.load_name, max_power_w, duration_s)
            log.info("low-energy fallback: forcing %s to %.0f W for %d s (%.0f Wh missing); %s; %s", self.load_name,
                     max_power_w, duration_s, force_wh, numbers, branch)
            self._own = OwnForce(force_wh, due_at, now + duration_s, MAX_LATE_S + duration_s)
            self._own.started(now)
        # The force's own energy is credited to the day it makes up (the seed's today + left_energy),
        # not counted again in tomorrow's window.
        self._roll(counted_wh + (force_wh if command else 0.0),
                   now + (command.duration_s or 0.0) if command else now, due_at)
        return command
