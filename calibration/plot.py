"""A picture of a fit: measured points, outliers and misfires marked, the curve, the seed's polynomial.

matplotlib is an optional extra (requirements-plot.txt): it is imported only when a plot is asked for.
"""

from __future__ import annotations

import os

import numpy as np

from calibration.fit import CalibrationPoints, PowerCurve
from calibration.report import SEED_DEGREE, table_percents
from shell.plot_file import PlotUnavailable, pyplot

__all__ = ["PlotUnavailable", "plot_fit"]


def plot_fit(points: CalibrationPoints, curve: PowerCurve, path: str | os.PathLike[str]) -> None:
    """Write a PNG of the fit of `points` by `curve`, with the seed's degree-5 polynomial for comparison."""
    plt = pyplot()

    grid = table_percents(0.1)
    seed = np.polyval(np.polyfit(points.percent, points.watts, SEED_DEGREE), grid)
    rejected = np.zeros(len(points), dtype=bool)
    rejected[list(curve.outliers)] = True
    misfire = np.zeros(len(points), dtype=bool)
    misfire[list(curve.misfires)] = True
    normal = ~rejected & ~misfire

    fig, (ax, ax_err) = plt.subplots(2, 1, figsize=(9, 7), sharex=True,
                                     gridspec_kw={"height_ratios": [3, 1]})
    try:
        ax.plot(grid, seed, color="tab:gray", linestyle="--", linewidth=1.2,
                label=f"seed: polynomial, degree {SEED_DEGREE}")
        ax.plot(grid, curve.watts_at(grid), color="tab:blue", linewidth=1.8, label=f"fit: {curve.method}")
        ax.scatter(points.percent[normal], points.watts[normal], s=9, color="black", label="measured", zorder=3)
        if misfire.any():
            ax.scatter(points.percent[misfire], points.watts[misfire], s=40, marker="^", color="tab:orange",
                       label="misfire (counted as off)", zorder=4)
        if rejected.any():
            ax.scatter(points.percent[rejected], points.watts[rejected], s=60, marker="x", color="tab:red",
                       label="outlier (rejected)", zorder=4)
        ax.axvline(curve.min_on_percent, color="tab:green", linewidth=0.8, linestyle=":",
                   label=f"on from {curve.min_on_percent:g} %")
        ax.set_ylabel("watts")
        ax.set_title(f"{os.path.basename(points.source)}: percent -> watts")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)

        on = points.percent >= curve.min_on_percent
        error = np.asarray(curve.watts_at(points.percent)) - points.watts
        seed_error = np.interp(points.percent, grid, seed) - points.watts
        kept = on & ~rejected
        ax_err.axhline(0.0, color="black", linewidth=0.6)
        ax_err.plot(points.percent[kept], seed_error[kept], color="tab:gray", linestyle="--", linewidth=1,
                    label="seed polynomial")
        ax_err.plot(points.percent[kept], error[kept], color="tab:blue", linewidth=1, label=curve.method)
        ax_err.set_xlabel("percent")
        ax_err.set_ylabel("fit - measured (W)")
        ax_err.grid(True, alpha=0.3)
        ax_err.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.fspath(path), dpi=110)
    finally:
        plt.close(fig)
