"""Configs that load but would not do what they say: a variable load's max_power above its calibration. One
warning each, naming the figures."""

from __future__ import annotations

from pathlib import Path

from settings.config import load_settings
from tests.configs import write_config


def with_lines(path: Path, section: str, lines: str) -> Path:
    """`lines` added at the top of `section` of the config at `path`."""
    path.write_text(path.read_text().replace(f"[{section}]\n", f"[{section}]\n{lines}", 1))
    return path


def test_max_power_above_the_calibration_is_warned_with_both_figures(tmp_path: Path) -> None:
    path = with_lines(write_config(tmp_path, loads=("ecs",)), "ecs", "max_power = 3000\n")  # the curve: 2000 W
    settings = load_settings(path)
    assert settings.equipments[0].max_power_w == 2000
    warned = [w for w in settings.warnings if "[ecs] max_power" in w]
    assert len(warned) == 1
    assert "3000 W is above the calibration curve's maximum (2000 W" in warned[0]
    assert "held at 2000 W" in warned[0]


def test_max_power_within_the_calibration_is_not_warned(tmp_path: Path) -> None:
    for max_w in (1500, 2000):
        path = with_lines(write_config(tmp_path, loads=("ecs",)), "ecs", f"max_power = {max_w}\n")
        settings = load_settings(path)
        assert settings.equipments[0].max_power_w == max_w
        assert not [w for w in settings.warnings if "max_power" in w]
