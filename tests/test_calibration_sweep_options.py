"""What the calibration sweep refuses before it sends anything: config problems, an unknown load, bad timings, a
percent finer than a hundredth, a plan the regulator would refuse, files written over one another, nan options,
an unreachable broker, a resume without a started sweep or below its last step; and the hints it prints."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import pytest

from calibration.cli import main
from calibration.sweep_options import add_sweep_arguments, command_again
from localbroker import PrivateBroker, free_port
from shell.deps import python_command
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import CMD, FAST, METER, delivered, load_watts, partial, sweep, write_config

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)


@pytest.mark.parametrize(("section", "message"), [
    (f"topic_set_power = {CMD}\n", "[ecs] topic_read_power is missing: a sweep needs the load's own meter"),
    (f"topic_set_power = {CMD}\ntopic_read_power = None\n", "[ecs] topic_read_power is missing"),
    (f"topic_read_power = {METER}\n", "[ecs] topic_set_power is missing"),
    (f"topic_set_power = {CMD}\ntopic_read_power = smeter/#\n", "holds a wildcard"),
])
def test_config_problems_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str,
                                   message: str) -> None:
    config = write_config(tmp_path, free_port(), section)
    assert sweep(config, tmp_path / "x.csv") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {config}: ") and message in err


def test_an_unknown_load_and_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, free_port())
    assert main(["sweep", "-c", str(config), "--equipment", "boiler"]) == 2
    assert "no section [boiler] (loads in this file: ecs)" in capsys.readouterr().err
    assert main(["sweep", "-c", str(tmp_path / "none.ini"), "--equipment", "ecs"]) == 2
    assert "none.ini: config file not found" in capsys.readouterr().err


def test_bad_timings_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, free_port())
    assert sweep(config, tmp_path / "x.csv", "--step", "0", "--readings", "0", "--start", "120") == 2
    err = capsys.readouterr().err
    assert "--step 0: need 0 < step <= 100" in err and "--readings 0" in err and "--start 120" in err


@pytest.mark.parametrize(("option", "value"), [("--step", "0.125"), ("--start", "99.995"), ("--stop", "0.005"),
                                               ("--end-percent", "12.345")])
def test_a_percent_finer_than_a_hundredth_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     option: str, value: str) -> None:
    # The variator is sent, and the CSV keeps, a percent to two decimals: --step 0.125 sent 99.88 for 99.875 %,
    # wrote 99.88 into the CSV, and a resume measured 99.875 % again (below the 99.88 % the file holds).
    config = write_config(tmp_path, free_port())  # nothing listens there: a refusal comes before connecting
    assert sweep(config, tmp_path / "x.csv", option, value) == 2
    err = capsys.readouterr().err
    assert f"{option} {value}: " in err and "two decimals" in err and "whole percents" in err
    assert "cannot connect" not in err


@pytest.mark.parametrize(("options", "problem"), [
    (["--stop", "20"], "--start 100 --stop 20: a calibration must run from 5 % or less to 99 % or more"),
    (["--step", "25"], "--step 25: 5 steps, a calibration needs at least 10"),
])
def test_a_plan_the_regulator_would_refuse_is_not_swept_into_its_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], problem: str) -> None:
    # The default file is where the regulator looks; with --overwrite, its working curve would have been
    # moved aside for one it refuses. Another file (--output) takes any part of the curve.
    config = write_config(tmp_path, free_port())
    working = tmp_path / "calibration" / "power_calibration_ecs.csv"
    working.parent.mkdir()
    working.write_text("100;2300\n")
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", "--overwrite", *options]) == 2
    err = capsys.readouterr().err
    assert problem in err and f"this sweep would write {working}" in err and "--output" in err
    # (named with --output, the regulator's file is still the regulator's)
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", str(working), *options]) == 2
    assert problem in capsys.readouterr().err
    assert working.read_text() == "100;2300\n" and sorted(p.name for p in working.parent.iterdir()) == [
        working.name]


@pytest.mark.parametrize(("named", "curve"), [("calibration = my_curve.csv\n", "my_curve.csv"),
                                              ("", "power_calibration_ecs.csv")])
def test_a_plan_the_regulator_would_refuse_is_not_swept_into_the_curve_it_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], named: str, curve: str) -> None:
    # The regulator loads the load's `calibration`, or the seed's ./power_calibration_<name>.csv when
    # calibration/ holds none: only the sweep's default file was checked, and `--output my_curve.csv --overwrite
    # --stop 60` would have moved the working curve aside for a 100..60 % one, the load refused at the next start.
    config = write_config(tmp_path, free_port(), f"topic_set_power = {CMD}\ntopic_read_power = {METER}\n{named}")
    working = tmp_path / curve
    working.write_text("100;2300\n")
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", str(working), "--overwrite",
                 "--stop", "60"]) == 2
    err = capsys.readouterr().err
    assert f"this sweep would write {working}, where the regulator looks" in err and "cannot connect" not in err
    assert working.read_text() == "100;2300\n"
    # (another file takes any part of the curve: refused here only for the broker nothing listens on)
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", str(tmp_path / "part.csv"),
                 "--stop", "60"]) == 2
    assert "cannot connect" in capsys.readouterr().err


@pytest.mark.parametrize(("files", "problem"), [
    (["--log", "{config}", "--overwrite"], "the log {config} is the config file: name another file with --log"),
    (["--log", "{csv}", "--overwrite"], "the log {csv} is the sweep's CSV"),
    (["--log", "{partial}", "--resume"], "the log {partial} is the sweep's partial file"),
    (["--output", "{config}", "--overwrite"], "--output {config}: that is the config file"),
])
def test_no_file_of_the_sweep_is_written_over_another(broker: PrivateBroker, probe: MqttProbe, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], files: list[str],
                                                      problem: str) -> None:
    # The log is appended to, the CSV replaces a file: given the config or the calibration, the log filled the
    # daemon's config with its lines (it no longer started) or the calibration, then the sweep ran.
    config = write_config(tmp_path, broker.port)
    csv = tmp_path / "power_calibration_ecs.csv"
    csv.write_text("100.0;2300.00\n")
    partial(csv).write_text("100.0;2300.00\n")
    before = {path: path.read_text() for path in (config, csv, partial(csv))}
    names = {"config": str(config), "csv": str(csv), "partial": str(partial(csv))}
    given = [word.format(**names) for word in files]
    output = [] if "--output" in given else ["--output", str(csv)]
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", *output, *FAST, *given]) == 2
    err = capsys.readouterr().err
    assert problem.format(**names) in err
    assert {path: path.read_text() for path in before} == before
    assert delivered(probe).on(CMD) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in before)


def test_nan_and_inf_options_are_refused_before_anything_is_sent(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # (they passed every comparison: the variator was driven to 100 %, then a traceback)
    config = write_config(tmp_path, free_port())  # nothing listens there: a refusal comes before connecting
    assert sweep(config, tmp_path / "x.csv", "--settle", "nan", "--first-settle", "inf",
                 "--meter-timeout", "nan") == 2
    err = capsys.readouterr().err
    assert "--settle nan: not a finite number" in err and "--first-settle inf: not a finite number" in err
    assert "--meter-timeout nan" in err and "cannot connect" not in err


def test_waits_over_a_day_are_refused_before_anything_is_sent(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # (over Python's longest wait, some 292 years, a traceback: OverflowError from the event queue's wait)
    config = write_config(tmp_path, free_port())  # nothing listens there: a refusal comes before connecting
    assert sweep(config, tmp_path / "x.csv", "--meter-timeout", "1e10", "--availability-wait", "1e10",
                 "--settle", "86401", "--first-settle", "86400") == 2
    err = capsys.readouterr().err
    assert "--meter-timeout 1e+10: must be at most 86400 s (a day)" in err
    assert "--availability-wait 1e+10: must be at most 86400 s (a day)" in err
    assert "--settle 86401: must be at most 86400 s (a day)" in err and "--first-settle" not in err
    assert "cannot connect" not in err


def test_an_availability_wait_of_0_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # It read no retained availability: the sweep drove a variator the running regulator commands, then said "the
    # regulator came online", which it had been all along.
    config = write_config(tmp_path, free_port())  # nothing listens there: a refusal comes before connecting
    assert sweep(config, tmp_path / "x.csv", "--availability-wait", "0") == 2
    err = capsys.readouterr().err
    assert "--availability-wait 0: must be at least 0.1 s" in err and "--ignore-availability" in err
    assert "cannot connect" not in err


def test_an_unreachable_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, free_port())  # nothing listens there
    assert sweep(config, tmp_path / "x.csv") == 2
    assert "cannot connect to the broker 127.0.0.1:" in capsys.readouterr().err


def test_resume_without_a_started_sweep_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, free_port())
    assert sweep(config, tmp_path / "never.csv", "--resume") == 2
    assert "nothing to resume: " in capsys.readouterr().err


def test_the_resume_hint_keeps_the_plan_as_given() -> None:
    # A resume rebuilds the plan's steps and goes on after the last one done: with --start 85 --step 10,
    # 85, 75, 65...; without --start it would measure 70, 60... And each value as given, not rounded.
    parser = argparse.ArgumentParser()
    add_sweep_arguments(parser)
    args = parser.parse_args(["-c", "my config.ini", "--equipment", "ecs", "--start", "85", "--step", "10",
                              "--settle", "0.1234567", "--output", "cal/my.csv"])
    assert shlex.split(command_again(args, resume=True)) == [
        python_command(), "-m", "calibration", "sweep", "-c", "my config.ini", "--equipment", "ecs", "--output",
        "cal/my.csv", "--start", "85.0", "--step", "10.0", "--settle", "0.1234567", "--resume"]


def test_the_resume_hint_leaves_an_empty_output_out() -> None:
    # `--output ''` is the default file: given as such, its empty word was dropped by the join, and the hint said
    # `--output --log x.log`, --output taking --log's name.
    parser = argparse.ArgumentParser()
    add_sweep_arguments(parser)
    args = parser.parse_args(["-c", "c.ini", "--equipment", "ecs", "--output", "", "--log", "x.log"])
    assert shlex.split(command_again(args, resume=True)) == [
        python_command(), "-m", "calibration", "sweep", "-c", "c.ini", "--equipment", "ecs", "--log", "x.log",
        "--resume"]


def test_the_hints_name_the_python_that_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Run from the checkout's .venv (an install made by `make`), the system's python3 may lack the packages:
    # the command to copy names .venv/bin/python; from another virtualenv (`pip install .` into one), that Python by
    # its path; the system's Python is the docs' python3.
    import shell.deps

    monkeypatch.setattr(shell.deps, "MADE_VENV", tmp_path / ".venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / ".venv"))
    monkeypatch.chdir(tmp_path)
    assert python_command() == ".venv/bin/python"
    monkeypatch.chdir("/")  # (from another folder, `.venv/bin/python` named nothing: by its path)
    assert python_command() == str(tmp_path / ".venv" / "bin" / "python")
    monkeypatch.chdir(tmp_path)
    parser = argparse.ArgumentParser()
    add_sweep_arguments(parser)
    args = parser.parse_args(["-c", "c.ini", "--equipment", "ecs"])
    assert command_again(args, resume=True).startswith(".venv/bin/python -m calibration sweep ")
    # (it said python3: the system's, without the venv's packages, "No module named calibration")
    monkeypatch.setattr(sys, "prefix", "/home/pi/my venv")
    monkeypatch.setattr(sys, "executable", "/home/pi/my venv/bin/python")
    assert python_command() == "/home/pi/my venv/bin/python"
    assert command_again(args, resume=True).startswith("'/home/pi/my venv/bin/python' -m calibration sweep ")
    monkeypatch.setattr(sys, "prefix", "/usr")  # the system's
    assert python_command() == "python3"


def test_a_resume_with_a_start_below_the_last_step_done_is_refused_saying_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Stopped after 60 %; `--resume --start 30` measured 30, 20... after it: 50 and 40 % never measured, a partial
    # file of two sweeps with a hole the curve crossed in a straight line. Refused before anything is sent.
    config = write_config(tmp_path, free_port())  # (nothing listens: a refusal comes before any connection)
    csv = tmp_path / "power_calibration_ecs.csv"
    kept = "".join(f"{p}.0;{load_watts(p):.2f}\n" for p in (100, 90, 80, 70, 60))
    partial(csv).write_text(kept)
    assert sweep(config, csv, "--resume", "--start", "30") == 2
    err = capsys.readouterr().err
    assert f"cannot resume with --start 30: {partial(csv)} stopped after 60.0 %" in err
    assert "50.0 to 40.0 % would not be measured" in err and "cannot connect" not in err
    assert "--start 50" in err and "without --start" in err and "--output" in err
    assert partial(csv).read_text() == kept
    # The next step itself, or a start above the last step done, goes on where the sweep stopped (here: to the
    # broker, which is not there).
    for start in ("50", "55", "85"):
        assert sweep(config, csv, "--resume", "--start", start) == 2
        assert "cannot connect to the broker" in capsys.readouterr().err
