"""Calibration of triac variators: read a sweep CSV, fit its percent <-> watts curve, run a sweep.

The daemon needs only the fit (numpy); the MQTT sweep tool lives in `calibration.sweep` and the
command line in `python3 -m calibration`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    # The fit imports numpy: only when asked, so that `python3 -m calibration` (which imports this package
    # first) can say in one line that numpy is missing rather than end in a traceback.
    if name in __all__:
        from calibration import fit

        return getattr(fit, name)
    raise AttributeError(f"module 'calibration' has no attribute {name!r}")
