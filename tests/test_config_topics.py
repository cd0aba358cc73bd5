"""Every topic of the config checked for what it is used as: a topic PySEB publishes on, or one it reads
(matched exactly). The two configs of the fault campaign (`topic_set_power = cmnd/+/POWER`, an empty
`topic_cons`) are refused with one clear line each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from settings.topics import TopicRole, topic_problem, topic_warning
from tests.configs import write_config
from tests.field_house import field_config

ROOT = Path(__file__).resolve().parent.parent
PROD = "topic_prod = smeter/pzem/PRODUCTION"


@pytest.mark.parametrize("topic, role, fragment", [
    ("", TopicRole.READ, "is empty"),
    ("", TopicRole.PUBLISH, "is empty"),
    ("cmnd/+/POWER", TopicRole.PUBLISH, "wildcard"),
    ("smeter/#", TopicRole.READ, "wildcard"),
    ("a\0b", TopicRole.PUBLISH, "NUL"),
    ("x" * 65536, TopicRole.PUBLISH, "longer than"),
    ("é" * 40000, TopicRole.READ, "longer than"),  # 80,000 bytes of UTF-8
    ("$SYS/pyseb", TopicRole.PUBLISH, "broker's own"),
])
def test_bad_topics(topic: str, role: TopicRole, fragment: str) -> None:
    problem = topic_problem(topic, role)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("topic", ["cmnd/radiator/POWER", "domoticz/in", "regul/vload/ECS/cmd", "a", "/x/",
                                   "x" * 65535])
def test_good_topics(topic: str) -> None:
    assert topic_problem(topic, TopicRole.PUBLISH) is None and topic_problem(topic, TopicRole.READ) is None


@pytest.mark.parametrize("old, new, where", [
    ("topic_set_power = cmnd/radiator/POWER", "topic_set_power = cmnd/+/POWER", "[radiator] topic_set_power"),
    ("topic_cons = smeter/pzem/CONSOMMATION", "topic_cons =", "[mqtt] topic_cons"),
    ("topic_prod = smeter/pzem/PRODUCTION", "topic_prod = smeter/pzem/#", "[mqtt] topic_prod"),
    ("topic_set_power = regul/vload/ECS/cmd", "topic_set_power = regul/vload/ECS/cmd\ntopic_status = regul/+/ECS",
     "[ecs] topic_status"),
    (PROD, PROD + "\ntopic_status = regul/#", "[mqtt] topic_status"),
    (PROD, PROD + "\ntopic_availability = a\0b", "[mqtt] topic_availability"),
    (PROD, PROD + "\ntopic_regul = /", "[mqtt] topic_regul"),
    # (accepted, the daily report's publish met paho's refusal at the first midnight)
    (PROD, PROD + "\ntopic_report = regul/+/report", "[mqtt] topic_report"),
])
def test_each_bad_topic_is_one_problem(tmp_path: Path, old: str, new: str, where: str) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    rendered = caught.value.render()
    assert where in rendered and rendered.count("\n  ") == 1, rendered


def test_domoticz_topics_are_checked_when_used(tmp_path: Path) -> None:
    path = field_config(tmp_path, radiator="domoticz_idx_force = 360\n",
                        extra="\n[domoticz]\ntopic_in = domoticz/+\ntopic_out = domoticz/out/#\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    keys = {(p.section, p.key) for p in caught.value.problems}
    assert keys == {("domoticz", "topic_in"), ("domoticz", "topic_out")}


@pytest.mark.parametrize("old, new, key", [
    ("topic_set_power = cmnd/radiator/POWER", "topic_set_power = cmnd/+/POWER", "topic_set_power"),
    ("topic_cons = smeter/pzem/CONSOMMATION", "topic_cons =", "topic_cons"),
])
def test_the_daemon_refuses_to_start_with_one_line(tmp_path: Path, old: str, new: str, key: str) -> None:
    path = write_config(tmp_path, port=1)  # nothing may be contacted: the config check comes first
    path.write_text(path.read_text().replace(old, new, 1))
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path)], capture_output=True,
                          text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 2
    problems = [line for line in done.stderr.splitlines() if line.startswith("  ")]
    assert len(problems) == 1 and key in problems[0], done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("topic, fragment", [
    ("smeter/ pzem/CONSOMMATION", "a space at the start or end of a level"),
    ("smeter/pzem /CONSOMMATION", "a space at the start or end of a level"),
    ("smeter/pzem/CONSOMMATION/", "an empty level (a / at the end, or //)"),
    ("smeter//pzem/CONSOMMATION", "an empty level (a / at the end, or //)"),
])
def test_suspicious_topics(topic: str, fragment: str) -> None:
    warning = topic_warning(topic)
    assert warning is not None and fragment in warning and repr(topic) in warning


@pytest.mark.parametrize("topic", ["smeter/pzem/CONSOMMATION", "/espeasy/pzem/power", "tele/my plug/SENSOR", "a"])
def test_usual_topics_are_not_suspicious(topic: str) -> None:
    # (a leading / is ESPEasy's older default, `/%sysname%/...`; a space inside a level is a device's name)
    assert topic_warning(topic) is None


@pytest.mark.parametrize("old, new, where", [
    ("topic_cons = smeter/pzem/CONSOMMATION", "topic_cons = smeter/pzem /CONSOMMATION", "[mqtt] topic_cons"),
    ("topic_set_power = cmnd/radiator/POWER", "topic_set_power = cmnd/radiator/POWER/",
     "[radiator] topic_set_power"),
    (PROD, PROD + "\ntopic_regul = regul /pyseb", "[mqtt] topic_regul"),
])
def test_a_suspicious_topic_is_one_warning_at_start_and_in_check(tmp_path: Path, old: str, new: str,
                                                                  where: str) -> None:
    # Valid MQTT, so not refused; but the device publishes on `smeter/pzem/CONSOMMATION`, and PySEB, subscribed to
    # another topic, heard nothing: the meters "silent" with no word of why. (topic_regul's derived topics, status
    # and mode, are not warned of again.)
    path = write_config(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    warned = [w for w in load_settings(path).warnings if "valid MQTT" in w]
    assert len(warned) == 1 and where in warned[0], warned
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 0 and warned[0] in done.stderr, done.stderr


@pytest.mark.parametrize("added, where", [
    ("topic_mode = /regul/mode", "[mqtt] topic_mode"),
    ("topic_regul = /regul", "[mqtt] topic_regul"),
    ("topic_status = /regul/status", "[mqtt] topic_status"),
    ("topic_availability = /regul/availability", "[mqtt] topic_availability"),
    ("topic_report = /regul/report", "[mqtt] topic_report"),
    ("\n[forecast]\ntopic = /forecast/tomorrow", "[forecast] topic"),
])
def test_a_leading_slash_in_pyseb_s_own_topics_is_one_warning_at_start_and_in_check(tmp_path: Path, added: str,
                                                                                    where: str) -> None:
    # `topic_mode = /regul/mode` while the automation sends on regul/mode: valid MQTT, but two topics; the commands
    # never arrived and nothing said why. (No device imposes the shape of PySEB's own topics.)
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace(PROD, PROD + "\n" + added, 1) if added.startswith("topic_") else
                    path.read_text() + added + "\n")
    warned = [w for w in load_settings(path).warnings if "starts with /" in w]
    assert len(warned) == 1 and where in warned[0] and "valid MQTT" in warned[0], warned
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 0 and warned[0] in done.stderr, done.stderr


def test_a_leading_slash_in_a_device_s_topic_is_not_warned(tmp_path: Path) -> None:
    # ESPEasy's older default topics are `/%sysname%/...`: a meter's or a load's topic may well start with one.
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("topic_cons = smeter/pzem/CONSOMMATION",
                                             "topic_cons = /espeasy/pzem/CONSOMMATION", 1))
    assert [w for w in load_settings(path).warnings if "topic_cons" in w] == []
