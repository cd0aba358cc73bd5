"""A load of unknown power backed off by the import guard (core/relay_dwell.py) keeps its back-off when the regulation
itself switches it off at its measure (found idle, or the house moved): that switch is the rule's own, not a command
someone else made, which alone ends the row. The test house: tests/controller_house.py."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.relay_dwell import RelayClock
from tests.controller_house import PLUG, House, closed_loop

PLUG_W = 500.0
BURST_W = 1000.0  # an oven's burst: the import the guard sheds the plug for


def plug_on_the_surplus(tmp_path: Path) -> House:
    """The plug alone (min_on_s 600, min_off_s 120), 580 W of surplus for its 500 W: on and measured."""
    h = closed_loop(tmp_path, "plug")
    house = House(h, base_w=300, pv_w=300 + PLUG_W + 100, plug_w=PLUG_W)
    for _ in range(3):
        house.read()
    assert h.last(PLUG) == "on" and h.load("plug").learned_power_w == PLUG_W
    return house


def shed_by_the_guard(house: House) -> None:
    """Once the plug is on (and measured), a burst of the house long enough for the guard to shed it; over at once."""
    h = house.h
    while h.last(PLUG) != "on":
        house.read()
    house.read()  # (its measuring reading)
    house.read()
    house.base_w += BURST_W
    while h.last(PLUG) == "on":
        house.read()
    house.read()
    house.base_w -= BURST_W


def found_idle(house: House) -> float:
    """The plug's appliance done: read until it is tried and switched off as idle by its measure; that time."""
    h = house.h
    house.plug_w = 0.0
    while h.last(PLUG) != "on":
        house.read()
    house.read()  # its measure: idle, off at this reading by the regulation
    assert h.last(PLUG) == "off" and h.load("plug").idle_offs == 1
    return house.now


def test_an_idle_switch_off_keeps_the_guards_back_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Shed three times in a row by an appliance's bursts, the plug then tried and found idle: the idle switch off,
    # the regulation's own at its measure, was seen by the relay's clock as someone else's command (a force, a
    # restart) and ended the row. Tried again 5 minutes later (its idle wait) rather than after its 480 s rest, and
    # shed by the next burst as a first shed (120 s off), the back-off forgotten.
    caplog.set_level(logging.INFO, logger="core.controller")
    house = plug_on_the_surplus(tmp_path)
    for _ in range(3):
        shed_by_the_guard(house)
    assert "plug: shed by the guard (3 in a row): off for 480 s at least" in caplog.messages
    idle_off_at = found_idle(house)
    house.plug_w = PLUG_W  # its appliance started again: it waits for the surplus
    while house.h.last(PLUG) != "on":
        house.read()
    assert house.now - idle_off_at >= 480  # its back-off's rest, not the idle wait's 300 s
    caplog.clear()
    shed_by_the_guard(house)
    assert "plug: shed by the guard (4 in a row): off for 960 s at least" in caplog.messages


def test_the_clock_takes_a_measures_switch_off_as_the_rules_own() -> None:
    # The same at the clock (core/relay_dwell.py): an off stamped as the load's own measure's (idle, or the house
    # moved) keeps the row; any other command it did not make ends it, as before.
    clock = RelayClock(on=True, switched_at=0.0)
    clock.switched(False, 100.0, 600, guard_shed=True)
    clock.switched(True, 220.0, 600)
    clock.switched(False, 300.0, 600, guard_shed=True)
    clock.switched(True, 540.0, 600, trial=True)
    clock.seen(False, 542.0, 600, measure_off_at=542.0)  # off at its measure, 2 s after its trial's switch on
    assert clock.guard_sheds == 2 and clock.min_off_s(120) == 240 and clock.switched_at == 542.0
    assert not clock.on and not clock.trial
    clock.switched(True, 800.0, 600, trial=True)
    clock.seen(False, 802.0, 600, measure_off_at=542.0)  # an older measure's stamp: someone else's command
    assert clock.guard_sheds == 0
