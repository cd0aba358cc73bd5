"""A wall clock stepped forward between two tries of a round for the check (NTP setting a Pi's clock at boot, a date
set by hand) no longer lets the round's next tries come after the check, for a forecast no check reads: the tries wait
on the steady clock, the check is on the wall clock, and the next try, once the pause is over, is asked only if it ends
before the check on the wall clock as it reads then. The next night's round asks as ever."""

from __future__ import annotations

import logging

import pytest

from field.forecast import ForecastFailure
from tests.field_house import at
from tests.test_forecast_night import night, owm, unreachable


def test_a_step_past_the_check_between_two_tries_ends_the_round(monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tries, handed = night(monkeypatch, at(2024, 1, 10, 23, 0), lambda now: unreachable,
                          step_back=(at(2024, 1, 11, 0, 12), -55 * 60.0), until=at(2024, 1, 12, 0, 12))
    assert tries == ["10 23:00:00", "10 23:05:00", "10 23:10:00", "11 00:10:00", "12 00:10:00"]
    assert "forecast: the clock went forward to 2024-01-11T01:07:00+01:00, past check_at " \
        "(2024-01-11T01:00:00+01:00): the rest of the fetch before check_at is not asked, the next round asks" \
        in caplog.text
    # (the round's outcome handed over, its last failure, warned of as a round's; no try again for the next check)
    assert [type(event.result) for event in handed] == [ForecastFailure, ForecastFailure]


def test_a_step_within_the_hour_leaves_the_tries_that_still_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    # (forward to 00:52: the round's next tries end before the check, asked as ever)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 0), lambda now: unreachable,
                     step_back=(at(2024, 1, 11, 0, 12), -40 * 60.0), until=at(2024, 1, 11, 1, 30))
    assert tries == ["10 23:00:00", "10 23:05:00", "10 23:10:00", "11 00:10:00", "11 00:52:00", "11 00:57:00"]


def test_a_step_past_the_check_between_two_tries_again_ends_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # A start at 00:20 failed (00:20, 00:22, 00:24): tried again from 00:28; the clock steps forward at 00:30, to 01:10.
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 20), lambda now: unreachable, settings=owm(retry_interval_s=120.0),
                     step_back=(at(2024, 1, 11, 0, 30), -40 * 60.0), until=at(2024, 1, 12, 0, 12))
    assert tries == ["11 00:20:00", "11 00:22:00", "11 00:24:00", "11 00:28:00", "12 00:10:00", "12 00:12:00"]
