"""Home Assistant discovery moved: a run announced under another node id, prefix or topic_regul than this one (the
status file says where, `ha_discovery`), and the configs it left retained there are removed at the connect, ours only
(their unique id and availability topic the earlier run's); the new entities announced after them. In-process: the
broker's retained copies handed to `handle` as they come at the connect. Against a real mosquitto and two daemon
runs: test_homeassistant_mqtt_moved."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.configs import with_mqtt_lines, write_config
from tests.field_homeassistant import HA, STATE
from tests.harness import NOON, Harness

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)


def first_run(directory: Path, extra: str = HA, loads: tuple[str, ...] = ("ecs", "radiator"),
              mqtt_lines: str = "") -> tuple[dict[str, str], dict[str, Any]]:
    """The configs a run announced (topic -> payload) and the status document it saved."""
    directory.mkdir()
    h = Harness(with_mqtt_lines(write_config(directory, loads, extra=extra), mqtt_lines))
    h.reg.start(NOON - 3600)
    h.reg.on_connected(NOON - 3600)
    announced = {t: p for t, p, r in h.sent if t.endswith("/config") and r and p}
    return announced, h.reg.status(NOON - 60)


def next_run(directory: Path, saved: dict[str, Any], extra: str = HA, mqtt_lines: str = "",
             loads: tuple[str, ...] = ("ecs", "radiator")) -> tuple[Harness, list[str]]:
    """A run with another config, restored from `saved`, connected at NOON; its restore's warnings."""
    directory.mkdir()
    h = Harness(with_mqtt_lines(write_config(directory, loads, extra=extra), mqtt_lines))
    warnings = h.reg.restore(saved, NOON)
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    return h, warnings


def removed(h: Harness) -> list[str]:
    return sorted(t for t, p, r in h.sent if p == "" and r)


def announced_now(h: Harness) -> list[str]:
    return [t for t, p, r in h.sent if t.endswith("/config") and r and p]


def test_a_new_node_id_removes_the_old_device_before_announcing_the_new(tmp_path: Path) -> None:
    # The node id changed (here [homeassistant] node_id set; a new [mqtt] client_id, its default, alike): the old
    # configs, under pyseb_test, stayed retained, their device beside the new one in HA, showing the same states
    # (their state topic is this run's too), until deleted by hand.
    old, saved = first_run(tmp_path / "a")
    assert saved["ha_discovery"] == {"prefix": "homeassistant", "node_id": "pyseb_test",
                                     "availability_topic": "regul/availability", "state_topic": "regul/ha/state"}
    h, warnings = next_run(tmp_path / "b", saved, HA + "node_id = garage\n")
    assert warnings == []
    assert "homeassistant/+/pyseb_test/+/config" in h.reg.subscriptions()
    assert announced_now(h) == []  # (the first connect's announcement waits for them: EARLIER_WAIT_S)
    grid = json.loads(old["homeassistant/sensor/pyseb_test/grid_power/config"])
    for topic, payload in old.items():  # retained: they come at the connect
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    # not ours: another instance's config under that node id (another availability topic), one live, junk
    boiler = "homeassistant/sensor/pyseb_test/load_boiler_power/config"
    another = {**grid, "unique_id": "pyseb_pyseb_test_load_boiler_power", "availability_topic": "garage/availability"}
    h.reg.handle(boiler, json.dumps(another).encode(), NOON + 0.1, retained=True)
    live = {**grid, "unique_id": "pyseb_pyseb_test_load_boiler_power"}  # (the earlier availability topic, but live)
    h.reg.handle(boiler, json.dumps(live).encode(), NOON + 0.1)
    h.reg.handle("homeassistant/sensor/pyseb_test/x/config", json.dumps(grid).encode(), NOON + 0.1, retained=True)
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"not json", NOON + 0.1, retained=True)
    assert removed(h) == sorted(old)  # the state document stays: the new device reads it
    assert STATE not in removed(h) and announced_now(h) == []
    h.reg.tick(NOON + 0.5)
    assert announced_now(h) == []
    h.reg.tick(NOON + 1.0)
    new = announced_now(h)
    assert len(new) == len(old) and all(t.split("/")[2] == "garage" for t in new)
    assert len(h.sent) > len(old)  # (a state too)
    # the next save says where this run announced; the earlier place is forgotten
    assert h.reg.status(NOON + 2)["ha_discovery"]["node_id"] == "garage"
    h.reg.on_disconnected(NOON + 3)
    h.sent.clear()
    h.reg.on_connected(NOON + 4)  # a reconnect: announced at once, nothing removed
    assert len(announced_now(h)) == len(old) and removed(h) == []


