"""A load of unknown power with a house meter read every 20 s or more slowly: the house's readings that tell its moves
(a ramp that delays a measure) and its step down at a switch off may be as far apart as a reading lost, whatever the
meter's pace (equipments/unknown_measure.py's OFF_STEP_PACES). Fixed at 30 s, 15 readings of a PZEM every 2 s, they
were a reading and a half at 20 s: one reading lost, and the ramp or the step down was not seen; at 40 s, never. The
test house: tests/controller_house.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.controller_house import House, closed_loop
from tests.harness import MODE

PLUG_W = 600.0


def slow_house(tmp_path: Path, pace_s: float) -> House:
    """A 600 W plug before a heater, learned at 600 W, off, in a house of 300 W with no sun; the meters read every
    `pace_s`, their pace known (four readings)."""
    h = closed_loop(tmp_path, "plug", "ecs", meter_timeout_s=6 * pace_s)
    house = House(h, base_w=300, pv_w=0, plug_w=PLUG_W)
    h.load("plug").learned_power_w = PLUG_W  # (as a status restored at the start sets it)
    for _ in range(4):
        house.read(pace_s)
    assert h.reg.consumption.pace_s() == pytest.approx(pace_s)
    return house


def force_plug(house: House, power_w: float = 3680) -> None:
    """Force the plug on, as Home Assistant's force switch does (3680 W asked), half a second after the last reading."""
    house.h.reg.handle(MODE, f'{{"command": "force", "name": "plug", "power": {power_w:g}}}'.encode(),
                       house.now + 0.5)


@pytest.mark.parametrize(("pace_s", "lost"), [(2.0, 1), (20.0, 1), (40.0, 0)])
def test_a_ramp_is_seen_across_a_reading_lost_of_a_slow_meter(tmp_path: Path, pace_s: float, lost: int) -> None:
    # A heat pump ramping up, 700 W a reading, as the user forces the plug on: measured at its switch on, the plug
    # would be credited the ramp's next move. With a house meter every 20 s and a reading lost in the ramp (40 s
    # between two decisions), or every 40 s, the second move was left out (further apart than 30 s): the house was
    # taken for steady, and the plug, forced on, was measured with the ramp's next move.
    house = slow_house(tmp_path, pace_s)
    plug = house.h.load("plug")
    house.base_w += 700
    house.read(pace_s)
    house.base_w += 700 * (1 + lost)  # (the ramp went on through the reading lost)
    house.read(pace_s * (1 + lost))
    assert not plug.house_steady
    force_plug(house)
    house.base_w += 700
    house.read(pace_s)
    assert plug.is_on and plug.learned_power_w == PLUG_W and plug.current_power_w == PLUG_W


@pytest.mark.parametrize(("pace_s", "lost"), [(2.0, 1), (20.0, 1), (40.0, 0)])
def test_the_step_down_after_a_reading_lost_of_a_slow_meter_is_measured(tmp_path: Path, pace_s: float,
                                                                        lost: int) -> None:
    # A 2000 W kettle switched on at the very reading that measures the forced plug: measured with it (2600 W). The
    # force's end measures the step down, 600 W; with a meter every 20 s and the reading after the unforce lost (40 s
    # after the last reading while on), or a meter every 40 s, it was not taken: the plug kept its 2600 W, kept off
    # behind that figure.
    house = slow_house(tmp_path, pace_s)
    plug = house.h.load("plug")
    force_plug(house)
    house.base_w += 2000
    house.read(pace_s)
    assert plug.learned_power_w == 2000 + PLUG_W
    house.h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    house.read(pace_s * (1 + lost))
    assert not plug.is_on and plug.learned_power_w == PLUG_W
