"""Full tank wired into the regulator with the load's own meter (the real PZEM bytes): a full load gets 0 W and
is left out of the allocation; cleared at init_at and midnight (ticks across them); restored after a restart; a
frozen meter is no full tank. Inferred from the house meter: test_field_tank_inferred and test_field_tank_cut."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, ECS_METER, RADIATOR, House, at, field_config
from tests.field_tank import EMPTY_TANK, METERED, T, live, metered, thermostat_cut
from tests.harness import MODE, Harness


def test_own_meter_five_low_readings_make_it_full(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    assert ECS_METER in h.reg.subscriptions()
    thermostat_cut(h, T + 1, count=4)
    assert not h.load("ecs").overed and h.last(ECS_CMD) == "84"
    h.reg.handle(ECS_METER, live(EMPTY_TANK), T + 9)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"
    doc = h.statuses()[-1]["equipments"][0]
    assert doc["overed"] is True and doc["full_detect"] == "meter" and doc["measured_power"] == 0
    assert "ecs is full (its meter reads 0.0 W)" in caplog.text
    # Left out of the allocation: the surplus goes to the radiator, never back to the heater.
    h.meters(300, 2000, T + 12)
    assert h.last(ECS_CMD) == "0" and h.last(RADIATOR) == "ON"


def test_the_full_line_says_which_daily_clear_lifts_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # "left out of the allocation until 06:00 or midnight", at 11:00: which one? Midnight, the next of the two.
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    assert h.load("ecs").overed
    assert ("ecs is full (its meter reads 0.0 W): commanded 0 W and left out of the allocation until the daily "
            "clear at 00:00 (at 06:00 and midnight), or its re-check in 60 min (a moment at its floor, once the "
            "house exports 150 W)") \
        in caplog.messages
    h.reg.tick(at(2024, 6, 2, 0) + 1)
    assert not h.load("ecs").overed
    assert "daily clear at 00:00 (at 06:00 and midnight): ecs may take power again" in caplog.messages


@pytest.mark.parametrize("count, gap_s, payload", [
    (5, 10.0, EMPTY_TANK),  # readings 10 s apart do not chain
    (5, 2.0, EMPTY_TANK.replace(b'"power": 0.00', b'"power": 5.00')),  # 5 W is drawing
    (4, 2.0, EMPTY_TANK),
])
def test_own_meter_not_full(tmp_path: Path, count: int, gap_s: float, payload: bytes) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1, count, gap_s, payload)
    assert not h.load("ecs").overed


def test_a_full_tank_undoes_a_force(tmp_path: Path) -> None:
    h = metered(tmp_path)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000}', T + 1)
    assert h.last(ECS_CMD) == "100"
    thermostat_cut(h, T + 2)
    ecs = h.load("ecs")
    assert ecs.overed and not ecs.is_forced() and h.last(ECS_CMD) == "0"


@pytest.mark.parametrize("found, cleared_by", [
    (at(2024, 6, 1, 11), at(2024, 6, 2, 0, 0, 1)),  # found in the day: cleared at midnight
    (at(2024, 6, 2, 3), at(2024, 6, 2, 6, 0, 1)),  # found at night: cleared at init_at (6)
])
def test_cleared_at_midnight_and_init_at(tmp_path: Path, found: float, cleared_by: float,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=METERED))
    h.meters(300, 2000, found)
    thermostat_cut(h, found + 1)
    h.reg.tick(cleared_by - 2)
    assert h.load("ecs").overed
    h.reg.tick(cleared_by)
    assert not h.load("ecs").overed
    assert "ecs may take power again" in caplog.text
    h.meters(300, 2000, cleared_by + 1)
    h.meters(300, 2000, cleared_by + 4)
    assert h.last(ECS_CMD) != "0"  # it takes the surplus again
    thermostat_cut(h, cleared_by + 5)  # ...and is found full again by its meter
    assert h.load("ecs").overed


def test_init_at_is_configurable(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, ecs=METERED, evaluate="init_at = 9\n"))
    h.meters(300, 2000, at(2024, 6, 2, 3))
    thermostat_cut(h, at(2024, 6, 2, 3, 0, 1))
    h.reg.tick(at(2024, 6, 2, 8, 59))
    assert h.load("ecs").overed
    h.reg.tick(at(2024, 6, 2, 9, 0, 1))
    assert not h.load("ecs").overed


def restart(tmp_path: Path, h: Harness, saved_at: float, now: float) -> Harness:
    saved = json.loads(json.dumps(h.reg.status(saved_at)))
    again = Harness(field_config(tmp_path, ecs=METERED))
    assert again.reg.restore(saved, now) == []
    again.reg.tick(now)
    return again


def test_full_is_restored_after_a_restart(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    again = restart(tmp_path, h, T + 60, T + 120)
    assert again.load("ecs").overed and again.last(ECS_CMD) == "0"
    again.meters(300, 2000, T + 121)
    assert again.last(ECS_CMD) == "0" and again.last(RADIATOR) == "ON"


def test_a_clear_missed_while_stopped_happens_at_start(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, ecs=METERED))
    h.meters(300, 2000, at(2024, 6, 2, 3))
    thermostat_cut(h, at(2024, 6, 2, 3, 0, 1))
    again = restart(tmp_path, h, at(2024, 6, 2, 5), at(2024, 6, 2, 7))  # stopped over 06:00
    assert not again.load("ecs").overed


def test_a_frozen_own_meter_at_0_w_is_no_full_tank(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # PROTOCOL.md: a PZEM whose sensor loop hangs while its MQTT loop runs publishes the same bytes again and again.
    # The heater's own meter, hung on a 0 W reading (the heater off when it hung), read as five readings of a cut
    # heater: the tank "full", the heater off until the daily clear, the water cold.
    h = metered(tmp_path)
    for i in range(10):
        h.reg.handle(ECS_METER, EMPTY_TANK, T + 1 + 2 * i)
    assert not h.load("ecs").overed and h.last(ECS_CMD) == "84"
    assert "the very same message as the last reading: the meter looks frozen" in caplog.text


def test_a_frozen_own_meter_leaves_the_tank_to_the_house_meter(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # Hung on a reading of the heater drawing, its repeats kept it "speaking": the house meter never watched the tank,
    # and a thermostat cut went unseen (2.3 kW believed drawing, the surplus exported) as long as it stayed hung.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",), ecs=METERED, algorithm="closed_loop"))
    house = House(h, T, base_w=300, production_w=4000)
    drawing = live(EMPTY_TANK.replace(b'"power": 0.00', b'"power": 2000.00'))
    for i in range(30):
        h.reg.handle(ECS_METER, drawing, T + 2 * i)  # live once, then hung: the very same bytes
        house.run(1)
    assert h.last(ECS_CMD) == "100"
    assert "ecs: its own meter (smeter/pzem/ECS) has given no usable reading for" in caplog.text
    house.full.add("ecs")  # the thermostat cuts: the house falls by the heater's watts
    for _ in range(152):
        h.reg.handle(ECS_METER, drawing, house.now)
        house.run(1)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"


def _heater_reads(h: Harness, watts: float, start: float, seconds: float) -> None:
    """The heater's own meter reads `watts` every 2 s for `seconds` from `start`."""
    payload = EMPTY_TANK.replace(b'"power": 0.00', f'"power": {watts:.2f}'.encode())
    for i in range(int(seconds / 2)):
        h.reg.handle(ECS_METER, live(payload), start + 2 * i)


