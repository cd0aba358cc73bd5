"""A variable load's watts as the whole percents its variator is sent: its calibration curve loaded and checked against
its options, and each whole percent's command and believed watts (the part of VariableEquipment the allocation calls at
every decision)."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from equipments.base import Equipment
from equipments.load_build import SMALL_LOAD_W, BuildContext, EquipmentBuildError, kilowatts_hint
from equipments.load_command import Command
from equipments.variable_curve import calibration_path, load_calibration
from values.boots import whole_percent

if TYPE_CHECKING:
    from calibration.curve import PowerCurve

# The load's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("equipments.variable")


def format_percent(percent: float) -> str:
    """A percent as the variator firmware takes it: '0', '42.5', '100' (one decimal at most)."""
    return format(round(percent, 1), "g")


class PercentCommands(Equipment):
    """Watts -> the whole percent under them, through a fit of the load's calibration CSV, and back (a base of
    VariableEquipment, whose options `calibration`, `min_power`, `min_percent`, `max_power`, `fit` and `degree` it
    reads)."""

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        self.min_power_w: float = options["min_power"]
        self.min_percent: float = options["min_percent"]
        # The command and believed watts of each whole percent, made once (at most 101 of them): a command is
        # made at every decision, and what a percent means (the topic, the curve) is fixed once built.
        self._command_at: dict[float, tuple[Command, float]] = {}
        self._off_command = (Command(self.topic_set_power, "0", False), 0.0)  # (the same: made once too)
        # The last watts turned into a whole percent, and that percent: the closed loop's share asks the percent of the
        # watts it then commands (its learned steps, core/continuous_share.py), one search of the curve for both.
        self._percent_of_w: tuple[float, float] = (math.nan, 0.0)
        path = self.calibration_path = calibration_path(name, options.get("calibration"), context.config_dir)
        self.curve: PowerCurve = load_calibration(path, options["fit"], options["degree"], self.min_power_w)
        configured_max = options.get("max_power")
        if configured_max is not None and configured_max < SMALL_LOAD_W:
            # (a relay's is warned: a small relay load may be real; no triac is sold for a few watts. The min_power
            # check below said "min_power (150 W) must be below the load's max (2 W)", sending the user to min_power)
            raise EquipmentBuildError("max_power", f"{configured_max:g} W is too little for a variable load: "
                                                   f"{kilowatts_hint(configured_max)}")
        self._max_power_w = float(min(configured_max, self.curve.max_power_w) if configured_max
                                  else self.curve.max_power_w)
        if self.min_power_w >= self._max_power_w:
            raise EquipmentBuildError("min_power", f"min_power ({self.min_power_w:g} W) must be below the "
                                                   f"load's max ({self._max_power_w:.0f} W)")
        # (its floor worked out once: min_power, its curve and min_percent are its config, never changed once built,
        # and the closed loop asks for it at every decision)
        self._least_on_w = least_on_w = self._floor_w()
        if least_on_w > self._max_power_w:
            # (every command, the regulation's and the fallback's alike, was then "0": a heater never on, said OK)
            key, why = (("min_percent", f"min_percent ({self.min_percent:g} %) draws {least_on_w:.0f} W")
                        if least_on_w > max(self.min_power_w, self.curve.min_on_w) else
                        ("max_power", f"its calibration conducts from {least_on_w:.0f} W"))
            raise EquipmentBuildError(key, f"{why}, above the load's max ({self._max_power_w:.0f} W): it could never "
                                           "be switched on")
        # (its switches at its floor, the loop's dither about it, held back in the log as its steps are)
        self._power_log.floor_w = lambda: self.least_on_w
        # (its floor as commanded, `least_on_w`: min_power said it, 150 W, of a curve on only from 717 W)
        log.info("%s: calibration %s (%s fit), %.0f..%.0f W", name, path, self.curve.method,
                 least_on_w, self._max_power_w)

    @property
    def max_power_w(self) -> float:
        return self._max_power_w

    def _whole_percent(self, watts: float) -> float:
        # The variator firmware truncates the percent to a whole number (x.5 % draws what x % draws, on
        # every real sweep): send whole percents, rounded down so the load never draws more than asked.
        if watts > self._max_power_w:  # (not min(), whose call parses its keywords on Python 3.11: every decision)
            watts = self._max_power_w
        if watts <= 0:
            return 0.0
        known_w, percent = self._percent_of_w
        if watts != known_w:
            percent = float(whole_percent(float(self.curve.percent_for(watts))))
            self._percent_of_w = (watts, percent)
        return percent

    def whole_percent_for(self, watts: float) -> int:
        """The whole percent `watts` is sent as (0: off, or under the curve's first conducting percent)."""
        return int(self._whole_percent(watts))

    def percent_w(self, percent: int) -> float:
        """What the whole `percent` is believed to draw (its calibration's watts)."""
        return self._made(float(percent))[1]

    def watts_above(self, watts: float) -> float:
        """What the whole percent over the one `watts` is sent as is believed to draw (min_percent at least;
        the max at the top)."""
        above = max(self._whole_percent(watts) + 1.0, float(math.ceil(self.min_percent)))
        return min(self._made(above)[1], self._max_power_w) if above <= 100 else self._max_power_w

    def command_for(self, watts: float) -> tuple[Command, float]:
        # The whole percent under `watts`, and what it is believed to draw.
        percent = self._whole_percent(watts)
        if percent < self.min_percent or watts < self.min_power_w:
            # Below min_percent the variator does not conduct reliably, below min_power the triac misfires: off,
            # and believed off. (The regulation never asks under min_power; a force may: 5 W was sent as the
            # lowest percent of the curve, 100 W.)
            return self._off()
        made = self._made(percent)
        if not 0 < made[1] <= watts + 0.5:
            # Under the sweep's lowest percent that conducts: its curve starts over `watts` (a heater conducting
            # only from 20 %, 400 W, was sent 20 % for 250 W, and imported the rest at every other reading), or
            # the whole percent under it is one the sweep found off. The load never draws more than asked: off.
            return self._off()
        return made

    def _off(self) -> tuple[Command, float]:
        return self._off_command

    @property
    def least_on_w(self) -> float:
        """The least it is ever asked to draw when on: min_power, or the curve's first conducting watts, or what
        min_percent draws, whichever is over (under it, `command_for` sends it off; the allocators count it off there
        too, not as taking the watts: a min_percent of 20 % (400 W) over a 150 W min_power held 320 W of surplus from
        the load after it, exported)."""
        return self._least_on_w

    def _floor_w(self) -> float:
        """`least_on_w`, worked out."""
        floor_w = max(self.min_power_w, self.curve.min_on_w)
        if self.min_percent > 0:
            floor_w = max(floor_w, self._made(min(100.0, float(math.ceil(self.min_percent))))[1])
        return floor_w

    def _made(self, percent: float) -> tuple[Command, float]:
        known = self._command_at.get(percent)
        if known is None:
            known = self._command_at[percent] = (Command(self.topic_set_power, format_percent(percent), False),
                                                 float(self.curve.watts_at(percent)))
        return known
