"""A variator's real response (percent -> watts), read from a measured calibration CSV."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration import read_calibration_csv
from calibration.fit import interp_one

__all__ = ["ResponseCurve", "read_response"]


@dataclass(frozen=True, slots=True)
class ResponseCurve:
    """Measured watts at each percent; between points, linear interpolation (no fit: this is the truth)."""

    path: str
    percents: tuple[float, ...]  # increasing
    watts: tuple[float, ...]

    @property
    def max_w(self) -> float:
        """The highest measured point (a real sweep is not monotonic: it need not be at 100 %)."""
        return max(self.watts)

    def watts_at(self, percent: float) -> float:
        """Real watts drawn at `percent` (clamped to the measured range)."""
        if math.isfinite(percent):  # (numpy's interp for one number, at a tenth of its cost: every command)
            return interp_one(float(percent), self.percents, self.watts)
        return float(np.interp(percent, self.percents, self.watts))


def read_response(path: str | Path) -> ResponseCurve:
    """The measured points of a calibration CSV, read by the calibration's own reader.

    One reader for the regulator's fit and for the simulated truth, so a file means the same to both
    (BOM, header, decimal commas, duplicates averaged, at least `calibration.points.MIN_POINTS`
    distinct percents). Raises CalibrationError naming the file (and line).
    """
    points = read_calibration_csv(path)
    return ResponseCurve(points.source, tuple(points.percent.tolist()), tuple(points.watts.tolist()))
