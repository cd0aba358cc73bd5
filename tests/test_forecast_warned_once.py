"""A bad night warns once that the forecast is not usable: the fetch at start, the daily round and its tries again
before the check each end in a failure, and each was warned of (three warnings for one night's check, the same cause).
The first is a warning; the next ones, until the check or a good answer, are said at INFO with when it was warned."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from field.forecast import ForecastFailure, parse_owm_answer
from field.forecast_book import ForecastBook
from tests.field_house import PARIS, at
from tests.owm_server import forecast_doc, utc

NO_NETWORK = "cannot reach the server: [Errno 101] Network is unreachable"


def not_usable(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if "not usable" in r.getMessage()]


def test_a_bad_night_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    book = ForecastBook(PARIS, True, None)
    caplog.set_level(logging.INFO)
    for failed_at in (at(2024, 1, 10, 23, 30), at(2024, 1, 11, 0, 20), at(2024, 1, 11, 0, 50)):
        book.on_fetched(ForecastFailure(NO_NETWORK, failed_at))
    assert not_usable(caplog) == [
        (logging.WARNING, f"forecast from openweathermap not usable: {NO_NETWORK}"),
        (logging.INFO, f"forecast from openweathermap still not usable: {NO_NETWORK} (warned of at 23:30:00)"),
        (logging.INFO, f"forecast from openweathermap still not usable: {NO_NETWORK} (warned of at 23:30:00)")]


def test_the_next_night_or_a_good_answer_between_warns_again(caplog: pytest.LogCaptureFixture) -> None:
    book = ForecastBook(PARIS, True, None)
    caplog.set_level(logging.INFO)
    book.on_fetched(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 0, 20)))
    book.clouds_for(date(2024, 1, 11), at(2024, 1, 11, 1))  # (the night's check)
    book.on_fetched(ForecastFailure(NO_NETWORK, at(2024, 1, 12, 0, 20)))
    doc = forecast_doc(utc(2024, 1, 12, 0), lambda t: 50)
    book.on_fetched(parse_owm_answer(200, json.dumps(doc).encode(), at(2024, 1, 12, 12)))
    book.on_fetched(ForecastFailure(NO_NETWORK, at(2024, 1, 12, 23)))
    assert [level for level, _ in not_usable(caplog)] == [logging.WARNING] * 3


def test_a_try_of_a_round_not_over_is_not_warned_nor_counted(caplog: pytest.LogCaptureFixture) -> None:
    book = ForecastBook(PARIS, True, None)
    caplog.set_level(logging.INFO)
    book.on_fetched(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 0, 10), final=False))
    book.on_fetched(ForecastFailure(NO_NETWORK, at(2024, 1, 11, 0, 20)))
    assert not_usable(caplog) == [(logging.WARNING, f"forecast from openweathermap not usable: {NO_NETWORK}")]


def test_another_cause_in_the_night_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    # (the network down at 23:30, then the key refused at 00:20: the check's cause, said at INFO as warned already,
    # had never been warned of; the same cause again is still folded)
    book = ForecastBook(PARIS, True, None)
    caplog.set_level(logging.INFO)
    refused = "HTTP 401: Invalid API key; no retry: check [openweathermap] key"
    for cause, failed_at in ((NO_NETWORK, at(2024, 1, 10, 23, 30)), (refused, at(2024, 1, 11, 0, 20)),
                             (NO_NETWORK, at(2024, 1, 11, 0, 40)), (refused, at(2024, 1, 11, 0, 50))):
        book.on_fetched(ForecastFailure(cause, failed_at, retry=cause == NO_NETWORK))
    assert not_usable(caplog) == [
        (logging.WARNING, f"forecast from openweathermap not usable: {NO_NETWORK}"),
        (logging.WARNING, f"forecast from openweathermap not usable: {refused}"),
        (logging.INFO, f"forecast from openweathermap still not usable: {NO_NETWORK} (warned of at 23:30:00)"),
        (logging.INFO, f"forecast from openweathermap still not usable: {refused} (warned of at 00:20:00)")]
