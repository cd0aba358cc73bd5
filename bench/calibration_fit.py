"""Benchmark of the calibration fit on the real sweeps: quality figures and fit time, robust vs seed poly.

Usage: python3 bench/calibration_fit.py [FILE.csv ...]   (default: calibration/power_calibration_ECS-0*.csv)
Prints two tables, the figures docs/calibration.md quotes: in-sample and leave-one-out errors, fit
times; then each sweep's fit tested on the other sweeps.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calibration import CalibrationPoints, fit_curve, read_calibration_csv  # noqa: E402
from calibration.report import (  # noqa: E402
    fit_figures,
    held_out_rms,
    leave_one_out_rms,
    seed_poly_figures,
    used_points,
)

RUNS = 50


def _fit_ms(points: CalibrationPoints, method: str) -> tuple[float, float]:
    """Median and worst time of RUNS fits, in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fit_curve(points, method)
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    return times[len(times) // 2], times[-1]


def _fit_table(paths: list[Path], sweeps: list[CalibrationPoints]) -> None:
    header = (f"{'file':<30}{'method':<8}{'max W':>8}{'on from':>8}{'RMS W':>8}{'RMS %':>7}{'LOO W':>8}"
              f"{'worst W':>9}{'decr.':>7}{'rt W':>9}{'ms med':>8}{'ms max':>8}  outliers")
    print(header)
    print("-" * len(header))
    for path, points in zip(paths, sweeps, strict=True):
        for method in ("robust", "poly"):
            curve = fit_curve(points, method)
            figures = fit_figures(points, curve)
            median_ms, worst_ms = _fit_ms(points, method)
            outliers = ", ".join(f"{points.percent[i]:g} %" for i in curve.outliers) or "-"
            print(f"{path.name:<30}{method:<8}{curve.max_power_w:8.0f}{curve.min_on_percent:7g}%"
                  f"{figures.rms_w:8.1f}{100 * figures.rms_w / curve.max_power_w:7.2f}"
                  f"{leave_one_out_rms(points, method):8.1f}{figures.worst_w:9.1f}"
                  f"{figures.decreasing_steps:7d}{figures.round_trip_w:9.1e}{median_ms:8.2f}{worst_ms:8.2f}  "
                  f"{outliers}")
        seed = seed_poly_figures(points, used_points(points, fit_curve(points)))
        print(f"{'':<30}{'seed':<8}{'':>8}{'':>8}{seed.rms_w:8.1f}{'':>7}{'':>8}{seed.worst_w:9.1f}"
              f"{seed.decreasing_steps:7d}{'':>9}{'':>8}{'':>8}  (raw degree-5 polynomial, same points; "
              f"all points: RMS {seed.rms_all_w:.1f} W, {seed.decreasing_steps_table} decreasing steps "
              f"on its 0.5 % table)")
    print("\nRMS and worst error: against the non-outlier points at or above 'on from' (in-sample). LOO: the "
          "same points, each predicted by a fit made without it. decr.: decreasing steps on the 0.1 % grid. "
          "rt: worst round trip |watts_at(percent_for(W)) - W|.")


def _cross_table(paths: list[Path], sweeps: list[CalibrationPoints]) -> None:
    names = [p.stem.removeprefix("power_calibration_") for p in paths]
    print("\nrobust fit of (row) tested on (column): RMS W over the column's counted points "
          "[whole percents only]")
    print(f"{'':<10}" + "".join(f"{n:>16}" for n in names))
    for name, points in zip(names, sweeps, strict=True):
        curve = fit_curve(points)
        cells = "".join(f"{held_out_rms(curve, other):9.1f} [{held_out_rms(curve, other, True):4.1f}]"
                        for other in sweeps)
        print(f"{name:<10}{cells}")


def main(argv: list[str]) -> int:
    """Print the benchmark tables for the files in `argv` (or the four real sweeps)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("sweeps", nargs="*", metavar="CSV",
                        help="calibration sweeps (default: the four real ones, calibration/...ECS-0*.csv)")
    args = parser.parse_args(argv)  # (--help read as a file's name: "calibration file not found")
    paths = [Path(a) for a in args.sweeps] or sorted(ROOT.glob("calibration/power_calibration_ECS-0[0-9].csv"))
    sweeps = [read_calibration_csv(p) for p in paths]
    _fit_table(paths, sweeps)
    _cross_table(paths, sweeps)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
