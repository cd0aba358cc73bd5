"""The discovery config docs/domoticz-and-home-assistant.md shows (the heater's force power number, for the README's
minimal config with discovery on) is the one PySEB sends, key for key (the page's lacked the `entity_category` PySEB
sends since the numbers became settings)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from integrations.homeassistant import Topics, config_payload
from integrations.homeassistant_entities import LoadInfo, build_entities
from settings.version import PYSEB_VERSION

PAGE = Path(__file__).resolve().parent.parent / "docs" / "domoticz-and-home-assistant.md"
TOPIC = "homeassistant/number/pyseb/load_ecs_force_power/config"


def test_the_pages_force_power_config_is_the_one_sent() -> None:
    block = re.search(rf"^```\n{re.escape(TOPIC)}\n(.*?)^```", PAGE.read_text(), flags=re.M | re.S)
    assert block is not None, f"no example of {TOPIC} in {PAGE.name}"
    shown = json.loads(block.group(1))
    topics = Topics("homeassistant", "pyseb", "regul/ha", "regul/availability")
    entity = next(e for e in build_entities([LoadInfo("ecs", 2298.0, tank=True)], "ecs")
                  if topics.config(e) == TOPIC)
    assert shown == json.loads(json.dumps(config_payload(entity, topics, PYSEB_VERSION)))