def test_a_new_prefix_removes_the_configs_under_the_old_one(tmp_path: Path) -> None:
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA.replace("prefix", "x") + "prefix = ha/discovery\n")
    assert "homeassistant/+/pyseb_test/+/config" in h.reg.subscriptions()
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    assert removed(h) == sorted(old)
    h.reg.tick(NOON + 1.0)
    assert len(announced_now(h)) == len(old) and all(t.startswith("ha/discovery/") for t in announced_now(h))


def test_a_new_topic_regul_removes_the_old_state_and_the_configs_no_longer_announced(tmp_path: Path) -> None:
    # Same node id and prefix: this run's announcement replaces the configs of the same topics (not removed: it came
    # first); a load removed at the same time has its configs removed (their availability topic the old one's), and
    # the old state document, which no entity reads any more.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, mqtt_lines="topic_regul = house\n", loads=("ecs",))
    assert len(announced_now(h)) > 0  # at once: the topics are the same, nothing to wait for
    assert h.reg.subscriptions().count("homeassistant/+/pyseb_test/+/config") == 1
    h.sent.clear()
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    radiator = sorted(t for t in old if "radiator" in t)
    assert removed(h) == []  # (at the wait's end: the old availability topic, regul/availability, may say `online`)
    assert h.reg.status(NOON + 0.5)["ha_discovery"]["state_topic"] == "regul/ha/state"  # (until read back)
    h.reg.tick(NOON + 1)
    assert radiator and removed(h) == sorted([*radiator, STATE])
    assert h.reg.status(NOON + 1)["ha_discovery"]["state_topic"] == "house/ha/state"


def test_discovery_off_and_a_new_node_id_at_once_removes_the_old_device(tmp_path: Path) -> None:
    # Documented until now: "changed at the same time as node_id ..., the old configs are not PySEB's any more".
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, "[homeassistant]\nnode_id = garage\n")
    assert sorted(t for t in h.reg.subscriptions() if t.startswith("homeassistant/")) == [
        "homeassistant/+/garage/+/config", "homeassistant/+/pyseb_test/+/config"]
    assert h.reg.status(NOON)["ha_discovery"]["node_id"] == "pyseb_test"  # (not read back yet: kept)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    assert removed(h) == sorted([*old, STATE]) and announced_now(h) == []
    h.reg.tick(NOON + 2)
    assert announced_now(h) == [] and "ha_discovery" not in h.reg.status(NOON + 3)


def test_the_place_is_kept_until_a_connect_read_it_back(tmp_path: Path) -> None:
    # A run that never reached the broker saves the earlier place again: the one after it removes what is there.
    _, saved = first_run(tmp_path / "a")
    (tmp_path / "b").mkdir()
    h = Harness(write_config(tmp_path / "b", extra=HA + "node_id = garage\n"))
    h.reg.restore(saved, NOON)
    h.reg.start(NOON)
    assert h.reg.status(NOON + 60)["ha_discovery"]["node_id"] == "pyseb_test"
    h.reg.on_connected(NOON + 100)
    h.reg.on_disconnected(NOON + 100.5)  # dropped before the announcement: still kept, announced at the next
    h.reg.tick(NOON + 102)
    assert announced_now(h) == [] and h.reg.status(NOON + 103)["ha_discovery"]["node_id"] == "pyseb_test"
    h.reg.on_connected(NOON + 200)
    h.reg.tick(NOON + 201)
    assert announced_now(h) and h.reg.status(NOON + 202)["ha_discovery"]["node_id"] == "garage"


