"""The closed loop with meters read every 12 s (a Tasmota's TelePeriod, a slow logger): two decisions a reading apart
are no silence, so production's trend and the import guard's count go on as with a PZEM every 2 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.control_params import MAX_GAP_S, max_gap_for
from tests.configs import write_config
from tests.controller_house import House, watts
from tests.harness import NOON, Harness


def slow_loop(tmp_path: Path, *loads: str) -> Harness:
    """The closed loop with `anticipate` 1 (its default) and a `meter_timeout` over a 12-s meter's pace."""
    config = write_config(tmp_path, loads, period=1, algorithm="closed_loop", meter_timeout=40)
    config.write_text(config.read_text().replace("[evaluate]\n", "[evaluate]\nanticipate = 1\n"))
    h = Harness(config)
    h.reg.tick(NOON - 3600)
    return h


@pytest.mark.parametrize("pace_s", [2.0, 10.05, 12.0])  # (10.05: a meter every 10 s, a reading a little late)
def test_a_fall_of_production_is_anticipated_with_a_meter_every_12_s(tmp_path: Path, pace_s: float) -> None:
    # Before: two decisions more than 10 s apart were taken for a silence, production's trend started again at each:
    # with a meter every 12 s no fall was ever taken ahead (the cloudy day's replay at 12 s: the same figures with
    # anticipate 0 and 1), nor with one every 10 s at a reading a few milliseconds late.
    h = slow_loop(tmp_path, "ecs")
    house = House(h, base_w=300, pv_w=1820)
    for _ in range(5):  # (the meters' pace known)
        house.read(pace_s)
    assert watts(h, "ecs") == 1500
    house.pv_w -= 200  # a cloud: 180 W of import, and production 200 W down since the last decision
    house.read(pace_s)
    assert watts(h, "ecs") == 1100  # 200 W for the error, 200 W more for the fall it expects to go on
    house.read(pace_s)  # the fall stopped: the loop gives the 200 W back
    assert watts(h, "ecs") == 1300


@pytest.mark.parametrize("pace_s", [5.0, 10.0, 12.0])
def test_a_fall_of_production_across_a_reading_lost_is_anticipated(tmp_path: Path, pace_s: float) -> None:
    # Before: two decisions up to twice the meters' pace apart were readings in a row, so a reading lost (the next one a
    # little late) was a silence: with meters every 5 s, 10 s and some milliseconds between two decisions started
    # production's trend again (at 2 s, a reading lost is 4 s, well within MAX_GAP_S's 10 s).
    h = slow_loop(tmp_path, "ecs")
    house = House(h, base_w=300, pv_w=1820)
    for _ in range(5):  # (the meters' pace known)
        house.read(pace_s)
    assert watts(h, "ecs") == 1500
    house.pv_w -= 200  # a cloud, seen after a reading lost, the next one a twentieth of a pace late
    house.read(2.05 * pace_s)
    assert watts(h, "ecs") == 1100  # 200 W for the error, 200 W more for the fall it expects to go on


def test_meters_every_2_s_keep_the_longest_gap_of_10_s() -> None:
    assert max_gap_for(1.0, 2.0) == max_gap_for(1.0, 4.0) == MAX_GAP_S  # (bench/control.py's meters: unchanged)
    assert max_gap_for(1.0, 5.0) >= 2 * 5.0 + 0.25 * 5.0  # (a reading lost, the next a quarter of a pace late)
