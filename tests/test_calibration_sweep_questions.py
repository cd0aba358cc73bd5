"""The reboot check's questions and their answers (calibration/sweep_reboot.py): an answer owed to an earlier check's
question is none to the check under way, even when it comes after its question. Scripted events on a clock of the
test's, no broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calibration.sweep_config import load_sweep_target
from calibration.sweep_measure import ANSWER_WAIT_S, Event, StepMeasure
from calibration.sweep_reboot import RESEND_S, RebootCheck
from calibration.sweep_remeasures import Cause
from tests.sweep_support import write_config
from tests.test_calibration_sweep_reboot_check import BOOTED, ECHO_70, PLAN

ECHO_30 = ECHO_70.replace(b"70.00", b"30.00")
WAIT = ("wait", None)  # no event by the deadline: the clock goes to it


class Clock:
    """A monotonic clock the scripted events move: each event `after_s` after the last, a wait to its deadline."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._script: Iterator[tuple[str, object, float]] = iter(())

    def monotonic(self) -> float:
        return self.now

    def play(self, *events: tuple[str, object, float] | tuple[str, None]) -> None:
        self._script = iter((event[0], event[1], event[2] if len(event) == 3 else 0.0) for event in events)

    def next_event(self, deadline: float) -> Event | None:
        kind, data, after_s = next(self._script, ("stop", "the script is over", 0.0))
        if kind == "wait":
            self.now = deadline
            return None
        self.now += after_s
        return kind, self.now, data


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("calibration.sweep_reboot.time", clock)
    monkeypatch.setattr("calibration.sweep_measure.time", clock)
    return clock


def _check(tmp_path: Path, clock: Clock) -> tuple[StepMeasure, RebootCheck, list[str]]:
    target = load_sweep_target(write_config(tmp_path, 1), "ecs")
    asked: list[str] = []
    step = StepMeasure(target, PLAN, clock.next_event, lambda percent: asked.append(f"{percent:g}"), False)
    return step, RebootCheck(step, clock.next_event, lambda: asked.append("status")), asked


def _away_then_back(check: RebootCheck, clock: Clock) -> None:
    """The first check: asked twice (no answer within RESEND_S), its first answer 0.5 s after the second question;
    the second question's answer is still owed."""
    clock.play(WAIT, ("variator", ECHO_70, 0.5))
    assert check.verdict(70.0, 0.0, clock.now).away


def test_a_late_answer_to_the_check_befores_question_is_not_the_next_checks(tmp_path: Path, clock: Clock) -> None:
    # A short --first-settle: the step measured again fell at once, and the next check's question went out before the
    # answer to the check before's second question came. Taken for its own, the variator answered at once at the
    # step's percent: a cut, though it had rebooted since (its boot_detected came right after).
    _, check, asked = _check(tmp_path, clock)
    _away_then_back(check, clock)
    clock.play(("variator", ECHO_70, 0.1), ("variator", BOOTED, 0.2))
    assert check.verdict(70.0, 0.0, clock.now).again == "the variator rebooted (boot_detected)"
    assert asked == ["status", "status", "status"]


def test_the_next_checks_own_answer_after_an_owed_one_is_a_cut(tmp_path: Path, clock: Clock) -> None:
    _, check, asked = _check(tmp_path, clock)
    _away_then_back(check, clock)
    clock.play(("variator", ECHO_70, 0.1), ("variator", ECHO_70, 0.1))
    assert check.verdict(70.0, 0.0, clock.now, away_counts=False).again is None
    assert asked == ["status", "status", "status"]


def test_a_question_unanswered_past_the_answers_wait_is_owed_nothing(tmp_path: Path, clock: Clock) -> None:
    # (lost: the variator away when it came; the variator answers in milliseconds, ANSWER_WAIT_S at most)
    _, check, _ = _check(tmp_path, clock)
    _away_then_back(check, clock)
    clock.now += ANSWER_WAIT_S + RESEND_S
    clock.play(("variator", ECHO_70, 0.1))
    assert check.verdict(70.0, 0.0, clock.now).again is None


def test_an_owed_answer_the_steps_readings_took_is_owed_no_more(tmp_path: Path, clock: Clock) -> None:
    # It came during the step's measure again (an echo that answers no command): the next check's first answer is its.
    step, check, _ = _check(tmp_path, clock)
    _away_then_back(check, clock)
    step.command(70.0)
    clock.play(("variator", ECHO_70, 0.1), ("variator", ECHO_70, 0.1),
               *[("reading", f'{{"power": 1.0, "energy": {n}}}'.encode(), 0.1) for n in range(4)])
    step.measure(70.0, clock.now, clock.now)
    clock.play(("variator", ECHO_70, 0.1))
    assert check.verdict(70.0, 0.0, clock.now).again is None


def test_a_reboot_voids_the_questions_owed(tmp_path: Path, clock: Clock) -> None:
    # (a variator back from a reboot lost the questions it had not answered: its next answer is to a new one)
    step, check, _ = _check(tmp_path, clock)
    _away_then_back(check, clock)
    clock.play(("variator", BOOTED, 0.1))
    assert check.verdict(70.0, 0.0, clock.now).again == "the variator rebooted (boot_detected)"
    clock.play(("variator", ECHO_70, 0.1))
    assert check.verdict(70.0, 0.0, clock.now).again is None


def test_the_answers_owed_at_another_percent_are_not_another_clients_percent(tmp_path: Path, clock: Clock) -> None:
    # The variator at 30 % (back from a reboot whose boot_detected was lost), slow to answer: asked 3 times, its first
    # answer says 30 %, the step commanded again. The two answers still owed (30 %) come before its command's: taken
    # for another client's percent, the step was commanded and measured again for it, then the sweep stopped, "another
    # client commands it".
    step, check, asked = _check(tmp_path, clock)
    clock.play(WAIT, WAIT, ("variator", ECHO_30, 0.5))
    assert (check.verdict(70.0, 0.0, clock.now).again or "").startswith("the variator reports 30 %")
    step.command(70.0)
    clock.play(("variator", ECHO_30, 0.1), ("variator", ECHO_30, 0.1), ("variator", ECHO_70, 0.1),
               *[("reading", f'{{"power": 1500.0, "energy": {n}}}'.encode(), 0.1) for n in range(4)])
    assert step.measure(70.0, clock.now, clock.now)[0] == [1500.0] * 4
    assert step.remeasures.seen == []
    assert asked == ["status", "status", "status", "70"]


def test_another_clients_percent_after_the_commands_answer_is_one_though_a_question_is_owed(
        tmp_path: Path, clock: Clock) -> None:
    # (the firmware answers in turn: once it answered the step's command, it answers no question asked before)
    step, check, asked = _check(tmp_path, clock)
    clock.play(WAIT, WAIT, ("variator", ECHO_30, 0.5))
    check.verdict(70.0, 0.0, clock.now)
    step.command(70.0)
    clock.play(("variator", ECHO_70, 0.1), ("variator", ECHO_30, 0.1), ("variator", ECHO_70, 0.1),
               *[("reading", f'{{"power": 1500.0, "energy": {n}}}'.encode(), PLAN.settle_s) for n in range(4)])
    step.measure(70.0, clock.now, clock.now)
    assert [cause for cause, _ in step.remeasures.seen] == [Cause.ELSEWHERE]
    assert asked == ["status", "status", "status", "70", "70"]
