"""`make check` and `make run` without the config file say so in one line, exit 2: PySEB said it, then make added its
own "make: *** [Makefile:103: check] Error 2" as the last word, which read as make failing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The venv's python: finds its packages (make's check of a stale venv), and says what it was asked to run.
VENV_PYTHON = """#!/bin/sh
case "$1" in -c) exit 0 ;; esac
echo "ran $*"
"""


def _make(tmp_path: Path, *args: str, config: str | None = None) -> subprocess.CompletedProcess[str]:
    """make -s `args` in a checkout of this Makefile whose venv is up to date, with `config` (a file name) in it."""
    checkout = tmp_path / "pyseb"
    checkout.mkdir(exist_ok=True)
    for name in ("Makefile", "requirements.txt"):
        shutil.copy(ROOT / name, checkout)
    venv = checkout / ".venv"
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "bin" / "python").write_text(VENV_PYTHON, encoding="utf-8")
    (venv / "bin" / "python").chmod(0o755)
    (venv / ".run-deps").touch()  # (newer than requirements.txt: nothing to install)
    if config is not None:
        (checkout / config).write_text("[mqtt]\n", encoding="utf-8")
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(checkout), *args], capture_output=True,
                          text=True, timeout=60, check=False, env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("target", ["check", "run"])
def test_no_config_file_is_said_in_one_line_and_exit_2(tmp_path: Path, target: str) -> None:
    done = _make(tmp_path, target)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "config.ini: file not found; start from the sample: cp config.ini.sample config.ini, then edit it (or " \
           "make demo: a simulated house, no config needed)" in line
    assert "Error 2" not in line


def test_another_config_file_missing_is_named(tmp_path: Path) -> None:
    done = _make(tmp_path, "check", "CONFIG=house.ini", config="config.ini")
    assert done.returncode == 2 and "house.ini: file not found; start from the sample: cp config.ini.sample " \
                                      "house.ini, then edit it" in done.stderr


@pytest.mark.parametrize(("args", "ran"), [(("check",), "ran regulation.py -c config.ini --check"),
                                           (("run",), "ran regulation.py -c config.ini"),
                                           (("check", "CONFIG=house.ini"), "ran regulation.py -c house.ini --check")])
def test_a_config_file_there_is_checked_or_run(tmp_path: Path, args: tuple[str, ...], ran: str) -> None:
    done = _make(tmp_path, *args, config="house.ini" if "CONFIG=house.ini" in args else "config.ini")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [ran]


def test_a_missing_config_file_with_a_space_is_quoted_in_the_command_to_copy(tmp_path: Path) -> None:
    # (`cp config.ini.sample my house.ini` said "target 'house.ini' is not a directory")
    done = _make(tmp_path, "check", "CONFIG=my house.ini")
    assert done.returncode == 2 and "my house.ini: file not found; start from the sample: cp config.ini.sample " \
                                      "'my house.ini', then edit it" in done.stderr
