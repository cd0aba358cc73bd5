"""bench/calibration_fit.py reads its arguments as calibration sweeps: its `--help` was taken for a file's name
("calibration file not found") where every other script of bench/ answers it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_its_help_is_a_help() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "calibration_fit.py"), "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout and "CSV" in done.stdout
