"""A recorded day whose consumption meter does not see the loads PySEB drives (it measures the house's other
circuits): the house's own load, the consumption less what the loads drew, comes out below 0 W. `replay` and
`tune` held it at 0 W and `report` printed a negative house, neither saying why."""

from __future__ import annotations

from pathlib import Path

import pytest

from recording.format import RecordedDay
from simulation.__main__ import main
from simulation.recorded import trace_from_record
from simulation.recorded_house import UNSEEN_SHARE, below_zero_note, own_load_w
from tests.day_files import PARIS, paris, rec, write_day

NOON = paris("2026-06-01", "12:00:00")


def a_day(path: Path, consumption_w: list[float]) -> Path:
    """Decisions 4 s apart, the heater believed at 2000 W from the first: the meter reads `consumption_w`."""
    return write_day(path, [rec(NOON + 4 * i, watts, 3000.0, (2000.0, 0.0), (0.0, 1000.0))
                            for i, watts in enumerate(consumption_w)])


def test_a_meter_that_does_not_see_the_loads_is_said_by_replay(tmp_path: Path) -> None:
    path = a_day(tmp_path / "pyseb-2026-06-01.csv.gz", [400.0] * 20)
    notes = [note for note in trace_from_record(path, PARIS).notes if "under 0 W" in note]
    assert notes == [f"{path}: the consumption less what the loads drew is under 0 W at 20 of 20 decisions (down to "
                     "-1600 W), taken as 0 W: does the consumption meter see the loads? It must measure the whole "
                     "house, the loads PySEB drives included (or the loads draw far less than believed)"]


def test_report_says_it_beside_the_negative_house(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = a_day(tmp_path / "pyseb-2026-06-01.csv.gz", [400.0] * 20)
    assert main(["report", str(path)]) == 0
    out = capsys.readouterr().out
    assert "house (base load)      -0.03 kWh" in out
    assert "is under 0 W at 20 of 20 decisions (down to -1600 W)" in out and "taken as 0 W" not in out


def test_a_meter_that_sees_the_loads_has_no_such_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (a load's draw seen a reading late, its thermostat's cut: a few decisions under 0 W are any day's)
    path = a_day(tmp_path / "pyseb-2026-06-01.csv.gz", [2400.0] * 18 + [300.0, 2400.0])
    assert not [note for note in trace_from_record(path, PARIS).notes if "under 0 W" in note]
    assert main(["report", str(path)]) == 0
    assert "under 0 W" not in capsys.readouterr().out


@pytest.mark.parametrize("own_w, noted", [
    ([-5.0] * 2 + [300.0] * 8, True),  # 2 of 10 under 0 W: over UNSEEN_SHARE (a tenth)
    ([-5.0] + [300.0] * 9, False),  # a tenth exactly: any day's few
    ([0.0] * 10, False),  # 0 W is not under 0 W (a house all off, its loads seen)
])
def test_the_note_comes_over_a_tenth_of_the_decisions_under_0_w(own_w: list[float], noted: bool) -> None:
    assert UNSEEN_SHARE == 0.1  # (the share the note's docs name)
    assert (below_zero_note("day", own_w, held_at_zero=False) is not None) == noted


def test_after_a_gap_the_house_is_the_consumption_alone() -> None:
    # The daemon stopped (or its meters silent) between the two: every load was commanded to 0 W meanwhile.
    before, after = rec(NOON, 2400.0, 3000.0, (2000.0, 0.0)), rec(NOON + 60, 300.0, 3000.0)
    day = RecordedDay("day", ("ecs", "radiator"), (False, True), [before, after], False, 10.0, "2026-06-01", PARIS)
    assert own_load_w(day) == [400.0, 300.0]
