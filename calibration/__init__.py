"""Calibration of triac variators: read a sweep CSV, fit its percent <-> watts curve, run a sweep.

The daemon needs only the fit (numpy); the MQTT sweep tool lives in `calibration.sweep` and the
command line in `python3 -m calibration`.
"""

from calibration.fit import (
    METHODS,
    CalibrationError,
    CalibrationPoints,
    PowerCurve,
    fit_curve,
    load_curve,
    read_calibration_csv,
)

__all__ = ["METHODS", "CalibrationError", "CalibrationPoints", "PowerCurve", "fit_curve", "load_curve",
           "read_calibration_csv"]
