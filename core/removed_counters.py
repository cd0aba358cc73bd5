"""The energy counters of loads taken out of the config at a restart: each load's own (the status's `energy` and
`energy_yesterday`, which Home Assistant's and Domoticz's sensors read), kept by name while they hold a day's figures,
so that a load put back under its name later resumes them. Dropped with its entry, a load put back the same day
started from 0 Wh (its sensor's morning lost), where the day's report kept its figures (DailyReport.removed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["KeptCounters", "RemovedCounters"]


@dataclass(frozen=True, slots=True)
class KeptCounters:
    """A removed load's counters, Wh: the counted day's and the day before's."""

    energy_wh: float
    energy_yesterday_wh: float


class RemovedCounters:
    """The kept counters, by load name; rolled at each midnight as a load's are, forgotten once both are 0."""

    def __init__(self) -> None:
        self._kept: dict[str, KeptCounters] = {}

    def keep(self, name: str, energy_wh: float, energy_yesterday_wh: float) -> None:
        """Keep `name`'s counters (none kept when both are 0: nothing to resume)."""
        if energy_wh > 0 or energy_yesterday_wh > 0:
            self._kept[name] = KeptCounters(energy_wh, energy_yesterday_wh)

    def roll_day(self) -> None:
        """Midnight: each day's energy becomes yesterday's, as a load's does (Equipment.roll_day)."""
        self._kept = {name: KeptCounters(0.0, kept.energy_wh) for name, kept in self._kept.items()
                      if kept.energy_wh > 0}

    def forget(self) -> None:
        """Back to none: a restore that failed part-way may have kept some."""
        self._kept = {}

    def as_json(self) -> list[dict[str, Any]]:
        """The status document's `removed_equipments` (status.document; empty: no key)."""
        return [{"name": name, "energy": round(kept.energy_wh, 1),
                 "energy_yesterday": round(kept.energy_yesterday_wh, 1)} for name, kept in self._kept.items()]
