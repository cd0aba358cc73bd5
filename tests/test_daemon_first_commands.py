"""The daemon's first commands go out after the link said connected (its subscriptions made), not at its first timer
pass: published while the connection was being made, they reached the broker before PySEB's subscriptions, and the
check that the broker passes PySEB's messages on said at most starts that a plain broker's ACL refused them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell.daemon import Daemon, StopRequest
from shell.link_events import Connected
from shell.lock import InstanceLock
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe


def run_loop_for(built: Daemon, seconds: float, *events: object) -> None:
    """The daemon's main loop for `seconds` (with `events` queued first), then a stop request."""
    for event in events:
        built.events.put(event)
    loop = threading.Thread(target=built._loop, name="test-loop")
    loop.start()
    time.sleep(seconds)
    built.events.put(StopRequest("SIGTERM"))
    loop.join(timeout=10)
    assert not loop.is_alive()


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Daemon, list[str]]:
    # (a port no broker listens on, and the link never started: the connection is "being made" for the whole test)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9))
    built = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    sent: list[str] = []
    monkeypatch.setattr(built.link, "publish", lambda topic, payload, retain=False, qos=1: sent.append(topic))
    return built, sent


def test_nothing_is_published_before_the_link_is_connected(daemon: tuple[Daemon, list[str]]) -> None:
    built, sent = daemon
    run_loop_for(built, 0.5)  # the timers' passes run (every TICK_S), no Connected yet
    assert sent == []


def test_the_loads_are_commanded_once_connected(daemon: tuple[Daemon, list[str]]) -> None:
    built, sent = daemon
    run_loop_for(built, 0.5, Connected(time.time(), first=True))
    assert {"regul/vload/ECS/cmd", "cmnd/radiator/POWER"} <= set(sent)


def test_on_a_real_broker_the_commands_follow_online(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    # `online` is published right after the subscriptions: a command before it reached the broker before them
    # (four starts in five, on a loopback broker, before the fix).
    config = write_config(tmp_path, ("ecs", "radiator"), port=broker.port, meter_timeout=30)
    daemon = DaemonProcess(config)
    try:
        probe.wait_for("regul/availability", lambda m: m.text == "online", timeout_s=15)
        probe.wait_for("cmnd/radiator/POWER", timeout_s=10)
    finally:
        daemon.close()
    order = [m.topic for m in probe.messages if m.topic in ("regul/availability", "cmnd/radiator/POWER",
                                                             "regul/vload/ECS/cmd")]
    assert order[0] == "regul/availability", order
