"""The `poly` fit (the seed's): a least-squares polynomial (degree 5) over every point, made monotone by the robust
fit's isotonic regression on a 0.1 % grid so that its inverse exists (its raw defects are in the report). numpy's
polyfit: a daemon whose variator is fitted so imports numpy; the default robust fit does not."""

from __future__ import annotations

import numpy as np

from calibration.curve import PowerCurve
from calibration.monotone import OUTLIER_MIN_W_SHARE, SweepShape
from calibration.points import CalibrationError, PlainPoints
from calibration.robust import checked_shape, table_from_blocks

__all__ = ["GRID_STEP_PERCENT", "fit_poly"]

GRID_STEP_PERCENT = 0.1


def fit_poly(points: PlainPoints, degree: int, shape: SweepShape) -> PowerCurve:
    """The poly curve of `points` (sorted by percent; `shape`: their analyse_sweep)."""
    if not 1 <= degree <= 10:
        raise CalibrationError(f"{points.source}: polynomial degree {degree} is outside 1..10")
    if len(points) <= degree + 1:
        raise CalibrationError(f"{points.source}: {len(points)} points cannot fit a degree-{degree} polynomial")
    percent, watts = np.array(points.percent, dtype=float), np.array(points.watts, dtype=float)
    # The seed's regression: every point, misfires and outliers included.
    coefficients = np.polyfit(percent, watts, degree)
    shape = checked_shape(points, shape)
    min_on = points.percent[shape.first_on]
    top = points.percent[-1]
    grid = np.round(np.arange(round(min_on * 10), int(np.floor(top * 10 + 1e-6)) + 1) * GRID_STEP_PERCENT, 1)
    raw = np.clip(np.polyval(coefficients, grid), 0.0, None)
    try:
        knots_p, knots_w = table_from_blocks(grid.tolist(), raw.tolist(), min_on, top)
    except ValueError:
        raise CalibrationError(f"{points.source}: the degree-{degree} polynomial is flat or decreasing "
                               f"over the whole 'on' range") from None
    warnings = _counted_outliers_warning(points, degree, shape.outliers, grid, raw, knots_w[-1])
    return PowerCurve(method="poly", max_power_w=knots_w[-1], min_on_percent=min_on, outliers=(),
                      knots_percent=tuple(knots_p), knots_w=tuple(knots_w), misfires=shape.misfires, degree=degree,
                      coefficients=tuple(float(c) for c in coefficients), warnings=warnings)


def _counted_outliers_warning(points: PlainPoints, degree: int, outliers: tuple[int, ...], grid: np.ndarray,
                              raw: np.ndarray, max_power_w: float) -> tuple[str, ...]:
    """What the poly fit's outliers do to it, said: the seed's regression counts every reading (kept so: a user
    who chose it gets the seed's curve), and one glitched reading at 100 % (4000 W for a 2.3 kW heater) bent its
    max to 2567 W, silently, where the robust fit rejects it."""
    if not outliers:
        return ()
    keep = np.ones(len(points), dtype=bool)
    keep[list(outliers)] = False
    percent, watts = np.array(points.percent, dtype=float), np.array(points.watts, dtype=float)
    without = np.clip(np.polyval(np.polyfit(percent[keep], watts[keep], degree), grid), 0.0, None)
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
