"""The low-energy fallback's own force (either rule's) wired into the regulator: a boost or a restart during it,
a stop made up, a damaged saved one, one the broker refused or never delivered, one cut by the user: it forces
the rest of the night and credits only what was drawn."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from integrations.domoticz_control import EcsMode
from tests.field_house import DEADLINE, ECS_CMD, at, field_config, refuse_next_force, ticks
from tests.harness import MODE, Harness


def test_a_boost_during_the_rule_s_force_does_not_cancel_the_rest_of_the_night(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 01:00 force (7000 Wh, 12600 s) displaced by a user's 10-minute boost at 01:30: when the boost ended the
    # heater went back to the regulation (0 W at night), 1333 Wh drawn of the 7000 credited: a cold morning.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 0, 30))
    ecs = h.load("ecs")
    assert ecs.forced_by == "seed_rule"
    drawn_from = ecs.energy_wh
    ticks(h, at(2024, 1, 11, 1, 1), at(2024, 1, 11, 1, 29))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', at(2024, 1, 11, 1, 30))
    assert ecs.forced_by == "user"
    ticks(h, at(2024, 1, 11, 1, 31), at(2024, 1, 11, 7, 0))
    assert "forcing again 2000 W for 10200 s (5667 Wh still missing)" in caplog.text
    assert ecs.energy_wh - drawn_from == pytest.approx(7000, abs=20)  # (from 01:00:30: 17 Wh less)
    assert h.reg.status(at(2024, 1, 11, 7))["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(7000)


def test_a_restart_during_a_boost_over_the_rule_s_force_still_forces_the_rest_of_the_night(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 01:00 force (7000 Wh) displaced by a user's 1-hour boost at 01:30, PySEB restarted at 02:00 (an upgrade, a
    # crash): the rule's own force was not saved, so when the boost ended at 02:30 nothing forced the rest: 2967 Wh
    # drawn of the 7000 credited, and the next night's check took the water for hot.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 0, 30))
    drawn_from = h.load("ecs").energy_wh
    ticks(h, at(2024, 1, 11, 1, 1), at(2024, 1, 11, 1, 29))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 3600}', at(2024, 1, 11, 1, 30))
    ticks(h, at(2024, 1, 11, 1, 31), at(2024, 1, 11, 2, 0))
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 2, 0))))
    h.reg.shutdown(at(2024, 1, 11, 2, 0))
    again = Harness(field_config(tmp_path))
    assert again.reg.restore(saved, at(2024, 1, 11, 2, 1)) == []
    ticks(again, at(2024, 1, 11, 2, 1), at(2024, 1, 11, 7, 0))
    assert "forcing again 2000 W for" in caplog.text
    before_wh = saved["equipments"][0]["energy"] - drawn_from
    assert before_wh + again.load("ecs").energy_wh - saved["equipments"][0]["energy"] == pytest.approx(7000, abs=60)
    assert again.reg.status(at(2024, 1, 11, 7))["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(7000)


@pytest.mark.parametrize(("back_at", "forced_again_s", "credited_wh"), [
    ((3, 0), 9000, 7000),  # back during the force: the hour it was stopped is made up
    ((5, 0), 9000, 7000),  # back after its planned end (04:30), still in the night
    ((9, 0), None, 2000),  # back in the morning: only what was drawn is credited, the next night makes up the rest
])
def test_a_stop_during_the_rule_s_own_force_is_made_up(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                       back_at: tuple[int, int], forced_again_s: int | None,
                                                       credited_wh: float) -> None:
    # The 01:00 force (7000 Wh, 12600 s), PySEB stopped from 02:00 to 03:00 (an upgrade, a power cut): the restored
    # force ran its remaining time, 5000 Wh drawn of the 7000 credited, and the next night's check took the water
    # for hot.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 2, 0))
    assert h.load("ecs").forced_by == "seed_rule"
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 2, 0))))
    h.reg.shutdown(at(2024, 1, 11, 2, 0))
    again = Harness(field_config(tmp_path))
    assert again.reg.restore(saved, at(2024, 1, 11, *back_at)) == []
    caplog.clear()
    ticks(again, at(2024, 1, 11, *back_at), at(2024, 1, 11, 12, 0))
    if forced_again_s is not None:
        assert f"forcing again 2000 W for {forced_again_s} s (5000 Wh still missing)" in caplog.text
    else:
        assert "forcing again" not in caplog.text and "5000 Wh of it not drawn, not credited" in caplog.text
    assert again.load("ecs").energy_wh == pytest.approx(credited_wh, abs=60)  # (nothing before the force that day)
    assert again.reg.status(at(2024, 1, 11, 12))["water_heater"]["seed_rule"]["yesterday_wh"] == \
        pytest.approx(credited_wh, abs=60)


def test_a_damaged_saved_own_force_is_dropped_with_a_warning(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 0, 30))
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 1, 1))))
    assert saved["water_heater"]["seed_rule"]["own_force"]["wanted_wh"] == 7000
    saved["water_heater"]["seed_rule"]["own_force"]["due_at"] = "tonight"
    again = Harness(field_config(tmp_path))
    again.reg.restore(saved, at(2024, 1, 11, 1, 2))
    again.reg.tick(at(2024, 1, 11, 1, 2))
    assert "saved own_force" in caplog.text and "ignored" in caplog.text
    assert again.reg.status(at(2024, 1, 11, 1, 2))["water_heater"]["seed_rule"]["own_force"] is None
    assert again.load("ecs").forced_by == "seed_rule"  # the force itself is still restored


def test_a_force_displaced_past_the_night_credits_only_what_was_drawn(tmp_path: Path) -> None:
    # The boost is "until unforced", ended at 18:00: too late to heat the rest (the evening peak); the night's
    # credit is what the heater drew, so the next night's check makes up the rest.
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 30))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 0}', at(2024, 1, 11, 1, 30))  # (away)
    ticks(h, at(2024, 1, 11, 1, 31), at(2024, 1, 11, 18, 0))
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 11, 18, 0))
    ticks(h, at(2024, 1, 11, 18, 1), at(2024, 1, 11, 18, 10))
    assert not h.load("ecs").is_forced()
    # 30 min at 2000 W, then nothing: 1000 Wh of the 7000
    assert h.reg.status(at(2024, 1, 11, 18, 10))["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(1000)


def test_the_rest_cut_short_to_fit_the_night_credits_only_what_was_drawn(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    # The 01:00 force (7000 Wh, 3.5 h) displaced at 01:30 by a boost at 0 W, ended at 06:00: the rest (6000 Wh, 3 h)
    # is forced only to the night's room (it ends by 01:00 + 3 h + the force's 3.5 h), 2997 Wh. The other 3003 Wh were
    # neither forced nor taken back from the credit: 7000 Wh credited for 3997 drawn, and the next night's check
    # counted the two days 3003 Wh too high (no force after a day of 4500 Wh of sun).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 30), step_s=5)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 0}', at(2024, 1, 11, 1, 30))
    ticks(h, at(2024, 1, 11, 1, 30, 5), at(2024, 1, 11, 6), step_s=5)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 11, 6))
    ticks(h, at(2024, 1, 11, 6, 0, 5), at(2024, 1, 12, 0, 59), step_s=5)
    doc = h.reg.status(at(2024, 1, 12, 0, 59))
    drawn = doc["equipments"][0]["energy_yesterday"]
    assert drawn == pytest.approx(4000, abs=10)
    assert doc["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(drawn, abs=10)
    assert "its rest no longer fitted the night: 300" in caplog.text


@pytest.mark.parametrize("rule", ["seed", "deadline"])
def test_a_rule_s_force_that_could_not_be_published_is_not_taken_for_done(tmp_path: Path, rule: str) -> None:
    # paho refused the 01:00 command (its queue full): the rule took the force for done, credited 7000 Wh (the
    # deadline rule: "forcing" until the deadline) and never tried again: a cold morning.
    h = Harness(field_config(tmp_path, extra=DEADLINE if rule == "deadline" else ""))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 30))
    ecs = h.load("ecs")
    refusing = refuse_next_force(h)  # (the first force)
    drawn_from = ecs.energy_wh
    ticks(h, at(2024, 1, 11, 0, 31), at(2024, 1, 11, 6, 59))
    assert not refusing[0]  # (the force was refused once)
    assert ecs.energy_wh - drawn_from > 5900


@pytest.mark.parametrize("rule", ["seed", "deadline"])
def test_a_rule_s_force_never_delivered_is_tried_again_without_flooding_the_log(
        tmp_path: Path, rule: str, caplog: pytest.LogCaptureFixture) -> None:
    # Every command refused all night: tried at every rule tick (5 s), 4308 lines of the seed rule's, 2340 of the
    # deadline rule's. Now a minute later, then 2, 4... 10 minutes.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE if rule == "deadline" else ""))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 30))
    ecs = h.load("ecs")

    def refuse(topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == ECS_CMD and payload != "0":
            raise RuntimeError("queue full")

    ecs.bind(refuse)
    caplog.clear()
    ticks(h, at(2024, 1, 11, 0, 31), at(2024, 1, 11, 6, 59), step_s=5)
    tries = caplog.text.count("forcing again" if rule == "seed" else "deadline rule: forcing")
    assert 5 <= tries <= 60


@pytest.mark.parametrize("how", ["regul/mode", "mode solar"])
def test_the_rule_s_force_cut_by_the_user_credits_only_what_was_drawn(tmp_path: Path, how: str,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # The 01:00 force (7000 Wh) unforced by the user at 01:30 (or the mode set to solar only): not forced again (the
    # user said stop), but its 7000 Wh stayed credited to the day it was for with 1000 drawn; the next night's check
    # counted the two days 6000 Wh too high and forced nothing after a short day.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 0))
    assert h.load("ecs").forced_by == "seed_rule"
    ticks(h, at(2024, 1, 11, 1, 1), at(2024, 1, 11, 1, 29))
    if how == "regul/mode":
        h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 11, 1, 30))
    else:
        assert h.reg.field.heater is not None
        h.reg.field.heater.set_mode(EcsMode.SOLAR, at(2024, 1, 11, 1, 30), "test")
    assert not h.load("ecs").is_forced()
    ticks(h, at(2024, 1, 11, 1, 31), at(2024, 1, 11, 7, 0))
    assert "forcing again" not in caplog.text
    # (6033: ticks a minute apart)
    assert "ecs's force was ended early (unforced, or the water-heater mode): 60" in caplog.text
    assert h.reg.status(at(2024, 1, 11, 7))["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(1000, abs=40)


@pytest.mark.parametrize("rule", ["seed", "deadline"])
@pytest.mark.parametrize("how", ["3 s", "unforced after 2 s"])
def test_a_force_of_a_few_seconds_over_the_rule_s_is_not_taken_for_an_unforce(
        tmp_path: Path, rule: str, how: str, caplog: pytest.LogCaptureFixture) -> None:
    # The rules look every 5 s: a user's force that came and went between two looks (a boost of 3 s, or one unforced
    # at once) left them no force at all, taken for the user's unforce of theirs: the night's heating dropped (the
    # seed rule's heater got 2001 of 7000 Wh, the deadline rule's 2500 of 6000). As after a longer force, the rule
    # forces the rest once it is over.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE if rule == "deadline" else ""))
    step_s = 1 if rule == "deadline" else 5
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 4), step_s=step_s)
    heater = h.load("ecs")
    assert heater.forced_by == f"{rule}_rule"
    drawn_from = heater.energy_wh
    start = at(2024, 1, 11, 4, 0, 0.5)
    if how == "3 s":
        h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000, "duration": 3}', start)
        assert heater.forced_by == "user"
        h.reg.tick(start + 3.1)  # its end
    else:
        h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', start)
        h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', start + 2)
    assert not heater.is_forced()
    ticks(h, at(2024, 1, 11, 4, 0, 5), at(2024, 1, 11, 7, 0, 1), step_s=step_s)
    assert "ended early" not in caplog.text
    if rule == "seed":
        # (the 01:00 force of 7000 Wh, 3 h in at 04:00: the rest forced again)
        assert heater.energy_wh - drawn_from == pytest.approx(7000 - 6000, abs=20)
        assert h.reg.status(at(2024, 1, 11, 7))["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(7000)
    else:
        assert re.search(r"got 600\d of 6000 Wh by 2024-01-11 07:00 \(met\)", caplog.text)


def test_the_water_heater_mode_off_and_back_within_seconds_stops_the_deadline_rule_s_force_not_the_night(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A mode that excludes the fallback stops the deadline rule's force, which forces again once the mode is back in
    # solar+fallback. Off and back within 1.5 s (a mis-click on the selector) came and went between two of the rule's
    # looks: it took its force's end for a user's unforce, and the heater got 2500 of 6000 Wh by 07:00.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 8), at(2024, 1, 11, 4), step_s=1)
    assert h.load("ecs").forced_by == "deadline_rule"
    heater = h.reg.field.heater
    assert heater is not None
    heater.set_mode(EcsMode.OFF, at(2024, 1, 11, 4, 0, 0.5), "test")
    heater.set_mode(EcsMode.SOLAR_FALLBACK, at(2024, 1, 11, 4, 0, 2), "test")
    ticks(h, at(2024, 1, 11, 4, 0, 3), at(2024, 1, 11, 7, 0, 1), step_s=1)
    assert "ended early" not in caplog.text
    assert "the water-heater mode excludes the fallback" in caplog.text
    assert re.search(r"got 600\d of 6000 Wh by 2024-01-11 07:00 \(met\)", caplog.text)


def test_a_rest_rounded_to_whole_seconds_is_not_said_cut_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A force of 3684.2 s (7000 Wh at 1900 W) was made for 3684 s: forced again whole after a refusal, its rest was
    # "cut off" by the fraction of a second, said as "no longer fitted the night: 0 Wh", 0.1 Wh taken off the credit.
    caplog.set_level(logging.INFO)
    config = field_config(tmp_path)
    (tmp_path / "linear.csv").write_text("".join(f"{p};{19.0 * p}\n" for p in range(0, 101, 5)))  # a 1900 W heater
    h = Harness(config)
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 30))
    refuse_next_force(h)
    ticks(h, at(2024, 1, 11, 0, 31), at(2024, 1, 11, 6, 59))
    assert "forcing again" in caplog.text and "no longer fitted" not in caplog.text
    assert h.reg.status(at(2024, 1, 11, 7))["water_heater"]["seed_rule"]["yesterday_wh"] == 7000.0


def test_the_part_cut_off_a_rest_is_saved_with_the_rule_s_force() -> None:
    from field.fallback_resume import OwnForce

    due_at = at(2024, 1, 11, 1)
    own = OwnForce(2997.0, due_at, due_at + 12600, 10800 + 12600, cut_off_wh=3003.0)
    assert OwnForce.from_snapshot(own.snapshot()).cut_off_wh == 3003.0
    older = {key: value for key, value in own.snapshot().items() if key != "cut_off_wh"}  # (a file saved before it)
    assert OwnForce.from_snapshot(older).cut_off_wh == 0.0


def test_the_mode_off_for_a_moment_under_the_deadline_rule_s_force_does_not_skip_the_seed_rule_s_check(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Both rules: the deadline rule forcing (16000 Wh by 07:00: from 22:00), the mode off and back a second before the
    # seed rule's 01:00 check. The deadline rule sees the mode exclude it at its next look; the seed rule, whose force
    # it was not, sees the mode as it is: its check is not skipped as "the mode excludes the fallback".
    caplog.set_level(logging.INFO)
    both = "[fallback]\nmin_energy_wh = 16000\ndeadline = 07:00\noffpeak = 22:00-06:00\n"
    seed = "low_ecs_energy_today = 30000\nlow_ecs_energy_two_days = 60000\n"  # (the seed rule's, over the other's)
    h = Harness(field_config(tmp_path, evaluate=seed, extra=both))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 59, 55), step_s=5)
    assert h.load("ecs").forced_by == "deadline_rule"
    heater = h.reg.field.heater
    assert heater is not None
    heater.set_mode(EcsMode.OFF, at(2024, 1, 11, 0, 59, 58), "test")
    heater.set_mode(EcsMode.SOLAR_FALLBACK, at(2024, 1, 11, 0, 59, 59), "test")
    ticks(h, at(2024, 1, 11, 1, 0, 0), at(2024, 1, 11, 1, 1), step_s=5)
    assert "the water-heater mode excludes the fallback; " not in caplog.text
    assert "low-energy fallback: forcing" in caplog.text


def test_a_force_displaced_past_a_skipped_check_takes_nothing_off_the_next_window(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 01:00 force (7000 Wh) displaced at 01:30 by a user's 300 W force until unforced, unforced the next morning:
    # the next night's check, held 3 h, was skipped and rolled the window, the force's credit no longer in the two-day
    # sum. What it did not draw (5100 Wh) came off that next window's 7050 Wh all the same: 1950 Wh, and the night
    # after forced from the grid what two sunny days did not need.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 30), 5)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 300}', at(2024, 1, 11, 1, 30, 1))
    ticks(h, at(2024, 1, 11, 1, 30, 2), at(2024, 1, 12, 7, 59), 5)
    assert "the night's check is skipped; today 7050 Wh" in caplog.text
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 12, 8, 0, 1))
    ticks(h, at(2024, 1, 12, 8, 0, 2), at(2024, 1, 12, 8, 5), 5)
    doc = h.reg.status(at(2024, 1, 12, 8, 5))
    assert doc["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(7050, abs=1)
    assert doc["ECS_energy_yesterday"] == pytest.approx(7050, abs=1)
    assert "not drawn, not credited" not in caplog.text
    assert "ecs's force of the night before is no longer owed: its credit rolls out with this window" in caplog.text
