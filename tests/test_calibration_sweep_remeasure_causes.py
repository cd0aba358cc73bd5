"""A step's re-measures over all their causes (calibration/sweep_remeasures.py): one bound for the step whatever made
it measured again (the broker lost and back, the variator rebooted, away or at another percent), each cause shown in
the step's line and in the end's notes, in words that fit it. Scripted events, no broker (the helpers:
tests/test_calibration_sweep_reboot_check.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration.sweep import Sweeper
from calibration.sweep_config import load_sweep_target
from calibration.sweep_files import SweepFiles
from calibration.sweep_measure import StepMeasure, SweepStopped
from calibration.sweep_plan import MAX_REMEASURES, SweepPlan
from tests.sweep_support import write_config
from tests.test_calibration_sweep_reboot_check import (
    BOOTED,
    BROKER_DROP,
    CUT_W,
    DRAWN_W,
    ECHO_70,
    Script,
    _events,
    _measured,
    _sweeper,
)

FAST = SweepPlan(step_percent=10.0, first_settle_s=0.0, settle_s=0.0, readings_per_step=4)
ECHO_50 = ECHO_70.replace(b"70.00", b"50.00")  # (another client's percent)


def _readings(watts: float, count: int = 4, first: int = 0) -> list[tuple[str, object]]:
    """(their energy counter from `first`: the very same message again would be a frozen meter's)"""
    return [("reading", f'{{"power": {watts}, "energy": {n}}}'.encode()) for n in range(first, first + count)]


def _stepping(tmp_path: Path, *events: tuple[str, object]) -> tuple[Sweeper, list[str]]:
    """A sweeper whose step measures read `events` (the reboot check never asked: they do not fall)."""
    lines: list[str] = []
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")  # (never connected: port 1)
    sweeper = Sweeper(target, FAST, SweepFiles(tmp_path / "c.csv"), progress=lines.append)
    script = _events(*events)
    sweeper._step = StepMeasure(target, FAST, lambda deadline: next(script), lambda percent: None, False)
    return sweeper, lines


def test_a_steps_remeasures_are_bounded_over_all_their_causes_in_its_checks(tmp_path: Path) -> None:
    # 3 broker drops and 3 reboots of one step were each within their own bound of 3: the step was measured 7 times
    # (about an hour at a 500 s settle). One bound for the step: the 4th re-measure, whatever its cause, stops it.
    rebooted: list[tuple[str, object]] = [("variator", BOOTED)]
    checks = [BROKER_DROP, rebooted, BROKER_DROP, rebooted]
    script = Script(checks, [CUT_W] * 4 + [DRAWN_W])
    said = (r"the step at 70.0 % had to be measured again 4 times \(the connection to the broker dropped, 2 times; "
            r"the variator rebooted \(boot_detected\), 2 times\): 3 times at most for one step, whatever the causes")
    with pytest.raises(SweepStopped, match=said) as stop:
        _measured(_sweeper(tmp_path, script))
    assert str(stop.value).endswith("; its readings of nothing are no thermostat cut; the step is not kept, resume "
                                    "once the variator and the broker's link hold")
    assert script.sent == ["status", "70"] * MAX_REMEASURES + ["status"]


def test_a_steps_remeasures_during_its_readings_are_bounded_over_all_their_causes(tmp_path: Path) -> None:
    # A drop, a reboot and another client's percent, each restarting the step, then a drop again: the 4th.
    sweeper, _ = _stepping(tmp_path, ("variator", ECHO_70), *BROKER_DROP, ("variator", ECHO_70), ("variator", BOOTED),
                           ("variator", ECHO_70), ("variator", ECHO_50), ("variator", ECHO_70), *BROKER_DROP,
                           *_readings(1500.0))
    with pytest.raises(SweepStopped, match=r"the step at 70.0 % had to be measured again 4 times \(the connection to "
                                           r"the broker dropped, 2 times; the variator rebooted \(boot_detected\); "
                                           r"the variator reports 50 % where the sweep commands 70.0 %\)"):
        list(sweeper._sweep([70.0], [(80.0, 2000.0)]))


def test_a_broker_drop_shows_in_the_steps_line_and_in_the_ends_notes(tmp_path: Path) -> None:
    # Measured again after the first settle (500 s by default) for a drop, the step said nothing of it: its line read
    # as one measured at once, and the end's notes named only the variator's reboots.
    sweeper, lines = _stepping(tmp_path, ("variator", ECHO_70), *BROKER_DROP, ("variator", ECHO_70),
                               *_readings(1500.0))
    assert list(sweeper._sweep([70.0], [(80.0, 2000.0)])) == [(70.0, 1500.0)]
    assert "; measured again: the connection to the broker dropped)" in lines[-1], lines
    from calibration.sweep_remeasures import remeasured_notes
    notes = remeasured_notes(sweeper.remeasured)
    assert len(notes) == 1 and notes[0].startswith("note: the connection to the broker dropped during 1 step (70 %): "
                                                   "measured again once it was back"), notes
    assert "variator" not in notes[0] and "thermostat" not in notes[0]


def test_the_ends_note_fits_a_reboot_during_the_readings(tmp_path: Path) -> None:
    # A boot_detected during the step's readings restarted it: its readings never fell, no thermostat cut was
    # suspected, yet the end's note said "measured again once it was back, not taken for a thermostat cut".
    sweeper, _ = _stepping(tmp_path, ("variator", ECHO_70), *_readings(1500.0, 2, 8), ("variator", BOOTED),
                           ("variator", ECHO_70), *_readings(1500.0))
    list(sweeper._sweep([70.0], [(80.0, 2000.0)]))
    from calibration.sweep_remeasures import remeasured_notes
    notes = remeasured_notes(sweeper.remeasured)
    assert len(notes) == 1 and notes[0].startswith("note: the variator rebooted (boot_detected) during 1 step (70 %): "
                                                   "measured again once it was back"), notes
    assert "thermostat" not in notes[0], notes


def test_the_ends_notes_say_which_steps_read_nothing_for_a_reboot(tmp_path: Path) -> None:
    # The check's re-measure (its readings fell to nothing, the variator found rebooted) is the one not taken for a
    # thermostat cut; another step's boot_detected during its readings, in the same note, is not.
    sweeper = _sweeper(tmp_path, Script([[("variator", BOOTED)]], [CUT_W, DRAWN_W]))
    sweeper._step.command = lambda percent: None  # type: ignore[method-assign]
    _, again = _measured(sweeper)
    from calibration.sweep_remeasures import Cause, remeasured_notes
    notes = remeasured_notes([(70.0, again), (60.0, [(Cause.BOOTED, "the variator rebooted (boot_detected)")])])
    assert notes == ["note: the variator rebooted or was away during 2 steps (70 %, 60 %): measured again once it was "
                     "back (the log says when); at 70 % its readings had fallen to nothing, not taken for a thermostat "
                     "cut; a variator that reboots often: check its power supply"]


def test_another_clients_percent_shows_in_the_steps_line_and_the_ends_notes(tmp_path: Path) -> None:
    sweeper, lines = _stepping(tmp_path, ("variator", ECHO_70), *_readings(1500.0, 1, 9), ("variator", ECHO_50),
                               ("variator", ECHO_70), *_readings(1500.0))
    list(sweeper._sweep([70.0], [(80.0, 2000.0)]))
    assert "; measured again: the variator reports 50 % where the sweep commands 70.0 %)" in lines[-1], lines
    from calibration.sweep_remeasures import remeasured_notes
    assert remeasured_notes(sweeper.remeasured) == [
        "note: the variator reported another percent than the sweep's during 1 step (70 %): commanded again and "
        "measured again (the log says when); another client commanding it (an automation, a percent left retained)?"]

