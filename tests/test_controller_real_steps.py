"""A heater whose real whole-percent steps are not its calibration's: each step learned from the house meter as the
sigma-delta dithers over it (core/percent_steps.py), the meters' noise and an appliance's step left out, and the
bound on the upper percent judged on the learned step (core/continuous_share.py). The test heater is linear: 20 W a
percent (tests/controller_house.py)."""

from __future__ import annotations

import dataclasses
import logging
import random
from pathlib import Path

import pytest

from core.continuous_share import LEARNED_STEP_SLACK_W
from core.percent_steps import PercentSteps
from equipments.variable import VariableEquipment
from tests.configs import reading
from tests.controller_house import House, closed_loop, watts
from tests.harness import CONS, NOON, PROD, Harness

ECS_03 = Path(__file__).resolve().parent.parent / "calibration" / "power_calibration_ECS-03.csv"


def _move(steps: PercentSteps, ecs: VariableEquipment, percent: int, now: float) -> None:
    """The test heater (20 W a percent) sent to `percent` at a decision, its move told as the loop's share tells it."""
    from_percent, from_w = ecs.sent_percent, ecs.current_power_w
    ecs.set_power(20.0 * percent, now, "test")
    steps.moved(ecs, from_percent, from_w)


def _dither(steps: PercentSteps, h, percents: list[int], real_w, house_w: list[float]) -> None:  # type: ignore[no-untyped-def]
    """Decisions every 2 s, each commanding the next of `percents`; the house reading at each shows the percent the
    decision before it sent (the decision gate's evidence), drawn as `real_w(percent)`, plus `house_w` at that
    reading."""
    ecs, now = h.load("ecs"), NOON
    ecs.set_power(20.0 * percents[0], now, "test")
    for percent, house in zip(percents[1:], house_w, strict=True):
        now += 2.0
        shown = round(ecs.current_power_w / 20.0)
        steps.observe([ecs], 300.0 + real_w(shown) + house, now)
        _move(steps, ecs, percent, now)
        steps.commanded([ecs])
    steps.observe([ecs], 300.0 + real_w(round(ecs.current_power_w / 20.0)), now + 2.0)


def test_a_step_the_calibration_gets_wrong_is_learned_from_the_dithering(tmp_path: Path) -> None:
    # 50 % -> 51 % really draws 80 W more, where the curve believes 20 W: learned once two moves over it were seen.
    h = closed_loop(tmp_path, "ecs")
    ecs, steps = h.load("ecs"), PercentSteps()
    real = {50: 1000.0, 51: 1080.0}
    _dither(steps, h, [50, 51], real.__getitem__, [0.0])
    assert steps.step_w(ecs, 50) == 20.0  # (one sample: the calibration still)
    steps = PercentSteps()
    _dither(steps, h, [50, 51, 50, 51, 50], real.__getitem__, [0.0] * 4)
    assert steps.step_w(ecs, 50) == pytest.approx(80.0)
    assert steps.error_w(ecs, 50, 51) == pytest.approx(60.0)  # 60 W more than believed going up...
    assert steps.error_w(ecs, 51, 50) == pytest.approx(-60.0)  # ...and 60 W less drawn going down
    assert steps.error_w(ecs, 49, 52) == pytest.approx(60.0)  # (the steps not learned: as believed)
    assert steps.step_w(ecs, 49) == 20.0


def test_a_calibration_far_off_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 80 W learned where 20 W are believed: said once a run, with what to do; a step 30 W off is not said.
    caplog.set_level(logging.INFO, logger="core.controller")
    h = closed_loop(tmp_path, "ecs")
    steps = PercentSteps()
    _dither(steps, h, [50, 51, 50, 51, 50], lambda p: 20.0 * p + (30.0 if p >= 51 else 0.0), [0.0] * 4)
    assert "draws" not in caplog.text
    _dither(steps, h, [50, 51, 50, 51, 50, 51, 50], lambda p: 20.0 * p + (60.0 if p >= 51 else 0.0), [0.0] * 6)
    said = [r.getMessage() for r in caplog.records if "draws" in r.getMessage()]
    assert said == ["ecs: its step from 50 to 51 % draws +80 W (the house meter, 5 moves), where its calibration says "
                    "+20 W: the loop chooses its percents on the steps it learns so; a calibration this far off may be "
                    "another heater's (sweep it again: python3 -m calibration sweep)"]


