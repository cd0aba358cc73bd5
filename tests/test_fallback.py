"""Low-energy fallback: the seed's daily rule and the deadline rule, driven by ticks across check_at,
the deadline, midnight and DST days in Europe/Paris; and their config (the seed's keys included)."""

from __future__ import annotations

import configparser
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from equipments.modes import ForceCommand, UnforceCommand
from field.fallback_deadline import DeadlineFallback
from field.fallback_resume import OwnForce
from field.fallback_seed import EnergyDelta, SeedFallback, season_of
from field.fallback_settings import (
    DEFAULT_SEASON_STARTS,
    FALLBACK_EVALUATE_OPTIONS,
    DeadlineSettings,
    FallbackSettings,
    read_fallback_settings,
)
from settings.options import SectionReader

PARIS = ZoneInfo("Europe/Paris")
MAX_W = 2300.0
SEED_EVALUATE = """
[evaluate]
margin = 20
period = 3
balance_threshold = 20
check_at = 1
status_time = 900
ecs_full_capacity = 14000
low_ecs_energy_two_days = 11000
low_ecs_energy_today = 7000
"""


def at(y: int, m: int, d: int, h: int, mi: int = 0, s: int = 0, fold: int = 0) -> float:
    return datetime(y, m, d, h, mi, s, tzinfo=PARIS, fold=fold).timestamp()


def local(t: float) -> str:
    return datetime.fromtimestamp(t, PARIS).strftime("%Y-%m-%d %H:%M:%S%z")


def read(text: str) -> tuple[FallbackSettings, SectionReader]:
    cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    cp.optionxform = str.lower  # type: ignore[assignment,method-assign]
    cp.read_string(text)
    reader = SectionReader()
    evaluate = reader.read(cp, "evaluate", FALLBACK_EVALUATE_OPTIONS)
    return read_fallback_settings(cp, reader, evaluate), reader


def settings(text: str = SEED_EVALUATE) -> FallbackSettings:
    result, reader = read(text)
    assert reader.problems == []
    return result


Rule = SeedFallback | DeadlineFallback
Decision = ForceCommand | UnforceCommand


@dataclass
class Heater:
    """The water heater as the regulator runs it: forced at max while a force lasts, else solar watts."""

    rule: Rule
    now: float
    solar_w: Callable[[float], float] = lambda t: 0.0
    full_from: float = float("inf")
    full_until: float = float("inf")  # the daily clear lifts the flag
    allowed: bool = True
    counter_wh: float = 0.0
    forced_until: float | None = None
    decisions: list[tuple[float, Decision]] = field(default_factory=list)

    def run_until(self, end: float, step: float = 60.0) -> None:
        while self.now < end:
            full = self.full_from <= self.now < self.full_until
            forced = self.forced_until is not None and self.now < self.forced_until
            power_w = 0.0 if full else (MAX_W if forced else self.solar_w(self.now))
            self.now += step
            self.counter_wh += power_w * step / 3600.0
            decision = self.rule.tick(self.now, self.counter_wh, MAX_W,
                                      self.full_from <= self.now < self.full_until, self.allowed)
            if decision is None:
                continue
            self.decisions.append((self.now, decision))
            if isinstance(decision, ForceCommand):
                assert decision.duration_s is not None
                self.forced_until = self.now + decision.duration_s
            else:
                self.forced_until = None


def sunny(kw: float, start_h: int = 11, hours: int = 3) -> Callable[[float], float]:
    """`kw` kW of surplus into the heater for `hours` from `start_h` local, every day."""
    def solar(t: float) -> float:
        return kw * 1000 if start_h <= datetime.fromtimestamp(t, PARIS).hour < start_h + hours else 0.0
    return solar


# --- pieces -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, season", [(1, "winter"), (79, "winter"), (80, "spring"), (171, "spring"),
                                         (172, "summer"), (264, "summer"), (265, "fall"), (354, "fall"),
                                         (355, "winter"), (366, "winter")])
def test_seasons_with_the_default_start_days(day: int, season: str) -> None:
    assert season_of(day, DEFAULT_SEASON_STARTS) == season


def test_seasons_wrap_for_the_southern_hemisphere() -> None:
    south = {"spring": 265, "summer": 355, "fall": 80, "winter": 172}
    assert [season_of(d, south) for d in (10, 100, 200, 300, 360)] == \
        ["summer", "fall", "winter", "spring", "summer"]


def test_energy_delta_survives_a_counter_reset() -> None:
    delta = EnergyDelta()
    assert [delta.step(v) for v in (500.0, 800.0, 800.0, 12.0, 40.0)] == [0.0, 300.0, 0.0, 12.0, 28.0]


# --- the seed rule ------------------------------------------------------------------------------------------

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
    heater = Heater(rule, at(2024, 1, 10, 0, 30), solar_w=sunny(today_wh / 3000, hours=3))
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


