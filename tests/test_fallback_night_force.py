"""The fallback's night force from the grid, driven through the regulator, when something happens during it: a
variator that does not answer the force's command (its heater's meter then reads 0 W, as for a full tank), the
water-heater mode set to forced, the user's unforce of the deadline rule's force, that force
run out after the clock stepped back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from field.full_tank import MeteredFullTank
from integrations.domoticz_control import EcsMode
from tests.field_house import DEADLINE, ECS_CMD, ECS_METER, ECS_STATUS, at, field_config, ticks
from tests.field_tank import thermostat_cut
from tests.harness import MODE, Harness


def echo(percent: int) -> bytes:
    """The variator's answer to a command (PROTOCOL.md)."""
    return b'{"percent": %d, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}' % percent


def grey_day_heard(h: Harness) -> None:
    """A grey day counted from 00:30, the variator's answer at 00:50 (PySEB knows it answers)."""
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 50))
    h.reg.handle(ECS_STATUS, echo(0), at(2024, 1, 11, 0, 50, 5))


def night_force_made(h: Harness) -> None:
    """grey_day_heard: the 01:00 check forces the heater (7000 Wh)."""
    grey_day_heard(h)
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    assert h.load("ecs").forced_by == "seed_rule" and h.last(ECS_CMD) == "100"


def deadline_force_made(h: Harness) -> None:
    """grey_day_heard, then the deadline rule's force (6000 Wh by 07:00) made at 02:45 (`h` configured with
    DEADLINE)."""
    grey_day_heard(h)
    ticks(h, at(2024, 1, 11, 0, 51), at(2024, 1, 11, 2, 45))
    assert h.load("ecs").forced_by == "deadline_rule"


def test_a_variator_that_does_not_answer_the_fallback_s_force_is_no_full_tank(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The variator answered its commands, then fell off the Wi-Fi: the 01:00 force (7000 Wh) reached no one and the
    # heater's own meter read 0 W. Taken for a full tank, the force was dropped within 10 s, its 7000 Wh credited to
    # the day, the heater kept off until 06:00: cold water, and a next night's check counting 7000 Wh never drawn.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    night_force_made(h)
    thermostat_cut(h, at(2024, 1, 11, 1, 0, 32), count=8)
    assert not h.load("ecs").overed and h.load("ecs").forced_by == "seed_rule"
    assert "ecs: its meter reads 0.0 W but the variator has not answered its command: not taken for a full tank" \
        in caplog.text
    assert "status" in h.on(ECS_CMD)  # (asked whether it is alive)
    # Back on the network, it answers during the low readings (it runs at 100 % and the heater still draws nothing): now
    # a full tank. (An answer from before them is not enough: a variator rebooting since draws nothing either.)
    thermostat_cut(h, at(2024, 1, 11, 1, 1, 2), count=1)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 1, 3))
    thermostat_cut(h, at(2024, 1, 11, 1, 1, 4), count=4)
    assert h.load("ecs").overed and not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    # A full tank ends the night's force, credited whole (the water is hot), and it is not forced again once the daily
    # clear lifts the flag at 06:00.
    ticks(h, at(2024, 1, 11, 1, 2), at(2024, 1, 11, 8, 0))
    assert not h.load("ecs").overed and not h.load("ecs").is_forced()
    assert h.reg.status(at(2024, 1, 11, 8))["water_heater"]["seed_rule"]["yesterday_wh"] == 7000


def test_a_variator_answering_each_command_after_the_meter_s_reading_is_judged() -> None:
    # The closed loop moves the command at each decision, the meter reads just after it and the variator's answer
    # comes a moment later: the command in effect is never yet answered at a reading, the variator answers all along.
    tank = MeteredFullTank("ecs", 150.0)
    full = [tank.on_reading(0.0, 2000.0, t + 0.02, heard_at=t - 1.8, commanded_at=t)
            for t in (100.0, 102.0, 104.0, 106.0, 108.0)]
    assert full == [False, False, False, False, True]
    deaf = MeteredFullTank("ecs", 150.0)  # its last answer from before these readings and the command in effect
    assert not any(deaf.on_reading(0.0, 2000.0, t, heard_at=50.0, commanded_at=99.0) for t in range(100, 120, 2))


def test_a_variator_gone_after_one_answer_while_the_loop_moves_its_command_is_not_judged() -> None:
    # It answered once in the run (at 100.5), then went (Wi-Fi lost) while the loop sent a new command at every
    # reading: each command a moment old at its reading, the last one was never judged unanswered, and its heater's
    # 0 W (it never heard them) made the tank full at the fifth reading. Its first unanswered command is the one to go
    # by.
    tank = MeteredFullTank("ecs", 150.0)
    full = [tank.on_reading(0.0, 1000.0 + t, t + 0.02, heard_at=100.5, commanded_at=t)
            for t in (100.0, 102.0, 104.0, 106.0, 108.0, 110.0)]
    assert not any(full) and not tank.full
    back = MeteredFullTank("ecs", 150.0)  # (it answers each command, a moment after the reading: judged, full)
    assert [back.on_reading(0.0, 1000.0 + t, t + 0.02, heard_at=t + 0.5 - 2.0, commanded_at=t)
            for t in (100.0, 102.0, 104.0, 106.0, 108.0)][-1]


