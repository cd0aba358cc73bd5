"""TLS to the broker (a private mosquitto with a TLS listener and a throw-away CA), and the password
never reaching the log."""

from __future__ import annotations

import queue
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from localbroker import PrivateBroker, free_port
from regulation import main
from settings.config import load_settings
from shell.mqtt_link import MqttLink
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


# --- tls = true without ca_file: the system's CA certificates (a broker with a public certificate) ------------------
# (OpenSSL's default store is where SSL_CERT_FILE says: the test CA stands in for the system's ones)


def test_tls_without_ca_file_trusts_the_system_s_cas(tmp_path: Path, tls_broker: tuple[PrivateBroker, int],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    broker, tls_port = tls_broker
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "certs" / "ca.crt"))
    config = write_config(tmp_path, ("radiator",), port=tls_port)
    config.write_text(config.read_text().replace("client_id = pyseb-test", "client_id = pyseb-test\ntls = true"))
    probe = MqttProbe(broker.host, broker.port)
    daemon = DaemonProcess(config)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=20)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
        probe.close()
    assert "over TLS" in daemon.output


def test_tls_without_ca_file_names_the_system_s_cas_when_they_do_not_trust_the_broker(
        tmp_path: Path, tls_broker: tuple[PrivateBroker, int], monkeypatch: pytest.MonkeyPatch) -> None:
    _, tls_port = tls_broker
    other = tmp_path / "other"
    other.mkdir()
    make_certificates(other)
    monkeypatch.setenv("SSL_CERT_FILE", str(other / "ca.crt"))  # a system store without the broker's CA
    config = write_config(tmp_path, ("radiator",), port=tls_port)
    config.write_text(config.read_text().replace("client_id = pyseb-test", "client_id = pyseb-test\ntls = true"))
    link = MqttLink(load_settings(config).mqtt, queue.SimpleQueue(), lambda: [])
    try:
        failure = link.start()
    finally:
        link.stop(timeout_s=0.1)
    assert failure is not None and "certificate verify failed" in failure, failure
    assert "no ca_file: the system's CA certificates do not hold the CA that signed the broker's" in failure, failure


@pytest.mark.usefixtures("restored_root_logger")
def test_check_says_which_cas_tls_trusts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, ("radiator",), port=8883)
    config.write_text(config.read_text().replace("client_id = pyseb-test", "client_id = pyseb-test\ntls = true"))
    assert main(["-c", str(config), "--check"]) == 0
    assert "broker:      127.0.0.1:8883 (TLS against the system's CA certificates)" in capsys.readouterr().out
    certs = tmp_path / "certs"
    certs.mkdir()
    make_certificates(certs)
    config.write_text(config.read_text().replace("tls = true", "tls = true\nca_file = certs/ca.crt"))
    assert main(["-c", str(config), "--check"]) == 0
    assert f"127.0.0.1:8883 (TLS against {certs / 'ca.crt'})" in capsys.readouterr().out
