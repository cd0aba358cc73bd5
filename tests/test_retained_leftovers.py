"""A retained command left on the broker where PySEB publishes not retained (the seed published its percents and
its domoticz/in orders retained): every device or Domoticz reconnecting takes it as an order behind PySEB's
back. The daemon finds it at connect and clears it when it is one of its loads' commands, and a variator's
echo at a percent not PySEB's gets PySEB's command again (test_field_boots)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from localbroker import PrivateBroker
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe

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
