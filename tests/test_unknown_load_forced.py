"""Loads of unknown power forced on (as Home Assistant's force switch does) while the house meter is silent or
before any reading: not measured across the silence, believed at no more than the house meter shows."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.configs import reading, write_config
from tests.controller_house import House, closed_loop
from tests.harness import MODE, NOON, PROD, Harness


def plug_at_night(tmp_path: Path, plug_w: float) -> tuple[Harness, House, Any]:
    """A plug of unknown power drawing `plug_w` before a heater, under the closed loop, in a house of 300 W with no
    sun, three readings in: the harness, the house and the plug."""
    h = closed_loop(tmp_path, "plug", "ecs")
    house = House(h, base_w=300, pv_w=0, plug_w=plug_w)
    for _ in range(3):
        house.read()
    return h, house, h.load("plug")


def force_plug(house: House) -> None:
    """Force the plug on, as Home Assistant's force switch does (3680 W asked), half a second after the last reading."""
    house.h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 3680}', house.now + 0.5)


def house_meter_silent(house: House, seconds: float) -> None:
    """Only the production meter reads for `seconds`: the house meter is silent (the stale guard suspends)."""
    h = house.h
    end = house.now + seconds
    while house.now < end:
        house.now += 2
        h.reg.handle(PROD, reading(house.pv_w), house.now)
        h.reg.tick(house.now)


def test_a_force_during_a_silence_is_not_measured_against_the_house_before_it(tmp_path: Path) -> None:
    # A 500 W plug never measured, forced on while the house meter was silent, the house 2000 W higher when it came
    # back: measured against the house before the silence, "2500 W", believed so all through the force.
    h, house, plug = plug_at_night(tmp_path, plug_w=500)
    house_meter_silent(house, 300)
    assert h.reg.stale_reason is not None
    force_plug(house)
    house.base_w += 2000  # the oven, meanwhile
    for _ in range(3):
        house.read()
    assert h.reg.stale_reason is None and plug.is_on
    assert plug.learned_power_w is None  # not measured (believed at the power asked, measured when the force ends)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    house.read()
    assert plug.learned_power_w == 500


def test_a_force_during_a_silence_is_believed_at_no_more_than_the_house_meter_shows(tmp_path: Path) -> None:
    # The plug above, not measured through its force: believed at the 3680 W asked (Home Assistant's force switch
    # asks that by default) until the force ended, hours later. Its energy, the day's diverted energy and
    # power_equipments counted 7 times what it drew, and power_house was negative. No reading of the house
    # without it to measure it against: it is believed at no more than the house meter shows (with it).
    h, house, plug = plug_at_night(tmp_path, plug_w=500)
    house_meter_silent(house, 300)
    force_plug(house)
    house.read()
    drawn_wh = plug.energy_wh
    for _ in range(1800):  # an hour
        house.read()
        assert 0 < plug.current_power_w <= 800
    drawn_wh = plug.energy_wh - drawn_wh
    assert 500 <= drawn_wh <= 801  # (the house's 300 W with it: no reading tells them apart)
    status = h.reg.status(house.now)
    assert status["power_house"] >= 0 and status["power_equipments"] <= 800
    assert plug.learned_power_w is None  # still not measured: that is the unforce's step down
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    house.read()
    assert plug.learned_power_w == 500


def test_a_force_before_any_reading_is_believed_at_no_more_than_the_house_meter_shows(tmp_path: Path) -> None:
    # (as a force restored at a start: no reading of the house without it either)
    h = Harness(write_config(tmp_path, ("plug",)))
    h.reg.start(NOON)
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 3680}', NOON + 1)
    plug = h.load("plug")
    assert plug.current_power_w == 3680 and not plug.measuring
    for k in range(5):
        h.meters(650 + 10 * k, 0, NOON + 3 + 3 * k)
        assert plug.current_power_w == 650 + 10 * k
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', NOON + 17)
    h.meters(300, 0, NOON + 18)
    assert plug.learned_power_w == 390 and plug.current_power_w == 0


def test_a_forced_load_measuring_when_the_house_meter_falls_silent_is_not_measured_across_the_silence(
        tmp_path: Path) -> None:
    h, house, plug = plug_at_night(tmp_path, plug_w=500)
    force_plug(house)
    assert plug.measuring
    house_meter_silent(house, 300)  # the stale guard leaves a forced load as it is
    assert h.reg.stale_reason is not None and plug.is_on
    house.base_w += 2000
    for _ in range(3):
        house.read()
    assert plug.learned_power_w is None and not plug.measuring


