"""The low-energy fallback's deadline rule (a target of energy by a deadline, forced at the latest time that
reaches it, off-peak hours first), driven by ticks across the deadline, midnight and DST days in Europe/Paris."""

from __future__ import annotations

import json
import logging
from datetime import time

import pytest

from equipments.modes import ForceCommand, UnforceCommand
from field.fallback_deadline import DeadlineFallback
from field.fallback_settings import DeadlineSettings
from tests.fallback_heater import MAX_W, PARIS, Heater, at, daily_sun, local, sunny


def deadline_rule(min_wh: float = 6000, offpeak: tuple[time, time] | None = (time(22), time(6)),
                  margin_s: float = 900) -> DeadlineFallback:
    return DeadlineFallback("ecs", DeadlineSettings(min_wh, time(7), offpeak, margin_s), PARIS)


def test_deadline_starts_at_the_latest_time_and_stops_at_the_target(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_deadline")
    heater = Heater(deadline_rule(), at(2024, 1, 10, 12))
    heater.run_until(at(2024, 1, 11, 6, 30))
    # 6000 Wh at 2300 W = 9391 s; + 900 s margin before 06:00 (off-peak end) -> 03:08:29, first tick 03:09.
    (t1, start), (t2, stop) = heater.decisions
    assert local(t1) == "2024-01-11 03:09:00+0100"
    assert start == ForceCommand("ecs", MAX_W, at(2024, 1, 11, 6) - t1)
    assert stop == UnforceCommand("ecs")
    assert local(t2) == "2024-01-11 05:46:00+0100"  # 157 one-minute steps of 38.3 Wh: 6018 Wh
    assert "6000 Wh missing (157 min at full power)" in caplog.text
    assert "ecs got 6018 of 6000 Wh: target reached" in caplog.text


def test_deadline_counts_the_sun_and_starts_later() -> None:
    heater = Heater(deadline_rule(), at(2024, 1, 10, 11), solar_w=sunny(1.0, start_h=12, hours=4))
    heater.run_until(at(2024, 1, 11, 6, 30))
    # 4000 Wh of sun after the previous deadline: 2000 Wh missing = 3130 s, + 900 s before 06:00
    assert local(heater.decisions[0][0]) == "2024-01-11 04:53:00+0100"


@pytest.mark.parametrize("sun_wh", [5999.0, 5950.0])
def test_deadline_does_not_force_a_few_wh(caplog: pytest.LogCaptureFixture, sun_wh: float) -> None:
    # The sun gave 5999 of the 6000 Wh: forced from the grid at 05:45 for 1 Wh, stopped a tick later (a contactor's
    # click, or the triac at full power, for nothing). Under 100 Wh missing is not worth a force, as for the seed rule.
    caplog.set_level(logging.INFO, logger="field.fallback_deadline")
    rule = deadline_rule()
    heater = Heater(rule, at(2024, 1, 10, 7, 1), solar_w=daily_sun(sun_wh))
    heater.run_until(at(2024, 1, 11, 7, 1))
    assert heater.decisions == []
    assert caplog.text.count("Wh missing, under 100 Wh: not worth a force") == 1  # (once, not at every tick)
    assert f"ecs got {sun_wh:.0f} of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text


def test_a_tank_the_sun_filled_is_no_missed_deadline(caplog: pytest.LogCaptureFixture) -> None:
    # The sun gave 4000 of the 6000 Wh and filled the tank at 15:00 (flagged full until the daily clear): nothing to
    # force, the water hot, and the deadline said "MISSED".
    caplog.set_level(logging.INFO, logger="field.fallback_deadline")
    heater = Heater(deadline_rule(), at(2024, 1, 10, 7, 1), solar_w=daily_sun(4000),
                    full_from=at(2024, 1, 10, 15), full_until=at(2024, 1, 11, 8))
    heater.run_until(at(2024, 1, 11, 7, 1))
    assert heater.decisions == []
    assert "ecs got 4000 of 6000 Wh by 2024-01-11 07:00 (met: the tank is full)" in caplog.text, caplog.text


def test_deadline_still_forces_100_wh() -> None:
    heater = Heater(deadline_rule(), at(2024, 1, 10, 7, 1), solar_w=daily_sun(5900))
    heater.run_until(at(2024, 1, 11, 7, 1))
    assert [type(d).__name__ for _, d in heater.decisions] == ["ForceCommand", "UnforceCommand"]


def test_deadline_stops_early_when_the_tank_is_full() -> None:
    heater = Heater(deadline_rule(), at(2024, 1, 10, 12), full_from=at(2024, 1, 11, 4))
    heater.run_until(at(2024, 1, 11, 6, 30))
    assert [(local(t), type(d).__name__) for t, d in heater.decisions] == [
        ("2024-01-11 03:09:00+0100", "ForceCommand"), ("2024-01-11 04:00:00+0100", "UnforceCommand")]


def test_deadline_forces_again_once_the_full_flag_is_cleared() -> None:
    rule = deadline_rule()
    heater = Heater(rule, at(2024, 1, 10, 12), full_from=at(2024, 1, 10, 22),
                    full_until=at(2024, 1, 11, 4))  # full at night, cleared (init_at = 4) before 06:00
    heater.run_until(at(2024, 1, 11, 6, 30))
    # Nothing while full; from 04:00 the latest start (03:08) is past: forced to the span's end, short.
    assert [(local(t), d) for t, d in heater.decisions] == [
        ("2024-01-11 04:00:00+0100", ForceCommand("ecs", MAX_W, 7200)),
        ("2024-01-11 06:00:00+0100", UnforceCommand("ecs"))]
    assert rule.unreachable


def test_deadline_reports_unreachable_and_starts_at_the_window() -> None:
    rule = deadline_rule(min_wh=30000)  # 13 h at 2300 W: more than the 8 h off-peak night
    heater = Heater(rule, at(2024, 1, 10, 12))
    heater.run_until(at(2024, 1, 10, 12, 1))
    assert rule.unreachable and rule.status()["unreachable"] is True
    heater.run_until(at(2024, 1, 11, 6, 30))
    assert local(heater.decisions[0][0]) == "2024-01-10 22:00:00+0100"


def test_deadline_unreachable_only_on_the_short_dst_night() -> None:
    need_wh = 7.5 * MAX_W  # fits the usual 8 h night, not the 7 h one of 2024-03-30/31
    normal, short = deadline_rule(min_wh=need_wh), deadline_rule(min_wh=need_wh)
    normal.tick(at(2024, 3, 23, 12), 0.0, MAX_W, False)
    short.tick(at(2024, 3, 30, 12), 0.0, MAX_W, False)
    assert not normal.unreachable and short.unreachable


def test_deadline_without_offpeak_ends_at_the_deadline() -> None:
    heater = Heater(deadline_rule(offpeak=None, margin_s=0), at(2024, 1, 10, 12))
    heater.run_until(at(2024, 1, 11, 7, 30))
    start_t = heater.decisions[0][0]
    assert local(start_t) == "2024-01-11 04:24:00+0100"  # 07:00 - 9391 s = 04:23:29
    assert heater.decisions[0][1] == ForceCommand("ecs", MAX_W, at(2024, 1, 11, 7) - start_t)


def test_deadline_passing_while_forcing_stops_and_starts_a_new_cycle() -> None:
    rule = deadline_rule(min_wh=50000, offpeak=None)  # 21.7 h at 2300 W: out of reach from noon
    heater = Heater(rule, at(2024, 1, 10, 12))
    heater.run_until(at(2024, 1, 11, 7, 1))
    assert [(local(t), type(d).__name__) for t, d in heater.decisions] == [
        ("2024-01-10 12:01:00+0100", "ForceCommand"), ("2024-01-11 07:00:00+0100", "UnforceCommand")]
    assert rule.delivered_wh == 0 and not rule.forcing and not rule.unreachable
    assert rule.status()["deadline"] == "2024-01-12T07:00:00+01:00"


def test_deadline_respects_the_water_heater_mode() -> None:
    heater = Heater(deadline_rule(), at(2024, 1, 10, 12), allowed=False)
    heater.run_until(at(2024, 1, 11, 7, 30))
    assert heater.decisions == []


def test_deadline_state_survives_a_restart() -> None:
    first = deadline_rule()
    heater = Heater(first, at(2024, 1, 10, 11), solar_w=sunny(1.0, start_h=12, hours=4))
    heater.run_until(at(2024, 1, 10, 20))
    again = deadline_rule()
    again.restore(first.snapshot())
    assert again.delivered_wh == pytest.approx(4000) and again.cycle_end == at(2024, 1, 11, 7)
    restarted = Heater(again, at(2024, 1, 10, 21))
    restarted.run_until(at(2024, 1, 11, 6, 30))
    assert local(restarted.decisions[0][0]) == "2024-01-11 04:53:00+0100"


def test_a_tank_found_full_under_its_force_meets_the_need_until_midnight_across_a_restart() -> None:
    rule = deadline_rule(min_wh=20000, offpeak=None)  # 10 h at 2000 W: forced from 20:45
    assert isinstance(rule.tick(at(2024, 1, 10, 20, 50), 0.0, 2000.0, False), ForceCommand)
    assert rule.tick(at(2024, 1, 10, 21), 300.0, 2000.0, True) == UnforceCommand("ecs")
    assert rule.done and rule.full_met_at == at(2024, 1, 10, 21)
    again = deadline_rule(min_wh=20000, offpeak=None)
    again.restore(json.loads(json.dumps(rule.snapshot())))
    assert again.done and again.full_met_at == at(2024, 1, 10, 21)
    assert again.tick(at(2024, 1, 10, 23, 59), 300.0, 2000.0, False) is None
    assert isinstance(again.tick(at(2024, 1, 11, 0, 0, 30), 300.0, 2000.0, False), ForceCommand)
    assert not again.done and again.full_met_at is None
    # Not done: a saved full_met_at is no latch.
    fresh = deadline_rule(min_wh=20000, offpeak=None)
    fresh.restore({**rule.snapshot(), "done": False})
    assert fresh.full_met_at is None


def test_a_damaged_full_met_at_judges_the_need_again(caplog: pytest.LogCaptureFixture) -> None:
    rule = deadline_rule(min_wh=20000, offpeak=None)
    rule.tick(at(2024, 1, 10, 20, 50), 0.0, 2000.0, False)
    rule.tick(at(2024, 1, 10, 21), 300.0, 2000.0, True)
    again = deadline_rule(min_wh=20000, offpeak=None)
    again.restore({**rule.snapshot(), "full_met_at": "x"})
    assert not again.done and again.full_met_at is None
    assert "deadline rule: saved full_met_at 'x' ignored (not a plausible time): ecs's need is judged again" \
        in caplog.text


def test_a_force_ending_in_the_repeated_hour_says_which_of_its_two(caplog: pytest.LogCaptureFixture) -> None:
    # The off-peak span ending at 02:30 on the night of the October change: "forcing ecs ... until 2026-10-25 02:30"
    # named either of two instants an hour apart (the span ends at the first, summer time's). Said with its offset
    # then, and only then (the night before, 02:30 reads one way).
    caplog.set_level(logging.INFO, logger="field.fallback_deadline")
    for day in (24, 25):
        heater = Heater(deadline_rule(min_wh=2000, offpeak=(time(22), time(2, 30))), at(2026, 10, day - 1, 12))
        heater.run_until(at(2026, 10, day, 4))
    assert "until 2026-10-24 02:30:" in caplog.text, caplog.text
    assert "until 2026-10-25 02:30+02:00:" in caplog.text, caplog.text
