"""The low-energy fallback's seed rule (the seed's daily check at check_at: the missing energy forced), driven
by ticks across check_at, midnight and DST days in Europe/Paris."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from equipments.modes import ForceCommand
from field.fallback_seed import SeedFallback
from tests.fallback_heater import MAX_W, PARIS, SEED_EVALUATE, Heater, at, daily_sun, local, settings, sunny


def seed_rule(text: str = SEED_EVALUATE) -> SeedFallback:
    s = settings(text)
    return SeedFallback("ecs", s.seed, PARIS)


def test_seed_rule_forces_the_missing_energy_at_check_at(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    heater = Heater(seed_rule(), at(2024, 1, 10, 0, 30), solar_w=sunny(1.0))  # 3000 Wh a day
    heater.run_until(at(2024, 1, 11, 0, 59))
    assert heater.decisions == []
    heater.run_until(at(2024, 1, 11, 1, 0))
    # Hébert's formula: 3600 x (7000 - 3000) Wh / 2300 W
    assert heater.decisions == [(at(2024, 1, 11, 1, 0), ForceCommand("ecs", MAX_W, 6261))]
    assert ("forcing ecs to 2300 W for 6261 s (4000 Wh missing); winter: today 3000 Wh (threshold 7000 Wh), "
            "yesterday 0 Wh, two days 3000 Wh (threshold 11000 Wh)") in caplog.text


@pytest.mark.parametrize("today_wh", [7000.0, 6950.0])
def test_seed_rule_does_not_force_a_few_wh(caplog: pytest.LogCaptureFixture, today_wh: float) -> None:
    # A day whose sun gave the threshold, summed in floats a hair under it, forced the heater on from the grid for
    # 0 s ("forcing ecs to 2300 W for 0 s (0 Wh missing); today 7000 Wh (threshold 7000 Wh)"), a click on and off at
    # 01:00; 50 Wh short, for 78 s. Under 100 Wh missing is not worth a force, as for the rest of a displaced one.
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    rule = seed_rule()
    heater = Heater(rule, at(2024, 1, 10, 0, 30), solar_w=daily_sun(today_wh))
    heater.run_until(at(2024, 1, 11, 1, 30))
    assert heater.decisions == []
    assert rule.yesterday_wh == pytest.approx(today_wh)  # nothing credited that was not drawn
    if today_wh < 7000:
        assert ("50 Wh missing, under 100 Wh: not worth a force; winter: today 6950 Wh (threshold 7000 Wh)"
                in caplog.text)


def test_seed_rule_credits_its_force_to_the_day_it_made_up() -> None:
    rule = seed_rule()
    heater = Heater(rule, at(2024, 1, 10, 0, 30), solar_w=sunny(1.0, hours=5))  # 5000 Wh a day
    heater.run_until(at(2024, 1, 11, 1, 0))  # day 1: 5000 Wh -> forced for the missing 2000
    assert rule.yesterday_wh == pytest.approx(7000)
    heater.run_until(at(2024, 1, 12, 1, 30))  # day 2: 5000 Wh again, two days 12000 >= 11000
    assert len(heater.decisions) == 1
    # The night's 2000 Wh force is not counted again (40 Wh: the minute it ends in, as ticks see it).
    assert rule.yesterday_wh == pytest.approx(5000, abs=40)


def test_seed_rule_checks_once_a_day() -> None:
    heater = Heater(seed_rule(), at(2024, 1, 8, 12))
    heater.run_until(at(2024, 1, 13, 12))
    assert [local(t) for t, _ in heater.decisions] == [f"2024-01-{d} 01:00:00+0100" for d in (9, 10, 11, 12, 13)][1:]


def test_seed_rule_does_not_force_a_full_tank_and_counts_it_full(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    rule = seed_rule()
    heater = Heater(rule, at(2024, 1, 10, 0, 30), full_from=at(2024, 1, 10, 15))
    heater.run_until(at(2024, 1, 11, 2))
    assert heater.decisions == []
    assert rule.yesterday_wh == 11000  # the season's two-day threshold, as the seed counted it
    assert "ecs was found full since the last check, no force; today counted as 11000 Wh" in caplog.text


def test_a_tank_found_full_under_a_fallback_force_is_no_sunny_day() -> None:
    # Filled by the deadline rule's force from the grid (its flag's full_until set), not by the sun: counted as a
    # full tank of the window, the next night's check forced nothing after a grey day.
    rule, now, decisions = seed_rule(), at(2024, 1, 10, 0, 30), []
    while now < at(2024, 1, 11, 2):
        now += 60.0
        full = at(2024, 1, 10, 4) <= now < at(2024, 1, 10, 6)
        decision = rule.tick(now, 0.0, MAX_W, full, full_by_sun=False)
        if decision is not None:
            decisions.append((now, decision))
    assert not rule.full_in_window
    assert [local(t) for t, _ in decisions] == ["2024-01-11 01:00:00+0100"]


def test_seed_rule_remembers_a_tank_full_in_the_afternoon_past_the_midnight_clear(
        caplog: pytest.LogCaptureFixture) -> None:
    # The full flags are cleared at midnight, before the default 01:00 check: a tank that filled at 15:00
    # is still a full tank for that check, not 3979 Wh to force from the grid.
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    rule = seed_rule()
    heater = Heater(rule, at(2024, 1, 10, 0, 30), full_from=at(2024, 1, 10, 15), full_until=at(2024, 1, 11, 0))
    heater.run_until(at(2024, 1, 11, 2))
    assert heater.decisions == [] and rule.yesterday_wh == 11000
    assert "found full since the last check, no force" in caplog.text
    heater.run_until(at(2024, 1, 12, 2))  # the next window, never full, nothing heated: forced again
    assert len(heater.decisions) == 1 and isinstance(heater.decisions[0][1], ForceCommand)


def test_seed_rule_respects_the_water_heater_mode() -> None:
    heater = Heater(seed_rule(), at(2024, 1, 10, 0, 30), allowed=False)
    heater.run_until(at(2024, 1, 11, 2))
    assert heater.decisions == []


def test_seed_rule_needs_a_day_of_counting_after_a_fresh_start(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    heater = Heater(seed_rule(), at(2024, 1, 10, 0, 45))
    heater.run_until(at(2024, 1, 10, 2))
    assert heater.decisions == []
    assert "only 0.2 h of heater energy counted (fresh start): no force" in caplog.text


def test_seed_rule_thresholds_per_season() -> None:
    text = SEED_EVALUATE + "[fallback]\nlow_nrj_today_summer = 3000\nlow_nrj_two_days_summer = 5000\n"
    rule = seed_rule(text)
    assert rule.settings.thresholds["winter"].today_wh == 7000  # the seed's [evaluate] keys for the rest
    heater = Heater(rule, at(2024, 7, 9, 0, 30), solar_w=sunny(1.0, hours=2))  # 2000 Wh a day
    heater.run_until(at(2024, 7, 10, 1, 0))
    assert heater.decisions == [(at(2024, 7, 10, 1), ForceCommand("ecs", MAX_W, round(3600 * 1000 / MAX_W)))]
    # Two days 3000 + 2000 = 5000: not below 5000, but no forecast = cloudy: topped up to 3000 Wh.
    heater.run_until(at(2024, 7, 11, 1, 0))
    (when, command), = heater.decisions[1:]  # ~1000 Wh (the night force's last minute counts in the new day)
    assert command.duration_s is not None
    assert when == at(2024, 7, 11, 1) and command.duration_s * MAX_W / 3600 == pytest.approx(1000, abs=40)


def test_seed_rule_catches_up_a_check_missed_while_stopped() -> None:
    first = seed_rule()
    heater = Heater(first, at(2024, 1, 10, 0, 30), solar_w=sunny(1.0))
    heater.run_until(at(2024, 1, 11, 0, 50))
    saved = first.snapshot()
    again = seed_rule()
    again.restore(saved)
    restarted = Heater(again, at(2024, 1, 11, 1, 29), counter_wh=0.0)  # the load's counter restarted at 0
    restarted.run_until(at(2024, 1, 11, 1, 30))
    assert restarted.decisions == [(at(2024, 1, 11, 1, 30), ForceCommand("ecs", MAX_W, 6261))]


def _stopped_then_moved(saved_hour: int, stop_at: float, hour_now: int,
                        solar_w: Callable[[float], float] = lambda t: 0.0) -> tuple[SeedFallback, dict[str, object]]:
    """A grey day under check_at = `saved_hour`, PySEB stopped at `stop_at`, its config's check_at then set to
    `hour_now`: the rule restored from the status's seed_rule (the snapshot and the hour it was checked at)."""
    first = seed_rule(SEED_EVALUATE.replace("check_at = 1", f"check_at = {saved_hour}"))
    Heater(first, at(2024, 1, 10, 0, 30), solar_w=solar_w).run_until(stop_at)
    saved = {**first.snapshot(), "check_at": saved_hour}
    again = seed_rule(SEED_EVALUATE.replace("check_at = 1", f"check_at = {hour_now}"))
    again.restore(saved)
    return again, saved


