"""The demo's virtual devices against a real private mosquitto: PROTOCOL.md's messages, byte for byte."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from localbroker import PrivateBroker
from simulation.devices import MeterDevice, RelayDevice, StatusMonitor, VariatorDevice
from tests.mqtt_probe import MqttProbe
from values.boots import pzem_reading_period_s

CMD = "regul/vload/ECS/cmd"
STATUS = "regul/vload/ECS"


class Sink:
    """Collects the commands a device hands to the house."""

    def __init__(self) -> None:
        self.got: list[tuple[str, str]] = []
        self.event = threading.Event()

    def __call__(self, topic: str, text: str) -> None:
        self.got.append((topic, text))
        self.event.set()


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def variator(broker: PrivateBroker, probe: MqttProbe, sink: Sink) -> Iterator[VariatorDevice]:
    device = VariatorDevice(broker.host, broker.port, CMD, sink)
    device.start()
    try:
        yield device
    finally:
        device.stop()


def test_variator_boots_then_answers_each_command_with_its_status(variator: VariatorDevice, probe: MqttProbe,
                                                                  sink: Sink) -> None:
    boot = probe.wait_for("regul/vload")
    assert json.loads(boot.payload) == {"type": "vload", "id": "ECS", "fw_version": "1.1b", "PCB": "white",
                                        "chip_id": "1234567", "ip": "10.3.141.20", "OTA": "mqtt"}
    first = probe.wait_for(STATUS)
    assert first.text == '{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'
    mark = probe.mark()
    probe.publish(CMD, "42.5")
    status = probe.wait_for(STATUS, after=mark)
    assert status.text == '{"percent": 42.50, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}'
    assert sink.got == [(CMD, "42.5")]
    mark = probe.mark()
    probe.publish(CMD, "150")  # out of range: ignored by the firmware, no answer
    probe.publish(CMD, "off")
    status = probe.wait_for(STATUS, after=mark)
    assert json.loads(status.payload)["state"] == "OFF" and json.loads(status.payload)["percent"] == 42.5
    assert sink.got[-1] == (CMD, "off") and len(sink.got) == 2


def test_variator_reboot_announces_boot_detected_at_its_default(variator: VariatorDevice, probe: MqttProbe,
                                                                sink: Sink) -> None:
    probe.wait_for(STATUS)
    mark = probe.mark()
    probe.publish(CMD, "60")
    probe.wait_for(STATUS, lambda m: b'"setpower"' in m.payload, after=mark)
    mark = probe.mark()
    variator.reboot()
    again = probe.wait_for(STATUS, after=mark)
    assert json.loads(again.payload) == {"percent": 0, "power": 0, "mode": 0, "state": "ON",
                                         "msg": "boot_detected"}
    assert sink.got[-1] == (CMD, "reboot")  # the house's heater goes back to its default too


def test_relay_hands_over_only_its_own_payloads(broker: PrivateBroker, probe: MqttProbe, sink: Sink) -> None:
    on = '{"command": "switchlight", "idx": 359, "switchcmd": "On" }'
    off = '{"command": "switchlight", "idx": 359, "switchcmd": "Off" }'
    relay = RelayDevice(broker.host, broker.port, "resille", "domoticz/in", on, off, sink)
    relay.start()
    try:
        probe.publish("domoticz/in", '{"idx": 648, "nvalue": 0, "svalue": "-28"}')  # someone else's
        probe.publish("domoticz/in", on)
        assert sink.event.wait(5)
        assert sink.got == [("domoticz/in", on)] and relay.on
    finally:
        relay.stop()


def test_meter_publishes_its_boot_and_readings(broker: PrivateBroker, probe: MqttProbe) -> None:
    # Its boot says how often it reads (the demo's, sped up, read far more often than a PZEM's 2 s: a boot saying
    # 2 s would have the daemon warn of a meter_timeout, shrunk with the demo's speed, too short for it).
    meter = MeterDevice(broker.host, broker.port, "smeter/pzem/CONSOMMATION", reading_period_s=0.25)
    meter.start()
    try:
        boot = probe.wait_for("smeter/pzem")
        assert boot.text.startswith('{ "type": pzem, "id": CONSOMMATION,')
        assert pzem_reading_period_s(boot.payload) == 0.25
        meter.send('{ "voltage": 231.40, "power": 276.00}')
        assert probe.wait_for("smeter/pzem/CONSOMMATION").text == '{ "voltage": 231.40, "power": 276.00}'
    finally:
        meter.stop()


def test_status_monitor_sees_statuses_and_availability(broker: PrivateBroker, probe: MqttProbe) -> None:
    got: list[bytes] = []
    monitor = StatusMonitor(broker.host, broker.port, "regul/status", "regul/availability", got.append)
    monitor.start()
    try:
        probe.publish("regul/availability", "offline", retain=True)
        probe.publish("regul/status", '{"equipments": []}')
        probe.publish("regul/availability", "online", retain=True)
        assert monitor.online.wait(5)
        assert got == [b'{"equipments": []}']
    finally:
        monitor.stop()