@pytest.mark.parametrize(("extra", "rule", "mode_at"), [
    ("", "seed_rule", at(2024, 1, 11, 1, 30)),
    (DEADLINE, "deadline_rule", at(2024, 1, 11, 4, 0)),
])
def test_the_mode_set_to_forced_during_a_rule_s_force_takes_the_heater_over_without_a_click(
        tmp_path: Path, extra: str, rule: str, mode_at: float) -> None:
    # The heater at full power from the rule's force; the user sets the mode to forced (full power until the mode
    # changes): the rule's force was undone, the heater commanded 0 W, and forced again by the mode a tick later.
    h = Harness(field_config(tmp_path, extra=extra))
    ticks(h, at(2024, 1, 10, 0, 30), mode_at - 60)
    assert h.load("ecs").forced_by == rule and h.last(ECS_CMD) == "100"
    sent = len(h.sent)
    assert h.reg.field.heater is not None
    h.reg.field.heater.set_mode(EcsMode.FORCED, mode_at, "test")
    ticks(h, mode_at, mode_at + 3600, step_s=1)
    assert [p for t, p, _ in h.sent[sent:] if t == ECS_CMD] == []  # held at 100 % all along
    assert h.load("ecs").forced_by == "mode" and h.load("ecs").force_end_at is None
    if rule == "seed_rule":  # the rule's force ended early by the mode: only its 30 min drawn credited to its night
        seed = h.reg.status(mode_at + 3600)["water_heater"]["seed_rule"]
        assert seed["yesterday_wh"] == pytest.approx(1000, abs=40) and seed["today_wh"] == pytest.approx(2000, abs=40)
    h.reg.field.heater.set_mode(EcsMode.SOLAR_FALLBACK, mode_at + 3601, "test")
    assert h.last(ECS_CMD) == "0" and not h.load("ecs").is_forced()


def test_the_deadline_rule_s_force_unforced_by_the_user_is_not_shown_as_forcing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Unforced at 04:00 (regul/mode): the user's word, not forced again before the deadline. But the rule still said
    # "forcing": true in the status with the heater at 0 W, warned its target "out of reach", and logged the heater
    # "no longer forced (off-peak span over)" at 06:00, as if it had heated from the grid until then.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 4, 0))
    assert h.load("ecs").forced_by == "deadline_rule"
    caplog.clear()
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 11, 4, 0, 10))
    ticks(h, at(2024, 1, 11, 4, 1), at(2024, 1, 11, 4, 30))
    rule = h.reg.status(at(2024, 1, 11, 4, 30))["water_heater"]["deadline_rule"]
    assert rule["forcing"] is False and rule["ended_early"] is True
    assert "deadline rule: ecs's force was ended early (unforced): not forced again before 2024-01-11 07:00" \
        in caplog.text
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 4, 30))))
    again = Harness(field_config(tmp_path, extra=DEADLINE))  # a restart: still the user's word
    assert again.reg.restore(saved, at(2024, 1, 11, 4, 31)) == []
    ticks(again, at(2024, 1, 11, 4, 31), at(2024, 1, 11, 7, 1))
    assert not again.load("ecs").is_forced() and again.last(ECS_CMD) in (None, "0")
    assert "out of reach" not in caplog.text and "off-peak span over" not in caplog.text
    assert "deadline rule: ecs got 2506 of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text
    ticks(again, at(2024, 1, 11, 7, 2), at(2024, 1, 12, 3, 0))  # the next night is a night of its own
    assert again.load("ecs").forced_by == "deadline_rule"


@pytest.mark.parametrize("extra", [
    "[fallback]\nseed_rule = false\n",
    "[fallback]\nseed_rule = false\nmin_energy_wh = 0\ndeadline = 07:00\n",  # (0 Wh: the deadline rule is off)
    "[domoticz]\necs_mode_default = solar\n",  # the mode excludes the fallback
    f"[domoticz]\necs_mode_default = solar\n{DEADLINE}",
], ids=["seed_rule_off", "deadline_0_wh", "mode_solar", "mode_solar_deadline"])
def test_a_config_that_disables_the_fallback_never_heats_from_the_grid(tmp_path: Path, extra: str) -> None:
    # Two grey days and nights with nothing from the sun: the heater is never commanded.
    h = Harness(field_config(tmp_path, extra=extra))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 12, 8, 0))
    assert set(h.on(ECS_CMD)) <= {"0"} and not h.load("ecs").is_forced() and h.load("ecs").energy_wh == 0


