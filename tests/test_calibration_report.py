"""Held-out error figures: what the in-sample RMS does not tell about the variator's whole-percent staircase."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calibration import CalibrationPoints, fit_curve, read_calibration_csv
from calibration.report import fit_figures, held_out_rms, leave_one_out_rms

CALIBRATION = Path(__file__).resolve().parent.parent / "calibration"


def test_leave_one_out_sees_the_staircase_the_in_sample_rms_hides() -> None:
    # The firmware truncates: x.5 % draws what x % draws (here 20 W per whole percent).
    percent = np.arange(0.0, 100.5, 0.5)
    staircase = CalibrationPoints(percent=percent, watts=20.0 * np.floor(percent), source="stairs.csv")
    in_sample = fit_figures(staircase, fit_curve(staircase)).rms_w
    # Knots at the stairs' centres (x + 0.25 %): the curve is 5 W off at both points of each stair.
    assert in_sample == pytest.approx(5.0, abs=0.5)
    # A point left out is read between its own stair's other point and the next stair's centre: 8 W off.
    assert leave_one_out_rms(staircase) == pytest.approx(8.0, abs=0.5)


def test_a_sweep_tested_on_itself_is_its_in_sample_rms() -> None:
    points = read_calibration_csv(CALIBRATION / "power_calibration_ECS-03.csv")
    curve = fit_curve(points)
    assert held_out_rms(curve, points) == pytest.approx(fit_figures(points, curve).rms_w)


def test_held_out_errors_of_the_real_sweeps_are_larger_than_in_sample() -> None:
    sweeps = [read_calibration_csv(CALIBRATION / f"power_calibration_ECS-0{n}.csv") for n in (1, 2, 3, 4)]
    for points in sweeps:
        curve = fit_curve(points)
        in_sample = fit_figures(points, curve).rms_w
        assert in_sample < leave_one_out_rms(points) <= 0.01 * curve.max_power_w
        for other in sweeps:
            if other is not points:
                assert held_out_rms(curve, other) > in_sample
