"""What a finished sweep says of the curve the regulator will load: the new file, or the one the config names."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calibration.cli import main
from localbroker import PrivateBroker
from tests.sweep_support import FAST, SimulatedLoad, write_config

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)

LOAD = "topic_set_power = regul/vload/ECS/cmd\ntopic_read_power = smeter/pzem/ECS\n"


def _sweep(config: Path) -> int:
    return main(["sweep", "-c", str(config), "--equipment", "ecs", *FAST])


def test_a_config_naming_another_curve_is_said(broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # config.ini.sample's user: `calibration = calibration/power_calibration_ECS-04.csv` still in the load's section.
    # The sweep said "done" and "fit it", and the regulator went on commanding the heater by the example curve.
    config = write_config(tmp_path, broker.port, LOAD + "calibration = calibration/power_calibration_ECS-04.csv\n")
    assert _sweep(config) == 0
    out = capsys.readouterr().out
    own = tmp_path / "calibration" / "power_calibration_ecs.csv"
    assert own.is_file()
    assert (f"the regulator loads calibration/power_calibration_ECS-04.csv ([ecs] calibration in {config}), not "
            f"this sweep: set calibration = calibration/power_calibration_ecs.csv there, or delete the line") in out


def test_the_default_file_is_no_news(broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, broker.port, LOAD)
    assert _sweep(config) == 0
    out = capsys.readouterr().out
    assert "done: " in out and "\nnote: " not in out  # (neither note: "the regulator loads", "does not load")


def test_an_output_the_regulator_does_not_read_is_said(broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # No `calibration` key: the regulator reads calibration/power_calibration_ecs.csv, not a sweep put elsewhere.
    config = write_config(tmp_path, broker.port, LOAD)
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", *FAST, "--output", str(tmp_path / "x.csv")]) == 0
    out = capsys.readouterr().out
    assert (f"note: the regulator does not load this sweep (it reads {tmp_path / 'calibration'}/"
            f"power_calibration_ecs.csv): set calibration = x.csv in [ecs] of {config}") in out


@pytest.mark.parametrize(("plan", "why"), [
    (["--stop", "80"], "--start 100 --stop 80: a calibration must run from 5 % or less to 99 % or more"),
    (["--step", "25"], "--step 25: 5 steps, a calibration needs at least 10"),
])
def test_a_plan_that_can_make_no_calibration_is_said_a_partial_measure(
        broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        plan: list[str], why: str) -> None:
    # `--step 5 --stop 80` into another file: "Fit it with: ... fit part.csv" and "set calibration = part.csv", a file
    # the fit then refused.
    config = write_config(tmp_path, broker.port, LOAD)
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", *FAST, *plan, "--output",
                 str(tmp_path / "part.csv")]) == 0
    out = capsys.readouterr().out
    assert f"done: {tmp_path / 'part.csv'} (" in out
    assert f"A partial measure, not a calibration the regulator takes: {why}" in out
    assert "Fit it with" not in out and "calibration =" not in out


def test_the_fit_command_names_the_virtualenv_that_swept(broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # `pip install .` into a venv, then `venv/bin/python -m calibration sweep ...`: "Fit it with: python3 -m ...", the
    # system's Python, without the venv's packages.
    monkeypatch.setattr("shell.deps.MADE_VENV", tmp_path / ".venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "prefix", "/home/pi/my venv")
    monkeypatch.setattr(sys, "executable", "/home/pi/my venv/bin/python")
    assert _sweep(write_config(tmp_path, broker.port, LOAD)) == 0
    assert "Fit it with: '/home/pi/my venv/bin/python' -m calibration fit " in capsys.readouterr().out
