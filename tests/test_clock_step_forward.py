"""The wall clock jumping forward while PySEB runs: NTP setting a Pi's clock (no clock chip: it boots on the time it
last saved) once the network or the time server answers, hours after the start. The core cannot tell a jump from
time passing; the daemon can (its steady clock did not move), and says so: the meters' readings, seconds old, are
not taken for an hour's silence (every load cut, a relay off and held off by its dwell), and the jump is no energy
drawn. The daemon's side (how it sees the jump): test_clock_step_daemon."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from field.fallback_seed import SeedFallback
from tests.configs import reading, write_config
from tests.controller_house import House, closed_loop
from tests.fallback_heater import MAX_W, PARIS, SEED_EVALUATE, at, settings
from tests.harness import CONS, NOON, PROD, Harness
from tests.saved_status import REPORT, saved_day
from tests.saved_status import at as december_at

RADIATOR = "cmnd/radiator/POWER"
ECS = "regul/vload/ECS/cmd"


def sunny(h: Harness, now: float, seconds: int) -> float:
    """Readings every second of a house at 300 W under 3800 W of PV; the time after them."""
    for _ in range(seconds):
        now += 1
        h.reg.handle(PROD, reading(3800), now - 0.01)
        h.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in h.reg.loads)), now)
        h.reg.tick(now)
    return now


@pytest.mark.parametrize("step_s", [300.0, 3 * 3600.0])
def test_a_clock_jumping_forward_cuts_no_load_and_counts_no_energy(tmp_path: Path, step_s: float,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON - 60)
    now = sunny(h, NOON, 60)
    ecs, radiator = h.load("ecs"), h.load("radiator")
    assert ecs.current_power_w == 2000 and radiator.current_power_w == 1000
    energies = ecs.energy_wh, radiator.energy_wh
    mark = len(h.sent)
    caplog.clear()
    now += step_s  # NTP sets the clock, between two readings; the daemon sees it before the next one
    h.reg.clock_stepped_forward(step_s)
    now = sunny(h, now - 1, 30)
    assert h.reg.stale_reason is None and "silent" not in caplog.text
    assert [p for t, p, _ in h.sent[mark:] if t == RADIATOR] == []  # never switched off
    assert radiator.current_power_w == 1000 and ecs.current_power_w == 2000
    # 30 s at 2000 W and 1000 W, not the jump besides (10 minutes of it were counted: 333 Wh for the heater)
    assert ecs.energy_wh - energies[0] == pytest.approx(2000 * 30 / 3600, abs=1.0)
    assert radiator.energy_wh - energies[1] == pytest.approx(1000 * 30 / 3600, abs=1.0)


def test_a_meter_silent_before_the_jump_stays_silent(tmp_path: Path) -> None:
    # The production meter dead 8 s before the jump: 2 s after it, it has been silent for meter_timeout (10 s).
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON - 60)
    now = sunny(h, NOON, 30)
    for _ in range(8):
        now += 1
        h.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in h.reg.loads)), now)
        h.reg.tick(now)
    assert h.reg.stale_reason is None
    now += 3600
    h.reg.clock_stepped_forward(3600)
    for _ in range(3):
        now += 1
        h.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in h.reg.loads)), now)
        h.reg.tick(now)
    assert h.reg.stale_reason is not None and "production meter silent for 1" in h.reg.stale_reason
    assert h.load("ecs").current_power_w == 0


def test_a_jump_before_the_start_changes_nothing(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",), period=1, algorithm="closed_loop"))
    h.reg.clock_stepped_forward(3600)  # (the daemon's first timers have not run)
    h.reg.tick(NOON)
    assert h.reg.energy_counted_since == NOON


def test_a_jump_over_midnight_counts_the_jump_on_neither_day(tmp_path: Path) -> None:
    # At 23:50 the heater and the radiator draw; the clock jumps 3 h to 02:51. Yesterday's energy is the 61 s of
    # readings; the new day's, the 30 s after the jump (the roll restarted the count at midnight, and the next update
    # counted 10 minutes of the jump into the new day).
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    start = NOON + 11 * 3600 + 50 * 60
    h.reg.tick(start)
    now = sunny(h, start, 60)
    ecs = h.load("ecs")
    before_wh = ecs.energy_wh
    now += 3 * 3600
    h.reg.clock_stepped_forward(3 * 3600)
    sunny(h, now - 1, 31)
    assert h.reg.counted_day == "2023-11-15"
    assert ecs.energy_yesterday_wh == pytest.approx(before_wh, abs=0.1)
    assert ecs.energy_wh == pytest.approx(2000 * 30 / 3600, abs=1.0)


@pytest.mark.parametrize(("step_s", "published"), [(3 * 3600.0, True), (40 * 3600.0, False)])
def test_a_jump_of_more_than_a_day_publishes_no_report_of_the_day_the_clock_showed(tmp_path: Path, step_s: float,
                                                                                   published: bool) -> None:
    # A Pi booted on 1970 (or systemd's build date) with its status file set aside, set by NTP minutes later: the roll
    # the jump brought published a report of "1970-01-01", retained, in place of the last real day's (found by a bug
    # hunt). A jump of hours over midnight (a Pi off overnight, on fake-hwclock's last save) reports its real day.
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    start = NOON + 11 * 3600 + 50 * 60
    h.reg.tick(start)
    now = sunny(h, start, 60)
    now += step_s
    h.reg.clock_stepped_forward(step_s)
    sunny(h, now - 1, 31)
    reports = [json.loads(p) for t, p, _ in h.sent if t == "regul/report"]
    assert [r["date"] for r in reports] == (["2023-11-14"] if published else [])
    assert h.reg.counted_day == ("2023-11-15" if published else "2023-11-16")


def test_a_day_restored_from_the_file_is_reported_after_a_jump_of_more_than_a_day(tmp_path: Path) -> None:
    # A Pi off for two days boots on fake-hwclock's last save, the status file's time: the file's day is restored, its
    # figures real. NTP then sets the clock 25.5 h forward, over its midnight: that day's report is sent, as with the
    # clock right at the start (found by a review).
    saved_at = december_at(1, 22, 50)
    doc = saved_day(tmp_path, saved_at)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, saved_at + 60)
    h.reg.start(saved_at + 60)
    now = saved_at + 60
    for _ in range(60):  # two minutes of the file's day (fake-hwclock's), before NTP answers
        now += 2
        h.meters(300, 2000, now)
    h.reg.clock_stepped_forward(25.5 * 3600)
    h.reg.tick(now + 25.5 * 3600)
    assert [json.loads(p)["date"] for t, p, _ in h.sent if t == REPORT] == ["2026-12-01"]


def test_a_jump_of_more_than_a_day_that_crosses_no_midnight_keeps_the_next_report(tmp_path: Path) -> None:
    # The 25-hour day of October: a jump of 24.5 h from 00:10 lands at 23:40 the same day, and the report of that day
    # at its midnight was dropped as the jump's.
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    start = datetime(2026, 10, 25, 0, 10, tzinfo=PARIS).timestamp()
    h.reg.tick(start)
    now = sunny(h, start, 60)
    h.reg.clock_stepped_forward(24.5 * 3600)
    now += 24.5 * 3600
    sunny(h, now, 30 * 60)  # past its midnight
    assert [json.loads(p)["date"] for t, p, _ in h.sent if t == REPORT] == ["2026-10-25"]


def test_a_jump_is_no_time_in_the_daily_report(tmp_path: Path) -> None:
    # meter_timeout = 60 (meters read every 30 s): a jump of 40 s, under it, was taken for 40 s between two decisions
    # in the day's figures: 40 s more of PV, of export and of the loads' energy in the daily report (the loads'
    # counters skip it).
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, meter_timeout=60, algorithm="closed_loop"))
    h.reg.tick(NOON - 60)
    now = sunny(h, NOON, 60)
    covered_s = h.reg.daily.covered_s
    now += 40.0
    h.reg.clock_stepped_forward(40.0)
    sunny(h, now - 1, 30)
    assert h.reg.daily.covered_s - covered_s == pytest.approx(30.0, abs=1.5)


def test_a_jump_is_no_import_time_for_the_import_guard(tmp_path: Path) -> None:
    # 150 W of import with the radiator alone, held on by its dwell (min_on_s 600 s, longer than the jump): the
    # guard sheds it once 100 W x 20 s = 2000 W.s are counted, 300 W.s a reading 2 s apart. The reading after a
    # jump was counted for 10 s of import (MAX_GAP_S, the gap of lost readings): 1500 W.s at once, the radiator
    # shed 6 s of real import in.
    h = closed_loop(tmp_path, "ecs", "radiator")
    house = House(h, base_w=300, pv_w=300 + 3000 + 20)
    house.read()
    assert h.last(RADIATOR) == "ON"
    house.pv_w = 1150
    house.read()  # the heater gives back its 2000 W; the 150 W it cannot answer count: 300 W.s
    house.read()  # 600 W.s
    house.now += 60.0  # NTP: a Pi rebooted a minute ago on its saved time
    h.reg.clock_stepped_forward(60.0)
    house.read()  # 900 W.s (not 2100)
    assert h.last(RADIATOR) == "ON"
    for _ in range(3):  # 1800 W.s
        house.read()
        assert h.last(RADIATOR) == "ON"
    house.read()  # 2100 W.s: the import lasted, it is shed
    assert h.last(RADIATOR) == "OFF"
    assert h.reg.controller is not None and h.reg.controller.guard_sheds == 1


@pytest.mark.parametrize("step_s", [1.0, 5.0, 9.5, 60.0])
def test_a_reading_too_early_to_show_the_last_command_waits_across_a_step_forward(tmp_path: Path,
                                                                                  step_s: float) -> None:
    # settle = 2: a house reading 1.5 s after a command cannot show it yet, and no decision is taken on it. After a
    # jump (60 s) it was stamped a minute after the command: the loop decided on it and corrected the step again; so
    # was it after a step under 10 s (NTP correcting a slow clock), told by the daemon's steady clock as a step back
    # is, the reading stamped `step_s` later.
    h = closed_loop(tmp_path, "ecs", evaluate_options="settle = 2\n")
    house = House(h, base_w=300, pv_w=1300)
    for _ in range(5):
        house.read()
    decisions: list[object] = []
    h.reg.add_decision_listener(decisions.append)
    house.pv_w = 1800
    house.read()  # the heater raised by 500 W
    assert len(decisions) == 1
    house.now += step_s
    h.reg.clock_stepped_forward(step_s)
    house.read(1.5)
    assert len(decisions) == 1
    house.read(1.5)  # 3 s after the command: it shows
    assert len(decisions) == 2


def test_a_small_step_forward_is_no_silence_of_the_meters(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A step of 9.5 s, half a second after the readings (a meter's timeout 10 s): the next timers' pass found them 10 s
    # old, and every load was cut for a reading ("consumption meter silent for 10 s"), a relay switched off inside its
    # dwell.
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON - 60)
    now = sunny(h, NOON, 60)
    mark = len(h.sent)
    caplog.clear()
    now += 9.5 + 0.5
    h.reg.clock_stepped_forward(9.5)
    h.reg.tick(now)
    sunny(h, now - 0.5, 5)
    assert h.reg.stale_reason is None and "silent" not in caplog.text
    assert [p for t, p, _ in h.sent[mark:] if t == RADIATOR] == []


def test_the_next_decision_keeps_its_period_across_a_jump(tmp_path: Path) -> None:
    # period = 10, a house reading every 2 s (settle, 1 s, holds nothing back). The first reading after a jump of a
    # minute, 2 s after the last decision, was stamped 62 s after it: decided on at once, period or not.
    config = write_config(tmp_path, ("ecs",), period=10, algorithm="closed_loop")
    config.write_text(config.read_text().replace("[evaluate]\n", "[evaluate]\nanticipate = 0\n"))
    h = Harness(config)
    h.reg.tick(NOON - 3600)
    house = House(h, base_w=300, pv_w=1300)
    decisions: list[object] = []
    h.reg.add_decision_listener(decisions.append)
    while len(decisions) < 3:  # the heater near 1000 W
        house.read()
    house.now += 60.0
    h.reg.clock_stepped_forward(60.0)
    for _ in range(4):  # 2..8 s after the last decision
        house.read()
    assert len(decisions) == 3
    house.read()  # 10 s after it
    assert len(decisions) == 4


def test_a_command_after_the_clock_stepped_back_past_a_jump_still_waits_to_show(tmp_path: Path) -> None:
    # Jumped forward a minute after a command, then set back ten (a wrong server, then a good one): a command sent
    # after the step back is stamped before the one the jump was remembered for. It was taken for one sent before the
    # jump, moved a minute ahead, so far ahead of the readings that they looked a clock stepped back: the next reading,
    # 1.5 s after it, was decided on (settle = 2), the step corrected again.
    h = closed_loop(tmp_path, "ecs", evaluate_options="settle = 2\n")
    house = House(h, base_w=300, pv_w=1300)
    for _ in range(5):
        house.read()
    house.pv_w = 1800
    house.read()  # the heater raised by 500 W
    house.now += 60.0
    h.reg.clock_stepped_forward(60.0)
    for _ in range(3):
        house.read()
    house.now -= 600.0  # set back: no jump told (the core sees the step in its readings)
    for _ in range(3):
        house.read()
    decisions: list[object] = []
    h.reg.add_decision_listener(decisions.append)
    house.pv_w = 2300
    house.read()  # the heater raised by 500 W again
    assert len(decisions) == 1 and h.load("ecs").last_command_at == pytest.approx(house.now, abs=0.1)
    house.read(1.5)
    assert len(decisions) == 1
    house.read(1.5)  # 3 s after the command: it shows
    assert len(decisions) == 2


# --- a clock set back by days -------------------------------------------------------------------------------------

def test_a_clock_set_back_days_rolls_the_day_at_its_own_next_midnight(tmp_path: Path) -> None:
    # A clock three days ahead (a clock module reading a wrong date, a date set by hand) is set right at noon: the day
    # was counted on until the clock reached the old next midnight again, 3 days and 12 h later: no report, no reset
    # of the day's energies (a 2 kW heater's 3 days in one "day") until then.
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON)
    now = sunny(h, NOON, 30)
    now -= 3 * 86400  # 2023-11-11 12:00:30
    h.reg.tick(now)
    now = sunny(h, now, 30)
    midnight = NOON - 3 * 86400 + 12 * 3600  # 2023-11-12 00:00 in Paris
    now = midnight - 10
    sunny(h, now, 20)
    reports = h.on(h.reg.settings.mqtt.topic_report)
    assert len(reports) == 1 and '"date": "2023-11-11"' in reports[0]
    assert h.load("ecs").energy_wh == pytest.approx(2000 * 10 / 3600, abs=1.0)  # counted from the midnight
    assert h.reg.counted_day == "2023-11-12"


@pytest.mark.parametrize(("set_at", "said", "until"), [
    # the night's check, run late: a fresh start (then a whole day counted: the next night's check is a real one)
    ((6, 1, 30), "only 0.0 h of heater energy counted (fresh start): no force", (6, 1, 31)),
    # skipped, over 3 h late: the next night's window is from the jump on, 11 h: a fresh start too
    ((6, 14, 15), "the 01:00 check comes 13.2 h late", (7, 1, 20)),
])
def test_a_fresh_start_on_a_wrong_clock_is_no_counted_window_for_the_seed_rule(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, set_at: tuple[int, int, int], said: str,
        until: tuple[int, int, int]) -> None:
    # A Pi without a clock chip boots two days behind (or on 1970: its status file set aside as dated ahead, a fresh
    # start) and NTP sets its clock. At 01:30, the night's check ran late on 2 minutes of counting, the jump taken for
    # 35 hours of a grey day: the heater forced from the grid for 7 kWh. At 14:15, that check was skipped (over 3 h
    # late), and the next window started at its 01:00: 13 h of the jump counted, and the same force the next night
    # (found by a review). Both nights now: a fresh start, no force.
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    h = Harness(write_config(tmp_path, ("ecs",)))
    boot = datetime(2026, 5, 4, 14, 10, tzinfo=PARIS).timestamp()  # the time fake-hwclock saved
    h.reg.start(boot)
    now = boot
    for _ in range(60):  # 2 minutes: the house at 300 W, no sun
        h.meters(300, 0, now)
        h.reg.tick(now)
        now += 2
    real = datetime(2026, 5, *set_at, tzinfo=PARIS).timestamp()
    h.reg.clock_stepped_forward(real - now)
    now = real
    mark = len(h.sent)
    end = datetime(2026, 5, *until, tzinfo=PARIS).timestamp()
    while now < end:  # (a reading a minute: the house at 300 W, no sun)
        h.meters(300, 0, now)
        h.reg.tick(now)
        now += 60
    assert "forcing ecs" not in caplog.text
    assert said in caplog.text
    assert "low-energy fallback: only" in caplog.text  # (the next night's, after the skip: 11.1 h)
    assert h.load("ecs").current_power_w == 0 and all(p == "0" for t, p, _ in h.sent[mark:] if t == ECS)


@pytest.mark.parametrize("restored", [True, False])
def test_only_a_window_this_runs_clock_started_moves_with_a_jump(restored: bool) -> None:
    # A restored window's start is a time the last run's clock stamped: the downtime since is real time (as after any
    # restart), and a jump now is this run's clock catching up, not hours to take out of it.
    rule = SeedFallback("ecs", settings(SEED_EVALUATE).seed, PARIS)
    started = at(2024, 1, 10, 1, 0)
    if restored:
        rule.restore({"window_start": started, "checked_until": started + 3600})
    rule.tick(started + 3600, 0.0, MAX_W, False)
    rule.clock_stepped_forward(7200.0)
    assert rule.window_start == (started if restored else started + 3600 + 7200)


@pytest.mark.parametrize(("power", "kept"), [(0, True), (1000, False)])
def test_a_jump_forward_keeps_a_force_off_its_time_left(tmp_path: Path, power: int, kept: bool,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    # A load forced off for 2 h on a Pi booted on 1970, NTP setting the clock 10 minutes later: its end, on the 1970
    # clock, was decades behind the clock as set, and the radiator forced off was back on the sun at the next tick
    # (found by a bug hunt). A force to 0 W keeps the time it had left; a force on still ends early: that jump is no
    # time of it drawn, and ending a force from the grid early is the safe side.
    caplog.set_level(logging.INFO)
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop"))
    h.reg.tick(NOON - 60)
    h.reg.handle("regul/mode", json.dumps({"command": "force", "name": "radiator", "power": power,
                                           "duration": 7200}).encode(), NOON - 30)
    now = sunny(h, NOON, 600)
    radiator = h.load("radiator")
    assert radiator.is_forced()
    now += 30 * 86400.0  # the jump: weeks
    h.reg.clock_stepped_forward(30 * 86400.0)
    now = sunny(h, now - 1, 30)
    assert radiator.is_forced() is kept
    if kept:
        assert radiator.force_end_at == pytest.approx(now + 7200 - 600 - 30 - 30, abs=2)
        assert "timed forces to 0 W (radiator) keep the time they had left" in caplog.text
        assert radiator.current_power_w == 0
