"""A relay's real watts learned from the house meter's step when it switches (the closed loop): taken from a
clean step, not from one in which the heater moved, nor one shared by two loads switched together, nor an
implausible one. The status and a restart: test_controller_status. The test house: tests/controller_house.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.controller_house import RADIATOR, House, closed_loop, watts
from tests.harness import MODE, NOON, Harness


def test_a_relays_real_watts_are_learned_from_the_step(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=300 + 1500 + 20, radiator_w=1050)
    house.read()  # the radiator on (believed 1000 W), the heater at 500 W
    assert h.last(RADIATOR) == "ON"
    house.read()  # the house meter moved by 1050 W for the radiator
    assert h.load("radiator").learned_power_w is None  # (until the next reading shows the same)
    house.read()
    assert h.load("radiator").learned_power_w == pytest.approx(1050, abs=0.5)
    assert watts(h, "radiator") == pytest.approx(1050, abs=0.5)
    house.read()
    assert watts(h, "ecs") == pytest.approx(450, abs=20)  # the heater gave the 50 W back


def test_a_force_between_a_relays_switch_and_its_reading_is_taken_out_of_the_step(tmp_path: Path) -> None:
    # The heater forced to 220 W between the radiator's switch and the reading that shows it: the house moved by
    # the radiator's 1000 W and the force's 220 W (the heater was at 0 W), and the radiator was learned at 1220 W,
    # as a clean step (a figure kept, and saved)
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=300 + 1000 + 50)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 0
    h.reg.handle(MODE, json.dumps({"command": "force", "name": "ecs", "power": 220, "duration": 60}).encode(),
                 house.now + 0.5)
    house.read()
    house.read()  # (the step confirmed)
    assert h.load("radiator").learned_power_w == pytest.approx(1000, abs=0.5)


class MiscalibratedHeater(House):
    """The heater does not draw what its curve believes: flat at the top (over 1800 W believed, 60 % of each
    watt more: 1920 W at 100 %), as the demo's ECS-02 heater believed on the ECS-04 curve; or `scale` times its
    belief everywhere."""

    def __init__(self, *args: Any, scale: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale

    def real_w(self) -> float:
        believed_w = watts(self.h, "ecs")
        if self.scale is not None:
            real_w = self.scale * believed_w
        else:
            real_w = believed_w if believed_w <= 1800 else 1800 + 0.6 * (believed_w - 1800)
        return super().real_w() - believed_w + real_w


def test_a_step_in_which_the_heater_moved_does_not_pull_a_clean_measure(tmp_path: Path) -> None:
    # The radiator after the heater switches on over the saturated heater, which does not move: a clean step,
    # 1050 W. It goes off as the heater takes its place (1300 -> 2000 W believed, 620 W really drawn): the step
    # says 1050 + 80 W, the heater's calibration error. Learned, it pulled the belief to 1074 W (on serf-east in
    # the demo house, 1107 W for a radiator drawing 1050 W, all afternoon).
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(60, 60))
    house = MiscalibratedHeater(h, base_w=300, pv_w=300 + 1920 + 500, radiator_w=1050)
    house.read()
    house.pv_w += 550
    house.read()  # the radiator on, the heater saturated at 2000 W
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 2000
    house.read()
    house.read()
    assert h.load("radiator").learned_power_w == 1050
    house.pv_w -= 600  # held on by its min_on_s: the heater gives back, to 1300 W
    heater_w = watts(h, "ecs")
    while h.last(RADIATOR) == "ON":
        heater_w = watts(h, "ecs")
        house.read()  # its minimum on time over: off, the heater to 2000 W in the same decision
    assert heater_w == 1300 and watts(h, "ecs") == 2000
    house.read()
    house.read()
    assert h.load("radiator").learned_power_w == 1050


def test_a_clean_measure_replaces_a_figure_learned_while_the_heater_moved(tmp_path: Path) -> None:
    # The radiator before the heater: it switches on as the heater takes the rest (0 -> 500 W believed, drawing
    # 10 % less): 1000 W learned. With nothing else moving (the tank full), its step is 1050 W, taken whole.
    h = closed_loop(tmp_path, "radiator", "ecs", dwell_s=(0, 0))
    house = MiscalibratedHeater(h, base_w=300, pv_w=300 + 1050 + 450 + 20, radiator_w=1050, scale=0.9)
    house.read()
    assert h.last(RADIATOR) == "ON" and watts(h, "ecs") == 500
    house.read()
    house.read()
    assert h.load("radiator").learned_power_w == pytest.approx(1000)
    h.load("ecs").overed = True  # full: out of the regulation
    h.load("ecs").set_power(0, house.now, "full")
    house.read()
    house.pv_w = 300
    house.read()
    assert h.last(RADIATOR) == "OFF"
    house.read()
    house.read()
    assert h.load("radiator").learned_power_w == pytest.approx(1050)


def test_relays_switched_in_one_decision_learn_nothing_from_their_shared_step(tmp_path: Path) -> None:
    # One step of the house for two relays cannot be split: each baseline was taken with the other's belief half
    # switched, and a 1000 W radiator switched on with a 200 W towel dryer was learned at 1200 W.
    h = closed_loop(tmp_path, "small", "radiator")
    house = House(h, base_w=300, pv_w=300 + 300 + 1000 + 30)
    house.read()
    assert h.load("small").is_on and h.load("radiator").is_on  # both in one decision
    house.read()
    assert h.load("radiator").learned_power_w is None and h.load("small").learned_power_w is None
    assert watts(h, "radiator") == 1000 and watts(h, "small") == 300


def test_a_figure_learned_at_the_reading_that_measures_another_relays_step_is_no_part_of_that_step(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The radiator (labelled 1000 W, drawing 1050 W) switches on, the small relay at the next decision: the reading
    # that measures the small relay's step confirms the radiator's and moves its belief by 50 W, a move of the belief
    # alone (the reading the small relay's baseline was taken on held the 1050 W already). Taken out of its step, it
    # was learned at 250 W for 300; the radiator drawing 1300 W, learned so at its third step, made the step 0 W and
    # the log asked whether the small relay drew its watts.
    h = closed_loop(tmp_path, "radiator", "small")
    house = House(h, base_w=300, pv_w=300 + 1000 + 30, radiator_w=1050)
    house.read()
    assert h.last(RADIATOR) == "ON" and not h.load("small").is_on
    house.pv_w += 400
    house.read()  # the radiator's step measured; the small relay on
    assert h.load("small").is_on and h.load("radiator").learned_power_w is None
    with caplog.at_level(logging.DEBUG, logger="core.relay_learning"):
        for _ in range(3):
            house.read()
    assert h.load("radiator").learned_power_w == pytest.approx(1050, abs=0.5)
    assert h.load("small").learned_power_w == pytest.approx(300, abs=0.5)
    assert "small: measured 300 W when switching on; now believed at 300 W" in caplog.text  # (a clean step)
    assert "another load moved" not in caplog.text


def test_a_relay_shed_with_a_load_of_unknown_power_learns_nothing_from_their_shared_step(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "plug", "radiator", dwell_s=(0, 0))
    house = House(h, base_w=300, pv_w=300 + 1000 + 200 + 30, plug_w=200)
    for _ in range(6):  # the plug on alone, measured, then the radiator
        house.read()
    radiator, plug = h.load("radiator"), h.load("plug")
    assert radiator.is_on and plug.is_on and plug.learned_power_w == 200
    learned_w = radiator.learned_power_w
    house.pv_w = 300  # a cloud: both off in one decision
    house.read()
    assert not radiator.is_on and not plug.is_on
    house.read()
    assert radiator.learned_power_w == learned_w  # not 1000 + 200 W pulled 30 % of the way


def test_an_implausible_step_teaches_nothing(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=300 + 1500 + 20, radiator_w=1000)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.base_w += 800  # the kettle went on at the same moment: the house moved by 1800 W
    house.read()
    assert h.load("radiator").learned_power_w is None  # 80 % off the label: not the radiator's step


def test_a_relays_switch_before_a_meter_silence_is_not_measured_across_it(tmp_path: Path) -> None:
    # The radiator switched off, then the house meter fell silent (the regulation suspended); the house changed
    # meanwhile, and the first reading after the silence was taken for the switch's step: learned at 1072 W, saved.
    h = closed_loop(tmp_path, "radiator", dwell_s=(10, 10))
    house = House(h, base_w=300, pv_w=1500)
    radiator = h.load("radiator")
    for _ in range(3):  # on, its step, the step again
        house.read()
    assert radiator.learned_power_w == 1000
    for _ in range(6):
        house.read()
    house.pv_w = 800
    house.read()
    assert not radiator.is_on  # switched off; its step awaited
    house.now += 60
    h.reg.tick(house.now)
    assert h.reg.stale_reason
    house.base_w = 60  # the house changed during the silence
    for _ in range(3):
        house.read()
    assert radiator.learned_power_w == 1000


def _switched(h: Harness, radiator: Any, on: bool, before_w: float, readings_w: tuple[float, ...], at: float) -> None:
    """`radiator` switched to `on` at `at` by a decision made on a house reading of `before_w`; then the house
    readings `readings_w`, 2 s apart, each handed to the relays' learning as a decision's."""
    assert h.reg.controller is not None
    learning = h.reg.controller.learning
    learning.before_switch(radiator, on, before_w, h.reg.loads)
    radiator.set_power(radiator.on_power_w if on else 0.0, at, "test")
    for k, reading_w in enumerate(readings_w):
        learning.observe(h.reg.loads, reading_w, at + 2.0 * (k + 1))


@pytest.mark.parametrize(("real_w", "learned"), [(500.0, True), (2000.0, True), (5000.0, False), (None, False)])
def test_steps_far_from_the_label_that_agree_are_learned_and_said(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                  real_w: float | None, learned: bool) -> None:
    # A step more than 25 % off max_power is taken for the house changing at the same time: a 1000 W label on a relay
    # drawing 500 W (or 2000 W) was never learned, and was switched at 1000 W with a warning at most. Three such steps
    # in a row that agree are its watts, learned and said; steps that do not agree (the house) teach and say nothing;
    # steps that agree five times off the label (5000 W) are not learned (another load's label), but said.
    caplog.set_level(logging.WARNING)
    h = closed_loop(tmp_path, "ecs", "radiator")
    radiator = h.load("radiator")
    house_w = 1000.0
    for i, on in enumerate([True, False, True, False, True, False]):
        step_w = real_w if real_w is not None else (300.0, 1600.0, 2100.0, 450.0, 1900.0, 320.0)[i]
        after_w = house_w + (step_w if on else 0.0)  # (shown by the reading after the switch, and the next)
        _switched(h, radiator, on, house_w + (0.0 if on else step_w), (after_w, after_w), NOON + 10 * i)
        if learned and i == 1:
            assert radiator.learned_power_w is None  # two steps: not yet
    said = [r.getMessage() for r in caplog.records if "set [radiator] max_power" in r.getMessage()]
    if learned:
        assert radiator.learned_power_w == real_w and radiator.learned_off_label
        assert len(said) == 1 and f"moved the house by about {real_w:.0f} W" in said[0]
        assert f"now believed at {real_w:.0f} W" in said[0]
        assert radiator.plausible_learned_range_w() == (0.75 * real_w, 1.25 * real_w)  # later steps judged by it
    else:
        assert radiator.learned_power_w is None and not radiator.learned_off_label
        assert len(said) == (1 if real_w is not None else 0)
        assert all("not learned (over four times: another load's watts? If it really draws about 5000 W" in message
                   for message in said)


def test_a_relay_drawing_a_quarter_over_its_label_is_learned_once(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    # A radiator drawing 1.25 times its label, give or take 15 W: three steps over 1250 W were learned off the label
    # (1254 W), smoothing took the figure under 1250 W, judged by the label again, and the next three over it were
    # learned off the label again, a warning each time (10 in 100 switches). Once off its label, a figure is judged
    # by itself until back within a fifth of the label.
    caplog.set_level(logging.WARNING)
    h = closed_loop(tmp_path, "ecs", "radiator")
    radiator = h.load("radiator")
    house_w = 1000.0
    for i in range(200):
        on = i % 2 == 0
        step_w = 1250.0 + (-15.0, 5.0, 15.0, 8.0, -5.0, 10.0, 12.0, -10.0)[i % 8]
        after_w = house_w + (step_w if on else 0.0)
        _switched(h, radiator, on, house_w + (0.0 if on else step_w), (after_w, after_w), NOON + 10 * i)
    said = [r.getMessage() for r in caplog.records if "now believed at" in r.getMessage()]
    assert len(said) == 1
    assert radiator.learned_off_label and radiator.learned_power_w == pytest.approx(1250, abs=15)


def _radiator_after_heater(tmp_path: Path, heater_w: float, at: float) -> tuple[Harness, Any, Any, Any]:
    """The closed loop with the heater, then the radiator; the heater commanded to `heater_w` at `at`. Returns the
    harness, the radiator, the heater and the relays' learning."""
    h = closed_loop(tmp_path, "ecs", "radiator")
    radiator, heater = h.load("radiator"), h.load("ecs")
    assert h.reg.controller is not None
    heater.set_power(heater_w, at, "test")
    return h, radiator, heater, h.reg.controller.learning


