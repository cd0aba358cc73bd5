"""Benchmark of the calibration fit on the real sweeps: quality figures and fit time, robust vs seed poly.

Usage: python3 bench/calibration_fit.py [FILE.csv ...]   (default: calibration/power_calibration_ECS-0*.csv)
Prints one table; the figures are those the README quotes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calibration import fit_curve, read_calibration_csv  # noqa: E402
from calibration.report import fit_figures, seed_poly_figures, used_points  # noqa: E402

RUNS = 50


def _fit_ms(points: object, method: str) -> tuple[float, float]:
    """Median and worst time of RUNS fits, in milliseconds."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fit_curve(points, method)  # type: ignore[arg-type]
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    return times[len(times) // 2], times[-1]


def main(argv: list[str]) -> int:
    """Print the benchmark table for the files in `argv` (or the four real sweeps)."""
    files = [Path(a) for a in argv] or sorted(ROOT.glob("calibration/power_calibration_ECS-0[0-9].csv"))
    header = (f"{'file':<30}{'method':<8}{'max W':>8}{'on from':>8}{'RMS W':>8}{'RMS %':>7}{'worst W':>9}"
              f"{'decr.':>7}{'rt W':>9}{'ms med':>8}{'ms max':>8}  outliers")
    print(header)
    print("-" * len(header))
    for path in files:
        points = read_calibration_csv(path)
        for method in ("robust", "poly"):
            curve = fit_curve(points, method)
            figures = fit_figures(points, curve)
            median_ms, worst_ms = _fit_ms(points, method)
            outliers = ", ".join(f"{points.percent[i]:g} %" for i in curve.outliers) or "-"
            print(f"{path.name:<30}{method:<8}{curve.max_power_w:8.0f}{curve.min_on_percent:7g}%"
                  f"{figures.rms_w:8.1f}{100 * figures.rms_w / curve.max_power_w:7.2f}{figures.worst_w:9.1f}"
                  f"{figures.decreasing_steps:7d}{figures.round_trip_w:9.1e}{median_ms:8.2f}{worst_ms:8.2f}  "
                  f"{outliers}")
        seed = seed_poly_figures(points, used_points(points, fit_curve(points)))
        print(f"{'':<30}{'seed':<8}{'':>8}{'':>8}{seed.rms_w:8.1f}{'':>7}{seed.worst_w:9.1f}"
              f"{seed.decreasing_steps:7d}{'':>9}{'':>8}{'':>8}  (raw degree-5 polynomial, same points; "
              f"all points: RMS {seed.rms_all_w:.1f} W, {seed.decreasing_steps_table} decreasing steps "
              f"on its 0.5 % table)")
    print("\nRMS and worst error: against the non-outlier points at or above 'on from'. decr.: decreasing "
          "steps on the 0.1 % grid. rt: worst round trip |watts_at(percent_for(W)) - W|.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
