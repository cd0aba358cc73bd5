"""Shared set-up of the fit's tests (test_calibration_fit and its _refused and _properties files): the four real
sweeps shipped in calibration/, the percent grid of 0.1 %, and synthetic or partial sweeps made of arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calibration import CalibrationPoints

CALIBRATION = Path(__file__).resolve().parent.parent / "calibration"
REAL = [CALIBRATION / f"power_calibration_ECS-0{n}.csv" for n in (1, 2, 3, 4)]
GRID = np.round(np.arange(1001) * 0.1, 1)


def points_of(percent: np.ndarray, watts: np.ndarray) -> CalibrationPoints:
    return CalibrationPoints(percent=percent, watts=watts, source="synthetic.csv")


def subset(points: CalibrationPoints, mask: np.ndarray) -> CalibrationPoints:
    return CalibrationPoints(percent=points.percent[mask], watts=points.watts[mask], source=points.source)
