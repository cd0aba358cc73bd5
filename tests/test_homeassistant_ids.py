"""Home Assistant ids in-process: what names a PySEB instance's device and entities (unique_id, device identifiers,
discovery topics: its node id; device name; the entity ids HA builds), so that two instances on one broker do not
meet and a single one keeps the ids its users' history is under."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import write_config
from tests.field_homeassistant import HA, by_id, configs
from tests.harness import NOON, Harness

pytestmark = pytest.mark.debian

# The unique ids a default single instance ([mqtt] client_id = pyseb, no node_id) announced before device names and
# entity ids were derived from the instance: HA files every entity's history under its unique id.
TODAY_S_UNIQUE_IDS = {f"pyseb_pyseb_{object_id}" for object_id in (
    "grid_power", "production_power", "consumption_power", "production_energy", "last_decision",
    "suspended_reason", "consumption_stale", "production_stale",
    "load_ecs_power", "load_ecs_energy", "load_ecs_force", "load_ecs_force_power", "load_ecs_force_duration",
    "load_ecs_full",
    "load_radiator_power", "load_radiator_energy", "load_radiator_force", "load_radiator_force_duration",
    "water_heater_mode")}


def harness(tmp_path: Path, client_id: str = "pyseb", extra: str = "") -> Harness:
    h = Harness(write_config(tmp_path, client_id=client_id, extra=HA + extra))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    return h


def test_a_default_single_instance_keeps_today_s_ids(tmp_path: Path) -> None:
    found = configs(harness(tmp_path))
    assert {config["unique_id"] for config in found.values()} == TODAY_S_UNIQUE_IDS
    assert {topic.split("/")[2] for topic in found} == {"pyseb"}
    for config in found.values():
        assert config["device"]["identifiers"] == ["pyseb_pyseb"] and config["device"]["name"] == "PySEB"


def test_entity_ids_are_the_device_s_name_and_the_entity_s(tmp_path: Path) -> None:
    # HA names every MQTT entity "<device> <entity>" (has_entity_name) and builds a new entity's id from that: the
    # entity names leave the device out. default_entity_id (HA 2025.10's replacement of the payload's object_id)
    # says that same id, but for a hint in brackets: "ecs force duration (0 = until off)" made
    # number.pyseb_ecs_force_duration_0_until_off.
    entities = by_id(harness(tmp_path))
    wanted = {"grid_power": "sensor.pyseb_grid", "production_energy": "sensor.pyseb_production_energy_today",
              "consumption_stale": "binary_sensor.pyseb_consumption_meter_stale",
              "load_ecs_power": "sensor.pyseb_ecs_power", "load_ecs_force": "switch.pyseb_ecs_force",
              "load_ecs_force_duration": "number.pyseb_ecs_force_duration",
              "load_ecs_full": "binary_sensor.pyseb_ecs_full", "water_heater_mode": "select.pyseb_water_heater_mode"}
    assert {key: entities[key]["default_entity_id"] for key in wanted} == wanted
    assert entities["load_ecs_force_duration"]["name"] == "ecs force duration (0 = until off)"  # the hint stays
    ids = [config["default_entity_id"] for config in entities.values()]
    assert len(ids) == len(set(ids))
    for config in entities.values():
        assert "object_id" not in config  # deprecated by HA 2025.10, no longer read from 2026.4
        assert not config["name"].lower().startswith("pyseb")
        assert config["origin"] == {"name": "PySEB", "sw_version": config["device"]["sw_version"]}


@pytest.mark.parametrize(("client_id", "extra", "node", "device"), [
    ("pyseb-test", "", "pyseb_test", "PySEB test"),  # the client id's "pyseb" is not said twice
    ("garage", "", "garage", "PySEB garage"),
    ("pyseb", "node_id = garage\n", "garage", "PySEB garage"),
    ("pyseb-test", "name = Séjour\n", "pyseb_test", "Séjour"),
])
def test_another_instance_has_its_own_ids_and_name(tmp_path: Path, client_id: str, extra: str, node: str,
                                                   device: str) -> None:
    found = configs(harness(tmp_path, client_id, extra))
    prefix = "sejour" if device == "Séjour" else device.lower().replace(" ", "_")
    for topic, config in found.items():
        object_id = topic.split("/")[3]
        assert topic.split("/")[2] == node
        assert config["unique_id"] == f"pyseb_{node}_{object_id}"
        assert config["device"]["identifiers"] == [f"pyseb_{node}"] and config["device"]["name"] == device
        assert config["default_entity_id"].split(".")[1].startswith(f"{prefix}_")


def test_the_device_name_defaults_from_the_node_id(tmp_path: Path) -> None:
    def name(client_id: str, extra: str = "") -> str:
        return load_settings(write_config(tmp_path, client_id=client_id, extra=HA + extra)).field.homeassistant.name
    assert name("pyseb") == "PySEB"
    assert name("pyseb-2") == "PySEB 2"
    assert name("maison_sud") == "PySEB maison sud"
    assert name("pyseb", "name = Garage\n") == "Garage"
    assert name("pyseb", "name =   \n") == "PySEB"  # empty: the default


@pytest.mark.parametrize(("name", "entity_id_part"), [
    ("Séjour", "sejour"),
    # Letters NFKD does not decompose, that HA's slugify (python-slugify's unidecode) spells out: dropped, they made
    # ids HA never builds ("gartenstrae_grid" where HA's is "gartenstrasse_grid").
    ("Gartenstraße", "gartenstrasse"), ("Støvring", "stovring"), ("Œuvre", "oeuvre"), ("Æble", "aeble"),
    ("Łódź", "lodz"), ("Đakovo", "dakovo"), ("Þórshöfn", "thorshofn"), ("Garðabær", "gardabaer"),
    ("Ħamrun", "hamrun"), ("Dıştaş", "distas"), ("Ŧ ŋ ƒ", "t_ng_f"),
])
def test_entity_ids_spell_out_letters_as_ha_does(name: str, entity_id_part: str) -> None:
    from integrations.homeassistant_ids import entity_id_part as made
    assert made(name) == entity_id_part


def test_a_device_name_with_a_sharp_s_gets_ha_s_entity_ids(tmp_path: Path) -> None:
    entities = by_id(harness(tmp_path, extra="name = Gartenstraße\n"))
    assert entities["grid_power"]["default_entity_id"] == "sensor.gartenstrasse_grid"


# HA's entity ids (homeassistant.core.valid_entity_id): lower-case letters, digits and single '_', none at an end.
VALID_ENTITY_ID = re.compile(r"^(?!.+__)(?!_)[\da-z_]+(?<!_)\.(?!_)[\da-z_]+(?<!_)$")
VALID_TOPIC_ID = re.compile(r"[a-zA-Z0-9_-]+")  # a discovery topic's node id and object id (HA's MQTT docs)


@pytest.mark.parametrize("text", ["Дом", "Дача", "Θερμοσίφωνας", "热水器", "Дом 2", "Дача 2"])
def test_a_node_id_of_letters_ha_cannot_spell_keeps_an_id_of_its_own(tmp_path: Path, text: str) -> None:
    # Such letters were dropped: every one of these instances was node "x" (or "2"), one device, one unique id
    # per entity for all of them. An id of their own each, stable, and the device named with the text as written.
    from integrations.homeassistant_ids import slug
    found = configs(harness(tmp_path, extra=f"node_id = {text}\n"))
    nodes = {topic.split("/")[2] for topic in found}
    assert nodes == {slug(text)} and VALID_TOPIC_ID.fullmatch(slug(text))
    assert slug(text) == slug(text.upper()) or not text.isalpha()  # the case does not matter, as for a-z
    for config in found.values():
        assert config["device"]["name"] == f"PySEB {text}"
        assert VALID_ENTITY_ID.fullmatch(config["default_entity_id"])


def test_node_ids_ha_cannot_spell_differ() -> None:
    from integrations.homeassistant_ids import slug
    texts = ["Дом", "Дача", "Θερμοσίφωνας", "热水器", "温水器", "Дом 2", "Дача 2", "x", "2"]
    assert len({slug(text) for text in texts}) == len(texts)
    assert slug("Séjour") == "s_jour" and slug("pyseb-test") == "pyseb_test"  # spelled letters: the ids they had


@pytest.mark.parametrize("name", ["Дом", "Θερμοσίφωνας", "热水器", "PySEB Дача"])
def test_a_device_name_ha_cannot_spell_gets_entity_ids_of_its_own(tmp_path: Path, name: str) -> None:
    # "Дом" made sensor.grid, "PySEB Дача" sensor.pyseb_grid (the default instance's): the name's letters dropped.
    entities = by_id(harness(tmp_path, extra=f"name = {name}\n"))
    ids = [config["default_entity_id"] for config in entities.values()]
    assert all(VALID_ENTITY_ID.fullmatch(entity_id) for entity_id in ids) and len(set(ids)) == len(ids)
    assert entities["grid_power"]["device"]["name"] == name  # the text as written, where HA shows it
    grid = entities["grid_power"]["default_entity_id"]
    assert grid not in ("sensor.grid", "sensor.pyseb_grid") and grid.endswith("_grid")
    other = by_id(harness(tmp_path, extra="name = Дача\n"))["grid_power"]["default_entity_id"]
    assert grid != other
