"""A TLS broker whose certificate PySEB does not trust, against a real mosquitto: a ca_file of another CA, a host
name the certificate is not for, an expired certificate. OpenSSL's words ('self-signed certificate in certificate
chain') must come with the [mqtt] key to fix, or the side (the broker's, the clock) to look at."""

from __future__ import annotations

import queue
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from settings.config import load_settings
from shell.broker_hints import tls_mismatch_hint
from shell.mqtt_link import MqttLink
from tests.configs import write_config
from tests.test_tls import make_certificates, tls_broker_in

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16)


def first_failure(config: Path, host: str, ca_file: Path) -> str:
    config.write_text(config.read_text().replace("host = 127.0.0.1", f"host = {host}").replace(
        "client_id = pyseb-test", f"client_id = pyseb-test\ntls = true\nca_file = {ca_file}"))
    link = MqttLink(load_settings(config).mqtt, queue.SimpleQueue(), lambda: [])
    try:
        failure = link.start()
    finally:
        link.stop(timeout_s=0.1)
    assert failure is not None
    return failure


def test_a_ca_file_of_another_ca_says_so(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    make_certificates(other)
    with tls_broker_in(tmp_path) as (_, tls_port):
        failure = first_failure(write_config(tmp_path, ("radiator",), port=tls_port), "127.0.0.1", other / "ca.crt")
    assert f"ca_file ({other / 'ca.crt'}) does not hold the CA that signed the broker's certificate" in failure, \
        failure


def test_a_host_the_certificate_is_not_for_says_so(tmp_path: Path) -> None:
    with tls_broker_in(tmp_path) as (_, tls_port):
        failure = first_failure(write_config(tmp_path, ("radiator",), port=tls_port), "localhost",
                                tmp_path / "certs" / "ca.crt")
    assert "set [mqtt] host to a name or address the broker's certificate is for" in failure, failure


def test_an_expired_broker_certificate_says_whose(tmp_path: Path) -> None:
    with tls_broker_in(tmp_path) as (broker, tls_port):
        certs = tmp_path / "certs"
        subprocess.run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                        "-CAcreateserial", "-out", "server.crt", "-days", "-1", "-extfile", "san.ext"],
                       cwd=certs, check=True, capture_output=True, timeout=60)
        broker.stop()
        broker.start()  # (mosquitto reads its certificate at start)
        failure = first_failure(write_config(tmp_path, ("radiator",), port=tls_port), "127.0.0.1",
                                certs / "ca.crt")
    assert "the broker's certificate (or its CA's) has expired: renew it on the broker" in failure, failure


@dataclass(frozen=True)
class Endpoint:
    host: str = "broker.lan"
    port: int = 8883
    tls: bool = True
    ca_file: str | None = "/etc/ssl/broker-ca.crt"
    cert_file: str | None = None


def test_a_certificate_not_valid_yet_points_at_the_clock() -> None:
    # (a Pi has no clock of its own: before network time, it may think it is months ago)
    error = ssl.SSLCertVerificationError(1, "certificate verify failed: certificate is not yet valid")
    error.verify_code = 9  # X509_V_ERR_CERT_NOT_YET_VALID
    hint = tls_mismatch_hint(error, Endpoint())
    assert "is this machine's clock right" in hint, hint
