"""A plot of a few minutes (a recording made to try PySEB, a replay's --from/--to): its ticks came every 15 s,
labelled to the minute, 20:28 three times then 20:29 three times."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulation.__main__ import main
from simulation.plot import clock_format
from simulation.report import plot_report, report_day
from tests.day_files import drawn_figure, paris, rec, write_day
from tests.replay_days import write_config, write_trace


def tick_labels(figure: Any) -> list[str]:
    axis = figure.axes[0].xaxis
    return [axis.get_major_formatter()(x) for x in axis.get_major_locator()()]


def test_the_report_plot_of_two_minutes_labels_each_tick_apart(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    start = paris("2026-06-01", "20:28:22")
    path = write_day(tmp_path / "pyseb-2026-06-01.csv.gz", [rec(start + 2 * i, 500, 2000) for i in range(50)])
    saved = drawn_figure(monkeypatch)
    plot_report(tmp_path / "day.png", *report_day(path))
    labels = tick_labels(saved[0])
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels
    assert all(label.count(":") == 2 for label in labels), labels  # (seconds shown)


def test_the_replay_plot_of_a_few_minutes_labels_each_tick_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    saved = drawn_figure(monkeypatch)
    assert main(["replay", str(trace), "-c", str(config), "--from", "10:01", "--to", "10:03", "--plot",
                 str(tmp_path / "day.png")]) == 0
    labels = tick_labels(saved[0])
    assert len(labels) >= 2 and len(set(labels)) == len(labels), labels


def test_a_whole_day_keeps_hours_and_minutes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    start = paris("2026-06-01", "06:00:00")
    path = write_day(tmp_path / "pyseb-2026-06-01.csv.gz", [rec(start + 60 * i, 500, 2000) for i in range(600)])
    saved = drawn_figure(monkeypatch)
    plot_report(tmp_path / "day.png", *report_day(path))
    assert all(label.count(":") == 1 for label in tick_labels(saved[0]))


def test_the_report_plot_of_a_short_day_shows_no_negative_zero(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # A meter that reads a little under what the heater is believed at: the house is a few Wh below zero, which the
    # title's 0.1 kWh wrote "-0.0 kWh".
    start = paris("2026-06-01", "20:28:22")
    path = write_day(tmp_path / "pyseb-2026-06-01.csv.gz",
                     [rec(start + 2 * i, 1990, 2500, believed=(2000, 0)) for i in range(50)])
    report, day = report_day(path)
    assert -50 < report.house_wh < 0  # (the case: a figure just below zero)
    saved = drawn_figure(monkeypatch)
    plot_report(tmp_path / "day.png", report, day)
    title = saved[0].axes[0].get_title()
    assert "house 0.0 kWh" in title and "-0.0" not in title, title


@pytest.mark.parametrize("span_min, labels", [(14, "%H:%M:%S"), (15, "%H:%M"), (20, "%H:%M")])
def test_seconds_are_shown_under_15_minutes(span_min: int, labels: str) -> None:
    # (the limit CHANGES.md names: a plot under 15 minutes gets ticks 15-30 s apart from matplotlib)
    assert clock_format(span_min * 60.0) == labels
