"""The closed loop with meters read every 12 s (a Tasmota's TelePeriod, a slow logger): two decisions a reading apart
are no silence, so production's trend and the import guard's count go on as with a PZEM every 2 s."""

from __future__ import annotations

from pathlib import Path

import pytest

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
