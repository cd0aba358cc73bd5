"""A load of unknown power with no figure yet, before a relay that is on: tried on the spare surplus, not on the
relay's watts (core/relay_trials.trial_free_w). Found idle, it cost the relay after it nothing; found drawing, the
next decision hands the relay's watts over to it or sheds it as too big. With no spare, the relay's watts are its to
be tried on, as a higher priority's. The test house: tests/controller_house.py (a 20 W export setpoint)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.controller_house import PLUG, RADIATOR, House, closed_loop, watts
from tests.harness import MODE, NOON, Harness

# Short dwells, so that the radiator is free to go off by the time the plug is tried (its default 600 s on would hold
# it, and a relay held on was never the trial's to take).
DWELL_S = (60.0, 120.0)


def radiator_on_then_plug(tmp_path: Path, spare_w: float, plug_w: float) -> tuple[Harness, House]:
    """The saturated heater, then the plug (never measured), then the 1000 W radiator, on since the first
    readings with `spare_w` exported over it and the heater (and the setpoint): the plug, held off by its min_off_s
    after an unforce, is tried at the end of that rest, the radiator then free of its min_on_s."""
    h = closed_loop(tmp_path, "ecs", "plug", "radiator", dwell_s=DWELL_S)
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20 + spare_w, plug_w=plug_w)
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 500}', NOON)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', NOON + 1)  # (off: its 120 s of rest from now)
    house.read_until(RADIATOR, "ON", 5)
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 2000 and h.last(PLUG) == "off"
    return h, house


def test_an_idle_load_of_unknown_power_is_tried_on_the_spare_and_the_relay_after_it_stays_on(tmp_path: Path) -> None:
    # 200 W exported over the radiator: an appliance done for the day, tried every 5, 10, 20 minutes, is tried on
    # them. Tried on the radiator's 1200 W as well, the radiator went off at each trial and on again a reading later.
    h, house = radiator_on_then_plug(tmp_path, spare_w=200, plug_w=5)
    for _ in range(1800):  # an hour
        house.read()
    assert h.on(PLUG).count("on") >= 3  # tried, found idle each time (5 W)
    assert h.on(RADIATOR)[-2:] == ["OFF", "ON"] and h.on(RADIATOR).count("ON") == 1  # (on at the start, for good)
    assert h.load("plug").learned_power_w is None


def test_a_load_drawing_over_the_spare_takes_the_relay_after_its_watts_at_the_next_decision(tmp_path: Path) -> None:
    # Tried on the 200 W spare, the plug draws 800 W: a reading imports 600 W, and the next decision, the plug
    # measured, switches the radiator off (free of its min_on_s) for the plug before it.
    h, house = radiator_on_then_plug(tmp_path, spare_w=200, plug_w=800)
    house.read_until(PLUG, "on", 100)
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "ON"  # tried on the spare: the radiator untouched
    house.read()
    assert h.load("plug").learned_power_w == 800
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "OFF"
    house.read()
    assert house.base_w + 2000 + 800 - house.pv_w <= 0  # (no import left: the plug's 800 W within the surplus)


def test_a_load_drawing_over_the_spare_and_the_relay_after_it_is_shed_as_too_big(tmp_path: Path) -> None:
    h, house = radiator_on_then_plug(tmp_path, spare_w=200, plug_w=1500)
    house.read_until(PLUG, "on", 100)
    assert h.last(PLUG) == "on"
    house.read()  # measured 1500 W: over the radiator's 1000 W and the 200 W spare together
    assert h.last(PLUG) == "off" and h.load("plug").learned_power_w == 1500
    assert h.on(RADIATOR).count("ON") == 1 and h.last(RADIATOR) == "ON"
    assert h.reg.controller is not None and h.reg.controller.trial_sheds_by == {"plug": 1}


def test_with_no_spare_a_load_of_unknown_power_is_tried_on_the_relay_after_it(tmp_path: Path) -> None:
    # The radiator takes the whole surplus (10 W exported over it, under the 25 W a trial needs): the plug, a
    # higher priority, is tried on the radiator's watts, which goes off for it.
    h, house = radiator_on_then_plug(tmp_path, spare_w=10, plug_w=5)
    house.read_until(PLUG, "on", 100)
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "OFF"


def figure_then_idle(tmp_path: Path) -> tuple[Harness, House]:
    """The plug learned at 500 W (on with 600 W spare over the radiator), then off in a cloud; its cycle over (5 W),
    200 W spare over the radiator once the sun is back: its next try finds it idle."""
    h = closed_loop(tmp_path, "ecs", "plug", "radiator", dwell_s=DWELL_S)
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20 + 600, plug_w=500)
    for _ in range(60):
        house.read()
    assert h.load("plug").learned_power_w == 500 and h.last(PLUG) == "on" and h.last(RADIATOR) == "ON"
    house.pv_w -= 1500  # a cloud: both relays off
    for _ in range(200):
        house.read()
    assert h.last(PLUG) == "off" and h.last(RADIATOR) == "OFF"
    house.plug_w = 5
    house.pv_w += 1500 - 400
    house.read_until(PLUG, "on", 200)  # tried at its figure, the radiator off for its 120 s: found idle
    house.read()
    assert h.last(PLUG) == "off" and h.load("plug").found_idle
    house.read_until(RADIATOR, "ON", 200)
    return h, house


def test_a_load_found_idle_is_tried_again_on_the_spare_whatever_its_figure(tmp_path: Path) -> None:
    # Its 500 W figure is covered by the 200 W spare and the radiator's 1000 W: tried on them, the radiator went off at
    # each idle try (every 5, 10, 20 minutes) and on again a reading later.
    h, house = figure_then_idle(tmp_path)
    radiator_before, plug_before = len(h.on(RADIATOR)), h.on(PLUG).count("on")
    for _ in range(1800):  # an hour
        house.read()
    assert h.on(PLUG).count("on") - plug_before >= 3  # tried, idle each time
    assert h.on(RADIATOR)[radiator_before:] == []
    assert h.load("plug").learned_power_w == 500  # (its figure kept for its next cycle)


def test_a_load_found_idle_then_drawing_again_takes_the_relay_after_its_watts(tmp_path: Path) -> None:
    # A new cycle started meanwhile: tried on the 200 W spare, it draws its 500 W (300 W imported for a reading),
    # and the next decision hands the radiator's watts over to it.
    h, house = figure_then_idle(tmp_path)
    house.plug_w = 500
    house.read_until(PLUG, "on", 400)
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "OFF" and not h.load("plug").found_idle


def test_a_load_found_idle_is_not_tried_on_the_spare_while_the_grid_imports(tmp_path: Path) -> None:
    # Its rest over at a reading where the house rose by 300 W (200 W spare before, 100 W imported): tried then, its
    # measure would hold the house's step the loop has not answered yet. It waits for a reading without import.
    h, house = figure_then_idle(tmp_path)
    plug = h.load("plug")
    rest_ends_at = plug.idle_until
    while house.now + 2 < rest_ends_at:
        house.read()
        assert h.last(PLUG) == "off"
    house.base_w += 300
    house.read()  # the rest over, 100 W imported: it waits
    assert house.now >= rest_ends_at and h.last(PLUG) == "off"
    radiator_before = len(h.on(RADIATOR))
    house.base_w -= 300
    house.read()  # no import: the heater before it takes back what it gave
    assert h.last(PLUG) == "off"
    house.read()  # tried on the spare
    assert h.last(PLUG) == "on" and h.on(RADIATOR)[radiator_before:] == []


def radiator_handed_over_at_the_trial(tmp_path: Path, *loads: str, pv_w: float) -> tuple[Harness, House]:
    """The plug (never measured, 800 W) rests 120 s from an unforce; the radiator after it, forced on meanwhile, is
    unforced so that its hand-over is judged at the very decision the plug's rest ends, with 200 W spare over it."""
    h = closed_loop(tmp_path, *loads, dwell_s=(600.0, 120.0))
    house = House(h, base_w=300, pv_w=pv_w, plug_w=800)
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 500}', NOON)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', NOON + 1)  # (its 120 s of rest from now)
    while house.now < NOON + 100:
        house.read()
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', house.now + 0.5)
    house.pv_w += 1000 + 20 + 200
    for _ in range(10):
        house.read()
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', house.now + 0.5)
    return h, house