@pytest.mark.parametrize(("down_s", "drawn_wh"), [(30, 6033), (3600, 4500)])
def test_a_restart_during_the_deadline_rule_s_force_resumes_it_without_heating_twice(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, down_s: float, drawn_wh: float) -> None:
    # The force from 02:45 (6000 Wh by 07:00, off-peak until 06:00), PySEB stopped at 04:00 with 2500 Wh in: back
    # at once, it resumes and stops at the target, not forcing the 6000 Wh again; back an hour later, it forces
    # until 06:00, all that is left, and says the target missed.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 4, 0))
    assert h.load("ecs").forced_by == "deadline_rule" and h.load("ecs").energy_wh == pytest.approx(2500)
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 4, 0))))
    h.reg.shutdown(at(2024, 1, 11, 4, 0))
    assert h.last(ECS_CMD) == "0"
    again = Harness(field_config(tmp_path, extra=DEADLINE))
    assert again.reg.restore(saved, at(2024, 1, 11, 4, 0) + down_s) == []
    caplog.clear()
    ticks(again, at(2024, 1, 11, 4, 0) + down_s, at(2024, 1, 11, 7, 1))
    assert again.on(ECS_CMD) == ["100", "0"] and again.load("ecs").energy_wh == pytest.approx(drawn_wh, abs=1)
    assert f"ecs got {drawn_wh} of 6000 Wh by 2024-01-11 07:00 ({'met' if drawn_wh >= 6000 else 'MISSED'})" \
        in caplog.text


def test_the_deadline_rule_s_force_run_out_after_the_clock_stepped_back_is_not_the_user_s_unforce(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # NTP set the clock back an hour at 04:00 during the rule's force (sized to 06:00): the force kept the time it had
    # left and ran out at 05:00 on the new clock. The rule took that for the user's unforce: "ended early (unforced)"
    # logged, `ended_early: true` shown, the heater not forced again before the deadline. (20000 Wh: out of reach,
    # the force runs to the span's end; a target in reach is met before its force runs out.)
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE.replace("6000", "20000")))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 4, 0))
    assert h.load("ecs").forced_by == "deadline_rule"
    caplog.clear()
    ticks(h, at(2024, 1, 11, 3, 0, 30), at(2024, 1, 11, 5, 30))
    rule = h.reg.status(at(2024, 1, 11, 5, 30))["water_heater"]["deadline_rule"]
    assert rule["ended_early"] is False and rule["forcing"] is True
    assert "unforced" not in caplog.text
    assert "deadline rule: ecs's force ran its time before 2024-01-11 06:00 (the clock stepped back): forcing " \
           "again until then" in caplog.text
    assert h.load("ecs").forced_by == "deadline_rule" and h.last(ECS_CMD) == "100"
    assert h.load("ecs").force_end_at == at(2024, 1, 11, 6)  # the rest, to the span's end on the new clock
    ticks(h, at(2024, 1, 11, 5, 31), at(2024, 1, 11, 6, 1))
    assert not h.load("ecs").is_forced() and "off-peak span over" in caplog.text


def test_the_seed_rule_s_force_run_its_time_after_the_clock_stepped_back_is_not_the_user_s_unforce(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # NTP set the clock back an hour during the seed rule's force: the heater's force kept the time it had left, the
    # rule's own end stayed on the old clock, and the force that ran its whole time was logged "ended early (unforced,
    # or the water-heater mode)", its last Wh not credited.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    night_force_made(h)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 0, 31))  # (the variator heard it)
    end_at = h.load("ecs").force_end_at
    assert end_at is not None
    ticks(h, at(2024, 1, 11, 1, 0, 32), at(2024, 1, 11, 2, 0))
    ticks(h, at(2024, 1, 11, 1, 0, 30), at(2024, 1, 11, 1, 0, 40))  # (an hour back at 02:00)
    rule = h.reg.status(at(2024, 1, 11, 1, 0, 40))["water_heater"]["seed_rule"]
    heater_end_at = h.load("ecs").force_end_at
    assert heater_end_at is not None and heater_end_at < end_at - 3500  # (the heater's force kept its time left)
    # ... and so did the rule's own, and where its window counts the heater from (the energy after the force)
    assert rule["own_force"]["planned_end"] == pytest.approx(heater_end_at, abs=2)
    assert rule["count_from"] == pytest.approx(heater_end_at, abs=2)
    ticks(h, at(2024, 1, 11, 1, 0, 41), end_at + 600)
    assert not h.load("ecs").is_forced() and "has run its time" in caplog.text
    assert "ended early" not in caplog.text and "not credited" not in caplog.text


def test_two_steps_back_adding_up_to_over_a_day_move_the_seed_rule_s_force_once(tmp_path: Path) -> None:
    # (an hour back, then 23.5 h back: the regulator told each, the rule's tick, its last tick still on the first
    # clock, saw 24.5 h behind and moved its force by all of it again, 24 h past the heater's)
    h = Harness(field_config(tmp_path))
    night_force_made(h)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 0, 31))
    ticks(h, at(2024, 1, 11, 1, 0, 32), at(2024, 1, 11, 2, 0))
    ticks(h, at(2024, 1, 11, 1, 0, 30), at(2024, 1, 11, 1, 20, 30))
    back = at(2024, 1, 11, 1, 20, 30) - 23.5 * 3600
    ticks(h, back, back + 10)
    rule = h.reg.status(back + 10)["water_heater"]["seed_rule"]
    heater_end_at = h.load("ecs").force_end_at
    assert heater_end_at is not None and rule["own_force"]["planned_end"] == pytest.approx(heater_end_at, abs=5)
