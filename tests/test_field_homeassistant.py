"""Home Assistant discovery in-process: the configs (HA's documented keys), the state document, discovery sent
again at HA's birth and removed loads' configs deleted, the config's problems. The energy sensors' cycles:
test_field_homeassistant_energy; the controls: test_field_homeassistant_controls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import reading, write_config
from tests.field_homeassistant import HA, STATE, by_id, configs, harness, state
from tests.field_house import ECS_CMD
from tests.ha_schema import render, schema_problems
from tests.harness import CONS, NOON, PROD, Harness

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)


def test_off_by_default_nothing_under_homeassistant(tmp_path: Path) -> None:
    h = harness(tmp_path, extra="")
    h.meters(300, 2000, NOON + 1)
    assert not [t for t, _, _ in h.sent if t.startswith(("homeassistant", "regul/ha"))]
    # (only the configs an earlier run with discovery on may have left, to remove them)
    assert [t for t in h.reg.subscriptions() if t.startswith(("homeassistant", "regul/ha"))] == [
        "homeassistant/+/pyseb_test/+/config"]


def test_every_config_follows_the_documented_schema(tmp_path: Path) -> None:
    h = harness(tmp_path)
    found = configs(h)
    components = sorted({topic.split("/")[1] for topic in found})
    assert components == ["binary_sensor", "number", "select", "sensor", "switch"]
    for topic, config in found.items():
        assert schema_problems(topic.split("/")[1], config) == [], topic
        assert config["availability_topic"] == "regul/availability"
        # (the client id pyseb-test: not the default instance, named after its node id)
        assert config["device"]["name"] == "PySEB test" and config["device"]["identifiers"] == ["pyseb_pyseb_test"]
        assert topic.split("/")[2] == "pyseb_test"  # node id: [mqtt] client_id, as an id
    ids = [config["unique_id"] for config in found.values()]
    assert len(ids) == len(set(ids))
    names = set(by_id(h))
    assert {"grid_power", "production_power", "consumption_power", "production_energy", "last_decision",
            "suspended_reason", "consumption_stale", "production_stale", "water_heater_mode"} <= names
    for load in ("ecs", "radiator"):
        assert {f"load_{load}_{what}" for what in ("power", "energy", "force", "force_duration")} <= names
    assert "load_ecs_full" in names and "load_radiator_full" not in names  # only a load with a tank detector
    # A force power only for a load whose power can be set: a relay forced on draws its watts.
    assert by_id(h)["load_ecs_force_power"]["max"] == 2000 and "load_radiator_force_power" not in names
    assert by_id(h)["load_ecs_energy"]["state_class"] == "total"
    assert by_id(h)["water_heater_mode"]["options"] == ["off", "solar", "solar+fallback", "forced"]


def test_the_fake_ha_refuses_a_category_a_precision_or_an_origin_ha_would_not_take() -> None:
    good = {"name": "x", "unique_id": "x", "state_topic": "s", "device": {"identifiers": ["d"], "name": "D"}}
    assert schema_problems("sensor", {**good, "entity_category": "diagnostic"}) == []
    assert schema_problems("sensor", {**good, "entity_category": "config"}) == ["entity_category 'config' for a sensor"]
    assert schema_problems("binary_sensor", {**good, "entity_category": "config"}) != []  # read-only too
    assert schema_problems("sensor", {**good, "entity_category": "system"}) != []
    control = {**good, "command_topic": "c", "min": 0, "max": 1}
    assert schema_problems("number", {**control, "entity_category": "config"}) == []
    assert schema_problems("number", {**control, "entity_category": "settings"}) != []
    assert schema_problems("sensor", {**good, "suggested_display_precision": 0}) == []
    for bad in (-1, 0.5, "0", True):
        assert schema_problems("sensor", {**good, "suggested_display_precision": bad}) != [], bad
    # origin: `name` required, `sw_version` and `support_url` optional, nothing else
    assert schema_problems("sensor", {**good, "origin": {"name": "PySEB"}}) == []
    assert schema_problems("sensor", {**good, "origin": {"name": "PySEB", "sw_version": "0.3.0",
                                                         "support_url": "https://example.org"}}) == []
    for bad_origin in ({"sw_version": "0.3.0"}, {"name": ""}, {"name": "PySEB", "version": "0.3.0"},
                       {"name": "PySEB", "sw_version": 3}, "PySEB"):
        assert schema_problems("sensor", {**good, "origin": bad_origin}) != [], bad_origin


def test_settings_and_diagnostics_are_set_apart_from_the_main_entities(tmp_path: Path) -> None:
    # HA shows `config` and `diagnostic` entities on cards of their own on the device page, and leaves them off
    # auto-generated dashboards: the force settings, and what explains the regulation rather than shows the house.
    found = by_id(harness(tmp_path))
    categories = {object_id: config.get("entity_category") for object_id, config in found.items()}
    settings = {"load_ecs_force_power", "load_ecs_force_duration", "load_radiator_force_duration"}
    diagnostics = {"last_decision", "suspended_reason", "consumption_stale", "production_stale"}
    assert {i for i, c in categories.items() if c == "config"} == settings
    assert {i for i, c in categories.items() if c == "diagnostic"} == diagnostics
    main = set(categories) - settings - diagnostics
    assert {"grid_power", "production_energy", "load_ecs_force", "load_ecs_power", "load_ecs_energy", "load_ecs_full",
            "water_heater_mode"} <= main
    assert all(categories[i] is None for i in main)


def test_watts_and_watt_hours_are_shown_whole(tmp_path: Path) -> None:
    # Without a suggested precision HA shows the state as sent: 1234.5678 W.
    found = configs(harness(tmp_path))
    sensors = {topic.split("/")[3]: config for topic, config in found.items()
               if topic.split("/")[1] == "sensor" and config.get("unit_of_measurement") in ("W", "Wh")}
    assert {"grid_power", "production_energy", "load_ecs_power", "load_radiator_energy"} <= set(sensors)
    assert {i: c.get("suggested_display_precision") for i, c in sensors.items()} == dict.fromkeys(sensors, 0)


def test_state_document_feeds_every_entity(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.meters(300, 1300, NOON + 1)
    h.meters(300 + 980, 1300, NOON + 4)  # balanced: no command, the status waits for its interval (1 s here)
    h.reg.tick(NOON + 5.1)
    st = state(h)
    values = {object_id: render(config, st) for object_id, config in by_id(h).items()}
    assert values["grid_power"] == -20.0 and values["production_power"] == 1300.0
    assert values["load_ecs_power"] == 980.0 and values["load_radiator_power"] == 0.0
    assert values["load_ecs_force"] == "OFF" and values["load_ecs_force_power"] == 2000
    assert values["load_ecs_force_duration"] == 0 and values["water_heater_mode"] == "solar+fallback"
    assert values["consumption_stale"] == "OFF" and values["suspended_reason"] == "none"
    assert values["last_decision"] == "balanced"
    h.reg.tick(NOON + 30)  # the meters fell silent
    st = state(h)
    assert st["consumption_stale"] == "ON" and "silent" in st["suspended_reason"]


def test_a_silent_meter_shows_stale_from_the_moment_the_regulation_is_suspended(tmp_path: Path) -> None:
    # The status published at the cut-over says age 10.0 s for the 10 s timeout, and no other follows while
    # the meters stay silent: that one must already say stale, or an HA alert on it never fires.
    h = harness(tmp_path)
    h.meters(300, 1300, NOON + 1)
    for t in range(2, 120):
        h.reg.tick(NOON + t)
    st = state(h)
    assert "silent" in st["suspended_reason"]
    assert st["consumption_stale"] == "ON" and st["production_stale"] == "ON"


def test_birth_message_sends_discovery_again(tmp_path: Path) -> None:
    h = harness(tmp_path)
    count = len(configs(h))
    h.sent.clear()
    h.reg.handle("homeassistant/status", b"offline", NOON + 5)
    assert configs(h) == {}
    h.reg.handle("homeassistant/status", b"online", NOON + 6)
    assert len(configs(h)) == count and state(h)
    # Anyone on the broker can send "online": each one sent every config again (a 19-fold echo). Once in 30 s.
    h.sent.clear()
    for second in range(7, 30):
        h.reg.handle("homeassistant/status", b"online", NOON + second)
    assert configs(h) == {}
    h.reg.handle("homeassistant/status", b"online", NOON + 40)
    assert len(configs(h)) == count


def test_with_another_discovery_prefix_ha_s_birth_message_is_still_heard(tmp_path: Path) -> None:
    # HA sends its birth message on homeassistant/status whatever its discovery prefix (its own default, a
    # separate setting): with prefix = ha/discovery PySEB listened on ha/discovery/status only, and never heard HA
    # restart. Both are heard (a user may have moved the birth topic with the prefix).
    h = harness(tmp_path, extra=HA + "prefix = ha/discovery\n")
    assert {"homeassistant/status", "ha/discovery/status"} <= set(h.reg.subscriptions())
    assert not {"homeassistant/status", "ha/discovery/status"} & h.reg.live_only_topics()
    count = len(configs_under(h, "ha/discovery"))
    h.sent.clear()
    h.reg.handle("homeassistant/status", b"online", NOON + 6)
    assert len(configs_under(h, "ha/discovery")) == count and state(h)
    h.sent.clear()
    h.reg.handle("ha/discovery/status", b"online", NOON + 50)
    assert len(configs_under(h, "ha/discovery")) == count


def configs_under(h: Harness, prefix: str) -> list[str]:
    return [t for t, _, r in h.sent if t.startswith(f"{prefix}/") and t.endswith("/config") and r]


@pytest.mark.parametrize("prefix", ["homeassistant", "ha/discovery"])
def test_a_removed_loads_configs_are_deleted(tmp_path: Path, prefix: str) -> None:
    # HA takes any topic as its discovery prefix ("ha/discovery"): the configs retained under one of several
    # levels were never recognised as ours, and a load removed from config.ini stayed in HA for good.
    h = harness(tmp_path, extra=HA + f"prefix = {prefix}\n", loads=("ecs",))
    assert f"{prefix}/+/pyseb_test/+/config" in h.reg.subscriptions()
    old = f"{prefix}/switch/pyseb_test/load_radiator_force/config"
    h.sent.clear()
    h.reg.handle(old, announced("load_radiator_force"), NOON + 1)  # retained from an earlier run
    assert h.sent == [(old, "", True)]
    h.sent.clear()
    h.reg.handle(f"{prefix}/switch/pyseb_test/load_ecs_force/config", announced("load_ecs_force"), NOON + 2)  # ours
    h.reg.handle(old, b"", NOON + 3)  # our own deletion coming back
    h.reg.handle(f"{prefix}/switch/other_node/load_radiator_force/config", b"{}", NOON + 4)
    # Another instance's or tool's config under this node id (its own unique id, or another availability topic): not
    # ours to delete (it went as soon as it was announced).
    h.reg.handle(f"{prefix}/sensor/pyseb_test/other_thing/config", b'{"unique_id": "zzz", "name": "x"}', NOON + 5)
    h.reg.handle(old, announced("load_radiator_force", "other/availability"), NOON + 6)
    assert h.sent == []


def announced(object_id: str, availability: str = "regul/availability") -> bytes:
    """A config as this instance announces it (its unique id and availability topic), retained by an earlier run."""
    return json.dumps({"name": object_id, "unique_id": f"pyseb_pyseb_test_{object_id}",
                       "availability_topic": availability}).encode()


def test_another_pysebs_announcement_under_this_node_id_is_said(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    # Client ids pyseb-2 and pyseb_2 both make node id pyseb_2: the two daemons were one device in Home Assistant,
    # each announcement replacing the other's entities, without a word from either.
    h = harness(tmp_path)
    grid = by_id(h)["grid_power"]
    topic = "homeassistant/sensor/pyseb_test/grid_power/config"
    another = json.dumps({**grid, "availability_topic": "regul2/availability"}).encode()
    # (retained: an earlier run's of this instance, under a topic_regul since changed, as well as another's)
    h.reg.handle(topic, another, NOON + 1, retained=True)
    h.reg.handle(topic, json.dumps(grid).encode(), NOON + 2)  # our own, coming back
    h.reg.handle(topic, b"", NOON + 3)  # a deletion
    assert "another PySEB" not in caplog.text
    h.sent.clear()
    h.reg.handle(topic, another, NOON + 4)
    h.reg.handle("homeassistant/sensor/pyseb_test/production_power/config", another, NOON + 5)
    said = [r for r in caplog.records if "another PySEB" in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "WARNING"
    assert said[0].getMessage() == (
        "Home Assistant: another PySEB (availability topic regul2/availability; this one's regul/availability) "
        "announces its entities under node id 'pyseb_test', this PySEB's (made of [mqtt] client_id 'pyseb-test': "
        "only a-z, digits and _ are kept): Home Assistant takes the two for one device, each announcement replacing "
        "the other's entities; set [homeassistant] node_id to a name of its own on one of them (said once)")
    assert h.sent == []  # (not removed, nor announced over: a war of announcements would follow)


def test_another_pysebs_announcement_is_not_said_by_one_with_discovery_off(tmp_path: Path,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    # With discovery off this PySEB announces nothing (it listens to its node id's configs only to remove its own
    # earlier ones): there is no collision, yet it warned that HA took the two for one device and to set node_id.
    h = harness(tmp_path, extra="[homeassistant]\ndiscovery = false\n")
    topic = "homeassistant/sensor/pyseb_test/grid_power/config"
    another = json.dumps({"unique_id": "pyseb_pyseb_test_grid_power", "availability_topic": "regul2/availability",
                          "name": "Grid power"}).encode()
    assert h.reg.field.handles(topic)
    h.reg.handle(topic, another, NOON + 4)
    assert "another PySEB" not in caplog.text
    assert not [t for t, _, _ in h.sent if t.startswith("homeassistant/")]  # (not removed either: not ours)


def test_retained_commands_are_not_news(tmp_path: Path) -> None:
    h = harness(tmp_path)
    live_only = h.reg.live_only_topics()
    controls = [c["command_topic"] for c in by_id(h).values() if "command_topic" in c]
    assert len(controls) == 6 and set(controls) <= live_only
    assert "homeassistant/status" not in live_only


def test_config_problems(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra=HA + "prefix = home/#\n")
    with pytest.raises(ConfigError, match=r"\[homeassistant\] prefix"):
        load_settings(path)


def _with_loads(tmp_path: Path, sections: str, names: tuple[str, ...]) -> Path:
    """The harness's config with constant loads `names` (their `sections`) listed after the radiator."""
    path = write_config(tmp_path, extra=HA + sections)
    path.write_text(path.read_text().replace("radiator = constant", "\n".join(("radiator = constant",
                                                                              *(f"{n} = constant" for n in names)))))
    return path


