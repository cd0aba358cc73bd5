"""A forecast fetch's try under way, as the fetch thread says it when the try starts: a check due meanwhile waits for
its answer, up to the try's own deadline. A start just before or after check_at ran the night's check before the
start's fetch ended (seconds later), said `no forecast received for that day`, and forced as for a 100 % cloudy sky.
A failed try of the round says when its next try starts (ForecastFailure.next_try_at): the check waits for that one
too, up to ROUND_WAIT_S from the round's start (a Pi back at 01:30 after a power cut, its network not up yet: the first
try failed in a second, the check forced as for 100 % clouds, the try 5 min later might have said sunny)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import TypeAlias

from field.forecast import KEY_FIX, PLACE_FIX, URL_FIX, ForecastFailure, OwmForecast
from field.forecast_settings import REFUSED_WAIT_S
from values.local_time import local_date, wall_clock_text

# A try ends within its timeout_s (shell.http_deadline cuts it there, name lookup included); its outcome then goes
# through the daemon's queue: this much more is waited for it.
FETCH_END_SLACK_S = 2.0
# The longest a check waits for a round's tries, from its first try's start: a next try whose answer would come later
# (a server's Retry-After, tries far apart) is not waited for (the default round, 3 tries 300 s apart, ends in 11 min).
ROUND_WAIT_S = 20 * 60.0


def clock_time(at: float, tz: tzinfo | None) -> str:
    """`at` as the forecast's log lines say a time of the night (HH:MM:SS, local; `tz` None: this machine's zone)."""
    return (datetime.fromtimestamp(at, tz) if tz else datetime.fromtimestamp(at).astimezone()).strftime("%H:%M:%S")


def clock_time_on(at: float, now: float | None, tz: tzinfo | None) -> str:
    """`at` as clock_time, with its date when it is not on `now`'s local date (`now` None: always), as a log line says
    a date ("2026-06-28 00:30:00"): a wait kept from before a restart may end the next day (up to MAX_ASKED_WAIT_S)."""
    fmt = "%H:%M:%S" if now is not None and local_date(at, tz) == local_date(now, tz) else "%Y-%m-%d %H:%M:%S"
    return wall_clock_text(at, tz, fmt)  # (its offset in the hour the October change repeats)


# What a failure no retry mends refused, by the fix its cause ends with (field.forecast's parse_owm_answer)
_REFUSED = ((KEY_FIX, "a refused key"), (PLACE_FIX, "an unknown place"), (URL_FIX, "an unknown url or place"))


def own_wait(cause: str) -> str | None:
    """The wait after a failure no retry mends, PySEB's own (REFUSED_WAIT_S, shell.forecast_wait), as a log line names
    it: "after a refused key PySEB waits 3 h before asking again"; None for a wait the server asked (a Retry-After, a
    429's), the only other kept. A restart after a 401 said "the server asked to wait", which it never did."""
    refused = next((what for fix, what in _REFUSED if cause.endswith(f"; no retry: {fix}")), None)
    return None if refused is None else f"after {refused} PySEB waits {REFUSED_WAIT_S / 3600:.0f} h before asking again"


def answered_by(try_at: float, timeout_s: float, moment: float) -> bool:
    """Whether a try starting at `try_at` (cut at `timeout_s`) has its outcome in the main loop's hands by `moment`. A
    try of the daily round ending at check_at itself was asked, its answer reaching the main loop up to
    FETCH_END_SLACK_S after the check, which had gone on without it."""
    return try_at + timeout_s + FETCH_END_SLACK_S <= moment


def in_round_wait(round_since: float, try_at: float, timeout_s: float) -> bool:
    """Whether a check waits for a round's try starting at `try_at` (cut at `timeout_s`): its answer comes within
    ROUND_WAIT_S of the round's first try, at `round_since`. The fetch thread asks a round at start's tries past
    check_at by the same rule: those a check due meanwhile waits for."""
    return answered_by(try_at, timeout_s, round_since + ROUND_WAIT_S)


@dataclass(frozen=True, slots=True)
class FetchUnderWay:
    """A fetch's try started at `started_at`, cut at `timeout_s`; `why` names its round ("at start", ...). A next try
    of a round: `round_since`, the round's first try's start; `failed`, the try before it (its time and cause)."""

    why: str
    started_at: float
    timeout_s: float
    round_since: float | None = None
    failed: tuple[float, str] | None = None

    @property
    def ends_by(self) -> float:
        """When its answer is in the main loop's hands at the latest; past it, no check waits for it."""
        return self.started_at + self.timeout_s + FETCH_END_SLACK_S

    def moved(self, step_s: float) -> FetchUnderWay:
        """The try on a wall clock stepped by `step_s` (forward > 0): it runs on the steady clock, its deadline with it
        (NTP setting a Pi's clock behind by 30 min had it long past, the check due going on at once)."""
        return replace(self, started_at=self.started_at + step_s,
                       round_since=None if self.round_since is None else self.round_since + step_s,
                       failed=None if self.failed is None else (self.failed[0] + step_s, self.failed[1]))

    @property
    def past_round_wait(self) -> bool:
        """Its answer would come past ROUND_WAIT_S from its round's start: no check waits for it (a check names it)."""
        return self.round_since is not None and not in_round_wait(self.round_since, self.started_at, self.timeout_s)

    def next_try(self, failure: ForecastFailure) -> FetchUnderWay | None:
        """The round's next try after `failure`, this try's outcome: None when the round is over (a final failure) or
        the failure does not say when (`next_try_at`). (One past ROUND_WAIT_S is kept, not waited for: the check says
        why it went on, where the fetch thread had just said the round's next try.)"""
        if failure.final or failure.next_try_at is None:
            return None
        since = self.started_at if self.round_since is None else self.round_since
        return FetchUnderWay(self.why, failure.next_try_at, self.timeout_s, since, (failure.at, failure.cause))

    def _named(self, tz: tzinfo | None) -> tuple[str, str]:
        """The try as the log names it, and what it says of its time (and of the try before it, that failed)."""
        since = clock_time(self.started_at, tz)
        if self.failed is None:
            return f"the forecast fetch {self.why}", f"under way since {since}"
        failed_at, cause = self.failed
        return (f"the forecast fetch {self.why}'s next try",
                f"from {since} (its try at {clock_time(failed_at, tz)} failed: {cause})")

    def waited_for(self, tz: tzinfo | None) -> str:
        """The try as a check waiting for it says it."""
        by = clock_time(self.ends_by, tz)
        if self.failed is None:
            return f"the forecast fetch {self.why} under way (its answer by {by} at the latest)"
        name, since = self._named(tz)
        return f"{name}, {since[:-1]}; its answer by {by} at the latest)"

    def no_answer(self, tz: tzinfo | None) -> str:
        """The cause a check gives when the try it waited for gave nothing by its deadline."""
        name, since = self._named(tz)
        return f"{name}, {since}, gave no answer by {clock_time(self.ends_by, tz)}"

    def not_waited(self, tz: tzinfo | None) -> str:
        """The cause a check gives when it did not wait for the try (its answer past the night's room, or past
        ROUND_WAIT_S from its round's start)."""
        name, since = self._named(tz)
        late = f"{name}, {since}, not waited for: its answer by {clock_time(self.ends_by, tz)} would come"
        if self.past_round_wait and self.round_since is not None:
            return (f"{late} more than {ROUND_WAIT_S / 60:.0f} min after its round's first try, at "
                    f"{clock_time(self.round_since, tz)}")
        return f"{late} too late"


# What the fetch thread hands the main loop: a round's outcome, a failed try of a round not over, a try started.
FetchNews: TypeAlias = OwmForecast | ForecastFailure | FetchUnderWay
