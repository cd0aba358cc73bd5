"""Who forced a load (`Equipment.forced_by`), as the log says it: the field features that force loads (Domoticz,
Home Assistant, the water heater's mode, the fallback and deadline rules), and the user's regul/mode command; and
whether a restored force's maker is still in the config (force_owner_gone)."""

from __future__ import annotations

from equipments.base import FORCED_BY_USER, Equipment
from field.domoticz import FORCED_BY_DOMOTICZ, DomoticzBridge
from field.fallback_deadline import FORCED_BY_DEADLINE, RULE_OWNERS
from field.fallback_seed import FORCED_BY_SEED
from field.homeassistant import FORCED_BY_HOMEASSISTANT, HomeAssistantBridge
from field.water_heater import FORCED_BY_MODE, HeaterControl

# Who forced a load (`Equipment.forced_by`) as the log says it; a regul/mode command is said by its topic.
FORCERS = {FORCED_BY_DOMOTICZ: "its Domoticz switch", FORCED_BY_HOMEASSISTANT: "Home Assistant",
           FORCED_BY_MODE: "the water-heater mode", FORCED_BY_SEED: "the low-energy fallback",
           FORCED_BY_DEADLINE: "the deadline rule"}


def forcer_name(forced_by: str | None, topic_mode: str) -> str:
    """Who forced a load, as the log says it (`Equipment.forced_by`); the user's command by `topic_mode`."""
    if forced_by in (None, FORCED_BY_USER):
        return topic_mode
    return FORCERS.get(forced_by, forced_by.replace("_", " "))


def force_owner_gone(load: Equipment, heater: HeaterControl | None, homeassistant: HomeAssistantBridge,
                     domoticz: DomoticzBridge) -> str | None:
    """Why a restored force of `load` is not to be kept, None to keep it: a fallback rule made it and this config
    does not run that rule for that load (turned off, or another water heater): no rule would ever end it early, and a
    user who turned the seed rule off at 01:05 and restarted got its night's force back, 3 h from the grid. Likewise
    a force made with a switch this config no longer has for that load (Home Assistant's, a Domoticz force switch):
    only a regul/mode command its owner never used would end it, and a radiator forced on from HA stayed on for good
    once HA's discovery was turned off. And a force made by the water-heater mode on a load that is no longer the
    water heater. Said after "its saved force was"."""
    owner = load.forced_by
    if owner in RULE_OWNERS:
        if heater is not None and heater.runs(owner, load):
            return None
        return f"the {str(owner).replace('_', ' ')}'s, which this configuration does not run for it"
    if owner == FORCED_BY_MODE and (heater is None or load is not heater.heater):
        # (the mode's force ends only when the water heater's mode changes: on a load that is no longer the water
        # heater, nothing would end it, and it ran from the grid at night)
        return "made by the water-heater mode, and it is no longer the water heater"
    if owner == FORCED_BY_HOMEASSISTANT and not homeassistant.forces(load.name):
        return "made with Home Assistant's force switch, which this configuration does not have"
    if owner == FORCED_BY_DOMOTICZ and not domoticz.forces(load.name):
        return "made with its Domoticz force switch, which this configuration does not have"
    return None
