"""A load behind a triac variator (e.g. a water heater): any power from `min_power` to its max, sent as a
percent through the load's calibration curve.

The class is made of three parts, each in its own file: its watts as whole percents through its curve
(equipments/variable_percents.py), whether its variator answers our commands and when it is silent
(equipments/variator_answers.py), and what its status messages say (equipments/variator_echoes.py). Here: its
options, what it takes from the allocation and a force."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from equipments.base import BASE_OPTIONS, FORCED_BY_USER
from equipments.load_build import MAX_LOAD_W, BuildContext, EquipmentBuildError
from equipments.variable_percents import PercentCommands
from equipments.variator_echoes import VariatorEchoes
from settings.options import Option

if TYPE_CHECKING:
    from collections.abc import Mapping

log = logging.getLogger(__name__)


class VariableEquipment(VariatorEchoes, PercentCommands):
    """Percent command on `topic_set_power`; watts -> percent through a fit of the calibration CSV."""

    KIND = "variable"
    OPTIONS = BASE_OPTIONS + (
        Option("calibration", "text?", None,
               "percent;watts CSV (default calibration/power_calibration_<name>.csv, then "
               "./power_calibration_<name>.csv)"),
        Option("min_power", float, 150.0, "watts below which the load is switched off (triac misfires); asked at "
               "it, the variator gets the whole percent under it, which may draw a few watts less", min=0,
               max=MAX_LOAD_W),
        Option("min_percent", float, 4.0, "a command below this percent becomes 0 (a surplus under what it draws is "
               "left to the loads after it); what it draws must be under the load's max", min=0, max=100),
        Option("max_power", "float?", None, "maximum watts (default: the calibration curve's maximum; a larger "
               "figure is held at the curve's, with a warning; under 50: refused, as kilowatts written for watts)",
               min=1, max=MAX_LOAD_W),
        Option("fit", str, "robust", "calibration fit method", choices=("robust", "poly")),
        Option("degree", int, 5, "degree of the polynomial when fit = poly", min=1, max=10),
        Option("topic_read_power", "text?", None, "the load's own meter topic, if it has one (not [mqtt]'s: "
               "what the load alone draws)"),
        Option("json_read_power", "json field", "power", "JSON field of watts in the load's own meter readings "
               "(names joined by dots for one inside an object: ENERGY.Power for a Tasmota plug, "
               "ENERGY.Power.0 for the first channel of a device of several)"),
        # Read by the field features' full-tank watch; declared here, with the load that takes it.
        Option("full_detect", str, "auto", "how a full tank is detected: auto (meter if topic_read_power is "
               "set, else inferred), meter, inferred or off", choices=("auto", "meter", "inferred", "off")),
        Option("topic_status", "text?", None, "the variator's status topic, read for boot_detected (default: "
               "topic_set_power without its trailing /cmd)"),
        Option("topic_boot", "text?", None, "the variator's boot message topic (default: the parent of "
               "topic_status)"),
        Option("device_id", "text?", None, "the variator's id in its boot message (default: the last segment "
               "of topic_status)"),
    )

    @classmethod
    def packages(cls, section: Mapping[str, str]) -> tuple[str, ...]:
        """numpy for a curve fitted by `poly` (numpy's polyfit); the default robust fit is plain Python (numpy is
        15 MB of the daemon's memory)."""
        return ("numpy",) if section.get("fit", "").strip().lower() == "poly" else ()

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)  # (its curve, PercentCommands; its variator's topics, VariatorAnswers)
        read_topic = options.get("topic_read_power")
        # (the seed's words for "no meter" besides its None, any case: false and nok; a topic so named waited for
        # readings that never come, the tank watched by the house meter meanwhile)
        self.topic_read_power: str | None = None if read_topic is not None and read_topic.strip().lower() in (
            "false", "nok") else read_topic
        self.json_read_power: str = options.get("json_read_power") or "power"
        self.full_detection = self._full_detection(options.get("full_detect") or "auto")

    def _full_detection(self, asked: str) -> str | None:
        if asked == "meter" and not self.topic_read_power:
            raise EquipmentBuildError("full_detect", "full_detect = meter needs topic_read_power (the load's "
                                                     "own meter)")
        if asked == "auto":
            return "meter" if self.topic_read_power else "inferred"
        return None if asked == "off" else asked

    def force(self, power_w: float, duration_s: float | None, now: float, reason: str,
              by: str = FORCED_BY_USER) -> bool:
        if power_w > 0 and self.command_for(power_w)[1] == 0:
            log.warning("%s: a force at %g W is under the least it draws steadily (%.0f W: min_power %.0f W, "
                        "min_percent %g %%, and the lowest percent that conducts, %g %%, %.0f W): off", self.name,
                        power_w, self.least_on_w, self.min_power_w, self.min_percent, self.curve.min_on_percent,
                        self.curve.min_on_w)
            power_w = 0.0  # (a force off, as the status's forced_power says: it said 100 W beside current_power 0)
        return super().force(power_w, duration_s, now, reason, by)

    def increase_power_by(self, watts: float, now: float) -> float | None:
        room_w = self._max_power_w - self.current_power_w
        increase_w, left_w = (room_w, watts - room_w) if watts >= room_w else (watts, 0.0)
        if self.current_power_w + increase_w < self.least_on_w:
            log.debug("%s: %+.0f W would stay under the least it draws when on, %.0f W: unchanged", self.name,
                      increase_w, self.least_on_w)
            return watts
        if increase_w > 0:
            self.set_power(self.current_power_w + increase_w, now, f"surplus {watts:.0f} W")
        return left_w

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        decrease_w = min(watts, self.current_power_w)
        if self.current_power_w - decrease_w < self.least_on_w:
            decrease_w = self.current_power_w  # below min_power it would only misfire (or not conduct): off
        if decrease_w > 0:
            self.set_power(self.current_power_w - decrease_w, now, f"over-consumption {watts:.0f} W")
        return decrease_w
