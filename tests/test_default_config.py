"""Without -c, `simulation replay` and `tune` and `calibration sweep` take config.ini in the current folder, as
regulation.py and `simulation report DATE` do (settings.ini_file.DEFAULT_CONFIG); with none there, one line says so."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

import pytest

from calibration.cli import main as calibration_main
from calibration.sweep_options import add_sweep_arguments, command_again
from simulation.__main__ import main as simulation_main
from tests.replay_days import write_config, write_trace
from tests.sweep_support import write_config as write_sweep_config

NONE_HERE = "needs -c config.ini {why}, and there is no config.ini in the current folder"


def test_replay_without_c_takes_the_config_ini_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    monkeypatch.chdir(tmp_path)
    assert simulation_main(["replay", str(trace)]) == 0
    assert f"Replay of {trace} with config.ini:" in capsys.readouterr().out
    config.unlink()  # (none here: the error says what to give)
    assert simulation_main(["replay", str(trace)]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == "error: replay " + NONE_HERE.format(why="(the loads, [simulation])") and out == ""


def test_tune_without_c_takes_the_config_ini_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    monkeypatch.chdir(tmp_path)
    assert simulation_main(["tune", str(trace), "--set", "evaluate.margin=0,10", "-j", "1"]) == 0
    assert "tune: 2 settings x 1 day =" in capsys.readouterr().out
    config.unlink()
    assert simulation_main(["tune", str(trace), "--set", "evaluate.margin=0,10", "-j", "1"]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == "error: tune " + NONE_HERE.format(why="(the loads, [simulation])") and out == ""


def test_sweep_without_c_takes_the_config_ini_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # (a load the file does not have: refused once the file is read, before any connection)
    config = write_sweep_config(tmp_path, port=9)
    monkeypatch.chdir(tmp_path)
    assert calibration_main(["sweep", "--equipment", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "error: config.ini: no section [nope] (loads in this file: ecs)"
    config.unlink()
    assert calibration_main(["sweep", "--equipment", "ecs"]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == ("error: the sweep " + NONE_HERE.format(why="(the broker, the load's topics)")) and out == ""
    assert not (tmp_path / "calibration").exists()


def test_a_sweep_s_command_again_gives_c_as_it_was_given() -> None:
    # (without -c, the command to resume is given again in the folder of the config.ini it took)
    parser = argparse.ArgumentParser()
    add_sweep_arguments(parser)
    again = command_again(parser.parse_args(["--equipment", "ecs"]), resume=True)
    assert shlex.split(again)[1:] == ["-m", "calibration", "sweep", "--equipment", "ecs", "--resume"]
