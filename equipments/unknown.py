"""Loads on a relay whose power is not known in advance: switch, then measure the house meter."""

from __future__ import annotations

import logging
from typing import Any

from equipments.base import BuildContext, Command
from equipments.constant import RELAY_OPTIONS, RelayEquipment
from settings.options import Option

log = logging.getLogger(__name__)


class UnknownEquipment(RelayEquipment):
    """A relay; its watts are learned from the change of the house consumption after switching it on."""

    KIND = "unknown"
    OPTIONS = RELAY_OPTIONS + (
        Option("max_power", "float?", None,
               "upper bound of its watts, for forced mode and sanity (default 3680 W: a 16 A plug)", min=1),
    )
    DEFAULT_MAX_W = 3680.0

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        self.learned_power_w: float | None = None
        self._house_without_w: float | None = None  # consumption minus the other loads, last decision
        self._base_at_switch_w: float | None = None  # the same, at the decision that switched it on

    @property
    def max_power_w(self) -> float:
        return float(self.options.get("max_power") or self.DEFAULT_MAX_W)

    @property
    def measuring(self) -> bool:
        """True between switching on and the next fresh house reading."""
        return self._base_at_switch_w is not None

    def command_for(self, watts: float) -> tuple[Command, float]:
        on = watts > 0
        return self._relay(on), (watts if on else 0.0)

    def increase_power_by(self, watts: float, now: float) -> float | None:
        if self.current_power_w > 0 or self.measuring:
            return watts
        if self.learned_power_w is not None and watts < self.learned_power_w:
            # It drew more than this last time: switching it on would import. Like a known relay.
            return watts - self.learned_power_w
        # Believed at what it last drew (or what is free) until the next reading tells the truth.
        self.set_power(self.learned_power_w or watts, now, f"surplus {watts:.0f} W, power to be measured")
        self._base_at_switch_w = self._house_without_w
        return None

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        if self.current_power_w <= 0:
            return 0.0
        self._base_at_switch_w = None
        self.set_power(0.0, now, f"over-consumption {watts:.0f} W")
        return None  # what it really freed shows at the next reading

    def observe_consumption(self, consumption_w: float, others_w: float, now: float) -> None:
        if self._base_at_switch_w is None:
            if self.current_power_w <= 0:
                self._house_without_w = consumption_w - others_w
            return
        measured_w = max(0.0, consumption_w - others_w - self._base_at_switch_w)
        self._base_at_switch_w = None
        self.learned_power_w = measured_w
        self.accumulate_energy(now)
        log.info("%s: measured %.0f W after switching on", self.name, measured_w)
        self.current_power_w = measured_w
