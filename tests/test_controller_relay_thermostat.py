"""A relay whose own thermostat had cut when it switched on (its step did not move the house): its believed watts are
no other relay's at the decision that would take them, as they may be none (core.relay_learning.draw_doubted). The
test house: tests/controller_house.py (relays only here, their dwell 0 s, so that each case shows the rule)."""

from __future__ import annotations

from pathlib import Path

from tests.controller_house import RADIATOR, SMALL, House, closed_loop


class Thermostats(House):
    """The test house, with relays whose own thermostat has cut (`cut`): on, they draw nothing."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.cut: set[str] = set()

    def real_w(self) -> float:
        total = super().real_w()
        for load in self.h.reg.loads:
            if load.name in self.cut and load.is_on:
                total -= self.radiator_w if load.name == "radiator" else 300.0
        return total


def test_a_relay_before_one_on_without_a_step_does_not_switch_on_over_its_watts(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(0, 0))
    house = Thermostats(h, base_w=300, pv_w=300 + 400)
    house.cut.add("small")  # its thermostat has cut: on, it draws nothing
    house.read()
    assert (h.last(RADIATOR), h.last(SMALL)) == ("OFF", "1")
    house.read()
    house.read()  # (its step, none, measured then confirmed)
    assert h.reg.controller.learning.draw_doubted("small")
    # 850 W exported for real: with the small relay's believed 300 W, enough for the radiator, which came on for them
    # as the small relay went off, and the house imported the 150 W the small relay never drew
    house.pv_w = 300 + 850
    for _ in range(5):
        house.read()
        assert (h.last(RADIATOR), h.last(SMALL)) == ("OFF", "1")
    house.pv_w = 300 + 1050  # the export alone covers the radiator: on, beside the small relay
    house.read()
    assert (h.last(RADIATOR), h.last(SMALL)) == ("ON", "1")
    assert house.base_w + house.real_w() <= house.pv_w  # (no import)


def test_a_relay_on_without_a_step_switched_off_frees_nothing_for_the_relays_after_it_at_that_decision(
        tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(0, 0))
    house = Thermostats(h, base_w=300, pv_w=300 + 1050)
    house.cut.add("radiator")
    house.read()
    assert (h.last(RADIATOR), h.last(SMALL)) == ("ON", "0")
    house.read()
    house.read()  # (no step: the radiator's draw is in doubt; the small relay on, on the export)
    assert h.reg.controller.learning.draw_doubted("radiator") and h.last(SMALL) == "1"
    house.base_w += 1000  # the house rises: the small relay off (the lowest), 50 W exported after it
    house.read()
    house.read()
    assert (h.last(RADIATOR), h.last(SMALL)) == ("ON", "0")
    # The house rises by 100 W more: the grid imports 50 W, the radiator goes off (nothing gives it back). Its
    # believed 1000 W are not the small relay's to switch on over: they were none, and it came on into a 350 W import
    house.base_w += 100
    house.read()
    assert (h.last(RADIATOR), h.last(SMALL)) == ("OFF", "0")
    house.read()  # the next reading: the radiator's off freed nothing, 50 W imported, the small relay still off
    assert (h.last(RADIATOR), h.last(SMALL)) == ("OFF", "0")
    house.base_w -= 400  # 350 W exported: the small relay on
    house.read()
    assert h.last(SMALL) == "1"


def test_a_step_seen_again_clears_the_doubt(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "small", dwell_s=(0, 0))
    house = Thermostats(h, base_w=300, pv_w=300 + 400)
    house.cut.add("small")
    for _ in range(3):
        house.read()
    assert h.reg.controller.learning.draw_doubted("small")
    house.cut.clear()  # its thermostat closes: the house moves by 300 W, with no switch
    house.pv_w = 300 + 100  # the surplus falls: the small relay off (a step of 300 W, its own)
    house.read()
    assert h.last(SMALL) == "0" and not h.reg.controller.learning.draw_doubted("small")
