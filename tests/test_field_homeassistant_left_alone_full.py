"""The old Home Assistant discovery places left alone are kept 4 at most in the status file (each start looks at the
first). A fifth left alone dropped the first, the next to look at, without a word, its configs left in Home Assistant
for good; a hand-edited list of more than 4 lost its tail alike. Each place dropped is now said, with what to clear
by hand if no PySEB runs there."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from field.homeassistant_left_alone import MAX_LEFT_ALONE
from tests.configs import with_mqtt_lines, write_config
from tests.harness import NOON, Harness
from tests.test_field_homeassistant_left_alone import HOUSE, MOVED, OLD_PLACE
from tests.test_field_homeassistant_moved import first_run, removed

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)


def _place(n: int) -> dict[str, Any]:
    """An old place left alone: node id pN, availability topic pN/availability."""
    return {"prefix": "homeassistant", "node_id": f"p{n}", "availability_topic": f"p{n}/availability",
            "state_topic": f"p{n}/ha/state", "starts": 2, "since": NOON - 3600}


def _dropped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
            and "places left alone" in r.getMessage()]


def test_a_fifth_place_left_alone_says_the_one_it_drops_and_what_to_clear(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old, saved = first_run(tmp_path / "a")  # (its place: node id pyseb_test, regul/availability)
    full = [_place(n) for n in range(1, MAX_LEFT_ALONE + 1)]
    (tmp_path / "b").mkdir()
    h = Harness(with_mqtt_lines(write_config(tmp_path / "b", ("ecs", "radiator"), extra=MOVED), HOUSE))
    assert h.reg.restore(json.loads(json.dumps({**saved, "ha_discovery_left_alone": full})), NOON) == []
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    for topic, payload in old.items():
        h.reg.handle(topic, payload.encode(), NOON + 0.05, retained=True)
    h.reg.handle("regul/availability", b"online", NOON + 0.06, retained=True)
    h.reg.tick(NOON + 1)
    assert removed(h) == []
    left = h.reg.status(NOON + 2)["ha_discovery_left_alone"]
    assert [place["node_id"] for place in left] == ["p2", "p3", "p4", OLD_PLACE["node_id"]]
    [said] = _dropped(caplog)
    assert "p1/availability" in said and "node id 'p1'" in said and "no longer looked at" in said
    assert "mosquitto_sub -v --retained-only -W 2 -t homeassistant/+/p1/+/config" in said
    assert "mosquitto_pub -r -n -t <topic> clears each" in said


def test_a_hand_edited_list_over_the_bound_says_the_places_it_drops(tmp_path: Path) -> None:
    _, saved = first_run(tmp_path / "a")
    (tmp_path / "b").mkdir()
    h = Harness(with_mqtt_lines(write_config(tmp_path / "b", ("ecs", "radiator"), extra=MOVED), HOUSE))
    over = [_place(n) for n in range(1, MAX_LEFT_ALONE + 3)]
    warnings = h.reg.restore(json.loads(json.dumps({**saved, "ha_discovery_left_alone": over})), NOON)
    said = [w for w in warnings if "places left alone" in w]
    assert len(said) == 2, warnings
    assert "p5/availability" in said[0] and "p6/availability" in said[1]
    assert all("mosquitto_pub -r -n -t <topic> clears each" in w for w in said)
