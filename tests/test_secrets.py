"""The broker password and the OpenWeatherMap key are never shown: not in a config problem or warning, not in
--check's output, not in the log (at DEBUG too), not in any file PySEB writes."""

from __future__ import annotations

import grp
import gzip
import logging
import pwd
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calibration.sweep_config import load_sweep_target
from localbroker import PrivateBroker
from regulation import main
from settings.config import load_settings
from tests.configs import config_error, reading, write_config
from tests.configs import with_mqtt_lines as mqtt_lines
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe
from tests.owm_server import OwmServer, json_answer

PASSWORD = "Pw7fK3q-never-shown"
KEY = "Key9x2Lm-never-shown"


def with_mqtt_lines(tmp_path: Path, lines: str) -> Path:
    """A config whose [mqtt] section has `lines` after client_id."""
    return mqtt_lines(write_config(tmp_path, ("radiator",)), lines)


@pytest.mark.parametrize("line", [f"password {PASSWORD}", f"password\t{PASSWORD}", f"Password {PASSWORD}",
                                  f"'password' {PASSWORD}", f'"password" {PASSWORD}', f"'password' '{PASSWORD}'"])
def test_a_password_line_without_its_equals_sign_is_not_shown(tmp_path: Path, line: str) -> None:
    # (configparser's 'Source contains parsing errors' quotes the line: the password with it)
    said = config_error(with_mqtt_lines(tmp_path, f"username = pi\n{line}"))
    assert PASSWORD not in said, said
    # (the line is still found by its number and its key)
    assert re.search(r"line 7, 'password \.\.\.'", said, re.IGNORECASE), said


def test_a_key_line_without_its_equals_sign_is_not_shown(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("radiator",), extra=f"\n[openweathermap]\nkey {KEY}\nlocation = Chambery,FR\n")
    said = config_error(path)
    assert KEY not in said and "'key" in said, said


def test_a_password_line_before_any_section_is_not_shown(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("radiator",))
    path.write_text(f"password = {PASSWORD}\n" + path.read_text())
    said = config_error(path)
    assert PASSWORD not in said and "section" in said, said


def test_an_indented_password_line_under_another_key_is_not_shown(tmp_path: Path) -> None:
    # (indented to line it up with the key above, it is read as the end of that value: the problem quotes it)
    said = config_error(with_mqtt_lines(tmp_path, f"username = pi\n    password = {PASSWORD}"))
    assert PASSWORD not in said, said
    assert "[mqtt] username: the line 'password = ...' below it is indented" in said, said


@pytest.mark.parametrize(("section", "line"), [("mqtt", f"password = {PASSWORD}"), ("openweathermap", f"key = {KEY}")])
def test_a_secret_key_given_twice_says_so(tmp_path: Path, section: str, line: str) -> None:
    # configparser quotes the key's name alone: cut there, the message said "option 'password ..." and no more.
    path = write_config(tmp_path, ("radiator",), extra="\n[openweathermap]\nlocation = Chambery,FR\n")
    path.write_text(path.read_text().replace(f"[{section}]\n", f"[{section}]\n{line}\n{line}\n"))
    said = config_error(path)
    assert f"[{section}] {line.split()[0]}: set twice in the section (lines " in said, said
    assert PASSWORD not in said and KEY not in said


def test_a_line_of_another_key_is_still_shown(tmp_path: Path) -> None:
    said = config_error(with_mqtt_lines(tmp_path, "username = pi\nkeepalive 60"))
    assert "'keepalive 60" in said, said
    said = config_error(with_mqtt_lines(tmp_path, "username = pi\n    key_file = client.key"))
    assert "the line 'key_file = client.key' below it" in said, said


@pytest.mark.usefixtures("restored_root_logger")
def test_check_at_debug_never_shows_them(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    # Every slip a password or a key may carry (quotes, a note, an inline comment), each warned about.
    path = with_mqtt_lines(tmp_path, f"username = pi\npassword = \"{PASSWORD} #x\" ;tail")
    path.write_text(path.read_text() + f"\n[openweathermap]\nkey = '{KEY}'\nlocation = Chambery,FR\n"
                    "url = http://192.0.2.1/data/2.5/forecast\n")
    caplog.set_level(logging.DEBUG)
    assert main(["-c", str(path), "--check", "--log-level", "DEBUG"]) == 0
    out, err = capsys.readouterr()
    said = out + err + caplog.text
    assert "[mqtt] password: it holds ' #'" in said and "[openweathermap] key: it is in quotes" in said, said
    assert PASSWORD not in said and KEY not in said, said
    settings = load_settings(path)
    assert PASSWORD not in repr(settings) and KEY not in repr(settings)


def test_the_calibration_sweep_s_target_does_not_show_the_password(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("ecs",), extra="topic_read_power = smeter/pzem/ECS\n")
    path.write_text(path.read_text().replace("client_id = pyseb-test",
                                             f"client_id = pyseb-test\nusername = pi\npassword = {PASSWORD}"))
    target = load_sweep_target(path, "ecs")
    assert target.password == PASSWORD and PASSWORD not in repr(target)


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A broker where user pyseb has PASSWORD (a wrong one is refused), and the test's probe is anonymous."""
    passwords = tmp_path / "passwd"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "pyseb", PASSWORD], check=True, timeout=30)
    with PrivateBroker(extra_conf=f"allow_anonymous true\npassword_file {passwords}\n") as broker:
        yield broker