def test_a_clock_stepped_back_does_not_hold_the_announcement(tmp_path: Path) -> None:
    _, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n")
    h.reg.tick(NOON - 3600)
    assert announced_now(h)


@pytest.mark.parametrize("record", [
    "junk", {"prefix": "homeassistant"}, {"prefix": "#", "node_id": "a", "availability_topic": "r/availability",
                                          "state_topic": "r/ha/state"},
    {"prefix": "homeassistant", "node_id": "a/b", "availability_topic": "r/availability", "state_topic": "r/ha/state"},
    {"prefix": "homeassistant", "node_id": "a", "availability_topic": "r/availability", "state_topic": "r/ha/x"},
])
def test_a_record_that_is_not_one_is_said_and_looks_for_nothing(tmp_path: Path, record: object) -> None:
    _, saved = first_run(tmp_path / "a")
    h, warnings = next_run(tmp_path / "b", {**saved, "ha_discovery": record}, HA + "node_id = garage\n")
    assert [w for w in warnings if "ha_discovery" in w and "is not where a run announced" in w], warnings
    assert not [t for t in h.reg.subscriptions() if "/+/garage/" not in t and t.endswith("/config")]
    assert announced_now(h)  # at once


def test_discovery_off_keeps_the_place_until_a_connect_read_it_back(tmp_path: Path) -> None:
    # Discovery turned off, node id and topics unchanged: a run that never reached the broker (or restarts before the
    # connect) saved no place at all, and a later one with a new node id left the first run's device in HA for good.
    old, saved = first_run(tmp_path / "a")
    (tmp_path / "b").mkdir()
    off = Harness(write_config(tmp_path / "b", ("ecs", "radiator"), extra="[homeassistant]\ndiscovery = false\n"))
    off.reg.restore(saved, NOON)
    off.reg.start(NOON)
    kept = off.reg.status(NOON + 60)
    assert kept["ha_discovery"] == saved["ha_discovery"]
    h, _ = next_run(tmp_path / "c", kept, HA + "node_id = garage\n")
    assert "homeassistant/+/pyseb_test/+/config" in h.reg.subscriptions()
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    assert removed(h) == sorted(old)
    # connected, the run with discovery off removes them itself, and then has nothing left to say
    off.reg.on_connected(NOON + 100)
    for topic, payload in old.items():
        off.reg.handle(topic, payload.encode(), NOON + 100.05, retained=True)
    assert removed(off) == sorted([*old, STATE])
    assert off.reg.status(NOON + 100.5)["ha_discovery"] == saved["ha_discovery"]
    off.reg.tick(NOON + 101)
    assert "ha_discovery" not in off.reg.status(NOON + 102)


def test_the_old_state_document_goes_only_when_the_configs_read_back_name_it(tmp_path: Path) -> None:
    # A record whose state topic was edited (or corrupt) named a retained message that is not ours: it was removed
    # as soon as one of the earlier run's configs came back. Its configs still go: their unique id and availability
    # topic are ours.
    old, saved = first_run(tmp_path / "a")
    record = {**saved["ha_discovery"], "state_topic": "zigbee2mqtt/bridge/state"}
    h, _ = next_run(tmp_path / "b", {**saved, "ha_discovery": record}, HA + "node_id = garage\n")
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    assert "zigbee2mqtt/bridge/state" not in removed(h)
    assert removed(h) == sorted(old)


