"""A `period` longer than the meters' pace holds decisions apart: at 11 s they came 12 s apart, and each was taken
for one after a silence (MAX_GAP_S, 10 s): the trend of production was never followed (a step in the figures between
a period of 10 s and one of 11), and the import guard counted 10 s of each 12 s of import (found by a bug hunt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.control_params import MAX_GAP_S, ControlParams, max_gap_for
from core.import_guard import ImportGuard
from core.production_trend import ProductionTrend
from tests.configs import write_config
from tests.harness import Harness


def params(period_s: float, guard_s: float = 20.0) -> ControlParams:
    return ControlParams(setpoint_w=0.0, gain=1.0, import_guard_w=100.0, import_guard_s=guard_s,
                         max_gap_s=max_gap_for(period_s))


def test_the_longest_gap_between_two_decisions_follows_a_long_period() -> None:
    assert max_gap_for(1.0) == max_gap_for(5.0) == MAX_GAP_S
    assert max_gap_for(11.0) == 22.0


def test_the_config_s_period_reaches_the_loop(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",), period=11, algorithm="closed_loop"))
    assert h.reg.controller is not None and h.reg.controller.params.max_gap_s == 22.0


@pytest.mark.parametrize(("period_s", "followed"), [(1.0, False), (11.0, True)])
def test_a_fall_12_s_after_the_last_decision_is_a_trend_at_a_period_of_11_s(period_s: float, followed: bool) -> None:
    trend = ProductionTrend(params(period_s))
    trend.ahead_w(3000.0, 0.0)
    # (at the default period, 12 s between two decisions are readings lost: no trend across them)
    assert trend.ahead_w(2500.0, 12.0) == ((-500.0, 0.0) if followed else (0.0, 0.0))


@pytest.mark.parametrize(("period_s", "due"), [(1.0, False), (11.0, True)])
def test_the_import_guard_counts_the_whole_time_between_two_decisions(period_s: float, due: bool) -> None:
    # 101 W imported for 24 s is 2424 Ws, over a guard of 100 W for 23 s (2300 Ws); counted 10 s of each 12, 2020.
    guard = ImportGuard(params(period_s, guard_s=23.0))
    assert not guard.due(-50.0, 0.0, give_back_w=0.0)
    assert not guard.due(101.0, 12.0, give_back_w=0.0)
    assert guard.due(101.0, 24.0, give_back_w=0.0) is due


@pytest.mark.parametrize("step_s", [3.0, 60.0])
def test_the_import_guard_counts_the_reading_after_a_step_back_of_the_clock(step_s: float) -> None:
    # 101 W imported for 24 s (2424 Ws) is over a guard of 100 W for 23 s. The clock stepped back between the second
    # and the third reading: that reading's 12 s were counted as none, and the relay kept on a reading longer.
    guard = ImportGuard(params(11.0, guard_s=23.0))
    assert not guard.due(-50.0, 0.0, give_back_w=0.0)
    assert not guard.due(101.0, 12.0, give_back_w=0.0)
    guard.clock_stepped_back(step_s)
    assert guard.due(101.0, 24.0 - step_s, give_back_w=0.0)
