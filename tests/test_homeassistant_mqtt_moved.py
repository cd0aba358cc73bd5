"""Home Assistant discovery moved, against a real mosquitto and two runs of the real daemon (one status file): a new
node id, or a new prefix and topic_regul at once, and the first run's device is gone from HA, the second's there, and
nothing another publisher retained under the discovery prefix removed (another PySEB's config under the old node id, a
Zigbee bridge's). The same in-process: test_field_homeassistant_moved."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from tests.configs import reading, with_mqtt_lines, write_config
from tests.daemon_process import DaemonProcess
from tests.field_homeassistant import HA
from tests.mqtt_probe import MqttProbe
from tests.test_homeassistant_mqtt import GLOBAL, PER_LOAD, PER_RELAY, FakeHomeAssistant

ENTITIES = GLOBAL + PER_LOAD + PER_RELAY + 1 + 1  # + the ecs tank's "full", + the heater mode select
# Retained by others before PySEB ever ran: a Zigbee bridge's sensor, and another PySEB's entity under the node id the
# first run uses (its availability topic its own).
ZIGBEE = "homeassistant/sensor/0x00158d0001a2b3c4/temperature/config"
ANOTHER = "homeassistant/sensor/pyseb_test/load_boiler_power/config"
FOREIGN = {
    ZIGBEE: {"name": "Temperature", "unique_id": "0x00158d0001a2b3c4_temperature_zigbee2mqtt",
             "state_topic": "zigbee2mqtt/bedroom", "availability_topic": "zigbee2mqtt/bridge/state"},
    ANOTHER: {"name": "boiler power", "unique_id": "pyseb_pyseb_test_load_boiler_power",
              "state_topic": "garage/ha/state", "availability_topic": "garage/availability"},
}


@pytest.fixture
def ha(broker: PrivateBroker, probe: MqttProbe) -> Iterator[FakeHomeAssistant]:
    for topic, config in FOREIGN.items():
        probe.publish(topic, json.dumps(config), retain=True)
    fake = FakeHomeAssistant(broker)
    try:
        fake.wait(lambda: set(FOREIGN) <= set(fake.configs), "the other publishers' configs")
        yield fake
    finally:
        fake.close()


def ours(ha: FakeHomeAssistant, node: str, prefix: str = "homeassistant") -> list[str]:
    with ha.cond:
        return [t for t, c in ha.configs.items() if t.startswith(f"{prefix}/") and t.split("/")[-3] == node
                and str(c.get("availability_topic")).endswith("/availability") and t not in FOREIGN]


def first_run(directory: Path, port: int, ha: FakeHomeAssistant) -> None:
    proc = DaemonProcess(write_config(directory, port=port, period=0.2, meter_timeout=5, extra=HA))
    try:
        ha.wait(lambda: len(ours(ha, "pyseb_test")) == ENTITIES and ha.payloads.get("regul/availability") == b"online",
                "the first run's entities")
    finally:
        assert proc.terminate() == 0, proc.output


def retained(broker: PrivateBroker, *filters: str) -> dict[str, bytes]:
    """What the broker keeps retained under `filters`, as a late subscriber reads it."""
    late = MqttProbe(broker.host, broker.port, filters)
    try:
        time.sleep(0.5)
        return {m.topic: m.payload for m in late.messages if m.retain}
    finally:
        late.close()


def test_a_new_node_id_leaves_one_device_in_home_assistant(tmp_path: Path, broker: PrivateBroker,
                                                           ha: FakeHomeAssistant, probe: MqttProbe) -> None:
    first_run(tmp_path, broker.port, ha)
    # the second run, with a node id of its own: the old device went, with its entities (they showed this one's states)
    proc = DaemonProcess(write_config(tmp_path, port=broker.port, period=0.2, meter_timeout=5,
                                      extra=HA + "node_id = garage\n"))
    try:
        ha.wait(lambda: len(ours(ha, "garage")) == ENTITIES and not ours(ha, "pyseb_test"),
                "the new device alone")
        assert len([t for t in ha.removed if t.split("/")[2] == "pyseb_test"]) == ENTITIES
        probe.publish("smeter/pzem/CONSOMMATION", reading(300))
        probe.publish("smeter/pzem/PRODUCTION", reading(1300))
        assert ha.wait_value("production_power", lambda v: v == 1300.0) == 1300.0
        assert proc.wait_for("removing homeassistant/sensor/pyseb_test/grid_power/config, announced by an earlier "
                             "run under node id 'pyseb_test'", 10), proc.output
        kept = retained(broker, "homeassistant/#")
        assert {t for t in kept if t.split("/")[2] == "pyseb_test"} == {ANOTHER}
        assert ZIGBEE in kept and len([t for t in kept if t.split("/")[2] == "garage"]) == ENTITIES
        assert set(FOREIGN) <= set(ha.configs)
    finally:
        assert proc.terminate() == 0, proc.output
    assert json.loads((tmp_path / "status.json").read_text())["ha_discovery"]["node_id"] == "garage"


def test_a_new_prefix_and_topic_regul_at_once_leave_nothing_behind(tmp_path: Path, broker: PrivateBroker,
                                                                    ha: FakeHomeAssistant) -> None:
    # The record is in the status file, which does not move with topic_regul: both changed at once are found too.
    first_run(tmp_path, broker.port, ha)
    config = with_mqtt_lines(write_config(tmp_path, port=broker.port, period=0.2, meter_timeout=5,
                                          extra=HA.replace("prefix", "x") + "prefix = ha2\n"), "topic_regul = house\n")
    seen = MqttProbe(broker.host, broker.port, ("ha2/#",))
    proc = DaemonProcess(config)
    try:
        ha.wait(lambda: not ours(ha, "pyseb_test"), "the old device gone")
        deadline = time.monotonic() + 15
        while len({m.topic for m in seen.messages if m.payload}) < ENTITIES and time.monotonic() < deadline:
            time.sleep(0.05)  # (every config announced: a late subscriber gets them all retained)
        kept = retained(broker, "homeassistant/#", "regul/#", "house/#", "ha2/#")
        assert {t for t in kept if t.startswith("homeassistant/")} == set(FOREIGN)
        assert "regul/ha/state" not in kept and "house/ha/state" in kept
        assert len([t for t in kept if t.startswith("ha2/")]) == ENTITIES
        config_of_grid = json.loads(kept["ha2/sensor/pyseb_test/grid_power/config"])
        assert config_of_grid["state_topic"] == "house/ha/state"
    finally:
        seen.close()
        assert proc.terminate() == 0, proc.output


def test_another_pyseb_running_at_the_old_place_keeps_its_device(tmp_path: Path, broker: PrivateBroker,
                                                                   ha: FakeHomeAssistant) -> None:
    # A second PySEB made by copying the first one's directory, status file included, given a node id and topic_regul
    # of its own, while the first runs on: its first connect removed the first's entities from HA (their configs are
    # the status file's place's to the letter), gone until the first announced again. The old place's availability
    # topic says `online`: they are left alone, and that is said.
    first_run(tmp_path, broker.port, ha)
    running = DaemonProcess(write_config(tmp_path, port=broker.port, period=0.2, meter_timeout=5, extra=HA))
    try:
        ha.wait(lambda: len(ours(ha, "pyseb_test")) == ENTITIES and ha.payloads.get("regul/availability") == b"online",
                "the first PySEB's entities")
        copy = tmp_path / "copy"
        copy.mkdir()
        (copy / "status.json").write_bytes((tmp_path / "status.json").read_bytes())
        config = with_mqtt_lines(write_config(copy, port=broker.port, period=0.2, meter_timeout=5,
                                              extra=HA + "node_id = garage\n"), "topic_regul = house\n")
        config.write_text(config.read_text().replace("client_id = pyseb-test", "client_id = pyseb-garage"))
        second = DaemonProcess(config)
        try:
            ha.wait(lambda: len(ours(ha, "garage")) == ENTITIES, "the second PySEB's entities")
            # (the removals went before the second's announcement: all would have come by now)
            assert not [t for t in ha.removed if t.split("/")[2] == "pyseb_test"], ha.removed
            assert len(ours(ha, "pyseb_test")) == ENTITIES
            assert second.wait_for("says online: another PySEB runs there now", 10), second.output
            assert "regul/ha/state" in retained(broker, "regul/ha/state")
        finally:
            assert second.terminate() == 0, second.output
    finally:
        assert running.terminate() == 0, running.output


def test_an_online_the_broker_kept_at_the_old_place_is_looked_at_again_at_the_next_restarts(
        tmp_path: Path, broker: PrivateBroker, ha: FakeHomeAssistant, probe: MqttProbe) -> None:
    # The first run's end unheard (a broker restarted with its retained messages, not the `offline` sent while it was
    # down): `online` stays retained at the old place. The move leaves its configs alone, said; the status file forgot
    # the place. Now it is kept and looked at again at the next starts (a few: test_field_homeassistant_left_alone_
    # bound): still `online`, an info line; once it says `offline` (cleared by hand, as the warning says), removed.
    first_run(tmp_path, broker.port, ha)
    probe.publish("regul/availability", "online", retain=True)
    config = with_mqtt_lines(write_config(tmp_path, port=broker.port, period=0.2, meter_timeout=5,
                                          extra=HA + "node_id = garage\n"), "topic_regul = house\n")
    status = tmp_path / "status.json"
    for run in range(2):
        proc = DaemonProcess(config)
        try:
            ha.wait(lambda: len(ours(ha, "garage")) == ENTITIES, "the new device's entities")
            said = "still says online" if run else "says online: another PySEB runs there now"
            assert proc.wait_for(said, 10), (run, proc.output)
            assert len(ours(ha, "pyseb_test")) == ENTITIES and not ha.removed
        finally:
            assert proc.terminate() == 0, proc.output
        assert json.loads(status.read_text())["ha_discovery_left_alone"][0]["node_id"] == "pyseb_test"
    probe.publish("regul/availability", "offline", retain=True)
    proc = DaemonProcess(config)
    try:
        ha.wait(lambda: not ours(ha, "pyseb_test") and len(ours(ha, "garage")) == ENTITIES, "the old device gone")
        assert proc.wait_for("entities announced under", 10), proc.output  # (the wait's end: the place decided)
        assert {t for t in retained(broker, "homeassistant/#") if t.split("/")[2] == "pyseb_test"} == {ANOTHER}
        assert "says online: another PySEB" not in proc.output
    finally:
        assert proc.terminate() == 0, proc.output
    assert "ha_discovery_left_alone" not in json.loads(status.read_text())


def test_a_status_file_whose_record_no_topic_can_hold_stops_nothing(tmp_path: Path, broker: PrivateBroker,
                                                                   ha: FakeHomeAssistant) -> None:
    # A lone surrogate in the saved node id (JSON's "\ud800": a hand edit, a corrupt file): paho raised at the
    # subscribe of the old configs' filter, in the connect's callback, and the daemon stopped, at every start (the
    # record, never read back, saved again). Now it is said and left: the start is the same as without it.
    first_run(tmp_path, broker.port, ha)
    path = tmp_path / "status.json"
    saved = json.loads(path.read_text())
    saved["ha_discovery"]["node_id"] = "pyseb_test\ud800"
    path.write_text(json.dumps(saved))
    proc = DaemonProcess(write_config(tmp_path, port=broker.port, period=0.2, meter_timeout=5,
                                      extra=HA + "node_id = garage\n"))
    try:
        ha.wait(lambda: len(ours(ha, "garage")) == ENTITIES, "the new device's entities")
        assert proc.wait_for("is not where a run announced", 5), proc.output
        time.sleep(0.5)
        assert proc.proc.poll() is None, proc.output
    finally:
        assert proc.terminate() == 0, proc.output


def test_an_old_filter_the_broker_refuses_is_said_as_what_it_costs(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    # A broker whose ACL checks subscriptions (mosquitto's dynamic security) refusing the earlier run's configs'
    # filter (a role for the new node id only): PySEB said an ERROR, "allow it ..., PySEB subscribes again at its next
    # connection", where it never does (read back at the first connect only), and nothing of the old device, left in HA.
    import glob
    import logging
    import threading

    from settings.config import load_settings
    from shell.daemon import Daemon, StopRequest
    from shell.lock import InstanceLock
    from status.store import save_status
    from tests.harness import Harness
    from tests.test_broker_access import dynamic_security_file

    plugins = glob.glob("/usr/lib/*/mosquitto_dynamic_security.so") + glob.glob("/usr/lib/mosquitto_dynamic_secur*")
    assert plugins, "Debian's mosquitto ships mosquitto_dynamic_security.so"
    (tmp_path / "a").mkdir()
    earlier = Harness(write_config(tmp_path / "a", extra=HA + "node_id = old\n"))
    earlier.reg.start(time.time() - 60)
    old_filter = "homeassistant/+/old/+/config"
    security = dynamic_security_file(tmp_path / "dynsec.json", (old_filter,))
    caplog.set_level(logging.INFO)
    with PrivateBroker(extra_conf=f"plugin {plugins[0]}\nplugin_opt_config_file {security}\n") as broker:
        config = with_mqtt_lines(write_config(tmp_path, port=broker.port, period=0.2, meter_timeout=5, extra=HA),
                                 "username = pyseb\npassword = right")
        saved = earlier.reg.status(time.time() - 30)
        assert saved["ha_discovery"]["node_id"] == "old"
        save_status(load_settings(config).status.file, saved)
        daemon = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
        runner = threading.Thread(target=daemon.run)  # (not the main thread: no signal handlers installed)
        runner.start()
        try:
            deadline = time.monotonic() + 10
            while "entities announced" not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            daemon.events.put(StopRequest("SIGTERM"))
            runner.join(30)
        assert not runner.is_alive()
    assert "entities announced under homeassistant/" in caplog.text
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], errors
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and old_filter in r.getMessage()]
    assert len(said) == 1 and "node id 'old'" in said[0] and "not removed" in said[0], caplog.text