@pytest.mark.parametrize("key", ["prefix", "node_id", "availability_topic", "state_topic"])
def test_a_record_with_text_no_topic_can_hold_looks_for_nothing(tmp_path: Path, key: str) -> None:
    # A lone surrogate (JSON's "\ud800", a hand edit or a corrupt file) cannot be encoded as UTF-8: paho raised at the
    # subscribe, in the connect's callback, and the daemon stopped there at every start, the record kept.
    _, saved = first_run(tmp_path / "a")
    record = {**saved["ha_discovery"]}
    record[key] = record[key][:1] + "\ud800" + record[key][1:]
    h, warnings = next_run(tmp_path / "b", {**saved, "ha_discovery": record}, HA + "node_id = garage\n")
    assert [w for w in warnings if "is not where a run announced" in w], warnings
    for topic in h.reg.subscriptions():
        topic.encode("utf-8")
    assert announced_now(h)
    assert "ha_discovery" in json.dumps(h.reg.status(NOON + 2))  # (what the status file keeps can be saved)


def test_the_new_place_goes_to_the_disk_at_once(tmp_path: Path) -> None:
    # Saved only at the next status_time (15 min), a power cut in between left the file saying the old place: the
    # next start, under the old node id again (A -> B -> A) or a third, never looked for the device this run
    # announced, which stayed in HA beside the next one.
    from status.saver import orders_of

    _, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n")
    before = h.reg.status(NOON + 0.5)
    h.reg.tick(NOON + 1)
    assert orders_of(before) == orders_of(saved) != orders_of(h.reg.status(NOON + 2))


def test_once_read_back_the_old_place_is_left_to_whoever_takes_it(tmp_path: Path) -> None:
    # The old node id and topic_regul taken by another PySEB once this one moved (a second instance on the defaults):
    # its configs are the earlier run's to the letter. They were removed at each reconnect of this run, the old filter
    # subscribed for good, and its entities went from HA until it announced again.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n", mqtt_lines="topic_regul = house\n")
    late = sorted(old)[0]
    for topic, payload in old.items():
        if topic != late:
            h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.tick(NOON + 1)
    h.reg.handle(late, old[late].encode(), NOON + 1.5, retained=True)  # (a slow broker: the same connection's)
    assert removed(h) == sorted([*old, STATE])
    h.reg.on_disconnected(NOON + 100)
    assert "homeassistant/+/pyseb_test/+/config" not in h.reg.subscriptions()
    h.reg.on_connected(NOON + 101)
    h.sent.clear()
    for topic, payload in old.items():  # the other instance's, now
        h.reg.handle(topic, payload.encode(), NOON + 101.05, retained=True)
    assert removed(h) == []


def test_without_discovery_no_record_is_written_or_published(tmp_path: Path) -> None:
    # (a guard) A user who never turned discovery on: the status file and each regul/status are as before the feature,
    # from a file of before it (no ha_discovery) or from none, connected or not.
    (tmp_path / "a").mkdir()
    h = Harness(write_config(tmp_path / "a"))
    saved = h.reg.status(NOON - 60)
    assert "ha_discovery" not in saved
    (tmp_path / "b").mkdir()
    g = Harness(write_config(tmp_path / "b", extra="[homeassistant]\ndiscovery = false\n"))
    assert not [w for w in g.reg.restore(saved, NOON) if "ha_discovery" in w]
    g.reg.start(NOON)
    g.reg.on_connected(NOON)
    g.meters(300, 1300, NOON + 1)
    g.reg.tick(NOON + 2)
    assert "ha_discovery" not in g.reg.status(NOON + 3)
    assert g.statuses() and not [s for s in g.statuses() if "ha_discovery" in s]
    assert not [t for t in g.reg.subscriptions() if t.endswith("/config") and "pyseb_test" not in t]


def sent_order(h: Harness) -> tuple[int, int]:
    """The index in h.sent of the last removal and of the first announced config."""
    removals = [i for i, (t, p, r) in enumerate(h.sent) if p == "" and r and t.endswith("/config")]
    announced = [i for i, (t, p, r) in enumerate(h.sent) if p and r and t.endswith("/config")]
    return max(removals), min(announced)


