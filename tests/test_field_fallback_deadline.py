"""The low-energy fallback's deadline rule wired into the regulator, driven by tick(now) across the deadline
and midnight: its force after a user's, its start at the latest time, its count across midnight, a tank full."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.field_house import DEADLINE, ECS_CMD, ECS_METER, at, field_config, ticks
from tests.field_tank import thermostat_cut
from tests.harness import MODE, Harness


def commands_between(h: Harness, start: int) -> list[str]:
    return [p for t, p, _ in h.sent[start:] if t == ECS_CMD]


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


def test_the_deadline_rule_counts_the_heater_s_last_seconds_before_midnight(tmp_path: Path) -> None:
    # The rule reads the heater's counter at its ticks; the counter is reset at midnight. What it drew between the last
    # read (23:59:30) and midnight was lost: 30 s of 2000 W, counted nowhere, forced again from the grid.
    extra = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 00:30\nstart_margin_s = 0\n"
    h = Harness(field_config(tmp_path, extra=extra))
    ticks(h, at(2024, 1, 10, 20, 0, 30), at(2024, 1, 11, 0, 20, 30))
    ecs = h.load("ecs")
    assert ecs.forced_by == "deadline_rule" and ecs.energy_wh > 0
    delivered_wh = h.reg.status(at(2024, 1, 11, 0, 20, 30))["water_heater"]["deadline_rule"]["delivered_wh"]
    assert delivered_wh == pytest.approx(ecs.energy_yesterday_wh + ecs.energy_wh, abs=0.2)


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
    # tomorrow, found none, and forced as for a cloudy sky (3967 Wh instead of 967).
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra="\n[forecast]\ntopic = forecast/tomorrow\n"))
    ticks(h, at(2024, 1, 8, 22, 30), at(2024, 1, 10, 22, 50))
    h.reg.handle("forecast/tomorrow", b'{"date": "2024-01-11", "clouds_percent": 5}', at(2024, 1, 10, 22, 50))
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 5400}', at(2024, 1, 10, 22, 50))
    caplog.clear()
    ticks(h, at(2024, 1, 10, 22, 51), at(2024, 1, 11, 0, 30), step_s=30)
    assert "forcing ecs to 2000 W for 1740 s (967 Wh missing)" in caplog.text
    assert "clouds 5 % on 2024-01-11 (mqtt)" in caplog.text


def _restarted_with_the_deadline_at(tmp_path: Path, deadline: str, saved_at: float, restart_at: float,
                                    ) -> tuple[Harness, int]:
    """A morning forced full (6017 Wh by 11:00 on 2024-01-10) under `deadline = 07:00`, saved at `saved_at`, then
    restarted at `restart_at` with `deadline` in the config; the harness and where its sends start."""
    old = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 07:00\n"
    h = Harness(field_config(tmp_path, extra=old))
    ticks(h, at(2024, 1, 10, 7, 30), at(2024, 1, 10, 8), 60)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 10800}',
                 at(2024, 1, 10, 8, 0, 30))
    ticks(h, at(2024, 1, 10, 8, 1), saved_at, 60)
    saved = h.reg.status(saved_at)
    assert saved["water_heater"]["deadline_rule"]["deadline"] == "2024-01-11T07:00:00+01:00"
    h.reg.shutdown(saved_at)
    again = Harness(field_config(tmp_path, extra=old.replace("07:00", deadline)))
    again.reg.restore(saved, restart_at)
    return again, len(again.sent)


def test_a_deadline_moved_later_while_stopped_ends_the_cycle_under_way(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    # 07:00 moved to 18:00, restarted at noon: the saved cycle ran on to 07:00 the next morning, and the day after it
    # was forced by 07:00, not 18:00 (a bug hunt); the start's line said the heater must get its energy by 18:00.
    caplog.set_level(logging.INFO)
    again, mark = _restarted_with_the_deadline_at(tmp_path, "18:00", at(2024, 1, 10, 12), at(2024, 1, 10, 12, 1))
    ticks(again, at(2024, 1, 10, 12, 1), at(2024, 1, 10, 18, 30), 60)
    assert ("the deadline is now 18:00: this cycle ends at 2024-01-10 18:00 (saved: 2024-01-11 07:00), 6017 Wh "
            "delivered in it") in caplog.text
    assert "got 6017 of 6000 Wh by 2024-01-10 18:00 (met)" in caplog.text
    assert again.reg.status(at(2024, 1, 10, 18, 30))["water_heater"]["deadline_rule"]["deadline"] == \
        "2024-01-11T18:00:00+01:00"


@pytest.mark.parametrize("deadline, restart_at, closed", [
    # Later, restarted after the new time: the cycle ended at 18:00 while stopped, closed at once. Taken as ending at
    # the next 18:00, it was a cycle of 35 hours whose morning energy met the next day's target: nothing heated.
    ("18:00", at(2024, 1, 10, 20), "got 6017 of 6000 Wh by 2024-01-10 18:00 (met)"),
    # Earlier (a saved cycle to 07:00, a deadline at 05:00): the cycle ends at 05:00 the next morning.
    ("05:00", at(2024, 1, 10, 20), "got 6017 of 6000 Wh by 2024-01-11 05:00 (met)"),
])
def test_the_next_day_is_forced_by_a_moved_deadline(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                    deadline: str, restart_at: float, closed: str) -> None:
    caplog.set_level(logging.INFO)
    again, mark = _restarted_with_the_deadline_at(tmp_path, deadline, at(2024, 1, 10, 12), restart_at)
    hour = int(deadline[:2])
    ticks(again, restart_at + 60, at(2024, 1, 11, hour, 30) + (86400 if deadline == "05:00" else 0), 60)
    assert closed in caplog.text
    assert commands_between(again, mark).count("100") == 1  # the next cycle forced once, by its deadline


def test_a_clock_behind_at_boot_is_no_moved_deadline(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A Pi booting an hour behind its file (saved at 07:20, the cycle to the next 07:00): next_occurrence(now) said
    # today 07:00, taken for a moved deadline, and the rule forced the heater from the grid for a target already met.
    caplog.set_level(logging.INFO)
    config = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 07:00\n"
    h = Harness(field_config(tmp_path, extra=config))
    ticks(h, at(2024, 1, 9, 20), at(2024, 1, 10, 7, 20), 60)
    saved = h.reg.status(at(2024, 1, 10, 7, 20))
    h.reg.shutdown(at(2024, 1, 10, 7, 20))
    again = Harness(field_config(tmp_path, extra=config))
    again.reg.restore(saved, at(2024, 1, 10, 6, 20))
    mark = len(again.sent)
    ticks(again, at(2024, 1, 10, 6, 20), at(2024, 1, 10, 6, 50), 60)
    assert "the deadline is now" not in caplog.text
    assert "100" not in commands_between(again, mark)


def test_a_deadline_unchanged_across_a_restart_keeps_its_cycle(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DEADLINE))
    ticks(h, at(2024, 1, 10, 8), at(2024, 1, 10, 12), 5)
    saved = h.reg.status(at(2024, 1, 10, 12))
    h.reg.shutdown(at(2024, 1, 10, 12))
    again = Harness(field_config(tmp_path, extra=DEADLINE))
    again.reg.restore(saved, at(2024, 1, 10, 12, 1))
    ticks(again, at(2024, 1, 10, 12, 1), at(2024, 1, 10, 12, 5), 5)
    assert "the deadline is now" not in caplog.text
    assert again.reg.status(at(2024, 1, 10, 12, 5))["water_heater"]["deadline_rule"]["deadline"] == \
        saved["water_heater"]["deadline_rule"]["deadline"]


def _a_night_then_restarted(tmp_path: Path, config: str, deadline: str) -> tuple[Harness, int, float]:
    """A night under `config` (deadline 07:00) to 06:30 on 2024-01-11, saved and stopped, then restarted at 06:31 with
    `deadline` instead: the new harness, where its sends start, and the energy the saved cycle had delivered."""
    h = Harness(field_config(tmp_path, extra=config))
    ticks(h, at(2024, 1, 10, 20), at(2024, 1, 11, 6, 30))
    saved = h.reg.status(at(2024, 1, 11, 6, 30))
    h.reg.shutdown(at(2024, 1, 11, 6, 30))
    again = Harness(field_config(tmp_path, extra=config.replace("deadline = 07:00", f"deadline = {deadline}")))
    again.reg.restore(saved, at(2024, 1, 11, 6, 31))
    return again, len(again.sent), saved["water_heater"]["deadline_rule"]["delivered_wh"]


@pytest.mark.parametrize("offpeak", [True, False])
def test_a_deadline_moved_by_minutes_keeps_the_nights_energy(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                             offpeak: bool) -> None:
    # 07:00 moved to 07:30 after the night's force, restarted at 06:31: the cycle was closed at 07:30 the day before,
    # its 6 kWh dropped, and the heater forced again from the grid (a review's find). The energy came after that
    # 07:30: it is this cycle's.
    caplog.set_level(logging.INFO)
    config = DEADLINE if offpeak else DEADLINE.replace("offpeak = 22:00-06:00\n", "")
    again, mark, delivered_wh = _a_night_then_restarted(tmp_path, config, "07:30")
    assert delivered_wh >= 5000  # (without off-peak, 30 min to go)
    ticks(again, at(2024, 1, 11, 6, 31), at(2024, 1, 11, 7, 35))
    assert "this cycle ends at 2024-01-11 07:30 (saved: 2024-01-11 07:00)" in caplog.text
    assert "by 2024-01-11 07:30 (met)" in caplog.text and "MISSED" not in caplog.text
    assert commands_between(again, mark).count("100") <= 1  # (a force running at the stop resumed, not made again)


def test_a_file_without_delivered_from_counts_its_energy_from_the_cycles_start(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A status file written before delivered_from (the upgrade's own restart): its energy is taken as counted from the
    # old cycle's start, 07:00, before the new cycle's 18:00: not counted in it (kept, the morning's water stood for
    # the next evening's, a review's find).
    caplog.set_level(logging.INFO)
    old = "[fallback]\nseed_rule = false\nmin_energy_wh = 6000\ndeadline = 07:00\n"
    h = Harness(field_config(tmp_path, extra=old))
    ticks(h, at(2024, 1, 10, 7, 30), at(2024, 1, 10, 8), 60)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000, "duration": 10800}',
                 at(2024, 1, 10, 8, 0, 30))
    ticks(h, at(2024, 1, 10, 8, 1), at(2024, 1, 10, 20), 60)
    saved = h.reg.status(at(2024, 1, 10, 20))
    del saved["water_heater"]["deadline_rule"]["delivered_from"]
    h.reg.shutdown(at(2024, 1, 10, 20))
    again = Harness(field_config(tmp_path, extra=old.replace("07:00", "18:00")))
    again.reg.restore(saved, at(2024, 1, 10, 20, 1))
    mark = len(again.sent)
    ticks(again, at(2024, 1, 10, 20, 1), at(2024, 1, 11, 18, 30), 60)
    assert "of the 6017 Wh delivered since 2024-01-10 07:00, some came before 2024-01-10 18:00" in caplog.text
    assert commands_between(again, mark).count("100") == 1


def test_a_nights_force_across_a_deadline_moved_earlier_is_not_the_next_nights(tmp_path: Path,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    # 07:00 moved to 05:30, stopped at 06:30 after the night's force (02:45 to 05:46): its 6 kWh, mostly before 05:30,
    # were all kept for the cycle ending the next morning, and the next night was not forced (a review's find).
    caplog.set_level(logging.INFO)
    again, mark, _ = _a_night_then_restarted(tmp_path, DEADLINE, "05:30")
    ticks(again, at(2024, 1, 11, 6, 31), at(2024, 1, 12, 5, 35))
    assert "some came before 2024-01-11 05:30, where this cycle begins" in caplog.text
    assert commands_between(again, mark).count("100") == 1  # the next night forced


@pytest.mark.parametrize(("span", "hours"), [("02:00-02:30", 0.0), ("02:15-02:45", 0.0), ("02:30-06:30", 3.5),
                                              ("22:00-06:00", 7.0)])
def test_an_off_peak_span_on_the_night_the_clocks_go_forward(tmp_path: Path, span: str, hours: float) -> None:
    # A time the jump skips is the jump itself (03:00): an 02:30 start lost the half hour from 03:00 (03:30 then); a
    # span wholly inside the skipped hour had its end after its start the next day's, a window of 4 h to the deadline.
    h = Harness(field_config(tmp_path, extra=DEADLINE.replace("offpeak = 22:00-06:00", f"offpeak = {span}")))
    rule = h.reg.field.heater.deadline
    assert rule is not None
    start, end = rule.window(at(2026, 3, 29, 7))
    assert (end - start) / 3600 == pytest.approx(hours)