def test_a_force_on_a_tank_found_full_counts_what_its_meter_reads(tmp_path: Path) -> None:
    # Found full by the sun, then forced by the user for an hour: its meter read 0 W all along, and it was counted at
    # the force's 2000 W (2 kWh credited, which the deadline rule took for delivered before the night)
    h = metered(tmp_path)
    ecs = h.load("ecs")
    end = thermostat_cut(h, T + 1)
    assert ecs.overed
    before_wh = ecs.energy_wh
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 3600}', end + 1)
    assert h.last(ECS_CMD) == "100"
    _heater_reads(h, 0.0, end + 3, 3600)
    assert ecs.overed and ecs.is_forced() and ecs.current_power_w == 0
    assert ecs.energy_wh - before_wh < 2  # the force's first 2 s, until its meter read 0 W
    assert h.reg.status(end + 3600)["equipments"][0]["current_power"] == 0


def test_a_tank_found_full_that_draws_under_a_force_is_full_no_more(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # Found full at 11:00, drawn by showers, forced at 13:00: its meter reads 1950 W. It is counted at them, and once
    # the force is over it takes the sun again (it was left out until midnight)
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    ecs = h.load("ecs")
    thermostat_cut(h, T + 1)
    start = T + 2 * 3600
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', start)
    _heater_reads(h, 1950.0, start + 2, 10)
    assert not ecs.overed and ecs.is_forced() and ecs.current_power_w == 1950
    assert "ecs: its meter reads 1950 W under a force: its tank, found full earlier, takes power again" in caplog.text
    assert h.statuses()[-1]["equipments"][0]["overed"] is False
    h.reg.tick(start + 601)  # the force over: back to the regulation, which gives it the surplus again
    h.meters(300, 2000, start + 603)
    assert not ecs.is_forced() and ecs.current_power_w == pytest.approx(1680)
