"""The seed's rule with its cloud forecast, branch for branch with exact force durations (winter
thresholds 7000 / 11000 Wh, a 2300 W heater), the day and UTC hours it asks about across DST, and the
deadline rule's PV share."""

from __future__ import annotations

import json
import logging
from datetime import date, time

import pytest

from equipments.modes import ForceCommand, UnforceCommand
from field.fallback_deadline import DeadlineFallback
from field.fallback_seed import SeedFallback
from field.fallback_settings import DeadlineSettings
from field.forecast import CloudPick, parse_owm_answer
from field.forecast_book import ForecastBook
from tests.fallback_heater import MAX_W, PARIS, SEED_EVALUATE, Heater, at, local, settings, sunny
from tests.owm_server import forecast_doc, utc


def clouds(percent: float, asked: list[date] | None = None):  # type: ignore[no-untyped-def]
    def pick(day: date) -> CloudPick:
        if asked is not None:
            asked.append(day)
        return CloudPick(day, percent, "mqtt", 0.0)
    return pick


class CloudyHeater(Heater):
    """The test heater whose rule gets a cloud source."""

    source = staticmethod(clouds(100))

    def run_until(self, end: float, step: float = 60.0) -> None:
        rule = self.rule
        assert isinstance(rule, SeedFallback)
        tick = rule.tick
        rule.tick = lambda *a: tick(*a, clouds=self.source)  # type: ignore[method-assign]
        try:
            super().run_until(end, step)
        finally:
            del rule.tick


def day_after(yesterday_wh: float, today_kwh_of_sun: int, cloud_percent: float,
              text: str = SEED_EVALUATE) -> tuple[SeedFallback, CloudyHeater]:
    """A rule that counted `yesterday_wh` at 2024-01-10 01:00, then a day of `today_kwh_of_sun` kWh, checked
    at 2024-01-11 01:00 with `cloud_percent` forecast."""
    rule = SeedFallback("ecs", settings(text).seed, PARIS)
    rule.restore({"today_wh": 0.0, "yesterday_wh": yesterday_wh, "window_start": at(2024, 1, 10, 1),
                  "checked_until": at(2024, 1, 10, 1)})
    heater = CloudyHeater(rule, at(2024, 1, 10, 1), solar_w=sunny(1.0, hours=today_kwh_of_sun))
    heater.source = clouds(cloud_percent)
    heater.run_until(at(2024, 1, 11, 1, 30))
    return rule, heater


def forced(heater: Heater) -> list[tuple[str, float | None]]:
    return [(local(t), d.duration_s) for t, d in heater.decisions if isinstance(d, ForceCommand)]