def test_two_loads_with_one_home_assistant_id_warn_and_the_second_is_left_out(tmp_path: Path) -> None:
    # Refused, such a config left a house unregulated after an upgrade (exit 2, which systemd does not restart):
    # the regulation runs, the second load has no entities, and the warning says what to rename.
    two = ("\n[heater-2]\nmax_power = 500\ntopic_set_power = cmnd/h2/POWER\n"
           "\n[heater_2]\nmax_power = 500\ntopic_set_power = cmnd/h3/POWER\n")
    path = _with_loads(tmp_path, two, ("heater-2", "heater_2"))
    settings = load_settings(path)
    assert [w for w in settings.warnings if "Home Assistant" in w] == [
        f"{path}: [heater_2]: its Home Assistant entities are left out: their id 'heater_2' is load 'heater-2''s "
        "too; rename one of the two loads"]
    h = Harness(path)
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    assert not [c for c in configs(h).values() if c["name"].startswith("heater_2")]
    assert by_id(h)["load_heater_2_power"]["name"] == "heater-2 power"
    path.write_text(path.read_text().replace("discovery = true", "discovery = false"))
    assert not [w for w in load_settings(path).warnings if "Home Assistant" in w]  # ids matter only with discovery


def test_a_load_named_like_another_s_force_warns_and_its_power_sensor_is_left_out(tmp_path: Path) -> None:
    # ecs_force's power sensor and ecs's force power number were both load_ecs_force_power: one unique id (HA kept
    # whichever came first and dropped the other) and one state key (both showed the same figure). Refused, the
    # daemon did not start at all (exit 2): an upgrade left the house unregulated.
    path = _with_loads(tmp_path, "\n[ecs_force]\nmax_power = 500\ntopic_set_power = cmnd/ef/POWER\n", ("ecs_force",))
    settings = load_settings(path)
    assert [w for w in settings.warnings if "Home Assistant" in w] == [
        f"{path}: [ecs_force]: its Home Assistant entity 'ecs_force power' is left out: its id "
        "'load_ecs_force_power' is that of 'ecs force power' (load 'ecs'); rename one of the two loads"]
    h = Harness(path)
    h.reg.start(NOON)
    # An older version's retained config of the sensor left out: removed, as any config no longer announced.
    h.reg.handle("homeassistant/sensor/pyseb_test/load_ecs_force_power/config", announced("load_ecs_force_power"),
                 NOON)
    assert h.sent[-1] == ("homeassistant/sensor/pyseb_test/load_ecs_force_power/config", "", True)
    h.sent.clear()
    h.reg.on_connected(NOON)
    found = configs(h)
    assert "homeassistant/number/pyseb_test/load_ecs_force_power/config" in found
    assert "homeassistant/sensor/pyseb_test/load_ecs_force_power/config" not in found
    assert by_id(h)["load_ecs_force_force"]["name"] == "ecs_force force"  # its other entities are there
    h.meters(300, 3000, NOON + 1)
    assert state(h)["load_ecs_force_power"] == 2000  # ecs's force power (its max), not ecs_force's draw
    assert state(h)["load_ecs_force_energy"] == 0  # its other keys are there
    # A relay has no force power number: radiator_force beside radiator is no clash.
    path.write_text(path.read_text().replace("ecs_force", "radiator_force"))
    assert not [w for w in load_settings(path).warnings if "Home Assistant" in w]


