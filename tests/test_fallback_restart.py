"""A restart of PySEB in the middle of a fallback rule's night force: the rule's state comes back from the status file,
the heater's force may not (its command refused at the start). Only a real unforce ends the night's force early."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from tests.field_house import DEADLINE, ECS_STATUS, at, field_config, refuse_next_force, ticks
from tests.harness import MODE, Harness
from tests.test_fallback_night_force import echo, grey_day_heard, night_force_made
from tests.test_full_tank_reboot import BOOTED


def restarted_mid_force(tmp_path: Path, extra: str, rule: str, stop_at: float) -> Harness:
    """The rule's force running at `stop_at`, PySEB stopped then and started again at once, the heater's restored force
    refused by the broker link at the start (paho's queue full): a new harness, started."""
    h = Harness(field_config(tmp_path, extra=extra))
    ticks(h, at(2024, 1, 10, 0, 30), stop_at)
    assert h.load("ecs").forced_by == rule
    return restarted(h, tmp_path, extra, stop_at)


def restarted(h: Harness, tmp_path: Path, extra: str, stop_at: float, refused: bool = True) -> Harness:
    """PySEB (`h`) stopped at `stop_at` and started again at once, the heater's restored force refused by the broker
    link at the start (paho's queue full) when `refused`: a new harness, started."""
    saved = json.loads(json.dumps(h.reg.status(stop_at)))
    h.reg.shutdown(stop_at)
    again = Harness(field_config(tmp_path, extra=extra))
    assert again.reg.restore(saved, stop_at + 30) == []
    refusing = refuse_next_force(again, refused)  # (the restored force)
    again.reg.tick(stop_at + 30)
    assert not refusing[0]
    return again


@pytest.mark.parametrize(("extra", "rule", "stop_at"), [
    ("", "seed_rule", at(2024, 1, 11, 2, 0)),
    (DEADLINE, "deadline_rule", at(2024, 1, 11, 4, 0)),
])
def test_a_restart_whose_restored_force_was_refused_heats_the_tank_all_the_same(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, extra: str, rule: str, stop_at: float) -> None:
    # The deadline rule took the heater unforced at its first tick after the restart for the user's unforce: "ended
    # early (unforced)", not forced again before the deadline, 2500 Wh of the 6000 in a cold morning. The seed rule
    # owes its restored force and forces the rest again: the deadline rule now does the same.
    caplog.set_level(logging.INFO)
    again = restarted_mid_force(tmp_path, extra, rule, stop_at)
    drawn_from = again.load("ecs").energy_wh
    ticks(again, stop_at + 60, at(2024, 1, 11, 7, 1))
    assert "ended early" not in caplog.text
    assert again.load("ecs").energy_wh - drawn_from > 3000  # (the rest of the night's force)
    if rule == "deadline_rule":
        assert "deadline rule: ecs's force was not resumed at the restart: forcing again until 2024-01-11 06:00" \
            in caplog.text


def test_after_a_restart_the_user_s_unforce_still_ends_the_deadline_rule_s_force(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The force resumed (forced again after its refused restore): an unforce on regul/mode is the user's word.
    caplog.set_level(logging.INFO)
    again = restarted_mid_force(tmp_path, DEADLINE, "deadline_rule", at(2024, 1, 11, 4, 0))
    ticks(again, at(2024, 1, 11, 4, 1), at(2024, 1, 11, 4, 10))
    assert again.load("ecs").forced_by == "deadline_rule"
    again.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', at(2024, 1, 11, 4, 10, 10))
    ticks(again, at(2024, 1, 11, 4, 11), at(2024, 1, 11, 6, 30))
    assert "deadline rule: ecs's force was ended early (unforced)" in caplog.text
    assert again.reg.status(at(2024, 1, 11, 6, 30))["water_heater"]["deadline_rule"]["ended_early"] is True
    assert not again.load("ecs").is_forced()


def test_a_restart_just_after_the_user_s_unforce_does_not_force_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The user's unforce is an order: the status file is written at once, before the rule's next tick has seen it (the
    # rule still `forcing`, the heater unforced), and the rule's own change is no order (saved status_time later). A
    # power cut then: the restart took the heater unforced for a force refused at the start and forced it again to
    # the span's end, from the grid, against the user's word.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 4, 0))
    assert h.load("ecs").forced_by == "deadline_rule"
    unforced_at = at(2024, 1, 11, 4, 0, 10)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', unforced_at)
    saved = json.loads(json.dumps(h.reg.last_status))  # (what the saver wrote at once: its orders changed)
    assert saved["water_heater"]["deadline_rule"]["forcing"] is True and not h.load("ecs").is_forced()
    again = Harness(field_config(tmp_path, extra=DEADLINE))
    assert again.reg.restore(saved, unforced_at + 30) == []
    ticks(again, unforced_at + 30, at(2024, 1, 11, 6, 30))
    assert not again.load("ecs").is_forced() and "forcing again" not in caplog.text
    assert again.reg.status(at(2024, 1, 11, 6, 30))["water_heater"]["deadline_rule"]["ended_early"] is True


def test_a_restart_just_after_the_user_s_unforce_of_the_seed_rule_s_force_does_not_force_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The same for the seed rule: its own force, in the file written at once for the unforce, was taken for one cut by
    # the stop and owed: the rest of the night's 7000 Wh forced again from the grid.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 2, 0))
    assert h.load("ecs").forced_by == "seed_rule"
    unforced_at = at(2024, 1, 11, 2, 0, 10)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', unforced_at)
    saved = json.loads(json.dumps(h.reg.last_status))  # (what the saver wrote at once: its orders changed)
    assert saved["water_heater"]["seed_rule"]["own_force"] is not None and not h.load("ecs").is_forced()
    again = Harness(field_config(tmp_path))
    assert again.reg.restore(saved, unforced_at + 30) == []
    drawn_from = again.load("ecs").energy_wh
    ticks(again, unforced_at + 30, at(2024, 1, 11, 6, 30))
    assert not again.load("ecs").is_forced() and "forcing again" not in caplog.text
    assert again.load("ecs").energy_wh - drawn_from < 100  # (the regulation's, on a grey night: nothing)
    assert "low-energy fallback: ecs's force was ended early (unforced, or the water-heater mode)" in caplog.text


@pytest.mark.parametrize("refused", [False, True])
@pytest.mark.parametrize(("back_at", "delivered_wh"), [(None, 2500), (at(2024, 1, 11, 5, 0, 10), 4500)])
def test_a_restart_mid_force_judges_the_resumed_force_by_its_variator_s_answer(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, back_at: float | None, delivered_wh: int,
        refused: bool) -> None:
    # A power cut at 04:00 restarts PySEB and the variator; the variator boots at its default, its network down until
    # the end or back at 05:00 (its boot then: PySEB sends it 100 % again). The force resumed at the restart (restored,
    # or made again at the first tick, its restore refused) was counted from its command whether the variator heard it
    # or not (its answers neither saved nor waited for again): `target reached` at 05:45, with two hours or one the
    # heater never got.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    grey_day_heard(h)
    ticks(h, at(2024, 1, 11, 0, 51), at(2024, 1, 11, 2, 45))
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 2, 45, 1))  # (heard at once: counted)
    stop_at = at(2024, 1, 11, 4, 0)
    ticks(h, at(2024, 1, 11, 2, 46), stop_at)
    assert h.reg.status(stop_at)["water_heater"]["deadline_rule"]["delivered_wh"] == 2500
    again = restarted(h, tmp_path, DEADLINE, stop_at, refused)
    caplog.clear()
    ticks(again, stop_at + 60, at(2024, 1, 11, 5, 0), step_s=30)
    assert again.load("ecs").forced_by == "deadline_rule"  # (resumed)
    if back_at is not None:
        again.reg.handle(ECS_STATUS, BOOTED, back_at)
    ticks(again, at(2024, 1, 11, 5, 0, 30), at(2024, 1, 11, 7, 1), step_s=30)
    assert "target reached" not in caplog.text
    if back_at is None:
        assert "deadline rule: ecs's variator never answered its force: 3983 Wh not counted" in caplog.text
    else:
        assert "deadline rule: ecs's variator answered its force 60 min late (off the network until then?): 1983 Wh " \
            "counted before its answer not delivered" in caplog.text
    assert f"deadline rule: ecs got {delivered_wh} of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text


@pytest.mark.parametrize("refused", [False, True])
@pytest.mark.parametrize(("back_at", "credited_wh"), [(None, 2000), (at(2024, 1, 11, 3, 0, 10), 5000)])
def test_a_restart_mid_force_judges_the_seed_rule_s_resumed_force_by_its_variator_s_answer(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, back_at: float | None, credited_wh: int,
        refused: bool) -> None:
    # The seed rule's 01:00 force (7000 Wh, to 04:30), answered at once; a power cut at 02:00 restarts PySEB and the
    # variator, which boots at its default, its network down until the end or back at 03:00. The rest forced again at
    # the restart was credited whole whether the variator heard it or not (not heard since the start: taken for one
    # without answers): 7000 Wh for a heater that got 2000 (or 5000), and the next night's check took the water for
    # hot.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    night_force_made(h)
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 0, 31))  # (heard at once: credited)
    stop_at = at(2024, 1, 11, 2, 0)
    ticks(h, at(2024, 1, 11, 1, 1), stop_at)
    assert h.reg.status(stop_at)["water_heater"]["seed_rule"]["variator_answers"] is True
    again = restarted(h, tmp_path, "", stop_at, refused)
    caplog.clear()
    ticks(again, stop_at + 60, at(2024, 1, 11, 3, 0), step_s=30)
    assert again.load("ecs").forced_by == "seed_rule"  # (resumed)
    if back_at is not None:
        again.reg.handle(ECS_STATUS, BOOTED, back_at)
    ticks(again, at(2024, 1, 11, 3, 0, 30), at(2024, 1, 11, 8, 0), step_s=30)
    assert not again.load("ecs").is_forced()
    assert again.reg.status(at(2024, 1, 11, 8))["water_heater"]["seed_rule"]["yesterday_wh"] == \
        pytest.approx(credited_wh, abs=20)
    if back_at is None:
        said = re.search(r"low-energy fallback: ecs's variator never answered during the night force \(off the "
                         r"network\?\): the heater may not have heated, the water may be cold; (\d+) Wh of it not "
                         r"credited", caplog.text)
        assert said is not None and float(said[1]) == pytest.approx(7000 - credited_wh, abs=20)  # (the rest forced)
    else:
        assert "low-energy fallback: ecs's variator answered the night force late (off the network until then?): " \
            "2000 Wh of it not credited" in caplog.text


