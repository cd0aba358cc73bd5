"""When the forecast fetch thread asks (a part of shell.forecast_fetch's ForecastFetcher, its own module for size):
whether the round before check_at is still to make, when it asks with the server's wait, when a failed round is asked
again before the check, and whether a try starting now still ends before it on the wall clock (stepped forward by NTP
or by hand while the thread waited)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, tzinfo

from field.fallback_resume import MAX_LATE_S
from field.fallback_seed import AWAIT_SPARE_S
from field.forecast import ForecastFailure
from field.forecast_pending import ROUND_WAIT_S, FetchUnderWay, answered_by, in_round_wait, own_wait
from field.forecast_settings import FETCH_LEAD_S, OwmSettings
from values.local_time import hour, last_occurrence, next_occurrence

log = logging.getLogger("shell.forecast_fetch")  # (its lines were the fetcher's: said under the same name)


def local_time(at: float, tz: tzinfo | None) -> str:
    return (datetime.fromtimestamp(at, tz) if tz else datetime.fromtimestamp(at).astimezone()).isoformat("T", "seconds")


class ForecastPlan:
    """ForecastFetcher's planning (its attributes, set by ForecastFetcher.__init__)."""

    settings: OwmSettings
    check_at_hour: int
    tz: tzinfo | None
    _clock: Callable[[], float]
    _last_round_at: float | None
    _held: tuple[float, float] | None
    _good_at: float | None
    _stood_for: float | None
    _failed: ForecastFailure | None
    _failed_why: str
    _start_from: float | None
    _checks_done_until: float | None

    def _check_for(self, since: float) -> float:
        """The check a round at start from `since` is for: one due at most MAX_LATE_S before it (a late check, run at
        the start, waits for the round's tries as one due during it does), else the next one. A start at check_at or
        after it asked its tries 5 min apart up to `attempts`, or after a Retry-After of 30 min, where its check waits
        ROUND_WAIT_S from the first try at most: the last ones for a forecast no check reads. Not one the seed rule
        checked already (`_checks_done_until`): a restart at 02:00 after the 01:00 check said `for the 01:00 check due
        meanwhile, which waits for it`, and cut its round at the tries that check would have waited for."""
        last, done = last_occurrence(since, hour(self.check_at_hour), self.tz), self._checks_done_until
        due = since - last <= MAX_LATE_S and (done is None or done < last)
        return last if due else next_occurrence(since, hour(self.check_at_hour), self.tz)

    def _tried_for(self, why: str, since: float, try_at: float, check_at: float) -> bool:
        """Whether a try at `try_at` of a round for `check_at` (from `since`) is asked: its answer comes by the check,
        or (the round at start) the check due meanwhile waits for it: within ROUND_WAIT_S of the round's start, and a
        minute before the night's room ends (AWAIT_SPARE_S before MAX_LATE_S after check_at)."""
        timeout_s = self.settings.timeout_s
        return answered_by(try_at, timeout_s, check_at) or (
            why == "at start" and in_round_wait(since, try_at, timeout_s)
            and answered_by(try_at, timeout_s, check_at + MAX_LATE_S - AWAIT_SPARE_S))

    def _past_said(self, why: str, since: float, try_at: float, check_at: float) -> str:
        """Why a round's next try, at `try_at`, is not asked (its wait, %-formatted, said first): see _tried_for."""
        if why != "at start":
            return "the next, %.0f s later, would end past check_at"
        said = "the next, %.0f s later, would " + ("end past check_at, its answer" if since < check_at else "answer")
        who = "a check waits no longer" if since < check_at else "the check due, late, waits no longer"
        if not in_round_wait(since, try_at, self.settings.timeout_s):
            return f"{said} more than {ROUND_WAIT_S / 60:.0f} min after this round's first try ({who})"
        return (f"{said} too late for the check: it must come within {MAX_LATE_S / 3600:.0f} h of check_at, with a "
                "minute to spare")

    def _held_at_start(self, now: float, held: ForecastFailure) -> FetchUnderWay | None:
        """No fetch at start while the server's wait kept from the status file (`held`) holds, said; but a check due
        meanwhile (at the start, late, or within FETCH_LEAD_S) that the round before check_at does not serve (past its
        time, or asked by it already: _round_time) gets the fetch at start when the wait ends, if it waits for its
        answer (_tried_for): its try, returned for the main loop, from `_start_from`. A restart at 01:30 during a 429's
        wait of 10 min had no fetch at start, and its late check went on at once as for 100 % clouds."""
        assert self._held is not None
        until, check_at = self._held[1], self._check_for(now)
        # (that round's time past already, its try now would answer past the check too: a restart at 00:59:50 in a
        # wait from before it (a 429 at 23:50 asking 75 min) had nothing asked for the check, "the clock went forward")
        round_at = self._round_time(check_at - FETCH_LEAD_S, check_at)
        serves = check_at - now <= FETCH_LEAD_S and (check_at <= now or round_at is None or not answered_by(
            max(round_at, now), self.settings.timeout_s, check_at))
        # (the server's wait, or PySEB's own after a refused key or place: that one was said to be the server's)
        waits = own_wait(held.cause) or "the server asks to wait"
        if serves and self._tried_for("at start", now, until, check_at):
            self._start_from = until
            log.info("forecast: the last fetch, %.0f min ago, failed (%s), and %s: the fetch at start asks when the "
                     "wait ends, at %s, for the %02d:00 check due meanwhile, which waits for it", (now - held.at) / 60,
                     held.cause, waits, local_time(until, self.tz), self.check_at_hour % 24)
            return FetchUnderWay("at start", until, self.settings.timeout_s, now,
                                 (held.at, f"{held.cause}, before the restart"))
        unwaited = "" if not serves else (
            f"; the {self.check_at_hour % 24:02d}:00 check due meanwhile does not wait for it: its answer would come "
            + (f"more than {ROUND_WAIT_S / 60:.0f} min after this start" if not in_round_wait(
                now, until, self.settings.timeout_s) else "too late, the check due within 3 h of check_at"))
        log.info("forecast: no fetch at start: the last fetch, %.0f min ago, failed (%s), and %s (a restart loop "
                 "would ask at every start): not asked before %s (a start after it asks), or at once when "
                 "[openweathermap] changes; the daily round still asks from %.0f min before check_at (from that time, "
                 "when later)%s", (now - held.at) / 60, held.cause, waits, local_time(until, self.tz),
                 FETCH_LEAD_S / 60, unwaited)
        return None

    def _in_time(self, check_at: float, what: str, planned: float | None = None) -> bool:
        """Whether a try starting now ends before `check_at`: a wall clock stepped forward past it while waiting (NTP at
        a Pi's boot, fake-hwclock behind) made the round's tries after the check, for a forecast no check reads (the
        next round asks afresh). `planned`: when a round's first try was meant to start; one already too late for the
        check (a start seconds before it) is said so, no step of the clock (which was said of it). None: a round's
        next try, planned in time (the round ends at one that is not): a step."""
        now = self._clock()
        timeout_s = self.settings.timeout_s
        if answered_by(now, timeout_s, check_at):
            return True
        if planned is not None and not answered_by(planned, timeout_s, check_at):
            log.info("forecast: %s is not asked: at %s, its answer would come past check_at (%s); the next round asks",
                     what, local_time(planned, self.tz), local_time(check_at, self.tz))
            return False
        log.info("forecast: the clock went forward to %s, past check_at (%s): %s is not asked, the next round asks",
                 local_time(now, self.tz), local_time(check_at, self.tz), what)
        return False

    def _round_due(self, round_at: float) -> bool:
        """Whether the round at `round_at` (FETCH_LEAD_S before check_at) is still to make: not when a round started
        since, nor when a good answer came at most FETCH_LEAD_S before it. A start at 00:05 fetched, then asked again
        at 00:10 for the same forecast (the check's day covered all the same, 5 days ahead): a free key's call for
        nothing."""
        if self._good_at is not None and self._good_at >= round_at - FETCH_LEAD_S:
            # (said once; `_last_round_at` is left as it is, a time the clock gave: set to the round's, ahead of the
            # clock, a step back of seconds was logged as one of the 40 min up to the round)
            if self._stood_for != round_at and self._last_round_at is not None and self._last_round_at < round_at:
                self._stood_for = round_at
                log.info("forecast: the one fetched at %s stands for the round before check_at (from %s): not asked "
                         "again", local_time(self._good_at, self.tz), local_time(round_at, self.tz))
            return False
        return self._last_round_at is None or self._last_round_at < round_at

    def _again_at(self, check_at: float) -> float | None:
        """When to ask again before `check_at` after the daily round failed, or the round at start in the hour before
        it, where it stood for the daily round: no network yet after a power cut (or a network down for the round's
        half hour), nothing was asked again, and the check counted 100 % cloudy. Twice retry_interval_s after its last
        try (or when the server's wait ends), if a try then ends before the check; None otherwise (and for a failure
        no retry mends)."""
        failed, self._failed = self._failed, None
        if failed is None or not failed.retry:
            return None
        what = "the fetch at start" if self._failed_why == "at start" else "the round before check_at"
        again_at = max(failed.at + 2.0 * self.settings.retry_interval_s, failed.ask_again_after or 0.0)
        if not answered_by(again_at, self.settings.timeout_s, check_at):
            log.info("forecast: %s failed (%s); no time left to ask again before check_at", what, failed.cause)
            return None
        self._failed = failed  # (kept for a wait the clock cuts short: planned again)
        log.info("forecast: %s failed (%s); asked again before check_at from %s, each try twice as far "
                 "from the last, %d at most, the last one ending before the check", what, failed.cause,
                 datetime.fromtimestamp(again_at, self.tz).strftime("%H:%M:%S"), self.settings.attempts)
        return again_at

    def _round_time(self, round_at: float, check_at: float) -> float | None:
        """When the round before `check_at` asks, with the server's wait kept from the status file: at `round_at`, or
        when the wait ends if that is later and in time for the check; past the check, the round asks at its time
        (a daily forecast matters more than a wait of hours), unless it came from this very round (None: skipped, as
        a Retry-After past the round's time ends it within a run)."""
        if self._held is None or self._held[1] <= round_at:
            return round_at
        held_at, until = self._held
        if answered_by(until, self.settings.timeout_s, check_at):
            return until
        return None if held_at >= round_at else round_at
