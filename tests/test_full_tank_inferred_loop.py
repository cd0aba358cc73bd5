"""Full-tank detection inferred from the house meter with the closed loop's moves as evidence: it moves the command
at every reading, so no step settles. Readings are real PZEM bytes (tests/full_tank_house)."""

from __future__ import annotations

import logging
import random

import pytest

from tests.full_tank_house import House, house_for


def loop(house: House, commands_w: list[float], appliance_w: float = 0.0) -> None:
    """The closed loop's pace: a new command after each house reading."""
    for command_w in commands_w:
        house.command(command_w)
        house.run(2, appliance_w)


def test_the_loops_moves_reveal_a_full_tank_found_at_saturation(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.full_tank")
    tank, house = house_for()
    house.command(2300)
    house.run(60)  # saturated: the thermostat cuts at 100 % as a 1500 W appliance starts, no fall to see
    house.heater_draws = False
    house.run(60, appliance_w=1500)
    assert tank.suspect_since is None
    house.run(2, appliance_w=2700)  # another: the grid imports...
    # ...and the loop takes the heater down a reading at a time; the house meter does not move.
    loop(house, [1700, 1300, 1250], appliance_w=2700)
    assert tank.suspect_since is not None and not tank.full
    assert "ecs may be full: 723 W of command moves were followed at 0% (< 25%)" in caplog.text
    loop(house, [1280, 1240] * 30, appliance_w=2700)  # the sigma-delta's moves: they only suspect
    assert not tank.full
    assert tank.reprobe_due(house.command_w, house.now)  # 120 s on: the deliberate step decides
    house.command(0)
    house.run(14, appliance_w=2700)
    assert tank.full and house.verdicts.count(True) == 1
    assert "ecs is full: a second probe, a 1240 W step moved the house by 0 W at most (< 310 W)" in caplog.text


def test_a_sudden_fall_by_a_steady_commands_watts_is_a_suspicion() -> None:
    tank, house = house_for()
    house.command(2300)
    house.run(60)
    house.heater_draws = False  # the thermostat cuts at 100 %: the house falls by 2300 W, nothing moved
    house.run(2)
    assert tank.suspect_since == house.now
    house.run(120)
    assert tank.reprobe_due(house.command_w, house.now)  # the re-probe decides
    house.command(0)
    house.run(14)
    assert tank.full


def test_a_cut_split_over_two_readings_is_seen() -> None:
    # A meter averaging over its period: the reading during the cut shows half of it, the next the rest.
    tank, house = house_for()
    house.command(2300)
    house.run(60)
    house.run(2, appliance_w=-1200)  # (the heater drew half the period: 1200 W less, no cut by itself)
    assert tank.suspect_since is None
    house.heater_draws = False
    house.run(2)
    assert tank.suspect_since == house.now


def test_a_cut_split_over_two_readings_with_a_relay_switched_between_them_is_seen() -> None:
    # The serf-east replay, demo house: a 600 W relay switched on at the reading that showed the first half
    # of the cut, and off again at the next. The others' believed watts are subtracted at each reading, so
    # the heater's own fall still shows (before: "the other loads moved", and the cut went unseen for 1.5 h).
    tank, house = house_for()
    house.command(2300)
    house.run(60)
    house.others_w = 600.0  # the relay on...
    house.run(2, appliance_w=-1150)  # ...as the heater drew half the period
    assert tank.suspect_since is None
    house.others_w = 0.0  # the relay off again, the heater cut
    house.heater_draws = False
    house.run(2)
    assert tank.suspect_since == house.now


@pytest.mark.parametrize("fell_w", [1600, 3000])
def test_a_fall_unlike_the_commands_watts_is_no_suspicion(fell_w: float) -> None:
    tank, house = house_for()
    house.command(2300)
    house.run(60, appliance_w=3000)
    house.run(2, appliance_w=3000 - fell_w)  # (more than 25 % off the heater's 2300 W)
    assert tank.suspect_since is None


def test_a_fall_with_the_command_moving_a_little_is_a_cut() -> None:
    # A working heater moved from 2300 to 2200 W moves the house by 100 W; it fell by all the 2300 W
    # (before 2026-12-01 only a steady command was weighed, and this cut waited for the loop's moves).
    tank, house = house_for()
    house.command(2300)
    house.run(60)
    house.heater_draws = False
    house.command(2200)
    house.run(2)
    assert tank.suspect_since is not None


def test_a_working_heater_moved_at_every_reading_in_a_noisy_house_stays_trusted() -> None:
    tank, house = house_for()
    house.base_w = 3000.0
    rng = random.Random(8)
    wander_w = 0.0
    for _ in range(1800):  # an hour of sigma-delta moves of one or two percents, a few larger
        wander_w += rng.uniform(-60, 60)  # a restless house: +-60 W from one reading to the next
        house.command(rng.choice([1000.0, 1035.0, 1070.0, 1105.0, 800.0, 1300.0]))
        house.run(2, appliance_w=wander_w)
    assert tank.suspect_since is None and not tank.full


def test_a_cut_heater_moved_at_every_reading_in_a_noisy_house_is_suspected() -> None:
    tank, house = house_for(heater_draws=False)
    rng = random.Random(8)
    for _ in range(300):  # the same moves, the house +-20 W around its base
        house.command(rng.choice([1000.0, 1035.0, 1070.0, 1105.0, 800.0, 1300.0]))
        house.run(2, appliance_w=rng.uniform(-20, 20))
    assert tank.suspect_since is not None and not tank.full  # suspected only: the re-probe decides


def test_one_big_coincidence_among_small_moves_makes_no_verdict() -> None:
    tank, house = house_for()
    house.run(10, appliance_w=600)
    house.command(1100)
    house.run(2)  # a 600 W kettle stops as the heater goes up 600 W...
    loop(house, [1130, 1100])  # ...then two small moves: the window is that one coincidence
    assert tank.suspect_since is None


def test_a_suspicion_from_a_coincidence_is_cleared_by_the_loops_next_moves() -> None:
    tank, house = house_for()
    house.run(10)
    loop(house, [1500, 1000, 500], appliance_w=0)
    loop(house, [400], appliance_w=0)
    tank.suspect_since = house.now  # as if a probe had failed on a coincidence
    loop(house, [900, 1300, 800, 1200])
    assert tank.suspect_since is None


def test_moves_while_another_regulated_load_switches_are_no_evidence() -> None:
    tank, house = house_for(heater_draws=False)
    house.run(10)
    for step, command_w in enumerate([1500.0, 1000.0, 1600.0, 900.0, 1700.0, 800.0]):
        house.others_w = 600.0 * (step % 2)  # a relay the regulator switches at each of the heater's moves
        house.command(command_w)
        house.run(2)
    assert tank.suspect_since is None


@pytest.mark.parametrize(("low_w", "suspected"), [(0.0, True), (100.0, False)])
def test_moves_under_min_power_are_no_evidence(low_w: float, suspected: bool) -> None:
    tank, house = house_for(heater_draws=False)
    house.run(10)
    # From 0 W the moves count (off is no misfire); from 100 W, under min_power, they do not.
    loop(house, [low_w, 600.0] * 6)
    assert (tank.suspect_since is not None) is suspected
