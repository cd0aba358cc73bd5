"""A trace at a fine step (a logger's 0.2 s) replays as the same day at a coarse one: the reader keeps its rows
in compact arrays and reads them one at a time, and the figures must not move for it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from simulation.replay import replay
from simulation.trace import read_trace

ROOT = Path(__file__).resolve().parent.parent
DAY = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"
DEMO = ROOT / "simulation" / "demo.ini"


def finer(trace_path: Path, into: Path, per_row: int) -> Path:
    """The day of `trace_path` written `per_row` times finer: the production interpolated (as the replay reads it,
    linear between rows), the house held, as a faster logger of the same house would have written it."""
    coarse = read_trace(trace_path)
    step = coarse.step_s / per_row
    times = coarse.start_s + step * np.arange(len(coarse.times_s) * per_row)
    production, house = coarse.production_at(times), coarse.house_at(times)
    # (naive wall-clock times, as the day's own: the replay reads both in the config's zone)
    stamps = [datetime.fromtimestamp(at).isoformat(timespec="milliseconds") for at in times.tolist()]
    lines = [f"{stamp},{p!r},{h!r}" for stamp, p, h in zip(stamps, production.tolist(), house.tolist(), strict=True)]
    into.write_text("time,production_w,house_w\n" + "\n".join(lines) + "\n")
    return into


def test_a_trace_written_finer_reads_the_same_day(tmp_path: Path) -> None:
    fine = read_trace(finer(DAY, tmp_path / "fine.csv", 12))
    coarse = read_trace(DAY)
    assert len(fine.times_s) == 12 * len(coarse.times_s) and fine.step_s == pytest.approx(coarse.step_s / 12)
    assert (fine.start_s, fine.end_s) == (coarse.start_s, coarse.end_s)
    at = coarse.start_s + 0.5 * np.arange(int((coarse.end_s - coarse.start_s) / 0.5))
    assert np.allclose(fine.production_at(at), coarse.production_at(at), rtol=0, atol=1e-6)
    assert np.array_equal(fine.house_at(at), coarse.house_at(at))


def test_a_trace_written_finer_replays_to_the_same_figures(tmp_path: Path) -> None:
    fine_path = finer(DAY, tmp_path / "fine.csv", 12)
    fine = replay(DEMO, fine_path, "09:00", "13:00").summary
    coarse = replay(DEMO, DAY, "09:00", "13:00").summary
    assert fine.periods == coarse.periods > 0
    for name in ("pv_kwh", "house_kwh", "export_wh", "import_wh", "caused_import_wh"):
        assert getattr(fine, name) == pytest.approx(getattr(coarse, name), rel=1e-6), name
    assert fine.load_kwh == pytest.approx(coarse.load_kwh, rel=1e-6)
    assert coarse.pv_kwh > 1 and sum(coarse.load_kwh) > 1  # (a sunny morning: the loads took some of it)
