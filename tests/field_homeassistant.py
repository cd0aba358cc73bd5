"""Shared set-up of the Home Assistant discovery tests (test_field_homeassistant and its _energy and _controls
files, test_homeassistant_mqtt, test_homeassistant_ids): a started regulator with discovery on, the configs and
the state document it published, and a control's command."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.configs import write_config
from tests.harness import NOON, Harness

HA = "[homeassistant]\ndiscovery = true\n"
STATE = "regul/ha/state"
PARIS = ZoneInfo("Europe/Paris")  # the test configs' [evaluate] timezone
ENERGIES = ("production_energy", "load_ecs_energy", "load_radiator_energy")


def harness(tmp_path: Path, extra: str = HA, loads: tuple[str, ...] = ("ecs", "radiator")) -> Harness:
    h = Harness(write_config(tmp_path, loads, extra=extra))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    return h


def configs(h: Harness) -> dict[str, dict]:
    """Discovery topic -> config, the last one published on each (retained)."""
    found: dict[str, dict] = {}
    for topic, payload, retain in h.sent:
        if topic.startswith("homeassistant/") and topic.endswith("/config"):
            assert retain, topic
            found[topic] = json.loads(payload)
    return found


def by_id(h: Harness) -> dict[str, dict]:
    return {topic.split("/")[3]: config for topic, config in configs(h).items()}


def state(h: Harness) -> dict:
    retained = [p for t, p, r in h.sent if t == STATE and r]
    assert retained, "no retained state published"
    return dict(json.loads(retained[-1]))


def states(h: Harness) -> list[dict]:
    """Every retained state document, oldest first: what HA's recorder saw."""
    return [json.loads(p) for t, p, r in h.sent if t == STATE and r]


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).timestamp()


def command(h: Harness, object_id: str, payload: str, now: float = NOON + 10) -> None:
    h.reg.handle(by_id(h)[object_id]["command_topic"], payload.encode(), now)
