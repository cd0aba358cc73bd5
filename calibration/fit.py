"""The percent <-> watts curve of a triac variator, fitted from a calibration sweep.

Two methods share one result type, a monotone piecewise-linear table with strictly increasing watts,
so `watts_at` and `percent_for` are exact inverses of each other (np.interp both ways):
- `robust` (default): misfire zone at the bottom treated as off, outliers rejected (at most 3 % of
  the points), then a least-squares isotonic (monotone) regression; the knots are the pooled blocks.
- `poly`: the seed's least-squares polynomial (degree 5) over every point, made monotone by the same
  isotonic regression on a 0.1 % grid so that its inverse exists (its raw defects are in the report).
"""

from __future__ import annotations

import math
import os
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from calibration.monotone import OUTLIER_MIN_W_SHARE, SweepShape, analyse_sweep, isotonic_blocks
from calibration.points import CalibrationError, CalibrationPoints, read_calibration_csv
from calibration.thermostat import MIN_HIGHEST_W, fit_cut_reason

__all__ = ["METHODS", "CalibrationError", "CalibrationPoints", "PowerCurve", "fit_curve", "interp_one", "load_curve",
           "read_calibration_csv"]

METHODS = ("robust", "poly")
GRID_STEP_PERCENT = 0.1
# A sweep must reach both ends: the misfire zone and first conduction at the bottom, full power at the top.
# Past its ends a curve is a guess, and the daemon commands whatever the guess says.
MAX_LOWEST_PERCENT = 5.0
MIN_HIGHEST_PERCENT = 99.0


@dataclass(frozen=True, slots=True, eq=False)  # numpy fields: identity, not ==
class PowerCurve:
    """A monotone non-decreasing curve percent -> watts (0 W below `min_on_percent`) and its exact inverse."""

    method: str  # "robust" or "poly"
    max_power_w: float  # the curve's max watts (reached at the last knot, the sweep's highest percent)
    min_on_percent: float  # first stable conduction point (below it: off, 0 W)
    outliers: tuple[int, ...]  # indices into the points that were rejected
    knots_percent: np.ndarray  # strictly increasing, from min_on_percent to the sweep's highest percent
    knots_w: np.ndarray  # strictly increasing, from the lowest "on" watts to max_power_w
    misfires: tuple[int, ...] = ()  # indices into the points of the misfire zone (counted as off)
    degree: int = 0  # the polynomial's degree (poly only)
    coefficients: tuple[float, ...] = ()  # the raw polynomial, highest power first (poly only)
    warnings: tuple[str, ...] = ()  # what the fit kept that the user should know (each names the file)
    # The knots again as Python floats, for one number at a time (the daemon's every command): made once, a
    # curve's knots are never changed after it is made.
    _percents: tuple[float, ...] = field(init=False, repr=False)
    _watts: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Our own read-only copies: a caller changing its arrays afterwards would otherwise bend the curve
        # away from the float copies below (an error on a write says so at once).
        for name in ("knots_percent", "knots_w"):
            knots = np.array(getattr(self, name), dtype=float)
            knots.setflags(write=False)
            object.__setattr__(self, name, knots)
        object.__setattr__(self, "_percents", tuple(self.knots_percent.tolist()))
        object.__setattr__(self, "_watts", tuple(self.knots_w.tolist()))

    @classmethod
    def from_table(cls, percent: np.ndarray | list[float], watts: np.ndarray | list[float],
                   method: str = "table") -> PowerCurve:
        """A curve through given knots (both strictly increasing, last percent 100): for tests and simulators."""
        knots_p = np.asarray(percent, dtype=float)
        knots_w = np.asarray(watts, dtype=float)
        if knots_p.shape != knots_w.shape or knots_p.size < 2:
            raise ValueError("from_table needs two arrays of the same length, at least 2 knots")
        if np.any(np.diff(knots_p) <= 0) or np.any(np.diff(knots_w) <= 0) or knots_w[0] < 0:
            raise ValueError("from_table needs strictly increasing percents and non-negative, strictly "
                             "increasing watts")
        if knots_p[0] < 0.0 or knots_p[-1] != 100.0:
            raise ValueError("from_table needs percents within 0..100, ending at 100")
        return cls(method=method, max_power_w=float(knots_w[-1]), min_on_percent=float(knots_p[0]), outliers=(),
                   knots_percent=knots_p, knots_w=knots_w)

    @property
    def min_on_w(self) -> float:
        """The least watts the load draws when on (the curve at min_on_percent)."""
        return float(self.knots_w[0])

    def watts_at(self, percent: float | np.ndarray) -> float | np.ndarray:
        """Watts drawn at `percent` (0 below min_on_percent, max_power_w at and above the last knot)."""
        if isinstance(percent, (int, float)) and math.isfinite(percent):
            return 0.0 if percent < self.min_on_percent else interp_one(float(percent), self._percents, self._watts)
        p = np.asarray(percent, dtype=float)
        w = np.where(p < self.min_on_percent, 0.0, np.interp(p, self.knots_percent, self.knots_w))
        return float(w) if w.ndim == 0 else w

    def percent_for(self, watts: float | np.ndarray) -> float | np.ndarray:
        """The percent that draws `watts`: 0 for <= 0 W, min_on_percent up to min_on_w, the last knot at >= max."""
        if isinstance(watts, (int, float)) and math.isfinite(watts):
            return 0.0 if watts <= 0.0 else interp_one(float(watts), self._watts, self._percents)
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


