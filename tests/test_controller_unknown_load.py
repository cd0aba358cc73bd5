"""A load of unknown power (the `plug`) under the closed loop: tried alone, on a steady house and never while
the grid imports, measured from the step, off at once if it does not fit, its place kept while it waits; forces
do not spoil a measure, and a measure holds no switch off. The rest of the unknown loads: test_unknown_load*.py.
The test house: tests/controller_house.py."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from tests.configs import reading, write_config
from tests.controller_house import ECS, PLUG, RADIATOR, SMALL, House, closed_loop, watts
from tests.field_house import ECS_METER
from tests.harness import CONS, MODE, NOON, PROD, Harness


def test_a_load_of_unknown_power_is_measured_then_off_at_once_if_it_does_not_fit(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=300 + 2000 + 200 + 10, plug_w=500)
    house.read()  # the heater up to its max: the plug waits for it (the heater's rise would be measured as its watts)
    assert h.last(PLUG) == "off" and watts(h, "ecs") == 2000
    house.read()  # the heater saturated, 200 W left: the plug is tried, its power to be measured
    assert h.last(PLUG) == "on"
    house.read()  # it draws 500 W: it does not fit, off at once (a trial is not a cycle to protect)
    assert h.last(PLUG) == "off" and h.load("plug").learned_power_w == 500
    assert h.reg.controller is not None and h.reg.controller.trial_sheds_by == {"plug": 1}
    house.pv_w += 200
    house.read()  # 400 W left: under what it draws, it stays off
    assert h.last(PLUG) == "off"


def plug_resting(tmp_path: Path, *loads: str, pv_w: float) -> tuple[Harness, House]:
    """The closed loop with a 500 W plug never measured (a 0 W setpoint), just unforced at NOON + 1: held off by its
    min_off_s (120 s), on a house of 300 W."""
    h = closed_loop(tmp_path, *loads)
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0)
    house = House(h, base_w=300, pv_w=pv_w, plug_w=500)
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 500}', NOON)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', NOON + 1)
    return h, house


def test_a_load_of_unknown_power_is_not_tried_while_the_grid_imports(tmp_path: Path) -> None:
    # The plug first, never measured, held off by its min_off_s (120 s) after an unforce while the heater takes
    # the 1500 W of surplus. Its rest ends at a reading where the house rose by 100 W: the grid imports. Tried
    # then, it took the heater's 1400 W for its own (the heater to 0 W) and its measure held whatever the house
    # was still doing. It waits for the reading where the heater has answered the import.
    h, house = plug_resting(tmp_path, "plug", "ecs", pv_w=300 + 1500)
    while house.now < NOON + 1 + 118:
        house.read()
        assert h.last(PLUG) == "off" and watts(h, "ecs") == 1500
    house.base_w += 100
    house.read()  # free of its rest, 100 W imported: not tried; the heater gives the 100 W back
    assert h.last(PLUG) == "off" and watts(h, "ecs") == 1400
    house.read()  # the grid at 0 W: tried on the heater's 1400 W
    assert h.last(PLUG) == "on" and watts(h, "ecs") == 0
    house.read()
    assert h.load("plug").learned_power_w == 500


def test_a_load_of_unknown_power_is_measured_on_a_steady_house(tmp_path: Path) -> None:
    # The plug after the saturated heater, held off by its min_off_s (120 s) after an unforce, 1500 W exported.
    # As its rest ends the house is rising by 61 W a reading (an appliance ramping up): measured then, the plug
    # would be credited with the house's next 61 W too (561 W). It waits while the house (less the loads'
    # beliefs) moves the same way at reading after reading, and is measured at its 500 W once it holds still.
    h, house = plug_resting(tmp_path, "ecs", "plug", pv_w=300 + 2000 + 1500)
    while house.now < NOON + 1 + 114:
        house.read()
    for _ in range(6):  # from 6 s before the rest ends to 6 s after it
        house.base_w += 61
        house.read()
        assert h.last(PLUG) == "off" and watts(h, "ecs") == 2000
    house.read()  # the house held still: tried
    assert h.last(PLUG) == "on"
    house.read()
    assert h.load("plug").learned_power_w == 500


def test_a_step_of_the_house_does_not_delay_a_measure(tmp_path: Path) -> None:
    # One move of the house is a step, most likely over: the plug is tried at the very reading it shows.
    h, house = plug_resting(tmp_path, "ecs", "plug", pv_w=300 + 2000 + 1500)
    while house.now < NOON + 1 + 119:
        house.read()
        assert h.last(PLUG) == "off"
    house.base_w += 200
    house.read()
    assert h.last(PLUG) == "on"
    house.read()
    assert h.load("plug").learned_power_w == 500


def test_a_measured_load_that_fits_keeps_its_dwell(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=300 + 2000 + 600 + 10, plug_w=500)
    house.read()  # the heater up to its max, the plug waiting for it
    house.read()
    assert h.last(PLUG) == "on"
    house.read()  # measured 500 W: it fits
    house.pv_w -= 600  # then a cloud: the plug is held by its minimum on time, the heater gives back
    for _ in range(10):
        house.read()
        assert h.last(PLUG) == "on"
    assert h.reg.controller is not None and h.reg.controller.trial_sheds == 0


def test_a_load_of_unknown_power_is_switched_on_alone(tmp_path: Path) -> None:
    # Both relays fit at once. The radiator (labelled 1000 W, really 1050 W) switches first; measured in
    # the same step, the plug would be believed at 550 W. It waits a decision and is measured alone.
    h = closed_loop(tmp_path, "ecs", "radiator", "plug")
    house = House(h, base_w=300, pv_w=300 + 2000 + 1050 + 500 + 20, radiator_w=1050, plug_w=500)
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(PLUG) == "off"
    house.read()  # the plug's turn
    assert h.last(PLUG) == "on"
    house.read()  # its step, alone
    assert h.load("plug").learned_power_w == 500


def test_a_forced_load_does_not_spoil_a_measure(tmp_path: Path) -> None:
    # The forced radiator is the user's: out of the loop's loads, but drawing all along, in both readings.
    h = closed_loop(tmp_path, "ecs", "radiator", "plug")
    house = House(h, base_w=300, pv_w=300 + 1000 + 2000 + 500 + 20, plug_w=500)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 1000}', NOON)
    for _ in range(3):
        house.read()
    assert h.load("plug").learned_power_w == 500 and h.last(PLUG) == "on"


def test_a_load_of_unknown_power_forced_on_before_any_measure_is_measured(tmp_path: Path) -> None:
    # Forced at 3000 W (Home Assistant's switch asks the max), it is believed at what the house's step
    # shows, and stays on: a measure never switches a forced load off.
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=300, plug_w=500)
    house.read()
    h.reg.handle("regul/mode", b'{"command": "force", "name": "plug", "power": 3000}', house.now + 0.5)
    assert h.last(PLUG) == "on" and watts(h, "plug") == 3000
    house.read()
    assert h.load("plug").learned_power_w == 500 and watts(h, "plug") == 500
    assert h.last(PLUG) == "on" and h.load("plug").is_forced()


def test_a_load_waiting_to_be_measured_alone_keeps_its_place(tmp_path: Path) -> None:
    # small, then the plug of unknown power, then the radiator. Small switches first; the plug waits a
    # decision, and the radiator after it must not take its place (its dwell would hold it there).
    h = closed_loop(tmp_path, "ecs", "small", "plug", "radiator")
    house = House(h, base_w=300, pv_w=300 + 2000 + 300 + 1000 + 20, plug_w=500)
    house.read()
    assert h.last(SMALL) == "1" and h.last(PLUG) == "off" and h.last(RADIATOR) == "OFF"
    house.read()
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "OFF"
    house.read()
    assert h.load("plug").learned_power_w == 500


def test_a_switch_off_is_not_held_by_a_measure(tmp_path: Path) -> None:
    # The plug (unknown power) before the radiator: forced off, it lets the radiator on. Unforced, it is
    # tried, believed at all that is free: the radiator after it goes off in the same decision rather
    # than a decision later (an import is worse than a measure to do again).
    h = closed_loop(tmp_path, "ecs", "plug", "radiator", dwell_s=(0, 0))
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 20, plug_w=500)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "plug", "power": 0}', NOON)
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(PLUG) == "off"
    h.reg.handle("regul/mode", b'{"command": "unforce", "name": "plug"}', house.now + 0.5)
    house.read()
    assert h.last(PLUG) == "on" and h.last(RADIATOR) == "OFF"


class MiscalibratedHouse(House):
    """The heater draws 90 % of what its calibration says (the loop absorbs it, docs/control.md)."""

    def real_w(self) -> float:
        heater_w = self.h.load("ecs").current_power_w
        return super().real_w() - 0.1 * heater_w


def test_an_idle_switch_off_is_no_step_to_measure(tmp_path: Path) -> None:
    # The plug, first, is tried with the whole surplus; the heater gives its 1480 W back. Measured idle (0 W), off,
    # resting 5 min. The next reading's step down was taken for the plug's: the heater's 10 % error on the watts it
    # took back (148 W), learned as the idle plug's figure, and it was switched on as a known load.
    h = closed_loop(tmp_path, "plug", "ecs")
    house = MiscalibratedHouse(h, base_w=300, pv_w=1800, plug_w=0)
    for _ in range(5):
        house.read()
    assert h.load("plug").idle_offs == 1
    for _ in range(100):  # 200 s: inside its 5 min rest
        house.read()
    plug = h.load("plug")
    assert plug.learned_power_w is None and not plug.is_on and watts(h, "ecs") > 1000


def _two_plugs(tmp_path: Path, algorithm: str) -> Harness:
    """The test house's heater and plug, and a second plug of unknown power after them."""
    second = "\n[plug2]\ntopic_set_power = shellies/plug2/relay/0/command\njson_on = on\njson_off = off\n"
    config = write_config(tmp_path, ("ecs", "plug"), period=1, algorithm=algorithm, extra=second)
    config.write_text(config.read_text().replace("plug = unknown", "plug = unknown\nplug2 = unknown"))
    h = Harness(config)
    h.reg.tick(NOON - 3600)
    return h


