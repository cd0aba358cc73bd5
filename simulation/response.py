"""A variator's real response (percent -> watts), read from a measured calibration CSV."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration import read_calibration_csv
from calibration.fit import interp_one
from calibration.monotone import analyse_sweep
from simulation.config_loads import LoadSpec

__all__ = ["ResponseCurve", "glitch_notes", "loads_glitch_notes", "read_response"]


@dataclass(frozen=True, slots=True)
class ResponseCurve:
    """Measured watts at each percent; between points, linear interpolation (no fit: this is the truth)."""

    path: str
    percents: tuple[float, ...]  # increasing
    watts: tuple[float, ...]
    # The sweep's readings left out as the meter's glitches, as (percent, watts).
    glitches: tuple[tuple[float, float], ...] = ()

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
    """The measured points of a calibration CSV, read by the calibration's own reader, less its glitches.

    One reader for the regulator's fit and for the simulated truth, so a file means the same to both
    (BOM, header, decimal commas, duplicates averaged, at least `calibration.points.MIN_POINTS`
    distinct percents). Raises CalibrationError naming the file (and line).

    The points the calibration's robust analysis rejects as outliers are left out: they are the
    sweep's meter misreading, not the heater. ECS-02 reads 2301 W at 71 % and 2019 W at 71.5 %, one
    and the same triac state (the firmware acts on whole percents); a heater that really jumped by
    300 W at one percent would make every regulator dithering there import it, and the benchmark would
    measure a glitch. The misfires at the bottom stay: a triac really misfires there.
    """
    points = read_calibration_csv(path)
    keep = np.ones(len(points), dtype=bool)
    glitches = tuple(analyse_sweep(points.watts.tolist(), points.percent.tolist()).outliers)
    keep[list(glitches)] = False
    return ResponseCurve(points.source, tuple(points.percent[keep].tolist()), tuple(points.watts[keep].tolist()),
                         tuple((float(points.percent[i]), float(points.watts[i])) for i in glitches))


def glitch_notes(responses: dict[str, str | Path]) -> list[str]:
    """One line per simulated heater (name -> its response CSV) whose sweep had readings left out, for the
    replay's and tune's output: the truth they simulate is said, never changed silently."""
    notes = []
    for name, path in responses.items():
        glitches = read_response(path).glitches
        if glitches:
            points = ", ".join(f"{percent:g} % ({watts:.0f} W)" for percent, watts in glitches)
            notes.append(f"{name}: its real response leaves out {len(glitches)} reading(s) of {Path(path).name}, "
                         f"outliers by the calibration's own rule (the meter's glitches): {points}")
    return notes


def loads_glitch_notes(loads: Sequence[LoadSpec]) -> list[str]:
    """glitch_notes of the simulated loads that have a measured response."""
    return glitch_notes({spec.name: spec.response_path for spec in loads if spec.response_path is not None})
