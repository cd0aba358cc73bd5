"""Fetching the forecast against a local HTTP(S) server on a loopback port serving OWM-shaped answers:
the seed's request, every bad answer (one cause each, the key never shown), a server that never
answers, TLS verified, bounded retries, and the daily round before check_at."""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

import pytest

from field.forecast import CAUSE_MAX_CHARS, ForecastFailure, OwmForecast
from field.forecast_settings import FETCH_LEAD_S, OwmSettings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher, fetch_once
from tests.owm_server import ERROR_401, ERROR_404, Answer, OwmServer, fixture, json_answer, noon_clock, serving
from tests.test_tls import make_certificates
from values.local_time import hour, next_occurrence

PARIS = ZoneInfo("Europe/Paris")
KEY = "f00dfeedc0ffee5ecret"
GOOD = Answer(200, fixture("forecast-chambery-2026-06-26T12.json"))


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(GOOD)


def owm(url: str, timeout_s: float = 2.0, attempts: int = 1, retry_interval_s: float = 0.1) -> OwmSettings:
    return OwmSettings(KEY, "Chambery,FR", url, timeout_s, attempts, retry_interval_s)


def test_the_seed_s_request_and_a_good_answer(server: OwmServer) -> None:
    result = fetch_once(owm(server.url))
    assert isinstance(result, OwmForecast) and len(result.clouds_by_utc) == 40
    assert server.requests == [{"q": ["Chambery,FR"], "units": ["metric"], "appid": [KEY]}]