def every_text_written(directory: Path, skip: tuple[str, ...]) -> dict[str, str]:
    """Each file under `directory` (but `skip`), as text (a .gz one uncompressed)."""
    texts = {}
    for path in directory.rglob("*"):
        if path.is_file() and path.name not in skip:
            data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            texts[str(path.relative_to(directory))] = data.decode("utf-8", errors="replace")
    return texts


@pytest.mark.mqtt
def test_a_day_at_debug_writes_them_nowhere(tmp_path: Path, password_broker: PrivateBroker) -> None:
    owm = OwmServer([json_answer({"cod": 401, "message": f"Invalid API key {KEY}."}, status=401)])
    config = write_config(tmp_path, ("radiator",), port=password_broker.port, period=0.2, meter_timeout=3, extra=(
        f"\n[openweathermap]\nkey = {KEY}\nlocation = Chambery,FR\nurl = {owm.url}\ntimeout_s = 2\nattempts = 1\n"
        "\n[logging]\nfile = logs/pyseb.log\n\n[record]\ndir = days\nflush_interval = 1\n"
        "\n[homeassistant]\nenabled = true\n"
        "\n[fallback]\nwater_heater = radiator\n"))  # (the seed rule reads the forecast: without it, no fetch)
    config.write_text(config.read_text().replace(
        "client_id = pyseb-test", f"client_id = pyseb-test\nusername = pyseb\npassword = {PASSWORD}"))
    probe = MqttProbe(password_broker.host, password_broker.port)
    daemon = DaemonProcess(config)  # (at DEBUG)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=15)
        deadline = time.monotonic() + 15
        while not (list((tmp_path / "days").glob("*.csv.gz")) and owm.requests):
            assert time.monotonic() < deadline, daemon.output
            probe.publish("smeter/pzem/CONSOMMATION", reading(300))
            probe.publish("smeter/pzem/PRODUCTION", reading(1800))
            time.sleep(0.3)
        time.sleep(3.5)  # the meters silent: the stale guard's lines too
        assert daemon.terminate() == 0
    finally:
        daemon.close()
        probe.close()
        owm.close()
    written = every_text_written(tmp_path, skip=("config.ini", "passwd"))
    assert {"status.json", "logs/pyseb.log"} <= set(written) and any(n.startswith("days/") for n in written), written
    assert "Invalid API key" in written["logs/pyseb.log"]  # (the failure is said, the key in it is not)
    for name, text in written.items():
        assert PASSWORD not in text and KEY not in text, name
    for message in probe.messages:
        assert PASSWORD.encode() not in message.payload and KEY.encode() not in message.payload, message.topic


# --- config.ini readable by others while it holds a secret: warned (as mosquitto warns of its password file) -------


def secret_config(tmp_path: Path, mode: int, password: bool = True, key: bool = False) -> Path:
    path = write_config(tmp_path, ("radiator",), extra=(f"\n[openweathermap]\nkey = {KEY}\nlocation = Chambery,FR\n"
                                                        if key else ""))
    if password:
        path.write_text(path.read_text().replace("client_id = pyseb-test",
                                                 f"client_id = pyseb-test\nusername = pi\npassword = {PASSWORD}"))
    path.chmod(mode)
    return path


def readable_warnings(path: Path) -> list[str]:
    return [w for w in load_settings(path).warnings if "readable by" in w]


@pytest.mark.usefixtures("restored_root_logger")
def test_a_password_in_a_config_every_user_reads_is_warned_with_the_chmod(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = secret_config(tmp_path, 0o644)
    assert main(["-c", str(path), "--check"]) == 0  # (a warning: the file still works)
    out, err = capsys.readouterr()
    said = out + err
    assert (f"holds the broker's password and is readable by every user of this machine (mode "
            f"644): chmod 600 {path}") in said, said
    assert "1 warning above" in said, said


def test_a_config_its_group_reads_is_warned_too(tmp_path: Path) -> None:
    path = secret_config(tmp_path, 0o640, password=False, key=True)
    group = grp.getgrgid(path.stat().st_gid).gr_name
    (warned,) = readable_warnings(path)
    assert (f"holds the OpenWeatherMap API key and is readable by the users of group "
            f"{group!r} (mode 640): chmod 600 {path}") in warned, warned


def test_both_secrets_are_named(tmp_path: Path) -> None:
    (warned,) = readable_warnings(secret_config(tmp_path, 0o604, key=True))
    assert "holds the broker's password and the OpenWeatherMap API key" in warned, warned


@pytest.mark.parametrize(("mode", "password"), [(0o600, True), (0o400, True), (0o644, False)])
def test_a_config_only_its_owner_reads_or_without_a_secret_is_not_warned(tmp_path: Path, mode: int,
                                                                         password: bool) -> None:
    assert readable_warnings(secret_config(tmp_path, mode, password=password)) == []


def test_the_seed_s_placeholder_key_is_no_secret(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("radiator",), extra="\n[openweathermap]\nkey = xxxxxxx\nlocation = Chambery,FR\n")
    path.chmod(0o644)
    assert readable_warnings(path) == []


def test_another_owner_s_config_is_made_pyseb_s_user_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (PySEB run as another user than the file's owner, root's file and pi's service: chmod 600 alone would lock it out)
    path = secret_config(tmp_path, 0o644)
    nobody = pwd.getpwnam("nobody").pw_uid
    assert path.stat().st_uid != nobody
    monkeypatch.setattr("settings.secret_file.os.geteuid", lambda: nobody)
    (warned,) = readable_warnings(path)
    assert f"make it PySEB's user's, readable by it only: sudo chown nobody {path} && chmod 600 {path}" in warned, \
        warned
    path.chmod(0o640)  # (its group may be how PySEB's user reads it: not said)
    assert readable_warnings(path) == []
