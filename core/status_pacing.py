"""How often the status document goes out, apart from the regulator: building and publishing it costs more
than a decision, so it goes at once only for news (a load switched or stepped by NEWS_STEP_W or more) and
otherwise at most every [evaluate] status_interval. A status held back is not lost: the timers publish it
when the interval is over. The rule needs only times and watts, so it reads here in one place."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment
from equipments.power_log import power_change_is_news

# The least time between two statuses for news from outside (a force or an unforce on the mode topic, a Domoticz force
# switch, a variator's output gated by another client): a burst of them, anyone's on the broker, published a whole
# status document each (100 in a second), to every reader of it.
MIN_SPACING_S = 1.0


class StatusPacing:
    """When the last status went out, and whether a decision's status is waiting for the interval."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._published_at: float | None = None
        self.held = False  # a decision's status was held back: the timers publish it once `interval_over`
        self.held_until: float | None = None  # a mode command's status held back for MIN_SPACING_S: due then

    def after_mode_command(self, now: float) -> bool:
        """True to publish the status now, after a mode command (or other news from outside) that changed something;
        else it is held back until MIN_SPACING_S after the last one (`due`), so a burst of them publishes one a second,
        the last one's state."""
        if self._published_at is None or not 0 <= now - self._published_at < MIN_SPACING_S:
            return True
        self.held_until = self._published_at + MIN_SPACING_S
        return False

    def due(self, now: float) -> bool:
        """True when a status held back (a decision's, a mode command's) is due at `now`."""
        # (a clock stepped back to before the last status: due at once, not a step's length later)
        return (self.held and self.interval_over(now)) or (
            self.held_until is not None and not 0 < self.held_until - now <= MIN_SPACING_S)

    def after_decision(self, loads: Sequence[Equipment], watts_before: Sequence[float], now: float) -> bool:
        """True to publish the status now, after a decision that left `loads` at their watts from
        `watts_before`; else it is held back for the timers."""
        # The closed loop's fine moves of the variator (every decision) and the meters' news wait for the
        # interval; a switch or a big step does not. (A plain loop, cheaper than any() on a generator: every decision;
        # by index, as zip(strict=True) parses its keyword at each call on Python 3.11, 1.5 k instructions.)
        for i, load in enumerate(loads):
            before, after = watts_before[i], load.current_power_w
            if after != before and power_change_is_news(before, after):
                return True
        if self.interval_over(now):
            return True
        self.held = True
        return False

    def published(self, now: float) -> None:
        """A status went out at `now` (whatever the reason): the interval starts again, nothing is held."""
        self._published_at = now
        self.held, self.held_until = False, None

    def interval_over(self, now: float) -> bool:
        """True when the last status is `interval_s` old (or there is none; a clock stepped back too)."""
        return self._published_at is None or not 0 <= now - self._published_at < self._interval_s
