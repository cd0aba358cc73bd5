"""A PZEM meter publishes its readings to Domoticz itself, on the idx set in the meter (`pzem_idx1`, `pzem_idx2`)
and said in its boot message only: PySEB's config cannot tell when one is a Domoticz device PySEB uses (the seed's
sample has idx_grid = 651, PROTOCOL.md's meter pzem_idx1 = 651). Such a boot message is named in a warning."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from equipments.base import Equipment
from field.water_heater import HeaterControl
from integrations.domoticz_settings import DomoticzSettings
from values.boots import MeterBoots, boot_message_id, pzem_domoticz_idx
from values.shown import cut

log = logging.getLogger(__name__)


class MeterIdxWatch:
    """The meters' boot topics, read for the Domoticz idx each meter publishes to."""

    def __init__(self, ds: DomoticzSettings, loads: Sequence[Equipment], heater: HeaterControl | None,
                 meter_topics: Iterable[str]) -> None:
        # idx -> (the key that configures it, what PySEB does with that device)
        self._used: dict[int, str] = {}
        for key, idx, on in (("idx_grid", ds.idx_grid, ds.send and ds.send_grid),
                             ("idx_injection", ds.idx_injection, ds.send and ds.send_injection),
                             # (as the Domoticz link: no water heater, no mode selector to clash with)
                             ("idx_ecs_mode", ds.idx_ecs_mode, heater is not None),
                             ("idx_keep_alive", ds.idx_keep_alive, True)):
            if idx and on:
                self._used.setdefault(idx, f"[domoticz] {key}")
        for load in loads:
            if idx := load.options.get("domoticz_idx_force") or 0:
                self._used.setdefault(idx, f"[{load.name}] domoticz_idx_force")
        boots = MeterBoots((topic, "meter") for topic in meter_topics)
        self.topics = frozenset(boots.topics()) if self._used else frozenset()

    def on_boot(self, topic: str, payload: bytes) -> None:
        """A message on a meter's boot topic (any meter's there: a load's own PZEM publishes to Domoticz too)."""
        for meter_key, idx in pzem_domoticz_idx(payload).items():
            if (key := self._used.get(idx)) is None:
                continue
            meter = boot_message_id(payload) or "?"
            # (keyed on the config's idx, not the meter's id: an id is the message's, and each new one was a new kind
            # for the flood limiter, 64 KiB a line)
            log.warning("%s = %d is also the %s of meter %s (its boot message on %s): the meter publishes its own "
                        "readings to that Domoticz device, which shows both by turns; give %s another device, or "
                        "the meter another %s", key, idx, meter_key, cut(meter), topic, key.rpartition(" ")[2],
                        meter_key, extra={"limit_key": f"pzem-idx-{idx}-{meter_key}"})
