"""The full-tank inference with a house meter read every 10 s (a Tasmota's TelePeriod, a slow logger): its waits,
sized for a PZEM every 2 s, are stretched to hold enough of the meter's readings (InferenceRule.for_pace)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from field.full_tank_rules import InferenceRule
from field.reading_pace import ReadingPace
from tests.configs import reading, write_config
from tests.field_house import ECS_CMD, House
from tests.field_tank import T
from tests.harness import CONS, PROD, Harness


class PairedHouse(House):
    """Both meters every `period_s`, the production meter half a period after the house meter, each followed by a tick
    at once (as the replay reads them): a re-probe's hold of 15 s begun at a house reading's tick ends at the
    production reading's decision a period and a half later, with one house reading in it."""

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        while self.now < end:
            self.now += self.period_s
            self.h.reg.handle(CONS, reading(self.base_w + self.drawn_w()), self.now)
            self.h.reg.tick(self.now)
            self.h.reg.handle(PROD, reading(self.production_w), self.now + self.period_s / 2)
            self.h.reg.tick(self.now + self.period_s / 2)


def test_the_rule_of_a_2_s_meter_is_the_rule_as_it_was() -> None:
    rule = InferenceRule()
    assert rule.for_pace(2.0) is rule and rule.for_pace(0.5) is rule


def test_a_10_s_meter_stretches_the_waits_that_count_its_readings() -> None:
    rule = InferenceRule().for_pace(10.0)
    # settle (3 s) and three settled readings, half a reading to spare; a probe's time a whole reading
    assert (rule.hold_s, rule.probe_timeout_s) == (3 + 3.5 * 10, 3 + 4 * 10)
    assert rule.max_baseline_age_s == 15 and rule.loop.max_gap_s == 15  # a reading and a half
    assert (rule.reprobe_after_s, rule.confirm_gap_s, rule.cut_every_s) == (120, 60, 1800)  # (not readings)


def test_the_pace_is_the_median_of_the_last_gaps_and_told_when_it_moves() -> None:
    pace = ReadingPace()
    told = [pace.reading(at) for at in (0, 10, 20, 30, 40)]
    assert told == [None] * 5  # (five gaps make the first pace)
    assert pace.reading(50) == 10
    assert [pace.reading(at) for at in (52, 60, 70, 200, 210)] == [None] * 5  # a late one, a silence: no news
    assert [pace.reading(210 + 2 * k) for k in range(1, 6)] == [None, None, 2, None, None]  # ...a new meter: news


@pytest.mark.parametrize("period_s", [2.0, 10.0])
def test_a_saturated_heater_s_cut_is_confirmed_with_a_meter_every_10_s(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture,
                                                                      period_s: float) -> None:
    # Before: held at 0 W for 15 s, two 10-s readings at most, no probe concluded: re-probed every two minutes for the
    # rest of the day, never found full, its 2 kW counted.
    caplog.set_level(logging.INFO)
    h = Harness(write_config(tmp_path, ("ecs",), period=1, meter_timeout=30, algorithm="closed_loop"))
    house = PairedHouse(h, T, base_w=300, production_w=300 + 2000 + 300, period_s=period_s)
    house.run(200)
    assert h.load("ecs").current_power_w == 2000  # saturated
    house.full.add("ecs")  # the thermostat cuts
    house.run(240)
    assert "ecs may be full" in caplog.text and "ecs is full: a second probe" in caplog.text
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    assert caplog.text.count("re-probe, held") == 1


@pytest.mark.parametrize("period_s", [10.0, 70.0])
def test_the_inference_follows_the_regulator_s_pace_of_the_house_meter(tmp_path: Path, period_s: float) -> None:
    # One pace of the house meter, the regulator's (MeterState.pace_s), known at its third gap. The full-tank watch
    # kept a pace of its own, which needed five gaps (its waits sized for a meter every 2 s for 50 s at 10 s), and took
    # a gap over 60 s for a silence: with a house meter every 70 s it never knew the pace, and a re-probe's 15-s hold
    # held no reading.
    h = Harness(write_config(tmp_path, ("ecs",), period=1, meter_timeout=3 * period_s, algorithm="closed_loop"))
    house = PairedHouse(h, T, base_w=300, production_w=300, period_s=period_s)
    house.run(4 * period_s)  # (four house readings, three gaps)
    assert h.reg.consumption.pace_s() == period_s
    assert h.reg.field.tanks.inferred["ecs"].rule.hold_s == 3 + 3.5 * period_s
