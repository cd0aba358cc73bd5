"""Fetching OpenWeatherMap's forecast off the main loop: a small thread fetches at start and again in the
hour before check_at (a bounded number of tries), and hands each outcome to the main loop through the
daemon's queue, as MQTT messages arrive. A slow or dead network only ever holds this thread. Each GET:
shell.owm_get (re-exported here, the name the thread calls)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import tzinfo

from field.forecast import ForecastFailure, OwmForecast
from field.forecast_pending import FetchUnderWay, answered_by
from field.forecast_settings import FETCH_LEAD_S, KEEP_AT_START_S, OwmSettings, shown_url
from shell.event_queue import EventSink
from shell.forecast_plan import ForecastPlan, local_time
from shell.forecast_wait import RATE_LIMIT_WAIT_S, request_digest, retry_after_s
from shell.owm_get import MAX_BODY_BYTES, fetch_once, request_url
from values.local_time import hour, next_occurrence
from values.readings import CLOCK_STEP_BACK_S

__all__ = ["MAX_BODY_BYTES", "RATE_LIMIT_WAIT_S", "ForecastFetched", "ForecastFetcher", "fetch_once", "request_digest",
           "request_url", "retry_after_s"]

log = logging.getLogger(__name__)

STOP_WAIT_S = 2.0  # a stop never waits longer for a fetch under way
WAIT_SLICE_S = 30.0  # waits are cut in slices so a wall-clock step (NTP, DST is not one) is noticed
CLOCK_BACK_S = 1.0  # a wall clock read this much before its last reading stepped back


@dataclass(frozen=True, slots=True)
class ForecastFetched:
    """A fetch's outcome, for the main loop."""

    result: OwmForecast | ForecastFailure