def _switched_on_cleanly(h: Harness, radiator: Any, house_w: Callable[[], float], at: float) -> None:
    """`radiator` switched on at `at`, nothing else moving, the house at `house_w()` before and at the two readings
    after it: a clean step, learned."""
    assert h.reg.controller is not None
    learning = h.reg.controller.learning
    learning.before_switch(radiator, True, house_w(), h.reg.loads)
    radiator.set_power(radiator.on_power_w, at, "test")
    for later_s in (2.0, 4.0):
        learning.observe(h.reg.loads, house_w(), at + later_s)


def test_a_relay_with_a_clean_figure_learns_its_new_watts_though_the_loop_answers_each_switch(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A radiator learned at 1000 W from a clean step, its knob then turned to 2000 W: each switch, clean, shows
    # 1000 W more than believed, and the loop answers it at the next decision (the heater moves by it). Judging the
    # step's cleanness at the confirming reading took the loop's answer for a move of another load: never learned,
    # with a warning to check the heater's calibration, though nothing was switched with it.
    caplog.set_level(logging.WARNING)
    h, radiator, heater, learning = _radiator_after_heater(tmp_path, 1500.0, NOON - 30)
    real_w = [1000.0]

    def house_w() -> float:  # 1000 W of house, a calibrated heater
        return 1000.0 + heater.current_power_w + (real_w[0] if radiator.is_on else 0.0)

    _switched_on_cleanly(h, radiator, house_w, NOON - 20)
    assert radiator.learned_power_w == 1000
    real_w[0] = 2000.0
    for i, on in enumerate([False, True, False, True, False, True]):
        learning.before_switch(radiator, on, house_w(), h.reg.loads)
        radiator.set_power(radiator.on_power_w if on else 0.0, NOON + 10 * i, "test")  # nothing else moves
        learning.observe(h.reg.loads, house_w(), NOON + 10 * i + 2)  # the whole 2000 W step
        if radiator.learned_power_w == 1000:  # the loop answers the 1000 W it did not expect
            heater.set_power(heater.current_power_w + (-1000.0 if on else 1000.0), NOON + 10 * i + 2, "test")
        learning.observe(h.reg.loads, house_w(), NOON + 10 * i + 4)  # the same step
    assert radiator.learned_power_w == 2000
    assert not any("check the calibration" in r.getMessage() for r in caplog.records)


def test_a_figure_off_the_label_stays_within_what_a_restart_restores(tmp_path: Path) -> None:
    # Learned off its label at 3900 W (1000 W label), then smoothed by steps of 4100 W, each within a quarter of the
    # figure: 4094 W, over four times the label, refused at the restart, and its steps then never learned again.
    h = closed_loop(tmp_path, "ecs", "radiator")
    radiator = h.load("radiator")
    house_w = 1000.0
    for i in range(13):
        on = i % 2 == 0
        step_w = 3900.0 if i < 3 else 4100.0
        after_w = house_w + (step_w if on else 0.0)
        _switched(h, radiator, on, house_w + (0.0 if on else step_w), (after_w, after_w), NOON + 10 * i)
        if i == 2:
            assert radiator.learned_power_w == 3900
    assert radiator.learned_power_w == 4000 and radiator.learned_off_label
    again = closed_loop(tmp_path, "ecs", "radiator")
    assert again.reg.restore(h.reg.status(NOON + 200), NOON + 260) == []
    assert again.load("radiator").learned_power_w == 4000


@pytest.mark.parametrize("real_w", [1050.0, 1600.0])
def test_a_lagging_meters_partial_steps_are_not_learned(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                        real_w: float) -> None:
    # A house meter that averages over the switch shows half of a 1050 W radiator's step at the first reading after
    # it, the rest at the next, the same every time: three steps of 525 W agreed, and the radiator was learned at
    # 525 W, saved, and switched on short of its watts, shed by the guard again and again (a replay of Payerne 06-29
    # with meter_lag_s = 0.5: 18 switches and 6 guard sheds for 6 and none). A 1600 W one's half step, 800 W, within
    # its 1000 W label's quarter, was learned at once. The next reading must show the same step.
    caplog.set_level(logging.DEBUG, logger="core.relay_learning")
    h = closed_loop(tmp_path, "ecs", "radiator")
    radiator = h.load("radiator")
    house_w = 1000.0
    for i, on in enumerate([True, False, True, False, True, False]):
        before_w, after_w = (house_w, house_w + real_w) if on else (house_w + real_w, house_w)
        _switched(h, radiator, on, before_w, ((before_w + after_w) / 2, after_w), NOON + 10 * i)  # half, the rest
    assert radiator.learned_power_w is None
    assert f"a step of {real_w / 2:.0f} W at the first reading after its switch, {real_w:.0f} W at the next" \
        in caplog.text
    assert "now believed" not in caplog.text


def test_a_relay_switched_between_a_step_and_its_confirmation_is_taken_out_by_its_belief(tmp_path: Path) -> None:
    # The radiator (1050 W) switched on; at the next decision a 300 W relay switched on too: its step is in the
    # confirming reading, taken out by its belief, and the radiator's step still confirmed (it waited for its next
    # switch, when it was not taken out).
    h = closed_loop(tmp_path, "ecs", "radiator", "small")
    radiator, small = h.load("radiator"), h.load("small")
    assert h.reg.controller is not None
    learning = h.reg.controller.learning
    house_w = 1000.0
    learning.before_switch(radiator, True, house_w, h.reg.loads)
    radiator.set_power(1000.0, NOON, "test")
    learning.observe(h.reg.loads, house_w + 1050.0, NOON + 2)
    learning.before_switch(small, True, house_w + 1050.0, h.reg.loads)
    small.set_power(300.0, NOON + 2, "test")
    learning.observe(h.reg.loads, house_w + 1050.0 + 300.0, NOON + 4)
    assert radiator.learned_power_w == 1050


def test_agreeing_steps_far_from_the_label_in_which_the_heater_moved_do_not_undo_a_clean_figure(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # At each hand-over the heater moves by the relay's watts, and its calibration's error is in the step, the same
    # every time: a heater drawing 1.5 times its curve makes a 1000 W radiator's steps agree at 500 W. A relay with a
    # figure from a clean step (nothing else moved) learns nothing from them, as within a quarter of its label:
    # said, not learned.
    caplog.set_level(logging.WARNING)
    h, radiator, heater, learning = _radiator_after_heater(tmp_path, 500.0, NOON - 20)

    def house_w() -> float:  # 1000 W of house, the heater drawing 1.5 times its belief, the radiator 1000 W
        return 1000.0 + 1.5 * heater.current_power_w + (1000.0 if radiator.is_on else 0.0)

    _switched_on_cleanly(h, radiator, house_w, NOON - 10)  # the heater stays at 500 W
    assert radiator.learned_power_w == 1000
    for i, on in enumerate([False, True, False]):
        learning.before_switch(radiator, on, house_w(), h.reg.loads)
        heater.set_power(500.0 if on else 1500.0, NOON + 10 * i, "test")  # the hand-over: 1000 W believed
        radiator.set_power(1000.0 if on else 0.0, NOON + 10 * i, "test")
        for later_s in (2, 4):  # a step of 500 W (1000 less 1500 + 1000), shown by two readings
            learning.observe(h.reg.loads, house_w(), NOON + 10 * i + later_s)
    said = [r.getMessage() for r in caplog.records if "moved the house by about" in r.getMessage()]
    assert radiator.learned_power_w == 1000
    assert len(said) == 1 and "another load moved in some of them" in said[0]
    assert "its figure, 1000 W, comes from a step in which nothing else moved: check the calibration of the load that "\
           "moved (a heater's curve)" in said[0]
    assert "max_power =" not in said[0]  # (500 W would be the wrong label to set)


def test_a_mislabelled_relay_before_the_heater_learns_its_watts_from_its_hand_overs(tmp_path: Path) -> None:
    # A 1000 W label on a 1300 W radiator before the heater, 1200 W of surplus: at each switch the heater moved by the
    # label (the hand-over), so no step was clean and none taught it; it came on over and over, held on its min_on_s
    # importing 100 W with the heater at 0 W: 19 switches and 168 Wh of import in two hours. A relay without a clean
    # figure learns from a step in which the heater moved, as within a quarter of its label: after three agreeing
    # ones, 1300 W, and it stays off, the heater taking the surplus.
    h = closed_loop(tmp_path, "radiator", "ecs")
    house = House(h, base_w=300, pv_w=300 + 1200, radiator_w=1300)
    switches = _switches(h, house, 1800)  # an hour
    assert h.load("radiator").learned_power_w == 1300 and switches == 4
    assert _switches(h, house, 1800) == 0 and watts(h, "ecs") == pytest.approx(1180, abs=20)


def _switches(h: Harness, house: House, readings: int) -> int:
    """How many times the radiator switched over `readings` readings of `house`."""
    switches, was_on = 0, h.load("radiator").is_on
    for _ in range(readings):
        house.read()
        switches += h.load("radiator").is_on != was_on
        was_on = h.load("radiator").is_on
    return switches


def test_a_relay_drawing_twice_its_label_stops_being_switched_on_short_of_its_watts(tmp_path: Path) -> None:
    # A 1000 W label on a 2000 W radiator, 1300 W of surplus: switched on at 1000 W believed, the house imported
    # 700 W, the guard shed it, and it was tried again after its back-off, 11 switches in an hour. Its three agreeing
    # steps (on, off, on) teach it 2000 W: switched off, it stays off.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 60))
    house = House(h, base_w=300, pv_w=300 + 1300, radiator_w=2000)
    switches = _switches(h, house, 450)  # a quarter of an hour
    assert h.load("radiator").learned_power_w == 2000 and switches == 4
    assert _switches(h, house, 1350) == 0 and not h.load("radiator").is_on


def test_a_relay_drawing_half_its_label_is_switched_on_with_its_own_watts_of_surplus(tmp_path: Path) -> None:
    # A 1000 W label on a 500 W radiator: switched on at 1000 W of surplus believed, never with 600 W. On with
    # 1300 W of surplus, off under 500 W, on again (dwell 60 s): three agreeing steps teach it 500 W, and then
    # 600 W of surplus switches it on.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 60))
    house = House(h, base_w=300, pv_w=300, radiator_w=500)
    for surplus_w in (1300, 100):
        house.pv_w = 300 + surplus_w
        assert _switches(h, house, 60) == 1
    assert h.load("radiator").learned_power_w is None  # two steps so far
    house.pv_w = 300 + 1300
    assert _switches(h, house, 60) == 1
    assert h.load("radiator").learned_power_w == 500
    house.pv_w = 300 + 100
    assert _switches(h, house, 60) == 1
    house.pv_w = 300 + 600
    assert _switches(h, house, 60) == 1 and h.load("radiator").is_on


def _kettle_at_the_switch_on(tmp_path: Path) -> tuple[Harness, House]:
    """A 1000 W radiator, alone, switched on under 1100 W of surplus as an appliance of 240 W starts at the same
    reading and stays on: its step, 1240 W, is learned."""
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 30))
    house = House(h, base_w=300, pv_w=1100)
    for _ in range(3):
        house.read()
    house.pv_w = 1400
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.base_w = 540  # (the kettle)
    for _ in range(3):
        house.read()
    radiator = h.load("radiator")
    assert radiator.learned_power_w == 1240 and radiator.learned_provisional
    return h, house