@pytest.mark.parametrize("cloud_percent, wh, branch", [
    # short today (3000 < 7000) and over two days (6000 + 3000 < 11000)
    (10, 2000, "sunny forecast (bound 20 %): the smaller shortfall"),  # min(4000, 2000)
    (19.9, 2000, "sunny forecast (bound 20 %): the smaller shortfall"),
    (20, 4000, "cloudy forecast (bound 20 %): today's shortfall"),
    (100, 4000, "cloudy forecast (bound 20 %): today's shortfall"),
])
def test_short_today_and_over_two_days(cloud_percent: float, wh: float, branch: str,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    rule, heater = day_after(6000, 3, cloud_percent)
    assert forced(heater) == [("2024-01-11 01:00:00+0100", round(3600 * wh / MAX_W))]
    assert rule.yesterday_wh == pytest.approx(3000 + wh)  # credited to the day it makes up
    assert f"({wh} Wh missing); winter: today 3000 Wh (threshold 7000 Wh), yesterday 6000 Wh, two days 9000 Wh " \
           f"(threshold 11000 Wh); clouds {cloud_percent:.0f} % on 2024-01-11 (mqtt); short today and over two " \
           f"days, {branch}" in caplog.text


def test_short_today_enough_over_two_days_sunny_no_force(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_seed")
    rule, heater = day_after(9500, 2, 10)
    assert heater.decisions == []
    assert rule.yesterday_wh == pytest.approx(2000)
    assert "no force (short today but enough over two days, sunny forecast (bound 20 %)); winter: today 2000 Wh" \
        in caplog.text


def test_short_today_enough_over_two_days_cloudy_tops_up_to_3000() -> None:
    rule, heater = day_after(9500, 2, 57.5)
    assert forced(heater) == [("2024-01-11 01:00:00+0100", 1565)]  # 3600 x (3000 - 2000) / 2300
    rule, heater = day_after(9500, 4, 57.5)  # 4000 Wh today: already above 3000
    assert heater.decisions == []


def test_the_cloudy_top_up_and_the_sunny_bound_are_options() -> None:
    text = SEED_EVALUATE + "[fallback]\nclear_sky_clouds_percent = 60\ncloudy_min_today_wh = 5000\n"
    rule, heater = day_after(9500, 2, 57.5, text)  # 57.5 < 60: sunny now
    assert heater.decisions == []
    rule, heater = day_after(9500, 2, 60, text)
    assert forced(heater) == [("2024-01-11 01:00:00+0100", round(3600 * 3000 / MAX_W))]


def test_enough_today_no_force_whatever_the_sky() -> None:
    for cloud_percent in (0, 100):
        rule, heater = day_after(0, 7, cloud_percent)
        assert heater.decisions == [] and rule.yesterday_wh == pytest.approx(7000)


def test_full_tank_counts_as_the_two_day_threshold() -> None:
    rule = SeedFallback("ecs", settings().seed, PARIS)
    rule.restore({"yesterday_wh": 0.0, "window_start": at(2024, 1, 10, 1), "checked_until": at(2024, 1, 10, 1)})
    heater = CloudyHeater(rule, at(2024, 1, 10, 1), full_from=at(2024, 1, 10, 15))
    heater.run_until(at(2024, 1, 11, 1, 30))
    assert heater.decisions == [] and rule.yesterday_wh == 11000


@pytest.mark.parametrize("check_at, start, asked", [
    # check_at <= 7: the day that starts (the seed's TODAY); later: tomorrow. Across both DST changes.
    (1, at(2024, 3, 30, 12), [date(2024, 3, 31), date(2024, 4, 1)]),
    (23, at(2024, 3, 30, 12), [date(2024, 3, 31), date(2024, 4, 1)]),
    (7, at(2024, 10, 26, 12), [date(2024, 10, 27), date(2024, 10, 28)]),
    (8, at(2024, 10, 26, 12), [date(2024, 10, 28), date(2024, 10, 29)]),
    (24, at(2024, 10, 26, 12), [date(2024, 10, 27), date(2024, 10, 28)]),  # 24 = 0: today
])
def test_the_day_asked_about(check_at: int, start: float, asked: list[date]) -> None:
    rule = SeedFallback("ecs", settings(SEED_EVALUATE.replace("check_at = 1", f"check_at = {check_at}")).seed,
                        PARIS)
    heater = CloudyHeater(rule, start - 86400)  # (a day before: the first check, a fresh start's, asks about no day)
    days: list[date] = []
    heater.source = clouds(100, days)
    heater.run_until(start + 2 * 86400)
    assert days[-2:] == asked


def test_the_hours_are_09_and_12_utc_across_dst() -> None:
    # Clouds are 10 % at 09:00 UTC, 20 % at 12:00 UTC and 90 % at every other entry: in Paris the entries from 09:00
    # to 15:00 local time are the seed's very ones, in winter (10:00/13:00 CET) as in summer (11:00/14:00 CEST).
    doc = forecast_doc(utc(2024, 3, 28, 0), lambda t: {9: 10, 12: 20}.get(t.hour, 90))
    book = ForecastBook(PARIS, owm_enabled=True, mqtt_topic=None)
    book.on_fetched(parse_owm_answer(200, json.dumps(doc).encode(), at(2024, 3, 28, 0)))
    rule = SeedFallback("ecs", settings(SEED_EVALUATE.replace("check_at = 1", "check_at = 23")).seed, PARIS)
    heater = CloudyHeater(rule, at(2024, 3, 29, 12))
    heater.source = book.clouds_for
    picks = []
    for day in (30, 31):  # 2024-03-30 23:00 CET asks about the 31st; 2024-03-31 23:00 CEST about 1 April
        heater.run_until(at(2024, 3, day, 23, 1))
        picks.append(book.last_pick)
    assert [(p.day, p.clouds_percent, p.source) for p in picks if p] == [
        (date(2024, 3, 31), 15, "openweathermap"), (date(2024, 4, 1), 15, "openweathermap")]


# --- the deadline rule with tomorrow's PV ---------------------------------------------------------------------

def pv_rule(share: float) -> DeadlineFallback:
    return DeadlineFallback("ecs", DeadlineSettings(6000, time(13), (time(22), time(6)), 900, share), PARIS)


def test_deadline_rule_forces_only_what_the_morning_sun_will_not_bring(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.fallback_deadline")
    rule = pv_rule(0.25)
    heater = Heater(rule, at(2024, 1, 10, 14))
    tick = rule.tick
    rule.tick = lambda *a: tick(*a, pv_wh_on={date(2024, 1, 11): 12000.0}.get)  # type: ignore[method-assign]
    heater.run_until(at(2024, 1, 11, 6, 30))
    # 0.25 x 12000 Wh expected before 13:00: 3000 Wh forced = 4696 s, + 900 s margin before 06:00 = 04:26:44.
    (t1, start), (t2, stop) = heater.decisions
    assert local(t1) == "2024-01-11 04:27:00+0100" and start == ForceCommand("ecs", MAX_W, at(2024, 1, 11, 6) - t1)
    assert local(t2) == "2024-01-11 05:46:00+0100" and stop == UnforceCommand("ecs")
    assert rule.status()["expected_sun_wh"] == 3000
    assert "6000 Wh missing, 3000 Wh expected from the sun (78 min at full power)" in caplog.text


def test_deadline_rule_without_a_share_ignores_the_forecast() -> None:
    rule = pv_rule(0.0)
    heater = Heater(rule, at(2024, 1, 10, 14))
    tick = rule.tick
    rule.tick = lambda *a: tick(*a, pv_wh_on={date(2024, 1, 11): 12000.0}.get)  # type: ignore[method-assign]
    heater.run_until(at(2024, 1, 11, 6, 30))
    assert local(heater.decisions[0][0]) == "2024-01-11 03:09:00+0100"  # 9391 s + 900 s before 06:00


def test_deadline_rule_without_a_forecast_for_the_day_forces_it_all() -> None:
    rule = pv_rule(0.25)
    heater = Heater(rule, at(2024, 1, 10, 14))
    tick = rule.tick
    rule.tick = lambda *a: tick(*a, pv_wh_on={date(2024, 1, 12): 12000.0}.get)  # type: ignore[method-assign]
    heater.run_until(at(2024, 1, 11, 6, 30))
    assert local(heater.decisions[0][0]) == "2024-01-11 03:09:00+0100"
