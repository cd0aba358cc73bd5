"""A load of unknown power forced on is measured at its switch on as the regulation's trials are: only on a steady
house (equipments/unknown_measure.py's STEADY_W), so that a house on the move is not taken for the load. Not
steady, it keeps the figure it had. The test house: tests/controller_house.py."""

from __future__ import annotations

from pathlib import Path

from tests.controller_house import House, closed_loop
from tests.harness import MODE

PLUG_W = 600.0


def plug_learned_at_night(tmp_path: Path) -> House:
    """A 600 W plug before a heater, learned at 600 W, off, in a house of 300 W with no sun, three readings in."""
    h = closed_loop(tmp_path, "plug", "ecs")
    house = House(h, base_w=300, pv_w=0, plug_w=PLUG_W)
    h.load("plug").learned_power_w = PLUG_W  # (as a status restored at the start sets it)
    for _ in range(3):
        house.read()
    return house


def force_plug(house: House) -> None:
    """Force the plug on, as Home Assistant's force switch does (3680 W asked), half a second after the last reading."""
    house.h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 3680}', house.now + 0.5)


def test_a_force_on_a_house_on_the_move_keeps_the_plugs_figure(tmp_path: Path) -> None:
    # An appliance ramping up (a heat pump's compressor: 700 W, 700 W, then 600 W more, 2000 W in all) as the user
    # forces the plug on: measured at its switch on, the plug was credited the ramp's next 600 W (1200 W), believed so
    # all through its force (its energy and the house's power wrong by as much). The regulation's trials wait for a
    # steady house; a force cannot wait: the plug keeps its 600 W.
    house = plug_learned_at_night(tmp_path)
    plug = house.h.load("plug")
    for _ in range(2):
        house.base_w += 700
        house.read()
    assert not plug.house_steady
    force_plug(house)
    house.base_w += 600
    house.read()
    assert plug.is_on and plug.learned_power_w == PLUG_W and plug.current_power_w == PLUG_W
    for _ in range(5):
        house.read()
    assert plug.learned_power_w == PLUG_W and plug.current_power_w == PLUG_W


def test_a_force_on_a_steady_house_is_measured(tmp_path: Path) -> None:
    # Unchanged on a steady house: a plug learned at 600 W, forced on drawing 2000 W (another program), is measured so.
    house = plug_learned_at_night(tmp_path)
    plug = house.h.load("plug")
    house.plug_w = 2000
    force_plug(house)
    house.read()
    assert plug.learned_power_w == 2000 and plug.current_power_w == 2000


def test_a_step_at_the_forces_measuring_reading_is_corrected_when_the_force_ends(tmp_path: Path) -> None:
    # What no rule of one house meter avoids (nor does a trial's): a 2000 W kettle switched on at the very reading that
    # measures the force, the house steady before it, is measured with the plug (2600 W). The force's end measures
    # the step down, 600 W, taken as smaller by more than the house moving would.
    house = plug_learned_at_night(tmp_path)
    plug = house.h.load("plug")
    assert plug.house_steady
    force_plug(house)
    house.base_w += 2000
    house.read()
    assert plug.learned_power_w == 2000 + PLUG_W
    house.read()
    house.h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    house.read()
    assert not plug.is_on and plug.learned_power_w == PLUG_W
