"""The fetch thread's night, on a clock that jumps (no sleep, no network: each try's outcome is scripted): a start in
the hour before check_at whose fetch fails (no network yet after a power cut) still gets the daily round's tries,
after a back-off and before the check, and so does a daily round that failed; no try of the daily round ends past the
check (one of a start in that hour, only if that check waits for it); a start whose fetch succeeded just before the
daily round does not ask again."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

import shell.forecast_fetch as fetch_module
from field.forecast import ForecastFailure, OwmForecast
from field.forecast_pending import FETCH_END_SLACK_S, ROUND_WAIT_S, FetchUnderWay
from field.forecast_settings import FETCH_LEAD_S, OwmSettings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher
from tests.field_house import at
from tests.test_forecast_kept import PARIS

NO_NETWORK = "cannot reach the server: [Errno 101] Network is unreachable"
CHECK_AT = at(2024, 1, 11, 1)  # check_at = 1: the daily round from 00:10


def owm(attempts: int = 3, retry_interval_s: float = 300.0, timeout_s: float = 10.0) -> OwmSettings:
    return OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", "http://127.0.0.1:9/x", timeout_s, attempts,
                       retry_interval_s)


Outcome = Callable[[float], OwmForecast | ForecastFailure]


def good(now: float) -> OwmForecast:
    return OwmForecast({}, now)


def unreachable(now: float) -> ForecastFailure:
    return ForecastFailure(NO_NETWORK, now)


def night(monkeypatch: pytest.MonkeyPatch, started_at: float, outcome: Callable[[float], Outcome],
          settings: OwmSettings | None = None, until: float = CHECK_AT + 600.0,
          kept_at: float | None = None,
          step_back: tuple[float, float] | None = None,
          tries_too: bool = False, check_at_hour: int = 1,
          pause_late_s: float = 0.0, held: ForecastFailure | None = None,
          checks_done: Callable[[float], float | None] | None = None) -> tuple[list[str], list[ForecastFetched]]:
    """The fetcher started at `started_at`, run until `until`: the times of its tries (DD HH:MM:SS) and what it handed
    over. `outcome(now)` says what a try at `now` gets. `step_back`: at that time the wall clock steps back so many
    seconds (once), a wait under way ending then, as the real one does. What it handed over: the rounds' outcomes
    (`tries_too`: with the failed tries of a round not over). `pause_late_s`: a pause between two tries ends that much
    late (a thread woken a little after its wait, as a real one is). `checks_done`: up to when the seed rule's checks
    are done, as the daemon tells the fetcher."""
    clock = [started_at]
    tries: list[str] = []
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(settings or owm(), check_at_hour, PARIS, events, clock=lambda: clock[0])

    def fetch_once(_settings: OwmSettings, _clock: Any) -> OwmForecast | ForecastFailure:
        tries.append(datetime.fromtimestamp(clock[0], PARIS).strftime("%d %H:%M:%S"))
        return outcome(clock[0])(clock[0])

    def wait_until(moment: float) -> bool:
        nonlocal step_back
        if step_back is not None and clock[0] <= step_back[0] <= moment:
            clock[0], step_back = step_back[0] - step_back[1], None
            return False
        if moment > until:
            return True
        clock[0] = max(clock[0], moment)
        return False

    def pause(seconds: float) -> bool:
        return wait_until(clock[0] + seconds + pause_late_s)

    monkeypatch.setattr(fetch_module, "fetch_once", fetch_once)
    fetcher._wait_until = wait_until  # type: ignore[method-assign]
    fetcher._pause = pause  # type: ignore[method-assign]
    fetcher._thread = threading.Thread(target=lambda: None)  # (start() as the daemon calls it, its work run here)
    fetcher.start(kept_at=kept_at, held=held, checks_done=checks_done)
    fetcher._thread.join()
    fetcher._run()
    handed: list[ForecastFetched] = []
    while not events.empty():
        event = events.get_nowait()
        assert isinstance(event, ForecastFetched)
        if tries_too or not isinstance(event.result, ForecastFailure) or event.result.final:
            handed.append(event)
    return tries, handed


def network_from(moment: float) -> Callable[[float], Outcome]:
    return lambda now: good if now >= moment else unreachable


def test_a_start_before_the_round_that_fails_still_gets_the_round(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the usual case, unchanged: the round at 00:10 is made afresh)
    tries, handed = night(monkeypatch, at(2024, 1, 10, 23, 0), network_from(at(2024, 1, 11, 0, 5)))
    assert tries == ["10 23:00:00", "10 23:05:00", "10 23:10:00", "11 00:10:00"]
    assert [type(event.result) for event in handed] == [ForecastFailure, OwmForecast]


def test_a_failed_start_ending_past_the_round_s_time_is_not_followed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Started at 00:08, its last try at 00:18: the round of 00:10 was asked right after it, three calls in a row.
    # (the round's own failure then gets its tries again: 00:43, the next, 20 min later, past the check)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 8), lambda now: unreachable)
    assert tries == ["11 00:08:00", "11 00:13:00", "11 00:18:00", "11 00:23:00", "11 00:28:00", "11 00:33:00",
                     "11 00:43:00"]


def test_a_failed_start_in_the_hour_before_check_at_is_tried_again_before_it(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A power cut: the board starts at 00:20, its network at 00:36. The fetch at start (00:20, 00:25, 00:30) took the
    # place of the daily round, and nothing was asked again before the check: 100 % cloudy, heated from the grid.
    caplog.set_level(logging.INFO)
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 20), network_from(at(2024, 1, 11, 0, 36)))
    assert tries == ["11 00:20:00", "11 00:25:00", "11 00:30:00", "11 00:40:00"]  # (then 20 min after: past the check)
    assert [type(event.result) for event in handed] == [ForecastFailure, OwmForecast]
    assert "asked again before check_at from 00:40" in caplog.text


def test_the_tries_again_end_before_the_check_and_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # No network all night: each try again comes twice as far from the last (a free key's calls), the last one ending
    # before the check; never more than `attempts` of them.
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 12), lambda now: unreachable,
                          settings=owm(retry_interval_s=120.0))
    assert tries == ["11 00:12:00", "11 00:14:00", "11 00:16:00", "11 00:20:00", "11 00:28:00", "11 00:44:00"]
    assert [type(event.result) for event in handed] == [ForecastFailure, ForecastFailure]
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 12), lambda now: unreachable,
                     settings=owm(attempts=2, retry_interval_s=60.0))
    assert tries == ["11 00:12:00", "11 00:13:00", "11 00:15:00", "11 00:19:00"]  # (2 tries again: `attempts`)


def test_a_start_too_near_the_check_for_a_try_again_asks_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 40), lambda now: unreachable)
    assert tries == ["11 00:40:00", "11 00:45:00", "11 00:50:00"]  # (00:50 + 10 min: the check's minute)
    assert len(handed) == 1


def test_a_refused_key_at_start_is_not_asked_again_before_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = ForecastFailure("HTTP 401: Invalid API key.; no retry: check [openweathermap] key", 0.0, retry=False)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 20), lambda now: lambda t: refused)
    assert tries == ["11 00:20:00"]


def test_a_wait_the_server_asked_at_start_is_kept_by_the_tries_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # The last try at start got a 503 asking 15 min: the try again asks after them (00:37), not 10 min after (00:32).
    def in_trouble(now: float) -> ForecastFailure:
        return ForecastFailure("HTTP 503", now, retry_after_s=900.0, ask_again_after=now + 900.0)

    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 12),
                     lambda now: unreachable if now < at(2024, 1, 11, 0, 20) else in_trouble if now < at(
                         2024, 1, 11, 0, 30) else good)
    assert tries == ["11 00:12:00", "11 00:17:00", "11 00:22:00", "11 00:37:00"]


def test_a_good_fetch_at_start_just_before_the_round_stands_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Started at 00:05, fetched at once: the round at 00:10 asked again for the same forecast, a call of a free key
    # for nothing (the check's day is covered, 5 days ahead).
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 5), lambda now: good)
    assert tries == ["11 00:05:00"] and len(handed) == 1
    # (one fetched over FETCH_LEAD_S before the round: the round asks afresh)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 10) - FETCH_LEAD_S - 60, lambda now: good)
    assert tries == ["10 23:19:00", "11 00:10:00"]
    # (and the next night's round is made as ever)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 5), lambda now: good, until=at(2024, 1, 12, 1, 5))
    assert tries == ["11 00:05:00", "12 00:10:00"]


def test_a_forecast_kept_from_just_before_the_round_stands_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A restart at 00:05 with the forecast fetched at 23:40 kept in the status file: no fetch at start, nor at 00:10.
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 5), lambda now: good, kept_at=at(2024, 1, 10, 23, 40))
    assert tries == []
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 5), lambda now: good, kept_at=at(2024, 1, 10, 23, 0))
    assert tries == ["11 00:10:00"]


def test_a_small_clock_step_after_a_stand_in_is_not_taken_for_a_big_one(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Fetched at 23:30, the answer stands for the round of 00:10; NTP steps the clock back 3 s at 23:31. The stand-in
    # had dated the last round 00:10, ahead of the clock: "the clock went back 2343 s", and the round planned again.
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 30), lambda now: good,
                     step_back=(at(2024, 1, 10, 23, 31), 3.0))
    assert tries == ["10 23:30:00"]
    assert "clock went back" not in caplog.text
    assert caplog.text.count("stands for the round before check_at") == 1
    # (a real step back behind the fetch is still said, and the round planned again)
    caplog.clear()
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 30), lambda now: good,
                     step_back=(at(2024, 1, 10, 23, 31), 7200.0))
    assert tries == ["10 23:30:00", "11 00:10:00"]
    assert "the clock went back 7140 s behind the last fetch" in caplog.text


def test_a_failed_daily_round_is_tried_again_before_the_check(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # The network down from 00:00 to 00:25: the round of 00:10 failed (00:10, 00:15, 00:20) and nothing was asked again
    # before the check at 01:00, which counted 100 % cloudy; a failed start in that hour got tries again, the round not.
    caplog.set_level(logging.INFO)
    tries, handed = night(monkeypatch, at(2024, 1, 10, 23, 0),
                          lambda now: unreachable if at(2024, 1, 11, 0, 0) <= now < at(2024, 1, 11, 0, 25) else good)
    assert tries == ["10 23:00:00", "11 00:10:00", "11 00:15:00", "11 00:20:00", "11 00:30:00"]
    assert [type(event.result) for event in handed] == [OwmForecast, ForecastFailure, OwmForecast]
    assert f"forecast: the round before check_at failed ({NO_NETWORK}); asked again before check_at from 00:30:00" \
        in caplog.text
    # (no network all night: 2 x 5 min after the last try, then 20 min after that one; 40 min more is past the check)
    tries, handed = night(monkeypatch, at(2024, 1, 10, 23, 0), lambda now: unreachable)
    assert tries[-5:] == ["11 00:10:00", "11 00:15:00", "11 00:20:00", "11 00:30:00", "11 00:50:00"]
    assert len(handed) == 3
    # (and the next night's round is made as ever, with its own tries again)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 0), lambda now: unreachable, until=at(2024, 1, 12, 1, 5))
    assert tries[-5:] == ["12 00:10:00", "12 00:15:00", "12 00:20:00", "12 00:30:00", "12 00:50:00"]


def test_a_start_just_before_the_check_makes_the_tries_the_check_waits_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # Started at 00:55, no network yet (a power cut): its one try failed and the check at 01:00 forced as for 100 %
    # clouds, where a start at 01:00:30 had its check wait for three tries. The check due meanwhile waits for the
    # round's tries whose answer comes within ROUND_WAIT_S of its first: those are asked, past check_at too.
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 55), lambda now: unreachable)
    assert tries == ["11 00:55:00", "11 01:00:00", "11 01:05:00"] and len(handed) == 1
    # (around midnight: a check at 00:00, a start at 23:55 the day before)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 55), lambda now: unreachable, check_at_hour=0)
    assert tries == ["10 23:55:00", "11 00:00:00", "11 00:05:00"]
    # (a start earlier in that hour: its tries fit before the check, spaced as ever)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 40), lambda now: unreachable, check_at_hour=0)
    assert tries == ["10 23:40:00", "10 23:45:00", "10 23:50:00"]
    # (the check's bound, one rule: a next try whose answer comes by ROUND_WAIT_S after the first try's start is asked
    # and waited for; a second later, neither)
    fits = ROUND_WAIT_S - 10.0 - FETCH_END_SLACK_S
    tries, handed = night(monkeypatch, at(2024, 1, 11, 0, 55), lambda now: unreachable, tries_too=True,
                          settings=owm(attempts=2, retry_interval_s=fits), until=at(2024, 1, 11, 1, 30))
    assert tries == ["11 00:55:00", "11 01:14:48"]
    first = handed[0].result
    assert isinstance(first, ForecastFailure) and first.next_try_at == at(2024, 1, 11, 1, 14, 48)
    awaited = FetchUnderWay("at start", at(2024, 1, 11, 0, 55), 10.0).next_try(first)
    assert awaited is not None and not awaited.past_round_wait
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 55), lambda now: unreachable,
                     settings=owm(attempts=2, retry_interval_s=fits + 1.0), until=at(2024, 1, 11, 1, 30))
    assert tries == ["11 00:55:00"]


def test_a_wait_the_server_asks_past_the_check_ends_a_start_s_round(monkeypatch: pytest.MonkeyPatch) -> None:
    # A start at 00:30 whose 503 asks 30 min: the next try at 01:00, with the check; the round's horizon was 50 min
    # from its start (01:20), not the check it stands for.
    def in_trouble(now: float) -> ForecastFailure:
        return ForecastFailure("HTTP 503", now, retry_after_s=1800.0, ask_again_after=now + 1800.0)

    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 30), lambda now: in_trouble)
    assert tries == ["11 00:30:00"]


def test_a_start_whose_tries_end_late_in_the_hour_does_not_push_the_round_past_the_check(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Tries 1400 s apart (a config that fits: 3 x 10 s + 2 x 1400 s), a start at 23:55 with no network: its last try at
    # 00:41:40, the daily round was put 1400 s after it, at 01:05, after the check, and its 3 tries with it.
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 55), lambda now: unreachable,
                     settings=owm(retry_interval_s=1400.0), until=at(2024, 1, 12, 1, 5))
    assert tries == ["10 23:55:00", "11 00:18:20", "11 00:41:40", "12 00:10:00", "12 00:33:20", "12 00:56:40"]
    assert f"the fetch at start failed ({NO_NETWORK}); no time left to ask again before check_at" in caplog.text


def test_a_clock_stepped_forward_past_the_check_asks_nothing_for_it(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # NTP steps the clock forward while the thread waits: the daily round (or its tries again) was asked at once, after
    # the check or ending past it, for a forecast no check reads; the next night's round asks as ever.
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 0), lambda now: unreachable,
                     step_back=(at(2024, 1, 11, 0, 5), -(55 * 60 - 5.0)), until=at(2024, 1, 12, 0, 12))
    assert tries == ["10 23:00:00", "10 23:05:00", "10 23:10:00", "12 00:10:00"]
    assert "forecast: the clock went forward to 2024-01-11T00:59:55+01:00, past check_at " \
        "(2024-01-11T01:00:00+01:00): the round before check_at is not asked, the next round asks" in caplog.text
    tries, _ = night(monkeypatch, at(2024, 1, 10, 23, 0), lambda now: unreachable,
                     step_back=(at(2024, 1, 11, 0, 25), -3600.0), until=at(2024, 1, 12, 0, 12))
    assert tries == ["10 23:00:00", "10 23:05:00", "10 23:10:00", "11 00:10:00", "11 00:15:00", "11 00:20:00",
                     "12 00:10:00"]
    assert "the try again before check_at is not asked" in caplog.text


def test_a_start_seconds_before_the_check_says_the_round_is_too_late_not_a_clock_step(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A restart at 00:59:55 with a forecast kept from 23:00 (no fetch at start, too old to stand for the round): the
    # round's try, asked now, would answer past the check; not asked, said so. It was said "the clock went forward to
    # 00:59:55", of no step.
    caplog.set_level(logging.INFO)
    tries, _ = night(monkeypatch, at(2024, 1, 11, 0, 59) + 55, lambda now: good, kept_at=at(2024, 1, 10, 23, 0),
                     until=at(2024, 1, 11, 1, 30))
    assert tries == []
    assert "the clock went forward" not in caplog.text
    assert "forecast: the round before check_at is not asked: at 2024-01-11T00:59:55+01:00, its answer would come " \
        "past check_at (2024-01-11T01:00:00+01:00); the next round asks" in caplog.text