def test_a_relay_handed_over_at_the_trial_is_the_plugs_to_be_tried_on(tmp_path: Path) -> None:
    # Handed over on at the trial's decision, the radiator is free then but held by its min_on_s (counted from its
    # force) from the next: tried on the spare beside it, the plug drew 800 W and the grid imported 580 W until the
    # import guard shed the radiator. Its watts are the plug's to be tried on: off at the trial, no import.
    h, house = radiator_handed_over_at_the_trial(tmp_path, "plug", "radiator", pv_w=300 - 10)
    imported_w = []
    for _ in range(30):
        house.read()
        imported_w.append(house.base_w + house.real_w() - house.pv_w)
    assert h.load("plug").learned_power_w == 800 and h.last(PLUG) == "on" and h.last(RADIATOR) == "OFF"
    assert max(imported_w) <= 0
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {}


def test_a_relay_handed_over_at_the_trial_does_not_keep_the_heater_before_short(tmp_path: Path) -> None:
    # The same with the heater before both: kept on beside the plug's trial, the radiator then held by its dwell
    # kept its 1000 W while the heater gave back (1400 W for 2000) for the rest of its ten minutes.
    h, house = radiator_handed_over_at_the_trial(tmp_path, "ecs", "plug", "radiator", pv_w=300 + 2000 + 20 - 10)
    for _ in range(60):
        house.read()
    assert h.load("plug").learned_power_w == 800 and h.last(RADIATOR) == "OFF" and watts(h, "ecs") == 2000