def test_a_figure_from_one_step_is_replaced_whole_by_the_next_clean_step_that_disagrees(tmp_path: Path) -> None:
    # A kettle starting at the radiator's switch on taught it 1240 W; the clean step of its switch off, 1000 W, took
    # only 30 % of the way back (1168 W), and the radiator stayed off under any surplus short of that.
    h, house = _kettle_at_the_switch_on(tmp_path)
    house.pv_w = 540 + 1000 - 200  # the surplus falls: the radiator off, after its min_on_s
    house.read_until(RADIATOR, "OFF", 60)
    assert h.last(RADIATOR) == "OFF"
    for _ in range(3):
        house.read()
    radiator = h.load("radiator")
    assert radiator.learned_power_w == 1000 and radiator.learned_provisional  # (one step again: to be confirmed)
    house.pv_w = 540 + 1150
    house.read_until(RADIATOR, "ON", 60)
    assert h.last(RADIATOR) == "ON"
    for _ in range(3):
        house.read()
    assert radiator.learned_power_w == 1000 and not radiator.learned_provisional  # (two steps agree)


def test_a_provisional_figure_above_the_label_is_saved_and_does_not_keep_the_relay_off(tmp_path: Path) -> None:
    # Saved at 1240 W and restored, the figure kept the radiator off under 1150 W of surplus, with no switch to
    # measure it again: until the next step confirms it, its label covers it.
    h, house = _kettle_at_the_switch_on(tmp_path)
    document = h.reg.status(house.now)
    entry = next(e for e in document["equipments"] if e["name"] == "radiator")
    assert entry["learned_power"] == 1240 and entry["learned_provisional"] is True
    again = Harness(h.config)
    assert again.reg.restore(json.loads(json.dumps(document)), house.now + 60) == []
    radiator = again.load("radiator")
    assert radiator.learned_power_w == 1240 and radiator.learned_provisional
    later = House(again, base_w=300, pv_w=300 + 1150)
    later.now = house.now + 60
    later.read_until(RADIATOR, "ON", 30)  # (after its min_off_s: restored on, it was cut at the start)
    assert again.last(RADIATOR) == "ON"
    for _ in range(3):
        later.read()
    assert radiator.learned_power_w == 1000  # its real step


