"""A forecast fetch's try under way, as the fetch thread says it when the try starts: a check due meanwhile waits for
its answer, up to the try's own deadline. A start just before or after check_at ran the night's check before the
start's fetch ended (seconds later), said `no forecast received for that day`, and forced as for a 100 % cloudy sky."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import TypeAlias

from field.forecast import ForecastFailure, OwmForecast

# A try ends within its timeout_s (shell.http_deadline cuts it there, name lookup included); its outcome then goes
# through the daemon's queue: this much more is waited for it.
FETCH_END_SLACK_S = 2.0


@dataclass(frozen=True, slots=True)
class FetchUnderWay:
    """A fetch's try started at `started_at`, cut at `timeout_s`; `why` names its round ("at start", ...)."""

    why: str
    started_at: float
    timeout_s: float

    @property
    def ends_by(self) -> float:
        """When its answer is in the main loop's hands at the latest; past it, no check waits for it."""
        return self.started_at + self.timeout_s + FETCH_END_SLACK_S

    def moved(self, step_s: float) -> FetchUnderWay:
        """The try on a wall clock stepped by `step_s` (forward > 0): it runs on the steady clock, its deadline with it
        (NTP setting a Pi's clock behind by 30 min had it long past, the check due going on at once)."""
        return replace(self, started_at=self.started_at + step_s)

    def clock_time(self, at: float, tz: tzinfo | None) -> str:
        """`at` as the log says a time of the night (HH:MM:SS, local)."""
        return (datetime.fromtimestamp(at, tz) if tz else datetime.fromtimestamp(at).astimezone()).strftime("%H:%M:%S")

    def no_answer(self, tz: tzinfo | None) -> str:
        """The cause a check gives when the try it waited for gave nothing by its deadline."""
        since, by = self.clock_time(self.started_at, tz), self.clock_time(self.ends_by, tz)
        return f"the forecast fetch {self.why}, under way since {since}, gave no answer by {by}"


# What the fetch thread hands the main loop: a round's outcome, a failed try of a round not over, a try started.
FetchNews: TypeAlias = OwmForecast | ForecastFailure | FetchUnderWay
