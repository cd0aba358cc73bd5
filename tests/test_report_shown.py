"""The report's line on how much of a command the next house reading showed: a house meter that shows commands later
than `settle` takes it to, read from a recorded day (hand-made decisions, and a replayed meter half a second late)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest

from core.decisions import DecisionRecord
from simulation.__main__ import main
from simulation.replay import replay
from simulation.shown import MIN_MOVES, shown_at_next_reading
from simulation.variants import write_variant
from tests.day_files import paris, rec, write_day

ROOT = Path(__file__).resolve().parent.parent


def _swinging_day(shown_share: float, moves: int = 30, house_step_w: float = 0.0) -> list[DecisionRecord]:
    """Decisions 2 s apart at noon: the heater's believed watts go 1000 -> 1400 -> 1000 ..., and each next house
    reading shows `shown_share` of the move (the house's own load stepping by `house_step_w` at every fifth)."""
    start = paris("2026-06-01", "12:00:00")
    records: list[DecisionRecord] = []
    house_w, shown_w = 500.0, 1000.0
    for k in range(moves + 1):
        believed_w = 1000.0 + 400.0 * (k % 2)
        if k % 5 == 4:
            house_w += house_step_w
        records.append(rec(start + 2 * k, house_w + shown_w, 3000, (believed_w, 0)))
        # (the next reading shows that share of this decision's move; the rest never, here)
        shown_w += shown_share * (believed_w - (records[-2].believed_w[0] if k else believed_w))
    return records


@pytest.mark.parametrize(("share", "told"), [(1.0, "100 %"), (0.5, "50 %")])
def test_the_median_share_of_the_moves_the_next_reading_showed(share: float, told: str) -> None:
    shown = shown_at_next_reading(_swinging_day(share), 10.0)
    assert shown is not None and shown.moves == 29 and shown.share == pytest.approx(share)
    assert f"commands shown at the next house reading: {told}" in shown.text()
    assert ("raise settle" in shown.text()) == (share < 0.8)


def test_the_house_s_own_steps_do_not_move_the_median() -> None:
    shown = shown_at_next_reading(_swinging_day(1.0, house_step_w=700.0), 10.0)
    assert shown is not None and shown.share == pytest.approx(1.0)


def test_too_few_moves_or_decisions_too_far_apart_say_nothing() -> None:
    assert shown_at_next_reading(_swinging_day(1.0, moves=MIN_MOVES - 1), 10.0) is None
    assert shown_at_next_reading(_swinging_day(1.0), 1.5) is None  # (2 s apart: each a gap)


def _recorded_hour(folder: Path, lag_s: str) -> Path:
    """The closed loop's decisions on the cloudy day's hour 11:00-12:00, two-load house, commands acting at once, the
    house meter `lag_s` late, recorded as a day file in `folder`."""
    from regulation import Regulator

    records: list[DecisionRecord] = []

    def make(path: str, publish: object) -> Regulator:
        regulator = Regulator.from_config(path, publish=publish)  # type: ignore[arg-type]
        regulator.add_decision_listener(records.append)
        return regulator

    with tempfile.TemporaryDirectory() as scratch:
        config = write_variant(ROOT / "bench" / "houses" / "two-load.ini", Path(scratch),
                               (("simulation", "actuation", "at_once"), ("simulation", "meter_lag_s", lag_s)))
        replay(config, ROOT / "simulation" / "traces" / "bsrn-payerne-2016-06-18-10s.csv", "11:00", "12:00",
               make_regulator=make)  # type: ignore[arg-type]
    folder.mkdir()
    return write_day(folder / "pyseb-2016-06-18.csv.gz", records)


def test_a_replayed_house_meter_half_a_second_late_is_told(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger().setLevel(logging.ERROR)
    assert main(["report", str(_recorded_hour(tmp_path / "late", "0.5"))]) == 0
    out = capsys.readouterr().out
    assert "commands shown at the next house reading:" in out and "raise settle (1.5 with meters at 2 s" in out
    assert main(["report", str(_recorded_hour(tmp_path / "at-once", "0"))]) == 0
    assert "raise settle" not in capsys.readouterr().out