def test_a_figure_confirmed_by_a_second_step_is_the_cover_again(tmp_path: Path) -> None:
    # A radiator really drawing 1240 W for its 1000 W label: two steps agree, the figure is confirmed, and a surplus
    # short of it no longer switches it on (its label did, while the figure rested on one step).
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 30))
    house = House(h, base_w=300, pv_w=300 + 1300, radiator_w=1240)
    house.read_until(RADIATOR, "ON", 5)
    for _ in range(3):
        house.read()
    radiator = h.load("radiator")
    assert radiator.learned_power_w == 1240 and radiator.learned_provisional
    house.pv_w = 300 + 1000
    house.read_until(RADIATOR, "OFF", 60)
    for _ in range(3):
        house.read()
    assert radiator.learned_power_w == 1240 and not radiator.learned_provisional
    assert "learned_provisional" not in next(e for e in h.reg.status(house.now)["equipments"]
                                             if e["name"] == "radiator")
    house.pv_w = 300 + 1150
    for _ in range(60):
        house.read()
    assert h.last(RADIATOR) == "OFF"


def test_a_step_in_which_the_heater_moved_confirms_or_corrects_a_figure_from_one_clean_step(tmp_path: Path) -> None:
    # The relay before the heater: each of its switches moves the heater, and such a step taught a relay with a clean
    # figure nothing, so a clean step that a kettle made stood for good. A provisional figure takes from them: one
    # that agrees confirms it, one that does not moves it by the usual 30 %.
    h, radiator, heater, learning = _radiator_after_heater(tmp_path, 0.0, NOON)
    base_w = 300.0
    _switched_on_cleanly(h, radiator, lambda: base_w + (radiator.on_power_w if radiator.is_on else 0.0)
                         + (240.0 if radiator.is_on else 0.0), NOON + 10)
    assert radiator.learned_power_w == 1240 and radiator.learned_provisional
    # Off, the heater rising by 1240 W believed in the same decision (its own 1000 W step and the heater's 1240 W).
    house_w = base_w + 240.0 + 1000.0
    learning.before_switch(radiator, False, house_w, h.reg.loads)
    radiator.set_power(0.0, NOON + 100, "test")
    heater.set_power(1240.0, NOON + 100, "test")
    for later_s in (2.0, 4.0):
        learning.observe(h.reg.loads, base_w + 240.0 + 1240.0, NOON + 100 + later_s)
    assert radiator.learned_power_w == pytest.approx(1240 + 0.3 * (1000 - 1240))
    assert radiator.learned_provisional