def test_a_check_at_moved_earlier_while_stopped_runs_the_night_s_check(caplog: pytest.LogCaptureFixture) -> None:
    # 03:00 moved to 01:00 while stopped from 02:00 to 02:05: the new hour had passed under the old one, so it was
    # never seen to pass: the night's check came the next night, on a window of two days, and the tank stayed cold.
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    again, _ = _stopped_then_moved(3, at(2024, 1, 11, 2, 0), 1)
    heater = Heater(again, at(2024, 1, 11, 2, 4))
    heater.run_until(at(2024, 1, 11, 2, 5))
    assert heater.decisions == [(at(2024, 1, 11, 2, 5), ForceCommand("ecs", MAX_W, round(3600 * 7000 / MAX_W)))]
    assert "check_at is now 01:00 (03:00 when PySEB stopped): the 01:00 check passed then, after the last one, " \
           "unchecked: due now" in caplog.text
    assert again.window_start == at(2024, 1, 11, 1)  # (the new hour's window)
    heater.run_until(at(2024, 1, 12, 0, 59))
    assert len(heater.decisions) == 1


@pytest.mark.parametrize(("saved_hour", "stop_at", "hour_now", "forced_at"), [
    # later, after the night's check: its force resumed at the start, the next check the next night's
    (1, at(2024, 1, 11, 1, 30), 3, ["2024-01-11 01:36", "2024-01-12 03:00"]),
    # earlier, before the new hour: at it, as without the move
    (3, at(2024, 1, 11, 0, 30), 1, ["2024-01-11 01:00", "2024-01-12 01:00"]),
    # not moved
    (3, at(2024, 1, 11, 2, 0), 3, ["2024-01-11 03:00", "2024-01-12 03:00"]),
    # later, stopped before the old hour: yesterday's 03:00 is the night checked at 01:00, no missed check (taken for
    # one, 21 h late, it was skipped and rolled the window: the day's energy no longer today's at the 03:00 check)
    (1, at(2024, 1, 11, 0, 30), 3, ["2024-01-11 03:00", "2024-01-12 03:00"]),
])
def test_a_check_at_moved_while_stopped_checks_each_night_once(saved_hour: int, stop_at: float, hour_now: int,
                                                                forced_at: list[str]) -> None:
    again, _ = _stopped_then_moved(saved_hour, stop_at, hour_now)
    heater = Heater(again, stop_at + 300)
    heater.run_until(at(2024, 1, 12, 3, 30))
    assert [local(when)[:16] for when, _ in heater.decisions] == forced_at


