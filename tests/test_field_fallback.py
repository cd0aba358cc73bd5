"""The low-energy fallback wired into the regulator, driven by tick(now) across check_at and midnight: the
seed's rule's forces executed like regul/mode ones, marked as the rule's own, logged with their numbers,
persisted in the status and restored after a restart. The deadline rule: test_field_fallback_deadline; the rule's
own force against boosts, stops and a broker that refuses it: test_field_fallback_own_force."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.configs import SEED_STATUS
from tests.field_house import DEADLINE, ECS_CMD, ECS_METER, at, field_config, ticks
from tests.field_tank import thermostat_cut
from tests.harness import MODE, Harness


def ecs_status(h: Harness, now: float) -> dict:
    return h.reg.status(now)["equipments"][0]


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
    # The seed's status.ini saved this evening holds the heater's energy since the seed's last check (01:00): the
    # first check weighs that window. It was skipped as a fresh start (a window of the restart's few hours), and the
    # night after a migration went without its top-up.
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


def migrated_that_day(tmp_path: Path, check_at: int, saved_at: float, energy_wh: float,
                      now: float | None = None) -> Harness:
    """A regulator started a minute after the seed's status.ini of `saved_at` (or at `now`) (its heater's `energy_wh`
    since the seed's last check, 2000 Wh the window before, not full), ticked (no sun) to a minute before `check_at`
    of 2024-01-10 (not when started later)."""
    seed_doc = json.loads(SEED_STATUS.read_text())
    seed_doc["date"] = int(saved_at)
    seed_doc["equipments"][0].update(energy=energy_wh, overed=False)
    seed_doc["ECS_energy_yesterday"] = 2000
    h = Harness(field_config(tmp_path, evaluate=f"check_at = {check_at}\n"))
    h.reg.restore(seed_doc, now or saved_at + 60)
    if now is None:
        ticks(h, saved_at + 60, at(2024, 1, 10, check_at - 1, 59))
    return h


@pytest.mark.parametrize(("check_at", "saved_h"), [(19, 10), (16, 8), (12, 9)])
def test_a_check_the_same_afternoon_after_migrating_weighs_the_file_s_day(tmp_path: Path, check_at: int,
                                                                         saved_h: int,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    # The file's energy since the seed's last check (the evening before) holds the day's sun by the afternoon or
    # evening check: with check_at = 19 and a migration that morning, a window from the start was skipped as a fresh
    # start (under 20 h), and the first night went without its top-up.
    caplog.set_level(logging.INFO)
    h = migrated_that_day(tmp_path, check_at, at(2024, 1, 10, saved_h), 1000.0)
    h.reg.tick(at(2024, 1, 10, check_at, 0, 30))
    assert "fresh start" not in caplog.text
    assert h.load("ecs").forced_by == "seed_rule" and h.last(ECS_CMD) == "100"
    assert "forcing ecs to 2000 W for 10800 s (6000 Wh missing); winter: today 1000 Wh" in caplog.text


@pytest.mark.parametrize(("check_at", "saved_h", "saved_min"), [(1, 0, 30), (10, 8, 0)])
def test_a_file_saved_before_the_day_s_check_gives_that_check_the_seed_s_window(
        tmp_path: Path, check_at: int, saved_h: int, saved_min: int, caplog: pytest.LogCaptureFixture) -> None:
    # The seed reset its heater's energy at its check, not at midnight: a file of 00:30 (check_at = 1) holds the
    # energy since the last night's check, the whole day before. Taken for the energy since midnight, the 01:00 check
    # was skipped as a fresh start, and the night after the move went without its top-up. The check weighs it, as
    # the seed's did (a grey day: 5 Wh, forced).
    caplog.set_level(logging.INFO)
    h = migrated_that_day(tmp_path, check_at, at(2024, 1, 10, saved_h, saved_min), 5.0)
    h.reg.tick(at(2024, 1, 10, check_at, 0, 30))
    assert "fresh start" not in caplog.text
    assert h.load("ecs").forced_by == "seed_rule"
    assert "winter: today 5 Wh" in caplog.text


def test_a_seed_file_whose_check_passed_while_stopped_is_the_rule_s_yesterday(tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    # Saved at 20:50, PySEB started the next day at 10:00 (the seed's 01:00 check passed while stopped): the file's
    # window is the rule's yesterday, and the window runs from that 01:00, so the next check has its full day (from
    # the restart, it was a fresh start).
    caplog.set_level(logging.INFO)
    h = migrated_that_day(tmp_path, 1, at(2024, 1, 9, 20, 50), 3000.0, now=at(2024, 1, 10, 10))
    ticks(h, at(2024, 1, 10, 10), at(2024, 1, 11, 0, 59))
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    assert "fresh start" not in caplog.text
    assert "yesterday 3000 Wh" in caplog.text and h.load("ecs").forced_by == "seed_rule"


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


def test_a_seed_file_restored_at_its_check_runs_that_check_late(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # Saved at 00:30, PySEB started at 01:20: the 01:00 check passed while stopped. It runs late (within 3 h), as
    # after PySEB's own file: skipped, the night after the move went without its top-up.
    caplog.set_level(logging.INFO)
    h = migrated_that_day(tmp_path, 1, at(2024, 1, 10, 0, 30), 1000.0, now=at(2024, 1, 10, 1, 20))
    h.reg.tick(at(2024, 1, 10, 1, 20, 30))
    assert h.load("ecs").forced_by == "seed_rule" and "winter: today 1000 Wh" in caplog.text


def test_the_seed_file_s_heater_is_its_first_load(tmp_path: Path) -> None:
    # The seed reset its water heater's energy only, and would start only with it first in its list: another
    # variable load listed first in this config (ecs2 is the file's heater here) keeps no lifetime count as today's,
    # and the heater's energy and ECS_energy_yesterday go to the file's heater.
    from tests.controller_house import with_ecs2
    h = with_ecs2(Harness(field_config(tmp_path)))
    seed_doc = json.loads(SEED_STATUS.read_text())
    seed_doc["equipments"][0]["name"] = "ECS2"
    seed_doc["equipments"].append({"name": "ecs", "energy": 90000.0, "forced": False, "overed": False})
    now = float(seed_doc["date"]) + 60
    warnings = h.reg.restore(seed_doc, now)
    assert any(w.startswith("ecs: the seed's status file holds its energy since the seed first saved it (90000 Wh")
               for w in warnings)
    assert (h.load("ecs").energy_wh, h.load("ecs").energy_yesterday_wh) == (0, 0)
    assert (h.load("ecs2").energy_wh, h.load("ecs2").energy_yesterday_wh) == (5222, 11000)


def test_seed_rule_sizes_its_force_on_a_plug_heater_at_what_it_draws(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # Found by a bug hunt: a heater on a plug (a load of unknown power, its max_power the 3680 W default) learned at
    # 2000 W was forced "to 3680 W for 6848 s (7000 Wh missing)": it drew 2000 W, 3.8 kWh, and the rule credited 7000.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("plug",), extra="[fallback]\nwater_heater = plug\n"))
    h.load("plug").learned_power_w = 2000.0
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 59))
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    assert "low-energy fallback: forcing plug to 2000 W for 12600 s (7000 Wh missing)" in caplog.text
