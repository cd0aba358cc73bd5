"""The closed loop at a gain under 1 (a meter that averages): the heater corrects part of the error at each
decision, the bound moves with it, a hand-over never raises the heater while the grid imports, and the relays are
still judged on the whole surplus the meter shows (switched on, summed up in the decision's line).
The test house: tests/controller_house.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from core.continuous_share import ContinuousLoads
from tests.controller_house import RADIATOR, SMALL, House, closed_loop, watts, with_ecs2
from tests.harness import NOON


def test_at_gain_under_1_the_bound_moves_as_the_loop_does(tmp_path: Path) -> None:
    # gain 0.5 (a meter that averages): a 200 W step of the house takes the heater down by half of it at the
    # first reading, the bound too; taking it whole, the bound would move the heater twice as far.
    h = closed_loop(tmp_path, "ecs")
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0, gain=0.5)
    house = House(h, base_w=300, pv_w=300 + 1010)  # (50 %, 1000 W: 51 % would import 10 W)
    for _ in range(30):
        house.read()
    assert watts(h, "ecs") == 1000
    house.base_w += 200  # 190 W of import: the loop takes 95 W back, to 915 W (45 %, 900 W); the bound, at
    house.read()         # 1000 - 95 + 5 = 910 W, agrees (whole, 815 W, it would send 40 %: 800 W)
    assert watts(h, "ecs") == 900


def test_at_gain_under_1_a_hand_over_never_raises_the_heater_while_the_grid_imports(tmp_path: Path) -> None:
    # gain 0.5: the loop corrects half the error a decision. When a relay goes off while the grid imports, the
    # heater's total moved by half the import only, so the heater took the rest of the relay's watts: raised
    # while the house imported, it kept the import the shed had answered going (and the guard counting on).
    h = closed_loop(tmp_path, "ecs", "radiator")
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0, gain=0.5)
    house = House(h, base_w=300, pv_w=300 + 3000)
    for _ in range(10):
        house.read()
    assert watts(h, "ecs") == 1980 and h.last(RADIATOR) == "ON"  # (2000 W would import 20 W)
    house.pv_w = 500  # a cloud: 2780 W of import, the radiator held by its min_on_s
    house.read()  # half of it taken back: the heater's bound is 2980 - 1390 - 1000 + 5 = 595 W, sent as 580 W
    assert watts(h, "ecs") == 580 and h.last(RADIATOR) == "ON"
    house.read()  # 1380 W of import: the guard sheds the radiator (2000 W.s reached)
    assert h.last(RADIATOR) == "OFF"
    # The loop wanted 1590 + 0.5 x -1380 = 900 W; that would raise the heater by 300 W into a 1380 W import
    # (680 W left). Not raised: the shed takes 1000 W off, 380 W of import left, which the loop answers next.
    assert watts(h, "ecs") == 580
    house.read()
    assert watts(h, "ecs") < 580


def test_at_gain_under_1_a_relay_switched_on_after_the_heater_takes_nothing_from_it(tmp_path: Path) -> None:
    # gain 0.5: the small 300 W relay is judged on the whole surplus the meter shows, the heater before it moves
    # by half the error. 2400 W of surplus cover the heater's 2000 W and the relay: the relay comes on, and the
    # heater takes its own half of the 540 W error (1860 + 270 W, up to its max), not that less the relay's 300 W:
    # 1820 W, lowered while 540 W were exported and a lower priority took power the heater could use.
    h = closed_loop(tmp_path, "ecs", "small")
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0, gain=0.5)
    house = House(h, base_w=300, pv_w=300 + 1880)
    for _ in range(30):
        house.read()
    assert watts(h, "ecs") == 1860 and h.last(SMALL) == "0"
    house.pv_w = 300 + 2400
    house.read()
    assert h.last(SMALL) == "1" and watts(h, "ecs") == 2000
    for _ in range(5):
        house.read()
        assert h.last(SMALL) == "1" and watts(h, "ecs") == 2000  # 100 W exported: nothing fits in it


def test_at_gain_under_1_a_heater_after_the_relay_gets_none_of_the_share_kept_before_it(tmp_path: Path) -> None:
    # Only the heater before the relay keeps its share: a second heater after it comes after the relay too.
    # 2700 W of surplus: the damped total is 1860 + 420 = 2280 W; the first heater takes its 2000 W, the relay
    # 300 W, and nothing of the damped total is left for ecs2 at this decision (280 W, had the relay's 300 W been
    # kept for it too): it starts at its floor, 150 W (7 %: 140 W), which the whole surplus left, 400 W, covers.
    h = with_ecs2(closed_loop(tmp_path, "ecs", "small"))
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0, gain=0.5)
    house = House(h, base_w=300, pv_w=300 + 1880)
    for _ in range(30):
        house.read()
    assert (watts(h, "ecs"), h.last(SMALL), watts(h, "ecs2")) == (1860, "0", 0)
    house.pv_w = 300 + 2700
    house.read()
    assert (watts(h, "ecs"), h.last(SMALL), watts(h, "ecs2")) == (2000, "1", 140)
    for _ in range(30):
        house.read()
    # (ecs2 then follows at the loop's pace, to 380 W: at gain 0.5 the bound sees half of the 20 W left)
    assert (watts(h, "ecs"), h.last(SMALL), watts(h, "ecs2")) == (2000, "1", 380)


@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_a_relay_comes_on_when_the_surplus_covers_it_whatever_the_gain(tmp_path: Path, gain: float) -> None:
    # The gain damps the heater's correction (a meter that averages); a relay's switch is one decision on
    # the surplus the meter shows. Damped, the 1000 W radiator needed 2000 W of export at gain 0.5.
    h = closed_loop(tmp_path, "radiator", "ecs", dwell_s=(0, 0))
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, gain=gain)
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 0
    house.read()
    assert h.last(RADIATOR) == "ON"  # (and no import: it stays)


def test_the_summary_wants_what_the_relays_are_judged_on(tmp_path: Path) -> None:
    # At gain 0.5 the loop wants half the export for the continuous loads, while a waiting relay is judged on
    # the whole of it: "550 W wanted" beside a 1000 W radiator waiting its on delay read wrong.
    h = closed_loop(tmp_path, "radiator", relay_options="on_delay_s = 30\n")
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, gain=0.5)
    house = House(h, base_w=300, pv_w=300 + 1120)
    house.read()
    assert h.reg.last_decision == "grid -1120 W: loads 0 W -> 0 W (1100 W wanted; waiting: radiator (on delay))"


def _steady(house: House, readings: int = 300) -> float:
    """Ten minutes of readings (2 s apart) of `house` as it is; the grid then (W, > 0: import)."""
    for _ in range(readings):
        house.read()
    return house.base_w + house.real_w() - house.pv_w


@pytest.mark.parametrize("gain", [1.0, 0.8, 0.5])
def test_an_off_heater_starts_on_a_surplus_over_its_floor_whatever_the_gain(tmp_path: Path, gain: float) -> None:
    # 250 W over the 20 W setpoint, a heater off (its floor min_power, 150 W): at gain 0.5 its first step was 125 W,
    # under the floor, set back to 0 at every decision: 270 W exported for good. It starts at its floor, and the
    # loop takes it to the surplus.
    h = closed_loop(tmp_path, "ecs", evaluate_options=f"gain = {gain}\n")
    house = House(h, base_w=300, pv_w=300 + 20 + 250)
    assert _steady(house) == pytest.approx(-20, abs=12)
    assert watts(h, "ecs") == pytest.approx(250, abs=12)


def test_at_gain_under_1_a_second_heater_starts_over_a_saturated_first(tmp_path: Path) -> None:
    h = with_ecs2(closed_loop(tmp_path, "ecs", evaluate_options="gain = 0.5\n"))
    house = House(h, base_w=300, pv_w=300 + 20 + 2000 + 250)
    assert _steady(house) == pytest.approx(-20, abs=12)
    assert watts(h, "ecs") == 2000 and watts(h, "ecs2") == pytest.approx(250, abs=12)


def test_at_gain_under_1_a_heater_after_a_relay_starts_on_what_the_relay_leaves(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "small", "ecs", evaluate_options="gain = 0.5\n")
    house = House(h, base_w=300, pv_w=300)
    _steady(house, 5)
    house.pv_w += 20 + 550  # the 300 W relay, and 250 W for the heater
    assert _steady(house) == pytest.approx(-20, abs=12)
    assert h.last(SMALL) == "1" and watts(h, "ecs") == pytest.approx(250, abs=12)


def test_at_gain_under_1_an_off_heater_stays_off_under_its_floor(tmp_path: Path) -> None:
    # (the start is at the floor only when the whole surplus covers it: 120 W over the setpoint is exported)
    h = closed_loop(tmp_path, "ecs", evaluate_options="gain = 0.5\n")
    house = House(h, base_w=300, pv_w=300 + 20 + 120)
    assert _steady(house) == pytest.approx(-140, abs=1)
    assert watts(h, "ecs") == 0


def test_at_gain_under_1_a_heater_whose_bound_falls_under_its_floor_stays_there_on_the_whole_surplus(
        tmp_path: Path) -> None:
    # The share of the variable loads (core/continuous_share.py) as a relay before them just came on in place of ecs,
    # at gain 0.5: 160 W for them, their bound 120 W (the grid taken at half), 220 W and 216 W with the grid whole.
    # ecs (min_power 150 W: 7 %, 140 W) on at 1000 W, ecs2 after it off (min_power 100 W: 5 %, 100 W). ecs's share,
    # 160 W, is over its floor but its bound, 120 W, under its floor's 140 W: it went off, and ecs2, whose floor fits
    # under the bound, came on at 120 W (6 %), the order reversed. The whole surplus covers ecs's floor: it runs there
    # (as a heater off starts there when the whole surplus covers it), and the 10 W left are under ecs2's floor.
    h = with_ecs2(closed_loop(tmp_path, "ecs", evaluate_options="gain = 0.5\n"), min_power_w=100)
    assert h.reg.controller is not None
    ecs, ecs2 = h.load("ecs"), h.load("ecs2")
    ecs.set_power(1000.0, NOON, "test")
    assert (watts(h, "ecs"), watts(h, "ecs2")) == (1000, 0)
    loads = ContinuousLoads(h.reg.controller.params)
    loads.share([ecs, ecs2], 160.0, NOON + 2, 120.0, whole=(220.0, 216.0))
    assert (watts(h, "ecs"), watts(h, "ecs2")) == (140, 0)
    # (the whole surplus under its floor too: off, and ecs2, its floor fitting, takes the bound's 120 W)
    ecs.set_power(1000.0, NOON + 4, "test")
    ContinuousLoads(h.reg.controller.params).share([ecs, ecs2], 160.0, NOON + 6, 120.0, whole=(145.0, 141.0))
    assert (watts(h, "ecs"), watts(h, "ecs2")) == (0, 120)
