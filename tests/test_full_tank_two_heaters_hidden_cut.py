"""Two heaters behind variators: the second's thermostat cuts in the very house reading that the first's re-probe holds
it at 0 W (its tank full: it drew nothing). The house fell by the second's watts, the first's belief by its own: the
rest, the second's own view of the fall, was no cut. The second, at its max, never moved again: never found full for
the day. A fall is also seen with the moves of the beliefs of the heaters suspected full put back, and judged once one
of them is found full (their moves were none of their watts)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from field.full_tank_inferred import InferredFullTank
from tests.configs import LINEAR_CSV, reading
from tests.harness import CONS, NOON, PROD, Harness
from tests.test_full_tank_two_heaters import TWO_HEATERS


def _two_heaters(tmp_path: Path, second_w_per_percent: float) -> Harness:
    (tmp_path / "linear.csv").write_text(LINEAR_CSV)  # (2000 W at 100 %)
    (tmp_path / "linear2.csv").write_text("".join(f"{p};{second_w_per_percent * p}\n" for p in range(0, 101, 5)))
    config = tmp_path / "config.ini"
    config.write_text(TWO_HEATERS.format(ecs="calibration = linear.csv", ecs2="calibration = linear2.csv"))
    return Harness(config)


@pytest.mark.parametrize("pace_s", [2.0, 10.0])
def test_a_cut_in_the_reading_of_the_other_heater_s_hold_is_found(tmp_path: Path, pace_s: float) -> None:
    # 2000 and 1500 W heaters at their max in 6 kW of sun. The first's tank cuts (suspected: its re-probe 2 minutes
    # later); the second's cuts in the reading its hold begins: the house fell by 1500 W as the first's belief fell by
    # 2000 W (and that hold's probe took the fall for its own step: "ecs is not full after all"). Before: the first
    # found full at its next re-probe, the second never (1.5 kW counted that it never drew, exported in the sun). Now
    # the second is suspected once the first is found full (its hold's 0 W was none of its watts), and found full.
    h = _two_heaters(tmp_path, 15.0)
    first, second = h.load("ecs"), h.load("ecs2")
    first_cut_at = NOON + 300.0
    second_cut_at: float | None = None
    found_at: dict[str, float] = {}
    now = NOON
    while now < NOON + 1500.0:
        now += pace_s
        if second_cut_at is None and now > first_cut_at and first.current_power_w == 0.0 and not first.overed:
            second_cut_at = now - pace_s / 2  # (the hold's command went at the last tick: this reading shows it)
        real_w = {"ecs": 0.0 if now >= first_cut_at else first.current_power_w,
                  "ecs2": 0.0 if second_cut_at is not None and now >= second_cut_at else second.current_power_w}
        h.reg.handle(CONS, reading(300.0 + sum(real_w.values())), now)
        h.reg.tick(now + 0.005)
        h.reg.handle(PROD, reading(6000.0), now + 0.01)
        h.reg.tick(now + 0.015)
        if now == NOON + 290.0:
            assert [first.current_power_w, second.current_power_w] == [2000.0, 1500.0]
        for load in (first, second):
            if load.overed:
                found_at.setdefault(load.name, now)
    assert second_cut_at is not None
    assert set(found_at) == {"ecs", "ecs2"}, found_at
    # (the first's next re-probe, 2 minutes after its spoilt one, then the second's, 2 minutes after it)
    assert found_at["ecs2"] - second_cut_at <= 420.0, found_at["ecs2"] - second_cut_at


def test_the_other_heater_s_working_hold_is_no_cut(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 2000 and 1800 W heaters at their max. A 2300 W oven stops: a cut of the first (within a quarter), not of the
    # second. The first's re-probe holds it at 0 W: it drew, the house fell by its 2000 W, and with its belief's move
    # put back that fall is within a quarter of the second's watts. The first is found drawing, never full: that fall
    # is no cut of the second, which is never suspected.
    caplog.set_level(logging.INFO)
    h = _two_heaters(tmp_path, 18.0)
    oven_w = 2300.0
    now = NOON
    while now < NOON + 1200.0:
        now += 2.0
        if now >= NOON + 300.0:
            oven_w = 0.0
        h.reg.handle(CONS, reading(300.0 + oven_w + sum(load.current_power_w for load in h.reg.loads)), now)
        h.reg.tick(now + 0.005)
        h.reg.handle(PROD, reading(8500.0), now + 0.01)
        h.reg.tick(now + 0.015)
        if now == NOON + 290.0:
            assert [load.current_power_w for load in h.reg.loads] == [2000.0, 1800.0]
    tanks = h.reg.field.tanks
    assert tanks.inferred["ecs"].suspect_since is None and tanks.inferred["ecs2"].suspect_since is None
    assert not h.load("ecs").overed and not h.load("ecs2").overed
    assert h.load("ecs2").current_power_w == 1800.0
    assert "ecs2 may be full" not in caplog.text  # (not even suspected, then cleared by a re-probe)


def test_a_fall_hidden_by_a_heater_found_full_just_before_is_judged_at_once() -> None:
    # The other heater found full at a step's probe, its belief dropped from 1200 W to 0 W at the next reading (it
    # drew nothing) as this 1500 W heater's thermostat cut: the house fell by 1500 W, against the beliefs by 300 W.
    tank = InferredFullTank("ecs2", 150.0)
    tank.on_command(1500.0, NOON - 100.0)
    for index in range(5):  # (the other believed at 1200 W, suspected full: it draws nothing)
        assert not tank.on_consumption(300.0 + 1500.0, NOON + 2.0 * index, 1200.0, True, ((1200.0, True),))
    now = NOON + 8.0
    tank.fall_explained(now - 330.0, now)  # (the other found full at that reading)
    tank.on_consumption(300.0, now + 2.0, 0.0, True, ((0.0, True),))
    assert tank.suspect_since == now + 2.0


def test_a_fall_hidden_by_a_suspected_heater_waits_for_its_verdict() -> None:
    # The same fall, the other heater only suspected: it may have drawn its 1200 W, and the fall be its own. Judged
    # when it is found full (its moves were none of its watts); found drawing, it never is.
    tank = InferredFullTank("ecs2", 150.0)
    tank.on_command(1500.0, NOON - 100.0)
    for index in range(5):
        tank.on_consumption(300.0 + 1500.0, NOON + 2.0 * index, 1200.0, True, ((1200.0, True),))
    tank.on_consumption(300.0, NOON + 10.0, 0.0, True, ((0.0, True),))
    assert tank.suspect_since is None
    tank.fall_explained(NOON + 40.0 - 330.0, NOON + 40.0)
    assert tank.suspect_since == NOON + 40.0
