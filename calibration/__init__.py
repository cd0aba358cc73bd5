"""Calibration of triac variators: read a sweep CSV, fit its percent <-> watts curve, run a sweep.

The daemon needs only the fit (plain Python; numpy for a poly fit only); the MQTT sweep tool lives in
`calibration.sweep` and the command line in `python3 -m calibration`.
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
    # The fit's modules only when asked: `python3 -m calibration` (which imports this package first) checks its
    # packages before any of its modules, so that a missing numpy is one line rather than a traceback.
    if name in __all__:
        from calibration import fit

        return getattr(fit, name)
    raise AttributeError(f"module 'calibration' has no attribute {name!r}")