def _read(h: Harness, real: dict[str, float], pv_w: float, now: float) -> None:
    drawn = sum(load.current_power_w if load.name == "ecs" else real[load.name] if load.is_on else 0.0
                for load in h.reg.loads)
    h.reg.handle(PROD, reading(pv_w), now - 0.01)
    h.reg.handle(CONS, reading(300 + drawn), now)


@pytest.mark.parametrize("algorithm", ["closed_loop", "hebert"])
def test_a_plug_switched_on_as_a_plug_after_it_is_measured_is_measured_at_its_own_draw(
        tmp_path: Path, algorithm: str) -> None:
    # The same, the order reversed: the second plug tried first (the first held off by a force at 0 W), the first
    # unforced and switched on at the reading that measures the second. Observed in their order, the first took its
    # baseline with the second still believed at its trial's 1180 W: learned at 1280 W for 600.
    h = _two_plugs(tmp_path, algorithm)
    real = {"plug": 600.0, "plug2": 500.0}
    h.reg.handle(MODE, b'{"command": "force", "name": "plug", "power": 0}', NOON)
    now = NOON
    for i in range(6):
        now += 2
        if i == 1:
            h.reg.handle(MODE, b'{"command": "unforce", "name": "plug"}', now - 0.02)
        _read(h, real, 300 + 2000 + 1200, now)
    assert h.load("plug2").learned_power_w == pytest.approx(500)
    assert h.load("plug").learned_power_w == pytest.approx(600)