class ForecastFetcher(ForecastPlan):
    """The fetch thread. `start()` once; `stop()` returns within a fetch's timeout."""

    def __init__(self, settings: OwmSettings, check_at_hour: int, tz: tzinfo | None, events: EventSink,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.check_at_hour = check_at_hour
        self.tz = tz
        self._events = events
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forecast-fetch", daemon=True)
        self._last_round_at: float | None = None
        self._held: tuple[float, float] | None = None  # a failure's time and the server's ask_again_after, kept
        self._good_at: float | None = None  # when the last good answer was fetched (or the one kept at start)
        self._stood_for: float | None = None  # the round a good answer fetched before it stands for, once said
        # The last failure of the round at start (while it stands for the daily round: a start in the hour before
        # check_at) or of the daily round, and which round it ended: tried again before the check (_again_at)
        self._failed: ForecastFailure | None = None
        self._failed_why = ""
        self._start_at: float | None = None  # the fetch at start's first try, as handed to the main loop (start())
        self._start_from: float | None = None  # its first try when the server's wait kept from the status file ends
        self._checks_done_until: float | None = None  # the seed rule's checks done up to it, at start (None: unknown)

    def start(self, kept_at: float | None = None, held: ForecastFailure | None = None,
              checks_done: Callable[[float], float | None] | None = None) -> FetchUnderWay | None:
        """Fetch now, then daily before check_at. `kept_at`: when the forecast the status file kept was fetched; within
        KEEP_AT_START_S of now, no fetch at start (the round before check_at runs if it came due since). `held`: the
        failure the status file kept, the server asking not to ask before its ask_again_after: no fetch at start
        before it while the config asks the same (the round before check_at runs, after it when it ends in time), but
        for a check due meanwhile that the round before check_at does not serve: then at the wait's end, if the check
        waits for it (_held_at_start). Returns the fetch at start's try, under way from now (or from the wait's end),
        for the caller to hand the regulator before its loop runs (queued by the thread only, it came after a check the
        first timer pass made); None when none is made. `checks_done(now)`: up to when the seed rule's checks are done
        (a check_at after it is due, late or not; None, or not given: any within the night's room is taken as due)."""
        now = self._clock()
        self._checks_done_until = checks_done(now) if checks_done is not None else None
        at_wait_end: FetchUnderWay | None = None
        if held is not None and held.ask_again_after is not None and held.at <= now < held.ask_again_after:
            if held.request_digest == request_digest(self.settings):
                self._held = (held.at, held.ask_again_after)
            else:
                log.info("forecast: the last fetch failed (%s), but [openweathermap] changed since: asked at once",
                         held.cause)
        if kept_at is not None and 0.0 <= now - kept_at <= KEEP_AT_START_S:
            self._last_round_at = self._good_at = kept_at
            log.info("forecast: no fetch at start: the one kept from the status file was fetched %.0f min ago (under "
                     "%.0f h: a restart loop would spend the key's calls); fetching from %s for %s from %.0f min "
                     "before check_at", (now - kept_at) / 60, KEEP_AT_START_S / 3600, shown_url(self.settings.url),
                     self.settings.location, FETCH_LEAD_S / 60)
        elif held is not None and self._held is not None:
            at_wait_end = self._held_at_start(now, held)
        else:
            log.info("forecast: fetching from %s for %s at start and from %.0f min before check_at",
                     shown_url(self.settings.url), self.settings.location, FETCH_LEAD_S / 60)
        # (as _run decides, read before its thread runs: read after, the round it started had dated itself already)
        fetches = self._last_round_at is None and self._held is None
        self._start_at = now if fetches or at_wait_end is not None else None
        self._thread.start()
        return FetchUnderWay("at start", now, self.settings.timeout_s) if fetches else at_wait_end

    def stop(self) -> None:
        """Stop the thread. A fetch under way ends at its timeout; the daemon does not wait longer than
        STOP_WAIT_S for it (the thread is a daemon thread: it goes with the process)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(min(self.settings.timeout_s + 0.5, STOP_WAIT_S))
        if self._thread.is_alive():
            log.info("forecast fetch still waiting for %s: left behind", shown_url(self.settings.url))

    def _run(self) -> None:
        if self._start_from is not None:  # (the server's wait kept: a check due meanwhile waits for its end's try)
            # (on the steady clock, as the server counts its wait and the main loop moves the try it awaits by a step)
            if self._pause(max(0.0, self._start_from - self._clock())):
                return
            # (a step of the wall clock meanwhile moves the round's bound, as the main loop moves the try it awaits:
            # left, a step forward ended the round at its first try, the check waiting for the next; one back asked
            # tries past the check's wait)
            stepped_s = self._clock() - self._start_from
            if self._start_at is not None and (stepped_s >= CLOCK_BACK_S or stepped_s <= -CLOCK_STEP_BACK_S):
                self._start_at += stepped_s
            self._held = None
            self._round("at start")
        elif self._last_round_at is None and self._held is None:  # (else the kept forecast, or the server's wait)
            self._round("at start")
        while not self._stop.is_set():
            now = self._clock()
            if self._last_round_at is not None and self._last_round_at > now + CLOCK_BACK_S:
                # The last round is dated after now: the clock went back (a board's clock that was ahead,
                # or set by hand). Its date would skip today's round; today's is planned again.
                log.info("forecast: the clock went back %.0f s behind the last fetch; the round before "
                         "check_at is planned again", self._last_round_at - now)
                self._last_round_at = None
            if self._good_at is not None and self._good_at > now + CLOCK_BACK_S:
                self._good_at = None
            check_at = next_occurrence(now, hour(self.check_at_hour), self.tz)
            round_at = check_at - FETCH_LEAD_S
            if self._round_due(round_at):
                run_at = self._round_time(round_at, check_at)
                if run_at is None:  # this round was asked, the server asks to wait past check_at: the next one asks
                    self._last_round_at = self._held[0] if self._held is not None else round_at
                    continue
                if self._failed is not None:  # (a start that ended past the round's time: not at once after it)
                    run_at = max(run_at, self._failed.at + self.settings.retry_interval_s)
                    if not answered_by(run_at, self.settings.timeout_s, check_at):
                        # (its last try late in the hour, tries far apart: the round's first try would end past the
                        # check, and its next ones after it, for a forecast no check reads; the start stood for it,
                        # dated by the clock)
                        self._last_round_at = max(self._failed.at, round_at)
                        continue
                planned = max(run_at, self._clock())  # (its time past already: now, no step while waiting)
                if self._wait_until(run_at):
                    return
                if self._clock() < run_at:  # the clock went back while waiting: planned again
                    continue
                if not self._in_time(check_at, "the round before check_at", planned):
                    self._last_round_at, self._failed = self._clock(), None  # (the next round is the next check's)
                    continue
                self._held = None
                self._round("before check_at")
                continue
            again_at = self._again_at(check_at)
            if again_at is not None:
                planned = max(again_at, self._clock())
                if self._wait_until(again_at):
                    return
                if self._clock() < again_at:  # the clock went back while waiting: planned again
                    continue
                if not self._in_time(check_at, "the try again before check_at", planned):
                    self._failed = None  # (the next round is the next check's)
                    continue
                self._round("again before check_at", until=check_at)
                continue
            if self._wait_until(check_at + 1.0):  # the next round is for the next check
                return

    def _round(self, why: str, until: float | None = None) -> None:
        """Up to `attempts` fetches, `retry_interval_s` apart (longer when the server asks: Retry-After, a rate
        limit); the outcome (the first good answer or the last failure) goes to the main loop. A failure no
        retry mends (a refused key, an unknown place) ends the round at once. `until`: tries again before that check,
        2, 4, 8... x retry_interval_s apart (a free key's calls), none that would end past it."""
        started = self._last_round_at = self._clock()
        self._failed = None
        attempts = self.settings.attempts
        since = self._start_at if why == "at start" and self._start_at is not None else started
        # A round in the hour before check_at (the daily one, or a start then or in the night's room after it) is for
        # that check: no try ending past it (a start at 00:55 asked at 01:00, with the check, and 01:05, after it, for
        # nothing), but a start's whose answer the check due meanwhile waits for (a Pi back at 00:57 after a power cut,
        # its network not up yet: its one try failed, the check forced as for 100 % clouds); another's tries end within
        # FETCH_LEAD_S of its start, the daily round's time.
        check_at = self._check_for(since) if why == "at start" else \
            next_occurrence(started, hour(self.check_at_hour), self.tz)
        for_check = until is None and check_at - started <= FETCH_LEAD_S
        for attempt in range(1, attempts + 1):
            try:
                result = fetch_once(self.settings, self._clock)
            except Exception as exc:  # a bug must not end the thread: no forecast again until a restart
                log.exception("forecast fetch %s: internal error", why)
                result = ForecastFailure(f"internal error: {type(exc).__name__}", self._clock())
            if isinstance(result, OwmForecast) or attempt == attempts or not result.retry:
                self._handed(result, why)
                return
            failed_at = self._clock()  # (one reading: the next try as planned is the one the main loop is told of)
            if until is not None or for_check:  # (none ending past the check; tries again: doubling gaps)
                gap_s = self.settings.retry_interval_s * (2 ** (attempt + 1) if until is not None else 1)
                wait_s = max(gap_s, result.retry_after_s or 0.0)
                past = not self._tried_for(why, since, failed_at + wait_s, until or check_at)
                past_said = self._past_said(why, since, failed_at + wait_s, until or check_at)
            else:
                wait_s = max(self.settings.retry_interval_s, result.retry_after_s or 0.0)
                # (a start before the hour before check_at: a wait the server lengthened that would bring the next
                # try past FETCH_LEAD_S after the round's start ends the round: the daily round asks again, and a
                # Retry-After of a day would hold the thread past the next rounds)
                past = wait_s > self.settings.retry_interval_s and \
                    failed_at + wait_s + self.settings.timeout_s > started + FETCH_LEAD_S
                past_said = ("the server asks for %.0f s before the next, past this round's time: the next round asks "
                             "again, once that wait is over when it is in time for the check")
            if past:
                log.info("forecast fetch %s, try %d of %d failed: %s; " + past_said, why, attempt, attempts,
                         result.cause, wait_s)
                self._handed(result, why)
                return
            log.info("forecast fetch %s, try %d of %d failed: %s; again in %.0f s", why, attempt, attempts,
                     result.cause, wait_s)
            # (to the main loop at once: a check before the round's end says what failed, not "no forecast received";
            # one waiting for the round waits for its next try, said)
            self._events.put(ForecastFetched(replace(result, final=False, next_try_at=failed_at + wait_s)))
            if self._pause(wait_s):
                return
            # (the pause is on the steady clock, the check on the wall clock: one stepped forward past the check
            # meanwhile, NTP at a Pi's boot, made the round's next tries after it, for a forecast no check reads)
            rest = f"the rest of the fetch {why}"
            # (as planned, a pause ending a little late no step: read as one, a try planned just within the bound was
            # dropped, or the round's next ones asked past it; a step is seen when a try starting now is not one to ask)
            now, planned = self._clock(), failed_at + wait_s
            try_at = planned if planned <= now < planned + CLOCK_BACK_S else now
            if (until is not None or for_check) and self._tried_for(why, since, try_at, until or check_at):
                continue
            if for_check and why == "at start" and not answered_by(now, self.settings.timeout_s, check_at):
                # (the check, late now, waits for this round's tries, its wait moved with the step, as the main loop
                # moves the try it waits for: a Pi back at 01:30 on a clock saved at 00:40, set by NTP once the network
                # came up, when the next try would have got the forecast; not past the night's room, the check skipped:
                # set to 05:01, the rest was asked for no check; its bound kept: unbounded, the rest was asked past it)
                since += now - planned
                if self._tried_for(why, since, now, check_at):
                    log.info("forecast: the clock went forward to %s, past check_at (%s): %s is asked all the same, "
                             "for that check (late)", local_time(now, self.tz), local_time(check_at, self.tz), rest)
                    continue
            if (until is not None or for_check) and not self._in_time(until or check_at, rest):
                self._handed(result, why)
                self._failed = None  # (its tries again would be for the next check, whose own round asks)
                return

    def _handed(self, result: OwmForecast | ForecastFailure, why: str) -> None:
        """A round's outcome to the main loop; a good answer's time, a failed round at start or before check_at
        (tried again before the check), and the server's wait, remembered."""
        if isinstance(result, OwmForecast):
            self._good_at = result.fetched_at
        else:
            if result.ask_again_after is not None:
                # The server's wait, kept as one from the status file is: a start's round it cut (a 429 at 23:00 asking
                # 90 min) was followed by the daily round at 00:10 all the same. It asks at the wait's end when in time
                # for the check (_round_time).
                self._held = (result.at, result.ask_again_after)
            if why in ("at start", "before check_at"):
                self._failed, self._failed_why = result, why
        self._events.put(ForecastFetched(result))

    def _pause(self, seconds: float) -> bool:
        """Wait `seconds` between two tries; True when stopped meanwhile."""
        return self._stop.wait(seconds)

    def _wait_until(self, at: float) -> bool:
        """Sleep until the wall clock reaches `at`, or goes back by over CLOCK_BACK_S (the caller plans
        again: `at` was reckoned on the clock before its step); True when stopped meanwhile."""
        before = self._clock()
        while True:
            now = self._clock()
            if now >= at:
                return self._stop.is_set()
            if now < before - CLOCK_BACK_S:
                return self._stop.is_set()
            before = now
            if self._stop.wait(min(at - now, WAIT_SLICE_S)):
                return True