# --- the deadline rule -------------------------------------------------------------------------------------

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
    heater = Heater(rule, at(2024, 1, 10, 7, 1), solar_w=sunny(sun_wh / 3000, hours=3))
    heater.run_until(at(2024, 1, 11, 7, 1))
    assert heater.decisions == []
    assert caplog.text.count("Wh missing, under 100 Wh: not worth a force") == 1  # (once, not at every tick)
    assert f"ecs got {sun_wh:.0f} of 6000 Wh by 2024-01-11 07:00 (MISSED)" in caplog.text


def test_deadline_still_forces_100_wh() -> None:
    heater = Heater(deadline_rule(), at(2024, 1, 10, 7, 1), solar_w=sunny(5900 / 3000, hours=3))
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


# --- config --------------------------------------------------------------------------------------------------

def test_seed_keys_give_every_season_its_thresholds() -> None:
    s = settings()
    assert s.seed.check_at_hour == 1 and s.init_at_hour == 6
    assert {k: (v.today_wh, v.two_days_wh) for k, v in s.seed.thresholds.items()} == \
        {k: (7000, 11000) for k in ("spring", "summer", "fall", "winter")}
    assert s.deadline is None


def test_defaults_without_any_section() -> None:
    s = settings("")
    assert s.seed.enabled and s.seed.check_at_hour == 1 and s.seed.thresholds["fall"].two_days_wh == 11000
    assert dict(s.seed.season_starts) == {"spring": 80, "summer": 172, "fall": 265, "winter": 355}


def test_deadline_keys() -> None:
    s = settings("[fallback]\nmin_energy_wh = 6000\ndeadline = 06:30\noffpeak = 22:00-06:00\n")
    assert s.deadline == DeadlineSettings(6000, time(6, 30), (time(22), time(6)), 900)


def test_a_deadline_target_under_100_wh_is_warned_it_never_forces() -> None:
    _, reader = read("[fallback]\nmin_energy_wh = 50\n")
    assert reader.problems == []
    assert [(w.section, w.key) for w in reader.warnings] == [("fallback", "min_energy_wh")]
    assert "never forces" in reader.warnings[0].message
    assert read("[fallback]\nmin_energy_wh = 100\n")[1].warnings == []


def test_check_at_24_means_midnight() -> None:
    assert settings("[evaluate]\ncheck_at = 24\n").seed.check_at_hour == 0


@pytest.mark.parametrize("text, where", [
    ("[fallback]\nmin_energy_wh = 6000\ndeadline = 7h\n", ("fallback", "deadline")),
    ("[fallback]\noffpeak = 22:00-22:00\n", ("fallback", "offpeak")),
    ("[fallback]\noffpeak = 22:00\n", ("fallback", "offpeak")),
    ("[fallback]\nlow_nrj_today_winter = lots\n", ("fallback", "low_nrj_today_winter")),
    ("[season]\nyday_spring = 172\n", ("season", None)),
    ("[season]\nyday_fall = 400\n", ("season", "yday_fall")),
    ("[evaluate]\ncheck_at = 25\n", ("evaluate", "check_at")),
])
def test_config_problems_name_section_and_key(text: str, where: tuple[str, str | None]) -> None:
    _, reader = read(text)
    assert [(p.section, p.key) for p in reader.problems] == [where]


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


def test_the_rule_s_own_force_is_followed_until_it_gave_what_it_was_for() -> None:
    own = OwnForce(wanted_wh=2000.0, due_at=0.0, planned_end=3600.0, latest_s=3 * 3600 + 3600)
    assert own.follow(600.0, 300.0, None) is None  # its own span: goes on
    assert own.follow(900.0, 100.0, "user") is None and own.displaced  # a boost over it
    assert own.follow(1200.0, 500.0, None) == pytest.approx(1100.0)  # over: the rest is forced again
    nearly = OwnForce(2000.0, 0.0, 3600.0, 14400.0, drawn_wh=1950.0, displaced=True)
    assert nearly.follow(1200.0, 0.0, None) == 0.0 and nearly.not_drawn_wh == 0.0  # 50 Wh: not worth a force
    late = OwnForce(2000.0, 0.0, 3600.0, 14400.0, drawn_wh=500.0, displaced=True)
    assert late.follow(20000.0, 0.0, None) == 0.0 and late.not_drawn_wh == 1500.0  # the night is over
    done = OwnForce(2000.0, 0.0, 3600.0, 14400.0, drawn_wh=1990.0)
    assert done.follow(3600.0, 0.0, None) == 0.0 and done.not_drawn_wh == 0.0  # ran its course
    cut = OwnForce(2000.0, 0.0, 3600.0, 14400.0)
    assert cut.follow(600.0, 300.0, None, on=False) == 0.0 and cut.not_drawn_wh == 2000.0  # unforced: not forced again
