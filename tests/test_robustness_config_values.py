"""Config values --check let through that broke the daemon: a relay's off payload its on payload, empty values
(a text key's default taken silently), the seed's [debug] log_file, numbers too large for what reads them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings.config import load_settings
from tests.config_problems import problems_of
from tests.configs import write_config
from tests.field_house import field_config
from tests.harness import Harness


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


@pytest.mark.parametrize("word", ["nok", "NOK", "false", "no", "off"])
def test_the_seed_s_words_for_no_log_file_write_no_file(tmp_path: Path, word: str) -> None:
    # The seed's debug_log took none, false and nok for "no log file": `log_file = nok` wrote the log to a file
    # named nok, and the journal got nothing.
    path = write_config(tmp_path, extra=f"\n[debug]\nlog_file = {word}\n")
    assert load_settings(path).logging.file is None


@pytest.mark.parametrize("word", ["false", "NOK"])
def test_the_seed_s_words_for_no_meter_are_no_topic(tmp_path: Path, word: str) -> None:
    # `topic_read_power = false` (or nok), the seed's "no meter": a topic named false, waited for all day.
    path = field_config(tmp_path, ecs=f"topic_read_power = {word}\n")
    h = Harness(path)
    ecs = h.load("ecs")
    assert ecs.topic_read_power is None and ecs.full_detection == "inferred"
    # ...nor subscribed to as a meter's, nor its boots looked for there (the regulator read the option as written)
    assert word not in h.reg.reading_topics() and word not in h.reg.subscriptions()


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


@pytest.mark.parametrize(("lines", "said"), [
    # (1e307 Wh passed, and the check's own notes raised OverflowError: a traceback, the daemon not started)
    ("\n[fallback]\nmin_energy_wh = 1e307\n", "[fallback] min_energy_wh: must be <= 1000000, got 1e+307"),
    ("\n[fallback]\nlow_nrj_today_winter = 1e308\n", "[fallback] low_nrj_today_winter: must be <= 1000000"),
    ("\n[fallback]\nstart_margin_s = 1e9\n", "[fallback] start_margin_s: must be <= 86400"),
    ("max_power = 1000", "[radiator] max_power: must be <= 100000"),
    ("max_meter_power = 50", "[evaluate] max_meter_power: must be >= 100"),
])
def test_a_number_past_any_house_s_is_one_problem_not_a_traceback(tmp_path: Path, lines: str, said: str) -> None:
    path = write_config(tmp_path, extra=lines if lines.startswith("\n") else "")
    text = path.read_text()
    if lines.startswith("max_power"):
        path.write_text(text.replace(lines, "max_power = 1e308"))
    elif lines.startswith("max_meter"):
        path.write_text(text.replace("status_interval = 1\n", f"status_interval = 1\n{lines}\n"))
    assert said in problems_of(path), problems_of(path)


def test_a_max_meter_power_under_the_loads_together_is_warned(tmp_path: Path) -> None:
    # (their readings refused as glitches once all are on: every load to 0 W, again and again)
    path = write_config(tmp_path, ("ecs", "radiator"))
    path.write_text(path.read_text().replace("status_interval = 1\n", "status_interval = 1\nmax_meter_power = 2500\n"))
    settings = load_settings(path)
    assert [w.split(": ", 1)[1] for w in settings.warnings if "max_meter_power" in w] == [
        "[evaluate] max_meter_power: 2500 W is under the loads' 3000 W together: the house meter reads more with them "
        "all on, and such readings are refused as glitches (every load to 0 W); it must also be over what the panels "
        "produce"]
    assert not [w for w in load_settings(write_config(tmp_path, ("ecs", "radiator"))).warnings if "max_meter" in w]


@pytest.mark.parametrize(("prefix", "said"), [
    # (taken: "19 entities announced under $SYS/" in the log, none in Home Assistant: the broker drops them)
    ("$SYS", "[homeassistant] prefix: '$SYS' starts with $: such topics are the broker's own"),
    ("ha/#", "[homeassistant] prefix: 'ha/#' has a wildcard (+ or #)"),
    ("/", "[homeassistant] prefix: '/' is not a topic prefix (not empty, not only /)"),
])
def test_a_discovery_prefix_no_config_can_be_published_under_is_refused(tmp_path: Path, prefix: str,
                                                                       said: str) -> None:
    path = write_config(tmp_path, extra=f"\n[homeassistant]\ndiscovery = true\nprefix = {prefix}\n")
    assert said in problems_of(path), problems_of(path)


@pytest.mark.parametrize(("node_id", "made"), [("$SYS", "sys"), ("a/+/#", "a")])
def test_a_node_id_with_a_dollar_or_wildcards_becomes_one_topic_level(tmp_path: Path, node_id: str, made: str) -> None:
    # (a guard, no fault found) A node id is one level of the config topics PySEB publishes and subscribes to (and of
    # the old place's filter the next start reads back): only a-z, digits and _ are kept, as its help says.
    path = write_config(tmp_path, extra=f"\n[homeassistant]\ndiscovery = true\nnode_id = {node_id}\n")
    settings = load_settings(path)  # (no ConfigError)
    assert settings.field.homeassistant.node_id == made
    assert not [w for w in settings.warnings if "[homeassistant]" in w]


LONG_NAME = "x" * 300  # longer than a file name may be (255 bytes)


@pytest.mark.parametrize(("section", "line", "said"), [
    ("status", f"file = {LONG_NAME}", "[status] file: "),
    ("logging", f"file = {LONG_NAME}/pyseb.log", "[logging] file: "),
    ("record", f"dir = {LONG_NAME}", "[record] dir: "),
    ("mqtt", f"tls = true\nca_file = {LONG_NAME}", "[mqtt] ca_file: "),
    ("evaluate", f"timezone = Europe/{LONG_NAME}", f"[evaluate] timezone: unknown time zone 'Europe/{LONG_NAME}'"),
    ("ecs", f"calibration = {LONG_NAME}.csv", "[ecs] calibration: "),
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
