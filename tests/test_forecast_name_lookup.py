"""A name lookup that hangs (a resolver gone, the network half up after a power cut): the deadline of
shell.http_deadline cut sockets only, and the lookup comes before there is one. A fetch took as long as the lookup (its
try's timeout_s passed long before), and the next try, on the same thread, waited for it: one that never answered
ended the forecast until a restart. The lookup now ends with the try's timeout; a stop never waited on it (STOP_WAIT_S:
the thread is left behind). No traffic beyond loopback: socket.getaddrinfo is stubbed, the name answered with
127.0.0.1. A lookup that never returns is given up after LOOKUP_GIVEN_UP_S, the next try starting a fresh one, within a
bound of threads left behind."""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import shell.http_deadline as http_deadline
from field.forecast import ForecastFailure, OwmForecast
from field.forecast_settings import OwmSettings
from shell.forecast_fetch import ForecastFetched, ForecastFetcher, fetch_once
from tests.owm_server import Answer, OwmServer, fixture, noon_clock, serving
from tests.test_forecast_kept import PARIS

NAME = "owm.example.invalid"
GOOD = Answer(200, fixture("forecast-chambery-2026-06-26T12.json"))


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(GOOD)


@dataclass
class Resolver:
    """NAME resolved to 127.0.0.1 after `delays` (the first lookup after the first...; none once used up); the times
    the lookups of NAME began, `asked`."""

    delays: list[float] = field(default_factory=list)
    asked: list[float] = field(default_factory=list)


@pytest.fixture
def slow_resolver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolver]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # (the name asked directly, never through a proxy)
    real = socket.getaddrinfo
    resolver = Resolver()
    release = threading.Event()

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == NAME:
            resolver.asked.append(time.monotonic())
            release.wait(resolver.delays.pop(0) if resolver.delays else 0.0)
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield resolver
    release.set()


def named(server: OwmServer, timeout_s: float = 0.3, attempts: int = 1) -> OwmSettings:
    url = server.url.replace("127.0.0.1", NAME)
    assert NAME in url
    return OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", url, timeout_s, attempts, 0.05)


def test_a_lookup_that_hangs_ends_the_try_at_its_timeout(server: OwmServer, slow_resolver: Resolver) -> None:
    slow_resolver.delays.append(30.0)
    began = time.monotonic()
    result = fetch_once(named(server))
    assert time.monotonic() - began < 1.5
    assert isinstance(result, ForecastFailure)
    assert result.cause == f"no answer within 0.3 s (the name lookup of {NAME} took longer)"
    assert server.requests == []


def test_a_name_resolved_in_time_is_asked(server: OwmServer, slow_resolver: Resolver) -> None:
    slow_resolver.delays.append(0.05)
    result = fetch_once(named(server, timeout_s=2.0))
    assert isinstance(result, OwmForecast) and len(server.requests) == 1


def test_the_next_try_is_not_held_by_a_lookup_that_hangs(server: OwmServer, slow_resolver: Resolver) -> None:
    # Three tries 0.05 s apart, the resolver hung: the round's outcome within the tries' timeouts, not the lookup's;
    # the hung lookup is asked once, the next tries waiting on it (no thread left behind at each try).
    slow_resolver.delays.append(30.0)
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    fetcher = ForecastFetcher(named(server, attempts=3), 1, PARIS, events, clock=noon_clock())
    began = time.monotonic()
    fetcher.start()
    try:
        event = events.get(timeout=5.0)
        assert time.monotonic() - began < 3.0
        assert isinstance(event, ForecastFetched) and isinstance(event.result, ForecastFailure)
        assert "name lookup" in event.result.cause and len(slow_resolver.asked) == 1
    finally:
        fetcher.stop()


def test_a_stop_does_not_wait_for_a_lookup_that_hangs(server: OwmServer, slow_resolver: Resolver) -> None:
    slow_resolver.delays.append(30.0)
    fetcher = ForecastFetcher(named(server, timeout_s=10.0), 1, PARIS, queue.SimpleQueue(), clock=noon_clock())
    fetcher.start()
    time.sleep(0.2)
    began = time.monotonic()
    fetcher.stop()
    assert time.monotonic() - began < 2.5


def test_a_lookup_stuck_past_its_give_up_time_is_started_afresh(
        server: OwmServer, slow_resolver: Resolver, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # A lookup that never returned failed every later try of its name, each waiting on it, until a restart: the
    # resolver back after a hiccup, the forecast stayed lost. Past LOOKUP_GIVEN_UP_S a try starts a fresh one.
    monkeypatch.setattr(http_deadline, "LOOKUP_GIVEN_UP_S", 2.0)
    slow_resolver.delays += [30.0, 0.0]
    began = time.monotonic()
    assert isinstance(fetch_once(named(server)), ForecastFailure)
    assert isinstance(fetch_once(named(server)), ForecastFailure)  # (within the give-up time: waits on the same)
    assert len(slow_resolver.asked) == 1
    time.sleep(max(0.0, began + 2.2 - time.monotonic()))
    with caplog.at_level(logging.WARNING, logger="shell.http_deadline"):
        result = fetch_once(named(server, timeout_s=2.0))
    assert isinstance(result, OwmForecast) and len(slow_resolver.asked) == 2
    assert f"the name lookup of {NAME} has not returned for 2 s: given up, a fresh one started" in caplog.text


def test_the_stuck_lookups_threads_are_bounded(
        server: OwmServer, slow_resolver: Resolver, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # (each stuck lookup holds its thread for as long as getaddrinfo does, maybe for ever: at most MAX_STUCK_LOOKUPS
    # left behind; then the tries wait on the last one again, said once)
    monkeypatch.setattr(http_deadline, "LOOKUP_GIVEN_UP_S", 0.4)
    monkeypatch.setattr(http_deadline, "MAX_STUCK_LOOKUPS", 1)
    slow_resolver.delays += [30.0, 30.0, 30.0, 30.0]
    caplog.set_level(logging.WARNING, logger="shell.http_deadline")
    for _ in range(4):
        assert isinstance(fetch_once(named(server)), ForecastFailure)
        time.sleep(0.3)
    assert len(slow_resolver.asked) == 2
    assert [r.getMessage().split(": ")[0] for r in caplog.records] == [
        f"the name lookup of {NAME} has not returned for 1 s", f"the name lookup of {NAME} has not returned for 1 s, "
        "nor have 1 before it (the most left behind)"]