def test_a_check_at_moved_later_before_the_old_hour_keeps_the_day_s_energy() -> None:
    # 01:00 moved to 03:00, stopped from 00:30 to 00:35 after a sunny day (8 kWh): yesterday's 03:00, taken for a
    # missed check, was skipped and rolled the window, and the 03:00 check saw "today 0 Wh": 7 kWh from the grid.
    again, _ = _stopped_then_moved(1, at(2024, 1, 11, 0, 30), 3, sunny(1.0, hours=8))
    heater = Heater(again, at(2024, 1, 11, 0, 35))
    heater.run_until(at(2024, 1, 11, 3, 30))
    assert heater.decisions == [] and again.yesterday_wh > 7000


def test_seed_rule_skips_a_check_more_than_3_h_late(caplog: pytest.LogCaptureFixture) -> None:
    # Down from 00:50 to 18:00 (a power cut): the 01:00 check is not run in the evening peak; the window
    # still rolls at 01:00, so the next night's check weighs a whole day.
    caplog.set_level(logging.INFO)
    first = seed_rule()
    heater = Heater(first, at(2024, 1, 10, 0, 30))
    heater.run_until(at(2024, 1, 11, 0, 50))
    again = seed_rule()
    again.restore(first.snapshot())
    restarted = Heater(again, at(2024, 1, 11, 18, 0), counter_wh=0.0)
    restarted.run_until(at(2024, 1, 11, 18, 5))
    assert restarted.decisions == []
    assert "the 01:00 check comes 17.0 h late (PySEB was not running then): skipped" in caplog.text
    assert again.window_start == at(2024, 1, 11, 1)
    restarted.run_until(at(2024, 1, 12, 1, 0))  # a grey day: the next night's check forces
    assert [when for when, _ in restarted.decisions] == [at(2024, 1, 12, 1)]


