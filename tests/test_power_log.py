"""What a load's power changes leave in the log at INFO: every switch on or off, and the heater's steps
without flooding (at most one step line a minute per load, the steps between summed up in the next)."""

from __future__ import annotations

import logging
import random
import re
from pathlib import Path

import pytest

from equipments.power_log import STEP_LOG_S
from tests.configs import reading
from tests.controller_house import House, closed_loop
from tests.harness import CONS, NOON, PROD

STEP_LINE = re.compile(r"^ecs: (\d+) W -> (\d+) W \((.*)\)$")


def ecs_lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[tuple[float, str]]:
    return [(record.created, record.getMessage()) for record in caplog.records
            if record.levelno == level and record.getMessage().startswith("ecs: ")]


def test_a_heater_following_clouds_logs_a_step_line_a_minute_at_most(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # A cloudy day (Payerne 2016-06-18, 10 s data): the loop moves the heater by 100-300 W at every reading, and
    # each step was an INFO line: 23 lines in the minute 13:42, 846 in the day.
    h = closed_loop(tmp_path, "ecs")
    house = House(h, base_w=300, pv_w=300 + 1000)
    caplog.set_level(logging.DEBUG, logger="equipments.base")
    for k in range(150):  # 5 minutes of 2 s readings, the sun swinging by 600 W every other reading
        house.pv_w = 300 + (1000 if k % 4 < 2 else 1600)
        house.read()
    info = [message for _, message in ecs_lines(caplog)]
    debug = [message for _, message in ecs_lines(caplog, logging.DEBUG)]
    steps = [m for m in info if STEP_LINE.match(m)]
    # The first switch on, then the heater's steps: one line at once, the rest summed up once a minute.
    assert 2 <= len(steps) <= 1 + 300 / STEP_LOG_S + 1, info
    summaries = [m for m in info if "steps of 100 W or more" in m]
    assert summaries, info
    first = summaries[0]
    # Each summary says where the heater went, from the watts the last INFO line left it at, in how many steps
    # and between what, and the reason of the last one.
    match = re.match(r"^ecs: (\d+) W -> (\d+) W \(in (\d+) s, (\d+) steps of 100 W or more between (\d+) and "
                     r"(\d+) W, each at DEBUG; now: grid feedback, \d+ W for the variable loads\)$", first)
    assert match, first
    assert 900 <= int(match[5]) < int(match[6]) <= 1600  # (the surplus less the setpoint)
    assert int(match[3]) >= STEP_LOG_S
    # The last line at INFO leaves the heater where it is (no step hidden at the end), once a minute has passed.
    house.pv_w = 300 + 1600  # the sun steady: the heater settles, and the next minute's line says where
    for _ in range(int(STEP_LOG_S / 2) + 2):
        house.read()
    last = [m for m in (message for _, message in ecs_lines(caplog)) if STEP_LINE.match(m)][-1]
    final_w = h.load("ecs").current_power_w
    assert abs(int(STEP_LINE.match(last)[2]) - final_w) < 100, last  # type: ignore[index]  (a DEBUG dither)
    assert debug  # the steps themselves are still there at DEBUG


def test_switches_are_always_logged_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs")
    load = h.load("ecs")
    caplog.set_level(logging.INFO)
    load.set_power(1000, NOON, "test: on")
    load.set_power(1500, NOON + 1, "test: a step")
    load.set_power(0, NOON + 2, "test: off")
    load.set_power(800, NOON + 3, "test: on again")
    assert [m for _, m in ecs_lines(caplog)] == [
        "ecs: 0 W -> 1000 W (test: on)", "ecs: 1000 W -> 1500 W (test: a step)", "ecs: 1500 W -> 0 W (test: off)",
        "ecs: 0 W -> 800 W (test: on again)"]


def test_a_heater_switched_at_its_floor_by_the_meters_noise_logs_a_line_a_minute_at_most(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A steady 145 W of surplus about the heater's floor (150 W, sent as 140 W), +-20 W of noise on each meter: the loop
    # switches it on and off every few readings, and each switch was an INFO line (58 in these ten minutes).
    h = closed_loop(tmp_path, "ecs", margin_w=0)
    house = House(h, base_w=300, pv_w=445)
    caplog.set_level(logging.DEBUG, logger="equipments.base")
    noise = random.Random(1)
    switches, on = 0, False
    for k in range(300 + 40):  # (then a steady minute and more: the last minute's switches summed up too)
        error_w = 20 if k < 300 else 0
        house.now += 2
        h.reg.handle(PROD, reading(house.pv_w + noise.uniform(-error_w, error_w)), house.now - 0.01)
        h.reg.handle(CONS, reading(house.base_w + house.real_w() + noise.uniform(-error_w, error_w)), house.now)
        switches += (h.load("ecs").current_power_w > 0) != on
        on = h.load("ecs").current_power_w > 0
    info = [message for _, message in ecs_lines(caplog)]
    debug = [message for _, message in ecs_lines(caplog, logging.DEBUG)]
    assert switches >= 30
    # A line at once, then one a minute at most summing those of the minute up; each switch is still at DEBUG.
    assert len(info) <= 1 + 680 / STEP_LOG_S + 1, info
    summary = re.compile(r"^ecs: \d+ W -> \d+ W \(in \d+ s, (\d+) switch(es)? on or off at its floor, each at "
                         r"DEBUG; now: grid feedback, \d+ W for the variable loads\)$")
    said_at_once = [m for m in info if re.match(r"^ecs: (0 W -> \d+|\d+ W -> 0) W \(grid feedback", m)]
    counted = [int(match[1]) for match in map(summary.match, info) if match]
    assert len(said_at_once) + len(counted) == len(info), info
    assert len(said_at_once) + sum(counted) == switches, info
    assert len([m for m in debug if re.match(r"^ecs: (0 W -> \d+|\d+ W -> 0) W \(grid feedback", m)]) == sum(counted)

def test_a_switch_at_the_floor_is_held_back_and_one_over_it_said_at_once(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs")
    load = h.load("ecs")
    caplog.set_level(logging.INFO)
    load.set_power(150, NOON, "test: on at its floor")  # (150 W, sent as 7 %: 140 W)
    load.set_power(0, NOON + 2, "test: off")
    load.set_power(150, NOON + 4, "test: on again")
    load.set_power(0, NOON + 6, "test: off again")
    load.set_power(0, NOON + STEP_LOG_S, "test: no change")  # the minute is over: the summary
    load.set_power(1000, NOON + STEP_LOG_S + 1, "test: on over its floor")
    load.set_power(0, NOON + STEP_LOG_S + 2, "test: off from over it")
    assert [m for _, m in ecs_lines(caplog)] == [
        "ecs: 0 W -> 140 W (test: on at its floor)",
        f"ecs: 140 W -> 0 W (in {STEP_LOG_S:.0f} s, 3 switches on or off at its floor, each at DEBUG; now: test: no "
        "change)",
        "ecs: 0 W -> 1000 W (test: on over its floor)", "ecs: 1000 W -> 0 W (test: off from over it)"]


def test_a_step_after_a_quiet_minute_is_logged_at_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs")
    load = h.load("ecs")
    load.set_power(1000, NOON, "test: on")
    load.set_power(1500, NOON + 1, "test: a step")  # at INFO: opens a minute
    caplog.set_level(logging.INFO)
    load.set_power(1200, NOON + 2, "test: held")
    load.set_power(1300, NOON + 3, "test: held too")
    assert ecs_lines(caplog) == []
    load.set_power(1300, NOON + 1 + STEP_LOG_S, "test: no change")  # the minute is over: the summary
    load.set_power(800, NOON + 1 + 3 * STEP_LOG_S, "test: a step after a quiet minute")
    assert [m for _, m in ecs_lines(caplog)] == [
        f"ecs: 1500 W -> 1300 W (in {STEP_LOG_S:.0f} s, 2 steps of 100 W or more between 1200 and 1500 W, each at "
        "DEBUG; now: test: no change)",
        "ecs: 1300 W -> 800 W (test: a step after a quiet minute)"]


def test_a_clock_stepped_back_does_not_hold_the_steps_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs")
    load = h.load("ecs")
    load.set_power(1000, NOON, "test: on")
    load.set_power(1500, NOON + 1, "test: a step")
    caplog.set_level(logging.INFO)
    load.set_power(1200, NOON - 3600, "test: the clock stepped back an hour")
    assert [m for _, m in ecs_lines(caplog)] == ["ecs: 1500 W -> 1200 W (test: the clock stepped back an hour)"]


def test_a_switch_off_says_the_steps_held_back_before_it(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = closed_loop(tmp_path, "ecs")
    load = h.load("ecs")
    load.set_power(1000, NOON, "test: on")
    load.set_power(1500, NOON + 1, "test: a step")
    caplog.set_level(logging.INFO)
    load.set_power(900, NOON + 2, "test: held")
    load.set_power(0, NOON + 3, "test: off")
    assert [m for _, m in ecs_lines(caplog)] == [
        "ecs: 1500 W -> 900 W (in 2 s, 1 step of 100 W or more between 900 and 1500 W, each at DEBUG; now: test: "
        "held)", "ecs: 900 W -> 0 W (test: off)"]


def test_a_force_s_step_is_said_at_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The loop's steps are said once a minute; a force's is the user's, said at once, the loop's held steps summed up
    # before it: held back, a force from 2290 to 1495 W showed only when it ended, "2290 W -> 1495 W" then "-> 0 W"
    # (found by a bug hunt).
    h = closed_loop(tmp_path, "ecs")
    house = House(h, base_w=300, pv_w=300 + 1800)
    caplog.set_level(logging.INFO, logger="equipments.base")
    for _ in range(5):
        house.read()
    house.pv_w = 300 + 1500
    house.read()  # (a step of the loop's within the minute: held back)
    ecs = h.load("ecs")
    believed_w = ecs.current_power_w
    h.reg.handle("regul/mode", b'{"command": "force", "name": "ecs", "power": 1000, "duration": 40}', house.now)
    assert ecs.is_forced() and ecs.current_power_w == 1000.0
    last = ecs_lines(caplog)[-1][1]
    assert last.startswith(f"ecs: {believed_w:.0f} W -> 1000 W (forced for 40 s (regul/mode))"), ecs_lines(caplog)
    # A force of a few watts' move (a "fine" one) is said too.
    h.reg.handle("regul/mode", b'{"command": "force", "name": "ecs", "power": 1040}', house.now + 1)
    assert ecs_lines(caplog)[-1][1] == "ecs: 1000 W -> 1040 W (forced until unforced (regul/mode))"


@pytest.mark.parametrize(("speed", "lines"), [(1.0, 2), (30.0, 6)])
def test_the_demo_logs_a_step_line_a_minute_of_its_house(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                         speed: float, lines: int) -> None:
    # The demo's house runs `speed` times faster than the daemon's clock: once a minute of the daemon's was half an
    # hour of the demo at x30, and every heater step of the demo's table went unsaid but one.
    from settings.config import load_settings
    from simulation.demo_config import DEMO_TEMPLATE, write_demo_config
    settings = load_settings(write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 9, speed))
    ecs = next(load for load in settings.equipments if load.name == "ecs")
    ecs.bind(lambda topic, payload, retain=False: None)
    caplog.set_level(logging.INFO, logger="equipments.base")
    for k, watts in enumerate((2000, 500, 1500, 600, 1600, 700)):  # a step every 3 s of the daemon's clock
        ecs.set_power(watts, NOON + 3 * k, "grid feedback")
    assert len(ecs_lines(caplog)) == lines, ecs_lines(caplog)
