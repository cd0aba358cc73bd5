"""HA's birth message, retained (an option in HA's MQTT settings), comes back at each subscribe: it is no restart of
HA, and the configs the connect just announced are not sent a second time."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from localbroker import PrivateBroker
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.field_homeassistant import HA, configs, harness
from tests.harness import NOON
from tests.mqtt_probe import MqttProbe

BIRTH = "homeassistant/status"


def test_a_retained_birth_right_after_the_connect_sends_nothing_again(tmp_path: Path) -> None:
    h = harness(tmp_path)  # (connected at NOON: every config announced)
    count = len(configs(h))
    assert count
    h.sent.clear()
    h.reg.handle(BIRTH, b"online", NOON + 0.05)  # the broker's retained copy, at the subscribe
    assert configs(h) == {}
    # A reconnect announces them again, and its retained birth is skipped again
    h.reg.on_connected(NOON + 600)
    assert len(configs(h)) == count
    h.sent.clear()
    h.reg.handle(BIRTH, b"online", NOON + 600.1)
    assert configs(h) == {}


def test_ha_restarting_just_after_the_connect_is_still_heard(tmp_path: Path) -> None:
    # Its `offline` (HA's last will, or its clean stop) says it went: the next `online` is a restart, however soon.
    h = harness(tmp_path)
    count = len(configs(h))
    h.sent.clear()
    h.reg.handle(BIRTH, b"offline", NOON + 1)
    h.reg.handle(BIRTH, b"online", NOON + 2)
    assert len(configs(h)) == count


def test_a_birth_later_than_the_connect_s_echo_is_a_restart(tmp_path: Path) -> None:
    h = harness(tmp_path)
    count = len(configs(h))
    h.sent.clear()
    h.reg.handle(BIRTH, b"online", NOON + 5)  # (no `offline` seen: a will HA was not given, a broker restarted)
    assert len(configs(h)) == count


def test_a_retained_birth_on_the_broker_does_not_double_the_configs(tmp_path: Path, broker: PrivateBroker,
                                                                    probe: MqttProbe) -> None:
    # The real daemon, a real mosquitto holding HA's birth retained: each config goes out once at the start.
    probe.publish(BIRTH, "online", retain=True)
    proc = DaemonProcess(write_config(tmp_path, ("ecs", "radiator"), port=broker.port, period=0.2, meter_timeout=5,
                                      extra=HA))
    try:
        probe.wait_for("regul/ha/state", lambda m: True)
        time.sleep(1.0)  # (the retained birth reaches the daemon at its subscribe: a second round would be here)
        sent = Counter(m.topic for m in probe.messages if m.topic.startswith("homeassistant/")
                       and m.topic.endswith("/config") and m.payload)
        assert sent and set(sent.values()) == {1}, proc.output
        assert proc.terminate() == 0  # (its log then complete: its writer thread's lines come after what it did)
    finally:
        proc.close()
    assert "Home Assistant (re)started" not in proc.output
