"""A picture of a replayed day: PV, house, each load and the grid (matplotlib, an optional extra)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path

import numpy as np

from shell.plot_file import PlotUnavailable, pyplot
from simulation.metrics import PeriodRow, Summary

__all__ = ["PlotUnavailable", "clock_format", "kwh_text", "plot_day"]

# Under this span matplotlib ticks the time axis more often than once a minute (every 15 or 30 s): its labels need
# the seconds, or they read 20:28, 20:28, 20:29, ...
SECONDS_SHOWN_UNDER_S = 15 * 60


def clock_format(span_s: float) -> str:
    """The strftime format of the time axis' labels for a plot spanning `span_s` seconds."""
    return "%H:%M:%S" if span_s < SECONDS_SHOWN_UNDER_S else "%H:%M"


def kwh_text(wh: float) -> str:
    """Watt-hours as a title's kWh to 0.1: a short day's figure just under zero (a house a few Wh below it) is
    "0.0", not "-0.0"; one that shows below zero keeps its sign."""
    return f"{round(wh / 1000, 1) + 0.0:.1f}"  # (-0.0 + 0.0 is 0.0)


def _minute_means(values: np.ndarray, per_minute: int) -> np.ndarray:
    # A 2 s day has 28,800 points: a mean per minute reads better and draws faster.
    usable = len(values) // per_minute * per_minute
    if usable == 0:
        return values
    return values[:usable].reshape(-1, per_minute, *values.shape[1:]).mean(axis=1)


def plot_day(path: str | Path, names: Sequence[str], rows: Sequence[PeriodRow], summary: Summary,
             title: str, tz: tzinfo | None = None) -> None:
    """Draw the day to `path` (PNG): PV as an area, the house and the loads stacked, the grid as a line."""
    plt = pyplot()
    import matplotlib.dates as mdates
    per_minute = max(1, round(60 / rows[0].period_s)) if rows else 1
    times = _minute_means(np.array([r.time_s for r in rows]), per_minute)
    production = _minute_means(np.array([r.production_w for r in rows]), per_minute)
    real = np.array([r.real_w for r in rows]).reshape(len(rows), len(names))
    base = np.array([r.consumption_w for r in rows]) - real.sum(axis=1)
    grid = _minute_means(np.array([r.grid_w for r in rows]), per_minute)
    loads = _minute_means(real, per_minute)
    house = _minute_means(base, per_minute)
    stamps = mdates.date2num([datetime.fromtimestamp(t, tz) for t in times])

    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=100)
    ax.fill_between(stamps, production, color="#f6c945", alpha=0.45, label="PV production", linewidth=0)
    stack = [house] + [loads[:, i] for i in range(len(names))]
    labels = ["house (base load)"] + [f"{name} (real)" for name in names]
    colors = ["#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b"]
    ax.stackplot(stamps, *stack, labels=labels, colors=colors[:len(stack)], alpha=0.8)
    ax.plot(stamps, grid, color="black", linewidth=0.9, label="grid (+ import, - export)")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.xaxis_date(tz)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(clock_format(float(times.max() - times.min())), tz=tz))
    ax.set_ylabel("W (mean per minute)")
    capture = summary.capture_pct
    figures = (f"PV {kwh_text(summary.pv_kwh * 1000)} kWh, loads {kwh_text(summary.loads_kwh * 1000)} kWh, export "
               f"{kwh_text(summary.export_wh)} kWh, caused import {summary.caused_import_wh:.0f} Wh, "
               f"oracle {kwh_text(summary.oracle_total_kwh * 1000)} kWh, capture "
               + ("n/a" if capture is None else f"{capture:.1f} %"))
    ax.set_title(f"{title}\n{figures}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
