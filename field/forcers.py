"""Who forced a load (`Equipment.forced_by`), as the log says it: the field features that force loads (Domoticz,
Home Assistant, the water heater's mode, the fallback and deadline rules), and the user's regul/mode command."""

from __future__ import annotations

from equipments.base import FORCED_BY_USER
from field.domoticz import FORCED_BY_DOMOTICZ
from field.fallback_deadline import FORCED_BY_DEADLINE
from field.fallback_seed import FORCED_BY_SEED
from field.homeassistant import FORCED_BY_HOMEASSISTANT
from field.water_heater import FORCED_BY_MODE

# Who forced a load (`Equipment.forced_by`) as the log says it; a regul/mode command is said by its topic.
FORCERS = {FORCED_BY_DOMOTICZ: "its Domoticz switch", FORCED_BY_HOMEASSISTANT: "Home Assistant",
           FORCED_BY_MODE: "the water-heater mode", FORCED_BY_SEED: "the low-energy fallback",
           FORCED_BY_DEADLINE: "the deadline rule"}


def forcer_name(forced_by: str | None, topic_mode: str) -> str:
    """Who forced a load, as the log says it (`Equipment.forced_by`); the user's command by `topic_mode`."""
    if forced_by in (None, FORCED_BY_USER):
        return topic_mode
    return FORCERS.get(forced_by, forced_by.replace("_", " "))
