"""The seed rule and the wall clock: a clock stepped back (by a little, told by the regulator; by more than a day, found
at a tick), a clock jumped forward (NTP setting a Pi's clock), the first tick, and a check_at moved in the config while
PySEB was stopped. A mixin of SeedFallback (field/fallback_seed.py), which sets the state it declares: apart, for its
daily check reads plainly without the clock's corner cases beside it."""

from __future__ import annotations

import logging
from datetime import tzinfo

from field.fallback_resume import OwnForce
from field.fallback_settings import SeedRuleSettings
from values.local_time import DailyTime, hour, last_occurrence, next_occurrence

# The rule's own lines, moved here with the code that writes them: the logger name is part of what the log shows (and
# of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.fallback_seed")


class SeedClock:
    """The part of SeedFallback that follows the wall clock's steps and a check_at moved while stopped."""

    # The rule's state these use (set by SeedFallback.__init__, which says what each is).
    settings: SeedRuleSettings
    tz: tzinfo | None
    check_at: DailyTime
    today_wh: float
    window_start: float | None
    _window_stamped_here: bool
    checked_until: float | None
    _count_from: float
    _told_back_s: float
    _own: OwnForce | None
    _saved_check_at_hour: int | None

    def _follow_a_moved_check(self, now: float) -> None:
        """The restored window was saved by a run whose check_at was another hour (moved in the config while PySEB was
        stopped, 03:00 to 01:00): this hour's last check, if it passed during that run after the window's last check,
        never ran, and is due now (run late or skipped as any late check). The saved run had passed it, so it was not
        seen to pass: the night's check came a day later, its window two days long, with no force in between. Only when
        it stands for the saved hour's next check, nearer to it than to the window's last one: 01:00 moved to 03:00 and
        stopped at 00:30, yesterday's 03:00 is the night checked at 01:00 (taken for a missed check, 21 h late, it was
        skipped and rolled the window: the day's energy no longer today's, and 03:00 forced 7 kWh after a sunny day)."""
        saved_hour, moved_at = self._saved_check_at_hour, self._moved_check_at(now)
        self._saved_check_at_hour = None
        if moved_at is not None:
            log.info("low-energy fallback: check_at is now %02d:00 (%02d:00 when PySEB stopped): the %02d:00 check "
                     "passed then, after the last one, unchecked: due now", self.settings.check_at_hour, saved_hour,
                     self.settings.check_at_hour)
            self.checked_until = moved_at - 1.0

    def _moved_check_at(self, now: float) -> float | None:
        """This hour's last check at `now`, when it passed unchecked during the saved run of another hour
        (_follow_a_moved_check); None otherwise."""
        saved_hour = self._saved_check_at_hour
        if saved_hour is None or saved_hour == self.settings.check_at_hour or self.checked_until is None \
                or self.window_start is None:
            return None
        last_at = last_occurrence(now, self.check_at.at, self.tz)
        saved_next_at = next_occurrence(self.window_start, hour(saved_hour), self.tz)  # (the saved run's next check)
        moved = self.window_start < last_at <= self.checked_until and \
            last_at - self.window_start > saved_next_at - last_at
        return last_at if moved else None

    def checks_done_until(self, now: float) -> float:
        """Up to when the checks are done at `now` (a check_at after it is due, late or not), as the first tick after a
        restore sees them: the restored last tick; `now` on a fresh start (no window restored: none before it is
        run); before this hour's last check when check_at moved since. For the forecast fetcher at start, which took
        the night's check for one due late after a restart at 02:00 that followed it."""
        if self.checked_until is None or self.window_start is None:
            return now
        moved_at = self._moved_check_at(now)
        return moved_at - 1.0 if moved_at is not None else self.checked_until

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
