"""The field features end to end: regulation.py as a subprocess on a private mosquitto, with a fake
Domoticz that echoes every update it gets on domoticz/in back on domoticz/out (as Domoticz does): no
loop, the forced state right, the mode selector read, grid and injection published; a rebooted variator
gets its command again."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from localbroker import PrivateBroker
from shell import paho_compat
from tests.configs import point_at, reading
from tests.daemon_process import DaemonProcess
from tests.field_domoticz import ECS_SWITCH, RADIATOR_SWITCH, SELECTOR_IDX, selector, switch
from tests.field_house import ECS_CMD, ECS_STATUS, RADIATOR, VLOAD, field_config
from tests.mqtt_probe import MqttProbe
from tests.test_field_boots import BOOT_DETECTED, PZEM_BOOT, SETPOWER_ECHO, VLOAD_BOOT_NO_OTA

CONS, PROD, MODE, AVAIL = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode", "regul/availability"
DZ_IN, DZ_OUT = "domoticz/in", "domoticz/out"


class FakeDomoticz:
    """A Domoticz on the broker: every switchlight on domoticz/in is applied and echoed on domoticz/out (unless
    `prevent_loop`, Domoticz's default); getdeviceinfo is answered with the device as it is: the mode selector at its
    level, an On/Off switch Off until switched, a selector of `levels` (idx -> level) at its level."""

    def __init__(self, broker: PrivateBroker, selector_level: int = 20, levels: dict[int, int] | None = None,
                 prevent_loop: bool = False) -> None:
        self.selector_level = selector_level
        self.state: dict[int, bool] = {}
        self.levels = dict(levels or {})
        self.last_levels = {idx: level for idx, level in self.levels.items() if level}
        self.prevent_loop = prevent_loop
        self.lock = threading.Lock()
        self.client = paho_compat.new_client("fake-domoticz")
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.subscribe(DZ_IN, qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            doc = json.loads(msg.payload)
        except ValueError:
            return
        idx = doc.get("idx")
        if doc.get("command") == "switchlight":
            on = doc.get("switchcmd") == "On" or int(doc.get("level", 0)) > 0
            with self.lock:
                self.state[idx] = on
                if idx in self.levels:  # (an On goes to the last level above 0, 0 if never set above)
                    level = int(doc.get("level", 0)) if "level" in doc else self.last_levels.get(idx, 0) if on else 0
                    self.levels[idx] = level
                    self.last_levels[idx] = level or self.last_levels.get(idx, 0)
            if not self.prevent_loop:
                client.publish(DZ_OUT, self.device(idx), qos=1)
        elif doc.get("command") == "getdeviceinfo":
            client.publish(DZ_OUT, selector(self.selector_level) if idx == SELECTOR_IDX else self.device(idx), qos=1)

    def device(self, idx: int) -> bytes:
        """The device `idx` as Domoticz publishes it."""
        with self.lock:
            if idx in self.levels:
                return selector(self.levels[idx], idx=idx)
            return switch(idx, self.state.get(idx, False))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def domoticz(broker: PrivateBroker) -> Iterator[FakeDomoticz]:
    dz = FakeDomoticz(broker)
    try:
        yield dz
    finally:
        dz.close()


@pytest.fixture
def daemon(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe, domoticz: FakeDomoticz) -> Iterator[DaemonProcess]:
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                        radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n",
                        extra=f"[domoticz]\nidx_grid = 651\nidx_injection = 648\nidx_ecs_mode = {SELECTOR_IDX}\n"
                              "prevent_loop = false\n")  # (FakeDomoticz echoes our updates)
    text = point_at(path, broker.port).read_text().replace("period = 2.5", "period = 0.2")
    path.write_text(text.replace("meter_timeout = 10", "meter_timeout = 5"))
    proc = DaemonProcess(path)
    try:
        try:
            probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
            # At connect it asks Domoticz for the selector and both switches: the answers.
            for idx in (SELECTOR_IDX, ECS_SWITCH, RADIATOR_SWITCH):
                probe.wait_for(DZ_OUT, lambda m, idx=idx: json.loads(m.payload)["idx"] == idx)
        except TimeoutError:
            pytest.fail(f"daemon did not start as expected; its output:\n{proc.output}")
        yield proc
    finally:
        proc.close()


def switchlights(probe: MqttProbe, after: int) -> list[dict]:
    return [json.loads(m.payload) for m in probe.messages[after:] if m.topic == DZ_IN and b"switchlight" in m.payload]


def status_after(probe: MqttProbe, mark: int, check: Callable[[dict], bool]) -> dict:
    message = probe.wait_for("regul/status", lambda m: check(json.loads(m.payload)), after=mark)
    return dict(json.loads(message.payload))


def test_connect_asks_for_the_switches_and_the_selector(daemon: DaemonProcess, probe: MqttProbe,
                                                         domoticz: FakeDomoticz) -> None:
    for idx in (SELECTOR_IDX, ECS_SWITCH, RADIATOR_SWITCH):
        request = json.dumps({"command": "getdeviceinfo", "idx": idx}).encode()
        assert [m.payload for m in probe.on(DZ_IN)].count(request) == 1
    time.sleep(1.0)
    assert switchlights(probe, 0) == []  # both switches answered Off: they show the loads' state already


def test_a_selector_force_switch_on_from_before_the_start(tmp_path: Path, broker: PrivateBroker,
                                                          probe: MqttProbe) -> None:
    # The radiator's force switch is a selector a user left at level 20 while PySEB was stopped (Domoticz at its
    # default Prevent Loop). Domoticz's answer at connect looks exactly like a user's update: it forced the radiator,
    # and PySEB, not knowing yet the switch was a selector, had already sent it "Off" as to an On/Off switch.
    domoticz = FakeDomoticz(broker, levels={RADIATOR_SWITCH: 20}, prevent_loop=True)
    path = field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n")
    path.write_text(point_at(path, broker.port).read_text().replace("period = 2.5",
                                                                                            "period = 0.2"))
    proc = DaemonProcess(path)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        shown = probe.wait_for(DZ_IN, lambda m: b"switchlight" in m.payload)  # the switch set to what PySEB does
        assert json.loads(shown.payload) == {"command": "switchlight", "idx": RADIATOR_SWITCH,
                                             "switchcmd": "Set Level", "level": 0}
        assert [json.loads(m.payload) for m in probe.on(DZ_IN)][0] == {"command": "getdeviceinfo",
                                                                       "idx": RADIATOR_SWITCH}
        time.sleep(0.5)
        assert [m.text for m in probe.on(RADIATOR)] == ["OFF"]  # the answer forced nothing
        mark = probe.mark()
        probe.publish(MODE, b'{"command": "force", "name": "radiator", "power": 1000}')
        shown = probe.wait_for(DZ_IN, lambda m: b"switchlight" in m.payload, after=mark)
        assert json.loads(shown.payload) == {"command": "switchlight", "idx": RADIATOR_SWITCH,
                                             "switchcmd": "Set Level", "level": 20}  # its level, as a selector
        # (the answer's lines, if any, come before the force's: written once it is, by the daemon's writer thread)
        assert proc.wait_for("forcing radiator to 1000 W until unforced (regul/mode)", 10), proc.output
        assert "by its Domoticz switch" not in proc.output
    finally:
        proc.close()
        domoticz.close()


def test_a_force_shows_once_and_its_echo_does_not_loop(daemon: DaemonProcess, probe: MqttProbe,
                                                      domoticz: FakeDomoticz) -> None:
    mark = probe.mark()
    probe.publish(MODE, b'{"command": "force", "name": "radiator", "power": 1000}')
    probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    probe.wait_for(DZ_OUT, lambda m: json.loads(m.payload) == json.loads(switch(RADIATOR_SWITCH, True)), after=mark)
    time.sleep(1.5)
    assert switchlights(probe, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "On"}]
    probe.publish(CONS, reading(300))
    probe.publish(PROD, reading(300))
    doc = status_after(probe, mark, lambda d: d["power_production"] == 300)
    assert doc["equipments"][1]["forced"] is True and doc["equipments"][1]["forced_by"] == "user"


def test_force_then_unforce_within_a_second(daemon: DaemonProcess, probe: MqttProbe, domoticz: FakeDomoticz) -> None:
    mark = probe.mark()
    probe.publish(MODE, b'{"command": "force", "name": "radiator", "power": 1000}')
    time.sleep(0.3)
    probe.publish(MODE, b'{"command": "unforce", "name": "radiator"}')
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)
    time.sleep(1.5)
    echoes = [m for m in probe.messages[mark:] if m.topic == DZ_OUT]
    assert len(echoes) == 2 and len(switchlights(probe, mark)) == 2
    assert domoticz.state[RADIATOR_SWITCH] is False
    assert [m.text for m in probe.messages[mark:] if m.topic == RADIATOR][-1] == "OFF"


def test_a_user_switch_in_domoticz_forces_and_unforces(daemon: DaemonProcess, probe: MqttProbe) -> None:
    mark = probe.mark()
    probe.publish(DZ_OUT, switch(RADIATOR_SWITCH, True))
    probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    probe.publish(DZ_OUT, switch(RADIATOR_SWITCH, False))
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)
    time.sleep(1.0)
    assert switchlights(probe, mark) == []  # its own change is not sent back to Domoticz


def test_selector_and_grid(daemon: DaemonProcess, probe: MqttProbe) -> None:
    mark = probe.mark()
    probe.publish(DZ_OUT, selector(10))
    probe.publish(CONS, reading(342))
    probe.publish(PROD, reading(2000))
    doc = status_after(probe, mark, lambda d: d["power_production"] == 2000)
    assert doc["water_heater"]["mode"] == "solar" and doc["water_heater"]["mode_source"] == "domoticz"
    grid = probe.wait_for(DZ_IN, lambda m: b'"idx": 651' in m.payload, after=mark)
    injection = probe.wait_for(DZ_IN, lambda m: b'"idx": 648' in m.payload, after=mark)
    assert json.loads(grid.payload) == {"idx": 651, "nvalue": 0, "svalue": "0"}
    assert json.loads(injection.payload) == {"idx": 648, "nvalue": 0, "svalue": "-1658"}


def test_a_rebooted_variator_gets_its_command_again(daemon: DaemonProcess, probe: MqttProbe) -> None:
    probe.publish(CONS, reading(300))
    probe.publish(PROD, reading(1300))
    command = probe.wait_for(ECS_CMD, lambda m: m.text == "49").text
    mark = probe.mark()
    probe.publish(ECS_STATUS, SETPOWER_ECHO.replace(b"42.50", b"49.00"))  # the echo after a command: nothing
    time.sleep(0.5)
    assert probe.on(ECS_CMD)[-1].text == command and not [m for m in probe.messages[mark:] if m.topic == ECS_CMD]
    probe.publish(ECS_STATUS, BOOT_DETECTED)
    assert probe.wait_for(ECS_CMD, after=mark).text == "49"
    assert daemon.wait_for("the variator reports boot_detected", 10), daemon.output


def test_boot_messages_on_their_own_topics_reach_the_daemon(daemon: DaemonProcess, probe: MqttProbe) -> None:
    # PROTOCOL.md: each device announces its boot on the parent of its topic, and often not in JSON: the variator
    # built without OTA (`"ip": "10.3.141.20, "OTA": ...`), the PZEM with unquoted strings. Tested in-process only,
    # a daemon that did not subscribe to regul/vload or smeter/pzem would have passed.
    probe.publish(CONS, reading(300))
    probe.publish(PROD, reading(1300))
    probe.wait_for(ECS_CMD, lambda m: m.text == "49")
    mark = probe.mark()
    probe.publish(VLOAD, VLOAD_BOOT_NO_OTA)
    assert probe.wait_for(ECS_CMD, after=mark).text == "49"
    assert daemon.wait_for("the variator ECS sent its boot message: re-sending its command 49", 10), daemon.output
    probe.publish("smeter/pzem", PZEM_BOOT)
    assert daemon.wait_for("consumption meter booted; it counts as fresh after its next good reading", 10), \
        daemon.output


def test_a_retained_domoticz_update_is_old_news(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    # Domoticz's "Index (with Retain)" publish topic leaves each device's last update retained on domoticz/out/<idx>.
    # With its Prevent Loop (the default) the Off PySEB showed afterwards never replaced it: the radiator's switch
    # still holds the user's On of hours ago, the water heater's selector a level Home Assistant has changed since.
    probe.publish(f"{DZ_OUT}/{RADIATOR_SWITCH}", switch(RADIATOR_SWITCH, True), retain=True)
    probe.publish(f"{DZ_OUT}/{SELECTOR_IDX}", selector(30), retain=True)
    path = field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n",
                        extra=f"[domoticz]\nidx_ecs_mode = {SELECTOR_IDX}\n")
    path.write_text(point_at(path, broker.port).read_text().replace("period = 2.5",
                                                                                            "period = 0.2"))
    proc = DaemonProcess(path)
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        probe.wait_for(DZ_IN, lambda m: b"getdeviceinfo" in m.payload)
        time.sleep(1.0)  # the retained updates came right after the subscription
        assert [m.text for m in probe.on(RADIATOR)] == ["OFF"]  # the start's 0 only: not forced
        assert [m.text for m in probe.on(ECS_CMD)] == ["0"]  # the heater was not forced by the old level
        assert proc.wait_for(f"ignoring a retained message on {DZ_OUT}/{RADIATOR_SWITCH}", 10), proc.output
        probe.wait_for(DZ_IN, lambda m: json.loads(m.payload) == {"command": "getdeviceinfo", "idx": RADIATOR_SWITCH})
        mark = probe.mark()
        probe.publish(f"{DZ_OUT}/{RADIATOR_SWITCH}", switch(RADIATOR_SWITCH, False))  # Domoticz's answer: Off
        probe.publish(f"{DZ_OUT}/{RADIATOR_SWITCH}", switch(RADIATOR_SWITCH, True))  # live: a user's On
        probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    finally:
        proc.close()
