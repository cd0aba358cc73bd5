"""A meter that falls silent just after the wall clock stepped back (NTP, set by hand) goes stale at
meter_timeout as any other: its last reading, stamped after the new time, does not count as fresh for the
whole step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.configs import reading, write_config
from tests.harness import CONS, NOON, PROD, Harness

ECS_CMD = "regul/vload/ECS/cmd"


@pytest.mark.parametrize("step_s", [60.0, 3600.0])
def test_a_silent_meter_after_a_step_back_goes_stale_at_meter_timeout(tmp_path: Path, step_s: float) -> None:
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))  # timeout 10 s
    h.reg.tick(NOON - 3600)
    now = NOON
    for _ in range(20):  # sunny: the heater takes the surplus
        now += 2
        h.reg.handle(PROD, reading(2300), now - 0.01)
        h.reg.handle(CONS, reading(300 + h.load("ecs").current_power_w), now)
    assert float(h.last(ECS_CMD)) > 0
    now -= step_s  # the clock steps back; the production meter dies
    silent_s = 0.0
    while h.reg.stale_reason is None and silent_s < step_s + 60:
        now += 2
        silent_s += 2
        h.reg.handle(CONS, reading(300 + h.load("ecs").current_power_w), now)
        h.reg.tick(now)
    assert h.reg.stale_reason is not None and "production meter" in h.reg.stale_reason
    assert silent_s <= 12  # meter_timeout (10 s) at the next reading, not step_s later
    assert h.last(ECS_CMD) == "0"


def test_a_meter_never_read_goes_stale_after_a_step_back(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)  # started; no meter has spoken
    now = NOON - 3600  # the clock steps back an hour
    for _ in range(10):
        now += 2
        h.reg.handle(CONS, reading(300), now)
        h.reg.tick(now)
    assert h.reg.stale_reason is not None and "production meter silent" in h.reg.stale_reason


@pytest.mark.parametrize("step_s", [0.0, 3600.0])
def test_a_timed_force_keeps_its_length_across_a_clock_step_back(tmp_path: Path, step_s: float) -> None:
    # Forced for 10 minutes; the clock steps back an hour 2 minutes in: the force ends 8 minutes later, not 68.
    h = Harness(write_config(tmp_path, ("ecs",), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', NOON)
    now = NOON
    for _ in range(120):
        now += 1
        h.reg.tick(now)
    now -= step_s
    forced_s = 120
    while h.load("ecs").is_forced() and forced_s < 3600 + 700:
        now += 1
        forced_s += 1
        h.reg.tick(now)
    assert 599 <= forced_s <= 601
    assert h.last(ECS_CMD) == "0"


def test_a_force_taken_just_after_a_clock_step_back_keeps_its_length(tmp_path: Path) -> None:
    # The step seen by the next tick only: the force, taken on the new clock, was shifted back by the step with the
    # timed forces of before, and ended at that tick (the contactor on and off, the user's force lost).
    h = Harness(write_config(tmp_path, ("ecs",), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)
    back = NOON + 1 - 3600
    h.reg.handle("regul/mode", b'{"command": "force", "name": "ecs", "power": 2000, "duration": 1800}', back + 0.2)
    now = back + 0.2
    while h.load("ecs").is_forced() and now < back + 3600:
        now += 1
        h.reg.tick(now)
    assert 1799 <= now - (back + 0.2) <= 1801


def test_a_meter_silent_before_a_step_back_stays_stale_until_it_reads(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # The house meter dead for a minute, production alive: suspended. The clock steps back an hour: the ages
    # restarted at the step, and regulation resumed on the minute-old house reading (the heater at 100 % for 8 s).
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON - 3600)
    now = NOON
    h.meters(300, 2500, now)
    for _ in range(30):
        now += 2
        h.reg.handle(PROD, reading(2500), now)
        h.reg.tick(now)
    assert h.reg.stale_reason is not None and "consumption meter" in h.reg.stale_reason
    now -= 3600
    h.reg.tick(now)
    for _ in range(10):
        now += 2
        h.reg.handle(PROD, reading(2500), now)
        h.reg.tick(now)
        assert h.reg.stale_reason is not None and h.last(ECS_CMD) == "0"
    now += 2
    caplog.set_level("INFO")
    h.reg.handle(CONS, reading(300), now)  # a real reading: fresh again
    h.reg.tick(now)
    assert h.reg.stale_reason is None
    # 50 s before the step, 22 s after it: the hour stepped back is not counted (nor taken off)
    assert "both meters fresh again after 1 min 12 s suspended: regulation resumes" in caplog.text


def test_a_meter_never_read_stays_stale_across_a_step_back(tmp_path: Path) -> None:
    # Both meters never read, suspended; the clock steps back 30 s; one production reading: an AssertionError in
    # the decision gate (the house meter had no reading at all).
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)
    h.reg.tick(NOON + 11)
    assert h.reg.stale_reason is not None
    h.reg.tick(NOON - 19)
    h.reg.handle(PROD, reading(3000), NOON - 18)
    h.reg.tick(NOON - 17)
    assert h.reg.stale_reason is not None and "consumption meter" in h.reg.stale_reason
