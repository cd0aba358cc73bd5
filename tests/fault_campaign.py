"""The fault campaign's set-up, shared by test_faults_mqtt.py (the daemon's faults) and test_faults_mqtt_domoticz.py
(Domoticz's): its topics, its On/Off switch update byte for byte, a config with a relay radiator and a small load, and
regulation.py started as a subprocess on the test's private mosquitto."""

from __future__ import annotations

from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.mqtt_probe import MqttProbe

CONS, PROD, MODE, AVAIL = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode", "regul/availability"
RADIATOR, SMALL, STATUS = "cmnd/radiator/POWER", "regul/cload/small", "regul/status"
DZ_OUT = "domoticz/out"
FORCE_IDX = 360  # the radiator's Domoticz force switch


def on_off(nvalue: int | bytes) -> bytes:
    """The campaign's On/Off switch update, byte for byte, with `nvalue`."""
    value = nvalue if isinstance(nvalue, bytes) else str(nvalue).encode()
    return b'{"idx": 360, "nvalue": %s, "switchType": "On/Off"}' % value


def config_for(directory: Path, broker: PrivateBroker, meter_timeout: float = 3, client_id: str = "pyseb-test",
               extra_radiator: str = "", status_time: float = 900, extra: str = "") -> Path:
    path = write_config(directory, ("radiator", "small"), port=broker.port, period=0.2, meter_timeout=meter_timeout,
                        status_time=status_time, client_id=client_id, extra=extra)
    if extra_radiator:
        path.write_text(path.read_text().replace("json_off = OFF\n", "json_off = OFF\n" + extra_radiator, 1))
    return path


def switch_config(directory: Path, broker: PrivateBroker, extra: str = "") -> Path:
    """config_for with the radiator's Domoticz force switch (FORCE_IDX) and meters allowed 30 s of silence."""
    return config_for(directory, broker, meter_timeout=30, extra_radiator=f"domoticz_idx_force = {FORCE_IDX}\n",
                      extra=extra)


def start(path: Path, probe: MqttProbe, *extra: str) -> DaemonProcess:
    proc = DaemonProcess(path, *extra)
    try:
        mark = probe.mark()
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15, after=mark)
        probe.wait_for(RADIATOR, lambda m: m.text == "OFF", after=mark)  # its start: every load to 0 first
    except TimeoutError:
        proc.close()
        pytest.fail(f"daemon did not come online; its output:\n{proc.output}")
    return proc


def radiator_commands(probe: MqttProbe, mark: int) -> list[str]:
    return [m.text for m in probe.messages[mark:] if m.topic == RADIATOR]
