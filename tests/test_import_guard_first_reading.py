"""The import guard at the first reading of an import (core/import_guard.py, `ImportGuard.due`): it counts what the
variable loads cannot give back, but sheds nothing on its own. The test house of tests/controller_house.py:
a 1000 W radiator, then a 300 W relay (`small`); an export setpoint of 20 W; the guard 100 W for 20 s."""

from __future__ import annotations

from pathlib import Path

from tests.controller_house import RADIATOR, SMALL, House, closed_loop, watts


def the_radiator_alone_on(tmp_path: Path) -> House:
    """The radiator alone, on with 20 W exported, held by its 600 s of min_on_s; nothing to give back."""
    h = closed_loop(tmp_path, "radiator")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    return house


def test_a_relay_going_off_anyway_answers_the_first_reading_and_none_is_shed(tmp_path: Path) -> None:
    # The radiator free to switch (min_on_s 0), the small relay held by its 600 s: 1080 W of import, 2160 W.s
    # at once. The rule switches the radiator off at this decision, which leaves 80 W: the guard, which
    # would have shed the small relay too (220 W exported then), waits for the next reading.
    h = closed_loop(tmp_path, "radiator", "small", relay_options={"radiator": "min_on_s = 0\n"})
    house = House(h, base_w=300, pv_w=300 + 1300 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "1"
    house.pv_w = 300 + 1300 - 1080
    house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "1"
    house.read()  # 80 W of import: under the guard's level
    assert h.last(SMALL) == "1"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 0


def test_an_import_first_seen_after_lost_readings_is_shed_a_reading_later(tmp_path: Path) -> None:
    # 300 W of import first seen 8 s after the last reading: when it began in those 8 s is unknown, so that
    # reading sheds nothing (2400 W.s, kept at the guard's 2000); the next one does.
    house = the_radiator_alone_on(tmp_path)
    h = house.h
    house.pv_w = 300 + 1000 - 300
    house.read(dt_s=8.0)
    assert h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 1


def test_an_import_alternating_with_an_export_keeps_its_count_and_is_shed(tmp_path: Path) -> None:
    # The radiator alone, held on by its 600 s, nothing to give back; a hob pulsing: 800 W of import, then
    # 0 W, in turn. Each import after the 0 W reading is the first of an import, but the count it finds (the
    # last import's, less 200 W.s) is not empty: it adds up and sheds, as a dip to 80 W does.
    house = the_radiator_alone_on(tmp_path)
    h = house.h
    house.base_w = 300 + 820
    house.read()  # 1600 W.s: the first reading, no shed
    house.base_w = 300 + 20
    house.read()  # 0 W: 1400 W.s
    assert h.last(RADIATOR) == "ON"
    house.base_w = 300 + 820
    house.read()  # 3000 W.s (2000 kept): shed
    assert h.last(RADIATOR) == "OFF"


def test_a_step_after_a_small_import_counts_only_what_the_heater_cannot_give_back(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=300 + 1000 + 1000 + 20)
    house.read()
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 1000
    house.base_w += 70  # 50 W of import: under the guard's level
    house.read()
    assert watts(h, "ecs") == 920  # (whole percents of 20 W)
    house.base_w += 1200  # 1170 W of import: the heater gives back its 920 W, 250 W count (500 W.s)
    house.read()
    house.read()  # the heater at 0 W, 250 W of import: 1000 W.s, short of the guard's 2000
    assert watts(h, "ecs") == 0 and h.last(RADIATOR) == "ON"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 0


def the_radiator_on_for_two_readings(tmp_path: Path, *loads: str) -> House:
    """`loads` (the radiator first), the radiator on with 20 W exported, read twice: the readings' pace is known, as
    it is all day long."""
    h = closed_loop(tmp_path, *loads)
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    house.read()
    assert h.last(RADIATOR) == "ON"
    return house


def test_a_first_reading_that_fills_the_count_still_waits_for_the_next(tmp_path: Path) -> None:
    # 1100 W of import nothing answers: 2200 W.s at its first reading, a whole count. One reading may be a burst over
    # at the next (a false shed rests the relay its min_off_s with its watts exported: 33 Wh for 1 kW, where waiting
    # a reading imports 0.6 Wh), and with meters 8 s apart a 300 W blip would fill the count too: the next reading
    # sheds.
    house = the_radiator_on_for_two_readings(tmp_path, "radiator")
    h = house.h
    house.base_w = 300 + 1120
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(RADIATOR) == "OFF"


def test_the_guard_sheds_the_lowest_relay_whose_watts_end_the_import(tmp_path: Path) -> None:
    # The radiator (1000 W) and the small relay (300 W) both held: 900 W of import. The small relay shed first left
    # 600 W of import and the radiator was shed a reading later anyway, the small relay resting its min_off_s where it
    # fitted; the radiator alone ends it, and the small relay stays on.
    house = the_radiator_on_for_two_readings(tmp_path, "radiator", "small")
    h = house.h
    house.pv_w += 300
    house.read()
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "1"
    house.base_w += 920  # 900 W of import: 1800 W.s, short of the count at the first reading
    house.read()
    assert h.last(RADIATOR) == "ON" and h.last(SMALL) == "1"
    house.read()
    assert h.last(RADIATOR) == "OFF" and h.last(SMALL) == "1"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"radiator": 1}
    house.read()  # 100 W exported: nothing more to shed
    assert h.last(SMALL) == "1" and h.reg.controller.guard_sheds_by == {"radiator": 1}
