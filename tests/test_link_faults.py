"""The broker link's faults a user meets in a long-running home daemon, against a real mosquitto: a TLS
setting that does not match the port's listener (a plain MQTT port with tls = true, a TLS port without it)."""

from __future__ import annotations

import queue
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell.link_events import Connected, Disconnected
from shell.mqtt_link import MqttLink
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.test_tls import make_certificates, tls_broker_in

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16)


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[PrivateBroker, int]]:
    with tls_broker_in(tmp_path) as both:
        yield both


def link_for(config: Path, tls: bool = False) -> tuple[MqttLink, queue.SimpleQueue[object]]:
    if tls:
        config.write_text(config.read_text().replace(
            "client_id = pyseb-test", "client_id = pyseb-test\ntls = true\nca_file = certs/ca.crt"))
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    return MqttLink(load_settings(config).mqtt, events, lambda: []), events


def test_tls_on_a_plain_port_says_the_port_is_not_a_tls_listener(tmp_path: Path,
                                                                 tls_broker: tuple[PrivateBroker, int],
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    broker, _ = tls_broker
    link, _ = link_for(write_config(tmp_path, ("radiator",), port=broker.port), tls=True)
    try:
        failure = link.start()
    finally:
        link.stop(timeout_s=0.1)
    # (mosquitto resets a TLS hello on its plain port: 'Connection reset by peer' named nothing of TLS)
    assert failure is not None and "not a TLS listener" in failure, failure
    assert f"port {broker.port} is not a TLS listener" in caplog.text


def test_a_tls_port_without_tls_says_so(tmp_path: Path, tls_broker: tuple[PrivateBroker, int]) -> None:
    _, tls_port = tls_broker
    link, events = link_for(write_config(tmp_path, ("radiator",), port=tls_port))
    try:
        assert link.start() is None  # (the TCP connection is made: the broker ends it on reading the CONNECT)
        event = events.get(timeout=10)
    finally:
        link.stop(timeout_s=0.1)
    assert isinstance(event, Disconnected) and event.connected_for_s is None
    # ('Unspecified error' with paho 2, 'The connection was lost.' with 1.6)
    assert "the connection ended before the broker answered" in event.reason, event.reason
    assert f"if port {tls_port} is a TLS listener, set tls = true with ca_file" in event.reason, event.reason


def test_a_retry_that_fails_otherwise_says_its_own_reason(tmp_path: Path) -> None:
    # At boot the broker is not up yet (refused); once it is, each of paho's background retries fails for another
    # reason (here: tls = true on its plain port; at a Pi's boot, a name that resolves at last). paho gives no
    # reason for those retries: the reminders went on saying 'Connection refused' for as long as it lasted.
    certs = tmp_path / "certs"
    certs.mkdir()
    make_certificates(certs)
    broker = PrivateBroker()  # (its port, not listening yet)
    config = write_config(tmp_path, ("radiator",), port=broker.port)
    config.write_text(config.read_text().replace(
        "client_id = pyseb-test", "client_id = pyseb-test\ntls = true\nca_file = certs/ca.crt"))
    daemon = DaemonProcess(config, "--log-level", "INFO")
    try:
        deadline = time.monotonic() + 15
        daemon.wait_for("Connection refused", 15)
        with broker:
            daemon.wait_for("not a TLS listener", deadline + 10 - time.monotonic())
            assert daemon.terminate() == 0
    finally:
        daemon.close()
        broker.cleanup()
    lines = daemon.output.splitlines()
    assert any("Connection refused" in line for line in lines), daemon.output
    changed = [line for line in lines if "WARNING" in line and "cannot connect to the broker: " in line
               and f"port {broker.port} is not a TLS listener" in line]
    assert len(changed) == 1, daemon.output  # once, not at every retry


def test_paho_s_network_loop_raising_is_said_and_the_link_reconnects(tmp_path: Path, broker: PrivateBroker) -> None:
    # paho 1.6.1 (Debian 12's) lets any socket error but a ConnectionError out of its loop: a TLS alert after the
    # handshake (the broker refusing an expired client certificate at a reconnect), a TimeoutError. Its network
    # thread died: PySEB never reconnected, deaf for good, its loads as last commanded, and its log said nothing.
    link, events = link_for(write_config(tmp_path, ("radiator",), port=broker.port))
    read = link.client.loop_read
    raised: list[bool] = []

    def loop_read(*args: Any, **kwargs: Any) -> Any:
        if not raised and link.client.is_connected():  # (the read of the PUBACK of 'online', once)
            raised.append(True)
            raise ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_EXPIRED] tlsv13 alert certificate expired")
        return read(*args, **kwargs)

    link.client.loop_read = loop_read  # type: ignore[method-assign,assignment]
    try:
        assert link.start() is None
        assert isinstance(events.get(timeout=10), Connected)
        lost = events.get(timeout=10)
        assert isinstance(lost, Disconnected) and "certificate expired" in lost.reason, lost
        assert isinstance(events.get(timeout=10), Connected)  # paho's reconnect, after its backoff
    finally:
        link.stop(timeout_s=1)
    assert raised


def test_a_broker_that_wants_a_client_certificate_is_retried(tmp_path: Path) -> None:
    # (paho 1.6: the broker's 'certificate required' alert comes after the handshake and killed paho's thread at the
    # first background retry: no retry after it, whatever the user fixed on the broker's side)
    with tls_broker_in(tmp_path, "require_certificate true\n") as (_, tls_port):
        link, events = link_for(write_config(tmp_path, ("radiator",), port=tls_port), tls=True)
        try:
            link.start()
            failures = [events.get(timeout=10) for _ in range(3)]  # attempts after 1 s and 2 s, then 4 s
        finally:
            link.stop(timeout_s=0.1)
    assert all(isinstance(event, Disconnected) for event in failures), failures
    assert link.client._thread is None or not link.client._thread.is_alive()


def test_a_broker_that_wants_a_client_certificate_is_said_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # paho 1.6's first attempt ends in 'EOF occurred in violation of protocol', which was said as 'port ... is not a
    # TLS listener, most likely' (it is one); paho 2 passes the handshake and the broker drops the connection:
    # 'Unspecified error'. Neither said a word of the client certificate.
    with tls_broker_in(tmp_path, "require_certificate true\n") as (_, tls_port):
        link, events = link_for(write_config(tmp_path, ("radiator",), port=tls_port), tls=True)
        try:
            failure = link.start()
            event = events.get(timeout=10)
        finally:
            link.stop(timeout_s=0.1)
    said = [failure or "", event.reason if isinstance(event, Disconnected) else repr(event)]
    assert not any("not a TLS listener" in text for text in said), said
    assert all(text == "" or "client certificate, set cert_file and key_file" in text for text in said), said
    assert "client certificate, set cert_file and key_file" in said[1], said
