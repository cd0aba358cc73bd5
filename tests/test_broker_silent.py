"""A broker (or whatever listens on its port) that takes the TCP connection and never answers PySEB's CONNECT: paho
waits up to [mqtt] keepalive for the answer, 60 s by default. PySEB's log said nothing for as long, then "the
connection ended before the broker answered (Keep alive timeout); if port N is a TLS listener ...; retrying after
1 s", of attempts 61 s and more apart. Against a fake server on a loopback port that accepts and stays silent."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.daemon import Daemon
from shell.link_events import Disconnected
from shell.link_health import AnswerWatch
from shell.lock import InstanceLock
from shell.mqtt_link import MqttLink
from tests.configs import with_mqtt_lines, write_config
from tests.daemon_process import DaemonProcess
from tests.silent_broker import silent_broker

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16)

SILENT = "takes the connection but does not answer PySEB's CONNECT"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose listener accepts every connection and never sends a byte (nor closes it)."""
    with silent_broker() as port:
        yield port


def test_the_answer_watch_says_a_socket_once_and_not_one_answered() -> None:
    watch = AnswerWatch(wait_s=5.0)
    watch.opened(100.0)
    assert watch.overdue(104.9) is None
    assert watch.overdue(105.5) == pytest.approx(5.5)
    assert watch.overdue(106.0) is None  # (once a socket)
    assert watch.closed(160.0) == pytest.approx(60.0)
    assert watch.overdue(170.0) is None  # (closed: nothing under way)
    watch.opened(200.0)
    watch.answered()
    assert watch.overdue(300.0) is None and watch.closed(300.0) is None


def test_the_link_says_an_unanswered_connection_early_and_its_drop_alike(tmp_path: Path, silent_port: int) -> None:
    config = with_mqtt_lines(write_config(tmp_path, ("radiator",), port=silent_port), "keepalive = 5")
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    link = MqttLink(load_settings(config).mqtt, events, lambda: [])
    link.answer = AnswerWatch(wait_s=0.5)  # (said early: before paho gives up at the keepalive)
    try:
        assert link.start() is None  # (the TCP connection is made, the CONNECT sent)
        unanswered = None
        for _ in range(100):  # (10 s at most)
            unanswered = link.unanswered()
            if unanswered is not None:
                break
            threading.Event().wait(0.1)
        assert unanswered is not None
        waited_s, reason = unanswered
        assert waited_s >= 0.5 and SILENT in reason and f"127.0.0.1:{silent_port}" in reason, reason
        assert f"check that port {silent_port} is the broker's MQTT port" in reason, reason
        dropped = events.get(timeout=20)  # paho gives up at the keepalive, 5 s
    finally:
        link.stop(timeout_s=0.1)
    assert isinstance(dropped, Disconnected) and dropped.connected_for_s is None, dropped
    # the same reason as said early (said once by the daemon), and no TLS listener suspected
    assert dropped.unanswered and dropped.reason == reason and "TLS" not in dropped.reason, dropped


def test_the_daemon_says_it_within_seconds_with_the_real_pace(tmp_path: Path, silent_port: int) -> None:
    daemon = DaemonProcess(write_config(tmp_path, ("radiator",), port=silent_port), "--log-level", "INFO")
    try:
        said = daemon.wait_for(SILENT, 20)  # (paho's own wait, the keepalive, is 60 s: said long before)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert said, daemon.output
    (line,) = [line for line in daemon.output.splitlines() if SILENT in line]
    assert "WARNING" in line and f"the broker at 127.0.0.1:{silent_port}" in line, line
    assert "no answer in 5 s so far" in line, line
    assert ("each attempt waits up to 60 s ([mqtt] keepalive) for the broker's answer, the next one starting 1 s "
            "after, that wait doubling up to 60 s: attempts 61 to 120 s apart") in line, line
    assert "retrying after 1 s" not in daemon.output, daemon.output


def test_the_drop_says_the_real_pace_and_not_twice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # (the daemon's steps called one by one: a port no broker listens on, nothing connects)
    daemon = Daemon(load_settings(with_mqtt_lines(write_config(tmp_path, ("radiator",), port=9), "keepalive = 30")),
                    InstanceLock(tmp_path / "test.lock"))
    caplog.set_level(logging.INFO)
    reason = "the broker at 127.0.0.1:9 takes the connection but does not answer PySEB's CONNECT (...)"
    daemon._on_disconnected(Disconnected(1000.0, reason, unanswered=True))  # (not said early: a tick missed it)
    daemon._on_disconnected(Disconnected(1062.0, reason, unanswered=True))
    said = [record.getMessage() for record in caplog.records if SILENT in record.getMessage()]
    assert len(said) == 1, said
    assert "each attempt waits up to 30 s ([mqtt] keepalive)" in said[0] and "attempts 31 to 90 s apart" in said[0]
    assert "retrying after 1 s" not in said[0], said
