"""Loads that build but would not do what their file says: a variable load's max_power above what its
calibration reaches. Warnings: the config still runs."""

from __future__ import annotations

from equipments.base import Equipment
from settings.options import SectionReader
from settings.problems import ConfigProblem


def warn_capped_max_power(reader: SectionReader, load: Equipment) -> None:
    """A variable load is held at its calibration curve's maximum: a larger max_power is never reached, and
    a user who wrote 3000 W for a heater whose curve stops at 2298 W should see both figures."""
    given_w = load.options.get("max_power")
    if load.KIND != "variable" or not given_w or given_w <= load.max_power_w + 0.5:
        return
    reader.warnings.append(ConfigProblem(load.name, "max_power", f"{given_w:.0f} W is above the calibration "
                                         f"curve's maximum ({load.max_power_w:.0f} W, what the variator draws at "
                                         f"its highest percent): the load is held at {load.max_power_w:.0f} W; "
                                         "remove max_power or measure the curve again"))
