"""A load of unknown power found idle (its appliance done: a dishwasher finished, a charger full) is tried again after
a wait that grows while it stays idle: 5, 10, 20, then every 40 minutes, not every 5 minutes all day."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from equipments.unknown import UnknownEquipment
from tests.configs import write_config
from tests.controller_house import House, closed_loop
from tests.harness import MODE, NOON, Harness

HOUR_S = 3600.0


def idle_plug(tmp_path: Path, algorithm: str = "closed_loop") -> tuple[House, UnknownEquipment]:
    """The heater first, then the plug, 2700 W of surplus all along; the appliance behind the plug draws nothing."""
    if algorithm == "closed_loop":
        h = closed_loop(tmp_path, "ecs", "plug")
    else:
        h = Harness(write_config(tmp_path, ("ecs", "plug"), period=1, algorithm=algorithm))
    plug = h.load("plug")
    assert isinstance(plug, UnknownEquipment)
    house = House(h, base_w=300, pv_w=3000, plug_w=0)
    if algorithm == "closed_loop":
        # A reading at noon takes the heater to its max: the closed loop tries the plug only once the heater before
        # it is up (its rise would be measured as the plug's), so its tries fall at the same readings as Hébert's.
        house.now = NOON - 2
        house.read()
        assert not plug.is_on and house.h.load("ecs").current_power_w == 2000
    return house, plug


def switch_ons(house: House, until: float, dt_s: float = 2.0) -> list[float]:
    """Read the meters every `dt_s` until `until` (seconds after noon); when the plug was switched on, after noon."""
    plug = house.h.load("plug")
    ons: list[float] = []
    was_on = plug.is_on
    while house.now < NOON + until:
        house.read(dt_s)
        if plug.is_on and not was_on:
            ons.append(house.now - NOON)
        was_on = plug.is_on
    return ons


def gaps(ons: list[float]) -> list[float]:
    """Seconds between each switch-on and the next."""
    return [later - earlier for earlier, later in zip(ons, ons[1:], strict=False)]


# Readings 2 s apart: switched on at a reading, found idle at the next, tried again at the first reading its wait
# (counted from the idle measure) is over. Each try is 2 s after the wait that follows the last one.
TRIES_OVER_3_HOURS = [2.0, 304.0, 906.0, 2108.0, 4510.0, 6912.0, 9314.0]  # waits of 5, 10, 20, 40, 40, 40 min


@pytest.mark.parametrize("algorithm", ["closed_loop", "hebert"])
def test_an_idle_appliance_is_tried_less_and_less_often(tmp_path: Path, algorithm: str) -> None:
    # Every 5 minutes all day before: 36 switch-ons in 3 hours, a relay's click every 5 minutes for nothing.
    house, plug = idle_plug(tmp_path, algorithm)
    assert switch_ons(house, 3 * HOUR_S) == TRIES_OVER_3_HOURS
    assert plug.idle_offs == 7


def test_each_step_of_the_wait_is_said_once_with_the_next_try(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="equipments.unknown")
    house, _ = idle_plug(tmp_path)
    switch_ons(house, 3 * HOUR_S)
    said = [(r.levelno, r.getMessage()) for r in caplog.records
            if r.name == "equipments.unknown" and "idle" in r.getMessage()]
    assert said == [
        (logging.INFO, "plug: measured 0 W after switching on: idle, off; tried again in 5 min"),
        (logging.INFO, "plug: measured 0 W after switching on: idle 2 times in a row, off; tried again in 10 min"),
        (logging.INFO, "plug: measured 0 W after switching on: idle 3 times in a row, off; tried again in 20 min"),
        (logging.INFO, "plug: measured 0 W after switching on: idle 4 times in a row, off; tried again in 40 min, "
                       "then every 40 min while it stays idle"),
        (logging.DEBUG, "plug: measured 0 W after switching on: idle 5 times in a row, off; tried again in 40 min"),
        (logging.DEBUG, "plug: measured 0 W after switching on: idle 6 times in a row, off; tried again in 40 min"),
        (logging.DEBUG, "plug: measured 0 W after switching on: idle 7 times in a row, off; tried again in 40 min"),
    ]


def test_an_appliance_that_draws_again_is_found_at_the_next_try_and_its_wait_starts_afresh(tmp_path: Path) -> None:
    house, plug = idle_plug(tmp_path)
    assert switch_ons(house, 3000) == TRIES_OVER_3_HOURS[:4]  # idle 4 times: its next try at 4510 s
    house.plug_w = 500  # the dishwasher loaded and started: it waits for power
    assert switch_ons(house, 4600) == [4510.0]  # found at the next try, not earlier...
    assert plug.is_on and plug.learned_power_w == 500  # ...and it runs
    house.pv_w = 300  # a cloud: the plug is shed
    switch_ons(house, 5000)
    assert not plug.is_on
    house.plug_w, house.pv_w = 0, 3000  # the program over, the sun back
    ons = switch_ons(house, 6500)
    # Tried once its min_off_s is over, found idle: tried again 5 minutes later, not 40 (it drew since).
    assert len(ons) == 3 and ons[1] - ons[0] == 302 and ons[2] - ons[1] == 602


def test_a_force_is_not_held_by_the_wait_and_starts_it_afresh(tmp_path: Path) -> None:
    house, plug = idle_plug(tmp_path)
    assert switch_ons(house, 1500) == TRIES_OVER_3_HOURS[:3]  # idle 3 times: left alone until 2108 s
    h = house.h
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 3680}', house.now + 0.5)
    assert plug.is_on  # at once, the wait notwithstanding
    switch_ons(house, 1600)
    assert plug.is_on  # idle, but forced: left on
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    assert not plug.is_on
    unforced_at = house.now + 0.5 - NOON
    ons = switch_ons(house, 3800)
    # Handed back, its waits start again from 5 minutes: its switch off at the unforce measured it idle (its step down
    # about nothing), the first of a new row, so it is tried 5 minutes after it, then 10 and 20 minutes after each
    # try. (Before a switch off's step told an idle appliance, it was tried once its min_off_s was over, 120 s.)
    assert unforced_at + 300 <= ons[0] <= unforced_at + 304 and gaps(ons) == [602.0, 1202.0]


def test_a_new_day_starts_the_wait_afresh(tmp_path: Path) -> None:
    house, plug = idle_plug(tmp_path)
    assert switch_ons(house, 6 * HOUR_S) == TRIES_OVER_3_HOURS + [11716.0, 14118.0, 16520.0, 18922.0, 21324.0]
    house.pv_w = 0  # the evening and the night: no surplus, no try
    assert switch_ons(house, 20 * HOUR_S, dt_s=8.0) == []  # 08:00 the next day, the sun up again
    house.pv_w = 3000
    ons = switch_ons(house, 20 * HOUR_S + 1000)
    assert gaps(ons) == [302.0, 602.0]  # 5 then 10 minutes, as on its first day