@pytest.mark.parametrize("algorithm", ["closed_loop", "hebert"])
@pytest.mark.parametrize(("real", "believed_plug_w", "pv_w"), [
    ({"plug": 500.0, "plug2": 600.0}, None, 300 + 2000 + 1200),
    ({"plug": 700.0, "plug2": 400.0}, 200.0, 300 + 2000 + 1500),
])
def test_a_second_plug_switched_on_as_the_first_is_measured_is_measured_at_its_own_draw(
        tmp_path: Path, algorithm: str, real: dict[str, float], believed_plug_w: float | None, pv_w: float) -> None:
    # The loads' beliefs were summed once, before the first plug's measure moved its own: the second plug, tried at
    # that reading, had the first one's old belief in its baseline. Measured at 1280 W for 600 (a trial at the 1180 W
    # free); or, the first believed at 200 W and drawing 700, at 0 W for 400: "idle", off for 5 minutes and more.
    h = _two_plugs(tmp_path, algorithm)
    if believed_plug_w is not None:
        h.load("plug").learned_power_w = believed_plug_w
    now = NOON
    for _ in range(4):
        now += 2
        _read(h, real, pv_w, now)
    assert h.load("plug").learned_power_w == pytest.approx(real["plug"])
    assert h.load("plug2").learned_power_w == pytest.approx(real["plug2"]) and h.load("plug2").is_on


def test_a_relay_switched_as_a_plug_goes_off_at_the_same_reading_learns_nothing_from_the_step(tmp_path: Path) -> None:
    # The plug switched off by its trial's reading (the house fell 800 W: "the house moved"), the radiator switched on
    # in the decision made on it: one step of the house for both, as two relays switched together. The plug's off,
    # made inside the reading's measure, was not counted: the radiator (1050 W) was learned at 850.
    h = closed_loop(tmp_path, "ecs", "radiator", "plug")
    house = House(h, base_w=1100, pv_w=1100 + 2000 + 600, radiator_w=1050, plug_w=200)
    house.read()  # the heater up to its max, the plug waiting for it
    assert h.last(PLUG) == "off" and watts(h, "ecs") == 2000
    house.read()  # the heater saturated, 600 W left: the radiator not covered, the plug tried
    assert h.last(PLUG) == "on"
    house.base_w -= 800
    house.read()  # the plug off ("the house moved"), the radiator covered now: on, in the same decision
    assert h.last(PLUG) == "off" and h.load("radiator").is_on
    house.read()
    assert h.load("radiator").learned_power_w is None


