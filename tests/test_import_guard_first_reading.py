"""The import guard at the first reading of an import (core/controller.py, `_guard_due`): it counts what the
variable loads cannot give back, but sheds nothing on its own. The same test house as tests/test_controller.py:
a 1000 W radiator, then a 300 W relay (`small`); an export setpoint of 20 W; the guard 100 W for 20 s."""

from __future__ import annotations

from pathlib import Path

from tests.test_controller import RADIATOR, SMALL, House, closed_loop


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
    h = closed_loop(tmp_path, "radiator")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 300 + 1000 - 300
    house.read(dt_s=8.0)
    assert h.last(RADIATOR) == "ON"
    house.read()
    assert h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 1
