"""A step's re-measures, counted anew at each step (calibration/sweep_remeasures.py): the broker's drops, the variator's
reboots, and what the step's line and a stop say of them. Scripted events, no broker (the helpers:
tests/test_calibration_sweep_reboot_check.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from calibration.sweep import Sweeper
from calibration.sweep_config import load_sweep_target
from calibration.sweep_files import SweepFiles
from calibration.sweep_measure import StepMeasure, SweepStopped
from calibration.sweep_plan import MAX_REMEASURES, SweepPlan
from calibration.sweep_remeasures import Cause
from tests.sweep_support import write_config
from tests.test_calibration_sweep_reboot_check import (
    BROKER_DROP,
    CUT_W,
    ECHO_70,
    PLAN,
    Script,
    _events,
    _measured,
    _sweeper,
)


def test_a_steps_drops_count_anew_at_the_next_step(tmp_path: Path) -> None:
    # The count is one step's: a step done after MAX_REMEASURES reconnects (each restarting it) leaves the next step its
    # own MAX_REMEASURES; the drops of one step add up until its 4th, which stops the sweep. (A drop restarts the
    # step's settle, whatever it was: the first step's too.)
    plan = SweepPlan(step_percent=10.0, first_settle_s=0.0, settle_s=0.0, readings_per_step=4)
    energy = iter(range(100))

    def step(percent: float, watts: float, drops: int) -> list[tuple[str, object]]:
        echo = ECHO_70.replace(b"70.00", f"{percent:.2f}".encode())
        readings = [("reading", f'{{"power": {watts}, "energy": {next(energy)}}}'.encode()) for _ in range(4)]
        return [("variator", echo), *[*BROKER_DROP, ("variator", echo)] * drops, *readings]

    events = _events(*step(70.0, 1500.0, MAX_REMEASURES), *step(60.0, 1300.0, MAX_REMEASURES),
                     *step(50.0, 1100.0, MAX_REMEASURES + 1))
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    sweeper = Sweeper(target, plan, SweepFiles(tmp_path / "c.csv"))
    sweeper._step = StepMeasure(target, plan, lambda deadline: next(events), lambda percent: None, False)
    done: list[tuple[float, float]] = []
    with pytest.raises(SweepStopped, match=r"dropped during the step at 50.0 %, 4 times \(during its readings"):
        done.extend(sweeper._sweep([70.0, 60.0, 50.0], [(80.0, 2000.0)]))
    assert done == [(70.0, 1500.0), (60.0, 1300.0)]
    # (shown: each waited the first settle again; tests/test_calibration_sweep_remeasure_causes.py)
    assert [percent for percent, _ in sweeper.remeasured] == [70.0, 60.0]


def test_a_boot_loop_of_mixed_causes_says_each_not_the_last_four_times(tmp_path: Path) -> None:
    # Three boot_detected during the step's readings, then the check finds it back at its default: the stop said "the
    # variator reports 0 % where the sweep commanded 70.0 % ..., 4 times in a row" (only the last cause, as if 4 times).
    script = Script([[("variator", ECHO_70.replace(b"70.00", b"0.00"))]], [CUT_W])
    sweeper = _sweeper(tmp_path, script)
    for _ in range(MAX_REMEASURES):
        assert sweeper._step.remeasures.again(Cause.BOOTED, "the variator rebooted (boot_detected)", "70.0") is None
    with pytest.raises(SweepStopped, match=r"the variator rebooted or was away during the step at 70.0 %, 4 times \("
                                           r"the variator rebooted \(boot_detected\), 3 times; the variator reports 0 "
                                           r"% where the sweep commanded 70.0 % .*\): its power supply") as stop:
        _measured(sweeper)
    assert "in a row" not in str(stop.value)


def test_a_step_measured_again_for_mixed_causes_says_each_in_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its line named only the last cause (`measured again: the variator reports 0 % ...`), not the reboots before.
    lines: list[str] = []
    sweeper = Sweeper(load_sweep_target(write_config(tmp_path, 1), "ecs"), PLAN, SweepFiles(tmp_path / "c.csv"),
                      progress=lines.append)
    sweeper._step.command = lambda percent: None  # type: ignore[method-assign]
    booted, away = "the variator rebooted (boot_detected)", "the variator did not answer for 2.5 s (away: rebooting?)"
    again = [(Cause.BOOTED, booted), (Cause.BOOTED, booted), (Cause.FELL, away)]
    monkeypatch.setattr(sweeper, "_measured", lambda *_: ([1500.0] * 4, 0, time.monotonic(), again))
    list(sweeper._sweep([70.0], [(80.0, 2000.0)]))
    assert f"; measured again: {booted}, 2 times; {away})" in lines[-1], lines