def test_node_id_from_the_option(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, extra=HA + "node_id = My House!\n"))
    assert settings.field.homeassistant.node_id == "my_house"


def test_readings_unaffected(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.reg.handle(CONS, reading(300), NOON + 1)
    h.reg.handle(PROD, reading(1300), NOON + 1.01)
    assert h.last(ECS_CMD) == "49"


def test_a_birth_message_after_a_clock_step_back_sends_discovery(tmp_path: Path) -> None:
    h = harness(tmp_path)
    count = len(configs(h))
    h.reg.handle("homeassistant/status", b"online", NOON + 6)
    h.sent.clear()
    h.reg.handle("homeassistant/status", b"online", NOON + 6 - 3600 + 1200)  # stepped back an hour, 20 min on
    assert len(configs(h)) == count


def test_discovery_turned_off_removes_what_an_earlier_run_announced(tmp_path: Path) -> None:
    # A user who had discovery on, then set it off, kept PySEB's entities in HA for good: their configs stayed
    # retained, each entity `online` (the availability topic is PySEB's own) with the last state it was sent.
    (tmp_path / "on").mkdir()
    earlier = harness(tmp_path / "on")
    announced = {t: p for t, p, r in earlier.sent if t.endswith("/config") and r}
    h = harness(tmp_path, extra="")
    h.sent.clear()
    for topic, payload in announced.items():  # retained: they come at the connect
        h.reg.handle(topic, payload.encode(), NOON + 1)
    assert sorted(t for t, p, r in h.sent if p == "" and r) == sorted([*announced, STATE])
    assert len(h.sent) == len(announced) + 1
    h.sent.clear()
    grid = json.loads(announced["homeassistant/sensor/pyseb_test/grid_power/config"])
    another = {**grid, "availability_topic": "garage/availability"}  # another instance given our node id
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", json.dumps(another).encode(), NOON + 2)
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"", NOON + 3)  # our removal coming back
    h.reg.handle("homeassistant/sensor/pyseb_test/x/config", json.dumps(grid).encode(), NOON + 4)  # not its id
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"not json", NOON + 5)
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"[" * 10_000, NOON + 5)
    padded = json.dumps({**grid, "pad": "x" * 20_000}).encode()  # no config PySEB sends: not parsed
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", padded, NOON + 5)
    h.reg.handle("homeassistant/sensor/other/grid_power/config", json.dumps(grid).encode(), NOON + 6)
    assert h.sent == []


