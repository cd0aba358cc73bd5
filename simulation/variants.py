"""A config file with some keys changed: what the benchmarks (and a tuning run) replay instead of the original."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from settings.config import read_parser

__all__ = ["Variant", "write_variant"]


@dataclass(frozen=True, slots=True)
class Variant:
    """Keys to set, as (section, key, value); a section that does not exist is added."""

    overrides: tuple[tuple[str, str, str], ...] = ()


def _absolute(value: str, base: Path) -> str:
    return value if not value or value.lower() == "none" else str((base / value).resolve())


def write_variant(template: Path, folder: Path, variant: Variant, name: str = "variant.ini") -> Path:
    """Write `folder/name`: `template` with the variant's keys set and its relative paths made absolute
    (so the copy reads the same calibration and response files from anywhere)."""
    cp = read_parser(template)
    base = template.resolve().parent
    loads = cp.options("equipments") if cp.has_section("equipments") else []
    for load in loads:
        if cp.has_option(load, "calibration"):
            cp.set(load, "calibration", _absolute(cp.get(load, "calibration"), base))
        key = f"{load}.response"
        if cp.has_option("simulation", key):
            cp.set("simulation", key, _absolute(cp.get("simulation", key), base))
        elif not cp.has_option(load, "calibration"):
            # The default calibration path is relative to the config: point the copy at the original's.
            for candidate in (base / "calibration" / f"power_calibration_{load}.csv",
                              base / f"power_calibration_{load}.csv"):
                if candidate.exists():
                    cp.set(load, "calibration", str(candidate.resolve()))
                    break
    if not cp.has_section("status"):
        cp.add_section("status")
    cp.set("status", "file", str(folder / "status.json"))
    cp.set("status", "persistent", "false")
    for section, key, value in variant.overrides:
        if not cp.has_section(section):
            cp.add_section(section)
        cp.set(section, key, value)
    target = folder / name
    with open(target, "w", encoding="utf-8") as handle:
        cp.write(handle)
    return target
