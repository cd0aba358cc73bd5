"""Whether the heater's variator answers at all (`variator_answers`, saved by both fallback rules) is not kept for ever:
a status topic changed since the save, or days of running with its commands unanswered (a firmware swapped for one
that publishes no answers), and it is one without answers again, its forces counted from their command. Kept, every
force after each restart read as unheard: its energy never counted, the target missed every night."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from field.fallback_answers import FORGET_AFTER_S, VariatorAnswers
from tests.field_house import ECS_STATUS, at, field_config, ticks
from tests.harness import Harness
from tests.test_fallback_night_force import DEADLINE, grey_day_heard

OTHER_TOPIC = "regul/vload/ECS2"


def heard_until(tmp_path: Path, stop_at: float, extra: str = DEADLINE) -> Harness:
    """PySEB with the deadline rule (or `extra`'s) after grey_day_heard (the variator answered at 00:50), then its ticks
    from 00:51 to `stop_at`."""
    h = Harness(field_config(tmp_path, extra=extra))
    grey_day_heard(h)
    ticks(h, at(2024, 1, 11, 0, 51), stop_at)
    return h


def restart(h: Harness, tmp_path: Path, stop_at: float, ecs: str = "", extra: str = DEADLINE) -> Harness:
    """PySEB (`h`) stopped at `stop_at`, started again at once with the deadline rule (or `extra`'s) and `ecs` keys: a
    new harness, restored from the status file."""
    saved = json.loads(json.dumps(h.reg.status(stop_at)))
    h.reg.shutdown(stop_at)
    again = Harness(field_config(tmp_path, extra=extra, ecs=ecs))
    assert again.reg.restore(saved, stop_at + 30) == []
    return again


def test_a_status_topic_changed_since_the_save_learns_the_variator_s_answers_afresh(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The variator answered on regul/vload/ECS; the user moved it to another status topic, where its firmware publishes
    # nothing. Kept, the night's force was "not answered": 0 of 6000 Wh counted, MISSED, every night.
    caplog.set_level(logging.INFO)
    stop_at = at(2024, 1, 11, 1, 0)
    h = heard_until(tmp_path, stop_at)
    saved = h.reg.status(stop_at)["water_heater"]["deadline_rule"]
    assert saved["variator_answers"] is True and saved["variator_status_topic"] == ECS_STATUS
    again = restart(h, tmp_path, stop_at, ecs=f"topic_status = {OTHER_TOPIC}\n")
    assert f"deadline rule: ecs's variator status topic is {OTHER_TOPIC}, it was {ECS_STATUS} when saved: whether " \
        "it answers is learned afresh" in caplog.text
    ticks(again, stop_at + 60, at(2024, 1, 11, 7, 1))
    assert "has not answered its force" not in caplog.text
    assert "deadline rule: ecs got 0 of 6000 Wh" not in caplog.text
    assert "target reached" in caplog.text
    assert again.reg.status(at(2024, 1, 11, 7, 1))["water_heater"]["deadline_rule"]["variator_answers"] is False


@pytest.mark.parametrize(("ecs", "kept"), [("", True), (f"topic_status = {OTHER_TOPIC}\n", False)])
def test_the_seed_rule_keeps_the_variator_s_answers_for_its_status_topic_only(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, ecs: str, kept: bool) -> None:
    caplog.set_level(logging.INFO)
    stop_at = at(2024, 1, 11, 0, 55)
    h = heard_until(tmp_path, stop_at, extra="")
    again = restart(h, tmp_path, stop_at, ecs=ecs, extra="")
    assert again.reg.status(stop_at + 30)["water_heater"]["seed_rule"]["variator_answers"] is kept
    said = f"low-energy fallback: ecs's variator status topic is {OTHER_TOPIC}, it was {ECS_STATUS} when saved"
    assert (said in caplog.text) is not kept


def test_the_same_status_topic_keeps_the_variator_s_answers(tmp_path: Path) -> None:
    # (the case the flag is saved for: a power cut rebooted the variator too, off the network since)
    stop_at = at(2024, 1, 11, 1, 0)
    h = heard_until(tmp_path, stop_at)
    again = restart(h, tmp_path, stop_at, ecs=f"topic_status = {ECS_STATUS}\n")
    assert again.reg.status(stop_at + 30)["water_heater"]["deadline_rule"]["variator_answers"] is True


def test_days_of_commands_unanswered_across_restarts_take_the_variator_for_one_without_answers(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The variator answered until 00:50; its firmware is then swapped for one that publishes no answers, and PySEB is
    # restarted every day at noon. Kept, the deadline rule's force was unanswered every night, 0 Wh counted, the target
    # MISSED for ever. After three days of running with its commands unanswered (counted across the restarts), it is
    # one without answers: the next night's force is counted from its command.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    grey_day_heard(h)
    start = at(2024, 1, 11, 0, 51)
    for day in (11, 12, 13, 14):
        stop_at = at(2024, 1, day, 12, 0)
        ticks(h, start, stop_at)
        silent_s = h.reg.status(stop_at)["water_heater"]["deadline_rule"]["variator_silent_s"]
        assert 0 < silent_s < FORGET_AFTER_S or "answered no command" in caplog.text
        h, start = restart(h, tmp_path, stop_at), stop_at + 60
    ticks(h, start, at(2024, 1, 15, 7, 1))
    text = caplog.text
    assert "deadline rule: ecs got 0 of 6000 Wh by 2024-01-11 07:00 (MISSED)" in text  # (judged: off the network?)
    assert "deadline rule: ecs got 0 of 6000 Wh by 2024-01-13 07:00 (MISSED)" in text
    assert text.count("deadline rule: ecs's variator has answered no command for 3 days") == 1
    assert "deadline rule: ecs got 0 of 6000 Wh by 2024-01-15 07:00" not in text
    assert "by 2024-01-15 07:00 (met)" in text
    assert h.reg.status(at(2024, 1, 15, 7, 1))["water_heater"]["deadline_rule"]["variator_answers"] is False


def test_a_forgotten_variator_that_answers_again_is_judged_again() -> None:
    answers = VariatorAnswers("ecs", "deadline rule", ECS_STATUS)
    assert answers.last_answer(100.0, 100.0, 90.0) == 100.0  # (answered its command)
    now = 200.0
    while answers.answering:  # a command at 200 s, never answered
        answers.last_answer(100.0, now, 200.0)
        now += 5.0
    assert now - 200.0 == pytest.approx(FORGET_AFTER_S + 5.0)
    assert answers.last_answer(100.0, now, 200.0) is None  # (its old answer judges nothing)
    assert answers.last_answer(now, now + 5.0, 200.0) == now  # (a new answer: it answers)
    assert answers.answering and answers.silent_s == 0.0


def test_an_answer_starts_the_silence_afresh() -> None:
    # Two days unanswered, an answer, two more days unanswered: two days of silence, not four (it answers).
    answers = VariatorAnswers("ecs", "deadline rule", ECS_STATUS)
    answers.last_answer(100.0, 100.0, 90.0)
    two_days_s = 2 * FORGET_AFTER_S / 3
    now, commanded_at = 200.0, 200.0
    while now < commanded_at + two_days_s:
        answers.last_answer(100.0, now, commanded_at)
        now += 300.0
    answers.last_answer(now, now, commanded_at)  # (the command in effect answered)
    assert answers.silent_s == 0.0
    commanded_at = now + 300.0  # (a new command, never answered)
    while now < commanded_at + two_days_s:
        now += 300.0
        answers.last_answer(commanded_at - 300.0, now, commanded_at)
    assert answers.answering and answers.silent_s == pytest.approx(two_days_s, abs=600.0)


def test_a_clock_jump_is_no_silence() -> None:
    # (a clock stepped days forward between two looks, PySEB suspended: no running time with a command unanswered)
    answers = VariatorAnswers("ecs", "deadline rule", ECS_STATUS)
    answers.last_answer(100.0, 100.0, 90.0)
    answers.last_answer(100.0, 200.0, 200.0)
    answers.last_answer(100.0, 200.0 + FORGET_AFTER_S + 10.0, 200.0)
    assert answers.answering and answers.silent_s == 0.0
