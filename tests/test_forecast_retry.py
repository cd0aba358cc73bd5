"""A round of forecast fetches: no retry when one cannot help (OWM's 401, a refused key; its 404, a place it does
not know), and a retry no sooner than the server asks (Retry-After, a 429's rate limit), within the round's time."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import shell.forecast_fetch as fetch_module
from field.forecast import ForecastError, ForecastFailure, OwmForecast, parse_owm_answer
from field.forecast_settings import FETCH_LEAD_S, OwmSettings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher, fetch_once, retry_after_s
from tests.owm_server import ERROR_401, ERROR_404, Answer, OwmServer, fixture, json_answer, serving

PARIS = ZoneInfo("Europe/Paris")
GOOD = Answer(200, fixture("forecast-chambery-2026-06-26T12.json"))
LIMITED = {"cod": 429, "message": "Your account is temporary blocked due to exceeding of requests limitation"}


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(GOOD)


def a_round(server: OwmServer, attempts: int = 3,
            retry_interval_s: float = 0.05) -> tuple[ForecastFetched, list[float]]:
    """One round run here (no thread): its outcome and the pauses it took between tries (none slept)."""
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    settings = OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", server.url, 2.0, attempts, retry_interval_s)
    # (on a clock at noon, which the pauses move as a sleep would: on the real clock, run in the hour before the
    # 01:00 check, a pause of 120 s that slept none read as the clock stepped back at the round's bound)
    noon_s = datetime(2024, 1, 10, 12, tzinfo=PARIS).timestamp() - time.time()
    pauses: list[float] = []
    fetcher = ForecastFetcher(settings, 1, PARIS, events, clock=lambda: time.time() + noon_s + sum(pauses))

    def pause(seconds: float) -> bool:
        pauses.append(seconds)
        return False

    fetcher._pause = pause  # type: ignore[method-assign]
    fetcher._round("at start")
    *tries, event = [events.get_nowait() for _ in range(len(pauses) + 1)]
    assert events.empty() and isinstance(event, ForecastFetched)
    # (a failed try before each pause, handed over as it came, not final: the round's outcome is the last)
    assert all(isinstance(t, ForecastFetched) and isinstance(t.result, ForecastFailure) and not t.result.final
               for t in tries)
    return event, pauses


@pytest.mark.parametrize("answer, fix", [
    (json_answer(ERROR_401, 401), "check [openweathermap] key"),
    (json_answer(ERROR_404, 404), "check [openweathermap] location"),
    (json_answer({"cod": "404", "message": "Internal error"}, 404), "check [openweathermap] url and location"),
])
def test_a_refused_key_or_an_unknown_place_is_asked_once_a_round(server: OwmServer, answer: Answer,
                                                                  fix: str) -> None:
    # Asked `attempts` times, 5 minutes apart: the same answer each time, for a key or a place only the owner mends.
    server.serve(answer)
    event, pauses = a_round(server)
    assert isinstance(event.result, ForecastFailure) and fix in event.result.cause
    assert "no retry" in event.result.cause
    assert len(server.requests) == 1 and pauses == []


@pytest.mark.parametrize("answer", [Answer(500, b"<html>oops</html>"), Answer(502, b""), Answer(503, b"")])
def test_a_server_in_trouble_is_asked_again(server: OwmServer, answer: Answer) -> None:
    server.serve(answer, answer, GOOD)
    event, pauses = a_round(server)
    assert isinstance(event.result, OwmForecast) and len(server.requests) == 3 and pauses == [0.05, 0.05]


def test_retry_after_is_waited_when_longer_than_the_interval(server: OwmServer) -> None:
    server.serve(json_answer(LIMITED, 429, {"Retry-After": "120"}), Answer(503, b"", headers={"Retry-After": "0"}),
                 GOOD)
    event, pauses = a_round(server)
    assert isinstance(event.result, OwmForecast) and pauses == [120.0, 0.05]


def test_a_rate_limit_without_retry_after_waits_a_minute_at_least(server: OwmServer) -> None:
    # OWM counts its free plan's calls a minute: a retry sooner is refused as well, and counted.
    server.serve(json_answer(LIMITED, 429), GOOD)
    event, pauses = a_round(server)
    assert isinstance(event.result, OwmForecast) and pauses == [fetch_module.RATE_LIMIT_WAIT_S]


def test_a_retry_after_past_the_round_ends_it(server: OwmServer) -> None:
    # Waited, it would bring the forecast after the check it is for (or hold the thread past the next round).
    server.serve(Answer(503, b"", headers={"Retry-After": str(int(FETCH_LEAD_S))}), GOOD)
    event, pauses = a_round(server)
    assert isinstance(event.result, ForecastFailure) and event.result.cause.startswith("HTTP 503")
    assert len(server.requests) == 1 and pauses == []


@pytest.mark.parametrize("header, seconds", [
    ("120", 120.0), (" 5 ", 5.0), ("-3", None), ("soon", None), ("", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 90.0), ("Wed, 21 Oct 2015 07:26:00 GMT", 0.0),
])
def test_retry_after_in_seconds_or_as_a_date(header: str, seconds: float | None) -> None:
    now = 1445412390.0  # 2015-10-21 07:26:30 UTC
    assert retry_after_s(header, now) == seconds


def test_the_cause_names_the_key_to_fix_and_the_error_says_no_retry() -> None:
    with pytest.raises(ForecastError) as refused:
        parse_owm_answer(401, json_answer(ERROR_401, 401).body, 0.0)
    assert str(refused.value).startswith("HTTP 401: Invalid API key.") and not refused.value.retry
    with pytest.raises(ForecastError) as unknown:
        parse_owm_answer(200, b'{"cod": "404", "message": "city not found"}', 0.0)  # (a proxy passing it on)
    assert "check [openweathermap] location" in str(unknown.value) and not unknown.value.retry
    with pytest.raises(ForecastError) as trouble:
        parse_owm_answer(500, b"", 0.0)
    assert trouble.value.retry


# (JSON's own white space: a body over MAX_BODY_BYTES, as a proxy's or a CDN's error page may be)
OVER_A_MEGABYTE = b" " * (fetch_module.MAX_BODY_BYTES + 100_000)


@pytest.mark.parametrize("status", [429, 503])
def test_a_big_body_keeps_the_status_and_the_retry_after(server: OwmServer, status: int) -> None:
    # A 429 or a 503 whose body was over 1 MB was "answer larger than 1000000 bytes": its status and its Retry-After
    # lost, the next try sooner than the server asked, and a restart asked at once.
    server.serve(Answer(status, json_answer(LIMITED, status).body + OVER_A_MEGABYTE, headers={"Retry-After": "120"}))
    settings = OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", server.url, 2.0, 1, 0.05)
    result = fetch_once(settings, lambda: 1000.0)
    assert isinstance(result, ForecastFailure) and result.cause.startswith(f"HTTP {status}"), result.cause
    assert result.retry and result.retry_after_s == 120.0 and result.ask_again_after == 1120.0, result
    server.serve(Answer(status, OVER_A_MEGABYTE, headers={"Retry-After": "120"}), GOOD)
    event, pauses = a_round(server)
    assert isinstance(event.result, OwmForecast) and pauses == [120.0]


def test_a_big_good_answer_is_still_refused(server: OwmServer) -> None:
    server.serve(Answer(200, GOOD.body + OVER_A_MEGABYTE))
    event, _ = a_round(server, attempts=1)
    assert isinstance(event.result, ForecastFailure), event.result
    assert event.result.cause == f"answer larger than {fetch_module.MAX_BODY_BYTES} bytes"


def test_an_error_s_body_cut_short_keeps_the_status_and_the_retry_after(server: OwmServer) -> None:
    # (what its body would have said is lost; the status and the server's wait are not)
    server.serve(Answer(503, b'{"cod": 503, "mess', cut=True, headers={"Retry-After": "120"}))
    settings = OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", server.url, 2.0, 1, 0.05)
    result = fetch_once(settings, lambda: 1000.0)
    assert isinstance(result, ForecastFailure) and result.cause.startswith("HTTP 503"), result.cause
    assert result.retry_after_s == 120.0, result
