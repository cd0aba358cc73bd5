"""What the field features tell each decision, apart from FieldFeatures' messages and timers: the loads the allocation
may use now (not the heater its mode keeps off, nor a load a full-tank re-probe holds at 0 W, nor a variator whose
output is gated off), the relays that wait after a load held or a variator silent, and the loads whose believed watts
or draws are in doubt.

A mixin of `field.features.FieldFeatures`, as `core.life_cycle` is of the regulator: these are the facade's interface
(the regulator's decision step calls `field.regulated`, `field.after_held`, ...), asked at every decision, so without
a call more; they read its parts (declared below, set by `FieldFeatures.__init__`)."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment
from equipments.variable import VariableEquipment
from field.full_tank_watch import FullTankWatch
from field.water_heater import HeaterControl


class FeaturesAtDecision:
    """The loads a decision may use, those that wait, the draws in doubt: the part of `FieldFeatures` each decision
    asks."""

    # The field features' parts these read (set by FieldFeatures.__init__).
    _variators: tuple[VariableEquipment, ...]
    tanks: FullTankWatch
    heater: HeaterControl | None

    def regulated(self, loads: Sequence[Equipment], now: float) -> list[Equipment]:
        """`loads` the allocation may use now (in order): not the heater while its mode is off, nor a load
        held at 0 W by a full-tank re-probe, nor a variator whose output is gated off."""
        off = self.heater.heater if self.heater is not None and self.heater.excluded() else None
        if off is None and not self.tanks.holds_any():
            for variator in self._variators:  # (a plain loop, cheaper than a comprehension: every decision)
                if variator.output_off:
                    break
            else:
                return list(loads)  # the usual case, at every decision
        return self._left_in(loads, off, now)

    def _left_in(self, loads: Sequence[Equipment], off: Equipment | None, now: float) -> list[Equipment]:
        """`regulated`'s `loads` when one may be left out, `off` the heater its mode keeps off. (A method of its own:
        its comprehension reads the caller's names, which made them cells, made anew at every decision.)"""
        gated = [load for load in self._variators if load.output_off]
        return [load for load in loads if load is not off and load not in gated and not self.tanks.excluded(load, now)]

    def after_held(self, loads: Sequence[Equipment], now: float) -> dict[str, str]:
        """The names of `loads` after the first one a full-tank re-probe holds at 0 W now (left out of `regulated`),
        or after the first variator that has not answered our commands (VariableEquipment.silent), each with why
        it waits ("measure", "<name> silent"): none may switch on in its place. A silent variator may draw nothing
        (rebooting, its triac off): the loop raised it in vain, a relay after it came on "over a heater at its max",
        and its min_on_s kept the heater short by that relay's watts for ten minutes once the variator was back."""
        held = self.tanks.holds_any()
        if not held:
            for variator in self._variators:  # (a plain loop, cheaper than any() on a generator: every decision)
                if variator.silent(now):
                    break
            else:
                return {}  # the usual case, at every decision
        for index, load in enumerate(loads):
            if isinstance(load, VariableEquipment) and load.silent(now):
                why = f"{load.name} silent"
            elif held and self.tanks.excluded(load, now):
                why = "measure"
            else:
                continue
            return {after.name: why for after in loads[index + 1:]}
        return {}

    def beliefs_in_doubt(self, now: float) -> bool:
        """True while a load's believed watts may be wrong (a heater suspected full, or the house just fell by
        part of its watts): a load of unknown power is not measured then, its measure being the house's step
        less the others' beliefs."""
        return self.tanks.in_doubt(now)

    def draws_in_doubt(self, now: float, beliefs_in_doubt: bool) -> list[str]:
        """The variable loads that may draw nothing whatever they are believed to, by name: suspected full (only
        while `beliefs_in_doubt`, that method's answer at `now`), or a variator silent (rebooting, its triac off). A
        relay before one counts none of its watts as what it would give back (a heater's cut read as its give-back
        switched a relay on into an import)."""
        doubted = self.tanks.doubted(now) if beliefs_in_doubt else []  # (a new list: ours to add to)
        for variator in self._variators:  # (a plain loop, cheaper than a comprehension added on: every decision)
            if variator.silent(now) and variator.name not in doubted:
                doubted.append(variator.name)
        return doubted
