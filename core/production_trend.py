"""Production's trend from one decision to the next: the fall and the rise the loads take ahead of the next
reading, and the smoothed rate of change that tells the sun coming back after a cloud."""

from __future__ import annotations

from core.control_params import ControlParams

# Each decision moves production's smoothed rate of change 30 % of the way to its own. The day's own rise is
# under 1 W/s on a house array, and a meter's +-10 W of noise a reading, smoothed so, moves the rate by about
# 1 W/s (3 W/s at most, at a reading every 2 s): both stay under the default `rising_rate` (5 W/s), which a
# sun coming back after a cloud passes.
RISE_SMOOTHING = 0.3


class ProductionTrend:
    """Production at the last decision, its change since the one before, and its smoothed rate of change."""

    def __init__(self, params: ControlParams) -> None:
        self.params = params  # (anticipate, anticipate_rise, rising_rate_w_s)
        self._last: tuple[float, float] | None = None  # (watts, time) at the last decision
        self._last_change_w = 0.0  # production's change from the decision before that one to the last
        self.rate_w_s = 0.0  # production's rate of change, smoothed (RISE_SMOOTHING), W/s

    def ahead_w(self, production_w: float, now: float) -> tuple[float, float]:
        """What the loads take ahead of the next reading: (the fall, <= 0; the rise, >= 0).

        The command acts a reading later; a cloud that made production fall keeps making it fall for a
        few readings. Taking the last fall again ahead (`anticipate`) halved the import on the cloudy day.
        A rise is taken ahead only when the reading before rose too (`anticipate_rise` of the smaller of the
        two; off by default): a meter's noise seldom rises twice in a row, and importing on a wrong guess
        costs more than exporting on one. Also keeps production's smoothed rate of change (`rate_w_s`, for
        the relays' wait while it rises), started again after a gap or a clock stepped back."""
        last, self._last = self._last, (production_w, now)
        before_w, self._last_change_w = self._last_change_w, 0.0
        if last is None or not 0 < now - last[1] <= self.params.max_gap_s:
            self.rate_w_s = 0.0
            return 0.0, 0.0
        change_w = self._last_change_w = production_w - last[0]
        self.rate_w_s += RISE_SMOOTHING * (change_w / (now - last[1]) - self.rate_w_s)
        # (the smaller of the two, and below a fall, 0 for a rise: comparisons in min()'s own order rather than its
        # calls, which parse their keywords on Python 3.11)
        rise_w = self.params.anticipate_rise * (before_w if before_w < change_w else change_w) \
            if change_w > 0 and before_w > 0 else 0.0
        return self.params.anticipate * (change_w if change_w < 0.0 else 0.0), rise_w

    def rising(self) -> bool:
        """Production rises faster than `rising_rate_w_s` (smoothed), and rose at the last reading (0: never)."""
        return 0 < self.params.rising_rate_w_s < self.rate_w_s and self._last_change_w > 0
