"""The sweep's reboot check in process, its events scripted (no broker): what a step that read nothing is measured
again for, how many times that counts toward a boot loop, and how long the step settles again. The same with a real
mosquitto restarted mid-check: tests/test_calibration_sweep_reboot.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calibration.sweep import Sweeper
from calibration.sweep_config import load_sweep_target
from calibration.sweep_files import SweepFiles
from calibration.sweep_measure import Event, StepMeasure, SweepStopped
from calibration.sweep_plan import MAX_REMEASURES, SweepPlan
from calibration.sweep_reboot import RebootCheck
from calibration.sweep_remeasures import Again, Cause
from tests.sweep_support import write_config

PLAN = SweepPlan(step_percent=10.0, first_settle_s=500.0, settle_s=6.0, readings_per_step=4)
ECHO_70 = b'{"percent": 70.00, "power": 0, "mode": 0, "state": "ON", "msg": "status"}'
BOOTED = b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'
CUT_W, DRAWN_W = [1.0] * 4, [1500.0] * 4  # a step's readings: at the off level; drawing


class Script:
    """The sweep's events, as scripted: each check of a step that read nothing takes the next list of (kind, data);
    the step's measures return the next readings, and say how far off the settle they were given ends."""

    def __init__(self, checks: list[list[tuple[str, object]]], measures: list[list[float]]) -> None:
        self._checks = iter(checks)
        self._events: Iterator[tuple[str, object]] = iter(())
        self._measures = iter(measures)
        self.settles_s: list[float] = []  # each measure's wait before its readings count (s, rounded)
        self.sent: list[str] = []

    def measure(self, percent: float, settled_at: float, last_valid: float) -> tuple[list[float], int, float]:
        self.settles_s.append(round(settled_at - time.monotonic()))
        return next(self._measures), 0, time.monotonic()

    def ask(self) -> None:
        self.sent.append("status")
        if len(self.sent) == 1 or self.sent[-2] != "status":  # (a check begins: its events)
            self._events = iter(next(self._checks))

    def next_event(self, deadline: float) -> Event | None:
        kind, data = next(self._events, ("stop", "the script is over"))
        return kind, time.monotonic(), data


def _sweeper(tmp_path: Path, script: Script) -> Sweeper:
    """A sweep at 70 % (after 80 % drew 2000 W) whose step measures and reboot checks follow `script`."""
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")  # (never connected: port 1)
    sweeper = Sweeper(target, PLAN, SweepFiles(tmp_path / "c.csv"))
    step = StepMeasure(target, PLAN, script.next_event, lambda percent: script.sent.append(f"{percent:g}"), False)
    step.measure = script.measure  # type: ignore[method-assign]
    sweeper._step = step
    sweeper._reboots = RebootCheck(step, script.next_event, script.ask)
    return sweeper


def _measured(sweeper: Sweeper) -> tuple[list[float], list[Again]]:
    now = time.monotonic()
    values, _, _, again = sweeper._measured(70.0, now + PLAN.settle_s, now, (80.0, 2000.0), 2300.0)
    return values, again


BROKER_DROP: list[tuple[str, object]] = [("disconnected", "connection lost"), ("connected", None)]


def test_broker_drops_during_the_checks_are_no_boot_loop(tmp_path: Path) -> None:
    # The broker lost and back while the variator was asked its status: counted as one of the step's 3 re-measures,
    # the 4th stopped the sweep "4 times in a row: its power supply or its firmware (a boot loop?)".
    drops = MAX_REMEASURES
    script = Script([BROKER_DROP] * drops, [CUT_W] * drops + [DRAWN_W])
    values, again = _measured(_sweeper(tmp_path, script))
    assert values == DRAWN_W
    # (in the step's line, not in the end's note on the variator's power supply)
    assert again == [(Cause.DROPPED, "the connection to the broker dropped")] * drops
    assert script.sent == ["status", "70"] * drops


