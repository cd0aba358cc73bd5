"""The percent <-> watts curve of a triac variator, as fitted (calibration.fit): a monotone piecewise-linear table
with strictly increasing watts, so `watts_at` and `percent_for` are exact inverses of each other (np.interp's steps
both ways). It holds Python floats: the daemon reads it one number at a time, without numpy (15 MB of its memory);
a tool that hands it arrays gets arrays back (numpy imported then)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["PowerCurve", "interp_one"]


@dataclass(frozen=True, slots=True, eq=False)  # (identity, as when it held numpy arrays)
class PowerCurve:
    """A monotone non-decreasing curve percent -> watts (0 W below `min_on_percent`) and its exact inverse."""

    method: str  # "robust" or "poly"
    max_power_w: float  # the curve's max watts (reached at the last knot, the sweep's highest percent)
    min_on_percent: float  # first stable conduction point (below it: off, 0 W)
    outliers: tuple[int, ...]  # indices into the points that were rejected
    knots_percent: tuple[float, ...]  # strictly increasing, from min_on_percent to the sweep's highest percent
    knots_w: tuple[float, ...]  # strictly increasing, from the lowest "on" watts to max_power_w
    misfires: tuple[int, ...] = ()  # indices into the points of the misfire zone (counted as off)
    degree: int = 0  # the polynomial's degree (poly only)
    coefficients: tuple[float, ...] = ()  # the raw polynomial, highest power first (poly only)
    warnings: tuple[str, ...] = ()  # what the fit kept that the user should know (each names the file)

    def __post_init__(self) -> None:
        # Our own copies, as Python floats (a caller's list or array changed afterwards does not bend the curve).
        for name in ("knots_percent", "knots_w"):
            object.__setattr__(self, name, tuple(float(k) for k in getattr(self, name)))

    @classmethod
    def from_table(cls, percent: Sequence[float] | np.ndarray, watts: Sequence[float] | np.ndarray,
                   method: str = "table") -> PowerCurve:
        """A curve through given knots (both strictly increasing, last percent 100): for tests and simulators."""
        knots_p = tuple(float(p) for p in percent)
        knots_w = tuple(float(w) for w in watts)
        if len(knots_p) != len(knots_w) or len(knots_p) < 2:
            raise ValueError("from_table needs two arrays of the same length, at least 2 knots")
        if any(b <= a for knots in (knots_p, knots_w) for a, b in pairwise(knots)) or knots_w[0] < 0:
            raise ValueError("from_table needs strictly increasing percents and non-negative, strictly "
                             "increasing watts")
        if knots_p[0] < 0.0 or knots_p[-1] != 100.0:
            raise ValueError("from_table needs percents within 0..100, ending at 100")
        return cls(method=method, max_power_w=knots_w[-1], min_on_percent=knots_p[0], outliers=(),
                   knots_percent=knots_p, knots_w=knots_w)

    @property
    def min_on_w(self) -> float:
        """The least watts the load draws when on (the curve at min_on_percent)."""
        return self.knots_w[0]

    def watts_at(self, percent: float | np.ndarray) -> float | np.ndarray:
        """Watts drawn at `percent` (0 below min_on_percent, max_power_w at and above the last knot)."""
        if isinstance(percent, (int, float)) and math.isfinite(percent):
            return 0.0 if percent < self.min_on_percent else interp_one(float(percent), self.knots_percent,
                                                                        self.knots_w)
        import numpy as np  # (a tool's arrays, or a number that is not finite)

        p = np.asarray(percent, dtype=float)
        w = np.where(p < self.min_on_percent, 0.0, np.interp(p, self.knots_percent, self.knots_w))
        return float(w) if w.ndim == 0 else w

    def percent_for(self, watts: float | np.ndarray) -> float | np.ndarray:
        """The percent that draws `watts`: 0 for <= 0 W, min_on_percent up to min_on_w, the last knot at >= max."""
        if isinstance(watts, (int, float)) and math.isfinite(watts):
            return 0.0 if watts <= 0.0 else interp_one(float(watts), self.knots_w, self.knots_percent)
        import numpy as np  # (a tool's arrays, or a number that is not finite)

        w = np.asarray(watts, dtype=float)
        p = np.where(w <= 0.0, 0.0, np.interp(w, self.knots_w, self.knots_percent))
        return float(p) if p.ndim == 0 else p


def interp_one(x: float, xp: tuple[float, ...], fp: tuple[float, ...]) -> float:
    """np.interp(x, xp, fp) for one finite x (xp strictly increasing, fp finite), by numpy's own steps and
    float operations, so the very same result; a numpy call costs ten times more for one number."""
    j = bisect_right(xp, x) - 1  # xp[j] <= x < xp[j + 1]
    if j < 0:
        return fp[0]
    if j >= len(xp) - 1:
        return fp[-1]
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    return slope * (x - xp[j]) + fp[j]