@pytest.mark.parametrize("answer, cause", [
    (json_answer(ERROR_401, 401), "HTTP 401: Invalid API key."),
    (json_answer(ERROR_404, 404), "HTTP 404: city not found"),
    # the free plan's call limit exceeded (PROTOCOL.md): an HTTPError as 401's, a failed try to retry
    (json_answer({"cod": 429, "message": "Your account is temporary blocked due to exceeding of requests limitation"},
                 429), "HTTP 429: Your account is temporary blocked"),
    (Answer(500, b"<html>oops</html>"), "HTTP 500"),
    (Answer(200, b"{garbage"), "the answer is not valid JSON (cut short?)"),
    (json_answer({"cod": "200", "message": 0, "cnt": 0}), "the answer has no `list`"),
    (Answer(hang=True), "no answer within 0.5 s"),
    # the body stalls: a 502's (an HTTPError, read in its own branch) as a 200's
    (Answer(502, b'{"mess', stall=True), "no answer within 0.5 s"),
    (Answer(200, b'{"cod": "200", "li', stall=True), "no answer within 0.5 s"),
    # a byte every 50 ms: each read is within the timeout, the whole answer would take 15 minutes
    (Answer(200, GOOD.body, trickle_s=0.05), "no answer within 0.5 s"),
    # the connection closed 100 bytes short of the Content-Length: "the answer is not valid JSON (cut short?)", a
    # parse error of a server's bad answer, where the network or the server cut it
    (Answer(200, GOOD.body[:5000], cut=True),
     "the connection was closed before the whole answer came: 5000 of its 5100 bytes"),
    # the status line and headers a byte every 50 ms (a middlebox in trouble): each read within the timeout again,
    # the body's deadline not started yet, the fetch held for 10 s here (for as long as the headers last, in a house)
    (Answer(200, GOOD.body, trickle_head_s=0.05), "no answer within 0.5 s"),
    (Answer(401, json_answer(ERROR_401, 401).body, trickle_head_s=0.05), "no answer within 0.5 s"),
])
def test_bad_answers_give_a_failure_naming_the_cause(server: OwmServer, answer: Answer, cause: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.serve(answer)
    result = fetch_once(owm(server.url, timeout_s=0.5))
    assert isinstance(result, ForecastFailure) and cause in result.cause
    assert KEY not in result.cause and KEY not in caplog.text


@pytest.mark.parametrize("answer", [
    # A hotel or campsite hotspot's login page (HTTP 200, HTML) quoting the URL asked: the key straddles the
    # 200 characters of the page the cause quotes, and its first half was cut off the redaction's reach.
    Answer(200, ("<html><head><title>Hotspot login</title></head><body><p>Please sign in to use this network. "
                 "Requested URL: http://api.openweathermap.org/data/2.5/forecast?q=Chambery%2CFR&units=metric&appid="
                 f"{KEY}</p></body></html>").encode()),
    # a proxy's JSON error saying the URL at length (the message quoted in the cause is cut as well)
    json_answer({"cod": 403, "message": "Request blocked by the site's filtering proxy: category 'weather' is not "
                 "allowed for this device; ask your admin. Blocked: https://api."
                 f"openweathermap.org/data/2.5/forecast?q=Chambery%2CFR&appid={KEY}&units=metric"}, 403),
])
def test_a_long_answer_quoting_the_key_shows_no_part_of_it(server: OwmServer, answer: Answer) -> None:
    server.serve(answer)
    result = fetch_once(owm(server.url))
    assert isinstance(result, ForecastFailure) and "***" in result.cause, result.cause
    assert KEY[:6] not in result.cause and KEY[-6:] not in result.cause


@pytest.mark.parametrize("answer, cause", [
    # Not an HTTP server (a port taken by another service, a middlebox's garbage): http.client quotes the line it could
    # not read, up to 64 KB of the server's bytes with its CR LF, into every try's log line and the status's `error`.
    (Answer(raw=b"SSH-2.0-OpenSSH_9.2 " + b"x" * 60_000 + b"\r\n"),
     "the server's answer is not HTTP (check [openweathermap] url): SSH-2.0-OpenSSH_9.2 xxx"),
    # OWM's JSON error code, quoted whole: a `cod` of 500 KB in an answer under the size cap.
    (json_answer({"cod": "x" * 500_000, "message": "y"}), "error code 'xxx"),
    (json_answer({"cod": ["a\r\nb"] * 50_000, "message": "y"}), "error code ['a\\r\\nb', "),
])
def test_a_cause_quoting_the_server_is_one_short_line(server: OwmServer, answer: Answer, cause: str) -> None:
    server.serve(answer)
    result = fetch_once(owm(server.url))
    assert isinstance(result, ForecastFailure) and result.cause.startswith(cause), result.cause[:300]
    assert len(result.cause) < CAUSE_MAX_CHARS + 100 and "\n" not in result.cause and "\r" not in result.cause, \
        result.cause[:300]


@pytest.mark.parametrize("variable", ["http_proxy", "HTTP_PROXY"])
def test_a_loopback_url_is_asked_directly_whatever_proxy_the_environment_names(
        server: OwmServer, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    # A shell with a proxy set (an office's, a CI runner's): a url on this machine (a local relay, these tests'
    # server) went to that proxy, with the key, off the machine.
    proxy = OwmServer([GOOD])  # (a stand-in that answers as OWM would: only where the request went is judged)
    try:
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
                     "no_proxy", "NO_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(variable, proxy.url.removesuffix("/data/2.5/forecast"))
        result = fetch_once(owm(server.url))
        assert isinstance(result, OwmForecast)
        assert len(server.requests) == 1 and proxy.requests == []
    finally:
        proxy.close()


def test_a_connection_made_past_the_deadline_is_not_used(server: OwmServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # The deadline passes while connecting (a slow SYN-ACK, a DNS answer late): no socket was there to cut, and the
    # request went on, its headers trickled for as long as they lasted.
    import socket

    connect = socket.create_connection
    release = threading.Event()

    def slow_connect(*args: Any, **kwargs: Any) -> socket.socket:
        release.wait(0.6)  # (past the 0.3 s deadline)
        return connect(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", slow_connect)
    server.serve(Answer(200, GOOD.body, trickle_head_s=0.02))
    result = fetch_once(owm(server.url, timeout_s=0.3))
    assert isinstance(result, ForecastFailure) and "no answer within 0.3 s" in result.cause
    assert server.requests == []  # nothing asked on a connection made too late


def test_an_answer_quoting_the_key_url_encoded_shows_none_of_it(server: OwmServer) -> None:
    # (a key with characters the URL encodes: the answer echoes it as asked, %2B and %2F, not as written)
    key = "f00d+feed/c0ffee5ecret"
    server.serve(Answer(200, f"<html><body>Blocked: /data/2.5/forecast?appid={quote_plus(key)}</body></html>".encode()))
    result = fetch_once(OwmSettings(key, "Chambery,FR", server.url, 2.0, 1, 0.1))
    assert isinstance(result, ForecastFailure) and "***" in result.cause, result.cause
    assert "c0ffee5ecret" not in result.cause and "f00d" not in result.cause


def test_a_closed_port_is_a_failure() -> None:
    closed = OwmServer([GOOD])
    url = closed.url
    closed.close()
    result = fetch_once(owm(url))
    assert isinstance(result, ForecastFailure) and result.cause.startswith("cannot reach the server")


def test_tls_is_verified(tmp_path: Path, server: OwmServer) -> None:
    make_certificates(tmp_path)  # a CA the system does not trust, a certificate for 127.0.0.1
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "server.crt", tmp_path / "server.key")
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    result = fetch_once(owm(server.url.replace("http://", "https://")))
    assert isinstance(result, ForecastFailure) and "TLS certificate not trusted" in result.cause
    assert server.requests == []  # nothing, the key least of all, was sent to an untrusted server


def events_of(q: queue.SimpleQueue[object], count: int, timeout_s: float = 10.0,
              tries: bool = False) -> list[ForecastFetched]:
    """The next `count` events: the rounds' outcomes (`tries`: with the failed tries of a round not over)."""
    got: list[ForecastFetched] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count:
        event = q.get(timeout=max(0.01, deadline - time.monotonic()))
        assert isinstance(event, ForecastFetched)
        if tries or not isinstance(event.result, ForecastFailure) or event.result.final:
            got.append(event)
    return got


def test_retries_until_a_good_answer_and_hands_over_once(server: OwmServer) -> None:
    # (each failed try is handed over as it comes, not final: a check meanwhile says what failed; the outcome once)
    server.serve(Answer(500, b""), Answer(hang=True), GOOD)
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(server.url, timeout_s=0.5, attempts=3), 1, PARIS, events, clock=noon_clock())
    fetcher.start()
    try:
        first, second, event = events_of(events, 3, tries=True)
        assert isinstance(event.result, OwmForecast)
        assert [(type(e.result), getattr(e.result, "final", None)) for e in (first, second)] == [
            (ForecastFailure, False), (ForecastFailure, False)]
        assert len(server.requests) == 3
        time.sleep(0.3)
        assert events.empty()
    finally:
        fetcher.stop()


def test_an_internal_error_is_a_failed_try_not_the_end_of_the_thread(
        server: OwmServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # The thread is the only fetcher: dead, it would leave every later day without a forecast until a restart.
    import shell.forecast_fetch as fetch_module

    calls: list[int] = []

    def buggy_then_fine(settings: OwmSettings, clock: Any) -> OwmForecast | ForecastFailure:
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("a bug")
        return fetch_once(settings, clock)

    monkeypatch.setattr(fetch_module, "fetch_once", buggy_then_fine)
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(server.url, attempts=2), 1, PARIS, events, clock=noon_clock())
    fetcher.start()
    try:
        (event,) = events_of(events, 1)
        assert isinstance(event.result, OwmForecast) and len(calls) == 2
        assert "forecast fetch at start: internal error" in caplog.text and "ZeroDivisionError" in caplog.text
    finally:
        fetcher.stop()


def test_tries_are_bounded_and_the_last_failure_is_handed_over(server: OwmServer) -> None:
    server.serve(Answer(500, b"<html>oops</html>"))  # (a 401 is asked once: test_forecast_retry.py)
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    # (on a clock at noon: run in the hour before 01:00, the round stood for the daily one, tried again 0.1 s later)
    fetcher = ForecastFetcher(owm(server.url, attempts=3, retry_interval_s=0.05), 1, PARIS, events, clock=noon_clock())
    fetcher.start()
    try:
        (event,) = events_of(events, 1)
        assert isinstance(event.result, ForecastFailure) and event.result.cause.startswith("HTTP 500")
        assert event.result.final
        time.sleep(0.3)
        assert len(server.requests) == 3 and events.empty()
    finally:
        fetcher.stop()


@pytest.mark.parametrize("check_at, fetched_at, day_before", [
    (1, "00:10", False),
    (0, "23:10", True),  # a midnight check's round is the evening before: the day boundary crossed in between
])
def test_fetches_again_before_check_at(server: OwmServer, check_at: int, fetched_at: str, day_before: bool) -> None:
    # A clock 1.5 s before the daily round (50 min before check_at): the start fetch, failed, then that round. (One
    # that succeeded stands for the round: tests/test_forecast_night.py)
    server.serve(Answer(503, b""), GOOD)
    real_now = time.time()
    check_time = next_occurrence(real_now, hour(check_at), PARIS)
    round_at = check_time - FETCH_LEAD_S
    offset = round_at - 1.5 - real_now
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(server.url), check_at, PARIS, events, clock=lambda: time.time() + offset)
    fetcher.start()
    try:
        first, second = events_of(events, 2)
        assert isinstance(first.result, ForecastFailure) and isinstance(second.result, OwmForecast)
        assert second.result.fetched_at - first.result.at == pytest.approx(1.5, abs=0.6)
        fetched = datetime.fromtimestamp(second.result.fetched_at, PARIS)
        assert fetched.strftime("%H:%M") == fetched_at
        check_day = datetime.fromtimestamp(check_time, PARIS).date()
        assert (fetched.date() < check_day) is day_before
    finally:
        fetcher.stop()


def test_a_clock_stepped_back_plans_the_daily_round_again(server: OwmServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Started with a clock 10 min past today's round (a board's clock ahead, or set by hand), the fetcher
    # waits for check_at, then tomorrow. The clock steps back to 1 s before today's round: that round is
    # still made, not skipped for a day on the word of the wrong clock.
    monkeypatch.setattr("shell.forecast_fetch.WAIT_SLICE_S", 0.1)
    real_now = time.time()
    round_at = next_occurrence(real_now, hour(1), PARIS) - FETCH_LEAD_S
    offset = [round_at + 600.0 - real_now]
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(server.url), 1, PARIS, events, clock=lambda: time.time() + offset[0])
    fetcher.start()
    try:
        events_of(events, 1)
        time.sleep(0.3)
        offset[0] = round_at - 1.0 - real_now
        (second,) = events_of(events, 1, timeout_s=5.0)
        assert isinstance(second.result, OwmForecast)
        assert datetime.fromtimestamp(second.result.fetched_at, PARIS).strftime("%H:%M") == "00:10"
    finally:
        fetcher.stop()


def test_stop_returns_while_the_server_never_answers(server: OwmServer) -> None:
    server.serve(Answer(hang=True))
    fetcher = ForecastFetcher(owm(server.url, timeout_s=1.0), 1, PARIS, queue.SimpleQueue(), clock=noon_clock())
    fetcher.start()
    time.sleep(0.2)
    began = time.monotonic()
    fetcher.stop()
    assert time.monotonic() - began < 3.0


def test_a_key_written_into_the_url_is_not_logged(server: OwmServer, caplog: pytest.LogCaptureFixture) -> None:
    # A user who pasted OpenWeatherMap's example request (with its appid) into `url`: the start's line names the url.
    server.serve(GOOD)
    caplog.set_level(logging.INFO)
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(f"{server.url}?units=metric&APPID=pastedsecret0123&lang=fr"), 1, PARIS, events,
                              clock=noon_clock())
    fetcher.start()
    try:
        events_of(events, 1)
    finally:
        fetcher.stop()
    assert "pastedsecret0123" not in caplog.text
    assert "APPID=***&lang=fr" in caplog.text  # (the rest of the url still shown: where it fetches from)
