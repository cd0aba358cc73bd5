"""A config file with some keys changed: what the benchmarks and a tuning run replay instead of the
original, from a work directory."""

from __future__ import annotations

import configparser
from collections.abc import Iterable
from pathlib import Path

from settings.config import load_settings, read_parser
from simulation.config import read_sim_config

__all__ = ["make_paths_absolute", "value_as_in_config", "write_variant"]


# Keys whose value is a file: a relative one is relative to the config's folder, as in the config itself.
PATH_KEYS = ("calibration", "ca_file", "cert_file", "key_file")


def value_as_in_config(key: str, value: str, config: Path) -> str:
    """`value` of `key` as `config` would mean it: a relative file path made absolute from the config's
    folder (a variant is written elsewhere); any other value as it is."""
    is_path = key in PATH_KEYS or key.endswith(".response")
    if not is_path or not value.strip() or value.strip().lower() == "none" or Path(value.strip()).is_absolute():
        return value
    return str((config.resolve().parent / value.strip()).resolve())


def make_paths_absolute(cp: configparser.ConfigParser, config: Path) -> None:
    """Variants live in a work directory: every file `config` names becomes absolute in `cp` (its parsed
    text), found as the daemon and the simulator find them; and a replay neither saves a status, nor logs
    to a file, nor records."""
    sim = read_sim_config(config)
    for spec in sim.loads:
        if spec.response_path is not None:
            cp.set("simulation", f"{spec.name}.response", str(spec.response_path))
    for load in load_settings(config, daemon_files=False).equipments:
        # (the curve file a built variable load found, by the daemon's rule: absolute, the config's folder being)
        curve = getattr(load, "calibration_path", None)
        if isinstance(curve, Path):
            cp.set(load.name, "calibration", str(curve))
    for key in ("ca_file", "cert_file", "key_file"):
        if cp.has_option("mqtt", key):
            cp.set("mqtt", key, value_as_in_config(key, cp.get("mqtt", key), config))
    for section, key, value in (("status", "persistent", "false"), ("logging", "file", ""),
                                ("record", "enabled", "false")):
        if not cp.has_section(section):
            cp.add_section(section)
        cp.set(section, key, value)


def write_variant(template: Path, folder: Path, overrides: Iterable[tuple[str, str, str]],
                  name: str = "variant.ini") -> Path:
    """Write `folder/name`: `template` with each (section, key, value) of `overrides` set (a missing section
    is added) and its paths made absolute, the overrides' too, so the copy reads the same files from
    anywhere."""
    cp = read_parser(template)
    if not cp.has_section("simulation"):
        cp.add_section("simulation")
    make_paths_absolute(cp, template)
    for section, key, value in overrides:
        if not cp.has_section(section):
            cp.add_section(section)
        cp.set(section, key, value_as_in_config(key, value, template))
    target = folder / name
    with open(target, "w", encoding="utf-8") as handle:
        cp.write(handle)
    return target
