"""How good a fit is: errors against the measured points, monotonicity, round trip, the seed's polynomial."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from calibration.fit import CalibrationPoints, PowerCurve, fit_curve
from calibration.poly import GRID_STEP_PERCENT

__all__ = ["FitFigures", "SeedPolyFigures", "fit_figures", "format_report", "held_out_rms",
           "leave_one_out_rms", "seed_poly_figures", "table_percents", "timed_fit", "used_points"]

SEED_DEGREE = 5


def table_percents(step_percent: float = 0.5) -> np.ndarray:
    """0, step, ..., 100 (rounded to 0.1 % so that the values print and compare cleanly)."""
    count = int(round(100.0 / step_percent))
    return np.round(np.arange(count + 1) * step_percent, 1)


def decreasing_steps(values: np.ndarray) -> int:
    """How many neighbouring pairs of `values` decrease (0 for a monotone non-decreasing curve)."""
    return int(np.count_nonzero(np.diff(values) < 0.0))


@dataclass(frozen=True, slots=True)
class FitFigures:
    """Quality figures of one fitted curve against its points."""

    rms_w: float  # against the non-outlier points where the curve is on (>= min_on_percent)
    worst_w: float  # same points: the largest absolute error
    worst_percent: float  # where that largest error is
    points_used: int  # how many points those two figures count
    rms_all_w: float  # against every point (misfires, off zone and outliers included)
    decreasing_steps: int  # on the 0.1 % grid
    round_trip_w: float  # max |watts_at(percent_for(W)) - W| for W in [min_on_w, max_power_w]
    fit_ms: float  # time of fit_curve


def fit_figures(points: CalibrationPoints, curve: PowerCurve, fit_ms: float = float("nan")) -> FitFigures:
    """Measure `curve` against `points` (see FitFigures for what each figure counts)."""
    used = used_points(points, curve)
    error = np.asarray(curve.watts_at(points.percent)) - points.watts
    used_error = np.abs(error[used])
    worst = int(np.argmax(used_error))
    grid = table_percents(GRID_STEP_PERCENT)
    targets = np.linspace(curve.min_on_w, curve.max_power_w, 20001)
    round_trip = np.abs(np.asarray(curve.watts_at(curve.percent_for(targets))) - targets)
    return FitFigures(
        rms_w=float(np.sqrt(np.mean(used_error**2))),
        worst_w=float(used_error[worst]),
        worst_percent=float(points.percent[used][worst]),
        points_used=int(np.count_nonzero(used)),
        rms_all_w=float(np.sqrt(np.mean(error**2))),
        decreasing_steps=decreasing_steps(np.asarray(curve.watts_at(grid))),
        round_trip_w=float(round_trip.max()),
        fit_ms=fit_ms,
    )


@dataclass(frozen=True, slots=True)
class SeedPolyFigures:
    """The seed's raw degree-5 polynomial (every point, no monotone repair), for comparison."""

    rms_w: float  # against the same points as FitFigures.rms_w
    worst_w: float
    worst_percent: float
    rms_all_w: float
    decreasing_steps: int  # on the 0.1 % grid
    decreasing_steps_table: int  # on the seed's 0.5 % table (its *_poly.csv)


def seed_poly_figures(points: CalibrationPoints, used: np.ndarray, degree: int = SEED_DEGREE,
                      ) -> SeedPolyFigures:
    """Figures of the seed's polynomial regression; `used` selects the points its RMS counts."""
    coefficients = np.polyfit(points.percent, points.watts, degree)
    error = np.polyval(coefficients, points.percent) - points.watts
    used_error = np.abs(error[used])
    worst = int(np.argmax(used_error))
    return SeedPolyFigures(
        rms_w=float(np.sqrt(np.mean(used_error**2))),
        worst_w=float(used_error[worst]),
        worst_percent=float(points.percent[used][worst]),
        rms_all_w=float(np.sqrt(np.mean(error**2))),
        decreasing_steps=decreasing_steps(np.polyval(coefficients, table_percents(GRID_STEP_PERCENT))),
        decreasing_steps_table=decreasing_steps(np.polyval(coefficients, table_percents(0.5))),
    )


def timed_fit(points: CalibrationPoints, method: str, degree: int, min_power_w: float,
              ) -> tuple[PowerCurve, float]:
    """fit_curve and its duration in milliseconds."""
    start = time.perf_counter()
    curve = fit_curve(points, method=method, degree=degree, min_power_w=min_power_w)
    return curve, (time.perf_counter() - start) * 1000.0


