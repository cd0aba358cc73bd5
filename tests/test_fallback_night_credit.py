"""What the seed rule's night force is credited with when the clock misleads it or the variator does not hear it,
driven through the regulator: a forward jump of the clock (NTP setting a Pi's clock) that ends the force early, a
clock set back by days, a variator off the network that never answered the force's command."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from field.fallback_resume import MAX_LATE_S, OwnForce
from tests.configs import reading
from tests.field_house import ECS_CMD, ECS_METER, ECS_STATUS, at, field_config, ticks
from tests.harness import MODE, Harness
from tests.test_fallback_night_force import echo, night_force_made


def seed_rule(h: Harness, now: float) -> dict:
    return h.reg.status(now)["water_heater"]["seed_rule"]


@pytest.mark.parametrize(("step_s", "credited_wh"), [(3 * 3600.0, 2000), (1800.0, 6000)])
def test_a_clock_jump_that_ends_the_night_force_early_credits_only_what_was_drawn(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, step_s: float, credited_wh: float) -> None:
    # The 01:00 force (7000 Wh, 3.5 h at 2000 W); an hour into it NTP sets the clock 3 h (or 30 min) ahead: the force
    # ends at the clock's 04:30, after 1 h (3 h) of heating, the jump not drawn. Credited whole, the next night's
    # check took the 5000 Wh (1000 Wh) never drawn for hot water.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 59))
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    assert h.load("ecs").forced_by == "seed_rule" and seed_rule(h, at(2024, 1, 11, 1, 1))["yesterday_wh"] == 7000
    ticks(h, at(2024, 1, 11, 1, 1, 30), at(2024, 1, 11, 2, 0, 30), step_s=5)
    h.reg.clock_stepped_forward(step_s)
    ticks(h, at(2024, 1, 11, 2, 0, 30) + step_s, at(2024, 1, 11, 8, 0), step_s=5)
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    # (a tick's few Wh: the force's last 5 s count in the next window)
    assert h.load("ecs").energy_wh == pytest.approx(credited_wh, abs=5)
    assert seed_rule(h, at(2024, 1, 11, 8))["yesterday_wh"] == pytest.approx(credited_wh, abs=5)
    said = re.search(rf"low-energy fallback: ecs's force was cut short by the clock jumping {step_s / 60:.0f} min "
                     r"forward: (\d+) Wh of it not drawn, not credited", caplog.text)
    assert said is not None and float(said[1]) == pytest.approx(7000 - credited_wh, abs=5)


def test_a_clock_set_back_by_days_starts_the_seed_rule_s_window_afresh(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # At 12:00 the clock is set back 3 days (by hand, a clock module's wrong date). The next check said "only -58.0 h
    # counted (fresh start)"; and the heater's energy was not counted in the window for 3 days (counted only from the
    # end of the last night's force, 3 days ahead of the clock).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 12, 0))
    assert h.load("ecs").energy_wh == pytest.approx(7000, abs=40)  # the night's force
    caplog.clear()
    ticks(h, at(2024, 1, 8, 12, 0), at(2024, 1, 9, 11, 59))
    assert "low-energy fallback: the clock reads 3.0 days behind its last tick (set back): the window starts afresh" \
        in caplog.text
    assert "only 13.0 h of heater energy counted (fresh start): no force" in caplog.text
    assert re.findall(r"only (-?[\d.]+) h of heater energy", caplog.text) == ["13.0"]
    assert not h.load("ecs").is_forced()
    # A user's hour at 2000 W in the day: the next night's check counts it (2000 of 7000 Wh, 5000 missing).
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 3600}', at(2024, 1, 9, 12))
    ticks(h, at(2024, 1, 9, 12, 0), at(2024, 1, 10, 0, 59))
    caplog.clear()
    h.reg.tick(at(2024, 1, 10, 1, 0, 30))
    assert h.load("ecs").forced_by == "seed_rule"
    assert "forcing ecs to 2000 W for 9000 s (5000 Wh missing); winter: today 2000 Wh" in caplog.text


def test_a_clock_set_back_by_days_during_the_night_force_keeps_its_time_left(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Set back 2 days an hour into the 01:00 force: the force runs its 2.5 h left, credited whole, and the new window's
    # energy is counted from its end.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 59))
    ticks(h, at(2024, 1, 11, 1, 0, 30), at(2024, 1, 11, 2, 0, 30), step_s=5)
    assert h.load("ecs").forced_by == "seed_rule"
    ticks(h, at(2024, 1, 9, 2, 0, 35), at(2024, 1, 9, 6, 0), step_s=5)
    assert not h.load("ecs").is_forced() and h.load("ecs").energy_wh == pytest.approx(7000, abs=5)
    rule = seed_rule(h, at(2024, 1, 9, 6))
    assert rule["yesterday_wh"] == 7000 and rule["today_wh"] == pytest.approx(0, abs=5)
    assert rule["own_force"] is None and rule["count_from"] == pytest.approx(at(2024, 1, 9, 4, 30, 30), abs=5)
    assert "not credited" not in caplog.text


@pytest.mark.parametrize(("answer_at", "credited_wh"), [
    (at(2024, 1, 11, 1, 0, 31), 7000),  # at once: credited whole
    (at(2024, 1, 11, 2, 0, 30), 5000),  # an hour late: from then on
    (None, 0),  # never: nothing
])
def test_a_variator_that_does_not_hear_the_night_force_is_not_credited_for_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, answer_at: float | None, credited_wh: float) -> None:
    # No meter of the heater's own: the force's energy is counted from the command. The variator, off the Wi-Fi,
    # heard nothing: its 7000 Wh were credited, the water cold, and the next night's check took it for hot.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    night_force_made(h)  # (its variator answered before)
    now = at(2024, 1, 11, 1, 0, 30)
    while now < at(2024, 1, 11, 8, 0):
        now += 5
        if answer_at is not None and now - 5 < answer_at <= now:
            h.reg.handle(ECS_STATUS, echo(100), answer_at)
        h.reg.tick(now)
    assert not h.load("ecs").is_forced()
    assert seed_rule(h, now)["yesterday_wh"] == pytest.approx(credited_wh, abs=20)
    warned = [r for r in caplog.records if "the water may be cold" in r.getMessage()]
    if answer_at is None:
        assert [(r.levelno, r.getMessage()) for r in warned] == [
            (logging.WARNING, "low-energy fallback: ecs's variator never answered during the night force (off the "
                              "network?): the heater may not have heated, the water may be cold; 7000 Wh of it not "
                              "credited")]
    else:
        assert warned == []
    late = ("low-energy fallback: ecs's variator answered the night force late (off the network until then?): 2000 Wh "
            "of it not credited")
    assert (late in caplog.text) == (credited_wh == 5000)


def _an_hour_unheard() -> tuple[OwnForce, float]:
    """The 01:00 force (7000 Wh) and its start, an hour of it (2000 Wh) followed, its variator silent since 00:50."""
    force = OwnForce(7000.0, at(2024, 1, 11, 1), at(2024, 1, 11, 4, 30), MAX_LATE_S + 12600)
    start = at(2024, 1, 11, 1)
    force.started(start)
    for minute in range(1, 61):
        force.follow(start + 60 * minute, 2000 / 60, None, True, heard_at=start - 600, commanded_at=start)
    return force, start


def test_a_night_force_not_heard_yet_is_saved_as_such() -> None:
    # Saved an hour into a force its variator never answered: restored, the 2000 Wh counted are not taken for heated
    # (forced again for all 7000 Wh, or credited nothing once the night is over). A file from before: nothing to judge.
    force, start = _an_hour_unheard()
    back = OwnForce.from_snapshot(json.loads(json.dumps(force.snapshot())))
    assert (back.heard, back.drawn_wh, back.heated_wh) == (False, pytest.approx(2000), 0.0)
    back.given_up = True
    assert back.not_drawn_wh == pytest.approx(7000)
    old = {key: value for key, value in force.snapshot().items() if key not in ("heard", "unheard_wh")}
    assert OwnForce.from_snapshot(old).heated_wh == pytest.approx(2000)


def test_a_night_force_ended_before_its_variator_could_answer_is_not_judged() -> None:
    force = OwnForce(7000.0, at(2024, 1, 11, 1), at(2024, 1, 11, 4, 30), MAX_LATE_S + 12600)
    start = at(2024, 1, 11, 1)
    force.started(start)
    force.follow(start + 5, 2.8, None, True, heard_at=start - 600, commanded_at=start)
    assert force.follow(start + 10, 2.8, None, False, heard_at=start - 600, commanded_at=start) == 0.0  # unforced
    force.closing(start + 10)
    assert force.heard and force.unheard_wh == 0 and force.not_drawn_wh == pytest.approx(7000 - 2.8)


def test_a_night_force_closed_after_the_clock_stepped_back_is_still_judged() -> None:
    # An hour of the 01:00 force unanswered (2000 Wh held); the clock then stepped back two hours and the force was
    # closed: `now - started_at` was negative, taken for "within its first minute", and the 2000 Wh were credited.
    force, start = _an_hour_unheard()
    force.closing(start + 3600 - 2 * 3600)
    assert not force.heard and force.heated_wh == 0.0


def test_a_variator_that_does_not_hear_the_night_force_is_not_credited_with_the_heater_s_meter_either(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The heater's own meter reads 0 W all night (not taken for a full tank: the variator did not answer); the force
    # ran its course and was credited whole.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    night_force_made(h)
    now = at(2024, 1, 11, 1, 0, 30)
    while now < at(2024, 1, 11, 8, 0):
        now += 5
        h.reg.handle(ECS_METER, reading(0.0), now)
        h.reg.tick(now)
    assert not h.load("ecs").is_forced() and not h.load("ecs").overed
    assert seed_rule(h, now)["yesterday_wh"] == pytest.approx(0, abs=20)
    assert "ecs's variator never answered during the night force (off the network?)" in caplog.text
