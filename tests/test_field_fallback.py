"""The low-energy fallback wired into the regulator, driven by tick(now) across check_at, the deadline
and midnight: forces executed like regul/mode ones, marked as the rule's own, logged with their numbers,
persisted in the status and restored after a restart."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from integrations.domoticz_control import EcsMode
from tests.field_house import ECS_CMD, ECS_METER, at, field_config, refuse_next_force, ticks
from tests.harness import MODE, Harness
from tests.test_field_tank import thermostat_cut

SEED_STATUS = Path(__file__).parent / "data" / "seed-status.ini.example.json"  # the seed's status file
DEADLINE = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 07:00\noffpeak = 22:00-06:00\n"


def ecs_status(h: Harness, now: float) -> dict:
    return h.reg.status(now)["equipments"][0]


def commands_between(h: Harness, start: int) -> list[str]:
    return [p for t, p, _ in h.sent[start:] if t == ECS_CMD]


# --- the seed's rule ---------------------------------------------------------------------------------------

def test_seed_rule_forces_the_missing_energy_at_check_at(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 59))
    assert h.load("ecs").forced_power_w is None
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    # Hébert's formula: 3600 x 7000 Wh missing / 2000 W; the heater at its max power.
    assert h.last(ECS_CMD) == "100"
    doc = ecs_status(h, at(2024, 1, 11, 1, 0, 30))
    assert doc["forced"] and doc["forced_by"] == "seed_rule"
    assert doc["force_end"] == pytest.approx(at(2024, 1, 11, 1, 0, 30) + 12600)
    assert ("low-energy fallback: forcing ecs to 2000 W for 12600 s (7000 Wh missing); winter: today 0 Wh "
            "(threshold 7000 Wh)") in caplog.text
    ticks(h, at(2024, 1, 11, 1, 1, 30), at(2024, 1, 11, 4, 30))
    assert h.load("ecs").is_forced()
    h.reg.tick(at(2024, 1, 11, 4, 31))
    assert h.last(ECS_CMD) == "0" and not h.load("ecs").is_forced()
    doc = h.reg.status(at(2024, 1, 11, 4, 31))
    assert doc["ECS_energy_yesterday"] == 7000  # the day it made up, credited as the seed did
    assert doc["equipments"][0]["energy"] == pytest.approx(7000, abs=40)


def test_seed_rule_leaves_a_full_tank_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n", ecs=f"topic_read_power = {ECS_METER}\n"))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 10, 22))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', at(2024, 1, 10, 22))
    thermostat_cut(h, at(2024, 1, 10, 22, 0, 2))
    assert h.load("ecs").overed
    ticks(h, at(2024, 1, 10, 22, 1), at(2024, 1, 10, 23, 30))
    assert h.last(ECS_CMD) == "0" and not h.load("ecs").is_forced()
    # today counted as the two-day threshold
    assert "ecs was found full since the last check, no force; today counted as 11000 Wh" in caplog.text


def test_seed_rule_state_survives_a_restart(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 50))
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 0, 50))))
    assert saved["water_heater"]["seed_rule"]["window_start"] == at(2024, 1, 10, 1)  # the skipped first check
    again = Harness(field_config(tmp_path))
    assert again.reg.restore(saved, at(2024, 1, 11, 1, 30)) == []
    again.reg.tick(at(2024, 1, 11, 1, 30))  # check_at passed while stopped: caught up at once
    assert again.last(ECS_CMD) == "100" and again.load("ecs").forced_by == "seed_rule"
    doc = again.reg.status(at(2024, 1, 11, 1, 31))
    assert doc["water_heater"]["seed_rule"]["yesterday_wh"] == 7000 and doc["ECS_energy_yesterday"] == 7000
    third = Harness(field_config(tmp_path))  # and the force itself comes back after another restart
    third.reg.restore(json.loads(json.dumps(doc)), at(2024, 1, 11, 2))
    third.reg.tick(at(2024, 1, 11, 2))
    assert third.load("ecs").forced_by == "seed_rule" and third.last(ECS_CMD) == "100"


@pytest.mark.parametrize(("before", "after", "when"), [
    ("", "[fallback]\nseed_rule = false\n", at(2024, 1, 11, 1, 5)),
    (DEADLINE, "[fallback]\nseed_rule = false\n", at(2024, 1, 11, 4, 0)),
])
def test_a_rule_s_force_is_not_restored_once_the_rule_is_off(tmp_path: Path, before: str, after: str,
                                                             when: float) -> None:
    # The heater forced from the grid by a rule at night; the user turns the rule off and restarts: the rule's
    # force came back for its remaining hours, and nothing would end it early.
    h = Harness(field_config(tmp_path, extra=before))
    ticks(h, at(2024, 1, 10, 0, 30), when)
    assert h.load("ecs").forced_by in ("seed_rule", "deadline_rule")
    saved = json.loads(json.dumps(h.reg.status(when)))
    again = Harness(field_config(tmp_path, extra=after))
    warnings = again.reg.restore(saved, when + 60)
    assert any("which this configuration does not run for it: not restored" in w for w in warnings)
    ticks(again, when + 60, when + 600)
    assert not again.load("ecs").is_forced() and again.last(ECS_CMD) == "0"


@pytest.mark.parametrize(("age_days", "yesterday_wh"), [(0, 11000), (1, 5222), (2, 0)])
def test_seed_status_file_gives_ecs_energy_yesterday(tmp_path: Path, age_days: int, yesterday_wh: float) -> None:
    # The seed's status.ini: saved today, its ECS_energy_yesterday; saved yesterday, that day's heater
    # energy (the seed moved today to yesterday at the day change), as the load's energy_yesterday has it.
    seed_doc = json.loads(SEED_STATUS.read_text())
    now = at(2024, 1, 11, 8)
    seed_doc["date"] = int(now - age_days * 86400)
    h = Harness(field_config(tmp_path))
    h.reg.restore(seed_doc, now)
    h.reg.tick(now)
    doc = h.reg.status(now)
    assert doc["ECS_energy_yesterday"] == yesterday_wh
    assert doc["water_heater"]["seed_rule"]["yesterday_wh"] == yesterday_wh
    if age_days == 1:
        assert doc["equipments"][0]["energy_yesterday"] == 5222


def test_the_first_night_after_migrating_from_the_seed_weighs_its_day(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # The seed's status.ini saved this evening holds the heater's energy since midnight: the first check
    # weighs that day. It was skipped as a fresh start (a window of the restart's few hours), and the night
    # after a migration went without its top-up.
    caplog.set_level(logging.INFO)
    seed_doc = json.loads(SEED_STATUS.read_text())
    saved_at = at(2024, 1, 10, 20, 50)
    seed_doc["date"] = int(saved_at)
    seed_doc["equipments"][0].update(energy=1000.0, overed=False)
    seed_doc["ECS_energy_yesterday"] = 2000
    h = Harness(field_config(tmp_path))
    h.reg.restore(seed_doc, saved_at + 60)
    ticks(h, saved_at + 60, at(2024, 1, 11, 0, 59))  # no sun
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    # winter: today 1000 Wh against 7000, two days 3000 against 11000: 6000 Wh missing at 2000 W
    assert "fresh start" not in caplog.text
    assert h.load("ecs").forced_by == "seed_rule" and h.last(ECS_CMD) == "100"
    assert "forcing ecs to 2000 W for 10800 s (6000 Wh missing); winter: today 1000 Wh" in caplog.text


@pytest.mark.parametrize("fallback", ["", "[fallback]\nseed_rule = false\n"], ids=["seed_rule", "no_rule"])
def test_own_status_file_across_midnight_gives_ecs_energy_yesterday(tmp_path: Path, fallback: str) -> None:
    # Saved in the evening, read the next morning (check_at passed while stopped): yesterday is that day's.
    h = Harness(field_config(tmp_path, extra=fallback))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 10, 10))
    h.reg.handle(MODE, b'{"command":"force","name":"ecs","power":2000,"duration":14400}', at(2024, 1, 10, 10))
    ticks(h, at(2024, 1, 10, 10, 1), at(2024, 1, 10, 20))  # 8000 Wh: enough today, no fallback force
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 10, 20))))
    again = Harness(field_config(tmp_path, extra=fallback))
    assert again.reg.restore(saved, at(2024, 1, 11, 8)) == []
    again.reg.tick(at(2024, 1, 11, 8))
    doc = again.reg.status(at(2024, 1, 11, 8))
    assert not again.load("ecs").is_forced()
    assert doc["equipments"][0]["energy_yesterday"] == pytest.approx(8000, abs=40)
    assert doc["ECS_energy_yesterday"] == doc["equipments"][0]["energy_yesterday"]


def test_seed_rule_does_not_override_a_user_force(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 50))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 500}', at(2024, 1, 11, 0, 55))
    ticks(h, at(2024, 1, 11, 0, 56), at(2024, 1, 11, 1, 10))
    assert h.load("ecs").forced_power_w == 500 and h.load("ecs").forced_by == "user"
    assert caplog.text.count("the 01:00 check waits: ecs is forced by user") == 1


def test_a_user_boost_at_the_check_delays_the_seed_rule_s_force_and_does_not_cancel_it(tmp_path: Path) -> None:
    # A 10-minute boost at 00:55 refused the 01:00 force, which was counted as delivered all the same (7000 Wh
    # "yesterday" for 167 Wh drawn): a cold morning, and a two-day count that spared the next night too.
    h = Harness(field_config(tmp_path))  # seed rule at 01:00, winter 7000/11000 Wh, ecs 2000 W
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 54))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', at(2024, 1, 11, 0, 55))
    ticks(h, at(2024, 1, 11, 0, 56), at(2024, 1, 11, 1, 4))
    assert h.load("ecs").forced_by == "user"
    ticks(h, at(2024, 1, 11, 1, 5), at(2024, 1, 11, 1, 10))  # the boost is over: the check runs now
    assert h.load("ecs").forced_by == "seed_rule" and h.load("ecs").forced_power_w == 2000
    ticks(h, at(2024, 1, 11, 1, 11), at(2024, 1, 11, 9))
    # the boost's 167 Wh counted in the day it made up, with the force's 6833 Wh (7000 in all, as asked)
    drawn_wh = h.load("ecs").energy_wh
    assert drawn_wh == pytest.approx(7000, abs=70)
    seed = h.reg.status(at(2024, 1, 11, 9))["water_heater"]["seed_rule"]
    assert seed["yesterday_wh"] == pytest.approx(7000, abs=70)


def test_a_check_waiting_for_a_force_runs_after_a_restart(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 54))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 500}', at(2024, 1, 11, 0, 55))
    ticks(h, at(2024, 1, 11, 0, 56), at(2024, 1, 11, 1, 30))  # the check waits
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 1, 30))))
    for entry in saved["equipments"]:
        entry["forced"] = False  # (the user's force ends with this run)
    again = Harness(field_config(tmp_path))
    again.reg.restore(saved, at(2024, 1, 11, 1, 40))
    ticks(again, at(2024, 1, 11, 1, 40), at(2024, 1, 11, 1, 45))
    assert again.load("ecs").forced_by == "seed_rule"


def test_a_check_held_past_the_night_is_skipped_not_run_at_any_hour(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Forced to 0 W "until unforced" at 00:55 (away), unforced at 18:00 the next day: the check waited 41 h, then
    # forced 7000 Wh from the grid in the evening peak, one check for two nights.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 54))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 0}', at(2024, 1, 11, 0, 55))
    ticks(h, at(2024, 1, 11, 0, 56), at(2024, 1, 11, 3, 59))
    assert "the 01:00 check waits" in caplog.text and "skipped" not in caplog.text
    ticks(h, at(2024, 1, 11, 4, 0), at(2024, 1, 11, 4, 5))
    assert "ecs was forced by user for 3 h after check_at: the night's check is skipped" in caplog.text
    ticks(h, at(2024, 1, 11, 4, 6), at(2024, 1, 12, 0, 50))
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 12, 0, 51))  # (the next night)
    ticks(h, at(2024, 1, 12, 0, 52), at(2024, 1, 12, 0, 59))
    assert not h.load("ecs").is_forced()  # nothing at the unforce: the skipped check does not come back
    ticks(h, at(2024, 1, 12, 1, 0), at(2024, 1, 12, 1, 5))
    assert h.load("ecs").forced_by == "seed_rule"  # the next night's own check


def test_a_tank_filled_by_the_rule_s_own_force_does_not_spare_the_next_night(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    ticks(h, at(2024, 1, 9, 0, 30), at(2024, 1, 10, 3, 0))  # grey days: the 01:00 force runs
    assert h.load("ecs").forced_by == "seed_rule"
    thermostat_cut(h, at(2024, 1, 10, 3, 0, 10))  # the tank is hot by 03:00, during the rule's force
    assert h.load("ecs").overed
    ticks(h, at(2024, 1, 10, 3, 1), at(2024, 1, 11, 1, 5))  # a grey day: nothing from the sun
    assert h.load("ecs").forced_by == "seed_rule"  # the night's check forces as the seed's did


def test_a_tank_found_full_by_day_still_spares_the_night(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    ticks(h, at(2024, 1, 9, 0, 30), at(2024, 1, 10, 14, 0))  # the 01:00 force is long over
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', at(2024, 1, 10, 14))
    thermostat_cut(h, at(2024, 1, 10, 14, 0, 10))  # full in the afternoon
    ticks(h, at(2024, 1, 10, 14, 11), at(2024, 1, 11, 1, 5))
    assert not h.load("ecs").is_forced()  # the seed's rule: a full tank counts as two days' worth


@pytest.mark.parametrize(("back_h", "back_min", "catches_up"), [(3, 30, True), (7, 0, False)])
def test_a_late_check_starts_a_window_at_check_at_not_at_its_own_time(tmp_path: Path, back_h: int, back_min: int,
                                                                      catches_up: bool) -> None:
    # Stopped at 20:00, back at 03:30: the check runs late; back at 07:00, over 3 h late, it is skipped (a
    # check forcing at any hour after downtime would heat from the grid at 18:00 as well). Either way the next
    # night's check has a day's window: started at its own time, 07:00, the window of the check 18 h later was
    # taken for a fresh start, which forced nothing after a grey day.
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 9, 0, 30), at(2024, 1, 10, 20))
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 10, 20))))
    again = Harness(field_config(tmp_path))
    again.reg.restore(saved, at(2024, 1, 11, back_h, back_min))
    ticks(again, at(2024, 1, 11, back_h, back_min), at(2024, 1, 11, back_h, back_min + 5))
    assert (again.load("ecs").forced_by == "seed_rule") is catches_up  # the catch-up check, or none
    ticks(again, at(2024, 1, 11, back_h, back_min + 6), at(2024, 1, 12, 1, 5))  # a grey day
    assert again.load("ecs").forced_by == "seed_rule"  # the next night's check forces


# --- the deadline rule -------------------------------------------------------------------------------------

def test_deadline_rule_forces_once_a_user_force_is_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A user's 500 W for 2 h from 02:00, across the rule's start (02:45): its force was refused yet taken for
    # applied, never tried again, and the deadline missed (1004 of 6000 Wh).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 2, 0))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 500, "duration": 7200}',
                 at(2024, 1, 11, 2, 0, 30))
    ticks(h, at(2024, 1, 11, 2, 1), at(2024, 1, 11, 3, 59))
    assert h.load("ecs").forced_by == "user"
    assert h.reg.status(at(2024, 1, 11, 3, 59))["water_heater"]["deadline_rule"]["forcing"] is False
    ticks(h, at(2024, 1, 11, 4, 0), at(2024, 1, 11, 4, 5))
    assert h.load("ecs").forced_by == "deadline_rule" and h.load("ecs").forced_power_w == 2000
    ticks(h, at(2024, 1, 11, 4, 6), at(2024, 1, 11, 6, 59))
    # 1000 Wh from the user's force, then 2000 W from 04:00 to the off-peak end (06:00): all the time left
    delivered_wh = h.reg.status(at(2024, 1, 11, 6, 59))["water_heater"]["deadline_rule"]["delivered_wh"]
    assert delivered_wh == pytest.approx(5000, abs=60)


def test_a_user_force_over_the_deadline_rule_s_takes_over_and_the_rule_resumes(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 2, 50))
    assert h.load("ecs").forced_by == "deadline_rule"
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 500, "duration": 1800}', at(2024, 1, 11, 3))
    ticks(h, at(2024, 1, 11, 3, 1), at(2024, 1, 11, 3, 20))
    assert h.load("ecs").forced_by == "user" and h.load("ecs").forced_power_w == 500
    ticks(h, at(2024, 1, 11, 3, 31), at(2024, 1, 11, 3, 35))
    assert h.load("ecs").forced_by == "deadline_rule"


def test_deadline_starts_at_the_latest_time_and_stops_at_the_target(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 2, 44))
    assert h.last(ECS_CMD) == "0"
    status = h.reg.status(at(2024, 1, 11, 2, 44))["water_heater"]["deadline_rule"]
    # 6000 Wh at 2000 W = 3 h, ending at the off-peak end (06:00), less 900 s of margin.
    assert status["start_at"] == "2024-01-11T02:45:00+01:00" and status["unreachable"] is False
    mark = len(h.sent)
    ticks(h, at(2024, 1, 11, 2, 45), at(2024, 1, 11, 7, 30))
    assert commands_between(h, mark) == ["100", "0"]
    assert h.load("ecs").energy_wh == pytest.approx(6000, abs=35)  # stopped at the target, not at 06:00
    status = h.reg.status(at(2024, 1, 11, 5, 0))["water_heater"]["deadline_rule"]
    assert status["delivered_wh"] == 0 and status["deadline"] == "2024-01-12T07:00:00+01:00"  # a new cycle


def test_deadline_counts_across_midnight(tmp_path: Path) -> None:
    extra = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 00:30\nstart_margin_s = 0\n"
    h = Harness(field_config(tmp_path, extra=extra))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 1))
    # Forced from 21:30; the heater's counter is reset at midnight, the rule still counts 6000 Wh by 00:30.
    on = [(t, p) for t, p, _ in h.sent if t == ECS_CMD]
    assert [p for _, p in on][-2:] == ["100", "0"]
    assert h.load("ecs").energy_yesterday_wh == pytest.approx(5000, abs=35)
    assert h.load("ecs").energy_wh == pytest.approx(1000, abs=35)


def test_deadline_reports_unreachable(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    h.reg.tick(at(2024, 1, 11, 5))
    status = h.reg.status(at(2024, 1, 11, 5))["water_heater"]["deadline_rule"]
    assert status["unreachable"] is True and status["forcing"] is True
    assert h.last(ECS_CMD) == "100"
    assert "deadline rule: 6000 Wh for ecs by 2024-01-11 07:00 is out of reach" in caplog.text


def test_deadline_stops_early_when_the_tank_is_full(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, extra=DEADLINE, ecs=f"topic_read_power = {ECS_METER}\n"))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 3))
    assert h.load("ecs").forced_by == "deadline_rule"
    thermostat_cut(h, at(2024, 1, 11, 3, 0, 10))
    h.reg.tick(at(2024, 1, 11, 3, 1))
    assert h.last(ECS_CMD) == "0" and not h.load("ecs").is_forced() and h.load("ecs").overed
    assert h.reg.status(at(2024, 1, 11, 3, 1))["water_heater"]["deadline_rule"]["forcing"] is False


def test_deadline_never_undoes_a_user_force(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 3))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000}', at(2024, 1, 11, 3, 0, 30))
    ticks(h, at(2024, 1, 11, 3, 1), at(2024, 1, 11, 7, 30))  # target reached, deadline passed
    assert h.load("ecs").forced_by == "user" and h.last(ECS_CMD) == "100"


def test_a_clock_stepped_back_during_the_deadline_rule_s_force_draws_no_more_than_missing(tmp_path: Path) -> None:
    # NTP steps the clock back 30 min during the force: the energy drawn while the clock went over the same half
    # hour again was not counted, and the rule forced 1000 Wh more than its target from the grid.
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 4, 0), step_s=5)
    delivered_wh = h.reg.status(at(2024, 1, 11, 4))["water_heater"]["deadline_rule"]["delivered_wh"]
    assert h.load("ecs").forced_by == "deadline_rule" and delivered_wh == pytest.approx(2500, abs=10)
    forced_s, clock = 0.0, at(2024, 1, 11, 4, 0) - 1800  # the clock, 30 min behind from now on
    while clock < at(2024, 1, 11, 6, 30):
        clock += 5
        h.reg.tick(clock)
        forced_s += 5 if h.load("ecs").is_forced() else 0
    drawn_wh = forced_s / 3600 * 2000
    assert drawn_wh == pytest.approx(6000 - delivered_wh, abs=20)  # what was missing, no more


def test_an_evening_check_held_past_midnight_asks_the_forecast_of_its_own_night(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # check_at = 23, held by a user's boost until 00:20: the check then asked the clouds of the day after
    # tomorrow, found none, and forced as for a cloudy sky (3983 Wh instead of 983).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra="\n[forecast]\ntopic = forecast/tomorrow\n"))
    ticks(h, at(2024, 1, 8, 22, 30), at(2024, 1, 10, 22, 50))
    h.reg.handle("forecast/tomorrow", b'{"date": "2024-01-11", "clouds_percent": 5}', at(2024, 1, 10, 22, 50))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 5400}', at(2024, 1, 10, 22, 50))
    caplog.clear()
    ticks(h, at(2024, 1, 10, 22, 51), at(2024, 1, 11, 0, 30), step_s=30)
    assert "forcing ecs to 2000 W for 1770 s (983 Wh missing)" in caplog.text
    assert "clouds 5 % on 2024-01-11 (mqtt)" in caplog.text


def test_the_water_heater_named_in_any_case(tmp_path: Path) -> None:
    # `[fallback] water_heater = ECS`: the load is `ecs` (names are read in lower case); the fallback and the mode
    # selector were silently gone.
    h = Harness(field_config(tmp_path, extra="\n[fallback]\nwater_heater = ECS\n"))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 1))
    assert h.reg.field.heater is not None and h.load("ecs").forced_by == "seed_rule"


def test_a_tank_full_before_a_restart_is_not_counted_again(tmp_path: Path) -> None:
    # check_at = 23: full at 15:00, weighed at the 23:00 check (no force); restarted at 23:30 with the flag still
    # up until midnight, it was counted again, and the next night's check forced nothing after a grey day.
    config = field_config(tmp_path, evaluate="check_at = 23\n", ecs=f"topic_read_power = {ECS_METER}\n")
    h = Harness(config)
    ticks(h, at(2024, 1, 9, 22, 30), at(2024, 1, 10, 15))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 600}', at(2024, 1, 10, 15))
    thermostat_cut(h, at(2024, 1, 10, 15, 0, 2))
    ticks(h, at(2024, 1, 10, 15, 1), at(2024, 1, 10, 23, 20))
    assert not h.load("ecs").is_forced()  # full since the last check: no force
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 10, 23, 20))))
    again = Harness(config)
    again.reg.restore(saved, at(2024, 1, 10, 23, 30))
    ticks(again, at(2024, 1, 10, 23, 30), at(2024, 1, 11, 23, 1))  # a grey day
    assert again.load("ecs").forced_by == "seed_rule"


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