def test_a_plug_measured_bigger_than_its_figure_that_no_longer_fits_goes_off_at_once(tmp_path: Path) -> None:
    # Every switch on of a load of unknown power is a measure: believed at 1000 W, switched on with 1100 W free, and
    # drawing 1500, it no longer fits. Kept on for its min_on_s (a known relay's dwell), it held the heater before it
    # 420 W short for ten minutes; off at once, as a trial that misfits, the heater takes its watts back.
    h = closed_loop(tmp_path, "ecs", "plug")
    h.load("plug").learned_power_w = 1000.0
    house = House(h, base_w=300, pv_w=300 + 2000 + 1100, plug_w=1500)
    house.read()  # the heater up to its max, the plug waiting for it
    house.read()
    assert h.last(PLUG) == "on"
    house.read()  # measured at 1500 W: 400 W short
    assert h.load("plug").learned_power_w == 1500.0
    for _ in range(10):
        house.read()
    assert h.last(PLUG) == "off" and watts(h, "ecs") == 2000.0
    assert h.reg.controller is not None and h.reg.controller.trial_sheds_by == {"plug": 1}


def test_a_plug_measured_at_its_figure_as_the_sun_falls_keeps_its_dwell(tmp_path: Path) -> None:
    # Measured no bigger than the figure it was switched on at, it is a known relay's switch: a cloud at that very
    # reading is the dwell's to ride out (the heater before it gives back its watts), not a failed trial.
    h = closed_loop(tmp_path, "ecs", "plug")
    h.load("plug").learned_power_w = 500.0
    house = House(h, base_w=300, pv_w=300 + 2000 + 600, plug_w=500)
    house.read()  # the heater up to its max, the plug waiting for it
    house.read()
    assert h.last(PLUG) == "on"
    house.pv_w -= 400  # a cloud: 100 W short of the plug with the heater at its max
    for _ in range(10):
        house.read()
    assert h.last(PLUG) == "on" and watts(h, "ecs") < 2000.0
    assert h.reg.controller is not None and h.reg.controller.trial_sheds_by == {}


def test_a_metered_heaters_silent_variator_does_not_hold_the_measures_back_for_good(tmp_path: Path) -> None:
    # The heater's variator off the network (rebooted to 0 %, no Wi-Fi): its own meter reads 0 W at every reading, its
    # detector waits for the variator's answer, and while those readings chained the plug after it was never
    # switched on for its measure (30 minutes of 3.2 kW exported, a bug hunt); a heater without its own meter let it
    # be measured after its 165 s. The own meter's doubt lasts as long as a run of low readings takes to decide.
    h = closed_loop(tmp_path, "ecs", "plug", extra="")
    config = h.config.read_text().replace("min_power = 150\n", f"min_power = 150\ntopic_read_power = {ECS_METER}\n", 1)
    h.config.write_text(config)
    h = Harness(h.config)
    house = House(h, base_w=300, pv_w=3500, plug_w=0.0)  # the plug's appliance idle: found so, it rests
    heater = h.load("ecs")
    silent = False

    def read() -> None:
        house.read()
        drawn_w = 0.0 if silent else heater.current_power_w
        h.reg.handle(ECS_METER, reading(drawn_w), house.now + 0.05)
        if not silent:
            h.reg.handle("regul/vload/ECS", ('{"percent": %s, "power": 0, "state": "ON"}'
                                             % (h.last(ECS) or "0")).encode(), house.now + 0.1)

    for _ in range(30):
        read()
    house.plug_w, silent = 500.0, True  # the appliance loaded; the variator gone, its heater at 0 W
    house.heater_factor = 0.0
    for _ in range(900):
        read()
        if h.load("plug").learned_power_w is not None:
            break
    assert h.load("plug").learned_power_w == pytest.approx(500, abs=5)


