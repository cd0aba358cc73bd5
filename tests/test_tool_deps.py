"""The tools' command lines need only what their command uses: a replay, a tune, a report, a fit and every
--help run without paho-mqtt (only the live demo, the sweep and the lag measure talk to a broker), and a package a
command needs but does not find is one line and exit 2, as regulation.py says it (shell/deps.py), not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

from tests.replay_days import write_config, write_trace

ROOT = Path(__file__).resolve().parent.parent
SUDO = "" if os.geteuid() == 0 else "sudo "  # (root is told apt bare: DietPi has no sudo)
SITE = Path(numpy.__file__).resolve().parent.parent  # the installed packages (numpy's, paho's)
DEMO_DAY = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"


def site_without(directory: Path, *hidden: str) -> Path:
    """A copy (links) of the installed packages without those whose names start with `hidden`."""
    directory.mkdir()
    for entry in SITE.iterdir():
        if not entry.name.lower().startswith(hidden):
            (directory / entry.name).symlink_to(entry)
    return directory


def run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m ...` with only `site` for packages (-S: no site-packages of its own)."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT}:{site}"}
    return subprocess.run([sys.executable, "-S", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def one_line_needing(result: subprocess.CompletedProcess[str], tool: str, package: str) -> None:
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"python3 -m {tool}: PySEB needs {package}, which is not "
                                                   f"installed: install it with '{SUDO}apt install python3-")


@pytest.fixture(scope="module")
def no_paho(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site_without(tmp_path_factory.mktemp("site") / "packages", "paho")


def test_a_replay_a_report_and_a_tune_need_no_paho(no_paho: Path, tmp_path: Path) -> None:
    replay = run(no_paho, "-m", "simulation", "replay", str(DEMO_DAY), "-c", "simulation/demo.ini",
                 "--from", "12:00", "--to", "12:10", "--record", str(tmp_path))
    assert replay.returncode == 0, replay.stderr
    assert "capture" in replay.stdout and "recorded: " in replay.stdout
    report = run(no_paho, "-m", "simulation", "report", str(tmp_path / "pyseb-2022-03-19.csv.gz"))
    assert report.returncode == 0 and "log line:" in report.stdout, report.stderr
    config = write_config(tmp_path, "ecs = variable")
    trace = write_trace(tmp_path, [(3000, 500)] * 10)
    tune = run(no_paho, "-m", "simulation", "tune", str(trace), "-c", str(config), "--set",
               "evaluate.margin=50,100", "--jobs", "1")
    assert tune.returncode == 0 and "best: capture" in tune.stdout, tune.stderr


def test_a_fit_and_every_help_need_no_paho(no_paho: Path, tmp_path: Path) -> None:
    table = tmp_path / "fit.csv"
    fit = run(no_paho, "-m", "calibration", "fit", "calibration/power_calibration_ECS-03.csv", "--output", str(table))
    assert fit.returncode == 0 and table.exists(), fit.stderr
    for args in (("simulation",), ("simulation", "replay"), ("simulation", "tune"), ("simulation", "report"),
                 ("simulation", "demo"), ("calibration",), ("calibration", "fit"), ("calibration", "sweep")):
        helped = run(no_paho, "-m", *args, "--help")
        assert helped.returncode == 0 and helped.stdout.startswith("usage: "), (args, helped.stderr)


@pytest.mark.parametrize(("tool", "args"), [
    ("simulation", ("demo", "--minutes", "1")),
    ("calibration", ("sweep", "-c", "config.ini.sample", "--equipment", "ecs")),
])
def test_the_demo_and_the_sweep_say_paho_is_missing_in_one_line(no_paho: Path, tool: str,
                                                                 args: tuple[str, ...]) -> None:
    one_line_needing(run(no_paho, "-m", tool, *args), tool, "paho-mqtt")


def test_a_missing_numpy_is_one_line(tmp_path: Path) -> None:
    no_numpy = site_without(tmp_path / "packages", "numpy")
    replay = run(no_numpy, "-m", "simulation", "replay", str(DEMO_DAY), "-c", "simulation/demo.ini")
    one_line_needing(replay, "simulation", "numpy")
    one_line_needing(run(no_numpy, "-m", "simulation", "report", "x.csv.gz"), "simulation", "numpy")
    one_line_needing(run(no_numpy, "-m", "calibration", "fit", "x.csv"), "calibration", "numpy")
    assert run(no_numpy, "-m", "simulation", "--help").returncode == 0  # (the help needs nothing)


def test_the_calibration_help_and_its_argument_errors_need_no_numpy(tmp_path: Path) -> None:
    # (the help of `python3 -m calibration` asked for numpy, as its commands do: the help shows the fit's defaults)
    no_numpy = site_without(tmp_path / "packages", "numpy")
    for args in ((), ("fit",), ("sweep",), ("lag",)):
        helped = run(no_numpy, "-m", "calibration", *args, "--help")
        assert helped.returncode == 0 and helped.stdout.startswith("usage: "), (args, helped.stderr)
    wrong = run(no_numpy, "-m", "calibration", "fit", "x.csv", "--degree", "five")
    assert wrong.returncode == 2 and "argument --degree: not a whole number: 'five'" in wrong.stderr, wrong.stderr
    one_line_needing(run(no_numpy, "-m", "calibration", "sweep", "-c", "config.ini.sample", "--equipment", "ecs"),
                     "calibration", "numpy")


def test_a_python_beside_the_venv_make_made_is_told_to_use_it(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # The cold review's way in: `make demo` made .venv, then the docs' `python3 -m simulation ...` ran the
    # system's python3, which has no paho-mqtt.
    from shell import deps

    venv = tmp_path / ".venv"
    monkeypatch.setattr(deps, "MADE_VENV", venv)
    assert "instead of python3" not in deps._install_hint([deps.DEPENDENCIES[0]])  # (no .venv: nothing to say)
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    assert "instead of python3" not in deps._install_hint([deps.DEPENDENCIES[0]])  # (made, not yet with them)
    (venv / ".run-deps").touch()
    assert deps._install_hint([deps.DEPENDENCIES[0]]).endswith(
        "; this checkout's .venv has the packages: run it with .venv/bin/python instead of python3")
    monkeypatch.setattr(sys, "prefix", str(venv))  # (that python itself: nothing to say)
    assert "instead of python3" not in deps._install_hint([deps.DEPENDENCIES[0]])
