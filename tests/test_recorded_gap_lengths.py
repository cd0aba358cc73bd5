"""A recorded day's gaps said in units a reader takes in: a meter silent for 30 s was 'the longest 0 min', its
0.01 h in all."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.recorded import trace_from_record
from tests.day_files import PARIS, paris, rec, write_day

NOON = paris("2026-06-01", "12:00:00")


@pytest.mark.parametrize(("gaps_s", "said"), [
    ((30,), "1 gap(s) with no decision recorded (30 s in all, the longest 30 s)"),
    ((1200,), "1 gap(s) with no decision recorded (20 min 0 s in all, the longest 20 min 0 s)"),
    ((45, 1200), "2 gap(s) with no decision recorded (20 min 45 s in all, the longest 20 min 0 s)"),
    ((5400, 600), "2 gap(s) with no decision recorded (1 h 40 min in all, the longest 1 h 30 min)"),
])
def test_a_gap_is_said_in_seconds_minutes_or_hours(tmp_path: Path, gaps_s: tuple[int, ...], said: str) -> None:
    times, now = [], NOON
    for gap_s in (*gaps_s, 0):
        times += [now + 4 * i for i in range(5)]
        now = times[-1] + gap_s
    path = write_day(tmp_path / "pyseb-2026-06-01.csv.gz", [rec(t, 500.0, 2000.0) for t in times])
    notes = [note for note in trace_from_record(path, PARIS).notes if "gap(s)" in note]
    assert notes == [f"{path}: {said}: replayed with the sun in a straight line and the house held across them"]