def test_a_figure_restored_off_the_label_is_confirmed_by_a_clean_step_that_agrees(tmp_path: Path) -> None:
    # A 2000 W radiator on a 1000 W label, learned off it and restored: the first clean step since the start, which
    # agreed, made it provisional, and its cover fell to the label: switched on under 1300 W of surplus, 700 W imported
    # (a review's find). It is confirmed, and a figure off the label is never covered by the label.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 60))
    house = House(h, base_w=300, pv_w=300 + 1300, radiator_w=2000)
    _switches(h, house, 450)
    assert h.load("radiator").learned_off_label
    again = Harness(h.config)
    assert again.reg.restore(json.loads(json.dumps(h.reg.status(house.now))), house.now + 60) == []
    radiator = again.load("radiator")
    later = House(again, base_w=300, pv_w=300 + 2300, radiator_w=2000)
    later.now = house.now + 60
    later.read_until(RADIATOR, "ON", 60)
    for _ in range(3):
        later.read()
    assert radiator.learned_power_w == 2000 and not radiator.learned_provisional and radiator.cover_w == 2000
    radiator.learned_at(2000, True, provisional=True)  # (one step, not confirmed: still not the label's)
    assert radiator.cover_w == 2000


def test_a_relay_is_switched_on_by_its_label_until_a_step_is_measured_under_its_figure(tmp_path: Path) -> None:
    # A radiator whose steps never confirm its figure (a heater's calibration error in each, out of the label's
    # quarter) was switched on by its label whenever the surplus covered that, and shed over and over (50 switches in
    # 3 h against 40). The label covers it until a step is measured under the figure; a step lost (the house moving at
    # its confirmation) leaves it covering (a review's find: used up at the switch, the figure kept it off for good).
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 60))
    radiator = h.load("radiator")
    radiator.learned_at(1240.0, False, provisional=True)  # (as restored from one step)
    assert radiator.cover_w == 1000
    house = House(h, base_w=300, pv_w=300 + 1100, radiator_w=1600)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.base_w += 400  # the house moves at the step's confirmation: nothing measured
    house.read()
    house.base_w -= 400
    assert not radiator.label_tried and radiator.cover_w == 1000
    house.pv_w = 300 + 500
    house.read_until(RADIATOR, "OFF", 60)
    for _ in range(3):
        house.read()  # its switch off measured: 1600 W, out of the label's quarter (not learned, counted off-label)
    assert radiator.learned_power_w == 1240 and radiator.learned_provisional and radiator.label_tried
    assert radiator.cover_w == 1240
    house.pv_w = 300 + 1100
    assert _switches(h, house, 200) == 0


