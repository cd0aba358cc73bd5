"""`make run` and `make check` take the config's path as given: `make check CONFIG="my config.ini"` (a folder or a file
name with a space) ran `regulation.py -c my config.ini --check`, and regulation.py refused the stray `config.ini`."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("target", ["run", "check"])
def test_a_config_path_with_a_space_is_one_argument(tmp_path: Path, target: str) -> None:
    config = tmp_path / "my pyseb" / "my config.ini"
    config.parent.mkdir()
    config.touch()  # (one missing is said by make itself: tests/test_makefile_check.py)
    # (-n: the commands said, not run; the venv's stamps, up to date or not, only print theirs before it)
    shown = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(ROOT), target, f"CONFIG={config}"],
                           capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    [line] = [line for line in shown if "regulation.py" in line]
    words = shlex.split(line)
    assert words[words.index("-c") + 1] == str(config), line