def test_noise_and_an_appliance_step_are_not_learned(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "ecs")
    ecs, steps = h.load("ecs"), PercentSteps()
    # A 2 kW oven switching on between two readings of a move: no step's, dropped (150 W off the belief at most)...
    _dither(steps, h, [50, 51, 50, 51, 50, 51], lambda p: 20.0 * p, [0.0, 0.0, 2000.0, 2000.0, 2000.0])
    assert steps.step_w(ecs, 50) == 20.0
    # ...and a fridge's 100 W, within it, is one sample of five: the median leaves it out.
    steps = PercentSteps()
    _dither(steps, h, [50, 51, 50, 51, 50, 51], lambda p: 20.0 * p, [0.0, 0.0, 100.0, 100.0, 100.0])
    assert steps.step_w(ecs, 50) == 20.0
    # The meters' +-10 W on the house reading: each sample up to 20 W off, their median much less.
    noise = random.Random(1)
    steps = PercentSteps()
    _dither(steps, h, [50, 51] * 10, lambda p: 20.0 * p, [noise.uniform(-10, 10) for _ in range(19)])
    assert steps.step_w(ecs, 50) == pytest.approx(20.0, abs=10)
    # Two moves with something else commanded between them (a force, a relay): no sample.
    steps = PercentSteps()
    _dither(steps, h, [50, 51], lambda p: 80.0 if p == 51 else 0.0, [0.0])
    ecs.last_command_at = NOON + 1.0  # (as if commanded by someone else since)
    steps.observe([ecs], 2000.0, NOON + 10)
    assert steps.step_w(ecs, 50) == 20.0


def test_a_move_with_a_relay_switched_in_the_same_decision_is_no_sample(tmp_path: Path) -> None:
    # The heater 50 -> 51 % and a relay on at the same decision: the house's step is both (here 20 + 60 W, within the
    # outlier bound of a step believed at 20 W), no step of the heater's: not a sample.
    h = closed_loop(tmp_path, "ecs", "radiator")
    ecs, radiator, steps = h.load("ecs"), h.load("radiator"), PercentSteps()
    loads = [ecs, radiator]
    ecs.set_power(1000.0, NOON, "test")
    now = NOON
    for percent, switch_on in [(51, False), (50, False), (51, True), (50, False), (51, False)]:
        now += 2.0
        steps.observe(loads, 300.0 + ecs.current_power_w + (60.0 if radiator.is_on else 0.0), now)
        _move(steps, ecs, percent, now)
        if switch_on:
            radiator.set_power(1000.0, now, "test")
        steps.commanded(loads)
    steps.observe(loads, 300.0 + ecs.current_power_w + 60.0, now + 2.0)
    assert list(steps._samples["ecs"][50]) == [20.0] * 4  # (five moves, the third with the relay's: left out)


def test_a_load_switched_off_by_its_measure_as_the_reading_came_leaves_that_move_out(tmp_path: Path) -> None:
    # A plug switched off by its own measure at the decision's reading (Regulator._decide, before the loop decides)
    # and the heater moved by a percent at that decision: the next reading's step is both, no sample (it was one: a
    # -100 W "step" for 20 W believed, which two samples' median halved).
    h = closed_loop(tmp_path, "ecs", "plug")
    ecs, plug, steps = h.load("ecs"), h.load("plug"), PercentSteps()
    loads = [ecs, plug]
    ecs.set_power(1000.0, NOON, "test")
    plug.set_power(500.0, NOON, "test")
    now = NOON
    for percent in (51, 50, 51, 50):
        now += 2.0
        house_w = 300.0 + ecs.current_power_w + (120.0 if plug.is_on else 0.0)
        if percent == 51 and plug.is_on:
            plug.set_power(0.0, now, "test: its measure, the house moved")
        steps.observe(loads, house_w, now)
        _move(steps, ecs, percent, now)
        steps.commanded(loads)
    steps.observe(loads, 300.0 + ecs.current_power_w, now + 2.0)
    assert list(steps._samples["ecs"][50]) == [20.0] * 3


def test_a_command_between_two_decisions_leaves_that_move_out(tmp_path: Path) -> None:
    # Two moves learned; the third is followed by a relay's switch between the decisions (a force, a tick's command):
    # the next reading's step is both, no sample.
    h = closed_loop(tmp_path, "ecs", "radiator")
    ecs, radiator, steps = h.load("ecs"), h.load("radiator"), PercentSteps()
    loads = [ecs, radiator]
    ecs.set_power(1000.0, NOON, "test")
    now = NOON
    for percent in (51, 50, 51):
        now += 2.0
        steps.observe(loads, 300.0 + ecs.current_power_w + (60.0 if radiator.is_on else 0.0), now)
        _move(steps, ecs, percent, now)
        steps.commanded(loads)
    radiator.set_power(1000.0, now + 1.0, "test: forced")  # (a 60 W step of the house with the heater's 20 W)
    steps.observe(loads, 300.0 + ecs.current_power_w + 60.0, now + 2.0)
    assert list(steps._samples["ecs"][50]) == [20.0] * 2


