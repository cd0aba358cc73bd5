"""The heater's own meter read every 10 s (a Tasmota plug's TelePeriod, a slow logger) beside a house meter every 2 s:
the seed's rule chains its low readings "less than 10 s apart", sized for a PZEM every 2 s; a meter that keeps its own
pace slower than that chains them up to a reading and a half apart (MeterRule.for_pace)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from field.full_tank_rules import MeterRule
from tests.field_house import ECS_METER
from tests.field_tank import EMPTY_TANK, T, live, metered


def test_the_rule_of_a_2_s_meter_is_the_rule_as_it_was() -> None:
    rule = MeterRule()
    assert rule.for_pace(2.0) is rule and rule.for_pace(6.0) is rule
    assert rule.for_pace(10.0).max_gap_s == 15.0 and rule.for_pace(10.0).count == 5


@pytest.mark.parametrize("ecs_pace_s", [2.0, 10.0])
def test_a_full_tank_is_found_by_its_own_meter_read_every_10_s(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                              ecs_pace_s: float) -> None:
    # Before: five readings at 0 W 10 s apart never chained (each "less than 10 s" after the last): the tank was never
    # found full by its meter, its run of one low reading started again at each, the heater in doubt all along.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    drawing = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 1680.00')
    every = round(ecs_pace_s / 2)  # (the house meter every 2 s, the heater's every `ecs_pace_s`)
    for k in range(1, 61):  # two minutes drawing: the heater's meter's pace known
        h.meters(300 + 1680, 2000, T + 2 * k)
        if k % every == 0:
            h.reg.handle(ECS_METER, live(drawing), T + 2 * k + 0.5)
    assert not h.load("ecs").overed
    for k in range(61, 61 + 5 * every):  # the thermostat cuts: five readings of the heater's meter at 0 W
        h.meters(300, 2000, T + 2 * k)
        if k % every == 0:
            h.reg.handle(ECS_METER, live(EMPTY_TANK), T + 2 * k + 0.5)
    assert h.load("ecs").overed
    assert "ecs is full (its meter reads 0.0 W)" in caplog.text


@pytest.mark.parametrize("ecs_pace_s", [2.0, 10.4])
def test_an_own_meter_slower_than_meter_timeout_is_silent_after_five_of_its_readings(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, ecs_pace_s: float) -> None:
    # A Tasmota plug's TelePeriod 10, read a little late (10.4 s): at meter_timeout (10 s) each reading was a silence,
    # the tank watched by the house meter until the next, and a WARNING and an INFO line each time (34 of each in ten
    # minutes). Silent after five of its readings once its pace is seen; a PZEM every 2 s still after meter_timeout.
    caplog.set_level(logging.INFO, logger="field.full_tank_watch")
    h = metered(tmp_path)
    drawing = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 1680.00')
    own_at = T + 0.5
    for k in range(1, 301):  # ten minutes, the house meter every 2 s
        while own_at <= T + 2 * k:
            h.reg.handle(ECS_METER, live(drawing), own_at)
            own_at += ecs_pace_s
        h.meters(300 + 1680, 2000, T + 2 * k)
    silences = [m for m in caplog.messages if "its own meter (smeter/pzem/ECS) has given no usable reading" in m]
    assert len(silences) <= 1  # (before a second reading shows its pace, at most)
    # Silent for good: after five of its readings (52 s), its tank watched by the house meter
    caplog.clear()
    for k in range(301, 301 + 25):
        h.meters(300 + 1680, 2000, T + 2 * k)
    silent_for_s = [int(m.split("reading for ")[1].split(" s")[0]) for m in caplog.messages if "no usable" in m]
    after_s = 10 if ecs_pace_s == 2.0 else 52  # (seen at the house reading after it)
    assert len(silent_for_s) == 1 and after_s <= silent_for_s[0] <= after_s + 2, caplog.messages
