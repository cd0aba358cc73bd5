"""A stop during the first connection attempt. That attempt is waited for (its failure's reason is the user's to read,
paho's background retries swallow it), and it ran on the main thread: with the network gone (a Pi started before its
Wi-Fi, the broker named by a host name) its name resolution held a stop for the resolver's 10 to 40 s, past systemd's
TimeoutStopSec (the unit killed before its stop commands, and marked failed); a TLS handshake to a broker that does not
answer, paho's 5 s. Now the wait ends at the stop, the attempt left behind."""

from __future__ import annotations

import logging
import queue
import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.mqtt_link import MqttLink
from tests.configs import write_config
from tests.daemon_process import run_script


def named_broker_config(tmp_path: Path) -> Path:
    """A config whose broker is named by a host name (resolved by nobody: the tests hold its resolution)."""
    config = write_config(tmp_path, ("radiator",), port=1)
    config.write_text(config.read_text().replace("host = 127.0.0.1", "host = broker.example.invalid"))
    return config


def test_the_link_s_start_ends_at_a_stop_asked_during_its_first_attempt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    resolving, release = threading.Event(), threading.Event()

    def getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        resolving.set()
        release.wait(60)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    link = MqttLink(load_settings(named_broker_config(tmp_path)).mqtt, queue.SimpleQueue(), lambda: [])
    stop = threading.Event()
    threading.Thread(target=lambda: (resolving.wait(30), time.sleep(0.3), stop.set()), daemon=True).start()
    started = time.monotonic()
    try:
        assert link.start(stop_asked=stop.is_set) is None
        waited_s = time.monotonic() - started
        link.stop(timeout_s=0.1)
    finally:
        release.set()
    assert waited_s < 5, waited_s
    assert "stop asked during the first connection attempt to broker.example.invalid:1: not waited for" in caplog.text
    time.sleep(0.3)  # (the attempt, released, ends with its failure: dropped, no network thread started for it)
    assert link.client._thread is None  # noqa: SLF001
    assert "cannot connect to the broker" not in caplog.text


def test_the_first_attempt_s_failure_is_still_said_when_no_stop_comes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        time.sleep(0.3)  # (longer than the wait's poll)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    link = MqttLink(load_settings(named_broker_config(tmp_path)).mqtt, queue.SimpleQueue(), lambda: [])
    try:
        reason = link.start(stop_asked=lambda: False)
    finally:
        link.stop(timeout_s=0.1)
    assert reason is not None
    assert reason.startswith("cannot connect to the broker: [Errno -2] Name or service not known")
    assert "cannot connect to the broker at broker.example.invalid:1: [Errno -2] Name or service not known" \
        in caplog.text


# In a process of its own: a stop that hangs must fail the test by its timeout, not hang the suite.
SCRIPT = textwrap.dedent("""
    import logging, os, signal, socket, sys, threading, time
    sys.path.insert(0, sys.argv[2])
    logging.basicConfig(level=logging.INFO)
    from settings.config import load_settings
    from shell.daemon import Daemon
    from shell.lock import InstanceLock

    def getaddrinfo(*args, **kwargs):  # the network gone: the resolver does not answer
        time.sleep(3600)

    socket.getaddrinfo = getaddrinfo
    settings = load_settings(sys.argv[1])
    daemon = Daemon(settings, InstanceLock(settings.status.file.with_name("test.lock")))
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()
    started = time.monotonic()
    code = daemon.run()
    print(f"stopped {code} after {time.monotonic() - started:.1f} s")
""")


def test_the_daemon_stops_at_once_during_a_first_attempt_that_hangs(tmp_path: Path) -> None:
    result = run_script(SCRIPT, named_broker_config(tmp_path), "the stop waited for the first connection attempt")
    assert result.stdout.startswith("stopped 0 after "), result.stdout
    assert float(result.stdout.split()[3]) < 5, result.stdout
    assert "SIGTERM received: stopping" in result.stderr, result.stderr
    assert "stopping with the broker link down, before the regulation started: no load was commanded" \
        in result.stderr, result.stderr
