"""The broker's address and TLS files are checked as the network code will take them: a host the socket
library cannot look up, a CA file with no certificate, a client certificate and key that do not load together,
an encrypted key. Each was a traceback at start (exit 1, systemd restarting into it) that --check passed."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.tls_check import broker_notes
from tests.configs import config_error, point_at, with_mqtt_lines, write_config
from tests.test_tls import make_certificates

ROOT = Path(__file__).resolve().parent.parent


def config_with(tmp_path: Path, mqtt: str) -> Path:
    return with_mqtt_lines(write_config(tmp_path, ("radiator",)), mqtt)


@pytest.mark.parametrize("host", ["192.168.1..10", "broker." + "a" * 64 + ".lan"])
def test_a_host_the_socket_library_refuses_is_a_problem(tmp_path: Path, host: str) -> None:
    path = write_config(tmp_path, ("radiator",))
    path.write_text(path.read_text().replace("host = 127.0.0.1", f"host = {host}"))
    assert f"[mqtt] host: {host!r} is not a host name or address" in config_error(path)


@pytest.mark.parametrize(("host", "said"), [
    ("192.168.1.10:1883", "'192.168.1.10:1883' holds a port: give the host alone ('192.168.1.10') and the port in "
                          "[mqtt] port (1883)"),
    ("[::1]:1883", "'[::1]:1883' holds a port: give the host alone ('::1') and the port in [mqtt] port (1883)"),
    ("[::1]", "'[::1]': give the address without its brackets ('::1')"),
    ("mqtt://broker.lan", "a URL (mqtt://...): give the broker's host alone ('broker.lan'), its port in [mqtt] port"),
    ("mqtts://user:pw@broker.lan:8883/", "a URL (mqtts://...): give the broker's host alone ('broker.lan'), its port "
                                         "in [mqtt] port and tls = true (with ca_file)"),
    ("mqtt://pyseb:hunt/pw@broker.lan", "a URL (mqtt://...): give the broker's host alone ('broker.lan'), its port "
                                        "in [mqtt] port"),  # (a password holding a /)
    ("pyseb:pw@broker.lan:1883", "holds a user name (and a password?) before an @: give the broker's host alone "
                                 "('broker.lan'), the user and password in [mqtt] username and password"),
    ("ws://broker.lan:9001/mqtt", "a URL (ws://...): PySEB speaks MQTT over TCP, not over websockets: give the "
                                  "broker's host alone ('broker.lan') and its MQTT port (1883; 8883 with tls = true)"),
    ("broker.lan:", "'broker.lan:' is not a host name or address: it holds a space, a single ':'"),
    ("my broker", "'my broker' is not a host name or address"),
])
def test_a_url_or_a_host_with_its_port_is_a_problem_that_says_where_the_port_goes(tmp_path: Path, host: str,
                                                                                  said: str) -> None:
    # (as Home Assistant's broker settings and URLs write it: it did not resolve, --check passed it with a note, and
    # the daemon retried it for ever)
    path = write_config(tmp_path, ("radiator",))
    path.write_text(path.read_text().replace("host = 127.0.0.1", f"host = {host}"))
    error = config_error(path)
    assert f"[mqtt] host: {said}" in error and "pw" not in error  # (a password is not echoed)


@pytest.mark.parametrize("host", ["localhost", "broker.lan", "::1", "10.3.141.1", "mosquitto", "fe80::1%eth0",
                                  "2001:db8::1"])
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
    assert "[mqtt] ca_file: holds no CA certificate PySEB can read (PEM text expected)" in config_error(path)


def test_a_certificate_with_another_s_key_is_a_problem(tmp_path: Path, certs: Path) -> None:
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.crt\ncert_file = certs/server.crt\n"
                                 "key_file = certs/ca.key")
    assert "[mqtt] cert_file: the client certificate and its key do not load together" in config_error(path)


def test_an_encrypted_key_is_a_problem_not_a_password_prompt(tmp_path: Path, certs: Path) -> None:
    subprocess.run(["openssl", "pkey", "-in", "server.key", "-aes128", "-passout", "pass:secret", "-out",
                    "locked.key"], cwd=certs, check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.crt\ncert_file = certs/server.crt\n"
                                 "key_file = certs/locked.key")
    assert "[mqtt] key_file: the client key is encrypted: PySEB gives it no password" in config_error(path)


# --- what --check can tell of the broker before running: a name that does not resolve, a port against tls -------

def unresolvable(host: str, port: int, *args: object, **kwargs: object) -> list[object]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_a_host_that_does_not_resolve_is_noted() -> None:
    # ('mosquito' for 'mosquitto': --check said OK, the daemon then retried a name that never resolves)
    notes = broker_notes("mosquito", 1883, tls=False, resolve=unresolvable)
    assert notes == ["'mosquito' does not resolve here now (Name or service not known): a typo in [mqtt] host? (at "
                     "boot the network may not be up yet: PySEB retries it)"]


def test_a_host_that_resolves_has_no_note() -> None:
    assert broker_notes("broker.lan", 1883, tls=False, resolve=lambda *args, **kwargs: [()]) == []


@pytest.mark.parametrize(("port", "tls", "said"), [
    (1883, True, "port 1883 is MQTT's plain port by convention, and tls = true"),
    (8883, False, "port 8883 is MQTT's TLS port by convention, and tls = false"),
])
def test_a_port_against_tls_is_said_by_check(tmp_path: Path, certs: Path, port: int, tls: bool, said: str) -> None:
    path = config_with(tmp_path, f"tls = {str(tls).lower()}\nca_file = certs/ca.crt")
    point_at(path, port)
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"  broker note: {said}" in result.stdout, result.stdout


@pytest.mark.parametrize(("port", "tls"), [(1883, False), (8883, True), (1884, True)])
def test_a_port_that_fits_tls_has_no_note(port: int, tls: bool) -> None:
    assert broker_notes("127.0.0.1", port, tls) == []


# --- credentials the link would silently not use, a client key others may read (found by a bug hunt) --------------


def test_tls_files_with_tls_false_are_warned_as_a_plain_connection(tmp_path: Path, certs: Path) -> None:
    # The password crossed the network in clear while its owner believed TLS set: --check said OK.
    path = config_with(tmp_path, "username = pi\npassword = s3cret\ntls = false\nca_file = certs/ca.crt")
    assert ("[mqtt] tls: is false, and ca_file is not used: the connection is plain, its password and readings in "
            "clear on the network; set tls = true (or remove it)") in "\n".join(load_settings(path).warnings)
    path = config_with(tmp_path, "tls = false\ncert_file = certs/server.crt\nkey_file = certs/server.key")
    assert "[mqtt] tls: is false, and cert_file and key_file are not used" in "\n".join(load_settings(path).warnings)
    path = config_with(tmp_path, "tls = true\nca_file = certs/ca.crt")
    assert not any("[mqtt] tls:" in w for w in load_settings(path).warnings)


def test_a_password_without_a_username_is_warned(tmp_path: Path) -> None:
    # (MQTT sends no password without a user name: PySEB connected anonymously, and a broker's refusal asked for the
    # password already set)
    path = config_with(tmp_path, "password = s3cret")
    (warned,) = [w for w in load_settings(path).warnings if "[mqtt] password" in w]
    assert "is given without username: MQTT sends a password only with a user name" in warned
    assert "s3cret" not in warned
    assert not any("[mqtt] password" in w for w in load_settings(config_with(tmp_path, "username = pi\npassword = s3"
                                                                                       "cret")).warnings)


@pytest.mark.parametrize(("lines", "key", "key_name"), [
    ("cert_file = certs/server.crt\nkey_file = certs/server.key", "key_file", "server.key"),
    ("cert_file = certs/both.pem", "cert_file", "both.pem"),  # (no key_file: the key is in the certificate's file)
])
def test_a_client_key_others_may_read_is_warned_with_the_chmod(tmp_path: Path, certs: Path, lines: str, key: str,
                                                               key_name: str) -> None:
    (certs / "both.pem").write_bytes((certs / "server.crt").read_bytes() + (certs / "server.key").read_bytes())
    key_path = certs / key_name
    key_path.chmod(0o644)
    path = config_with(tmp_path, f"tls = true\nca_file = certs/ca.crt\n{lines}")
    assert (f"[mqtt] {key}: {key_path} holds the client's private key and is readable by every user of this machine "
            f"(mode 644): chmod 600 {key_path}") in "\n".join(load_settings(path).warnings)
    key_path.chmod(0o600)
    assert not any("private key" in w for w in load_settings(path).warnings)
    # (a replay of the Pi's config elsewhere opens no TLS file: nothing to say)
    key_path.chmod(0o644)
    assert not any("private key" in w for w in load_settings(path, daemon_files=False).warnings)
