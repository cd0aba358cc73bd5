"""Forecast values: OpenWeatherMap answers (from fixtures shaped as OWM documents them) and their bad
variants, MQTT forecast messages, and the book that picks the freshest valid source or the seed's 100 %."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from field.forecast import ForecastError, ForecastFailure, parse_mqtt_forecast, parse_owm_answer
from field.forecast_book import ForecastBook
from field.forecast_keep import KEEP_AHEAD_DATES
from tests.owm_server import ERROR_401, ERROR_404, fixture, forecast_doc, utc

PARIS = ZoneInfo("Europe/Paris")
GOOD = fixture("forecast-chambery-2026-06-26T12.json")
T_FETCH = utc(2026, 6, 26, 20).timestamp()


def test_owm_answer_gives_the_mean_of_09_and_12_utc() -> None:
    forecast = parse_owm_answer(200, GOOD, T_FETCH)
    assert len(forecast.clouds_by_utc) == 40
    assert forecast.clouds_on(date(2026, 6, 27)) == pytest.approx((75 + 40) / 2)
    assert forecast.clouds_on(date(2026, 6, 28)) == pytest.approx(12.5)
    assert forecast.clouds_on(date(2026, 7, 2)) is None  # past the 5 days: no 09:00/12:00 entries


def test_owm_entries_are_read_by_dt_in_utc() -> None:
    doc = json.loads(GOOD)
    entry = next(e for e in doc["list"] if e["dt_txt"] == "2026-06-27 09:00:00")
    assert entry["dt"] == 1782550800 and datetime.fromtimestamp(entry["dt"], timezone.utc).hour == 9


@pytest.mark.parametrize("status, body, cause", [
    (401, json.dumps(ERROR_401).encode(), "HTTP 401: Invalid API key."),
    (404, json.dumps(ERROR_404).encode(), "HTTP 404: city not found"),
    (500, b"<html><body>Internal Server Error</body></html>", "HTTP 500"),
    (429, b'{"cod": 429, "message": "Your account is temporary blocked"}', "HTTP 429: Your account is temporary"),
    (200, b"{'cod': '200', list: [", "the answer is not valid JSON (cut short?)"),
    (200, b"[]", "the answer is not a JSON object"),
    (200, b'{"cod": "200", "list": [{"dt": 1,', "the answer is not valid JSON (cut short?)"),  # (was "not an object")
    # (23 000 entries of one day's hours were kept: each status 758 KB, the status file 932 KB)
    (200, json.dumps({"cod": "200", "list": [{"dt": 1782550800 + i, "clouds": {"all": 30}}
                                             for i in range(201)]}).encode(),
     "the answer has 201 entries, where OpenWeatherMap's 5-day forecast has 40 (one every 3 h): not its forecast"),
    (200, b'{"cod": "404", "message": "city not found"}', "error code '404' in the answer: city not found"),
    # `cod` a number on an error (PROTOCOL.md), here in a body served with 200 (a proxy passing it on)
    (200, b'{"cod": 401, "message": "Invalid API key."}', "error code 401 in the answer: Invalid API key."),
    (200, b'{"cod": "200", "cnt": 0}', "no `list` of forecast entries"),
    (200, b'{"cod": "200", "list": [{"dt": 1782550800, "clouds": {"all": "many"}}, 3]}',
     "none of the 2 entries has a time and a cloud cover"),
    # integers too large for a float (float() raises OverflowError on them; 1e400 would read as inf)
    (200, b'{"cod": "200", "list": [{"dt": 1782550800, "clouds": {"all": ' + b"9" * 400 + b'}}]}',
     "none of the 1 entries has a time and a cloud cover"),
    (200, b'{"cod": "200", "list": [{"dt": ' + b"9" * 400 + b', "clouds": {"all": 30}}]}',
     "none of the 1 entries has a time and a cloud cover"),
])
def test_bad_owm_answers_name_their_cause(status: int, body: bytes, cause: str) -> None:
    with pytest.raises(ForecastError) as err:
        parse_owm_answer(status, body, T_FETCH)
    assert cause in str(err.value)


def test_dt_txt_is_read_as_utc_when_dt_is_missing() -> None:
    # `dt_txt` is UTC (PROTOCOL.md), though the answer's city is at +02:00: read as local, 09:00 would be 07:00 UTC.
    doc = forecast_doc(utc(2026, 6, 27, 0), lambda t: {9: 10, 12: 30}.get(t.hour, 90), count=8)
    assert doc["city"]["timezone"] == 7200
    for entry in doc["list"]:
        del entry["dt"]
    forecast = parse_owm_answer(200, json.dumps(doc).encode(), T_FETCH)
    assert len(forecast.clouds_by_utc) == 8 and forecast.clouds_on(date(2026, 6, 27)) == pytest.approx(20)


def test_entries_out_of_range_are_skipped() -> None:
    doc = forecast_doc(utc(2026, 6, 27, 0), lambda t: 250 if t.hour == 9 else 30, count=8)
    forecast = parse_owm_answer(200, json.dumps(doc).encode(), T_FETCH)
    assert len(forecast.clouds_by_utc) == 7 and forecast.clouds_on(date(2026, 6, 27)) is None


@pytest.mark.parametrize("payload, value", [
    (b'{"date": "2026-06-27", "clouds_percent": 35}', (date(2026, 6, 27), 35.0, None)),
    (b'{"date": "2026-06-27", "pv_wh": 12000}', (date(2026, 6, 27), None, 12000.0)),
    (b'{"date": "2026-06-27", "clouds_percent": 0, "pv_wh": 0.5, "source": "solcast"}',
     (date(2026, 6, 27), 0.0, 0.5)),
])
def test_mqtt_forecasts(payload: bytes, value: tuple) -> None:
    forecast = parse_mqtt_forecast(payload, 1.0)
    assert (forecast.day, forecast.clouds_percent, forecast.pv_wh) == value


def test_numbers_written_as_text_are_read_as_regul_mode_reads_them() -> None:
    # Home Assistant's templates give text when quoted ("pv_wh": "{{ ... }}"), as shell scripts do: refused, the
    # night's check counted the sky as 100 % cloudy and forced the heater from the grid before a sunny day.
    forecast = parse_mqtt_forecast(b'{"date": "2026-06-27", "clouds_percent": "12", "pv_wh": " 14250.5 "}', 1.0)
    assert (forecast.clouds_percent, forecast.pv_wh) == (12.0, 14250.5)


@pytest.mark.parametrize("payload, cause", [
    (b"35", "expected a JSON object"),
    (b"nan", "not JSON"),
    (b'{"clouds_percent": 35}', "`date` must be a local date"),
    (b'{"date": "27/06/2026", "clouds_percent": 35}', "`date` must be a local date"),
    (b'{"date": "2026-06-27", "clouds_percent": 135}', "`clouds_percent` must be a number from 0 to 100"),
    (b'{"date": "2026-06-27", "clouds_percent": true}', "`clouds_percent` must be a number"),
    (b'{"date": "2026-06-27", "clouds_percent": "unavailable"}', "`clouds_percent` must be a number"),
    (b'{"date": "2026-06-27", "clouds_percent": "nan"}', "`clouds_percent` must be a number"),
    (b'{"date": "2026-06-27", "pv_wh": "12 kWh"}', "`pv_wh` must be a number of Wh >= 0"),
    (b'{"date": "2026-06-27", "pv_wh": "inf"}', "`pv_wh` must be a number of Wh >= 0"),
    (b'{"date": "2026-06-27", "pv_wh": -1}', "`pv_wh` must be a number of Wh >= 0"),
    (b'{"date": "2026-06-27", "pv_wh": 1e400}', "`pv_wh` must be a number of Wh >= 0"),
    (b'{"date": "2026-06-27", "pv_wh": ' + b"9" * 400 + b"}", "`pv_wh` must be a number of Wh >= 0"),
    (b'{"date": "2026-06-27"}', "neither clouds_percent nor pv_wh given"),
    (b"\xff\xfe", "not JSON"),
])
def test_bad_mqtt_forecasts_name_their_cause(payload: bytes, cause: str) -> None:
    with pytest.raises(ForecastError, match=cause.replace("(", r"\(").replace(")", r"\)")):
        parse_mqtt_forecast(payload, 1.0)


LONG = "A" * 60_000


@pytest.mark.parametrize("payload", [
    b'{"date": "%s", "pv_wh": 1}' % LONG.encode(),
    b'{"date": "2026-06-27", "clouds_percent": "%s"}' % LONG.encode(),
    b'{"date": "2026-06-27", "pv_wh": ["%s"]}' % LONG.encode(),
    b'{"date": "2026-06-27", "pv_wh": 1, "pad": "%s"}' % (LONG * 2).encode(),
], ids=["date", "clouds", "pv", "too-big"])
def test_a_long_mqtt_forecast_is_refused_in_a_short_line(payload: bytes) -> None:
    # Its cause is logged and kept in the status document (forecast.mqtt.error): a 60 KB value was both, whole, and
    # a message of any size was parsed, where every other message PySEB reads is refused above 64 KiB first.
    with pytest.raises(ForecastError) as refused:
        parse_mqtt_forecast(payload, 1.0)
    assert len(str(refused.value)) < 300


# --- the book --------------------------------------------------------------------------------------------

def book() -> ForecastBook:
    return ForecastBook(PARIS, owm_enabled=True, mqtt_topic="forecast/tomorrow")


def test_the_freshest_valid_source_wins() -> None:
    b = book()
    b.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    assert b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 5}', T_FETCH - 60)
    pick = b.clouds_for(date(2026, 6, 27))
    assert (pick.clouds_percent, pick.source, pick.received_at) == (57.5, "openweathermap", T_FETCH)
    assert b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 6}', T_FETCH + 60)
    pick = b.clouds_for(date(2026, 6, 27))
    assert (pick.clouds_percent, pick.source, pick.received_at) == (6, "mqtt", T_FETCH + 60)
    status = b.status()
    assert status["CLOUD_forecast"] == 6
    assert status["forecast"]["used"] == {"date": "2026-06-27", "clouds_percent": 6, "source": "mqtt",
                                          "time": "2026-06-26T22:01:00+02:00", "cause": None}
    assert status["forecast"]["openweathermap"]["time"] == "2026-06-26T22:00:00+02:00"


def test_an_mqtt_message_with_one_value_keeps_the_other() -> None:
    b = book()
    b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 35}', T_FETCH)
    b.on_mqtt(b'{"date": "2026-06-27", "pv_wh": 9000}', T_FETCH + 10)
    forecast = b.pv_wh_for(date(2026, 6, 27))
    assert forecast is not None and (forecast.clouds_percent, forecast.pv_wh) == (35, 9000)


def test_a_forecast_sent_again_keeps_its_time_and_loses_to_a_newer_answer() -> None:
    # The broker sends a retained forecast again at every reconnect and start: taken as received then, a forecast of
    # the evening before beat the OpenWeatherMap answer fetched since, at the check (the freshest source wins).
    b = book()
    b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 90}', T_FETCH - 3600)
    b.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    assert b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 90}', T_FETCH + 600)  # the reconnect's
    pick = b.clouds_for(date(2026, 6, 27))
    assert (pick.clouds_percent, pick.source, pick.received_at) == (57.5, "openweathermap", T_FETCH)
    # ... restored from the status file at a restart, then sent again by the broker: the same
    restarted = book()
    restarted.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    assert restarted.restore(b.status()["forecast"], T_FETCH + 900) == []
    assert restarted.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 90}', T_FETCH + 960)
    assert restarted.clouds_for(date(2026, 6, 27)).source == "openweathermap"
    # a new value is news
    assert b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 80}', T_FETCH + 1200)
    pick = b.clouds_for(date(2026, 6, 27))
    assert (pick.clouds_percent, pick.source, pick.received_at) == (80, "mqtt", T_FETCH + 1200)


def test_a_message_with_the_pv_only_leaves_the_clouds_as_old_as_they_are() -> None:
    # Forecast.Solar's hourly PV energy kept the clouds sent two days before and gave them its time: they beat a
    # fresh OpenWeatherMap answer at the check.
    b = book()
    b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 90}', T_FETCH - 2 * 86400)
    b.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    assert b.on_mqtt(b'{"date": "2026-06-27", "pv_wh": 9000}', T_FETCH + 600)
    assert b.clouds_for(date(2026, 6, 27)).source == "openweathermap"
    day = b.status()["forecast"]["mqtt"]["days"]["2026-06-27"]
    assert day == {"clouds_percent": 90, "pv_wh": 9000, "time": "2026-06-26T22:10:00+02:00",
                   "clouds_time": "2026-06-24T22:00:00+02:00"}
    restarted = book()
    restarted.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    assert restarted.restore(b.status()["forecast"], T_FETCH + 900) == []
    assert restarted.mqtt[date(2026, 6, 27)].clouds_received_at() == T_FETCH - 2 * 86400
    assert restarted.clouds_for(date(2026, 6, 27)).source == "openweathermap"


@pytest.mark.parametrize("result, cause", [
    (ForecastFailure("HTTP 401: Invalid API key.", T_FETCH), "openweathermap: HTTP 401: Invalid API key."),
    (ForecastFailure("no answer within 10 s", T_FETCH), "openweathermap: no answer within 10 s"),
])
def test_a_failed_fetch_means_100_percent_with_one_warning(result: ForecastFailure, cause: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    b = book()
    b.on_fetched(result)
    pick = b.clouds_for(date(2026, 6, 27))
    assert (pick.clouds_percent, pick.source, pick.cause) == (100, "default", cause)
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # the fetch's; the check's is INFO
    assert cause.split(": ", 1)[1] in caplog.records[0].getMessage()
    assert b.status()["forecast"]["openweathermap"]["error"] == result.cause


def test_a_forecast_for_other_days_means_100_percent() -> None:
    b = book()
    doc = forecast_doc(utc(2026, 6, 29, 0), lambda t: 10)  # fetched for a later window
    b.on_fetched(parse_owm_answer(200, json.dumps(doc).encode(), T_FETCH))
    pick = b.clouds_for(date(2026, 6, 27))
    assert pick.clouds_percent == 100 and pick.source == "default"
    assert pick.cause is not None and "no entries from 09:00 to 15:00 local time for 2026-06-27" in pick.cause
    assert "it covers 2026-06-29 00:00 to 2026-07-03 21:00 UTC" in pick.cause


def test_a_list_without_the_hours_asked_means_100_percent() -> None:
    b = book()
    doc = forecast_doc(utc(2026, 6, 27, 0), lambda t: 10)
    doc["list"] = [e for e in doc["list"] if not e["dt_txt"].endswith("12:00:00")]
    b.on_fetched(parse_owm_answer(200, json.dumps(doc).encode(), T_FETCH))
    assert b.clouds_for(date(2026, 6, 27)).clouds_percent == 100


def test_a_failure_keeps_an_earlier_good_answer() -> None:
    b = book()
    b.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    b.on_fetched(ForecastFailure("HTTP 500", T_FETCH + 3600))
    pick = b.clouds_for(date(2026, 6, 27))
    assert (pick.clouds_percent, pick.source) == (57.5, "openweathermap")


def test_a_bad_mqtt_message_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    b = book()
    b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 35}', T_FETCH)
    before = b.status()["forecast"]["mqtt"]["days"]
    caplog.set_level(logging.WARNING)
    assert not b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": -3}', T_FETCH + 10)
    assert b.status()["forecast"]["mqtt"]["days"] == before
    assert len(caplog.records) == 1 and "forecast message on forecast/tomorrow refused" in caplog.text


def test_old_mqtt_days_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    b = book()
    b.on_mqtt(b'{"date": "2026-06-25", "clouds_percent": 35}', T_FETCH)
    b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 35}', T_FETCH + 3 * 86400)
    assert list(b.mqtt) == [date(2026, 6, 27)]
    # One more than 2 days past was logged as taken, then dropped with the old dates: a script's wrong date unsaid.
    caplog.set_level(logging.INFO)
    assert not b.on_mqtt(b'{"date": "2026-06-20", "clouds_percent": 35}', T_FETCH)
    assert list(b.mqtt) == [date(2026, 6, 27)]
    assert b.mqtt_error == "date 2026-06-20 is more than 2 days past: not kept"
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "refused" in caplog.text


def _send(b: ForecastBook, day: date, at: float = T_FETCH) -> bool:
    return b.on_mqtt(json.dumps({"date": day.isoformat(), "clouds_percent": 35}).encode(), at)


def test_mqtt_dates_ahead_are_bounded_in_number_so_the_book_stays_bounded(caplog: pytest.LogCaptureFixture) -> None:
    # Each forecast for a new date was kept, however far ahead (only those older than KEEP_PAST_DAYS were dropped):
    # anyone on the broker, or an automation sending a long horizon, grew the book, and every status document
    # and status file with it, a date at a time, for as long as the daemon ran. The dates ahead are now bounded in
    # number (the nearest kept), not by their distance from a clock that may be wrong.
    caplog.set_level(logging.WARNING)
    b = book()
    today = date(2026, 6, 26)
    for n in range(365):  # one a day ahead more each time, as a stranger's loop sends them
        _send(b, today + timedelta(days=n))
    assert sorted(b.mqtt) == [today + timedelta(days=n) for n in range(KEEP_AHEAD_DATES + 1)]  # today + nearest
    assert f"only the {KEEP_AHEAD_DATES} nearest dates ahead are kept" in (b.mqtt_error or "")
    assert len(b.status()["forecast"]["mqtt"]["days"]) == KEEP_AHEAD_DATES + 1
    # the same loop counting down: each nearer date drops the furthest, tomorrow is kept in the end
    b = book()
    for n in reversed(range(1, 365)):
        _send(b, today + timedelta(days=n))
    assert sorted(b.mqtt) == [today + timedelta(days=n) for n in range(1, KEEP_AHEAD_DATES + 1)]
    assert b.mqtt_error is None  # the last one, tomorrow, was kept


def test_a_forecast_far_ahead_of_a_clock_left_behind_is_taken() -> None:
    # A Pi whose clock is behind (fake-hwclock after weeks switched off, before NTP) refused the retained forecast
    # for the real tomorrow as 'more than 16 days ahead' at the connect, and it is not sent again.
    b = book()
    real_tomorrow = date(2026, 6, 26) + timedelta(days=40)
    assert _send(b, real_tomorrow)
    assert b.mqtt_error is None and list(b.mqtt) == [real_tomorrow]


def test_restored_days_ahead_are_bounded_in_number_not_by_the_clock() -> None:
    entry = {"clouds_percent": 35, "pv_wh": None, "time": "2026-06-26T22:00:00+02:00"}
    today = date(2026, 6, 26)
    ahead = [today + timedelta(days=40 + n) for n in range(KEEP_AHEAD_DATES + 2)]  # a clock 40 days behind
    saved = {"mqtt": {"days": {d.isoformat(): entry for d in reversed(ahead)}}}
    b = book()
    warnings = b.restore(saved, T_FETCH)
    assert sorted(b.mqtt) == ahead[:KEEP_AHEAD_DATES]
    assert warnings == [f"status file's forecast for '{d.isoformat()}' ignored: only the {KEEP_AHEAD_DATES} nearest "
                        "dates ahead are kept" for d in ahead[KEEP_AHEAD_DATES:]]


def test_values_in_the_wrong_unit_are_warned_once_each_and_taken_as_sent(caplog: pytest.LogCaptureFixture) -> None:
    # A template that gave the cloud cover as a fraction (0.75: taken as 0.75 %, a sunny day, and the night's check
    # forced the smaller shortfall before a grey day) or the PV energy in kWh (12.5: 12.5 Wh, the deadline rule
    # forced from the grid what the sun would bring) said nothing. Now warned, once per value until one looks right.
    caplog.set_level(logging.WARNING)
    b = book()
    for hour in range(1, 4):  # hourly, as an automation sends it
        assert b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 0.75, "pv_wh": 12.5}', T_FETCH + 3600 * hour)
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("forecast on forecast/tomorrow for 2026-06-27: clouds_percent 0.75 looks like a "
                                  "fraction: expected a percent (0-100), 75 for 75 %; taken as 0.75 %")
    assert "pv_wh 12.5 looks like kWh: expected Wh, 12500 for 12.5 kWh; taken as 12.5 Wh" in warnings[1]
    forecast = b.pv_wh_for(date(2026, 6, 27))
    assert forecast is not None and (forecast.clouds_percent, forecast.pv_wh) == (0.75, 12.5)  # not changed
    caplog.clear()
    b.on_mqtt(b'{"date": "2026-06-28", "clouds_percent": 40, "pv_wh": 9000}', T_FETCH + 4 * 3600)  # fixed...
    b.on_mqtt(b'{"date": "2026-06-28", "clouds_percent": 0.4}', T_FETCH + 5 * 3600)  # ...and broken again: warned
    assert len(caplog.records) == 1 and "2026-06-28: clouds_percent 0.4 looks like" in caplog.text


@pytest.mark.parametrize("payload", [
    b'{"date": "2026-06-27", "clouds_percent": 0, "pv_wh": 0}',  # a clear sky, a night or a snowed-in array
    b'{"date": "2026-06-27", "clouds_percent": 1, "pv_wh": 150}',  # 1 %: clear; 150 Wh: a dark winter day
    b'{"date": "2026-06-27", "clouds_percent": 100, "pv_wh": 64000}',
])
def test_plausible_values_are_not_warned(payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    assert book().on_mqtt(payload, T_FETCH)
    assert caplog.records == []


@pytest.mark.parametrize("zone, day_hours_utc", [
    ("Europe/Paris", (9, 12)),  # the seed's hours: 10:00/13:00 CET, 11:00/14:00 CEST
    ("Europe/London", (9, 12)),
    ("America/Los_Angeles", (18, 21)),  # 11:00 and 14:00 PDT; 09:00/12:00 UTC are 02:00/05:00, at night
    ("America/Sao_Paulo", (12, 15)),  # 09:00 and 12:00 BRT
    ("Australia/Sydney", (0, 3)),  # 10:00 and 13:00 AEST (June); 09:00/12:00 UTC are 19:00/22:00
    ("Asia/Kolkata", (6, 9)),  # 11:30 and 14:30 IST
    ("Pacific/Auckland", (21, 0)),  # 09:00 NZST on the UTC day before, and 12:00: the local day, not the UTC one
])
def test_the_cloud_cover_is_of_the_local_day_s_sunny_hours(zone: str, day_hours_utc: tuple[int, int]) -> None:
    # 10 % at the two entries of the local day's late morning and early afternoon, 90 % at every other entry: a check
    # for a house west of UTC-3 (or far east) read the night's clouds when it asked for 09:00 and 12:00 UTC.
    tz = ZoneInfo(zone)
    day = date(2026, 6, 27)
    doc = forecast_doc(utc(2026, 6, 25, 0),
                       lambda t: 10 if t.astimezone(tz).date() == day and t.hour in day_hours_utc else 90)
    b = ForecastBook(tz, owm_enabled=True, mqtt_topic=None)
    b.on_fetched(parse_owm_answer(200, json.dumps(doc).encode(), T_FETCH))
    pick = b.clouds_for(day)
    assert (pick.clouds_percent, pick.source) == (10, "openweathermap")


FAR_TIMES = ["0001-01-01T00:00:00+00:00", "9999-12-31T23:30:00+00:00", "1970-01-01T00:00:00+00:00"]


def _saved_forecast(tz: ZoneInfo) -> dict[str, object]:
    """A status document's `forecast` with every time it holds: an OWM forecast and a failure's wait, an MQTT day with
    its clouds older than its PV, the last check's pick."""
    b = ForecastBook(tz, owm_enabled=True, mqtt_topic="forecast/tomorrow")
    b.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))
    b.on_fetched(ForecastFailure("HTTP 429: slow down", T_FETCH + 60, ask_again_after=T_FETCH + 3600,
                                 request_digest="d"))
    b.on_mqtt(b'{"date": "2026-06-27", "clouds_percent": 90}', T_FETCH - 600)
    b.on_mqtt(b'{"date": "2026-06-27", "pv_wh": 9000}', T_FETCH)
    b.clouds_for(date(2026, 6, 27))
    return json.loads(json.dumps(b.status()["forecast"]))


