"""TLS to the broker (a private mosquitto with a TLS listener and a throw-away CA), and the password
never reaching the log."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from localbroker import PrivateBroker, free_port
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe

SECRET = "s3cret-Pa55word"


def make_certificates(directory: Path) -> None:
    """A CA and a server certificate for 127.0.0.1, made with the openssl command."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=PySEB test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "san.ext")


@contextmanager
def tls_broker_in(directory: Path, extra: str = "") -> Iterator[tuple[PrivateBroker, int]]:
    """A broker with its plain listener (`.port`) and a TLS one (the int), its CA in directory/certs/ca.crt;
    `extra`: more of the TLS listener's settings (require_certificate true)."""
    certs = directory / "certs"
    certs.mkdir()
    make_certificates(certs)
    tls_port = free_port()
    conf = (f"listener {tls_port} 127.0.0.1\ncafile {certs / 'ca.crt'}\ncertfile {certs / 'server.crt'}\n"
            f"keyfile {certs / 'server.key'}\n{extra}")
    with PrivateBroker(extra_conf=conf) as broker:
        yield broker, tls_port


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[PrivateBroker, int]]:
    with tls_broker_in(tmp_path) as both:
        yield both


def test_daemon_connects_over_tls_and_never_logs_the_password(tmp_path: Path,
                                                              tls_broker: tuple[PrivateBroker, int]) -> None:
    broker, tls_port = tls_broker
    config = write_config(tmp_path, ("radiator",), port=tls_port,
                          extra="")
    text = config.read_text().replace(
        "client_id = pyseb-test",
        f"client_id = pyseb-test\ntls = true\nca_file = certs/ca.crt\nusername = pi\npassword = {SECRET}")
    config.write_text(text)
    probe = MqttProbe(broker.host, broker.port)  # the plain listener of the same broker
    daemon = DaemonProcess(config)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=20)
        probe.wait_for("cmnd/radiator/POWER", lambda m: m.text == "OFF")
        assert daemon.terminate() == 0
    finally:
        daemon.close()
        probe.close()
    assert SECRET not in daemon.output
    assert "user pi" in daemon.output


def test_tls_with_a_wrong_ca_does_not_connect(tmp_path: Path, tls_broker: tuple[PrivateBroker, int]) -> None:
    broker, tls_port = tls_broker
    other = tmp_path / "other"
    other.mkdir()
    make_certificates(other)  # a different CA: the broker's certificate must be refused
    config = write_config(tmp_path, ("radiator",), port=tls_port)
    config.write_text(config.read_text().replace(
        "client_id = pyseb-test", "client_id = pyseb-test\ntls = true\nca_file = other/ca.crt"))
    probe = MqttProbe(broker.host, broker.port)
    daemon = DaemonProcess(config)
    try:
        with pytest.raises(TimeoutError):
            probe.wait_for("regul/availability", timeout_s=4)
        assert daemon.proc.poll() is None  # it keeps retrying, it does not crash
        assert daemon.terminate() == 0
    finally:
        daemon.close()
        probe.close()
    assert "certificate verify failed" in daemon.output or "CERTIFICATE_VERIFY_FAILED" in daemon.output