def test_steps_are_learned_with_meters_every_10_s(tmp_path: Path) -> None:
    # Two decisions a reading apart at 10 s (a little late: 10.05 s) are readings in a row for the loop
    # (ControlParams.max_gap_s, 25 s at that pace): a sample each, where a fixed 10 s left such meters none.
    h = closed_loop(tmp_path, "ecs")
    ecs, steps = h.load("ecs"), PercentSteps()
    ecs.set_power(1000.0, NOON, "test")
    now = NOON
    for percent in (51, 50, 51):
        now += 10.05
        steps.observe([ecs], 300.0 + ecs.current_power_w, now, max_gap_s=25.125)
        _move(steps, ecs, percent, now)
        steps.commanded([ecs])
    steps.observe([ecs], 300.0 + ecs.current_power_w, now + 10.05, max_gap_s=25.125)
    assert list(steps._samples["ecs"][50]) == [20.0] * 3


def test_a_heater_at_its_floor_is_not_lowered_off_by_a_learned_step(tmp_path: Path) -> None:
    # The test heater's floor is 7 % (140 W believed, under its 150 W min_power: sent for least_on_w). Its step 7 -> 8 %
    # really 80 W (learned), the surplus 200-250 W: the percent over the floor is held back to the floor, which stays
    # on (lowered to the floor percent's believed 140 W, command_for sent it as off: on and off at every reading).
    for surplus_w in (200.0, 210.0, 250.0):
        h = closed_loop(tmp_path, "ecs")
        h.reg.controller.params = dataclasses.replace(h.reg.controller.params,  # type: ignore[union-attr]
                                                      setpoint_w=0.0)
        h.reg.controller.percent_steps._errors["ecs"] = {7: 60.0}  # type: ignore[union-attr]

        class _FloorStep(House):
            def real_w(self) -> float:
                heater_w = watts(self.h, "ecs")
                return heater_w + (60.0 if heater_w >= 160 else 0.0)

        drawn = _heater_w(_FloorStep(h, base_w=300, pv_w=300 + surplus_w), 40)[10:]
        assert 0.0 not in drawn, (surplus_w, drawn)


class _StepHouse(House):
    """The test heater drawing `extra_w` more from 51 % up than its curve says: 50 % -> 51 % really 20 + extra_w W."""

    extra_w = 60.0

    def real_w(self) -> float:
        heater_w = watts(self.h, "ecs")
        return heater_w + (self.extra_w if heater_w >= 1020 else 0.0)


def _heater_w(house: House, readings: int = 30) -> list[float]:
    """The heater's believed watts after each of `readings` readings of `house`."""
    drawn = []
    for _ in range(readings):
        house.read()
        drawn.append(watts(house.h, "ecs"))
    return drawn


def _learned(h, extra_w: float) -> None:  # type: ignore[no-untyped-def]
    """The step 50 % -> 51 % learned by the loop at 20 + `extra_w` W (its dither over it, as above)."""
    assert h.reg.controller is not None
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0)
    _dither(h.reg.controller.percent_steps, h, [50, 51, 50, 51, 50], lambda p: 20.0 * p + (extra_w if p >= 51 else 0),
            [0.0] * 4)
    h.load("ecs").set_power(0.0, NOON, "test")


def test_the_bound_judges_the_upper_percent_on_its_learned_step(tmp_path: Path) -> None:
    # 1018 W of surplus, a 0 W setpoint: 51 % is believed to import 2 W, under dither_import's 5 W, and really imports
    # 62 W (a step of 80 W, learned). The heater stays at 50 %, 18 W exported: on its learned step 51 % imports more
    # than dither_import and LEARNED_STEP_SLACK_W (20 W) together.
    h = closed_loop(tmp_path, "ecs")
    _learned(h, 60.0)
    house = _StepHouse(h, base_w=300, pv_w=300 + 1018)
    drawn = _heater_w(house)
    assert set(drawn[5:]) == {1000.0}
    # Unlearned, the same heater dithers over the step, 51 % importing 62 W at each of its readings.
    h = closed_loop(tmp_path, "ecs")
    h.reg.controller.params = dataclasses.replace(h.reg.controller.params, setpoint_w=0.0)  # type: ignore[union-attr]
    house = _StepHouse(h, base_w=300, pv_w=300 + 1018)
    drawn = _heater_w(house)
    assert 1020.0 in drawn[5:]


def test_a_learned_step_within_the_slack_is_still_taken(tmp_path: Path) -> None:
    # 15 W more from 51 % up (a 35 W step, learned): 51 % imports 17 W, within dither_import and the slack. Held back,
    # those watts would be exported, and capture loses them as it loses an import: the heater dithers as before.
    h = closed_loop(tmp_path, "ecs")
    _learned(h, 15.0)
    house = _StepHouse(h, base_w=300, pv_w=300 + 1018)
    house.extra_w = 15.0
    drawn = _heater_w(house)
    assert 1020.0 in drawn[5:]