def _table_from_blocks(percent: np.ndarray, watts: np.ndarray, min_on_percent: float, top_percent: float,
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the monotone table: one per isotonic block, at the block's mean percent and watts.

    The first knot is moved to min_on_percent and the last to `top_percent`, the sweep's highest
    measured percent (never beyond: what the load draws past it was not measured), so the table covers
    the whole measured "on" range; the percents stay strictly increasing because the blocks do not overlap.
    """
    blocks = isotonic_blocks(watts)
    sums = np.add.reduceat(percent, blocks.start)
    knots_p = sums / (blocks.stop - blocks.start)
    knots_w = blocks.value.copy()
    if knots_p.size < 2:
        raise ValueError("flat")
    knots_p[0] = min_on_percent
    knots_p[-1] = top_percent
    return knots_p, knots_w


# The load's own meter reads a few watts with the load off (1 W on the real sweeps). An "off level" of this
# much of the top reading (and at least MAX_OFF_W) is no off level: a meter that froze on a reading and
# repeated it down the sweep, or a variator that ignored its commands. Such a curve would have the daemon
# command, say, 88 % (2.2 kW) for a 300 W surplus.
MAX_OFF_SHARE = 0.05
MAX_OFF_W = 50.0
# A heater behind a triac rises from a few watts at its first conduction (2 W at 4 % on the real sweeps). One whose
# first stable conduction draws this much of its highest reading jumped there from off: kept, the daemon would
# command that percent (2 kW, say) for a surplus of a few hundred watts.
MAX_FIRST_ON_SHARE = 0.5


def _checked_shape(points: CalibrationPoints, shape: SweepShape) -> SweepShape:
    """The sweep's `shape`, refused (CalibrationError) when it never conducts or its off level is no off
    level."""
    top_w = float(np.max(points.watts))
    if shape.off_w > max(MAX_OFF_W, MAX_OFF_SHARE * top_w):
        raise CalibrationError(
            f"{points.source}: the lowest readings are {shape.off_w:g} W, where a load that is off reads a few "
            f"watts: the meter froze on a reading (the same message again and again), or the variator did not "
            f"follow the commands, or this is not the load's own meter; sweep again")
    if shape.first_on >= len(points):
        raise CalibrationError(f"{points.source}: the load never conducts (every reading is at the off "
                               f"level, {shape.off_w:g} W)")
    kept = np.ones(len(points), dtype=bool)
    kept[list(shape.outliers)] = False
    highest_w = float(np.max(points.watts[kept]))
    first_w, first_percent = float(points.watts[shape.first_on]), float(points.percent[shape.first_on])
    if first_w >= MAX_FIRST_ON_SHARE * highest_w:
        raise CalibrationError(
            f"{points.source}: the readings jump from the off level ({shape.off_w:g} W) to {first_w:.0f} W at "
            f"{first_percent:g} % ({100.0 * first_w / highest_w:.0f} % of the highest, {highest_w:.0f} W), where a "
            f"heater behind a variator rises from a few watts: either its thermostat cut it from there down (a hot "
            f"tank: sweep again while it heats), or the load does not follow the percent (its own electronics, or a "
            f"variator that only switches it fully on and off), and a relay drives it better (a `constant` load)")
    return shape


def _fit_robust(points: CalibrationPoints, shape: SweepShape) -> PowerCurve:
    shape = _checked_shape(points, shape)
    keep = np.ones(len(points), dtype=bool)
    keep[: shape.first_on] = False
    keep[list(shape.outliers)] = False
    min_on = float(points.percent[shape.first_on])
    try:
        knots_p, knots_w = _table_from_blocks(points.percent[keep], points.watts[keep], min_on,
                                              float(points.percent[-1]))
    except ValueError:
        raise CalibrationError(f"{points.source}: the readings do not increase with the percent "
                               f"(a flat sweep: was the thermostat cutting?)") from None
    return PowerCurve(method="robust", max_power_w=float(knots_w[-1]), min_on_percent=min_on,
                      outliers=shape.outliers, knots_percent=knots_p, knots_w=knots_w,
                      misfires=shape.misfires, warnings=_top_left_out_warning(points, shape, float(knots_w[-1])))


def _top_left_out_warning(points: CalibrationPoints, shape: SweepShape, max_power_w: float) -> tuple[str, ...]:
    """The top reading left out as a glitch, said: it sets the load's max, which the daemon believes."""
    top = len(points) - 1
    if top not in shape.outliers:
        return ()
    return (f"{points.source}: {points.percent[top]:g} % read {points.watts[top]:.0f} W, far above where the readings "
            f"below lead: left out as a glitch, so the max is {max_power_w:.0f} W; if the load really draws that at "
            f"its top, sweep again to confirm it",)


def _fit_poly(points: CalibrationPoints, degree: int, shape: SweepShape) -> PowerCurve:
    if not 1 <= degree <= 10:
        raise CalibrationError(f"{points.source}: polynomial degree {degree} is outside 1..10")
    if len(points) <= degree + 1:
        raise CalibrationError(f"{points.source}: {len(points)} points cannot fit a degree-{degree} polynomial")
    # The seed's regression: every point, misfires and outliers included.
    coefficients = np.polyfit(points.percent, points.watts, degree)
    shape = _checked_shape(points, shape)
    min_on = float(points.percent[shape.first_on])
    top = float(points.percent[-1])
    grid = np.round(np.arange(round(min_on * 10), int(np.floor(top * 10 + 1e-6)) + 1) * GRID_STEP_PERCENT, 1)
    raw = np.clip(np.polyval(coefficients, grid), 0.0, None)
    try:
        knots_p, knots_w = _table_from_blocks(grid, raw, min_on, top)
    except ValueError:
        raise CalibrationError(f"{points.source}: the degree-{degree} polynomial is flat or decreasing "
                               f"over the whole 'on' range") from None
    warnings = _counted_outliers_warning(points, degree, shape.outliers, grid, raw, float(knots_w[-1]))
    return PowerCurve(method="poly", max_power_w=float(knots_w[-1]), min_on_percent=min_on, outliers=(),
                      knots_percent=knots_p, knots_w=knots_w, misfires=shape.misfires, degree=degree,
                      coefficients=tuple(float(c) for c in coefficients), warnings=warnings)


def _counted_outliers_warning(points: CalibrationPoints, degree: int, outliers: tuple[int, ...], grid: np.ndarray,
                              raw: np.ndarray, max_power_w: float) -> tuple[str, ...]:
    """What the poly fit's outliers do to it, said: the seed's regression counts every reading (kept so: a user
    who chose it gets the seed's curve), and one glitched reading at 100 % (4000 W for a 2.3 kW heater) bent its
    max to 2567 W, silently, where the robust fit rejects it."""
    if not outliers:
        return ()
    keep = np.ones(len(points), dtype=bool)
    keep[list(outliers)] = False
    without = np.clip(np.polyval(np.polyfit(points.percent[keep], points.watts[keep], degree), grid), 0.0, None)
    moved = np.abs(raw - without)
    worst = int(np.argmax(moved))
    if moved[worst] < OUTLIER_MIN_W_SHARE * max_power_w:  # (ECS-02's 7 W, ECS-03's 19 W: nothing to act on)
        return ()
    named = ", ".join(f"{points.percent[i]:g} % ({points.watts[i]:.0f} W)" for i in outliers)
    one = len(outliers) == 1
    return (f"{points.source}: the poly fit counts {named}, {'a reading' if one else 'readings'} the robust fit "
            f"rejects as {'an outlier' if one else 'outliers'}: {'it moves' if one else 'they move'} the polynomial "
            f"by up to {moved[worst]:.0f} W (at {grid[worst]:g} %; the curve's max is {max_power_w:.0f} W, "
            f"{float(np.max(without)):.0f} W without {'it' if one else 'them'}); the robust fit (the default) "
            f"leaves {'it' if one else 'them'} out, or sweep again",)


def _check_coverage(points: CalibrationPoints) -> None:
    lowest, highest = float(points.percent[0]), float(points.percent[-1])
    if lowest <= MAX_LOWEST_PERCENT and highest >= MIN_HIGHEST_PERCENT:
        return
    if highest <= 1.0:
        raise CalibrationError(
            f"{points.source}: the percents run from {lowest:g} to {highest:g}: fractions (a spreadsheet's percent "
            f"column saved as its values, 0.995 for 99.5 %)? A calibration's percents run from 0 to 100")
    raise CalibrationError(
        f"{points.source}: the sweep covers only {lowest:g}..{highest:g} %; a calibration must run from "
        f"{MAX_LOWEST_PERCENT:g} % or less to {MIN_HIGHEST_PERCENT:g} % or more. An interrupted sweep is "
        f"finished by `python3 -m calibration sweep -c CONFIG --equipment NAME --resume`; otherwise sweep "
        f"again from 100 % to 0 %")


def fit_curve(points: CalibrationPoints, method: str = "robust", degree: int = 5,
              min_power_w: float = 0.0) -> PowerCurve:
    """Fit the percent -> watts curve of `points` by `method` ("robust" or "poly", of `degree`).

    Raises CalibrationError (naming the file) for an unknown method, a sweep that does not cover
    MAX_LOWEST_PERCENT..MIN_HIGHEST_PERCENT, one whose highest reading is below MIN_HIGHEST_W (a file in kW),
    one with no reading above `min_power_w`, one cut by the
    load's thermostat at the top, or one whose readings never rise.
    """
    if method not in METHODS:
        raise CalibrationError(f"{points.source}: unknown fit method {method!r} (choose one of "
                               f"{', '.join(METHODS)})")
    _check_coverage(points)
    shape = analyse_sweep(points.watts, points.percent)  # (once: the cut check and the fit both read it)
    highest_w = float(points.watts.max())
    if highest_w < MIN_HIGHEST_W and shape.first_on < len(points):  # (one that never conducts is said so below)
        raise CalibrationError(f"{points.source}: the highest reading is {highest_w:.3g} W, too little for a load "
                               f"behind a variator: a calibration's watts are watts; is this file in kW "
                               f"({highest_w:.3g} for {1000.0 * highest_w:.0f} W)?")
    if not np.any(points.watts > min_power_w):
        raise CalibrationError(f"{points.source}: no reading above min_power ({min_power_w:g} W); the "
                               f"highest is {highest_w:g} W")
    cut = fit_cut_reason(points.percent, points.watts, shape)
    if cut is not None:
        raise CalibrationError(f"{points.source}: {cut}")
    if method == "poly":
        return _fit_poly(points, degree, shape)
    return _fit_robust(points, shape)


def load_curve(path: str | os.PathLike[str], method: str = "robust", degree: int = 5,
               min_power_w: float = 0.0) -> PowerCurve:
    """Read a calibration CSV and fit its curve (read_calibration_csv, then fit_curve)."""
    return fit_curve(read_calibration_csv(path), method=method, degree=degree, min_power_w=min_power_w)
