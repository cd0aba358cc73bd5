"""How often the status document goes out, apart from the regulator: building and publishing it costs more
than a decision, so it goes at once only for news (a load switched or stepped by NEWS_STEP_W or more) and
otherwise at most every [evaluate] status_interval. A status held back is not lost: the timers publish it
when the interval is over. The rule needs only times and watts, so it reads here in one place."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment
from equipments.power_log import power_change_is_news


class StatusPacing:
    """When the last status went out, and whether a decision's status is waiting for the interval."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._published_at: float | None = None
        self.held = False  # a decision's status was held back: the timers publish it once `interval_over`

    def after_decision(self, loads: Sequence[Equipment], watts_before: Sequence[float], now: float) -> bool:
        """True to publish the status now, after a decision that left `loads` at their watts from
        `watts_before`; else it is held back for the timers."""
        # The closed loop's fine moves of the variator (every decision) and the meters' news wait for the
        # interval; a switch or a big step does not. (A plain loop, cheaper than any() on a generator: every decision.)
        for load, before in zip(loads, watts_before, strict=True):
            after = load.current_power_w
            if after != before and power_change_is_news(before, after):
                return True
        if self.interval_over(now):
            return True
        self.held = True
        return False

    def published(self, now: float) -> None:
        """A status went out at `now` (whatever the reason): the interval starts again, nothing is held."""
        self._published_at = now
        self.held = False

    def interval_over(self, now: float) -> bool:
        """True when the last status is `interval_s` old (or there is none; a clock stepped back too)."""
        return self._published_at is None or not 0 <= now - self._published_at < self._interval_s
