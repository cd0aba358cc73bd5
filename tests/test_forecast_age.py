"""The limits in time of an OpenWeatherMap answer: a check takes one up to MAX_OWM_AGE_S (36 h) old, that one
included (yesterday's round's, every try of tonight's failed), and counts an older one as no forecast."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from field.forecast import parse_owm_answer
from field.forecast_book import MAX_OWM_AGE_S, ForecastBook
from tests.owm_server import forecast_doc, utc

PARIS = ZoneInfo("Europe/Paris")
FETCHED_AT = utc(2026, 6, 26, 20).timestamp()


@pytest.mark.parametrize("age_s, source", [
    (MAX_OWM_AGE_S - 60.0, "openweathermap"),
    (MAX_OWM_AGE_S, "openweathermap"),  # 36 h to the second: "up to 36 h old" takes it
    (MAX_OWM_AGE_S + 60.0, "default"),
])
def test_a_check_takes_an_answer_up_to_36_h_old(age_s: float, source: str) -> None:
    assert MAX_OWM_AGE_S == 36 * 3600.0  # (the limit the docs and the refusal's cause name)
    b = ForecastBook(PARIS, owm_enabled=True, mqtt_topic=None)
    doc = forecast_doc(utc(2026, 6, 26, 0), lambda t: 10)
    b.on_fetched(parse_owm_answer(200, json.dumps(doc).encode(), FETCHED_AT))
    pick = b.clouds_for(date(2026, 6, 27), now=FETCHED_AT + age_s)
    assert (pick.source, pick.clouds_percent) == (source, 10 if source == "openweathermap" else 100)


def test_an_answer_cut_short_does_not_hide_a_day_the_one_before_covered(caplog: pytest.LogCaptureFixture) -> None:
    """A valid answer of a few entries (tonight's) after a complete one (yesterday's): the day it does not cover is
    read from the one before while that one is up to 36 h old; the day it covers is its own. It replaced the complete
    one: the check counted the day asked about as 100 % cloudy and forced the heater from the grid."""
    b = ForecastBook(PARIS, owm_enabled=True, mqtt_topic=None)
    b.on_fetched(parse_owm_answer(200, json.dumps(forecast_doc(utc(2026, 6, 26, 0), lambda t: 10)).encode(),
                                  FETCHED_AT))
    later = FETCHED_AT + 12 * 3600.0  # 2026-06-27 08:00 UTC
    short = forecast_doc(utc(2026, 6, 27, 6), lambda t: 70, count=4)  # 06:00 to 15:00 UTC: the 27th only
    b.on_fetched(parse_owm_answer(200, json.dumps(short).encode(), later))
    assert "this answer ends at 2026-06-27 15:00 UTC" in caplog.text
    today = b.clouds_for(date(2026, 6, 27), now=later)
    assert (today.source, today.clouds_percent, today.received_at) == ("openweathermap", 70, later)
    tomorrow = b.clouds_for(date(2026, 6, 28), now=later)
    assert (tomorrow.source, tomorrow.clouds_percent, tomorrow.received_at) == ("openweathermap", 10, FETCHED_AT)
    # The one before past 36 h: no longer taken, the day is the seed's 100 %.
    too_late = FETCHED_AT + MAX_OWM_AGE_S + 60.0
    assert b.clouds_for(date(2026, 6, 28), now=too_late).source == "default"
    # A third answer cut short too: the one kept before it is the one that reaches further, the first (two short
    # answers in a row dropped it, a review's find); a fourth, complete, takes its place.
    b.on_fetched(parse_owm_answer(200, json.dumps(forecast_doc(utc(2026, 6, 27, 9), lambda t: 40, count=2)).encode(),
                                  later + 60.0))
    again = b.clouds_for(date(2026, 6, 28), now=later + 60.0)
    assert (again.source, again.clouds_percent, again.received_at) == ("openweathermap", 10, FETCHED_AT)
    b.on_fetched(parse_owm_answer(200, json.dumps(forecast_doc(utc(2026, 6, 27, 12), lambda t: 55)).encode(),
                                  later + 120.0))
    assert [owm.fetched_at for owm in b.owm_earlier][-1] == FETCHED_AT  # (still under 36 h old)
    assert b.clouds_for(date(2026, 6, 28), now=later + 120.0).clouds_percent == 55


def test_a_short_answer_that_covers_the_day_is_not_dropped_for_an_older_one_that_reaches_further(
        caplog: pytest.LogCaptureFixture) -> None:
    """Three nights' answers: a complete one, then one cut short that still covers the third day, then one that covers
    nothing of it. Only the one reaching furthest was kept beside the newest: the first, 48 h old at the third day's
    check, too old, and the day was counted 100 % cloudy where the second, 25 h old, had its clouds."""
    b = ForecastBook(PARIS, owm_enabled=True, mqtt_topic=None)
    night = utc(2026, 6, 25, 22).timestamp()  # 00:00 in Paris
    b.on_fetched(parse_owm_answer(200, json.dumps(forecast_doc(utc(2026, 6, 25, 21), lambda t: 90)).encode(), night))
    second = night + 24 * 3600.0  # covers the 27th's daytime (to 2026-06-27 15:00 UTC)
    b.on_fetched(parse_owm_answer(200, json.dumps(forecast_doc(utc(2026, 6, 26, 21), lambda t: 10, count=7)).encode(),
                                  second))
    third = second + 24 * 3600.0
    b.on_fetched(parse_owm_answer(200, json.dumps(forecast_doc(utc(2026, 6, 27, 0), lambda t: 50, count=2)).encode(),
                                  third))
    pick = b.clouds_for(date(2026, 6, 27), now=third + 3600.0)
    assert (pick.source, pick.clouds_percent, pick.received_at) == ("openweathermap", 10, second)
    assert [owm.fetched_at for owm in b.owm_earlier] == [second]  # (the first, 48 h old, is no longer kept)
    assert "the one before (fetched at 2026-06-27T00:00:00+02:00) at 2026-06-27 15:00 UTC" in caplog.text