@pytest.mark.parametrize("far", FAR_TIMES)
@pytest.mark.parametrize("where", [("used", "time"), ("openweathermap", "time"), ("openweathermap", "error_time"),
                                   ("mqtt", "time"), ("mqtt", "clouds_time")])
@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Tokyo"])
def test_a_saved_forecast_time_out_of_any_plausible_range_is_ignored(zone: str, where: tuple[str, str],
                                                                     far: str) -> None:
    # A time of year 1 (or 9999) restored without a word overflowed the status's rendering in a zone away from UTC:
    # OverflowError at each status, none published nor saved again, the bad value kept in the file.
    tz = ZoneInfo(zone)
    saved = _saved_forecast(tz)
    block, key = where
    place = saved[block]["days"]["2026-06-27"] if block == "mqtt" else saved[block]  # type: ignore[index]
    assert key in place, place
    place[key] = far  # type: ignore[index]
    restarted = ForecastBook(tz, owm_enabled=True, mqtt_topic="forecast/tomorrow")
    restarted.on_fetched(parse_owm_answer(200, GOOD, T_FETCH))  # (a later fetch, as at a restart: nothing to restore)
    warnings = restarted.restore(saved, T_FETCH + 900) + restarted.restore_last_pick(
        {"schema_version": 3, "forecast": saved}, T_FETCH + 900, T_FETCH + 900)
    assert any(f"{far!r} is not a time from 2000 to 2100" in w for w in warnings), warnings
    json.dumps(restarted.status())  # (renders)
