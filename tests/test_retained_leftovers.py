"""A retained command left on the broker where PySEB publishes not retained (the seed published its percents and
its domoticz/in orders retained): every device or Domoticz reconnecting takes it as an order behind PySEB's
back. The daemon finds it at connect and clears it when it is one of its loads' commands, and a variator's
echo at a percent not PySEB's gets PySEB's command again (test_field_boots)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell.daemon import Daemon
from shell.link_events import Leftover
from shell.lock import InstanceLock
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe
from values.readings import MAX_PAYLOAD_BYTES

ECS_CMD, DZ_IN, AVAIL = "regul/vload/ECS/cmd", "domoticz/in", "regul/availability"
TOWEL_ON = '{"command": "switchlight", "idx": 359, "switchcmd": "On"}'
TOWEL = f"""
[towel]
max_power = 500
topic_set_power = {DZ_IN}
json_on = {TOWEL_ON}
json_off = {{"command": "switchlight", "idx": 359, "switchcmd": "Off"}}
"""
OTHER_DEVICE = '{"command": "switchlight", "idx": 77, "switchcmd": "On"}'


def retained_now(broker: PrivateBroker, topic: str) -> list[str]:
    """What a new subscriber to `topic` gets at once: its retained message, if any."""
    fresh = MqttProbe(broker.host, broker.port, topics=(topic,), client_id="fresh-subscriber")
    try:
        time.sleep(0.5)
        return [m.text for m in fresh.messages if m.retain]
    finally:
        fresh.close()


def test_the_seed_s_retained_commands_are_cleared_at_connect(tmp_path: Path, broker: PrivateBroker,
                                                             probe: MqttProbe) -> None:
    probe.publish(ECS_CMD, "80", retain=True)
    probe.publish(DZ_IN, TOWEL_ON, retain=True)
    path = write_config(tmp_path, ("ecs", "radiator"), port=broker.port, algorithm="closed_loop")
    path.write_text(path.read_text().replace("radiator = constant", "radiator = constant\ntowel = constant") + TOWEL)
    daemon = DaemonProcess(path)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        deadline = time.monotonic() + 10
        while daemon.output.count("a retained command was left on") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert f"a retained command was left on {ECS_CMD} ('80'" in daemon.output, daemon.output
        assert f"a retained command was left on {DZ_IN}" in daemon.output
        assert retained_now(broker, ECS_CMD) == [] and retained_now(broker, DZ_IN) == []
        # The commands sent again after the clearing: the variator heard the empty message too.
        assert [m.text for m in probe.on(ECS_CMD)][-1] == "0"
        towel = [json.loads(m.payload) for m in probe.on(DZ_IN) if m.payload and b'"idx": 359' in m.payload]
        assert towel[-1]["switchcmd"] == "Off"
    finally:
        daemon.close()


def test_another_device_s_retained_order_is_told_of_and_left(tmp_path: Path, broker: PrivateBroker,
                                                             probe: MqttProbe) -> None:
    probe.publish(DZ_IN, OTHER_DEVICE, retain=True)
    path = write_config(tmp_path, ("ecs",), port=broker.port, algorithm="closed_loop")
    path.write_text(path.read_text().replace("ecs = variable", "ecs = variable\ntowel = constant") + TOWEL)
    daemon = DaemonProcess(path)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        daemon.wait_for("a retained message sits on", 10)
        assert f"a retained message sits on {DZ_IN}" in daemon.output and "left as it is" in daemon.output
        assert retained_now(broker, DZ_IN) == [OTHER_DEVICE]
    finally:
        daemon.close()


def test_a_huge_retained_leftover_is_queued_cut_and_still_told_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    # A Leftover waits for the main loop outside the queue's bounds (not a Message), and a retained payload can be
    # as big as the broker passes (mosquitto: 256 MB), at every reconnect: held whole, one such message on each
    # command topic took that much memory each time. What the daemon does with a leftover needs its first bytes
    # only (a relay's on or off payload to compare, a quote in the log): the rest is not kept, its size is.
    path = write_config(tmp_path, ("ecs",), algorithm="closed_loop")  # (port 9: nothing connects)
    path.write_text(path.read_text().replace("ecs = variable", "ecs = variable\ntowel = constant") + TOWEL)
    daemon = Daemon(load_settings(path), InstanceLock(tmp_path / "test.lock"))
    link = daemon.link
    link._probing = frozenset({ECS_CMD, DZ_IN})  # (as its connection sets it)
    huge = 8 * 1024 * 1024
    cleared: list[tuple[str, bytes]] = []
    monkeypatch.setattr(link, "publish", lambda topic, payload, retain=False: cleared.append((topic, payload)))
    for topic, payload in ((ECS_CMD, b"7" * huge), (DZ_IN, TOWEL_ON.encode() + b" " * huge)):
        link._on_message(link.client, None, SimpleNamespace(topic=topic, payload=payload, retain=True))
        event = daemon.events.get_nowait()
        assert isinstance(event, Leftover) and event.topic == topic
        assert event.size == len(payload) and len(event.payload) == MAX_PAYLOAD_BYTES
        assert event.payload == payload[:MAX_PAYLOAD_BYTES]
        with caplog.at_level(logging.WARNING):
            daemon._on_leftover(event)
    # Any payload on a variator's own topic is one of ours: cleared. On domoticz/in, a payload this big is not
    # the towel's On (its first bytes are): someone else's, left.
    assert cleared == [(ECS_CMD, b"")]
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(said) == 2 and all(f"{huge // 1024} KiB" in line for line in said), said
    assert f"a retained command was left on {ECS_CMD} ('{'7' * 80}'" in said[0]
    assert f"a retained message sits on {DZ_IN}" in said[1] and "left as it is" in said[1]
