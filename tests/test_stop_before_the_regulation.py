"""What a stop says and keeps when it comes early or after a flood. A status file set aside at the start (dated ahead:
a Pi booted with its clock behind; a restore that failed part way) keeps only what keeps a load off, in memory: a stop
before the first connection saved nothing ("left as it was"), and the next start, finding no file, started clean: the
force at 0 W gone, a removed load left on for good. The flood limiter said what it held back only when its minute
ended: at a stop, never; and every restore warning was one kind, the sixth removed load left on said nowhere."""

from __future__ import annotations

import json
import time
from pathlib import Path

from localbroker import PrivateBroker, free_port
from tests.configs import write_config
from tests.daemon_process import DaemonProcess
from tests.fault_campaign import MODE, config_for, start
from tests.mqtt_probe import MqttProbe


def test_a_file_set_aside_then_a_stop_before_the_first_connection_keeps_what_keeps_loads_off(tmp_path: Path) -> None:
    config = write_config(tmp_path, ("radiator",), port=free_port(), meter_timeout=30)  # (nothing listens there)
    removed = [{"name": f"heater{i}", "type": "constant", "current_power": 1500.0, "energy": 10.0, "command": "ON",
                "off_command": {"topic": f"cmnd/heater{i}/POWER", "payload": "OFF", "retain": True}} for i in range(7)]
    radiator = {"name": "radiator", "type": "constant", "current_power": 0.0, "energy": 10.0, "command": "OFF",
                "forced": True, "forced_power": 0.0, "force_end": None, "forced_by": "user"}
    status = tmp_path / "status.json"
    dated = int(time.time() + 30 * 86400)  # (a clock a month behind: a dead RTC battery)
    status.write_text(json.dumps({"schema_version": 1, "date": dated, "equipments": [radiator, *removed]}))
    daemon = DaemonProcess(config, "--log-level", "INFO")
    try:
        assert daemon.wait_for("cannot connect to the broker", timeout_s=20), daemon.output
        assert daemon.terminate() == 0
    finally:
        daemon.close()
    assert "restored only what keeps a load off: radiator (0 W until unforced)" in daemon.output
    for i in range(7):  # (each said: a kind of its own for the flood limiter)
        assert f"heater{i} is no longer configured but was left on" in daemon.output, i
    assert "left as it was" not in daemon.output and f"status saved to {status}" in daemon.output
    saved = json.loads(status.read_text())
    # Dated as the file was, the best time known: dated by the clock a month behind, the next start with the clock set
    # right found the force "until unforced" older than the 7 days one may last, and dropped it.
    assert saved["date"] == dated
    kept = next(entry for entry in saved["equipments"] if entry["name"] == "radiator")
    assert kept["forced"] and kept["forced_power"] == 0.0 and kept["force_end"] is None
    assert sorted(entry["name"] for entry in saved["pending_offs"]) == [f"heater{i}" for i in range(7)]


def test_what_a_flood_held_back_is_said_at_the_stop(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    daemon = start(config_for(tmp_path, broker, meter_timeout=30), probe, "--log-level", "INFO")
    try:
        for i in range(40):
            probe.client.publish(MODE, b"junk%d" % i, qos=1)
        assert daemon.wait_for("mode command refused", timeout_s=10)
        time.sleep(1)
    finally:
        assert daemon.terminate() == 0
    lines = daemon.output.splitlines()
    assert len([line for line in lines if "mode command refused" in line and "held back" not in line]) == 5
    assert "35 more log lines like 'mode command refused" in daemon.output, daemon.output[-3000:]
