"""A failed fetch that asks to wait, kept across a restart: OWM's 429 (its Retry-After, 60 s at least) and its 401/404
(a key or place only the owner mends: until the config changes, 3 h at most) are saved with the status file, with a
digest of the request (never the key), and a start while the wait holds does not ask (a daemon restarted by systemd
every few seconds asked at every start, `attempts` times); a failure that is not the server's (no network at boot) is
asked again at start."""

from __future__ import annotations

import json
import logging
import queue
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from field.forecast import ForecastFailure, OwmForecast, saved_owm_failure
from field.forecast_settings import KEEP_AT_START_S, OwmSettings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher, fetch_once, request_digest
from tests.field_house import at, field_config
from tests.harness import Harness
from tests.owm_server import ERROR_401, ERROR_404, Answer, OwmServer, fixture, json_answer, noon_clock, serving
from tests.test_forecast_kept import OWM, PARIS
from tests.test_forecast_retry import LIMITED

KEY = "f00dfeedc0ffee5ecret"
GOOD = Answer(200, fixture("forecast-chambery-2026-06-26T12.json"))


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(GOOD)


def owm(url: str, key: str = KEY) -> OwmSettings:
    return OwmSettings(key, "Chambery,FR", url, 2.0, 1, 0.1)


def closed_port_url() -> str:
    with socket.socket() as s:  # a loopback port nobody listens on: "no network"
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/data/2.5/forecast"


@pytest.mark.parametrize("answer, wait_s", [
    (json_answer(LIMITED, 429, {"Retry-After": "600"}), 600.0),
    (json_answer(LIMITED, 429), 60.0),  # no Retry-After: OWM counts a minute
    (json_answer(LIMITED, 429, {"Retry-After": "5"}), 60.0),  # a restart loop every 5 s: 60 s at least
    (json_answer({"cod": "429", "message": "limited"}, 200), 60.0),  # a rate limit in a 200's JSON
    (json_answer({"cod": 429, "message": "limited"}, 200, {"Retry-After": "300"}), 300.0),
    (json_answer(LIMITED, 503, {"Retry-After": "120"}), 120.0),
    (json_answer(LIMITED, 503, {"Retry-After": "259200"}), 24 * 3600.0),  # 3 days asked: a day at most held
    (json_answer(ERROR_401, 401), KEEP_AT_START_S),  # until the config changes (a new key works within 2 h)
    (json_answer(ERROR_404, 404), KEEP_AT_START_S),
    (json_answer({"cod": 500, "message": "Internal error"}, 500), None),  # the next try may get through
])
def test_a_failure_that_asks_to_wait_says_until_when(server: OwmServer, answer: Answer, wait_s: float | None) -> None:
    server.serve(answer)
    failure = fetch_once(owm(server.url), lambda: 1_000_000.0)
    assert isinstance(failure, ForecastFailure)
    if wait_s is None:
        assert failure.ask_again_after is None and failure.request_digest is None
    else:
        assert failure.ask_again_after == 1_000_000.0 + wait_s
        assert failure.request_digest == request_digest(owm(server.url)) and KEY not in failure.request_digest


def test_no_network_does_not_ask_to_wait() -> None:
    failure = fetch_once(owm(closed_port_url()))
    assert isinstance(failure, ForecastFailure) and failure.ask_again_after is None


def test_the_digest_changes_with_the_key_the_url_and_the_place() -> None:
    base = owm("https://api.openweathermap.org/data/2.5/forecast")
    digests = {request_digest(base), request_digest(owm(base.url, "0123456789abcdef")),
               request_digest(owm("https://example.org/forecast")),
               request_digest(OwmSettings(KEY, "Lyon,FR", base.url, 2.0, 1, 0.1))}
    assert len(digests) == 4 and request_digest(base) == request_digest(owm(base.url))


# --- kept in the status file ------------------------------------------------------------------------------

FAILED_AT = at(2024, 1, 10, 22, 10)


def failed(tmp_path: Path, ask_again_after: float | None) -> dict:
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    h.reg.tick(FAILED_AT)
    h.reg.on_forecast(ForecastFailure("HTTP 429: limited", FAILED_AT, retry_after_s=600.0,
                                      ask_again_after=ask_again_after, request_digest="0123abcd"), FAILED_AT)
    return json.loads(json.dumps(h.reg.status(at(2024, 1, 10, 22, 11))))


def test_the_wait_is_kept_in_the_status_file(tmp_path: Path) -> None:
    saved = failed(tmp_path, FAILED_AT + 600)
    owm_status = saved["forecast"]["openweathermap"]
    assert owm_status["ask_again_after"] == "2024-01-10T22:20:00+01:00" and owm_status["request_digest"] == "0123abcd"
    again = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    assert again.reg.restore(saved, at(2024, 1, 10, 22, 12)) == []
    held = again.reg.field.forecast.owm_failure
    assert held is not None and held.ask_again_after == FAILED_AT + 600 and held.request_digest == "0123abcd"
    assert held.at == FAILED_AT and held.cause == "HTTP 429: limited"


@pytest.mark.parametrize("ask_again_after, restored_at", [
    (None, at(2024, 1, 10, 22, 12)),  # a failure that asks no wait: not kept
    (FAILED_AT + 600, at(2024, 1, 10, 22, 21)),  # the wait is over
])
def test_a_wait_over_is_not_restored(tmp_path: Path, ask_again_after: float | None, restored_at: float) -> None:
    saved = failed(tmp_path, ask_again_after)
    again = Harness(field_config(tmp_path, evaluate="check_at = 23\n", extra=OWM))
    again.reg.restore(saved, restored_at)
    assert again.reg.field.forecast.owm_failure is None