def test_a_step_smaller_than_believed_lets_the_upper_percent_through(tmp_path: Path) -> None:
    # 50 % -> 51 % really 5 W (15 W less from 51 % up, learned), 1010 W of surplus: 51 % is believed to import 10 W,
    # over dither_import, and the bound held the heater at 50 % at 10 W of export; learned, 51 % exports 5 W.
    h = closed_loop(tmp_path, "ecs")
    _learned(h, -15.0)
    house = _StepHouse(h, base_w=300, pv_w=300 + 1010)
    house.extra_w = -15.0
    drawn = _heater_w(house)
    assert 1020.0 in drawn[5:]
    assert house.base_w + house.real_w() <= house.pv_w + 5


def test_the_real_sweep_ecs_03_s_step_over_its_fit_imports_within_the_slack_once_learned(tmp_path: Path) -> None:
    # ECS-03 believed on its fitted curve (61 %: 1624.5 W, 62 %: 1661.58 W, a 37.08 W step) and drawing its measured
    # points (1624.5 and 1676.5 W: a 52 W step), the seed's 20 W setpoint, a steady 1658 W surplus. 62 % is believed
    # to import 1661.58 - 1658 = 3.58 W, under dither_import's 5 W, and really imports 1676.5 - 1658 = 18.5 W at each of
    # its readings. Its step is learned from the house meter (52 - 37.08 = 14.92 W over the fit), and on it 62 %
    # imports 18.5 W: over dither_import, within it and LEARNED_STEP_SLACK_W, so the heater dithers 61/62 % as before
    # (held to dither_import itself, it would stay at 61 % and export 33.5 W: docs/control.md weighs the two). A change
    # of that rule shows here first.
    config = tmp_path / "config.ini"
    config.write_text("[mqtt]\ntopic_cons = smeter/pzem/CONSOMMATION\ntopic_prod = smeter/pzem/PRODUCTION\n"
                      "[evaluate]\ntimezone = Europe/Paris\nmargin = 20\nanticipate = 0\n[status]\npersistent = false\n"
                      "[equipments]\necs = variable\n"
                      f"[ecs]\ntopic_set_power = regul/vload/ECS/cmd\ncalibration = {ECS_03}\n")
    h = Harness(config)
    ecs = h.load("ecs")
    assert (ecs.percent_w(61), round(ecs.percent_w(62), 2)) == (1624.5, 1661.58)
    real = {60: 1583.8333333333333, 61: 1624.5, 62: 1676.5}  # (the sweep's points at those whole percents)
    h.reg.tick(NOON - 3600)
    now, imports = NOON, {}
    for _ in range(60):
        now += 2.0
        h.reg.handle(PROD, reading(300.0 + 1658.0), now - 0.01)
        percent = int(ecs.sent_percent or 0)
        drawn_w = real[percent] if ecs.current_power_w > 0 else 0.0
        h.reg.handle(CONS, reading(300.0 + drawn_w), now)
        if now > NOON + 20:
            imports.setdefault(percent, set()).add(round(drawn_w - 1658.0, 2))
    assert h.reg.controller is not None
    assert h.reg.controller.percent_steps.step_w(ecs, 61) == pytest.approx(52.0)
    assert imports[62] == {18.5}
    assert 5.0 < 18.5 <= h.reg.controller.params.dither_import_w + LEARNED_STEP_SLACK_W


def test_a_heater_whose_lower_percents_all_look_over_its_room_stays_at_the_one_it_runs_at(tmp_path: Path) -> None:
    # The test heater (20 W a percent) runs at 33 %, 660 W, with 665 W of room; the target's percent is 31 %. Its steps
    # from its floor (7 %) to 33 % learned at -20 W each (believed +20 W: a house whose base fell as the heater went up
    # spoiled them): on them, 31 % draws 700 W, and each percent below it more, every one over the room, the one it runs
    # at within it. It stays at 33 %: walked down to its floor, the heater after it took the surplus, the order
    # reversed.
    h = closed_loop(tmp_path, "ecs")
    ecs = h.load("ecs")
    assert isinstance(ecs, VariableEquipment) and h.reg.controller is not None
    ecs.set_power(660.0, NOON, "test")
    h.reg.controller.percent_steps._errors["ecs"] = {step: -40.0 for step in range(7, 33)}
    continuous = h.reg.controller._continuous
    assert continuous._on_real_steps(ecs, 620.0, 620.0, 665.0) == (660.0, 620.0)
    # Where the one it runs at is over the room too, the walk goes down to its floor as before (nothing fits better).
    assert continuous._on_real_steps(ecs, 620.0, 620.0, 655.0)[0] == ecs.least_on_w
