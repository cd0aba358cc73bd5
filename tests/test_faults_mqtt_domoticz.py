"""The fault campaign's Domoticz findings, replayed with the exact payload bytes over a real mosquitto against
regulation.py as a subprocess: junk on a force switch never forces a relay, and a user's On then Off at start and in
steady state, with and without an echoing Domoticz (tests/fault_campaign.py: the campaign's set-up)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.configs import reading
from tests.daemon_process import DaemonProcess
from tests.fault_campaign import (
    CONS,
    DZ_OUT,
    FORCE_IDX,
    MODE,
    PROD,
    RADIATOR,
    STATUS,
    on_off,
    radiator_commands,
    start,
    switch_config,
)
from tests.mqtt_probe import MqttProbe
from tests.test_field_mqtt import FakeDomoticz


@pytest.fixture
def switched(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> Iterator[DaemonProcess]:
    """A daemon whose radiator has a Domoticz force switch (idx 360); the probe plays Domoticz: its answer to the
    request at connect, then the campaign's updates (no echo: Domoticz's default Prevent Loop)."""
    proc = start(switch_config(tmp_path, broker), probe)
    try:
        probe.wait_for("domoticz/in", lambda m: m.payload == b'{"command": "getdeviceinfo", "idx": 360}')
        mark = probe.mark()
        probe.publish(DZ_OUT, on_off(0))  # Domoticz's answer: Off, as the radiator
        forced(probe, mark)  # (a status after it: the answer was read)
        yield proc
    finally:
        proc.close()


def forced(probe: MqttProbe, mark: int) -> bool:
    """The radiator's forced flag in the next status (a force command-free way to make one: readings)."""
    time.sleep(0.25)  # a period (0.2 s) after the last decision
    probe.publish(CONS, reading(300))
    probe.publish(PROD, reading(300))
    doc = json.loads(probe.wait_for(STATUS, after=mark).payload)
    return bool(doc["equipments"][0]["forced"])


def on_then_off(probe: MqttProbe, pause_s: float) -> None:
    """A user's On on the force switch, then Off `pause_s` later: the radiator is commanded ON, then OFF."""
    mark = probe.mark()
    probe.publish(DZ_OUT, on_off(1))
    probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
    time.sleep(pause_s)
    probe.publish(DZ_OUT, on_off(0))
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)


# --- 1. Domoticz junk -------------------------------------------------------------------------------------------

JUNK = [on_off(-1), on_off(2), on_off(3), on_off(-2), on_off(255), on_off(b'"1"'), on_off(b"1.0"), on_off(b"null"),
        on_off(b"true"), b'{"idx": 360, "nvalue": 1}', b'{"idx": 360, "nvalue": 1, "switchType": "Dimmer"}',
        b'{"idx": 360, "nvalue": 2, "switchType": "Selector", "svalue1": "-10"}']


def test_domoticz_junk_never_forces_a_relay(switched: DaemonProcess, probe: MqttProbe) -> None:
    # The campaign forced the relay with nvalue -1, and with 2 on an On/Off switch; their neighbours too.
    for payload in JUNK:
        mark = probe.mark()
        probe.publish(DZ_OUT, payload)
        assert forced(probe, mark) is False, payload
        assert "ON" not in radiator_commands(probe, mark), payload
    # logged (at most 5 of a kind per minute; by the daemon's writer thread, maybe after the status that followed)
    assert switched.wait_for("update dropped", 10, count=5), switched.output


def test_the_values_domoticz_sends_do_force(switched: DaemonProcess, probe: MqttProbe) -> None:
    on_then_off(probe, pause_s=0.0)


# --- 2. a user's On then Off ------------------------------------------------------------------------------------

def test_on_then_off_two_seconds_after_start_without_an_echo(switched: DaemonProcess, probe: MqttProbe) -> None:
    # The campaign's case: nobody echoes what PySEB shows; the user's Off must not be taken for an echo.
    time.sleep(2.0)
    on_then_off(probe, pause_s=1.0)
    assert forced(probe, probe.mark()) is False


def test_on_then_off_at_start_and_in_steady_state_with_an_echoing_domoticz(
        tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    domoticz = FakeDomoticz(broker)
    proc = None
    try:
        proc = start(switch_config(tmp_path, broker, extra="[domoticz]\nprevent_loop = false\n"), probe)
        probe.wait_for(DZ_OUT, lambda m: json.loads(m.payload)["idx"] == FORCE_IDX)  # Domoticz's answer at connect
        for _ in range(2):  # at start (just after the answer), then again in steady state
            on_then_off(probe, pause_s=1.0)
            time.sleep(0.5)
        # A force by regul/mode shows On on the switch (echoed); the user's Off then unforces it.
        mark = probe.mark()
        probe.publish(MODE, b'{"command": "force", "name": "radiator", "power": 1000}')
        probe.wait_for(DZ_OUT, lambda m: json.loads(m.payload).get("nvalue") == 1, after=mark)  # the echo
        probe.publish(DZ_OUT, on_off(0))
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)
        assert forced(probe, probe.mark()) is False
        assert domoticz.state[FORCE_IDX] is True or radiator_commands(probe, mark)[-1] == "OFF"
    finally:
        if proc is not None:
            proc.close()
        domoticz.close()
