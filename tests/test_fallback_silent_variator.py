"""A water heater's variator silent all through the fallback's night force (off the network since before it, its
heater's meter at 0 W): nobody can tell a full tank, the force runs to its end and no longer, what it did not deliver
is not counted, and the log says so once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from field.fallback_answers import ForceAnswers
from tests.field_house import DEADLINE, ECS_CMD, ECS_METER, ECS_STATUS, at, field_config, ticks
from tests.field_tank import EMPTY_TANK, live
from tests.harness import MODE, Harness
from tests.test_fallback_night_force import deadline_force_made, echo, grey_day_heard


@pytest.mark.parametrize(("extra", "rule", "force_at", "end_at"), [
    ("", "seed_rule", at(2024, 1, 11, 1, 0, 30), at(2024, 1, 11, 4, 31)),
    (DEADLINE, "deadline_rule", at(2024, 1, 11, 2, 45), at(2024, 1, 11, 6, 1)),
])
def test_a_variator_silent_all_through_the_night_force_is_never_judged_and_the_force_ends(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, extra: str, rule: str, force_at: float,
        end_at: float) -> None:
    # The variator answered at 00:50, then fell off the network: the night's force and every question after it
    # unanswered, its heater's meter at 0 W all night. Not a full tank (nobody knows), said once; the force runs to its
    # end and no longer (the heater commanded 0 W then), the question not sent at every reading.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n", extra=extra))
    grey_day_heard(h)
    caplog.clear()
    now = at(2024, 1, 11, 0, 51)
    while now <= end_at:
        h.reg.handle(ECS_METER, live(EMPTY_TANK), now)
        h.reg.tick(now + 0.5)
        if now < force_at + 60:
            assert h.load("ecs").forced_by in (None, rule)
        elif now < end_at - 120:
            assert h.load("ecs").forced_by == rule and not h.load("ecs").overed
        now += 5
    commands = [payload for payload in h.on(ECS_CMD) if payload != "status"]
    assert not h.load("ecs").is_forced() and commands[-1] == "0" and not h.load("ecs").overed
    assert caplog.text.count("ecs: its meter reads 0.0 W but the variator has not answered its command") == 1
    assert "ecs is full" not in caplog.text
    # (asked again while the silence lasts, at most once a minute: a variator back from a Wi-Fi drop without a boot is
    # told its command by its answer; not at every reading)
    assert 3 <= h.on(ECS_CMD).count("status") <= (end_at - at(2024, 1, 11, 0, 51)) / 60 + 30
    if rule == "deadline_rule":
        # It said "target reached" at 05:45 with 6000 Wh counted from the command, the water cold, and nothing else.
        assert caplog.text.count("deadline rule: ecs's variator has not answered its force (off the network?)") == 1
        assert "target reached" not in caplog.text
        assert "deadline rule: ecs's variator never answered its force: 6500 Wh not counted, the water may be cold" \
            in caplog.text
        ticks(h, end_at + 60, at(2024, 1, 11, 7, 1))
        assert "deadline rule: ecs got 0 of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text


@pytest.mark.parametrize(("answer_after_s", "met"), [(1, True), (1800, False)])
def test_the_deadline_rule_counts_its_force_from_its_variator_s_answer(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, answer_after_s: float, met: bool) -> None:
    # Answered at once: all of it counted, the target met at 05:45 as before. Answered 30 min late (back on the
    # network): the 1000 Wh counted before its answer are not, and the force runs to 06:00, the target missed.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    deadline_force_made(h)
    answer_at = at(2024, 1, 11, 2, 45) + answer_after_s
    ticks(h, at(2024, 1, 11, 2, 45, 30), answer_at - 1, step_s=30)
    h.reg.handle(ECS_STATUS, echo(100), answer_at)
    ticks(h, answer_at + 30, at(2024, 1, 11, 7, 1))
    if met:
        assert "deadline rule: ecs got 6033 of 6000 Wh: target reached" in caplog.text
    else:
        # (983: the rule's ticks 30 s apart, the force made at the first after 02:45)
        assert "ecs's variator answered its force 30 min late (off the network until then?): 983 Wh counted before " \
            "its answer not delivered" in caplog.text
        assert "deadline rule: ecs got 5533 of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text


def test_the_deadline_rule_s_force_unforced_before_its_variator_could_answer_is_not_judged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Unforced 30 s after the force was made, its variator's answer not come yet (it has a minute, as for the seed
    # rule's force): it said "never answered its force ... the water may be cold" of a variator that had no time to.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    deadline_force_made(h)
    h.reg.tick(at(2024, 1, 11, 2, 45, 20))
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 11, 2, 45, 25))
    ticks(h, at(2024, 1, 11, 2, 45, 30), at(2024, 1, 11, 2, 50), step_s=5)
    assert "deadline rule: ecs's force was ended early (unforced)" in caplog.text
    assert "never answered its force" not in caplog.text and "has not answered its force" not in caplog.text
    # (what it drew until the unforce counted: 25 s at 2000 W)
    assert h.reg.status(at(2024, 1, 11, 2, 50))["water_heater"]["deadline_rule"]["delivered_wh"] == \
        pytest.approx(2000 * 25 / 3600, abs=3)


def test_a_force_stopped_after_the_clock_stepped_back_does_not_count_its_unanswered_energy_as_within_its_first_minute(
        caplog: pytest.LogCaptureFixture) -> None:
    # The variator last answered at 00:50, before the force made at 02:45: 30 min of it held, unanswered. The wall
    # clock then stepped back an hour and the force ended: `now - started_at` was negative, taken for "within the
    # first minute" (no time to answer), and the 1000 Wh its variator never heard were counted.
    answers = ForceAnswers("ecs")
    started_at, heard_at = at(2024, 1, 11, 2, 45), at(2024, 1, 11, 0, 50, 5)
    answers.start(started_at)
    counted = sum(answers.counted_wh(started_at + 30 * i, 2000 * 30 / 3600, heard_at, started_at)
                  for i in range(1, 61))
    assert counted == 0 and answers.unheard_wh == pytest.approx(1000)
    assert answers.stop(started_at + 1800 - 3600) == 0
    assert "ecs's variator never answered its force: 1000 Wh not counted" in caplog.text
