"""The broker's address and TLS files are checked as the network code will take them: a host the socket
library cannot look up, a CA file with no certificate, a client certificate and key that do not load together,
an encrypted key. Each was a traceback at start (exit 1, systemd restarting into it) that --check passed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import write_config
from tests.test_tls import make_certificates


def config_with(tmp_path: Path, mqtt: str) -> Path:
    path = write_config(tmp_path, ("radiator",))
    path.write_text(path.read_text().replace("client_id = pyseb-test", f"client_id = pyseb-test\n{mqtt}"))
    return path


def problems(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return info.value.render()


@pytest.mark.parametrize("host", ["192.168.1..10", "broker." + "a" * 64 + ".lan"])
def test_a_host_the_socket_library_refuses_is_a_problem(tmp_path: Path, host: str) -> None:
    path = write_config(tmp_path, ("radiator",))
    path.write_text(path.read_text().replace("host = 127.0.0.1", f"host = {host}"))
    assert f"[mqtt] host: {host!r} is not a host name or address" in problems(path)


@pytest.mark.parametrize("host", ["localhost", "broker.lan", "::1", "10.3.141.1", "mosquitto"])
def test_good_hosts_pass(tmp_path: Path, host: str) -> None:
    path = write_config(tmp_path, ("radiator",))
    path.write_text(path.read_text().replace("host = 127.0.0.1", f"host = {host}"))
    assert load_settings(path).mqtt.host == host


@pytest.fixture
def certs(tmp_path: Path) -> Path:
    folder = tmp_path / "certs"
    folder.mkdir()
    make_certificates(folder)  # ca.crt, server.crt and server.key (a certificate and its own key)
    return folder


def test_good_tls_files_pass(tmp_path: Path, certs: Path) -> None:
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.crt\ncert_file = certs/server.crt\n"
                                 "key_file = certs/server.key")
    assert load_settings(path).mqtt.tls


def test_a_ca_file_with_no_certificate_is_a_problem(tmp_path: Path, certs: Path) -> None:
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.key")  # the CA's key, not its certificate
    assert "[mqtt] ca_file: holds no CA certificate PySEB can read (PEM text expected)" in problems(path)


def test_a_certificate_with_another_s_key_is_a_problem(tmp_path: Path, certs: Path) -> None:
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.crt\ncert_file = certs/server.crt\n"
                                 "key_file = certs/ca.key")
    assert "[mqtt] cert_file: the client certificate and its key do not load together" in problems(path)


def test_an_encrypted_key_is_a_problem_not_a_password_prompt(tmp_path: Path, certs: Path) -> None:
    subprocess.run(["openssl", "pkey", "-in", "server.key", "-aes128", "-passout", "pass:secret", "-out",
                    "locked.key"], cwd=certs, check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.crt\ncert_file = certs/server.crt\n"
                                 "key_file = certs/locked.key")
    assert "[mqtt] key_file: the client key is encrypted: PySEB gives it no password" in problems(path)