def test_the_sample_config_says_what_the_link_does() -> None:
    # config.ini.sample, where a user turns discovery on, said "Turning discovery off again leaves them: delete the
    # device in HA" (true of the first version only: an earlier run's entities are removed at the next start, the
    # test above) and that HA's birth is heard on <prefix>/status only (homeassistant/status, HA's default whatever
    # its discovery prefix, is heard too).
    sample = (Path(__file__).resolve().parent.parent / "config.ini.sample").read_text(encoding="utf-8")
    section = sample.split("[homeassistant]\n", 1)[1].split("\n[", 1)[0]
    said = " ".join(line.lstrip("; ") for line in section.splitlines() if line.startswith(";"))
    assert "leaves them" not in said and "delete the device" not in said, said
    assert "Turning discovery off removes them at the next start" in said, said
    assert "homeassistant/status" in said, said


def test_no_meter_shows_stale_at_the_start_before_the_timeout(tmp_path: Path) -> None:
    # No reading yet is not a stale meter before meter_timeout: both problem sensors showed ON at every start, and
    # an alert on them fired at each restart of PySEB.
    h = harness(tmp_path)
    h.reg.tick(NOON + 1)
    st = state(h)
    assert h.reg.stale_reason is None
    assert st["consumption_stale"] == "OFF" and st["production_stale"] == "OFF"
    for t in range(2, 30):
        h.reg.tick(NOON + t)
    st = state(h)
    assert h.reg.stale_reason is not None
    assert st["consumption_stale"] == "ON" and st["production_stale"] == "ON"


def test_no_state_is_published_while_the_broker_link_is_down(tmp_path: Path) -> None:
    # Review: with a load forced through a broker outage, its energy changed the state at every status, and each state
    # (retained, QoS 1) waited in paho, which keeps such messages without a bound until the link is back: one every
    # 10 s of a fallback's night force, in the memory of a Pi Zero, then all sent at once though only the last counts.
    # Now none while the link is down; the connect's own state carries what changed meanwhile.
    h = harness(tmp_path)
    h.meters(300, 1300, NOON + 1)
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 2)
    h.reg.tick(NOON + 3)
    before = state(h)
    h.reg.on_disconnected(NOON + 4)
    sent = len(h.sent)
    for t in range(5, 3600, 10):  # an hour down: the meters silent, the radiator forced on
        h.reg.tick(NOON + t)
    assert STATE not in {topic for topic, _, _ in h.sent[sent:]}
    h.reg.on_connected(NOON + 3600)
    after = state(h)
    assert after["load_radiator_force"] == "ON"
    assert after["load_radiator_energy"] == pytest.approx(before["load_radiator_energy"] + 1000.0, abs=2.0)
