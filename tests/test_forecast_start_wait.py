"""A server's wait that cut a start's round made before the hour before check_at is kept for the daily round: a 429
at 23:00 asking 90 min (until 00:30) ended the start's round, and the daily round asked at 00:10 all the same, against
the server's word (a rate-limited free key: one more call refused, and counted). It now asks when the wait ends, when
that is in time for the check; past the check, at its time as before (a daily forecast matters more than a wait of
hours)."""

from __future__ import annotations

import logging

import pytest

from field.forecast import ForecastFailure
from tests.field_house import at
from tests.test_forecast_night import good, night


def limited(wait_s: float) -> ForecastFailure:
    return ForecastFailure("HTTP 429: limited", at(2024, 1, 10, 23), retry_after_s=wait_s,
                           ask_again_after=at(2024, 1, 10, 23) + wait_s)


def test_a_wait_that_cut_a_start_s_round_is_kept_by_the_daily_round(monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tries, handed = night(monkeypatch, at(2024, 1, 10, 23),
                          lambda now: (lambda t: limited(5400.0)) if now < at(2024, 1, 11, 0) else good)
    assert tries == ["10 23:00:00", "11 00:30:00"]
    assert [type(event.result).__name__ for event in handed] == ["ForecastFailure", "OwmForecast"]
    assert ("try 1 of 3 failed: HTTP 429: limited; the server asks for 5400 s before the next, past this round's time: "
            "the next round asks again, once that wait is over when it is in time for the check") in caplog.text


def test_a_wait_past_the_check_leaves_the_daily_round_at_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23),
                     lambda now: (lambda t: limited(4 * 3600.0)) if now < at(2024, 1, 11, 0) else good)
    assert tries == ["10 23:00:00", "11 00:10:00"]


def test_a_wait_over_before_the_round_leaves_it_at_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # (a wait of 50 min that cut a round started at 22:00 ends at 22:50: the round at 00:10 as ever)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 22),
                     lambda now: (lambda t: ForecastFailure("HTTP 429: limited", t, retry_after_s=3000.0,
                                                            ask_again_after=t + 3000.0))
                     if now < at(2024, 1, 11, 0) else good)
    assert tries == ["10 22:00:00", "11 00:10:00"]