def test_a_broker_drop_is_not_said_a_boot_loop(tmp_path: Path) -> None:
    # (it counts toward the step's bound, whatever the causes: tests/test_calibration_sweep_remeasure_causes.py)
    rebooted: list[tuple[str, object]] = [("variator", BOOTED)]
    script = Script([BROKER_DROP, *[rebooted] * MAX_REMEASURES], [CUT_W] * (MAX_REMEASURES + 1))
    with pytest.raises(SweepStopped, match=r"the step at 70.0 % had to be measured again 4 times \(the connection") \
            as stop:
        _measured(_sweeper(tmp_path, script))
    assert "boot loop" not in str(stop.value)
    assert script.sent.count("status") == MAX_REMEASURES + 1  # (the drop's check, the reboots' and the 4th reboot's)


@pytest.mark.parametrize("check", [[("variator", BOOTED)], BROKER_DROP,
                                   [("variator", ECHO_70.replace(b"70.00", b"0.00"))]],
                         ids=["rebooted", "broker-dropped", "at-its-default"])
def test_a_step_measured_again_after_the_load_was_off_settles_as_a_first_step(
        tmp_path: Path, check: list[tuple[str, object]]) -> None:
    # The load drew nothing while the variator rebooted (or the broker had our will, the end percent, sent to it): its
    # element cooled, as before a first step. A reboot's re-measure settled for a later step's 6 s, a reconnect's for
    # the first step's 500 s.
    script = Script([check], [CUT_W, DRAWN_W])
    assert _measured(_sweeper(tmp_path, script))[0] == DRAWN_W
    assert script.settles_s == [PLAN.settle_s, PLAN.first_settle_s]


def _events(*events: tuple[str, object]) -> Iterator[Event]:
    for kind, data in events:
        yield kind, time.monotonic(), data
    while True:
        yield "stop", time.monotonic(), "the script is over"


@pytest.mark.parametrize("kind,data", [("variator", BOOTED), ("connected", None)], ids=["rebooted", "reconnected"])
def test_a_step_restarted_after_the_load_was_off_settles_as_a_first_step(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str, data: object) -> None:
    # The same within a step's readings: after a boot_detected the step waited a later step's settle, after a
    # reconnect the first step's.
    events = _events(("variator", ECHO_70), ("reading", b'{"power": 1500.0, "energy": 1}'), (kind, data))
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    step = StepMeasure(target, PLAN, lambda deadline: next(events), lambda percent: None, False)
    step.command(70.0)
    caplog.set_level(logging.WARNING, "calibration.sweep_measure")
    with pytest.raises(SweepStopped, match="the script is over"):
        step.measure(70.0, time.monotonic() + PLAN.settle_s, time.monotonic())
    assert "command sent again at 70.0 %, step restarted; measuring in 500 s" in caplog.text, caplog.text


def test_a_boot_loop_within_the_steps_settle_stops_the_sweep_saying_so(tmp_path: Path) -> None:
    # Each boot_detected during a step restarted it with the first settle (500 s), uncounted: a variator rebooting
    # more often than that (its power supply sagging at the step's percent) was never declared, the sweep restarting
    # the step forever. Counted as the reboot check's re-measures are: the 4th stops the sweep.
    loop = [("variator", BOOTED), ("variator", ECHO_70)] * (MAX_REMEASURES + 2)
    events = _events(("variator", ECHO_70), *loop)
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    step = StepMeasure(target, PLAN, lambda deadline: next(events), lambda percent: None, False)
    step.command(70.0)
    with pytest.raises(SweepStopped, match=r"the variator rebooted \(boot_detected\) during the step at 70.0 %, 4 "
                                           r"times in a row: its power supply or its firmware \(a boot loop\?\)"):
        step.measure(70.0, time.monotonic() + PLAN.settle_s, time.monotonic())