def test_a_restart_before_the_force_judges_it_by_its_variator_s_answer(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    # The same power cut an hour before the force (PySEB and the variator restarted at 01:00, the variator off the
    # network until the end): the variator had answered before the restart (variator_answers saved), but the force
    # made after it was counted from its command as a variator's without answers: `target reached`, the water cold.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    grey_day_heard(h)
    stop_at = at(2024, 1, 11, 1, 0)
    ticks(h, at(2024, 1, 11, 0, 51), stop_at)
    assert not h.load("ecs").is_forced()
    assert h.reg.status(stop_at)["water_heater"]["deadline_rule"]["variator_answers"] is True
    again = restarted(h, tmp_path, DEADLINE, stop_at, refused=False)
    caplog.clear()
    ticks(again, stop_at + 60, at(2024, 1, 11, 7, 1))
    assert "deadline rule: ecs's variator has not answered its force" in caplog.text
    assert "target reached" not in caplog.text
    assert "deadline rule: ecs got 0 of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text


def test_a_restart_before_the_seed_rule_s_force_judges_it_by_its_variator_s_answer(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The seed rule's side of the same power cut: PySEB and the variator restarted at 00:55, the variator off the
    # network until the morning; the 01:00 check forces 7000 Wh, which was credited from its command.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path))
    grey_day_heard(h)
    stop_at = at(2024, 1, 11, 0, 55)
    ticks(h, at(2024, 1, 11, 0, 51), stop_at)
    assert h.reg.status(stop_at)["water_heater"]["seed_rule"]["variator_answers"] is True
    again = restarted(h, tmp_path, "", stop_at, refused=False)
    caplog.clear()
    ticks(again, stop_at + 60, at(2024, 1, 11, 1, 1), step_s=30)
    assert again.load("ecs").forced_by == "seed_rule"  # (the night's check forced it, after the restart)
    ticks(again, at(2024, 1, 11, 1, 1, 30), at(2024, 1, 11, 8, 0), step_s=30)
    assert not again.load("ecs").is_forced()
    assert again.reg.status(at(2024, 1, 11, 8))["water_heater"]["seed_rule"]["yesterday_wh"] == pytest.approx(0, abs=20)
    assert "low-energy fallback: ecs's variator never answered during the night force" in caplog.text


@pytest.mark.parametrize("rule", ["seed_rule", "deadline_rule"])
@pytest.mark.parametrize("mode", ["off", "solar"])
def test_a_restored_rule_force_the_mode_now_excludes_never_reaches_the_variator(tmp_path: Path, rule: str,
                                                                             mode: str) -> None:
    # The night's force saved, then `ecs_mode_default = off` (or solar) set while stopped: the start commanded the
    # force, `100`, and the first tick `0` a millisecond later (the heater on from the grid for an instant).
    extra = DEADLINE if rule == "deadline_rule" else ""
    h = Harness(field_config(tmp_path, extra=extra))
    stop = at(2024, 1, 11, 1, 30) if rule == "seed_rule" else at(2024, 1, 11, 4, 30)
    ticks(h, at(2024, 1, 10, 0, 30), stop)
    assert h.load("ecs").forced_by == rule
    saved = json.loads(json.dumps(h.reg.status(stop)))
    h.reg.shutdown(stop)
    again = Harness(field_config(tmp_path, extra=f"{extra}[domoticz]\necs_mode_default = {mode}\n"))
    again.reg.restore(saved, stop + 30)
    again.reg.start(stop + 30)
    again.reg.tick(stop + 30.1)
    assert [p for t, p, _ in again.sent if t == "regul/vload/ECS/cmd"] in (["0"], ["0", "0"])
    assert again.load("ecs").forced_by is None


@pytest.mark.parametrize("wanted_wh", [1e7, 1e308])
def test_a_damaged_wanted_wh_of_the_rule_s_force_is_never_forced_past_the_night(tmp_path: Path,
                                                                                wanted_wh: float) -> None:
    # The rest of the night force, resumed after a restart, lasted as long as the file's wanted_wh said: 1e7 Wh forced
    # the heater from the grid for 208 days (past the 7 days any force may last), 1e308 raised out of tick.
    base = Harness(field_config(tmp_path))
    ticks(base, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 2, 0))
    stop = at(2024, 1, 11, 2, 1)
    doc = json.loads(json.dumps(base.reg.status(stop)))
    own = doc["water_heater"]["seed_rule"]["own_force"]
    assert own is not None and own["planned_end"] > stop  # (saved during the rule's force)
    own["wanted_wh"] = wanted_wh
    h = Harness(field_config(tmp_path))
    assert h.reg.restore(doc, stop + 30) == []
    h.reg.tick(stop + 30)
    ecs = h.load("ecs")
    assert ecs.is_forced() and ecs.force_end_at is not None
    assert ecs.force_end_at <= own["due_at"] + own["latest_s"]  # (the night's room: its length and 3 h)
    assert ecs.force_end_at - (stop + 30) <= own["latest_s"] - 3 * 3600  # (no longer than the force it resumes)


@pytest.mark.parametrize("mode", [["solar"], {"mode": "off"}])
def test_a_water_heater_mode_of_another_type_keeps_the_rules_state(tmp_path: Path, mode: object) -> None:
    # A list or an object as the saved mode raised (unhashable) before the rules were restored: the seed rule's state
    # was lost with it, its night force not resumed, and the warning said nothing of the water heater could be.
    base = Harness(field_config(tmp_path))
    ticks(base, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 2, 0))
    stop = at(2024, 1, 11, 2, 1)
    doc = json.loads(json.dumps(base.reg.status(stop)))
    saved = doc["water_heater"]["seed_rule"]
    doc["water_heater"]["mode"] = mode
    h = Harness(field_config(tmp_path))
    warnings = h.reg.restore(doc, stop + 30)
    assert not any("could not be restored" in w for w in warnings), warnings
    restored = h.reg.status(stop + 30)["water_heater"]["seed_rule"]
    assert restored["window_start"] == saved["window_start"] and restored["yesterday_wh"] == saved["yesterday_wh"]


def test_a_check_at_moved_earlier_while_stopped_is_followed_through_the_status_file(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The status's seed_rule says the hour its window was checked at: 03:00, moved to 01:00 while PySEB was stopped
    # from 02:00 to 02:05. The night's check runs at the restart (it came the next night, the tank cold a day).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, evaluate="check_at = 3\n"))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 2, 0))
    saved = json.loads(json.dumps(h.reg.status(at(2024, 1, 11, 2, 0))))
    assert saved["water_heater"]["seed_rule"]["check_at"] == 3 and not h.load("ecs").is_forced()
    h.reg.shutdown(at(2024, 1, 11, 2, 0))
    again = Harness(field_config(tmp_path, evaluate="check_at = 1\n"))
    assert again.reg.restore(saved, at(2024, 1, 11, 2, 5)) == []
    ticks(again, at(2024, 1, 11, 2, 5), at(2024, 1, 11, 2, 6))
    assert again.load("ecs").forced_by == "seed_rule"
    assert "check_at is now 01:00 (03:00 when PySEB stopped)" in caplog.text
