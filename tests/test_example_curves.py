"""The calibration curves PySEB ships as examples (calibration/power_calibration_ECS-0x.csv): the sample config names
one, so that a copy of it checks out of the box, and a warning says that the curve is another heater's."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from calibration.examples import EXAMPLE_CURVES, SHIPPED_CURVES
from settings.config import load_settings
from tests.configs import problems_of, write_config
from values.venv import python_command

ROOT = Path(__file__).resolve().parent.parent
ECS04 = "power_calibration_ECS-04.csv"


def _naming(tmp_path: Path, calibration: str) -> Path:
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("calibration = linear.csv", f"calibration = {calibration}"))
    return path


def test_the_examples_are_the_shipped_curves() -> None:
    # (a curve added to calibration/ is an example, or a user's own sweep written into a checkout: said here)
    tracked = subprocess.run(["git", "ls-files", "calibration/*.csv"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert sorted(EXAMPLE_CURVES) == sorted(Path(name).name for name in tracked)
    assert SHIPPED_CURVES == ROOT / "calibration"


def test_a_copied_sample_finds_the_shipped_curve_and_warns(tmp_path: Path) -> None:
    # config.ini.sample copied out of share/pyseb (pip install .): no calibration/ folder beside it, and the check
    # failed with "calibration file not found".
    path = _naming(tmp_path, f"calibration/{ECS04}")
    settings = load_settings(path)
    (ecs,) = [load for load in settings.equipments if load.name == "ecs"]
    assert ecs.calibration_path == ROOT / "calibration" / ECS04
    assert round(ecs.max_power_w) == 2298
    (warning,) = [w for w in settings.warnings if "[ecs] calibration" in w]
    assert warning == (f"{path}: [ecs] calibration: {ROOT / 'calibration' / ECS04} is an example PySEB ships, the "
                       f"sweep of another heater: measure this load's own ({shlex.quote(python_command())} -m "
                       f"calibration sweep -c {path} --equipment ecs) and name it here")


def test_the_warning_names_the_python_that_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (it said `python3 -m calibration sweep`: from a `make` install (.venv) or a virtualenv of one's own, the system's
    # python3 has not the packages, "No module named calibration"; the sweep's own hints named the Python that runs)
    path = _naming(tmp_path, f"calibration/{ECS04}")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "prefix", "/home/pi/my venv")
    monkeypatch.setattr(sys, "executable", "/home/pi/my venv/bin/python")
    (warning,) = [w for w in load_settings(path).warnings if "[ecs] calibration" in w]
    assert f"measure this load's own ('/home/pi/my venv/bin/python' -m calibration sweep -c {path} " in warning, \
        warning
    monkeypatch.setattr(sys, "prefix", "/usr")  # the system's: the docs' python3
    (warning,) = [w for w in load_settings(path).warnings if "[ecs] calibration" in w]
    assert f"measure this load's own (python3 -m calibration sweep -c {path} " in warning, warning


def test_a_curve_beside_the_config_comes_first(tmp_path: Path) -> None:
    # The user's own file of that name (a copy they edited) is theirs: read, and not warned of.
    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / ECS04).write_text("".join(f"{p};{10.0 * p}\n" for p in range(0, 101, 5)))
    settings = load_settings(_naming(tmp_path, f"calibration/{ECS04}"))
    (ecs,) = [load for load in settings.equipments if load.name == "ecs"]
    assert ecs.calibration_path == tmp_path / "calibration" / ECS04 and round(ecs.max_power_w) == 1000
    assert not [w for w in settings.warnings if "[ecs] calibration" in w]


def test_only_an_example_named_as_the_sample_does_is_looked_for_in_the_install(tmp_path: Path) -> None:
    # Any other missing curve is an error that says where the examples are.
    for given in (ECS04, f"curves/{ECS04}", "calibration/power_calibration_ecs.csv"):
        (problem,) = [p for p in problems_of(_naming(tmp_path, given)) if "[ecs] calibration" in p]
        assert problem.endswith(
            f"[ecs] calibration: {tmp_path / given}: calibration file not found; name your curve in calibration = "
            f"<path>, or measure one: {python_command()} -m calibration sweep (its --help; docs/calibration.md in "
            f"PySEB's source; the example curves PySEB ships are in {ROOT / 'calibration'})"), problem


def test_an_example_named_beside_the_loads_own_sweep_says_to_name_it(tmp_path: Path) -> None:
    # config.ini.sample's user swept the heater (the sweep writes calibration/power_calibration_ecs.csv) with the
    # sample's `calibration = calibration/power_calibration_ECS-04.csv` still in the file: the daemon kept the
    # example, and the warning said to measure the load's own, which the sweep then refused (the file exists).
    (tmp_path / "calibration").mkdir()
    (tmp_path / "calibration" / "power_calibration_ecs.csv").write_text(
        "".join(f"{p};{10.0 * p}\n" for p in range(0, 101, 5)))
    path = _naming(tmp_path, f"calibration/{ECS04}")
    settings = load_settings(path)
    (warning,) = [w for w in settings.warnings if "[ecs] calibration" in w]
    assert warning == (f"{path}: [ecs] calibration: {ROOT / 'calibration' / ECS04} is an example PySEB ships, the "
                       f"sweep of another heater, and this load's own sweep is {tmp_path / 'calibration'}/"
                       "power_calibration_ecs.csv: name it here (calibration = calibration/power_calibration_ecs.csv)"
                       ", or delete the line")


def test_a_home_folder_that_cannot_be_found_is_a_missing_curve_not_a_traceback(tmp_path: Path) -> None:
    # `calibration = ~nosuchuser/curve.csv` (a user that does not exist here): pathlib's expanduser() raised
    # RuntimeError out of the daemon's --check and start, and out of the sweep (at its end, once the curve was written).
    given = "~pyseb-no-such-user/curve.csv"
    (problem,) = [p for p in problems_of(_naming(tmp_path, given)) if "[ecs] calibration" in p]
    assert f"[ecs] calibration: {tmp_path / given}: calibration file not found" in problem