@pytest.mark.parametrize("ntp_at", [None, at(2024, 1, 11, 1, 12)])
def test_seed_rule_checks_a_night_once_when_restored_by_a_clock_behind(caplog: pytest.LogCaptureFixture,
                                                                       ntp_at: float | None) -> None:
    # Saved at 01:05, after the night's check; the Pi booted on the clock it saved last (00:20), behind until NTP
    # set it (or never, before 01:00): the clock's 01:00 ran the night's check again, a "fresh start" of minutes
    # that rolled the window, the day's 6000 Wh no longer yesterday's: the next night's two-day sum fell short, and
    # a sunny night forced 2000 Wh more from the grid.
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    first = seed_rule()
    Heater(first, at(2024, 1, 9, 0, 30), solar_w=sunny(2.0)).run_until(at(2024, 1, 11, 1, 5))
    assert first.window_start == at(2024, 1, 11, 1) and first.yesterday_wh > 6000
    saved = first.snapshot()
    again = seed_rule()
    again.restore(saved)
    caplog.clear()
    heater = Heater(again, at(2024, 1, 11, 0, 20), solar_w=sunny(2.0))
    if ntp_at is None:
        heater.run_until(at(2024, 1, 11, 1, 30))
    else:
        heater.run_until(at(2024, 1, 11, 0, 22))
        assert again.tick(ntp_at, heater.counter_wh, MAX_W, False) is None
    assert heater.decisions == [] and "low-energy fallback" not in caplog.text
    assert (again.window_start, again.yesterday_wh) == (saved["window_start"], saved["yesterday_wh"])
    # The next night's check runs on the whole window: 6000 Wh today, 12038 over two days, enough.
    heater.now = max(heater.now, ntp_at or 0.0)
    heater.run_until(at(2024, 1, 12, 1, 1))
    assert again.window_start == at(2024, 1, 12, 1) and heater.decisions == []
    assert "no force (short today but enough over two days" in caplog.text


def test_seed_rule_check_at_on_the_spring_forward_day() -> None:
    # 2024-03-31 02:00 CET does not exist: the check runs at the jump, 03:00 CEST.
    rule = seed_rule(SEED_EVALUATE.replace("check_at = 1", "check_at = 2"))
    heater = Heater(rule, at(2024, 3, 28, 0))
    heater.run_until(at(2024, 3, 31, 12))
    assert [local(t) for t, _ in heater.decisions][-2:] == ["2024-03-30 02:00:00+0100",
                                                           "2024-03-31 03:00:00+0200"]


def test_seed_rule_check_at_on_the_fall_back_day_runs_once() -> None:
    rule = seed_rule(SEED_EVALUATE.replace("check_at = 1", "check_at = 2"))
    heater = Heater(rule, at(2024, 10, 25, 0))
    heater.run_until(at(2024, 10, 27, 12))
    assert [local(t) for t, _ in heater.decisions] == ["2024-10-26 02:00:00+0200", "2024-10-27 02:00:00+0200"]


def test_a_check_held_across_a_day_of_downtime_runs_if_the_force_ends_within_3_h_of_the_last_check_at() -> None:
    # Held at 01:00, PySEB stopped at 03:00 and back the next night at 01:30 with the force restored, unforced at
    # 01:45: within 3 h of that night's check_at (the first missed one was a day earlier).
    rule = seed_rule()
    start = at(2024, 1, 9, 0, 30)
    for minute in range(0, 24 * 60 + 30, 5):  # a grey day, then the check
        rule.tick(start + 60 * minute, 0.0, MAX_W, False)
    assert rule.tick(at(2024, 1, 10, 1, 0), 0.0, MAX_W, False, forced_by="user") is None
    assert rule.tick(at(2024, 1, 10, 3, 0), 0.0, MAX_W, False, forced_by="user") is None  # then stopped
    assert rule.tick(at(2024, 1, 11, 1, 30), 0.0, MAX_W, False, forced_by="user") is None  # back, still held
    command = rule.tick(at(2024, 1, 11, 1, 45), 0.0, MAX_W, False)
    assert isinstance(command, ForceCommand) and command.power_w == MAX_W
