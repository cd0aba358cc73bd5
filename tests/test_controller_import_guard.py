"""The import guard under the closed loop: it sheds a relay against its dwell once the import over 100 W has
lasted 100 W x 20 s, counting only what the variable loads cannot give back, lowest priority first; a dip under
the level takes back part of the count, an import nothing could answer stores no shed; a shed says so at INFO;
as many relays as the import needs are shed at one decision.
The first reading of an import: test_import_guard_first_reading. The test house: tests/controller_house.py."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.controller_house import PLUG, RADIATOR, SMALL, House, closed_loop, watts
from tests.harness import MODE


def test_the_import_guard_sheds_against_the_dwell(tmp_path: Path) -> None:
    # The guard sheds once the import over 100 W has reached 100 W x 20 s = 2000 W.s.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 500  # a cloud: 800 W of import with the radiator alone, far inside its minimum on time
    # The import begins, 2800 W: the heater gives back its 2000 W at this decision (to 0), the radiator is
    # held; the 800 W the heater cannot answer count from this first reading: 1600 W.s.
    house.read()
    assert watts(h, "ecs") == 0 and h.last(RADIATOR) == "ON"
    house.read()  # 3200 W.s: shed
    assert h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 1


def test_a_small_import_must_last_the_whole_guard_time(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    house.pv_w = 1150  # 150 W of import with the radiator alone: 300 W.s a reading
    # The first reading's 2150 W of import counts only for the 150 W the heater cannot give back (all of it
    # would be 4300 W.s: a shed at once); five more: 1800 W.s.
    for _ in range(6):
        house.read()
        assert h.last(RADIATOR) == "ON"
    house.read()  # 2100 W.s, after 14 s
    assert h.last(RADIATOR) == "OFF"


def test_the_guard_sheds_the_lowest_priority_first_one_a_reading_on_their_labels(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 1300 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "1"
    house.pv_w = 300  # 1300 W of import, both held by their minimum on time
    # No variable load to give any of it back: it counts from the first reading, 2600 W.s (2000 kept: the
    # guard's whole count), but a first reading sheds nothing on its own...
    house.read()
    assert h.last(SMALL) == "1" and h.last(RADIATOR) == "ON"
    # ...the second does: the small relay, last in priority (neither alone ends the import). Both switched on at one
    # reading, neither has measured watts: the next reading says what is left, not their labels.
    house.read()
    assert h.last(SMALL) == "0" and h.last(RADIATOR) == "ON"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"small": 1}
    house.read()  # 1000 W more for 2 s: as much again, the radiator
    assert h.last(RADIATOR) == "OFF" and h.reg.controller.guard_sheds_by == {"small": 1, "radiator": 1}


def test_relays_of_measured_watts_are_shed_together_as_the_import_needs(tmp_path: Path) -> None:
    # Each switched on alone, each has its watts measured: under 1300 W of import the small relay goes first (neither
    # alone ends it), then the radiator for the 1000 W it leaves, at the same reading (one a reading imported 1000 W
    # for a reading more).
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    for _ in range(3):
        house.read()
    house.pv_w += 300
    for _ in range(3):
        house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "1"
    assert h.load("radiator").learned_power_w == 1000 and h.load("small").learned_power_w == 300
    house.pv_w = 300
    house.read()
    assert h.last(SMALL) == "1" and h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(SMALL) == "0" and h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"small": 1, "radiator": 1}


def test_a_load_of_unknown_power_shed_waits_for_the_next_reading(tmp_path: Path) -> None:
    # A plug learned at 500 W whose appliance now draws 2000 W: 1400 W of import. Shed as 500 W, it seemed to leave
    # 900 W, and the radiator before it was shed at the same reading; the plug's shed alone had ended the import, and
    # 1600 W were exported for the radiator's min_off_s (found by a review).
    h = closed_loop(tmp_path, "radiator", "plug")
    house = House(h, base_w=300, pv_w=300 + 1000 + 500 + 100)
    for _ in range(10):
        house.read()
    assert h.last(RADIATOR) == "ON" and h.last(PLUG) == "on"
    house.plug_w = 2000
    house.read_until(PLUG, "off", 6)
    house.read()
    assert h.last(PLUG) == "off" and h.last(RADIATOR) == "ON"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"plug": 1}


def test_the_guard_sheds_no_more_than_the_import_needs(tmp_path: Path) -> None:
    # 350 W of import under both held relays: the small relay's 300 W leave 50 W, under the guard's level; the
    # radiator stays on (shed for covering the whole 350 W, it left 650 W exported for its min_off_s).
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 1300 + 20)
    house.read()
    house.pv_w = 300 + 1300 - 350
    house.read_until(SMALL, "0", 12)
    assert h.last(SMALL) == "0" and h.last(RADIATOR) == "ON"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"small": 1}


def test_an_import_dipping_under_the_guard_level_every_other_reading_still_reaches_the_guard(tmp_path: Path) -> None:
    # A held relay, a hob pulsing: 800 W and 80 W of import in turn. Each dip under 100 W takes back what a
    # reading at the level adds (200 W.s), it does not empty the count: shed within seconds, not after the
    # relay's whole min_on_s (600 s).
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 500  # the heater goes to 0 at the first import: the radiator alone, 800 W of import
    house.read()  # the step (2800 W): the heater answers 2000 W of it, the other 800 W count: 1600 W.s
    assert watts(h, "ecs") == 0 and h.last(RADIATOR) == "ON"
    house.base_w = 300 - 720  # 80 W of import
    house.read()  # under the level: -200 W.s, 1400 W.s (emptied, 0)
    assert h.last(RADIATOR) == "ON"
    house.base_w = 300
    house.read()  # 800 W after 80 W: 3000 W.s (2000 kept), shed (emptied, 1600 W.s: held on)
    assert h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 1


def test_an_import_no_relay_could_answer_does_not_store_up_a_shed(tmp_path: Path) -> None:
    # Ten minutes of 1 kW import with nothing on (the count is full, no more), then the sun: the radiator
    # goes on, and 20 s later the house steps up 150 W: the radiator is kept for the guard's whole 20 s of
    # that import, not shed at its first reading over the level.
    h = closed_loop(tmp_path, "radiator")
    house = House(h, base_w=1300, pv_w=300)
    for _ in range(300):
        house.read()
    assert h.last(RADIATOR) == "OFF"
    house.base_w, house.pv_w = 300, 1300 + 20
    for _ in range(10):  # export for 20 s, the guard's time: the full count drains (200 W.s a reading)
        house.read()
    assert h.last(RADIATOR) == "ON"
    house.base_w = 300 + 170  # 150 W of import with the radiator on, held by its min_on_s: 300 W.s a reading
    for _ in range(6):  # (from the first reading: no variable load gives any of it back)
        house.read()
        assert h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(RADIATOR) == "OFF"


def test_an_import_while_no_relay_is_on_leaves_no_count_for_the_next_relay(tmp_path: Path) -> None:
    # The heater forced at 2000 W from the grid for ten minutes, no relay on: the count filled. The sun back, the
    # radiator came on at the first reading of export and was shed 4 s later, at a 150 W import that sheds nothing
    # before 14 s otherwise (the test above): nothing drained the count in between.
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=800)
    house.read()
    h.reg.handle(MODE, json.dumps({"command": "force", "name": "ecs", "power": 2000, "duration": 1200}).encode(),
                 house.now + 0.3)
    for _ in range(300):  # 1.5 kW imported, nothing the loop may shed
        house.read()
    assert h.last(RADIATOR) == "OFF" and h.load("ecs").is_forced()
    house.pv_w = 300 + 2000 + 1000 + 200  # the sun: 1200 W of export with the heater still forced
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w -= 350  # 150 W of import with the radiator on: 300 W.s a reading
    for _ in range(6):
        house.read()
        assert h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(RADIATOR) == "OFF"


@pytest.mark.parametrize(("import_w", "shed"), [(10, False), (150, True)])
def test_an_import_guard_time_of_0_sheds_at_the_second_reading_over_the_level(tmp_path: Path, import_w: float,
                                                                              shed: bool) -> None:
    # import_guard_time = 0 made any import due: a 10 W one shed the radiator against its dwell
    h = closed_loop(tmp_path, "radiator", evaluate_options="import_guard_time = 0\n")
    house = House(h, base_w=300, pv_w=300 + 1000 + 200)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 300 + 1000 - import_w
    house.read()  # (a first reading of an import sheds nothing on its own)
    assert h.last(RADIATOR) == "ON"
    house.read()
    assert (h.last(RADIATOR) == "OFF") is shed


@pytest.mark.parametrize("guard_time", ["0", "20"])
def test_an_import_alternating_with_an_export_is_shed_at_any_guard_time(tmp_path: Path, guard_time: str) -> None:
    # With import_guard_time 0 the count holds nothing: each import after an export was taken for a first reading,
    # and a hob pulsing 1 kW every other reading held the radiator on, importing 900 W half the time, for its
    # whole min_on_s (72 Wh in ten minutes); at the default 20 s it was shed in 12 s. The stricter setting was laxer.
    h = closed_loop(tmp_path, "radiator", evaluate_options=f"import_guard_time = {guard_time}\n")
    house = House(h, base_w=300, pv_w=1400)
    for _ in range(3):
        house.read()
    assert h.last(RADIATOR) == "ON"
    for i in range(10):
        house.base_w = 1300 if i % 2 == 0 else 300
        house.read()
    assert h.last(RADIATOR) == "OFF"


@pytest.mark.parametrize("under_w", [-200, 50])  # (an export, a small import under the level)
@pytest.mark.parametrize(("between", "shed"), [(1, True), (2, False), (250, False)])
def test_with_a_guard_time_of_0_an_import_is_forgotten_after_two_readings_under_the_level(
        tmp_path: Path, between: int, shed: bool, under_w: float) -> None:
    # Remembered until a shed, one reading of import shed the radiator, inside its min_on_s, at another blip 500 s
    # later. One reading under the level between them keeps it (a hob pulsing), two forget it.
    h = closed_loop(tmp_path, "radiator", evaluate_options="import_guard_time = 0\n")
    house = House(h, base_w=300, pv_w=300 + 1000 + 200)
    for _ in range(3):
        house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 300 + 1000 - 200  # one reading of 200 W import (a kettle's blip)
    house.read()
    house.pv_w = 300 + 1000 - under_w
    for _ in range(between):
        house.read()
    house.pv_w = 300 + 1000 - 200
    house.read()
    assert (h.last(RADIATOR) == "OFF") is shed


def test_with_a_guard_time_of_0_an_import_after_small_imports_is_a_first(tmp_path: Path) -> None:
    # A reading of 50 W import (under the 100 W level) before one of 200 W made that one a second: shed at once.
    h = closed_loop(tmp_path, "radiator", evaluate_options="import_guard_time = 0\n")
    house = House(h, base_w=300, pv_w=300 + 1000 + 200)
    for _ in range(3):
        house.read()
    house.pv_w = 300 + 1000 - 50
    house.read()
    house.pv_w = 300 + 1000 - 200
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.read()  # (its second reading over the level)
    assert h.last(RADIATOR) == "OFF"


def test_a_guard_shed_says_so_in_the_load_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    house.pv_w = 500
    caplog.set_level("INFO")
    for _ in range(3):
        house.read()
    assert h.last(RADIATOR) == "OFF"
    assert "radiator: 1000 W -> 0 W (shed by the import guard)" in caplog.text
    assert "surplus 0 W no longer covers it" not in caplog.text


def test_a_guard_shed_is_told_at_info_with_its_dwell_and_the_guard_s_energy(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A guard shed is the guard doing its job (a cloud, an oven's burst: several a day on serf-east), and was a
    # WARNING whose figures read as measured: "the import over 100 W reached 0.6 Wh" (the setting's 100 W x 20 s).
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(600, 120))
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 500
    caplog.set_level("INFO")
    for _ in range(3):
        house.read()
    assert h.last(RADIATOR) == "OFF"
    assert [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name == "core.controller"] == []
    # And then as "0.56 Wh in all", which still read as the import measured (a bug hunt measured 0.16 to 1.22 Wh for
    # that line): the guard's limit is said as such.
    assert ("radiator: switched off by the import guard 4 s into its 600 s minimum on time: the grid imported over "
            "100 W until the guard's count reached its limit, 0.56 Wh (import_guard 100 W x import_guard_time 20 s)"
            ) in caplog.messages


def test_a_relay_off_for_an_import_says_so_not_that_the_surplus_fell(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # Found by a bug hunt: "towel: 600 W -> 0 W (surplus 597 W no longer covers it)" at a grid importing 1 W, with no
    # variable load to give it back: the hysteresis (100 W) far from reached, the line sent the reader looking for a
    # fall of the surplus that did not happen.
    caplog.set_level(logging.INFO)
    h = closed_loop(tmp_path, "radiator", dwell_s=(0, 0))
    house = House(h, base_w=300, pv_w=300 + 1000 + 30)
    for _ in range(5):
        house.read()
    assert h.load("radiator").is_on
    house.base_w += 32  # 2 W of import
    house.read()
    assert not h.load("radiator").is_on
    assert "radiator: 1000 W -> 0 W (the grid imports, 2 W more than the variable loads can give back)" in caplog.text


def test_a_relay_s_off_line_is_its_own_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Review: the reason was the pass's last one computed, so a relay handed over on at an unforce and switched off
    # because a load before it is held for its full-tank check was said to go off for the relay before it's import.
    from core.relay_pass import RelayPass
    caplog.set_level(logging.INFO)
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(0, 0))
    radiator, small = h.load("radiator"), h.load("small")
    radiator.set_power(1000, 1000.0, "test")
    small.set_power(300, 1000.0, "test")
    small.handed_over = True
    walk = RelayPass(left_w=930.0, keep_total_w=950.0, relays_wait={"small": "measure"})
    h.reg.controller._relays.switch(h.reg.loads, walk, 1300.0, 1100.0)
    assert not radiator.is_on and not small.is_on
    assert "radiator: 1000 W -> 0 W (the grid imports, 50 W more than the variable loads can give back)" in caplog.text
    assert "small: 300 W -> 0 W (a load before it is held at 0 W for its full-tank check)" in caplog.text


@pytest.mark.parametrize("step_s", [3.0, 60.0])
def test_a_step_back_of_the_clock_keeps_the_guard_s_count_of_time(tmp_path: Path, step_s: float) -> None:
    # As the first test, the clock set back (NTP; the daemon tells the core, its steady clock measured the step) between
    # the import's two readings: the second still counts its 2 s (3200 W.s: shed). It counted none of them, and the
    # radiator stayed on a reading longer, importing 800 W.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    house.pv_w = 500
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.now -= step_s
    h.reg.clock_stepped_back(step_s, house.now)
    house.read()
    assert h.last(RADIATOR) == "OFF"
