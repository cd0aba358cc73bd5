"""The sweep's own broker link says what the daemon's says of a TLS setting that does not match the broker: a plain
port with tls = true, a TLS port without it, a broker that wants a client certificate; and of a broker that takes
the connection and never answers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.silent_broker import silent_broker
from tests.sweep_support import sweep, write_config
from tests.test_tls import tls_broker_in

# (paho 1.6.1 ends these handshakes otherwise than paho 2: make test-paho16 runs them too)
pytestmark = [pytest.mark.debian, pytest.mark.usefixtures("sweep_locks")]

TLS_KEYS = "tls = true\nca_file = certs/ca.crt\n"


def _config(tmp_path: Path, port: int, tls: bool) -> Path:
    config = write_config(tmp_path, port)
    if tls:
        config.write_text(config.read_text().replace("[mqtt]\n", f"[mqtt]\n{TLS_KEYS}"))
    return config


def test_tls_on_a_plain_port_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tls_broker_in(tmp_path) as (broker, _):
        assert sweep(_config(tmp_path, broker.port, tls=True), tmp_path / "c.csv") == 2
    err = capsys.readouterr().err
    assert f"port {broker.port} is not a TLS listener" in err, err


def test_a_tls_port_without_tls_is_said_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The broker drops the CONNECT it reads as a broken TLS hello: the sweep waited 10 s and said 'no answer'.
    with tls_broker_in(tmp_path) as (_, tls_port):
        began = time.monotonic()
        assert sweep(_config(tmp_path, tls_port, tls=False), tmp_path / "c.csv") == 2
        took_s = time.monotonic() - began
    err = capsys.readouterr().err
    assert f"if port {tls_port} is a TLS listener, set tls = true with ca_file" in err, err
    assert took_s < 8.0


def test_a_broker_that_wants_a_client_certificate_is_said(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    with tls_broker_in(tmp_path, "require_certificate true\n") as (_, tls_port):
        assert sweep(_config(tmp_path, tls_port, tls=True), tmp_path / "c.csv") == 2
    err = capsys.readouterr().err
    assert "client certificate, set cert_file and key_file" in err, err
    assert "not a TLS listener" not in err, err


SILENT = "takes the connection but does not answer PySEB's CONNECT"


def test_a_broker_that_never_answers_is_said_as_one_not_as_tls(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # A broker stalled, or a port another service's, takes the connection and says nothing: the sweep said "no answer
    # from the broker within 10 s", nothing to check; with keepalive under that, paho gave up first and a TLS listener
    # was suspected. Said now as the daemon says it, what to check, whichever comes first.
    with silent_broker() as port:
        assert sweep(_config(tmp_path, port, tls=False), tmp_path / "c.csv") == 2
        plain = capsys.readouterr().err
        config = _config(tmp_path, port, tls=False)
        config.write_text(config.read_text().replace("[mqtt]\n", "[mqtt]\nkeepalive = 5\n"))
        assert sweep(config, tmp_path / "c.csv") == 2
        short = capsys.readouterr().err
    for err in (plain, short):
        assert f"the broker at 127.0.0.1:{port} {SILENT}" in err, err
        assert f"check that port {port} is the broker's MQTT port" in err and "TLS" not in err, err
    assert "no answer in 10 s" in plain and "no answer in" not in short, (plain, short)  # (short: its drop)