@pytest.mark.parametrize("availability", [b"online", b"offline", None])
def test_the_old_place_said_online_is_another_pysebs_and_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                   availability: bytes | None) -> None:
    # Another PySEB runs at the old place now (a copy of this one's directory, status file included, started with the
    # old config while this one was given another node id and topic_regul): its configs are the earlier run's to the
    # letter, and were removed at this run's first connect, its entities gone from HA until it announced again.
    # Its availability topic, the old place's, says it: `online` (retained), the configs are left alone.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n", mqtt_lines="topic_regul = house\n")
    assert "regul/availability" in h.reg.subscriptions()
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    if availability is not None:  # (after the configs: the broker's order between two filters is not known)
        h.reg.handle("regul/availability", availability, NOON + 0.06, retained=True)
    assert announced_now(h) == []
    h.reg.tick(NOON + 1)
    assert len(announced_now(h)) == len(old)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
            and "regul/availability" in r.getMessage()]
    if availability == b"online":
        assert removed(h) == []
        assert len(said) == 1 and "not removed" in said[0] and "node id 'pyseb_test'" in said[0], said
        # (a listing that ends: without --retained-only and -W, it waited for more for ever)
        assert "mosquitto_sub -v --retained-only -W 2 -t homeassistant/+/pyseb_test/+/config lists them" in said[0]
        # a config of the same connection later (a slow broker): left alone too
        late = sorted(old)[0]
        h.reg.handle(late, old[late].encode(), NOON + 1.5, retained=True)
        assert removed(h) == []
    else:
        assert removed(h) == sorted([*old, "regul/ha/state"]) and said == []
        last_removal, first_config = sent_order(h)
        assert last_removal < first_config
    # either way the record now says this run's place (a place left alone is kept beside it: test_field_homeassistant_
    # left_alone)
    assert h.reg.status(NOON + 2)["ha_discovery"]["node_id"] == "garage"


def test_the_old_place_s_availability_is_looked_at_only_when_not_this_run_s(tmp_path: Path) -> None:
    # A new node id under the same topic_regul: the old availability topic is this run's own, `online` as soon as it
    # connects; another PySEB there would share this one's topic_regul (InstanceWatch says that).
    _, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n")
    assert "regul/availability" not in h.reg.subscriptions()
    h2, _ = next_run(tmp_path / "c", saved, HA + "node_id = garage\n", mqtt_lines="topic_regul = house\n")
    h2.reg.tick(NOON + 1)
    h2.reg.on_disconnected(NOON + 2)
    assert "regul/availability" not in h2.reg.subscriptions()  # (read back: the old place is left alone)


def test_home_assistant_s_birth_during_the_wait_announces_once_after_the_removals(tmp_path: Path) -> None:
    # HA down when PySEB connected (its `offline` retained) and back within EARLIER_WAIT_S: its birth announced at
    # once, before the old configs' removals, every new entity whose id an old one held got a _2.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n")
    h.reg.handle("homeassistant/status", b"offline", NOON + 0.02, retained=True)
    h.reg.handle("homeassistant/status", b"online", NOON + 0.04)
    assert announced_now(h) == []
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("homeassistant/status", b"online", NOON + 0.5)
    assert announced_now(h) == []
    h.reg.tick(NOON + 1)
    assert len(announced_now(h)) == len(old)  # once
    last_removal, first_config = sent_order(h)
    assert last_removal < first_config
    h.reg.tick(NOON + 2)
    assert len(announced_now(h)) == len(old)


