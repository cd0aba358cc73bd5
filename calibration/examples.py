"""The curves PySEB ships beside this package's code (a checkout's calibration/, an install's
site-packages/calibration/): sweeps of the seed's heaters, examples of the format. config.ini.sample names one as
calibration/<name>, a path that a copy of the sample out of <prefix>/share/pyseb (pip install .) has no folder for:
it is then the install's own, with a warning that it is another heater's. (No numpy here: the daemon's config
reads it.)"""

from __future__ import annotations

from pathlib import Path

SHIPPED_CURVES = Path(__file__).resolve().parent
EXAMPLE_CURVES = ("power_calibration_ECS-01.csv", "power_calibration_ECS-02.csv",
                  "power_calibration_ECS-02_poly_decimal_comma.csv", "power_calibration_ECS-03.csv",
                  "power_calibration_ECS-04.csv")


def shipped_example(given: Path) -> Path | None:
    """The shipped curve a relative `given` names as the sample does (calibration/<an example's name>), else None."""
    if given.parent == Path("calibration") and given.name in EXAMPLE_CURVES:
        return SHIPPED_CURVES / given.name
    return None


def is_example_curve(path: Path) -> bool:
    """True for one of the curves PySEB ships (another heater's: not the load's own), where it ships it."""
    return path.name in EXAMPLE_CURVES and path.resolve().parent == SHIPPED_CURVES
