"""Config problems found by --check rather than at run time: non-finite numbers, files the daemon opens
later (TLS, status, log), a meter timeout not tied to the decision period, one topic for two roles, and
send_domoticz with nothing to send."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import reading, write_config
from tests.field_house import field_config
from tests.harness import CONS, NOON, PROD, Harness

ROOT = Path(__file__).resolve().parent.parent


def problems_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return info.value.render()


def with_lines(path: Path, after: str, lines: str) -> Path:
    """`lines` inserted after the first line `after` of the config at `path`."""
    text = path.read_text()
    assert after in text
    path.write_text(text.replace(after, after + lines, 1))
    return path


# --- B: NaN and infinity -------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "value"), [("meter_timeout", "nan"), ("margin", "nan"), ("period", "inf"),
                                            ("balance_threshold", "-inf"), ("max_meter_power", "NaN"),
                                            ("status_time", "Infinity")])
def test_non_finite_float_is_a_problem(tmp_path: Path, key: str, value: str) -> None:
    path = write_config(tmp_path)
    text = re.sub(rf"^{key} = .*\n", "", path.read_text(), flags=re.MULTILINE)  # given once, below
    path.write_text(text.replace("timezone = Europe/Paris\n", f"timezone = Europe/Paris\n{key} = {value}\n"))
    report = problems_of(path)
    assert f"[evaluate] {key}: must be a finite number" in report


def test_non_finite_optional_float_of_a_load_is_a_problem(tmp_path: Path) -> None:
    path = field_config(tmp_path, ecs="max_power = nan\n")
    assert "[ecs] max_power: must be a finite number" in problems_of(path)


# --- D: files the daemon opens later -------------------------------------------------------------------
def test_missing_tls_ca_file_is_a_problem_found_by_check(tmp_path: Path) -> None:
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n",
                      "tls = true\nca_file = /nonexistent/ca.pem\n")
    assert "[mqtt] ca_file: /nonexistent/ca.pem does not exist" in problems_of(path)
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "ca_file" in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_tls_files_must_be_readable_files(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n",
                      "tls = true\nca_file = certs/ca.crt\ncert_file = certs\nkey_file = certs/client.key\n")
    report = problems_of(path)
    assert "[mqtt] cert_file: " in report and "is a directory" in report
    assert "[mqtt] key_file: " in report and "client.key does not exist" in report
    assert "[mqtt] ca_file" not in report  # relative to the config file, and there


def test_key_file_needs_cert_file(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("x")
    (tmp_path / "client.key").write_text("x")
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n",
                      "tls = true\nca_file = ca.crt\nkey_file = client.key\n")
    assert "[mqtt] key_file: needs cert_file" in problems_of(path)


def test_tls_files_not_checked_without_tls(tmp_path: Path) -> None:
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n", "ca_file = /nonexistent/ca.pem\n")
    load_settings(path)  # tls = false: the file is never opened


def test_a_missing_status_or_log_directory_is_made_as_the_daemon_makes_it(tmp_path: Path) -> None:
    # The daemon makes the status file's folder (its lock, its saves) and the log's: --check refused both with
    # "does not exist". It now says they will be made, and makes nothing itself.
    path = write_config(tmp_path, extra="\n[logging]\nfile = logs/day/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = state/pyseb/status.json"))
    settings = load_settings(path)
    assert settings.status.file == tmp_path / "state" / "pyseb" / "status.json"
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (f"status file: {tmp_path / 'state' / 'pyseb' / 'status.json'} (its folder "
            f"{tmp_path / 'state' / 'pyseb'} does not exist yet: made at start)") in result.stdout
    assert (f"log file:    {tmp_path / 'logs' / 'day' / 'pyseb.log'} (its folder {tmp_path / 'logs' / 'day'} "
            "does not exist yet: made at start)") in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "linear.csv"]


def test_a_missing_directory_under_an_unwritable_one_is_refused(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Where the daemon could not make the folder, --check says so (os.access answers as for the daemon's
    # unprivileged user: the CI runs as root).
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr("settings.config.os.access",
                        lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    path = write_config(tmp_path, extra="\n[logging]\nfile = locked/logs/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = locked/state/status.json"))
    report = problems_of(path)
    assert f"[status] file: directory {locked} is not writable" in report
    assert f"[logging] file: directory {locked} is not writable" in report


def test_status_file_directory_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("file = status.json", "file = afile/status.json"))
    assert "[status] file: " in problems_of(path) and "is not a directory" in problems_of(path)
    (tmp_path / "status.d").mkdir()
    path.write_text(path.read_text().replace("file = afile/status.json", "file = status.d"))
    assert "[status] file: " in problems_of(path) and "is a directory, not a file" in problems_of(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes everywhere: permissions cannot be tested")
def test_status_and_log_directories_must_be_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        path = write_config(tmp_path, extra="\n[logging]\nfile = locked/pyseb.log\n")
        path.write_text(path.read_text().replace("file = status.json", "file = locked/status.json"))
        report = problems_of(path)
        assert "[status] file: directory" in report and "[logging] file: directory" in report
        assert "is not writable" in report
    finally:
        locked.chmod(0o700)


def test_unwritable_directories_reported_even_when_run_as_root(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The check above cannot run as root (the CI container's user): the same branch, with os.access
    # answering as it would for the daemon's unprivileged user.
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "pyseb.log").write_text("")
    real_access = os.access
    monkeypatch.setattr("settings.config.os.access",
                        lambda p, mode: False if Path(p).is_relative_to(locked) else real_access(p, mode))
    path = write_config(tmp_path, extra="\n[logging]\nfile = locked/pyseb.log\n")
    path.write_text(path.read_text().replace("file = status.json", "file = locked/status.json"))
    report = problems_of(path)
    assert f"[status] file: directory {locked} is not writable" in report
    assert f"[logging] file: directory {locked} is not writable" in report


def test_seed_log_file_key_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    path = write_config(tmp_path, extra="\n[debug]\nlog_file = true\nlog_file_name = afile/logs/pv.log\n")
    assert f"[logging] file: {tmp_path / 'afile'} is not a directory" in problems_of(path)


# --- E: meter_timeout and period -----------------------------------------------------------------------
@pytest.mark.parametrize(("period", "timeout"), [(10, 10), (30, 10), (2.5, 5), (0.0833, 1), (0.2, 0.5)])
def test_meter_timeout_is_not_tied_to_the_period(tmp_path: Path, period: float, timeout: float) -> None:
    # The meters publish every ~2 s whatever the period: the seed's `period = 10` under the default 10 s timeout
    # was refused ("the loads would flap") for a flapping that does not happen (test_a_long_period_...).
    settings = load_settings(write_config(tmp_path, period=period, meter_timeout=timeout))
    assert settings.evaluate.meter_timeout_s == timeout and settings.evaluate.period_s == period


def test_a_long_period_does_not_take_live_meters_for_silent(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",), period=30, meter_timeout=10, algorithm="closed_loop"))
    now = NOON
    for _ in range(300):  # 10 minutes of sun, the meters every 2 s
        now += 2
        h.reg.handle(PROD, reading(2300), now - 0.01)
        h.reg.handle(CONS, reading(300 + h.load("ecs").current_power_w), now)
        h.reg.tick(now)
        assert h.reg.stale_reason is None
    assert h.load("ecs").current_power_w > 1500  # a decision every 30 s at least took the surplus


# --- F: topic collisions, send_domoticz without an idx -------------------------------------------------
def test_consumption_and_production_on_one_topic(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("topic_prod = smeter/pzem/PRODUCTION",
                                             "topic_prod = smeter/pzem/CONSOMMATION"))
    assert "[mqtt] topic_prod: 'smeter/pzem/CONSOMMATION' is also [mqtt] topic_cons" in problems_of(path)


@pytest.mark.parametrize(("line", "expected"), [
    ("topic_mode = regul/status\n", "[mqtt] topic_status: 'regul/status' is also [mqtt] topic_mode"),
    ("topic_availability = regul/mode\n", "[mqtt] topic_availability: 'regul/mode' is also [mqtt] topic_mode"),
    ("topic_status = regul/availability\n",
     "[mqtt] topic_availability: 'regul/availability' is also [mqtt] topic_status"),
    ("topic_force = smeter/pzem/PRODUCTION\n",  # the seed's name of topic_mode
     "[mqtt] topic_mode: 'smeter/pzem/PRODUCTION' is also [mqtt] topic_prod"),
])
def test_regulator_topics_must_differ(tmp_path: Path, line: str, expected: str) -> None:
    path = with_lines(write_config(tmp_path), "client_id = pyseb-test\n", line)
    assert expected in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("smeter/pzem/CONSOMMATION", "topic_cons"),
                                              ("regul/mode", "topic_mode"), ("regul/status", "topic_status")])
def test_load_command_topic_must_not_be_a_meter_or_regulator_topic(tmp_path: Path, topic: str,
                                                                   other: str) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("topic_set_power = cmnd/radiator/POWER", f"topic_set_power = {topic}"))
    assert f"[radiator] topic_set_power: {topic!r} is also [mqtt] {other}" in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("smeter/pzem/CONSOMMATION", "topic_cons"),
                                              ("smeter/pzem/PRODUCTION", "topic_prod")])
def test_a_loads_own_meter_topic_must_not_be_the_house_or_pv_meter(tmp_path: Path, topic: str, other: str) -> None:
    # The heater's own meter read on the house meter's topic: every house reading was also taken for what the
    # heater alone draws (its full-tank watch judged the tank on the house's watts). Refused, as the sweep does.
    path = with_lines(write_config(tmp_path), "topic_set_power = regul/vload/ECS/cmd\n",
                      f"topic_read_power = {topic}\n")
    assert f"[ecs] topic_read_power: {topic!r} is also [mqtt] {other}" in problems_of(path)


@pytest.mark.parametrize(("topic", "other"), [("smeter/pzem/PRODUCTION", "topic_prod"),
                                              ("regul/status", "topic_status")])
def test_the_forecast_topic_must_not_be_a_meter_or_regulator_topic(tmp_path: Path, topic: str, other: str) -> None:
    # A forecast read on the production meter's topic would have each reading refused as a forecast (and
    # each forecast as a reading), or the daemon reading back its own status.
    path = write_config(tmp_path)
    path.write_text(path.read_text() + f"\n[forecast]\ntopic = {topic}\n")
    assert f"[forecast] topic: {topic!r} is also [mqtt] {other}" in problems_of(path)


def test_a_forecast_topic_with_a_wildcard_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text() + "\n[forecast]\ntopic = weather/+/pv\n")
    assert "[forecast] topic:" in problems_of(path)


def test_distinct_topics_are_fine(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path))
    assert not [w for w in settings.warnings if "topic" in w]


def test_send_domoticz_without_an_idx_warns(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, extra="\n[domoticz]\nsend_domoticz = true\n"))
    assert any("[domoticz] send_domoticz: is true but neither idx_grid nor idx_injection is set" in w
               for w in settings.warnings)
    quiet = load_settings(write_config(tmp_path, extra="\n[domoticz]\nsend_domoticz = true\nidx_grid = 5\n"))
    assert not [w for w in quiet.warnings if "send_domoticz" in w]


def test_absurdly_nested_relay_payload_is_not_a_crash(tmp_path: Path) -> None:
    # The force-switch check reads json_on as Domoticz JSON; json raises RecursionError on this one.
    path = field_config(tmp_path, radiator="domoticz_idx_force = 7\n")
    path.write_text(path.read_text().replace("json_on = ON", "json_on = " + "[" * 5000))
    assert load_settings(path).equipments[1].options["domoticz_idx_force"] == 7


def test_the_instance_lock_is_checked_with_persistent_false(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not saved (the seed's use_persistent = false), the status file's name is still the lock's, taken at every
    # start: --check said OK, then the daemon stopped on "cannot open the lock". (os.access answers as for the
    # daemon's unprivileged user: the CI runs as root.)
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr("settings.config.os.access",
                        lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("file = status.json", "file = locked/status.json")
                    .replace("[status]\n", "[status]\npersistent = false\n"))
    assert (f"[status] file: the instance lock {locked / 'status.json.lock'}, taken even with persistent = false: "
            f"directory {locked} is not writable") in problems_of(path)
    (locked / "status.json.lock").write_text("812\n")  # one left there: it is read, not made
    load_settings(path)


def test_the_instance_lock_and_the_status_are_checked_with_persistent_true(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Saved (the default), the lock and the status file left by a run as root (0600) passed --check: then the daemon
    # stopped on "cannot open the lock", or started without its saved status (the day's energy, the forces) and
    # replaced it. (os.access answers as for the daemon's unprivileged user: the CI runs as root.)
    (tmp_path / "status.json.lock").write_text("812\n")
    (tmp_path / "status.json").write_text('{"equipments": []}')
    real_access = os.access
    unreadable: set[Path] = {tmp_path / "status.json.lock", tmp_path / "status.json"}
    monkeypatch.setattr("settings.config.os.access",
                        lambda p, mode: False if Path(p) in unreadable else real_access(p, mode))
    path = write_config(tmp_path)
    assert f"[status] file: the instance lock {tmp_path / 'status.json.lock'} cannot be read" in problems_of(path)
    unreadable.remove(tmp_path / "status.json.lock")
    warnings = "\n".join(load_settings(path).warnings)
    assert f"[status] file: {tmp_path / 'status.json'} cannot be read" in warnings
    assert "starts without the saved status" in warnings
    (tmp_path / "status.json.lock").unlink()
    (tmp_path / "status.json.lock").mkdir()  # (os.open of a directory fails as a permission does)
    assert "is a directory" in problems_of(path)


# --- a relay's two payloads ------------------------------------------------------------------------------
@pytest.mark.parametrize(("on", "off"), [
    ("ON", "ON"), ("ON", "on"),  # Tasmota takes both alike
    ('{"command": "switchlight", "idx": 359, "switchcmd": "On"}',  # Domoticz's, copied and not edited
     '{"command":"switchlight","idx":359,"switchcmd":"On"}'),
])
def test_a_relay_whose_off_payload_is_its_on_payload_is_refused(tmp_path: Path, on: str, off: str) -> None:
    # Every "off" would switch the relay on again: a load drawing from the grid with no surplus.
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("json_on = ON\njson_off = OFF\n", f"json_on = {on}\njson_off = {off}\n"))
    report = problems_of(path)
    assert "[radiator] json_off:" in report and "could never be switched off" in report


def test_distinct_relay_payloads_are_fine(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("json_off = OFF\n", 'json_off = {"switchcmd": "Off"}\n'))
    assert load_settings(path).equipments[1].options["json_off"] == '{"switchcmd": "Off"}'


# --- empty values that --check let through ----------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "where"), [
    # every meter reading was "no '' field": the regulation never started
    ("client_id = pyseb-test\n", "client_id = pyseb-test\njson_power =\n", "[mqtt] json_power: is empty"),
    # the status file was the config's own folder: no save ever succeeded
    ("file = status.json\n", "file =\n", "[status] file: is empty"),
    # relays sent an empty message, which switches none
    ("json_on = ON\n", "json_on =\n", "[radiator] json_on: is empty"),
    ("json_off = OFF\n", "json_off =\n", "[radiator] json_off: is empty"),
])
def test_an_empty_value_that_would_break_the_daemon_is_refused(tmp_path: Path, old: str, new: str,
                                                                where: str) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    assert where in problems_of(path)


# A `key =` left empty where the key has a default was that default without a word (the recorder writing into
# the config's own folder, Home Assistant's prefix, Domoticz's topics, a random MQTT client id), while an empty
# topic_cons or host was refused: every text key with a default refuses an empty value alike.
@pytest.mark.parametrize(("section", "key"), [
    ("record", "dir"), ("mqtt", "client_id"), ("openweathermap", "url"), ("homeassistant", "prefix"),
    ("domoticz", "topic_in"), ("domoticz", "topic_out"), ("domoticz", "ecs_mode_levels"),
    ("ecs", "json_read_power"), ("mqtt", "topic_cons"), ("mqtt", "host"), ("fallback", "deadline"),
])
def test_an_empty_text_key_is_refused_not_taken_for_its_default(tmp_path: Path, section: str, key: str) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    text = re.sub(rf"(?m)^{key} = .*\n", "", text)  # (the test config's own line, if it has one)
    text = (text.replace(f"[{section}]\n", f"[{section}]\n{key} =\n", 1) if f"[{section}]\n" in text
            else text + f"\n[{section}]\n{key} =\n")
    path.write_text(text)
    report = problems_of(path)
    assert f"[{section}] {key}: is empty" in report
    assert report.count(f"[{section}] {key}:") == 1  # one line, not the topic's or host's own as well


def test_an_empty_required_text_key_is_one_problem(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("topic_set_power = cmnd/radiator/POWER\n", "topic_set_power =\n"))
    report = problems_of(path)
    assert report.count("[radiator] topic_set_power:") == 1 and "is empty" in report


# --- the seed's [debug] log_file, checked as every text key ------------------------------------------------
@pytest.mark.parametrize(("lines", "key", "said"), [
    ("log_file = pv.log # the seed's log\n", "log_file", "holds ' #': used as written"),
    ('log_file = "pv.log"\n', "log_file", "is in quotes: used as written"),
    ("log_file = true\nlog_file_name = pv.log # the seed's log\n", "log_file_name", "holds ' #': used as written"),
    ("log_file = yes\nlog_file_name = 'pv.log'\n", "log_file_name", "is in quotes: used as written"),
])
def test_the_seed_s_log_file_is_warned_of_as_other_text_keys(tmp_path: Path, lines: str, key: str,
                                                              said: str) -> None:
    # [logging] file = pv.log # note was warned of; the seed's own spelling of it was not, and the log went to a
    # file named "pv.log # the seed's log" without a word.
    path = write_config(tmp_path, extra=f"\n[debug]\n{lines}")
    warned = [w for w in load_settings(path).warnings if f"[debug] {key}:" in w]
    assert len(warned) == 1 and said in warned[0]


def test_the_seed_s_log_file_is_not_warned_of_where_logging_file_wins(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra="\n[logging]\nfile = pyseb.log\n\n[debug]\nlog_file = pv.log # old\n")
    settings = load_settings(path)
    assert settings.logging.file == tmp_path / "pyseb.log" and not [w for w in settings.warnings if "[debug]" in w]


# --- numbers too large for what reads them ----------------------------------------------------------------
@pytest.mark.parametrize("value", ["1e10", "99999999999", "86401"])
def test_a_status_time_over_a_day_is_refused(tmp_path: Path, value: str) -> None:
    # 1e10 s passed the check, then the saver thread died at its first wait ("timestamp out of range for platform
    # time_t"): the status was never saved again before the stop. A save less often than daily keeps nothing
    # worth it: the status is the day's energy and forces.
    path = write_config(tmp_path, status_time=float(value))
    assert f"[evaluate] status_time: must be <= 86400, got {float(value)}" in problems_of(path)


def test_a_status_time_of_a_day_is_fine(tmp_path: Path) -> None:
    assert load_settings(write_config(tmp_path, status_time=86400)).evaluate.status_time_s == 86400


@pytest.mark.parametrize("value", ["1e303", "1e12"])
def test_a_huge_max_day_mb_is_one_problem_not_a_traceback(tmp_path: Path, value: str) -> None:
    # 1e303 MB, made bytes, was infinity: int() of it raised OverflowError out of the config check, a traceback.
    path = write_config(tmp_path, extra=f"\n[record]\nmax_day_mb = {value}\n")
    assert f"[record] max_day_mb: must be <= 10000, got {float(value)}" in problems_of(path)


LONG_NAME = "x" * 300  # longer than a file name may be (255 bytes)


@pytest.mark.parametrize(("section", "line", "said"), [
    ("status", f"file = {LONG_NAME}", "[status] file: "),
    ("logging", f"file = {LONG_NAME}/pyseb.log", "[logging] file: "),
    ("record", f"dir = {LONG_NAME}", "[record] dir: "),
    ("mqtt", f"tls = true\nca_file = {LONG_NAME}", "[mqtt] ca_file: "),
    ("evaluate", f"timezone = Europe/{LONG_NAME}", f"[evaluate] timezone: unknown time zone 'Europe/{LONG_NAME}'"),
])
def test_a_name_too_long_is_one_problem_not_a_traceback(tmp_path: Path, section: str, line: str, said: str) -> None:
    # The checks' own look at the file (exists, is_dir) raised OSError "File name too long" out of --check.
    path = write_config(tmp_path)
    text = re.sub(rf"(?m)^{line.split(' =')[0]} = .*\n", "", path.read_text())
    path.write_text(text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1) if f"[{section}]\n" in text
                    else text + f"\n[{section}]\n{line}\n")
    report = problems_of(path)
    assert said in report and report.count("\n  ") == 1, report
    if section != "evaluate":
        assert "File name too long" in report
