"""A round's next try is decided once, when its try before failed, on the time it is planned for; the thread wakes from
its pause a little after it, as a real one does (milliseconds, not a step of the clock). Read on the clock as it wakes,
a try planned just within its bound (check_at, or the 20 min a check waits for a round at start) was seen past it: `the
clock went forward ..., past check_at: ... asked all the same, for that check (late)`, and the round's next tries were
then asked past the bound, for a forecast no check reads."""

from __future__ import annotations

import logging

import pytest

from field.forecast import ForecastFailure
from field.forecast_pending import FETCH_END_SLACK_S, ROUND_WAIT_S
from field.forecast_settings import FETCH_LEAD_S
from tests.field_house import at
from tests.test_forecast_night import NO_NETWORK, Outcome, night, owm, unreachable


def test_a_pause_ending_a_little_late_keeps_the_round_s_bound(monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    just_fits = ROUND_WAIT_S - 10.0 - FETCH_END_SLACK_S - 0.3  # (its answer 0.3 s within the check's 20 min)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 55), lambda now: unreachable, pause_late_s=0.5,
                     settings=owm(retry_interval_s=just_fits), until=at(2024, 1, 11, 2, 0))
    assert tries == ["11 00:55:00", "11 01:14:48"]
    assert "the clock went forward" not in caplog.text


def test_a_pause_ending_a_little_late_keeps_the_daily_round_s_try_ending_at_the_check(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # (the daily round's first try at 00:10 is asked to wait 2987.7 s: its next, from 00:59:47.7, has its answer 0.3 s
    # before check_at, slack included)
    caplog.set_level(logging.INFO)
    asked_wait = FETCH_LEAD_S - 10.0 - FETCH_END_SLACK_S - 0.3

    def outcome(now: float) -> Outcome:
        if now != at(2024, 1, 11, 0, 10):
            return unreachable
        return lambda now: ForecastFailure(NO_NETWORK, now, retry_after_s=asked_wait, ask_again_after=now + asked_wait)

    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 0), outcome, pause_late_s=0.5, until=at(2024, 1, 11, 1, 30))
    assert tries[-2:] == ["11 00:10:00", "11 00:59:48"]
    assert "the clock went forward" not in caplog.text


def test_a_try_of_the_daily_round_answers_by_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tries 1495 s apart: the daily round's third, from 00:59:50, is cut at check_at (its 10 s): its outcome reached the
    # main loop up to FETCH_END_SLACK_S after the check, which had gone on without it (no check waits for the daily
    # round's tries). A try is asked when its answer, slack included, comes by the check.
    tries, _ = night(monkeypatch, at(2024, 1, 10, 22, 0), lambda now: unreachable,
                     settings=owm(retry_interval_s=1495.0), until=at(2024, 1, 11, 1, 30))
    assert tries[3:] == ["11 00:10:00", "11 00:34:55"]
    fits = 1495.0 - FETCH_END_SLACK_S / 2  # (its third try's answer at check_at, slack included)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 22, 0), lambda now: unreachable,
                     settings=owm(retry_interval_s=fits), until=at(2024, 1, 11, 1, 30))
    assert tries[3:] == ["11 00:10:00", "11 00:34:54", "11 00:59:48"]


@pytest.mark.parametrize("started, asked", [
    (at(2024, 1, 11, 1), ["11 01:00:00", "11 01:05:00", "11 01:10:00", "11 01:15:00"]),
    (at(2024, 1, 11, 1, 30), ["11 01:30:00", "11 01:35:00", "11 01:40:00", "11 01:45:00"]),
], ids=["at-check_at", "after"])
def test_a_start_at_or_after_check_at_asks_only_the_tries_its_check_waits_for(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, started: float, asked: list[str]) -> None:
    # A start at check_at or after it, the check due (late) at once: its round's tries were asked 5 min apart up to
    # `attempts`, or after a Retry-After of 30 min, where the check waits ROUND_WAIT_S from the first try at most: the
    # last ones were asked for a forecast no check reads. It gets the bound a start before check_at has.
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, started, lambda now: unreachable, settings=owm(attempts=5),
                     until=started + 3600.0)
    assert tries == asked  # (the fifth's answer by 20 min 12 s after the first try's start: past the check's wait)

    def in_trouble(now: float) -> ForecastFailure:
        return ForecastFailure("HTTP 503", now, retry_after_s=1800.0, ask_again_after=now + 1800.0)

    tries, _ = night(monkeypatch, started, lambda now: in_trouble, until=started + 3600.0)
    assert len(tries) == 1
    assert "the next, 1800 s later, would answer more than 20 min after this round's first try (the check due, late, " \
        "waits no longer)" in caplog.text


def test_a_start_past_the_night_s_room_asks_its_round_as_ever(monkeypatch: pytest.MonkeyPatch) -> None:
    # (05:00, the night's check skipped: no check waits for the round, which keeps its tries)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 5), lambda now: unreachable, settings=owm(attempts=5),
                     until=at(2024, 1, 11, 6))
    assert len(tries) == 5


def test_a_late_start_asks_no_try_past_the_night_s_room(monkeypatch: pytest.MonkeyPatch) -> None:
    # Back at 03:55: the check due waits for a try whose answer comes a minute before the night's room ends (3 h after
    # check_at) at the latest; the try at 04:00 was asked for no check.
    tries, _ = night(monkeypatch, at(2024, 1, 11, 3, 55), lambda now: unreachable, until=at(2024, 1, 11, 5))
    assert tries == ["11 03:55:00"]


def test_a_step_between_the_tries_of_a_round_at_start_moves_its_bound(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A start at 00:55, no network; NTP sets the clock 30 min forward during its first pause. The check, late then,
    # waits for the round's tries within 20 min of its first, moved by the step (as the main loop moves the try it
    # waits for); the rest was asked unbounded, a fifth try at 01:42 for no check.
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 55), lambda now: unreachable, settings=owm(attempts=5),
                     step_back=(at(2024, 1, 11, 0, 57), -1800.0), until=at(2024, 1, 11, 2))
    assert tries == ["11 00:55:00", "11 01:27:00", "11 01:32:00", "11 01:37:00"]
    assert "the rest of the fetch at start is asked all the same, for that check (late)" in caplog.text