def test_a_force_being_measured_when_the_house_meter_falls_silent_is_believed_at_no_more_than_it_shows(
        tmp_path: Path) -> None:
    # Forced while the house meter had just fallen silent (not yet stale): measuring, then the silence forgot the
    # house, and it was believed at the 3680 W asked until the force ended, as a force made during the silence was.
    h, house, plug = plug_at_night(tmp_path, plug_w=500)
    force_plug(house)
    assert plug.measuring
    house_meter_silent(house, 300)
    for _ in range(3):
        house.read()
    assert plug.is_on and plug.learned_power_w is None
    assert 0 < plug.current_power_w <= 800


def test_an_unforce_during_a_silence_is_not_measured_across_it(tmp_path: Path) -> None:
    # Forced on and measured at 500 W; unforced while the house meter was silent, a kettle on meanwhile: its step
    # down taken from the house before the silence came out at 0 W or less, or at the kettle less the plug.
    h, house, plug = plug_at_night(tmp_path, plug_w=2000)
    force_plug(house)
    for _ in range(3):
        house.read()
    assert plug.learned_power_w == 2000
    house_meter_silent(house, 12)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    house.base_w += 1500  # a kettle, meanwhile
    house.read()
    assert plug.learned_power_w == 2000


def test_a_force_again_before_any_decision_saw_the_house_is_not_measured_on_an_old_house(tmp_path: Path) -> None:
    # Forced on, its appliance idle (nothing learned); unforced an hour later, the house 800 W higher since, and
    # forced again before a decision saw the house without it: measured against the house of an hour before, the
    # idle plug was believed at 800 W.
    h, house, plug = plug_at_night(tmp_path, plug_w=0)
    force_plug(house)
    for _ in range(3):
        house.read()
    assert plug.learned_power_w is None and plug.current_power_w < 10  # idle
    house.base_w += 800
    for _ in range(1800):
        house.read()
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 3680}', house.now + 0.6)
    house.read()
    assert plug.learned_power_w is None


def test_a_force_measured_idle_is_not_said_to_lose_its_measure_to_a_silence(tmp_path: Path,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    # Forced on and measured idle (a washing machine before it heats): its measure was taken, not lost, yet a silence
    # of the house meter logged "forced on, its measure lost to the house meter's silence".
    caplog.set_level(logging.INFO)
    h, house, plug = plug_at_night(tmp_path, plug_w=0)
    force_plug(house)
    house.read()
    assert plug.is_on and not plug.measuring and plug.learned_power_w is None and plug.current_power_w < 10
    house_meter_silent(house, 300)
    assert "its measure lost" not in caplog.text


@pytest.mark.parametrize("asked_w", [50, 3680])
def test_a_force_measured_on_says_the_watts_measured(tmp_path: Path, asked_w: int) -> None:
    # A plug never measured, forced on with a decision's reading of the house without it: measured at the next
    # reading, but the status said "forced_power: 50" beside "current_power: 1800" all through the force (and 1800 after
    # a restart, the force restored at its learned watts).
    h, house, plug = plug_at_night(tmp_path, plug_w=1800)
    house.h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": %d}' % asked_w, house.now + 0.5)
    for _ in range(3):
        house.read()
    assert plug.learned_power_w == pytest.approx(1800, abs=20)
    shown = next(load for load in h.reg.status(house.now)["equipments"] if load["name"] == "plug")
    assert (shown["forced"], shown["forced_power"]) == (True, pytest.approx(plug.learned_power_w))
    assert shown["current_power"] == pytest.approx(plug.learned_power_w)


def test_a_plug_forced_on_is_measured_again(tmp_path: Path) -> None:
    # Found by a bug hunt: learned at 500 W, forced on for an hour while its appliance drew 2000 W, it was logged
    # "forcing plug to 500 W", counted 500 Wh, and still believed at 500 W after the unforce.
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=300 + 2000 + 600, plug_w=500)
    for _ in range(3):
        house.read()
    house.pv_w -= 400
    for _ in range(400):
        house.read()
    plug = h.load("plug")
    assert plug.learned_power_w == 500 and not plug.is_on
    house.plug_w = 2000
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 2000}', house.now + 0.5)
    before_wh = plug.energy_wh
    house.read()  # its first reading, 1.5 s on: counted at its measure, not at its old figure (review)
    assert plug.learned_power_w == 2000
    assert plug.energy_wh - before_wh == pytest.approx(2000 * 1.5 / 3600, abs=1e-6)
    for _ in range(1799):  # the rest of an hour
        house.read()
    assert plug.learned_power_w == 2000
    assert plug.energy_wh - before_wh == pytest.approx(2000, abs=5)
