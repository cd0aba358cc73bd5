"""What the log says of the old Home Assistant discovery places left alone stays readable and right:
- a hand-edited `ha_discovery_left_alone` of 50 places gave 46 warnings of ~600 characters each at the start: the places
  dropped past a few are folded into one line (how many, the first availability topics), each place's detail at DEBUG;
- a place under this PySEB's own prefix and node id (only topic_regul moved) was told to be listed with
  `mosquitto_sub ... -t homeassistant/+/<node id>/+/config`, which lists this PySEB's own configs too, and to clear
  each: the listing now keeps only the configs that name the place's availability topic (the other's)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from field.homeassistant_left_alone import MAX_DROPPED_SAID, MAX_LEFT_ALONE
from tests.configs import with_mqtt_lines, write_config
from tests.field_homeassistant import HA
from tests.harness import NOON, Harness
from tests.test_field_homeassistant_left_alone import HOUSE, MOVED
from tests.test_field_homeassistant_left_alone_full import _place
from tests.test_field_homeassistant_moved import first_run, next_run, removed

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)

OTHERS_ONLY = "| grep -F '\"availability_topic\": \"regul/availability\"'"


def _restored(tmp_path: Path, left: list[dict[str, Any]], extra: str = MOVED) -> list[str]:
    _, saved = first_run(tmp_path / "a")
    (tmp_path / "b").mkdir()
    h = Harness(with_mqtt_lines(write_config(tmp_path / "b", ("ecs", "radiator"), extra=extra), HOUSE))
    return h.reg.restore(json.loads(json.dumps({**saved, "ha_discovery_left_alone": left})), NOON)


def test_a_hand_edited_list_of_50_places_is_said_in_one_line_the_detail_at_debug(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="field.homeassistant")
    warnings = _restored(tmp_path, [_place(n) for n in range(1, 51)])
    said = [w for w in warnings if "places left alone" in w]
    assert len(said) == 1, warnings
    gone = 50 - MAX_LEFT_ALONE
    assert f"{gone} places are no longer looked at" in said[0], said
    assert "p5/availability, p6/availability, p7/availability and 43 more" in said[0], said
    assert "[logging] level = DEBUG" in said[0] and len(said[0]) < 700, said
    detail = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and "no longer looked at" in
              r.getMessage()]
    assert len(detail) == gone and "p50/availability" in detail[-1] and "mosquitto_pub -r -n -t" in detail[-1]


def test_a_few_places_dropped_are_each_said_in_full(tmp_path: Path) -> None:
    warnings = _restored(tmp_path, [_place(n) for n in range(1, MAX_LEFT_ALONE + MAX_DROPPED_SAID + 1)])
    said = [w for w in warnings if "places left alone" in w]
    assert len(said) == MAX_DROPPED_SAID and all("mosquitto_pub -r -n -t <topic> clears each" in w for w in said)


def test_a_place_dropped_under_this_pysebs_node_id_lists_only_the_others_configs(tmp_path: Path) -> None:
    # (this run: node id pyseb_test, topic_regul house; the place: node id pyseb_test, topic_regul regul)
    mine = {"prefix": "homeassistant", "node_id": "pyseb_test", "availability_topic": "regul/availability",
            "state_topic": "regul/ha/state", "starts": 2, "since": NOON - 3600}
    warnings = _restored(tmp_path, [*(_place(n) for n in range(1, MAX_LEFT_ALONE + 1)), mine], extra=HA)
    [said] = [w for w in warnings if "places left alone" in w]
    assert f"-t homeassistant/+/pyseb_test/+/config {OTHERS_ONLY}" in said, said
    assert "delete that device in Home Assistant" not in said, said  # (it is this PySEB's too)


def test_an_unknown_word_at_a_place_under_this_pysebs_node_id_lists_only_the_others_configs(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # the first look (only topic_regul moved): another PySEB says online under this node id, left alone
    old, saved = first_run(tmp_path / "a")
    h, _ = next_run(tmp_path / "b", saved, HA, mqtt_lines=HOUSE)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("regul/availability", b"online", NOON + 0.06, retained=True)
    h.reg.tick(NOON + 1)
    saved = h.reg.status(NOON + 2)
    assert removed(h) == [] and len(saved["ha_discovery_left_alone"]) == 1
    # a later start: the word is junk
    caplog.clear()
    g, _ = next_run(tmp_path / "c", saved, HA, mqtt_lines=HOUSE)
    for topic, payload in old.items():
        g.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    g.reg.handle("regul/availability", b"junk", NOON + 0.06, retained=True)
    g.reg.tick(NOON + 1)
    [said] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "'junk'" in r.getMessage()]
    assert "mosquitto_pub -r -n -t regul/availability" in said, said
    assert "homeassistant/+/pyseb_test/+/config" not in said or OTHERS_ONLY in said, said


def test_a_long_list_with_a_place_under_this_pysebs_node_id_is_not_told_to_delete_this_pysebs_device(
        tmp_path: Path) -> None:
    # (folded into one line, the advice was to delete those devices in Home Assistant: this PySEB's own among them)
    mine = {"prefix": "homeassistant", "node_id": "pyseb_test", "availability_topic": "regul/availability",
            "state_topic": "regul/ha/state", "starts": 2, "since": NOON - 3600}
    warnings = _restored(tmp_path, [*(_place(n) for n in range(1, 11)), mine], extra=HA)
    [said] = [w for w in warnings if "places left alone" in w]
    assert "7 places are no longer looked at" in said, said
    assert "not the device of node id 'pyseb_test'" in said and "this PySEB's too" in said, said