def test_the_old_place_s_availability_refused_is_said_and_its_configs_removed(tmp_path: Path,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    # (an ACL for the new topic_regul only) Whether another PySEB runs there is not known: the earlier run's configs go
    # as before the check; the refusal is said as what it costs, not as any refusal's ERROR.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n", mqtt_lines="topic_regul = house\n")
    said = h.reg.subscription_refused("regul/availability")
    assert said is not None and "whether another PySEB runs there now is not known" in said
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.tick(NOON + 1)
    assert removed(h) == sorted([*old, "regul/ha/state"])
    # online with nothing of its own there (another PySEB with discovery off): nothing left alone, nothing said
    (tmp_path / "c").mkdir()
    g = Harness(with_mqtt_lines(write_config(tmp_path / "c", extra=HA + "node_id = garage\n"), "topic_regul = house\n"))
    g.reg.restore(saved, NOON)
    g.reg.on_connected(NOON)
    g.reg.handle("regul/availability", b"online", NOON + 0.05, retained=True)
    g.reg.tick(NOON + 1)
    assert announced_now(g) and not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("first", ["availability", "configs"])
def test_the_old_place_said_offline_has_its_configs_removed_a_second_before_the_announcement(
        tmp_path: Path, first: str) -> None:
    # The wait (EARLIER_WAIT_S) is there so that HA has removed the old entities when it adds the new ones (an id an
    # old one still held gave the new one a _2). Held for the old place's availability until the wait's end, the
    # removals went out just before the announcement, in the same tick: that second was lost whenever topic_regul
    # moved too. The old place's `offline` (retained: the broker sends it within milliseconds) decides at once.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n", mqtt_lines="topic_regul = house\n")
    if first == "availability":
        h.reg.handle("regul/availability", b"offline", NOON + 0.04, retained=True)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    if first == "configs":
        h.reg.handle("regul/availability", b"offline", NOON + 0.06, retained=True)
    assert removed(h) == sorted([*old, "regul/ha/state"]) and announced_now(h) == []
    h.reg.tick(NOON + 1)
    assert len(announced_now(h)) == len(old) and removed(h) == sorted([*old, "regul/ha/state"])


def test_the_old_place_s_availability_refused_removes_its_configs_before_the_wait_s_end(tmp_path: Path) -> None:
    # (an ACL for the new topic_regul only) No word will come there: the removals wait no more for one, and go a
    # second before the announcement, not just before it.
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n", mqtt_lines="topic_regul = house\n")
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    assert h.reg.subscription_refused("regul/availability") is not None
    assert removed(h) == sorted([*old, "regul/ha/state"]) and announced_now(h) == []
    h.reg.tick(NOON + 1)
    assert len(announced_now(h)) == len(old)


def test_this_run_s_own_availability_refused_is_not_said_as_the_old_place_s(tmp_path: Path) -> None:
    # A new node id under the same topic_regul: the old place's availability topic is this run's own, which the daemon
    # subscribes to for its echo (an ACL that lets PySEB publish there but not read it back is a fair one, said at
    # INFO). It was said as the old place's, a WARNING that the old configs were removed for want of it.
    _, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = garage\n")
    assert h.reg.subscription_refused("regul/availability") is None


def test_another_pyseb_online_at_the_old_topic_regul_under_this_node_id_is_said_as_one_device(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A copy given a topic_regul of its own but the same [homeassistant] node_id: the configs at the old place are
    # this run's topics, replaced by its announcement. The warning said "each PySEB keeps its device": HA takes the
    # two for one device, each announcement replacing the other's entities.
    old, saved = first_run(tmp_path / "a", extra=HA + "node_id = shared\n")
    h, _ = next_run(tmp_path / "b", saved, HA + "node_id = shared\n", mqtt_lines="topic_regul = house\n")
    assert len(announced_now(h)) == len(old)  # (at once: the same topics)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("regul/availability", b"online", NOON + 0.06, retained=True)
    h.reg.tick(NOON + 1)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(said) == 1 and "each PySEB keeps its device" not in said[0], said
    assert "one device" in said[0] and "node_id" in said[0], said
