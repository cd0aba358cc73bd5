"""A `water_heater` listed after another one: Coturex's regulation.py built its first load (which had to be the
water_heater) as its variator, a `constant` or `variable` load after it as a relay, and skipped a `water_heater` after
the first without a word: never built, never sent a command. PySEB drove it as a variator, publishing to a device the
seed left alone (a 0 at the start, then percents). What the line means cannot be told (a second heater behind a
variator, a relay, a spare line), so the config is refused before anything is published, saying what to write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calibration.sweep_config import SweepConfigError, load_sweep_target
from settings.config import load_settings
from tests.configs import LINEAR_CSV, problems_of, seed_config

ROOT = Path(__file__).resolve().parent.parent
EXIT_CONFIG = 2  # (regulation.py's)
SECOND_HEATER = ("resille = constant\n", "resille = constant\necs2 = water_heater\n")
SECOND_SECTION = ("[soufflant_a]", "[ecs2]\nmin_power = 101\ntopic_set_power = regul/vload/ECS2/cmd\n\n[soufflant_a]")


def _with_second_heater(tmp_path: Path) -> Path:
    # (on loopback's port 9, where nothing listens: were it not refused, the start would reach no broker)
    path = seed_config(tmp_path, SECOND_HEATER, SECOND_SECTION, ("broker_ip = 10.3.141.1", "broker_ip = 127.0.0.1"),
                       ("port = 1883", "port = 9"))
    (tmp_path / "power_calibration_ecs2.csv").write_text(LINEAR_CSV)  # (its curve there: it is not what refuses it)
    return path


def test_a_second_water_heater_is_refused_with_what_to_write(tmp_path: Path) -> None:
    (problem,) = problems_of(_with_second_heater(tmp_path))
    assert "[equipments] ecs2: a second water_heater (after ecs)" in problem
    assert "the seed skipped it without a word" in problem
    assert "write ecs2 = variable" in problem and "ecs2 = constant" in problem
    assert "delete the line" in problem


def test_the_seeds_relay_listed_as_water_heater_is_told_the_seed_skipped_it(tmp_path: Path) -> None:
    # It said "the seed ran a variable load after the first as a relay": the seed ran a water_heater after the first
    # not at all.
    path = seed_config(tmp_path, ("resille = constant\n", "resille = water_heater\n"))
    (tmp_path / "power_calibration_resille.csv").write_text(LINEAR_CSV)
    (problem,) = problems_of(path)
    assert "[equipments] resille: a second water_heater (after ecs)" in problem
    assert "[resille] json_on is a relay's on/off payload" in problem
    assert "write resille = constant in [equipments], with its max_power (596 W" in problem
    assert "the seed skipped it without a word" in problem
    assert "as a relay (on/off at max_power)" not in problem


def test_check_and_start_refuse_it_before_anything_is_published(tmp_path: Path) -> None:
    # Both exit on the config's problems before the broker is connected.
    path = _with_second_heater(tmp_path)
    for check in (["--check"], []):
        done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), *check],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == EXIT_CONFIG, (check, done.stderr)
        assert "[equipments] ecs2: a second water_heater (after ecs)" in done.stderr


def test_one_water_heater_anywhere_and_variable_loads_after_it_still_load(tmp_path: Path) -> None:
    # The one water_heater need not be first (the seed wanted it first; PySEB takes any order), and a heater behind a
    # second variator is written `variable`, as the refusal says.
    variable = _with_second_heater(tmp_path)
    variable.write_text(variable.read_text().replace("ecs2 = water_heater", "ecs2 = variable"))
    assert [load.name for load in load_settings(variable).equipments] == ["ecs", "resille", "ecs2"]
    moved = tmp_path / "moved.ini"
    text = variable.read_text().replace("ecs = water_heater\n", "").replace("ecs2 = variable", "ecs = water_heater")
    moved.write_text(text)
    assert [load.name for load in load_settings(moved).equipments] == ["resille", "ecs"]


def test_the_sweep_refuses_a_relay_listed_so_in_the_same_words(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("resille = constant\n", "resille = water_heater\n"))
    (tmp_path / "power_calibration_resille.csv").write_text(LINEAR_CSV)
    (problem,) = problems_of(path)
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(path, "resille")
    assert problem.split("[equipments] resille: ", 1)[1] in str(refused.value)


def test_one_without_a_section_is_told_to_delete_the_line(tmp_path: Path) -> None:
    # The seed never read its section: a config may list one with none. Told "write ecs3 = variable" or "constant",
    # the user was then refused for the missing section.
    path = seed_config(tmp_path, ("resille = constant\n", "resille = constant\necs3 = water_heater\n"))
    (problem,) = problems_of(path)
    assert "[equipments] ecs3: a second water_heater (after ecs)" in problem
    assert "it has no section [ecs3]" in problem and "delete the line" in problem
    assert "write ecs3 = variable" not in problem and "and its section" not in problem
