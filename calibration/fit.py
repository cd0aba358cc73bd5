"""The percent <-> watts curve of a triac variator, fitted from a calibration sweep.

Two methods share one result type (calibration.curve.PowerCurve), a monotone piecewise-linear table with strictly
increasing watts, so `watts_at` and `percent_for` are exact inverses of each other:
- `robust` (default, calibration.robust): misfire zone at the bottom treated as off, outliers rejected (at most 3 %
  of the points), then a least-squares isotonic (monotone) regression; the knots are the pooled blocks.
- `poly` (calibration.poly): the seed's least-squares polynomial (degree 5) over every point, made monotone by the
  same isotonic regression on a 0.1 % grid so that its inverse exists (its raw defects are in the report).
No numpy here: the daemon loads its variator's curve through this module (numpy is 15 MB of its memory); the poly
fit imports it, when asked for.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import replace

from calibration.curve import PowerCurve, interp_one
from calibration.monotone import analyse_sweep
from calibration.points import CalibrationError, CalibrationPoints, PlainPoints, read_calibration_csv, read_plain_points
from calibration.robust import fit_robust
from calibration.thermostat import MIN_HIGHEST_W, fit_cut_reason
from values.venv import python_command

__all__ = ["METHODS", "CalibrationError", "CalibrationPoints", "PlainPoints", "PowerCurve",
           "fit_curve", "interp_one", "load_curve", "read_calibration_csv"]

METHODS = ("robust", "poly")
# A sweep must reach both ends: the misfire zone and first conduction at the bottom, full power at the top.
# Past its ends a curve is a guess, and the daemon commands whatever the guess says.
MAX_LOWEST_PERCENT = 5.0
MIN_HIGHEST_PERCENT = 99.0


def _check_coverage(points: PlainPoints) -> None:
    lowest, highest = points.percent[0], points.percent[-1]
    if lowest <= MAX_LOWEST_PERCENT and highest >= MIN_HIGHEST_PERCENT:
        return
    if highest <= 1.0:
        raise CalibrationError(
            f"{points.source}: the percents run from {lowest:g} to {highest:g}: fractions (a spreadsheet's percent "
            f"column saved as its values, 0.995 for 99.5 %)? A calibration's percents run from 0 to 100")
    raise CalibrationError(
        f"{points.source}: the sweep covers only {lowest:g}..{highest:g} %; a calibration must run from "
        f"{MAX_LOWEST_PERCENT:g} % or less to {MIN_HIGHEST_PERCENT:g} % or more. An interrupted sweep is "
        f"finished by `{shlex.quote(python_command())} -m calibration sweep -c CONFIG --equipment NAME --resume`; "
        "otherwise sweep again from 100 % to 0 %")


def fit_curve(points: CalibrationPoints | PlainPoints, method: str = "robust", degree: int = 5,
              min_power_w: float = 0.0) -> PowerCurve:
    """Fit the percent -> watts curve of `points` (sorted by percent, a tool's arrays or the daemon's floats) by
    `method` ("robust" or "poly", of `degree`).

    Raises CalibrationError (naming the file) for an unknown method, a sweep that does not cover
    MAX_LOWEST_PERCENT..MIN_HIGHEST_PERCENT, one whose highest reading is below MIN_HIGHEST_W (a file in kW),
    one with no reading above `min_power_w`, one cut by the
    load's thermostat at the top, or one whose readings never rise.
    """
    if isinstance(points, CalibrationPoints):
        points = PlainPoints(tuple(points.percent.tolist()), tuple(points.watts.tolist()), points.source)
    if method not in METHODS:
        raise CalibrationError(f"{points.source}: unknown fit method {method!r} (choose one of "
                               f"{', '.join(METHODS)})")
    _check_coverage(points)
    shape = analyse_sweep(points.watts, points.percent)  # (once: the cut check and the fit both read it)
    highest_w = max(points.watts)
    if highest_w < MIN_HIGHEST_W and shape.first_on < len(points):  # (one that never conducts is said so below)
        raise CalibrationError(f"{points.source}: the highest reading is {highest_w:.3g} W, too little for a load "
                               f"behind a variator: a calibration's watts are watts; is this file in kW "
                               f"({highest_w:.3g} for {1000.0 * highest_w:.0f} W)?")
    if not any(w > min_power_w for w in points.watts):
        raise CalibrationError(f"{points.source}: no reading above min_power ({min_power_w:g} W); the "
                               f"highest is {highest_w:g} W")
    cut = fit_cut_reason(points.percent, points.watts, shape)
    if cut is not None:
        raise CalibrationError(f"{points.source}: {cut}")
    if method == "poly":
        from calibration.poly import fit_poly  # (numpy: only for a poly fit)

        curve = fit_poly(points, degree, shape)
    else:
        curve = fit_robust(points, shape)
    late = _late_first_on_warning(points, curve)
    return curve if late is None else replace(curve, warnings=(*curve.warnings, late))


# A heater behind a triac conducts from a few percent (4 % on the real sweeps, 2 W) and rises from a few watts. A
# curve that conducts only from over this percent, or whose first conduction draws this share of its max or more,
# is likely a sweep the load's thermostat cut from there down (a sweep from 100 % to 0 %, the tank getting hot): the
# daemon never commands it under that, and a surplus under the curve's first watts is not diverted to it. Warned
# (the fit's line, the load's config warning), not refused: a variator that conducts only from 20 % is no error; one
# that jumps to half the max or more is refused (calibration.robust.MAX_FIRST_ON_SHARE).
LATE_ON_PERCENT = 20.0
LATE_ON_SHARE = 0.1


# A sweep whose step below the first conduction is wider than this cannot tell where the load starts (a sweep by 25 %:
# on from 25 %, 9 % of the max, for a heater that conducts from 4 %): said so, not taken for a thermostat's cut.
COARSE_STEP_PERCENT = 5.0


def _late_first_on_warning(points: PlainPoints, curve: PowerCurve) -> str | None:
    """The warning for a curve that conducts only from high up (LATE_ON_PERCENT, LATE_ON_SHARE), else None."""
    if curve.min_on_percent <= LATE_ON_PERCENT and curve.min_on_w < LATE_ON_SHARE * curve.max_power_w:
        return None
    below = [p for p in points.percent if p < curve.min_on_percent]
    step = curve.min_on_percent - below[-1] if below else 0.0  # (the sweep's step up to its first conduction)
    why = (f"its sweep steps {step:g} % there: sweep it by smaller steps (the sweep tool's 0.5 %)"
           if step > COARSE_STEP_PERCENT else
           "was its thermostat cutting it during the sweep? If so, sweep again while the tank heats")
    return (f"{points.source}: the load conducts only from {curve.min_on_percent:g} % ({curve.min_on_w:.0f} W, "
            f"{100.0 * curve.min_on_w / curve.max_power_w:.0f} % of its max): under {curve.min_on_w:.0f} W it is "
            f"never used (such a surplus goes to the loads after it, or the grid); {why}")


def load_curve(path: str | os.PathLike[str], method: str = "robust", degree: int = 5,
               min_power_w: float = 0.0) -> PowerCurve:
    """Read a calibration CSV and fit its curve (read_plain_points, then fit_curve): numpy is not imported (but by
    a poly fit)."""
    return fit_curve(read_plain_points(path), method=method, degree=degree, min_power_w=min_power_w)