class _LaggingHouse(House):
    """A house meter that shows half of the radiator's step at the first reading after it switched."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._was_on = False

    def real_w(self) -> float:
        total = super().real_w()
        on = self.h.load("radiator").is_on
        if on != self._was_on:
            total += (-0.5 if on else 0.5) * self.radiator_w
        self._was_on = on
        return total


def test_a_guard_shed_under_the_labels_cover_ends_it(tmp_path: Path) -> None:
    # A provisional 1240 W figure whose steps are always lost (a meter that lags: each confirmation disagrees): the
    # label covered it for good, and the radiator, really drawing 1240 W, was switched on under 1100 W of surplus and
    # shed by the guard 18 times in 3 hours (a review's find). The guard's shed is the import its figure foretold.
    h = closed_loop(tmp_path, "radiator", dwell_s=(60, 60))
    radiator = h.load("radiator")
    radiator.learned_at(1240.0, False, provisional=True)
    house = _LaggingHouse(h, base_w=300, pv_w=300 + 1100, radiator_w=1240)
    switched_on, was_on = 0, False
    for _ in range(3 * 1800):
        house.read()
        switched_on += radiator.is_on and not was_on
        was_on = radiator.is_on
    assert switched_on == 1 and radiator.label_tried and radiator.cover_w == 1240
    # Saved so: a restart gave the label's cover back, one more switch on short of its figure (and the guard's shed)
    # at each start.
    document = json.loads(json.dumps(h.reg.status(house.now)))
    assert next(e for e in document["equipments"] if e["name"] == "radiator")["learned_label_tried"] is True
    again = Harness(h.config)
    assert again.reg.restore(document, house.now + 60) == []
    restored = again.load("radiator")
    assert restored.learned_provisional and restored.label_tried and restored.cover_w == 1240


def test_a_figure_that_does_not_move_is_said_at_debug_only(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Found by a bug hunt: a third of a day's INFO lines were "towel: measured 600 W when switching on; now believed at
    # 600 W", the same figure again at each switch.
    import logging
    caplog.set_level(logging.DEBUG, logger="core.relay_learning")
    from core.relay_learning import RelayLearning
    learning = RelayLearning()
    h = closed_loop(tmp_path, "radiator")
    radiator = h.load("radiator")
    learning._learn(radiator, 1050.0, clean=True, on=True, now=NOON)  # (a figure from one step, to confirm)
    learning._learn(radiator, 1052.0, clean=True, on=False, now=NOON + 60)  # (confirmed)
    learning._learn(radiator, 1055.0, clean=True, on=True, now=NOON + 120)  # (moved by under 10 W)
    learning._learn(radiator, 1200.0, clean=True, on=False, now=NOON + 180)  # (moved by 45 W)
    said = [(r.levelno, r.getMessage()) for r in caplog.records if "now believed at" in r.getMessage()]
    assert [level for level, _ in said] == [logging.INFO, logging.INFO, logging.DEBUG, logging.INFO], said


def test_a_switch_that_does_not_move_the_house_is_said(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Found by a bug hunt: a radiator whose own thermostat had cut was believed on at 1000 W for hours (its energy and
    # the day's report with it), and its switch off, which moved the house by 2 W, was said at DEBUG only.
    caplog.set_level(logging.INFO)
    from core.relay_learning import RelayLearning
    learning = RelayLearning()
    h = closed_loop(tmp_path, "radiator")
    learning._learn(h.load("radiator"), 2.0, clean=True, on=False, now=NOON)
    assert "radiator: switching off moved the house by 2 W only: did it draw its 1000 W? (its own thermostat cut, " \
           "or the house moved at that reading)" in caplog.text
