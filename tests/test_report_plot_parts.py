"""`python3 -m simulation report DATE --plot day.png` on a day recorded in several parts (PySEB restarted that day, its
loads or meter_timeout changed): it was refused ("--plot draws one file: 2 given, the 2 parts of ..."), where the
owner asked for that day. The day is drawn in one figure, its parts one after another, each restart marked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from core.decisions import DecisionRecord
from simulation.__main__ import main
from tests.day_files import drawn_figure, paris, rec, write_day
from tests.replay_days import PARIS, write_config

PARIS_ZONE = ZoneInfo(PARIS)


def _day_in_two_parts(records: Path) -> None:
    """2026-06-01: the heater and the radiator from 08:00 to 09:00, then (restarted with a towel dryer in the
    radiator's place) the heater and the towel dryer from 10:00 to 11:00."""
    records.mkdir()
    morning = paris("2026-06-01", "08:00:00")
    write_day(records / "pyseb-2026-06-01.csv.gz",
              [rec(morning + 4 * i, 1500, 2000, (0, 1000)) for i in range(900)])
    later = paris("2026-06-01", "10:00:00")
    write_day(records / "pyseb-2026-06-01-2.csv.gz",
              [rec(later + 4 * i, 1000, 2000, (0, 500)) for i in range(900)], names=("ecs", "towel"))


@pytest.mark.parametrize("given", ["date", "folder"])
def test_a_day_recorded_in_two_parts_is_drawn_in_one_figure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str], given: str) -> None:
    import matplotlib.dates as mdates

    records = tmp_path / "records"
    _day_in_two_parts(records)
    config = write_config(tmp_path, "ecs = variable\ntowel = unknown")
    config.write_text(config.read_text() + "\n[record]\ndir = records\n")
    saved = drawn_figure(monkeypatch)
    png = tmp_path / "day.png"
    args = ["2026-06-01", "-c", str(config)] if given == "date" else [str(records)]
    assert main(["report", *args, "--plot", str(png)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert png.exists() and len(saved) == 1
    assert out.rstrip().endswith(f"plot: {png} (the 2 parts above, one after another; each restart a dashed line)")
    ax = saved[0].axes[0]
    low, high = ax.get_xlim()
    assert mdates.num2date(low).timestamp() <= paris("2026-06-01", "08:01") \
        and mdates.num2date(high).timestamp() >= paris("2026-06-01", "10:59")
    labels = ax.get_legend_handles_labels()[1]
    assert {"radiator", "towel", "ecs", "restart (the next part)"} <= set(labels)  # both parts' loads
    restart = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert [mdates.num2date(line.get_xdata()[0]).timestamp() for line in restart] == [paris("2026-06-01", "10:00")]
    assert "2026-06-01 in 2 parts" in ax.get_title()
    assert "PV 4.0 kWh" in ax.get_title()  # (the day's total: 2 kW for the two hours)
    # The radiator, out of the second part (the day's total lists it under its removed loads), is drawn: its switches
    # are in the title still, as before the total listed it apart
    assert ax.get_title().endswith("relay switches radiator 0, towel 0")


def test_several_days_are_still_refused_before_any_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records"
    _day_in_two_parts(records)
    write_day(records / "pyseb-2026-06-02.csv.gz",
              [rec(paris("2026-06-02", "08:00:00") + 4 * i, 1500, 2000) for i in range(10)])
    assert main(["report", str(records), "--plot", str(tmp_path / "day.png")]) == 2
    out, err = capsys.readouterr()
    assert "error: --plot draws one day: 2 given (give the one to draw alone)" in err and not out


def test_a_part_that_cannot_be_read_is_left_out_of_the_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records"
    _day_in_two_parts(records)
    (records / "pyseb-2026-06-01-3.csv.gz").touch()  # (a full disk at its first write)
    saved = drawn_figure(monkeypatch)
    assert main(["report", str(records), "--plot", str(tmp_path / "day.png")]) == 0
    out = capsys.readouterr().out
    assert "left out: pyseb-2026-06-01-3.csv.gz" in out
    assert out.rstrip().endswith("(the 2 parts above, one after another; each restart a dashed line)")
    assert len(saved) == 1 and "2026-06-01 in 2 parts" in saved[0].axes[0].get_title()


def test_nothing_is_drawn_across_the_hour_pyseb_was_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (stopped from 09:00 to 10:00: the areas and the grid's line ramped from the one part's watts to the other's
    # through an hour no decision was recorded in, and the report counts nothing of)
    import matplotlib.dates as mdates

    records = tmp_path / "records"
    _day_in_two_parts(records)
    saved = drawn_figure(monkeypatch)
    assert main(["report", str(records), "--plot", str(tmp_path / "day.png")]) == 0
    ax = saved[0].axes[0]
    stopped = (mdates.date2num(datetime.fromtimestamp(paris("2026-06-01", "09:02"), PARIS_ZONE)),
               mdates.date2num(datetime.fromtimestamp(paris("2026-06-01", "09:58"), PARIS_ZONE)))
    # (each drawn stretch: from one point of a polygon or of a line to the next; a line's point of no watts ends one)
    steps = [(a, b) for collection in ax.collections for path in collection.get_paths()
             for a, b in zip(path.vertices[:-1, 0], path.vertices[1:, 0], strict=True)]
    for line in (line for line in ax.get_lines() if line.get_linestyle() != "--"):
        xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        steps += [(xs[i], xs[i + 1]) for i in range(len(xs) - 1) if np.isfinite(ys[i]) and np.isfinite(ys[i + 1])]
    assert len(steps) > 100 and not [(a, b) for a, b in steps if min(a, b) < stopped[0] and max(a, b) > stopped[1]]


def test_every_load_of_a_day_of_many_is_drawn_in_a_colour_of_its_own(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # (two parts of four loads each, seven in all: the sixth was drawn in the house's grey, the seventh in the first
    # load's red, as the legend said them)
    records = tmp_path / "records"
    records.mkdir()
    for part, (start, names) in enumerate([("08:00:00", ("ecs", "a", "b", "c")), ("10:00:00", ("ecs", "d", "e", "f"))]):
        write_day(records / f"pyseb-2026-06-01{'-2' if part else ''}.csv.gz",
                  [DecisionRecord(paris("2026-06-01", start) + 4 * i, 3000, 4000, (1.0,) * 4, (200.0,) * 4,
                                  (0.0,) * 4, (200.0,) * 4) for i in range(100)], names=names, relays=(True,) * 4)
    saved = drawn_figure(monkeypatch)
    assert main(["report", str(records), "--plot", str(tmp_path / "day.png")]) == 0
    handles, labels = saved[0].axes[0].get_legend_handles_labels()
    stacked = {label: tuple(np.ravel(handle.get_facecolor())) for handle, label in zip(handles, labels, strict=True)
               if label in ("house (base load)", "ecs", "a", "b", "c", "d", "e", "f")}
    assert len(stacked) == 8 and len(set(stacked.values())) == 8, stacked
