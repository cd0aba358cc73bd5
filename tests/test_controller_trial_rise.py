"""A load of unknown power (the `plug`) and the variable loads' rise at the decision that would try it: the plug waits
for a heater before it to go up (held for the plug's measure, that heater was a priority turned round for a reading),
and a heater after it waits for the plug's measure to go up (its rise would be measured as the plug's watts).
The test house: tests/controller_house.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.controller_house import PLUG, House, closed_loop, watts, with_ecs2


def test_a_plug_waits_a_reading_for_the_heater_before_it_to_go_up(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # The heater at 1000 W on a steady surplus, then the sun up by 1500 W: the heater's 1000 W more and 500 W over its
    # max, which cover a trial of the plug. Tried at that decision, the plug had the heater held at 1000 W for its
    # measure, 1000 W short of its max while a lower priority was switched on; or measured across the heater's rise,
    # with that rise's calibration error. The heater goes up first; the plug is tried at the next reading.
    caplog.set_level(logging.DEBUG, logger="core.controller")
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20, plug_w=400)
    for _ in range(5):
        house.read()
    assert watts(h, "ecs") == 1000 and h.last(PLUG) == "off"
    house.pv_w += 1500
    house.read()  # the heater to its max; the plug waits
    assert watts(h, "ecs") == 2000 and h.last(PLUG) == "off"
    assert "plug: waits: the variable loads before it go up by 1000 W at this decision" in caplog.text
    assert "waiting: plug (measure))" in h.reg.status(house.now)["last_decision"]
    house.read()  # the heater at its max, no longer rising: the plug is tried
    assert h.last(PLUG) == "on" and watts(h, "ecs") == 2000
    house.read()  # its step, alone
    plug = h.load("plug")
    assert plug.learned_power_w == 400 and plug.is_on and watts(h, "ecs") == 2000


def test_a_heater_after_a_plug_waits_for_its_measure_to_go_up(tmp_path: Path) -> None:
    # The heater first at its max, the plug (measured before at 500 W: each switch on is a measure), then a second
    # heater on the 300 W over them. The sun up by 700 W: the plug switched on, and the second heater would take 200 W
    # more at that decision. Its rise, with its calibration's error, would be measured as the plug's: it waits a
    # reading.
    h = with_ecs2(closed_loop(tmp_path, "ecs", "plug"))
    assert [load.name for load in h.reg.loads] == ["ecs", "plug", "ecs2"]
    h.load("plug").learned_power_w = 500.0
    house = House(h, base_w=300, pv_w=300 + 2000 + 300 + 20, plug_w=500)
    for _ in range(5):
        house.read()
    assert watts(h, "ecs") == 2000 and watts(h, "ecs2") == 300 and h.last(PLUG) == "off"
    house.pv_w += 700
    house.read()  # the plug switched on to be measured: the second heater held
    assert h.last(PLUG) == "on" and h.load("plug").measuring
    assert watts(h, "ecs") == 2000 and watts(h, "ecs2") == 300
    house.read()  # measured at its 500 W; the second heater goes up
    assert h.load("plug").learned_power_w == 500 and h.last(PLUG) == "on"
    assert watts(h, "ecs2") == 500
