"""What a load's construction takes besides its own options (BuildContext), what it raises when they cannot be used
(EquipmentBuildError), and the bounds of the watts an option may say (out of equipments/base.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The most watts a load's option may say: far over a house's supply (a three-phase 63 A one is 43 kW), and a bound:
# 1e308 W passed, and a force was logged with a 300-digit wattage.
MAX_LOAD_W = 100_000.0
# No load worth diverting a PV surplus to draws less: a max_power under this is likelier kilowatts (2.3 for 2300).
SMALL_LOAD_W = 50.0


def kilowatts_hint(given_w: float) -> str:
    """What a max_power under SMALL_LOAD_W is likelier to mean, said the same by the variator's refusal and the
    relays' warning."""
    return f"max_power is in watts (a {given_w:g} kW load is max_power = {given_w * 1000:.0f})"


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a load needs at construction besides its own options."""

    config_dir: Path  # relative paths in the config are relative to the config file
    # [evaluate] demo_speed: the live demo's house runs this many times faster than the daemon's clock, whose once a
    # minute for a load's steps in the log was half an hour of the demo's (every heater step hidden in one line)
    demo_speed: float = 1.0


class EquipmentBuildError(ValueError):
    """A load's options parsed but cannot be used (e.g. its calibration file is bad); names the key."""

    def __init__(self, key: str | None, message: str) -> None:
        self.key = key
        super().__init__(message)
