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
