"""Low-energy fallback, the seed's rule: once a day at `check_at`, if the water heater got too little
energy today (thresholds per season), force it at full power for 3600 x Wh / max W seconds (Hébert's
formula), the Wh chosen from the two-day energy and the cloud forecast as the seed's low_energy_fallback
did. Pure: `now`, the heater's energy counter, its state and the forecast come in; a force command
(executed like one from regul/mode) goes out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo

from equipments.modes import ForceCommand
from field.fallback_answers import VariatorAnswers
from field.fallback_resume import MAX_LATE_S, MIN_FORCE_WH, OwnForce
from field.fallback_seed_window import SeedWindow
from field.fallback_settings import SeedRuleSettings
from field.fallback_shortfall import no_forecast, season_of, seed_force_wh
from field.forecast import CloudPick
from values.local_time import DailyTime, hour, last_occurrence, local_date, next_occurrence

log = logging.getLogger(__name__)

CloudSource = Callable[[date], CloudPick]  # the forecast cloud cover of a local date, for a check
Answers = tuple[float | None, float | None]  # the heater's variator's last answer, and its last command's time
FORCED_BY_SEED = "seed_rule"  # who forces the heater when this rule does
MIN_WINDOW_S = 20 * 3600  # a check on fewer hours of counted energy (fresh start) would force wrongly
# The most the clock may read behind the last tick for that tick to stand (a restore from a file ahead of a clock not
# synced yet, NTP stepping a clock back): the status restore takes a file up to 12 h ahead.
MAX_CLOCK_BEHIND_S = 24 * 3600


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


class SeedFallback(SeedWindow):
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
             heater_yesterday_wh: float | None = None, full_by_sun: bool | None = None) -> ForceCommand | None:
        """Count the heater's energy; at `check_at` decide. `allowed` is False when the water-heater mode
        excludes the fallback (the window still rolls); `clouds` gives the forecast cloud cover of a date
        (none: the seed's 100 %); `forced_by`: who forces the heater now, if anyone. Another's force holds the
        check until it ends (its own would not be applied); none while the rule's own force should run: a user
        unforced it. `answers`: the heater's variator's last answer and when its command was last sent (None: no
        answers to judge by). `heater_yesterday_wh`: the heater's counter's value at its last reset (midnight).
        `full_by_sun`: `full`, not found under a fallback rule's force (None: any full flag)."""
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
        self.checked_until, self._told_held = now, False
        if now - due_at > MAX_LATE_S:
            late_h = (now - due_at) / 3600
            self._skip(now, due_at, f"the {self.settings.check_at_hour:02d}:00 check comes {late_h:.1f} h late (PySEB "
                                    f"was not running then): skipped, more than {MAX_LATE_S / 3600:.0f} h after it")
            return None
        # (the window starts at the last check_at, even when the check comes late: a restart at 07:00 made the
        # next night's window 18 h long, a "fresh start" that forced nothing after a grey day)
        return self._check(now, due_at, max_power_w, self.full_in_window, allowed, clouds or no_forecast)

    def _follow_a_moved_check(self, now: float) -> None:
        """The restored window was saved by a run whose check_at was another hour (moved in the config while PySEB was
        stopped, 03:00 to 01:00): this hour's last check, if it passed during that run after the window's last check,
        never ran, and is due now (run late or skipped as any late check). The saved run had passed it, so it was not
        seen to pass: the night's check came a day later, its window two days long, with no force in between. Only when
        it stands for the saved hour's next check, nearer to it than to the window's last one: 01:00 moved to 03:00 and
        stopped at 00:30, yesterday's 03:00 is the night checked at 01:00 (taken for a missed check, 21 h late, it was
        skipped and rolled the window: the day's energy no longer today's, and 03:00 forced 7 kWh after a sunny day)."""
        saved_hour, self._saved_check_at_hour = self._saved_check_at_hour, None
        if saved_hour is None or saved_hour == self.settings.check_at_hour or self.checked_until is None \
                or self.window_start is None:
            return
        last_at = last_occurrence(now, self.check_at.at, self.tz)
        saved_next_at = next_occurrence(self.window_start, hour(saved_hour), self.tz)  # (the saved run's next check)
        if self.window_start < last_at <= self.checked_until and \
                last_at - self.window_start > saved_next_at - last_at:
            log.info("low-energy fallback: check_at is now %02d:00 (%02d:00 when PySEB stopped): the %02d:00 check "
                     "passed then, after the last one, unchecked: due now", self.settings.check_at_hour, saved_hour,
                     self.settings.check_at_hour)
            self.checked_until = last_at - 1.0

    def _start_afresh(self, now: float) -> None:
        """The first tick: the window starts now (or where a restored one started), and its first check forces nothing
        unless MIN_WINDOW_S were counted (a seed's status file gives it the seed's own window: field.features)."""
        self.checked_until = now
        if self.window_start is None or self.window_start > now:
            self.window_start, self._window_stamped_here = now, True

    def _set_back_afresh(self, now: float, behind_s: float) -> None:
        """A clock further behind the last tick than a day (set back by hand, a clock module's wrong date): the window
        starts now, as on a fresh start. Kept from before: the energy counted since the last check (the heater's, for
        the two-day sum), and what the rule's own force had left to run (its times moved back with the clock). The
        window kept, the next check said "only -58.0 h counted", and the heater's energy went uncounted for the days
        the clock had to catch up to the end of the last night's force."""
        self.checked_until = now
        log.info("low-energy fallback: the clock reads %.1f days behind its last tick (set back): the window "
                 "starts afresh, with the %.0f Wh counted since the last check", behind_s / 86400, self.today_wh)
        self.window_start, self._window_stamped_here = now, True
        # (by what the regulator did not tell already: a file restored dated ahead; a step told, not twice)
        untold_s, self._told_back_s = max(0.0, behind_s - self._told_back_s), 0.0
        self._move_back(untold_s, now)

    def _move_back(self, step_s: float, now: float) -> None:
        """Its own force's times, and where the window's counting resumes after it, moved back by `step_s` with the
        clock (the heater's force keeps the time it had left): not before `now`."""
        if self._count_from > now:
            self._count_from = max(now, self._count_from - step_s)
        if self._own is not None and step_s > 0:
            self._own.clock_set_back(step_s)

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

    def _follow_own_force(self, now: float, delta_wh: float, max_power_w: float, full: bool, allowed: bool,
                          held_by: str | None, own_force_on: bool, answers: Answers) -> ForceCommand | None:
        """The rule's own force, while owed (field.fallback_resume): forced again for what is still missing once
        another's force over it ends; done, it gives back the credit of what the heater did not draw. A full tank
        ends it (the night's heating done); a user's unforce or a mode that no longer allows the fallback cuts it:
        not forced again, and only what the heater drew is credited."""
        own = self._own
        if own is None:
            return None
        if full:
            own.tank_full()
            wanted_wh: float | None = 0.0
        elif not allowed:
            own.end_early(now)
            wanted_wh = 0.0
        else:
            wanted_wh = own.follow(now, delta_wh, held_by, own_force_on, *answers)
        if wanted_wh is None:
            return None
        # Never longer than the force it is the rest of, nor past the night's room: a damaged or hand-edited status
        # file's wanted_wh (1e7 Wh) forced the heater from the grid for 208 days, and 1e308 raised out of tick.
        room_s = max(0.0, min(own.latest_s - MAX_LATE_S, own.due_at + own.latest_s - now))
        duration_s = round(min(3600.0 * wanted_wh / max_power_w, room_s)) if max_power_w > 0 else 0
        if wanted_wh > 0 and duration_s > 0:
            fits_wh = min(wanted_wh, max_power_w * duration_s / 3600.0)
            if wanted_wh - fits_wh >= 1.0:
                # What no longer fits is never forced: not credited either, the next night's check makes it up. (Not
                # the fraction of a second the force's length was rounded down by: a 0 Wh "no longer fitted" line.)
                own.cut_off_wh += wanted_wh - fits_wh
            wanted_wh = fits_wh
            # (the same wording at each try: a link that refuses all night is one line a minute, then ten)
            own.wanted_wh, own.drawn_wh, own.planned_end, own.jumped_s = wanted_wh, 0.0, now + duration_s, 0.0
            own.started(now)
            self._count_from = max(self._count_from, own.planned_end)
            log.info("low-energy fallback: the rest of %s's night force (displaced by another's force, now over, not "
                     "delivered, or cut by a stop of PySEB): forcing again %.0f W for %d s (%.0f Wh still missing)",
                     self.load_name,
                     max_power_w, duration_s, wanted_wh)
            return ForceCommand(self.load_name, max_power_w, duration_s)
        self._own = None
        own.closing(now)
        if own.cut:
            # (what the heater draws from now on is the regulation's, counted in the new window)
            self._count_from = min(self._count_from, now)
        if own.not_drawn_wh > 0:
            # (credited whole when the force was made: the next night's check would take the water for hot)
            self.yesterday_wh = max(0.0, self.yesterday_wh - own.not_drawn_wh)
            self._say_short(own)
        return None

    def _say_short(self, own: OwnForce) -> None:
        """Why its force gave less than it was for (a variator that never heard it: a warning, the water is cold)."""
        if not own.heard:
            log.warning("low-energy fallback: %s's variator never answered during the night force (off the network?): "
                        "the heater may not have heated, the water may be cold; %.0f Wh of it not credited",
                        self.load_name, own.not_drawn_wh)
        elif own.late:
            log.info("low-energy fallback: %s's variator answered the night force late (off the network until then?): "
                     "%.0f Wh of it not credited", self.load_name, own.not_drawn_wh)
        else:
            log.info("low-energy fallback: %s's force %s: %.0f Wh of it not drawn, not credited", self.load_name,
                     own.why_short(), own.not_drawn_wh)

    def clock_stepped_back(self, step_s: float, now: float) -> None:
        """The wall clock stepped back by `step_s` to `now` (told by the regulator as it happens): its own force's
        times move back with the heater's force, which keeps the time it had left; its end, still on the old clock,
        came after the heater's, and the force that ran its time was logged "ended early (unforced ...)". Counted
        (`_told_back_s`): a step of more than a day also starts the window afresh at the next tick, which moves them
        by the rest only (a file restored dated ahead: all of it)."""
        self._told_back_s += step_s
        self._move_back(step_s, now)

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (NTP setting a Pi's clock, told by the
        daemon): the rule's force in its course ends that much early, credited only with what the heater drew
        (OwnForce.clock_jumped). A jump after its end changes nothing. A window this run's clock started moves with
        the jump: a Pi that booted on 1970 (its status file set aside as dated ahead: a fresh start) and got the
        time at 03:40 ran the 01:00 check on the jump's 56 years as counted hours, and forced 7 kWh from the grid on
        a minute of counting. A window restored from a file keeps its start (the downtime since is real time, as
        after any restart)."""
        if self._window_stamped_here and self.window_start is not None:
            self.window_start += step_s
        own = self._own
        if own is not None and (self.checked_until is None or self.checked_until < own.planned_end):
            own.clock_jumped(step_s)

    def force_not_applied(self, now: float) -> None:
        """Its force could not be published (paho refused it): owed as one another's force displaced, forced again
        a minute later (then 2, 4... 10), while the night lasts (taken for done, it credited 7000 Wh the heater
        never got)."""
        if self._own is not None:
            self._own.not_delivered(now)
