"""The simulator's per-period recorder: what it is given comes back, live (unrounded) and at the end (rounded, with
the oracle), however it keeps it (one flat array of doubles, not a tuple of tuples a period)."""

from __future__ import annotations

import pytest

from simulation.oracle import OracleLoad
from simulation.record import Recorder


def recorder() -> Recorder:
    return Recorder(("ecs", "radiator"), (OracleLoad("ecs", True, 2000.0), OracleLoad("radiator", False, 1000.0)), 2.0)


def test_the_periods_come_back_as_given_then_rounded() -> None:
    rec = recorder()
    rec.add(100.0, 3000.004, 2500.0, (55.5, 1), (1100.0, 1000.0), (1099.996, 1000.0))
    assert rec.last(1) == [(100.0, 3000.004, 2500.0, (55.5, 1.0), (1100.0, 1000.0), (1099.996, 1000.0))]
    rec.add(102.0, 2500.0, 400.0, (0, 0), (0, 0), (0, 0))  # (it grows after a live read)
    assert len(rec) == 2 and [r[0] for r in rec.last(5)] == [100.0, 102.0]
    rows = rec.rows()
    rec.add(104.0, 2500.0, 400.0, (0, 0), (0, 0), (0, 0))  # (and after the rows were asked for)
    first = rows[0]
    assert (first.time_s, first.period_s, first.production_w, first.consumption_w) == (100.0, 2.0, 3000.0, 2500.0)
    assert first.grid_w == -500.0 and first.command == (55.5, 1.0) and first.real_w == (1100.0, 1000.0)
    assert first.commanded_w == (1100.0, 1000.0)
    # The oracle: the surplus is PV less the house's own 400 W (2500 less what the loads drew): 2000 W to the
    # heater, nothing left whole for the radiator's 1000 W.
    assert rows[0].oracle_w == pytest.approx((2000.0, 0.0)) and rows[1].oracle_w == pytest.approx((2000.0, 0.0))
    assert len(rec.rows()) == 3


def test_a_period_with_another_count_of_loads_is_refused() -> None:
    with pytest.raises(ValueError, match="2 load"):
        recorder().add(100.0, 0.0, 0.0, (1,), (0, 0), (0, 0))