@pytest.mark.parametrize("change, error", [
    (lambda owm: owm.update(error_time="2024-01-10T22:30:00+01:00"), "after now"),  # a clock set back since
    (lambda owm: owm.update(ask_again_after="2024-01-12T22:20:00+01:00"), "over 24 h after the failure"),
    (lambda owm: owm.update(request_digest=12), "must be text"),
])
def test_a_kept_wait_not_usable_is_refused(tmp_path: Path, change: object, error: str) -> None:
    owm_status = failed(tmp_path, FAILED_AT + 600)["forecast"]["openweathermap"]
    change(owm_status)  # type: ignore[operator]
    with pytest.raises(ValueError, match=error):
        saved_owm_failure(owm_status, at(2024, 1, 10, 22, 15))


def test_the_saver_writes_a_wait_at_once() -> None:
    from status.saver import orders_of

    before = {"forecast": {"openweathermap": {"enabled": True}}}
    held = {"forecast": {"openweathermap": {"enabled": True, "ask_again_after": "2024-01-10T22:20:00+01:00"}}}
    assert orders_of(before) != orders_of(held)


# --- the start's fetch ------------------------------------------------------------------------------------

def start(server_url: str, held: ForecastFailure | None, clock: Callable[[], float],
          key: str = KEY) -> tuple[ForecastFetcher, queue.SimpleQueue]:
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(owm(server_url, key), 1, PARIS, events, clock=clock)
    fetcher.start(held=held)
    return fetcher, events


def held_for(url: str, wait_s: float, now: float) -> ForecastFailure:
    return ForecastFailure("HTTP 429: limited", now - 5, retry_after_s=wait_s, ask_again_after=now - 5 + wait_s,
                           request_digest=request_digest(owm(url)))


def test_a_start_while_the_server_asks_to_wait_does_not_ask(server: OwmServer,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = noon_clock()  # (the 01:00 check far off, whatever the time the suite runs)
    fetcher, events = start(server.url, held_for(server.url, 600, clock()), clock)
    try:
        time.sleep(0.5)
        assert events.empty() and server.requests == []
        assert "forecast: no fetch at start: the last fetch, 0 min ago, failed (HTTP 429: limited)" in caplog.text
        assert "not asked before" in caplog.text
    finally:
        fetcher.stop()


def test_a_wait_dated_after_now_is_not_held(server: OwmServer) -> None:
    clock = noon_clock()
    now = clock()  # (the clock went back since the failure)
    held = ForecastFailure("HTTP 429: limited", now + 600, ask_again_after=now + 1200,
                           request_digest=request_digest(owm(server.url)))
    fetcher, events = start(server.url, held, clock)
    try:
        assert isinstance(events.get(timeout=5.0), ForecastFetched) and len(server.requests) == 1
    finally:
        fetcher.stop()


def test_a_start_with_another_key_asks_at_once(server: OwmServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = noon_clock()
    fetcher, events = start(server.url, held_for(server.url, 600, clock()), clock, key="0123456789abcdef")
    try:
        event = events.get(timeout=5.0)
        assert isinstance(event, ForecastFetched) and isinstance(event.result, OwmForecast)
        assert "[openweathermap] changed since" in caplog.text
    finally:
        fetcher.stop()


@pytest.mark.parametrize("hold_end_s, round_in, expected", [
    (None, 0, "round"),  # nothing held: the round at its time
    (60.0, 0, "hold"),  # a 429 during the round's time: the round asks when the wait ends, before check_at
    (7200.0, -60, "round"),  # a hold from before the round that lasts past check_at: the daily round still asks
    (7200.0, 60, "skip"),  # this round was asked and the server asks to wait past check_at: the next round asks
])
def test_the_round_before_check_at_respects_a_kept_wait(hold_end_s: float | None, round_in: float,
                                                        expected: str) -> None:
    round_at, check_at = 1_000_000.0, 1_003_000.0
    fetcher = ForecastFetcher(owm("http://127.0.0.1:9/x"), 1, PARIS, queue.SimpleQueue())
    if hold_end_s is not None:
        held_at = round_at + round_in
        fetcher._held = (held_at, held_at + hold_end_s)
    planned = fetcher._round_time(round_at, check_at)
    assert planned == {"round": round_at, "hold": round_at + round_in + (hold_end_s or 0.0), "skip": None}[expected]


@pytest.mark.parametrize("held_until, asked_at", [
    (at(2024, 1, 10, 22, 16), at(2024, 1, 10, 22, 16)),  # the wait ends before check_at: the round asks then
    (at(2024, 1, 10, 23, 30), at(2024, 1, 11, 22, 10)),  # past check_at, this round asked: tomorrow's asks
])
def test_a_restart_in_the_round_s_time_waits_as_the_server_asks(held_until: float, asked_at: float) -> None:
    clock = [at(2024, 1, 10, 22, 15) + 30]  # check_at = 23: the round from 22:10; a 429 at 22:15, kept; a restart
    fetcher = ForecastFetcher(owm("http://127.0.0.1:9/x"), 23, PARIS, queue.SimpleQueue(), clock=lambda: clock[0])
    fetcher._held = (at(2024, 1, 10, 22, 15), held_until)
    asked: list[tuple[str, float]] = []

    def wait_until(moment: float) -> bool:  # (no sleep: the clock jumps)
        clock[0] = max(clock[0], moment)
        return False

    def a_round(why: str) -> None:
        asked.append((why, clock[0]))
        fetcher._stop.set()

    fetcher._wait_until = wait_until  # type: ignore[method-assign]
    fetcher._round = a_round  # type: ignore[method-assign]
    fetcher._run()
    assert asked == [("before check_at", asked_at)]
