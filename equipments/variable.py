"""A load behind a triac variator (e.g. a water heater): any power from `min_power` to its max, sent as a
percent through the load's calibration curve."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from calibration import CalibrationError, PowerCurve, load_curve
from equipments.base import BASE_OPTIONS, BuildContext, Command, Equipment, EquipmentBuildError
from settings.options import Option

log = logging.getLogger(__name__)


def format_percent(percent: float) -> str:
    """A percent as the variator firmware takes it: '0', '42.5', '100' (one decimal at most)."""
    return format(round(percent, 1), "g")


class VariableEquipment(Equipment):
    """Percent command on `topic_set_power`; watts -> percent through a fit of the calibration CSV."""

    KIND = "variable"
    OPTIONS = BASE_OPTIONS + (
        Option("calibration", "text?", None,
               "percent;watts CSV (default calibration/power_calibration_<name>.csv, then "
               "./power_calibration_<name>.csv)"),
        Option("min_power", float, 150.0, "watts below which the load is switched off (triac misfires)",
               min=0),
        Option("min_percent", float, 4.0, "a command below this percent becomes 0", min=0, max=100),
        Option("max_power", "float?", None, "maximum watts (default: the calibration curve's maximum)",
               min=1),
        Option("fit", str, "robust", "calibration fit method", choices=("robust", "poly")),
        Option("degree", int, 5, "degree of the polynomial when fit = poly", min=1, max=12),
        Option("topic_read_power", "text?", None, "the load's own meter topic, if it has one"),
        Option("json_read_power", str, "power", "JSON field of watts in the load's own meter readings"),
    )

    def __init__(self, name: str, options: dict[str, Any], context: BuildContext) -> None:
        super().__init__(name, options, context)
        self.min_power_w: float = options["min_power"]
        self.min_percent: float = options["min_percent"]
        path = self._calibration_path(name, options.get("calibration"), context.config_dir)
        try:
            self.curve: PowerCurve = load_curve(path, method=options["fit"], degree=options["degree"],
                                                min_power_w=self.min_power_w)
        except CalibrationError as exc:
            raise EquipmentBuildError("calibration", str(exc)) from exc
        except OSError as exc:
            raise EquipmentBuildError("calibration", f"cannot read {path}: {exc.strerror}") from exc
        configured_max = options.get("max_power")
        self._max_power_w = float(min(configured_max, self.curve.max_power_w) if configured_max
                                  else self.curve.max_power_w)
        if self.min_power_w >= self._max_power_w:
            raise EquipmentBuildError("min_power", f"min_power ({self.min_power_w:g} W) must be below the "
                                                   f"load's max ({self._max_power_w:.0f} W)")
        log.info("%s: calibration %s (%s fit), %.0f..%.0f W", name, path, self.curve.method,
                 self.min_power_w, self._max_power_w)

    @staticmethod
    def _calibration_path(name: str, given: str | None, config_dir: Path) -> Path:
        if given:
            path = Path(given).expanduser()
            return path if path.is_absolute() else config_dir / path
        candidates = [config_dir / "calibration" / f"power_calibration_{name}.csv",
                      config_dir / f"power_calibration_{name}.csv"]
        for candidate in candidates:
            if candidate.exists():
                return candidate
        raise EquipmentBuildError("calibration", "no calibration file: looked for "
                                  + " and ".join(str(c) for c in candidates))

    @property
    def max_power_w(self) -> float:
        return self._max_power_w

    def command_for(self, watts: float) -> tuple[Command, float]:
        watts = min(watts, self._max_power_w)
        percent = float(self.curve.percent_for(watts)) if watts > 0 else 0.0
        if percent < self.min_percent:
            # Below this the variator does not conduct reliably: off, and believed off.
            percent, watts = 0.0, 0.0
        return Command(self.topic_set_power, format_percent(percent), False), watts

    def increase_power_by(self, watts: float, now: float) -> float | None:
        room_w = self._max_power_w - self.current_power_w
        increase_w, left_w = (room_w, watts - room_w) if watts >= room_w else (watts, 0.0)
        if self.current_power_w + increase_w < self.min_power_w:
            log.debug("%s: %+.0f W would stay under min_power %.0f W: unchanged", self.name, increase_w,
                      self.min_power_w)
            return watts
        if increase_w > 0:
            self.set_power(self.current_power_w + increase_w, now, f"surplus {watts:.0f} W")
        return left_w

    def decrease_power_by(self, watts: float, now: float) -> float | None:
        decrease_w = min(watts, self.current_power_w)
        if self.current_power_w - decrease_w < self.min_power_w:
            decrease_w = self.current_power_w  # below min_power it would only misfire: off
        if decrease_w > 0:
            self.set_power(self.current_power_w - decrease_w, now, f"over-consumption {watts:.0f} W")
        return decrease_w