def test_a_trial_is_believed_at_what_is_free_for_it_not_at_a_held_relay_s_watts_too(tmp_path: Path) -> None:
    # Found by a bug hunt: the radiator after the plug on, held by its min_on_s; 600 W more sun and the plug is tried.
    # Believed at the loads' whole total from it on (the radiator's held 1000 W counted a second time), the heater
    # before it gave 1000 W back for a reading, and the calibration's error in that move (10 % here) was measured as
    # the idle plug's: learned at 100 W, left on.
    h = closed_loop(tmp_path, "ecs", "plug", "radiator")
    house = House(h, base_w=300, pv_w=300 + 1800 + 1000 + 100, plug_w=0, heater_factor=0.9)
    for _ in range(153):
        house.read()  # the plug found idle at once, resting; the radiator on since, held by its dwell
    assert h.load("radiator").is_on and not h.load("plug").is_on
    ecs_w = h.load("ecs").current_power_w
    house.pv_w += 600
    house.read()  # the plug tried on the 600 W (and the export) left over the heater and the radiator
    plug = h.load("plug")
    assert plug.is_on and plug.current_power_w < 800
    assert h.load("ecs").current_power_w >= ecs_w
    house.read()
    assert not plug.is_on and plug.learned_power_w is None  # idle


def test_the_guard_sheds_a_load_of_unknown_power_whatever_its_figure(tmp_path: Path) -> None:
    # Found by a bug hunt: the plug learned at 100 W (a dishwasher's pump), then drawing 2000 W (its heating). The guard
    # looked for the lowest relay whose watts alone end the 880 W import: by its figure not the plug, so the radiator
    # before it was shed, and the plug kept its 2000 W for ten minutes, the heater first in line held at 0 W.
    h = closed_loop(tmp_path, "ecs", "radiator", "plug")
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 100 + 20, plug_w=100)
    for _ in range(6):
        house.read()
    house.pv_w -= 1000
    for _ in range(10):
        house.read()
    plug = h.load("plug")
    assert plug.learned_power_w == 100 and h.load("radiator").is_on and 900 < watts(h, "ecs") < 1100
    house.plug_w = 2000
    for _ in range(20):
        house.read()
    assert not plug.is_on and h.last(PLUG) == "off"
    assert h.load("radiator").is_on and h.last(RADIATOR) == "ON"
    for _ in range(10):
        house.read()
    assert watts(h, "ecs") > 800  # the heater first in line has the surplus again


def test_a_relay_switched_off_for_a_trial_found_idle_does_not_rest_its_min_off_s(tmp_path: Path,
                                                                                 caplog: pytest.LogCaptureFixture
                                                                                 ) -> None:
    # Found by a bug hunt: the plug before the radiator idle, tried every 5 to 40 minutes on the surplus the radiator
    # drew too (its dwell over): the radiator switched off for it, the plug found idle, and the radiator rested its
    # min_off_s with its 1000 W exported, at each trial (3 times in an hour, about 110 Wh).
    caplog.set_level(logging.INFO)
    h = closed_loop(tmp_path, "ecs", "plug", "radiator")
    house = House(h, base_w=300, pv_w=300 + 2000 + 1000 + 100, plug_w=0)
    radiator, plug = h.load("radiator"), h.load("plug")
    off_readings = trials = 0
    for _ in range(1800):  # an hour
        plug_was_on = plug.is_on
        house.read()
        trials += plug.is_on and not plug_was_on
        if house.now > NOON + 60:  # (the radiator's rest after the start over)
            off_readings += not radiator.is_on
    assert trials >= 3
    assert off_readings <= 2 * trials  # off for the trial's reading and the next one, not for min_off_s (60 readings)
    # (its line says why: "surplus 100 W no longer covers it" read as a fall of the sun, and its switch on two seconds
    # on as chatter)
    offs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("radiator: 1000 W -> 0 W")]
    assert offs and all("(plug is tried, its power to be measured: the surplus it leaves, " in line for line in offs)


@pytest.mark.parametrize(("heater_factor", "plug_w"), [(1.1, 0.0), (0.9, 500.0)])
def test_a_trial_is_not_measured_across_a_heater_s_rise(tmp_path: Path, heater_factor: float, plug_w: float) -> None:
    # Found by a property hunt: at the start, one decision raised the heater 0 -> 2000 W and tried the plug on the rest;
    # the heater's calibration error (10 %) in that rise was measured as the plug's: an idle plug learned at 200 W and
    # kept on (33 Wh counted, none drawn), a 500 W one learned at 301 W. The plug waits a reading for the heater's rise
    # (tests/test_controller_trial_rise.py).
    h = closed_loop(tmp_path, "ecs", "plug")
    house = House(h, base_w=300, pv_w=3300, plug_w=plug_w, heater_factor=heater_factor)
    for _ in range(300):
        house.read()
    plug = h.load("plug")
    if plug_w:
        assert plug.learned_power_w == pytest.approx(plug_w, abs=15)
    else:
        assert not plug.is_on and plug.learned_power_w is None
