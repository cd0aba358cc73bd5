"""Full tank ("overed"): a water heater whose thermostat has cut draws nothing whatever the command. Once
found full, a load is commanded to 0 and left out of the allocation until the daily clear (init_at hour or
midnight), so its power is not reserved in vain. Two detectors: one reads the load's own meter (here), the
other infers it from the house meter (field/full_tank_inferred.py). Both are pure: readings and `now` come in, a
verdict goes out."""

from __future__ import annotations

import logging
from datetime import tzinfo

from field.full_tank_inferred import InferredFullTank
from field.full_tank_rules import InferenceRule, MeterRule
from values.local_time import crossed, hour

__all__ = ["InferenceRule", "InferredFullTank", "MeterRule", "MeteredFullTank", "daily_clear_due"]

log = logging.getLogger(__name__)

_DEFAULT_RULE = MeterRule()  # (a frozen value, shared as a default)


def daily_clear_due(since: float, now: float, tz: tzinfo | None, init_at_hour: int = 6) -> bool:
    """True if the `init_at` hour or midnight (local) passed in (since, now]: full flags are cleared then.
    After a restart, pass the saved status time as `since` so a clear missed while down still happens."""
    return crossed(since, now, hour(init_at_hour), tz) or crossed(since, now, hour(0), tz)


class MeteredFullTank:
    """Full when the load's own meter reads < 5 W while it is commanded >= min_power, 5 times in a row with
    readings less than 10 s apart, and its variator answered the command (one that did not heard nothing)."""

    def __init__(self, name: str, min_power_w: float, rule: MeterRule = _DEFAULT_RULE) -> None:
        self.name = name
        self.min_power_w = min_power_w
        self.rule = rule
        self.full = False
        self._low_count = 0
        self._last_low_at: float | None = None
        self._low_since = 0.0  # the first reading of this run of low ones
        self._told_deaf = False  # "the variator has not answered" logged for this run of low readings

    def suspect(self, now: float) -> bool:
        """Its meter has begun to read nothing, lately enough to chain with the next low reading: its
        belief (its command's watts) may be wrong."""
        return (self._low_count > 0 and not self.full and self._last_low_at is not None
                and now - self._last_low_at < self.rule.max_gap_s)

    def on_reading(self, measured_w: float, commanded_w: float, now: float, heard_at: float | None = None,
                   commanded_at: float | None = None) -> bool:
        """One reading of the load's meter; True exactly when it concludes the tank is full. `heard_at`: its variator's
        last answer (None: it never answers, nothing to judge by); `commanded_at`: when its command was last sent."""
        if self.full:
            return False
        if measured_w >= self.rule.below_w or commanded_w < self.min_power_w:
            self._low_count, self._last_low_at, self._told_deaf = 0, None, False
            return False
        if self._last_low_at is not None and now - self._last_low_at < self.rule.max_gap_s:
            self._low_count += 1
        else:
            self._low_count, self._low_since = 1, now  # first low reading, or the previous one is too old to chain with
        self._last_low_at = now
        if self._low_count < self.rule.count:
            return False
        # (it answered the command in effect, or one sent during these readings: the closed loop moves it at each
        # decision, the answer to the last one maybe still on its way)
        answered = heard_at is None or commanded_at is None or heard_at >= min(commanded_at, self._low_since)
        if not answered:
            # (a variator off the network heard no command: its heater draws nothing, its tank no fuller. Taken for
            # full, the fallback's night force from the grid was dropped and credited whole, the water cold; judged
            # again at each reading, once it answers)
            if not self._told_deaf:
                self._told_deaf = True
                log.info("%s: its meter reads %.1f W but the variator has not answered its command: not taken for a "
                         "full tank", self.name, measured_w)
            return False
        self.full = True
        log.info("%s is full: its meter read %.1f W (< %g W) %d times in a row while commanded %.0f W",
                 self.name, measured_w, self.rule.below_w, self._low_count, commanded_w)
        return True

    def clear(self) -> None:
        """The daily clear: the load may take power again."""
        self.full, self._low_count, self._last_low_at, self._told_deaf = False, 0, None, False