def used_points(points: CalibrationPoints, curve: PowerCurve) -> np.ndarray:
    """The mask of the points the RMS counts: curve on, not an outlier."""
    used = points.percent >= curve.min_on_percent
    used[list(curve.outliers)] = False
    return used


def held_out_rms(curve: PowerCurve, points: CalibrationPoints, whole_only: bool = False) -> float:
    """RMS error (W) of `curve` against another sweep's `points` (those a robust fit of them counts; whole
    percents only if asked): how well one day's calibration predicts another day's readings."""
    used = used_points(points, fit_curve(points))
    if whole_only:
        used &= points.percent % 1.0 == 0.0
    error = np.asarray(curve.watts_at(points.percent[used])) - points.watts[used]
    return float(np.sqrt(np.mean(error**2)))


def leave_one_out_rms(points: CalibrationPoints, method: str = "robust", degree: int = SEED_DEGREE) -> float:
    """RMS error (W) at each point the fit counts, of a fit made without that point.

    The in-sample RMS flatters a monotone fit: it follows every step of the variator's whole-percent
    staircase because every step is in the data. Left out, a point is predicted from its neighbours.
    """
    curve = fit_curve(points, method, degree)
    errors = []
    for i in np.flatnonzero(used_points(points, curve)).tolist():
        keep = np.arange(len(points)) != i
        without = CalibrationPoints(percent=points.percent[keep], watts=points.watts[keep], source=points.source)
        errors.append(float(fit_curve(without, method, degree).watts_at(points.percent[i])) - points.watts[i])
    return float(np.sqrt(np.mean(np.square(errors))))


def _point_list(points: CalibrationPoints, indices: tuple[int, ...]) -> str:
    if not indices:
        return "none"
    return ", ".join(f"{points.percent[i]:g} % ({points.watts[i]:.0f} W)" for i in indices)


def format_report(points: CalibrationPoints, curve: PowerCurve, figures: FitFigures,
                  seed: SeedPolyFigures) -> list[str]:
    """The lines `python3 -m calibration fit` prints."""
    share = 100.0 * figures.rms_w / curve.max_power_w
    if curve.method == "robust":
        parameters = (f"isotonic regression, {len(curve.knots_w)} knots; misfire zone: "
                      f"{_point_list(points, curve.misfires)}")
    else:
        coefficients = ", ".join(f"{c:.6g}" for c in curve.coefficients)
        parameters = f"degree {curve.degree}, coefficients (highest power first): {coefficients}"
    lines = [
        f"file: {points.source} ({len(points)} points, {points.percent.min():g}..{points.percent.max():g} %)",
        f"method: {curve.method}; {parameters}",
        f"on from {curve.min_on_percent:g} % ({curve.min_on_w:.1f} W) to {curve.knots_percent[-1]:g} % "
        f"({curve.max_power_w:.1f} W); " + (f"below {curve.min_on_percent:g} % the load counts as off (0 W)"
                                             if curve.min_on_percent > points.percent[0]
                                             else "no reading of the sweep is off"),
        f"outliers ({len(curve.outliers)}): {_point_list(points, curve.outliers)}",
        "",
        f"{'':38}{curve.method + ' (this fit)':>18}{'seed poly deg ' + str(SEED_DEGREE):>18}",
        f"{'RMS error, ' + str(figures.points_used) + ' points (W)':38}{figures.rms_w:18.1f}{seed.rms_w:18.1f}",
        f"{'RMS error / max watts (%)':38}{share:18.2f}{100.0 * seed.rms_w / curve.max_power_w:18.2f}",
        f"{'worst error (W)':38}{figures.worst_w:18.1f}{seed.worst_w:18.1f}",
        f"{'  at percent':38}{figures.worst_percent:18g}{seed.worst_percent:18g}",
        f"{'RMS error, all points (W)':38}{figures.rms_all_w:18.1f}{seed.rms_all_w:18.1f}",
        f"{'decreasing steps, 0.1 % grid':38}{figures.decreasing_steps:18d}{seed.decreasing_steps:18d}",
        f"{'decreasing steps, 0.5 % table':38}{'':>18}{seed.decreasing_steps_table:18d}",
        f"{'round trip max error (W)':38}{figures.round_trip_w:18.2g}{'':>18}",
        f"{'fit time (ms)':38}{figures.fit_ms:18.2f}{'':>18}",
    ]
    lines.extend(f"warning: {warning}" for warning in curve.warnings)
    return lines
