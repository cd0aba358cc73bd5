"""Home Assistant discovery against a real mosquitto and the real daemon: a fake HA subscribes to
`homeassistant/#`, checks every config against HA's documented keys, renders the entities' states,
drives the controls and sees the loads obey; HA's birth message re-sends discovery; a load removed from
the config has its entities deleted."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from localbroker import PrivateBroker
from shell import paho_compat
from tests.configs import reading, with_mqtt_lines, write_config
from tests.daemon_process import DaemonProcess
from tests.field_homeassistant import HA, PARIS
from tests.field_house import ECS_CMD, RADIATOR
from tests.ha_schema import render, render_last_reset, schema_problems
from tests.mqtt_probe import MqttProbe

CONS, PROD, AVAIL = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/availability"
GLOBAL = 8  # grid, production, consumption, production energy, last decision, suspended, 2 meters stale
PER_LOAD = 5  # power, energy, force switch, force power, force duration
PER_RELAY = 4  # the same but the force power: a relay forced on draws its watts


class FakeHomeAssistant:
    """Reads discovery like HA: a retained config creates or updates an entity, an empty one removes it;
    entities read their state from their state_topic through their value template."""

    def __init__(self, broker: PrivateBroker) -> None:
        self.configs: dict[str, dict[str, Any]] = {}  # discovery topic -> config
        self.removed: list[str] = []
        self.payloads: dict[str, bytes] = {}  # last payload per topic (states, availability)
        self.cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = paho_compat.new_client("fake-home-assistant")
        paho_compat.on_connect(self.client, lambda c, failure: c.subscribe([("homeassistant/#", 1),
                                                                            ("regul/#", 1)]))
        paho_compat.on_subscribe(self.client, lambda c, mid, refused: self._subscribed.set())
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        assert self._subscribed.wait(10), "fake HA could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self.cond:
            if msg.topic.startswith("homeassistant/") and msg.topic.endswith("/config"):
                if msg.payload:
                    self.configs[msg.topic] = json.loads(msg.payload)
                elif self.configs.pop(msg.topic, None) is not None or msg.retain is False:
                    self.removed.append(msg.topic)
            else:
                self.payloads[msg.topic] = bytes(msg.payload)
            self.cond.notify_all()

    def wait(self, check: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
        with self.cond:
            if not self.cond.wait_for(check, timeout=timeout_s):
                pytest.fail(f"fake HA: {what} did not happen within {timeout_s} s; configs: "
                            f"{sorted(self.configs)}; payloads: {sorted(self.payloads)}")

    def entity(self, object_id: str) -> dict[str, Any]:
        with self.cond:
            found = [c for t, c in self.configs.items() if t.split("/")[3] == object_id]
        assert found, f"no entity {object_id}"
        return found[0]

    def value(self, object_id: str) -> Any:
        """The entity's state as HA renders it ('unavailable' when its availability topic says offline)."""
        config = self.entity(object_id)
        with self.cond:
            if self.payloads.get(config["availability_topic"]) != config["payload_available"].encode():
                return "unavailable"
            state = self.payloads.get(config["state_topic"])
        return None if state is None else render(config, json.loads(state))

    def wait_value(self, object_id: str, wanted: Callable[[Any], bool], timeout_s: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.value(object_id)
            if wanted(value):
                return value
            time.sleep(0.05)
        pytest.fail(f"fake HA: {object_id} is {self.value(object_id)!r}")

    def set(self, object_id: str, payload: str) -> None:
        """What HA does when a user flips a switch, types a number or picks an option."""
        self.client.publish(self.entity(object_id)["command_topic"], payload, qos=1).wait_for_publish(5)

    def restart(self) -> None:
        """HA's restart: its `offline` (its clean stop; its last will when it dies), then its birth message."""
        with self.cond:
            self.configs.clear()
        self.client.publish("homeassistant/status", "offline", qos=1).wait_for_publish(5)
        self.client.publish("homeassistant/status", "online", qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def ha_config(directory: Path, port: int, loads: tuple[str, ...] = ("ecs", "radiator")) -> Path:
    path = write_config(directory, loads, port=port, period=0.2, meter_timeout=5, extra=HA)
    return path


@pytest.fixture
def ha(broker: PrivateBroker) -> Iterator[FakeHomeAssistant]:
    fake = FakeHomeAssistant(broker)
    try:
        yield fake
    finally:
        fake.close()


def start(config: Path, ha: FakeHomeAssistant, entities: int) -> DaemonProcess:
    proc = DaemonProcess(config)
    try:
        ha.wait(lambda: len(ha.configs) == entities and "regul/ha/state" in ha.payloads
                and ha.payloads.get(AVAIL) == b"online", f"{entities} entities, a state, online")
    except BaseException:
        print(proc.output)
        proc.close()
        raise
    return proc


def test_discovery_controls_restart_and_removal(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe,
                                               ha: FakeHomeAssistant) -> None:
    entities = GLOBAL + PER_LOAD + PER_RELAY + 1 + 1  # + the ecs tank's "full", + the heater mode select
    started_at = time.time()
    proc = start(ha_config(tmp_path, broker.port), ha, entities)
    try:
        for topic, config in ha.configs.items():
            assert schema_problems(topic.split("/")[1], config) == [], (topic, config)
        assert ha.value("load_radiator_force") == "OFF" and ha.value("water_heater_mode") == "solar+fallback"

        # readings: the heater takes the surplus, HA shows it
        probe.publish(CONS, reading(300))
        probe.publish(PROD, reading(1300))
        probe.wait_for(ECS_CMD, lambda m: m.text == "49")
        assert ha.wait_value("load_ecs_power", lambda v: v == 980.0) == 980.0
        assert ha.value("production_power") == 1300.0 and ha.value("consumption_stale") == "OFF"

        # the energies' last_reset, in the retained state a late HA reads: started with no status file, the
        # energies count from the start (in [evaluate] timezone; a test run across midnight: that midnight)
        late = MqttProbe(broker.host, broker.port, ("regul/ha/state",))
        try:
            late.wait_for("regul/ha/state", lambda m: m.retain)
            retained = json.loads([m for m in late.messages if m.retain][-1].text)
        finally:
            late.close()
        for object_id in ("production_energy", "load_ecs_energy", "load_radiator_energy"):
            assert ha.entity(object_id)["state_class"] == "total"
            last_reset = render_last_reset(ha.entity(object_id), retained)
            assert last_reset.utcoffset() == last_reset.astimezone(PARIS).utcoffset()
            assert int(started_at) <= last_reset.timestamp() <= time.time()

        # controls: the radiator's force switch, the heater's force power, the mode select
        mark = probe.mark()
        ha.set("load_radiator_force", "ON")
        probe.wait_for(RADIATOR, lambda m: m.text == "ON", after=mark)
        ha.wait_value("load_radiator_force", lambda v: v == "ON")
        ha.set("load_ecs_force_power", "500")
        ha.wait_value("load_ecs_force_power", lambda v: v == 500)
        ha.set("load_ecs_force", "ON")
        probe.wait_for(ECS_CMD, lambda m: m.text == "25", after=mark)
        ha.set("water_heater_mode", "off")
        probe.wait_for(ECS_CMD, lambda m: m.text == "0", after=mark)
        ha.wait_value("water_heater_mode", lambda v: v == "off")
        ha.wait_value("load_ecs_force", lambda v: v == "OFF")

        # a bad command: refused, logged, nothing sent
        mark = probe.mark()
        ha.set("load_ecs_force_duration", "-5")
        ha.set("water_heater_mode", "turbo")
        time.sleep(0.8)
        assert [m for m in probe.messages[mark:] if m.topic in (ECS_CMD, RADIATOR)] == []
        assert proc.wait_for("the duration must be >= 0 minutes, a finite number, got -5", 10), proc.output
        assert proc.wait_for("not a mode", 10), proc.output

        # HA restarts: its birth message brings every config back
        ha.restart()
        ha.wait(lambda: len(ha.configs) == entities, "discovery sent again after HA's birth message")
        assert proc.terminate() == 0
        ha.wait(lambda: ha.payloads.get(AVAIL) == b"offline", "offline on a clean stop")
        assert ha.value("grid_power") == "unavailable"
    finally:
        proc.close()

    # the radiator is removed from the config: its entities disappear, the broker keeps no trace
    proc = start(ha_config(tmp_path, broker.port, ("ecs",)), ha, GLOBAL + PER_LOAD + 2)
    try:
        assert not [t for t in ha.configs if "radiator" in t]
        assert sorted(t.split("/")[3] for t in ha.removed) == sorted(f"load_radiator_{w}" for w in (
            "power", "energy", "force", "force_duration"))
        late = MqttProbe(broker.host, broker.port, ("homeassistant/#",))
        try:
            time.sleep(0.5)
            retained = {m.topic for m in late.messages if m.retain}
            assert len(retained) == GLOBAL + PER_LOAD + 2 and not [t for t in retained if "radiator" in t]
        finally:
            late.close()
    finally:
        assert proc.terminate() == 0


def test_two_instances_on_one_broker_announce_apart(tmp_path: Path, broker: PrivateBroker) -> None:
    """Two houses (or a test instance beside the real one) on one broker: each with its own [mqtt] client_id (the
    broker allows one connection per id) and topic_regul. Their discovery topics, unique ids, devices and entity ids
    do not meet, and neither one's clean-up of stale configs removes the other's."""
    entities = GLOBAL + PER_LOAD + PER_RELAY + 1 + 1
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_config(tmp_path / "a", port=broker.port, period=0.2, client_id="pyseb", extra=HA)
    second = with_mqtt_lines(write_config(tmp_path / "b", port=broker.port, period=0.2, extra=HA),
                             "topic_regul = regul2\n")
    seen = MqttProbe(broker.host, broker.port, ("homeassistant/#",))

    def announced() -> dict[str, dict[str, Any]]:
        return {m.topic: json.loads(m.payload) for m in seen.messages if m.payload}

    def by_node() -> dict[str, dict[str, dict[str, Any]]]:
        nodes: dict[str, dict[str, dict[str, Any]]] = {}
        for topic, config in announced().items():
            nodes.setdefault(topic.split("/")[2], {})[topic] = config
        return nodes

    def both_announced() -> bool:
        nodes = by_node()
        return sorted(nodes) == ["pyseb", "pyseb_test"] and all(len(c) == entities for c in nodes.values())

    procs = [DaemonProcess(first)]
    try:
        seen.wait_for("homeassistant/sensor/pyseb/grid_power/config")
        procs.append(DaemonProcess(second))
        deadline = time.monotonic() + 15
        while not both_announced() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert both_announced(), (sorted(by_node()), [p.output for p in procs])
        # the first one restarted beside the second: its clean-up reads back its own configs only
        assert procs[0].terminate() == 0
        mark = seen.mark()
        procs[0] = DaemonProcess(first)
        seen.wait_for("homeassistant/sensor/pyseb/grid_power/config", after=mark)
        time.sleep(0.5)
        assert not [m.topic for m in seen.messages[mark:] if not m.payload], "a config was removed"
        assert both_announced()
    finally:
        for proc in procs:
            proc.close()
        seen.close()

    a, b = by_node()["pyseb"].values(), by_node()["pyseb_test"].values()
    for key in ("unique_id", "default_entity_id", "state_topic", "availability_topic", "command_topic"):
        mine, theirs = {c.get(key) for c in a} - {None}, {c.get(key) for c in b} - {None}
        assert mine and theirs and not mine & theirs, key
    devices = {(c["device"]["name"], tuple(c["device"]["identifiers"])) for c in [*a, *b]}
    assert devices == {("PySEB", ("pyseb_pyseb",)), ("PySEB test", ("pyseb_pyseb_test",))}
    for config in [*a, *b]:
        assert schema_problems(config["default_entity_id"].split(".")[0], config) == []


def test_two_instances_whose_client_ids_make_one_node_id_are_said(tmp_path: Path, broker: PrivateBroker) -> None:
    """Client ids pyseb-2 and pyseb_2 (the broker takes both) make one node id, pyseb_2: one device in Home Assistant,
    each announcement replacing the other's entities, and neither daemon said a word. The one running hears the other
    announce under its node id, and says it."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_config(tmp_path / "a", port=broker.port, period=0.2, client_id="pyseb-2", extra=HA)
    second = write_config(tmp_path / "b", port=broker.port, period=0.2, client_id="pyseb_2", extra=HA)
    second.write_text(second.read_text().replace("client_id = pyseb_2\n",
                                                 "client_id = pyseb_2\ntopic_regul = regul2\n"))
    seen = MqttProbe(broker.host, broker.port, ("homeassistant/#",))
    procs = [DaemonProcess(first)]
    try:
        seen.wait_for("homeassistant/sensor/pyseb_2/grid_power/config")
        procs.append(DaemonProcess(second))
        said = ("another PySEB (availability topic regul2/availability; this one's regul/availability) announces "
                "its entities under node id 'pyseb_2', this PySEB's (made of [mqtt] client_id 'pyseb-2'")
        assert procs[0].wait_for(said, 20), procs[0].output[-3000:]
    finally:
        for proc in procs:
            proc.close()
        seen.close()


def test_discovery_turned_off_removes_the_entities_announced(tmp_path: Path, broker: PrivateBroker,
                                                             ha: FakeHomeAssistant) -> None:
    """Discovery on, then off: the next start removes every config the first one left retained (and its state
    document); HA kept the entities, `online`, showing the last state, for good."""
    entities = GLOBAL + PER_LOAD + PER_RELAY + 1 + 1
    start(ha_config(tmp_path, broker.port), ha, entities).close()
    (tmp_path / "off").mkdir()
    proc = DaemonProcess(write_config(tmp_path / "off", port=broker.port, period=0.2, meter_timeout=5))
    try:
        ha.wait(lambda: not ha.configs and len(ha.removed) == entities, "every entity removed")
        late = MqttProbe(broker.host, broker.port, ("homeassistant/#", "regul/ha/#"))
        try:
            time.sleep(0.5)
            assert [m.topic for m in late.messages if m.retain] == []
        finally:
            late.close()
    finally:
        assert proc.terminate() == 0, proc.output