def test_the_reboots_during_a_steps_readings_count_with_the_checks(tmp_path: Path) -> None:
    # Two boot_detected during the step's readings (each restarted it), then two found by the reboot check: 4 reboots
    # of the one step, a boot loop (the check's 3 and the readings' 3 counted apart let it run 6 times).
    script = Script([[("variator", BOOTED)]] * 2, [CUT_W] * 2)
    sweeper = _sweeper(tmp_path, script)
    for _ in range(2):
        sweeper._step.remeasures.again(Cause.BOOTED, "the variator rebooted (boot_detected)", "70.0")
    with pytest.raises(SweepStopped, match=r"rebooted \(boot_detected\) during the step at 70.0 %, 4 times in a row"):
        _measured(sweeper)
    assert script.sent == ["status", "70", "status"]


def test_a_broker_dropping_at_every_check_stops_the_sweep_saying_so(tmp_path: Path) -> None:
    # Uncounted, a broker lost at each check had the step measured again (500 s each) forever, a hot tank's cut never
    # said. The 4th drop of one step's checks stops the sweep, blaming the broker's link, not the variator.
    script = Script([BROKER_DROP] * (MAX_REMEASURES + 2), [CUT_W] * (MAX_REMEASURES + 2))
    said = r"the connection to the broker dropped during the step at 70.0 %, 4 times \(during its readings or while"
    with pytest.raises(SweepStopped, match=said + r" the variator was asked its status\): the broker or the network") \
            as stop:
        _measured(_sweeper(tmp_path, script))
    assert "boot loop" not in str(stop.value)
    assert script.sent == ["status", "70"] * MAX_REMEASURES + ["status"]


def test_a_step_measured_again_does_not_swell_the_eta_of_the_steps_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A step measured again after a reboot waits the first settle (500 s) again: in the mean of the steps' durations,
    # one such step among 18 s ones made the ETA of every step left 8 times longer, for the rest of the sweep.
    clock = [1000.0]
    fake_time = type("FakeTime", (), {"monotonic": staticmethod(lambda: clock[0]), "time": time.time,
                                      "localtime": time.localtime, "strftime": time.strftime})
    monkeypatch.setattr("calibration.sweep.time", fake_time)
    lines: list[str] = []
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    sweeper = Sweeper(target, PLAN, SweepFiles(tmp_path / "c.csv"), progress=lines.append)
    sweeper._step.command = lambda percent: None  # type: ignore[method-assign]

    def measured(percent: float, *_: object) -> tuple[list[float], int, float, list[Again]]:
        again = [(Cause.BOOTED, "the variator rebooted (boot_detected)")] if percent == 70.0 else []
        clock[0] += PLAN.first_settle_s if percent == 100.0 else 18.0 + (PLAN.first_settle_s if again else 0.0)
        return [2000.0 - 10 * percent] * 4, 0, clock[0], again

    sweeper._measured = measured  # type: ignore[method-assign]
    list(sweeper._sweep([100.0 - 10 * k for k in range(6)], []))
    assert lines[-1].endswith("ETA 0 s")
    assert "measured again: the variator rebooted" in lines[4] and lines[5].endswith("ETA 18 s"), lines


def test_a_broker_flapping_during_a_steps_readings_stops_the_sweep_saying_so(tmp_path: Path) -> None:
    # Each reconnect during a step's readings commanded it again and restarted it with the first settle (500 s),
    # uncounted: a broker dropping more often than that had the step restarted forever. Counted with the drops of the
    # reboot check: the 4th of one step stops the sweep, blaming the broker's link (resumable), not the variator.
    flap = [("disconnected", "connection lost"), ("connected", None), ("variator", ECHO_70)] * (MAX_REMEASURES + 2)
    events = _events(("variator", ECHO_70), *flap)
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    step = StepMeasure(target, PLAN, lambda deadline: next(events), lambda percent: None, False)
    step.command(70.0)
    said = r"the connection to the broker dropped during the step at 70.0 %, 4 times .*: the broker or the network"
    with pytest.raises(SweepStopped, match=said + r" is unstable .*resume once it holds") as stop:
        step.measure(70.0, time.monotonic() + PLAN.settle_s, time.monotonic())
    assert "boot loop" not in str(stop.value)


