"""A name with several addresses whose first ones do not answer (a dual-stack board whose IPv6 route goes nowhere after
a power cut, a server with several A records one of which is down): each address was given the whole try's timeout_s
to connect, so a try lasted as many times timeout_s as there were addresses, past its deadline (the timer cut sockets
only, none yet while connecting), and a try again "ending before the check" came after it. Each address now gets what
is left of the try's timeout, and none is tried past it. No traffic beyond loopback: the name and the connects to the
addresses that do not answer are stubbed (they wait for the timeout they are given, as a SYN lost does)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from field.forecast import ForecastFailure, OwmForecast
from field.forecast_settings import OwmSettings
from shell.forecast_fetch import fetch_once
from tests.owm_server import Answer, OwmServer, fixture, serving

NAME = "owm.example.invalid"
LOST = ("192.0.2.1", "192.0.2.2", "192.0.2.3")  # (TEST-NET-1: never contacted, their connects are stubbed)
REFUSED = "192.0.2.9"


@pytest.fixture
def server() -> Iterator[OwmServer]:
    yield from serving(Answer(200, fixture("forecast-chambery-2026-06-26T12.json")))


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, float]]]:
    """NAME resolved to LOST's addresses, then REFUSED, then 127.0.0.1; the connects asked (address, timeout)."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    real_lookup, real_connect = socket.getaddrinfo, socket.create_connection
    asked: list[tuple[str, float]] = []
    release = threading.Event()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == NAME:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in (*LOST, REFUSED, "127.0.0.1")]
        return real_lookup(host, port, *args, **kwargs)

    def create_connection(address: tuple[str, int], timeout: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
        asked.append((address[0], timeout))
        if address[0] in LOST:
            release.wait(min(timeout, 5.0))  # (a SYN that nobody answers: the connect's own timeout ends it)
            raise TimeoutError("timed out")
        if address[0] == REFUSED:
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(address, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield asked
    release.set()


def named(server: OwmServer, timeout_s: float) -> OwmSettings:
    return OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", server.url.replace("127.0.0.1", NAME), timeout_s, 1, 0.05)


def test_addresses_that_do_not_answer_end_the_try_at_its_timeout(
        server: OwmServer, connects: list[tuple[str, float]]) -> None:
    began = time.monotonic()
    result = fetch_once(named(server, timeout_s=0.4))
    took_s = time.monotonic() - began
    assert took_s < 0.8, f"the try took {took_s:.2f} s for a timeout of 0.4 s"  # (1.2 s: 0.4 s an address)
    assert isinstance(result, ForecastFailure) and result.cause.startswith("no answer within 0.4 s"), result.cause
    assert all(timeout <= 0.4 for _, timeout in connects) and sum(timeout for _, timeout in connects) <= 0.45
    assert server.requests == []


def test_an_address_that_refuses_is_followed_by_the_next_in_time(
        server: OwmServer, connects: list[tuple[str, float]], monkeypatch: pytest.MonkeyPatch) -> None:
    # (the lost ones left out: one that refuses at once, then the server)
    monkeypatch.setattr("tests.test_forecast_connect_deadline.LOST", ())
    result = fetch_once(named(server, timeout_s=2.0))
    assert isinstance(result, OwmForecast), result
    assert [ip for ip, _ in connects][-2:] == [REFUSED, "127.0.0.1"] and len(server.requests) == 1


def test_a_name_the_lookup_refuses_to_encode_says_why(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # (a label over 63 characters, in `url` or a proxy the environment names: getaddrinfo raises UnicodeError, out of
    # the lookup's thread, a traceback on stderr at each try, and the cause said "no address for ...")
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    url = f"https://{'a' * 64}.example.invalid/data/2.5/forecast"
    result = fetch_once(OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", url, 2.0, 1, 0.05))
    assert isinstance(result, ForecastFailure) and "idna" in result.cause, result.cause
    assert "Traceback" not in capsys.readouterr().err


def test_a_link_local_address_keeps_its_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    # (a relay on the LAN by its mDNS name, IPv6 link-local only: the address was passed on without its scope id,
    # which a link-local connect needs, EINVAL; socket.create_connection, used before, kept it)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1", port, 0, 1))]

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        asked.append(address[0])
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    fetch_once(OwmSettings("f00dfeedc0ffee5ecret", "Chambery,FR", "http://relay.local:8080/x", 2.0, 1, 0.05))
    assert asked == ["fe80::1%1"]
