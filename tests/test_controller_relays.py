"""Relays under the closed loop: switched on over a saturated heater when the rest covers them, judged on what
the heater draws, handed over without a step of the grid, in priority order; kept on through a dip inside their
hysteresis (only with a variable load to give back) and while the meter shows export; a full tank's surplus
goes to them. The test house: tests/controller_house.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.controller_house import RADIATOR, SMALL, House, closed_loop, watts


def test_a_relay_switches_on_only_when_the_heater_is_saturated_and_the_rest_covers_it(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 2900 + 20)
    house.read()  # 2900 W: heater at its 2000 W max, 900 W left do not cover the radiator
    assert watts(h, "ecs") == 2000 and h.last(RADIATOR) == "OFF"
    house.pv_w += 100
    house.read()  # 1000 W left over the saturated heater: the radiator goes on
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 2000


def test_a_relay_is_judged_on_what_the_heater_draws_not_on_its_target(tmp_path: Path) -> None:
    # 990 W of surplus, 0 W setpoint: the heater sits at 49 % (980 W), its target at 990 W (50 %, 1000 W, would
    # import 10 W, over dither_import). Judged on the target, 990 + 10 W exported "covered" the 1000 W radiator
    # before it: on, the heater off under its min_power, and 10 W imported for the radiator's whole min_on_s.
    # The meter shows 980 W drawn and 10 W exported: 990 W, the radiator stays off.
    h = closed_loop(tmp_path, "radiator", "ecs")
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0)
    house = House(h, base_w=300, pv_w=300 + 990)
    for _ in range(10):
        house.read()
        assert h.last(RADIATOR) == "OFF" and watts(h, "ecs") == 980
    house.pv_w += 10  # 1000 W: covered now
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 0


def test_relay_hand_over_keeps_the_total(tmp_path: Path) -> None:
    # The radiator first: when it switches on, the heater after it gives back its 1000 W in the same
    # decision, so the grid sees no step.
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=300 + 1500 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 500
    house.read()
    assert watts(h, "radiator") + watts(h, "ecs") == 1500


def test_the_order_is_kept(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 1800 + 20)
    house.read()  # 1800 W: all to the heater first, nothing to the relays after it
    assert watts(h, "ecs") == 1800 and h.last(RADIATOR) == "OFF" and h.last(SMALL) == "0"
    house.pv_w += 200 + 300
    house.read()  # 2300 W: heater saturated, 300 W left: the radiator does not fit, the small relay does...
    # ...once production stops rising: at the step's own reading it waits for what the rise brings the
    # radiator before it (tests/test_controller_rising.py)
    assert watts(h, "ecs") == 2000 and h.last(RADIATOR) == "OFF" and h.last(SMALL) == "0"
    house.read()
    assert watts(h, "ecs") == 2000 and h.last(RADIATOR) == "OFF" and h.last(SMALL) == "1"


def test_a_relay_hysteresis_keeps_it_on_through_a_small_dip(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(0, 0))
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w -= 80  # 940 W left over the heater for a grid at 0 W: within the 100 W hysteresis
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 1920
    house.pv_w -= 40  # 900 W: 100 W short, still within (the band is measured from a grid at 0 W)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 1880
    house.pv_w -= 10  # 890 W: 110 W short, off (no dwell here); the heater takes its max back
    house.read()
    assert h.last(RADIATOR) == "OFF" and watts(h, "ecs") == 2000


def test_no_hysteresis_without_a_variable_load_to_give_back(tmp_path: Path) -> None:
    # The radiator first: with nothing before it to give back, a shortfall inside the hysteresis band
    # would be import: it goes off (dwell allowing) rather than import 50 W for ever.
    h = closed_loop(tmp_path, "radiator", "ecs", dwell_s=(0, 0))
    house = House(h, base_w=300, pv_w=300 + 1500 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 500
    house.pv_w -= 560  # 940 W: 60 W short of the radiator, within its 100 W hysteresis
    house.read()
    assert h.last(RADIATOR) == "OFF" and watts(h, "ecs") == 940


@pytest.mark.parametrize(("anticipate", "hysteresis_w", "fall_w", "export_w"), [
    (0.0, 100, 15, 5),  # 5 W of export, short of the 20 W setpoint
    (1.0, 100, 15, 5),  # and the 15 W fall of production taken ahead once more
    (1.0, 100, 150, 5),  # a fall taken ahead larger than its 100 W hysteresis band
    (0.0, 0, 11, 9),  # a band narrower than the setpoint
    (0.0, 5, 11, 9),
])
def test_a_relay_with_nothing_to_give_back_stays_on_while_the_meter_shows_export(
        tmp_path: Path, anticipate: float, hysteresis_w: int, fall_w: float, export_w: float) -> None:
    # The setpoint is the variable loads' target, the anticipated fall their guess (taken back at the next
    # reading if wrong): neither switches a relay off. Off, it would rest its min_off_s with its 1000 W
    # exported; a noisy production reading (a "fall" of 20 W) switched a 600 W one off at 26 W of real export.
    # It goes off when the meter shows an import.
    h = closed_loop(tmp_path, "radiator", dwell_s=(0, 0), anticipate=anticipate,
                    relay_options=f"hysteresis = {hysteresis_w}\n")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w -= fall_w  # production down (the house too, by what leaves `export_w` on the meter)
    house.base_w -= fall_w - (20 - export_w)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w -= export_w + 1  # 1 W of import
    house.read()
    assert h.last(RADIATOR) == "OFF"


def test_a_full_tank_is_left_out_and_the_relay_gets_the_surplus(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 1500 + 20)
    house.read()
    assert watts(h, "ecs") == 1500
    h.load("ecs").overed = True  # found full (by its meter or the inference): out of the regulation
    h.load("ecs").set_power(0, house.now, "full")
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 0
