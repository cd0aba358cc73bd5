"""A meter PySEB never got one message from since it connected: off, kept out by the broker, on another topic, or the
broker's ACL does not let PySEB read it (mosquitto grants the subscription and drops the messages without a word). The
stale reason says so; a meter that spoke once, or a link up for less than half of meter_timeout, keeps the plain
"silent"."""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.configs import reading, with_mqtt_lines, write_config
from tests.daemon_process import DaemonProcess
from tests.harness import CONS, NOON, PROD, Harness
from tests.mqtt_probe import MqttProbe

HINT = ("no message on 'smeter/pzem/PRODUCTION' since PySEB connected to the broker: the meter off, kept out by "
        "the broker (mosquitto 2 lets other machines in only with a listener line: a fresh install's does not) or on "
        "another topic, or the broker's ACL does not let PySEB read it")


@pytest.fixture
def relays(tmp_path: Path) -> Harness:
    return Harness(write_config(tmp_path, ("radiator",)))


def test_a_meter_never_heard_since_the_connect_names_the_topic_and_the_acl(relays: Harness,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    relays.reg.on_connected(NOON)
    for second in range(0, 11, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
    relays.reg.tick(NOON + 10.5)
    reason = relays.reg.status(NOON + 10.5)["stale_reason"]
    assert reason == f"production meter silent for 10 s ({HINT})", reason
    assert any(HINT in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_a_meter_heard_once_is_only_silent(relays: Harness) -> None:
    relays.reg.on_connected(NOON)
    relays.meters(300, 1800, NOON)
    for second in range(2, 11, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
    relays.reg.tick(NOON + 10.5)
    assert relays.reg.status(NOON + 10.5)["stale_reason"] == "production meter silent for 10 s"


def test_a_meter_heard_before_a_reconnect_but_not_since_gets_the_hint(relays: Harness) -> None:
    # (the broker restarted with a new ACL: what counts is since the connection PySEB reads through)
    relays.reg.on_connected(NOON)
    relays.meters(300, 1800, NOON)
    relays.reg.on_disconnected(NOON + 1)
    relays.reg.on_connected(NOON + 2)
    for second in range(3, 14, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
    relays.reg.tick(NOON + 13)
    assert HINT in relays.reg.status(NOON + 13)["stale_reason"]


def test_the_hint_comes_once_the_link_has_been_up_long_enough(relays: Harness,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    # (down while the meter went stale: said plainly; up again and still nothing: said again, with the hint)
    relays.reg.on_connected(NOON)
    relays.meters(300, 1800, NOON)
    relays.reg.on_disconnected(NOON + 1)
    for second in range(2, 11, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
    relays.reg.tick(NOON + 10.5)
    assert relays.reg.status(NOON + 10.5)["stale_reason"] == "production meter silent for 10 s"
    relays.reg.on_connected(NOON + 11)
    caplog.set_level(logging.INFO)
    published = len(relays.statuses())
    for second in range(12, 18):
        relays.reg.handle(CONS, reading(300), NOON + second)
    assert HINT in relays.reg.status(NOON + 17)["stale_reason"]
    assert HINT in relays.statuses()[-1]["stale_reason"] and len(relays.statuses()) == published + 1
    assert [r.getMessage() for r in caplog.records if "still suspended" in r.getMessage()] == [
        f"still suspended: production meter silent for 16 s ({HINT})"]


def test_no_hint_while_the_link_is_up_for_less_than_half_meter_timeout(relays: Harness) -> None:
    # (the meter could hardly be heard: the silence says nothing of its topic nor of the ACL)
    relays.reg.on_connected(NOON + 6)
    for second in range(0, 11, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
    relays.reg.tick(NOON + 10.5)
    assert relays.reg.status(NOON + 10.5)["stale_reason"] == "production meter silent for 10 s"


def test_without_the_shell_s_connect_no_hint(relays: Harness) -> None:
    # (in-process use, the simulator: no broker, nothing to say of one)
    for second in range(0, 11, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
    relays.reg.tick(NOON + 10.5)
    assert relays.reg.status(NOON + 10.5)["stale_reason"] == "production meter silent for 10 s"


def test_a_meter_whose_messages_are_all_refused_is_not_called_unheard(relays: Harness) -> None:
    relays.reg.on_connected(NOON)
    for second in range(0, 11, 2):
        relays.reg.handle(CONS, reading(300), NOON + second)
        relays.reg.handle(PROD, b'{"power": "1800 W"}', NOON + second)
    relays.reg.tick(NOON + 10.5)
    reason = relays.reg.status(NOON + 10.5)["stale_reason"]
    assert reason.startswith("production meter without a usable reading") and "ACL" not in reason, reason


@pytest.fixture
def read_denied_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A broker whose user pyseb may read everything but the production meter; the test's probe is anonymous."""
    passwords, acl = tmp_path / "passwd", tmp_path / "acl"
    passwords.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(passwords), "pyseb", "right"], check=True, timeout=30)
    acl.write_text("topic readwrite #\n\nuser pyseb\ntopic write #\ntopic read smeter/pzem/CONSOMMATION\n"
                   "topic read regul/#\ntopic read cmnd/#\n")
    with PrivateBroker(extra_conf=f"allow_anonymous true\npassword_file {passwords}\nacl_file {acl}\n") as broker:
        yield broker


@pytest.mark.mqtt
def test_a_meter_the_acl_hides_from_pyseb_is_said(tmp_path: Path, read_denied_broker: PrivateBroker) -> None:
    config = write_config(tmp_path, ("radiator",), port=read_denied_broker.port, period=0.2, meter_timeout=2)
    with_mqtt_lines(config, "username = pyseb\npassword = right")
    probe = MqttProbe(read_denied_broker.host, read_denied_broker.port)
    daemon = DaemonProcess(config)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=15)
        deadline = time.monotonic() + 15
        while HINT not in daemon.output:
            assert time.monotonic() < deadline, daemon.output
            probe.publish(CONS, reading(300))
            probe.publish(PROD, reading(1800))  # (the broker takes it, and gives it to the probe, not to PySEB)
            time.sleep(0.3)
        assert daemon.terminate() == 0
    finally:
        daemon.close()
        probe.close()
    assert f"s ({HINT}): every unforced load to 0 W" in daemon.output, daemon.output
    assert "consumption meter silent" not in daemon.output, daemon.output