def test_the_drops_during_a_steps_readings_count_with_the_checks(tmp_path: Path) -> None:
    # Two reconnects during the step's readings (each restarted it), then two found by the reboot check: the 4th drop
    # of the one step stops the sweep (counted apart, the readings' were never bounded).
    script = Script([BROKER_DROP] * 2, [CUT_W] * 2)
    sweeper = _sweeper(tmp_path, script)
    for _ in range(2):
        sweeper._step.remeasures.again(Cause.DROPPED, "the connection to the broker dropped", "70.0")
    with pytest.raises(SweepStopped, match=r"the connection to the broker dropped during the step at 70.0 %, 4 times"):
        _measured(sweeper)
    assert script.sent == ["status", "70", "status"]


def test_a_reboot_during_a_steps_readings_shows_in_its_line_and_the_ends_note(tmp_path: Path) -> None:
    # A boot_detected during the step's readings measured it again and counted toward a boot loop, but the step's line
    # and the end's note (Sweeper.remeasured) named only the steps the reboot check measured again.
    plan = SweepPlan(step_percent=10.0, first_settle_s=0.0, settle_s=0.0, readings_per_step=4)
    readings = [("reading", f'{{"power": 1500.0, "energy": {n}}}'.encode()) for n in range(6)]
    events = _events(("variator", ECHO_70), *readings[:2], ("variator", BOOTED), ("variator", ECHO_70), *readings[2:])
    lines: list[str] = []
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    sweeper = Sweeper(target, plan, SweepFiles(tmp_path / "c.csv"), progress=lines.append)
    sweeper._step = StepMeasure(target, plan, lambda deadline: next(events), lambda percent: None, False)
    assert list(sweeper._sweep([70.0], [(80.0, 2000.0)])) == [(70.0, 1500.0)]
    assert "; measured again: the variator rebooted (boot_detected))" in lines[-1], lines
    assert sweeper.remeasured == [(70.0, [(Cause.BOOTED, "the variator rebooted (boot_detected)")])]


def test_an_answer_that_came_before_the_checks_question_is_not_its_answer(tmp_path: Path) -> None:
    # An answer at the step's percent still waiting in the events when the check asks (one owed to the check before,
    # come once the step's short re-measure had its readings: a short --first-settle) was taken for the variator
    # answering at once, a cut, though it rebooted since: it says boot_detected right after.
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    came_at = time.monotonic() - 0.5  # (before the question: the check asks before it reads anything)
    events = iter([("variator", came_at, ECHO_70), ("variator", time.monotonic() + 1.0, BOOTED)])
    step = StepMeasure(target, PLAN, lambda deadline: next(events), lambda percent: None, False)
    check = RebootCheck(step, lambda deadline: next(events), lambda: None)
    verdict = check.verdict(70.0, 0.0, time.monotonic())
    assert verdict.again == "the variator rebooted (boot_detected)"



def test_an_answer_stamped_the_instant_the_check_asks_is_its_answer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Left alone are only the answers that came before the question (at < began): one stamped at the very instant the
    # question goes out (a coarse clock, a variator on the same host) is the variator at the step's percent: a cut.
    monkeypatch.setattr("calibration.sweep_reboot.time", type("Frozen", (), {"monotonic": staticmethod(lambda: 50.0)}))
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    events = iter([("variator", 50.0, ECHO_70)])
    step = StepMeasure(target, PLAN, lambda deadline: next(events), lambda percent: None, False)
    asked: list[str] = []
    verdict = RebootCheck(step, lambda deadline: next(events), lambda: asked.append("status")).verdict(70.0, 0.0, 49.0)
    assert verdict.again is None and asked == ["status"]