def done_while_on(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                  house_up_w: float = 0.0) -> tuple[Harness, House]:
    """The plug learned at 500 W and on beside the radiator; its appliance finishes while it is on (5 W), and clouds
    switch the radiator off, then the plug (the house's own draw up `house_up_w` at the reading after it)."""
    h = closed_loop(tmp_path, "ecs", "plug", "radiator", dwell_s=DWELL_S)
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20 + 600, plug_w=500)
    for _ in range(60):
        house.read()
    assert h.load("plug").learned_power_w == 500 and h.last(PLUG) == "on" and h.last(RADIATOR) == "ON"
    house.plug_w = 5  # its cycle over, the plug still on
    for _ in range(30):
        house.read()
    assert h.last(PLUG) == "on" and not h.load("plug").found_idle  # (nothing tells it yet)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="equipments"):
        house.pv_w -= 1500  # a cloud: the radiator off (the plug, believed at 500 W, left 495 W more export)...
        house.read_until(RADIATOR, "OFF", 200)
        house.pv_w -= 1000  # ...and a darker one: the plug off, alone (two relays at once: no step of its own)
        house.read_until(PLUG, "off", 200)
        house.base_w += house_up_w
        house.read()  # (its step down)
    assert h.last(PLUG) == "off" and h.last(RADIATOR) == "OFF" and h.on(PLUG)[-2:] == ["on", "off"]
    return h, house


def test_a_load_whose_appliance_finished_while_on_is_found_idle_at_its_switch_off(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Its step down at the cloud's switch off is about nothing: found idle there, as at a try. The sun back (200 W
    # spare over the radiator), it rests its idle wait, the radiator on meanwhile, then is tried on the spare: the
    # radiator after it stays on. Unmarked, it was tried at once on its 500 W figure, and found idle; only then was
    # the radiator switched on.
    h, house = done_while_on(tmp_path, caplog)
    plug = h.load("plug")
    assert plug.found_idle and plug.learned_power_w == 500  # (its figure kept for its next cycle)
    assert any("plug: measured 5 W when switching off: idle (its appliance done while on); tried again in 5 min"
               in r.message for r in caplog.records)
    off_at = house.now
    house.pv_w += 2500 - 400
    house.read_until(RADIATOR, "ON", 200)
    assert h.last(RADIATOR) == "ON" and h.last(PLUG) == "off"
    while house.now < off_at + 290:
        house.read()
        assert h.last(PLUG) == "off"
    radiator_before, plug_before = len(h.on(RADIATOR)), h.on(PLUG).count("on")
    for _ in range(1800):  # an hour
        house.read()
    assert h.on(PLUG).count("on") - plug_before >= 2  # tried, idle each time (waits of 10 and 20 min, then 40)
    assert h.on(RADIATOR)[radiator_before:] == []


def test_a_step_below_zero_at_its_switch_off_is_said_at_0_w(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The house's own draw up 15 W at the reading that shows the plug's 5 W gone (a meter's noise does as much): the
    # step down is -10 W, an idle appliance, said at 0 W as a try's measure is ("measured -10 W" read wrong).
    h, house = done_while_on(tmp_path, caplog, house_up_w=15)
    assert h.load("plug").found_idle
    lines = [r.message for r in caplog.records if "when switching off" in r.message]
    assert lines == ["plug: measured 0 W when switching off: idle (its appliance done while on); tried again in 5 min"]


def test_a_load_still_drawing_is_not_found_idle_by_the_heater_s_error_at_its_switch_off(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A 100 W plug on after the heater, whose calibration is 10 % over what it draws (1800 W at 2000 believed). A cloud
    # switches the plug off and lowers the heater 1000 W at the same decision: the house's step down is the plug's
    # 100 W less the heater's 100 W of error, 0 W. It was taken for an appliance done while on: the plug, drawing all
    # along, rested 5 minutes and was said idle. A move of the other loads as large as its figure tells nothing.
    h = closed_loop(tmp_path, "ecs", "plug", dwell_s=DWELL_S)
    house = House(h, base_w=300, pv_w=300 + 1800 + 100 + 20 + 200, plug_w=100, heater_factor=0.9)
    for _ in range(90):
        house.read()
    plug = h.load("plug")
    assert plug.learned_power_w == 100 and h.last(PLUG) == "on" and watts(h, "ecs") == 2000
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="equipments"):
        house.pv_w -= 1300
        house.read_until(PLUG, "off", 5)
        house.read()  # (its step down)
    assert h.last(PLUG) == "off" and watts(h, "ecs") <= 1000
    assert not plug.found_idle and not plug.resting(house.now)
    assert not any("idle" in r.message for r in caplog.records)


def test_a_load_that_drew_at_its_switch_off_is_not_found_idle(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The same, its appliance still drawing its 500 W at the cloud: its step down says so, and its next try takes the
    # radiator's watts after it, on its figure, as a load found drawing does.
    h = closed_loop(tmp_path, "ecs", "plug", "radiator", dwell_s=DWELL_S)
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20 + 600, plug_w=500)
    for _ in range(60):
        house.read()
    house.pv_w -= 1500
    for _ in range(200):
        house.read()
    assert h.last(PLUG) == "off" and not h.load("plug").found_idle and not h.load("plug").resting(house.now)
