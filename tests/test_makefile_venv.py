"""The Makefile's virtualenvs are made whole or not at all: a venv that failed half-way is removed, so that running
make again (after `apt install python3-venv`, say) makes it anew instead of taking a broken one for done."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A python3 whose `-m venv DIR` leaves DIR/bin/python behind and fails (Debian's venv without python3-venv: no
# ensurepip), and whose other uses pass (the Python check).
FAILING_VENV_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && touch "$3/bin/python" && chmod +x "$3/bin/python"
  echo "Error: ensurepip is not available" >&2
  exit 1
fi
exit 0
"""


def failing_python(tmp_path: Path) -> Path:
    python = tmp_path / "python3"
    python.write_text(FAILING_VENV_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    return python


@pytest.mark.parametrize(("venv_var", "target"), [("VENV", ".run-deps"), ("VENV16", ".deps")])
def test_a_venv_that_failed_half_way_is_removed(tmp_path: Path, venv_var: str, target: str) -> None:
    venv = tmp_path / "venv"
    made = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={failing_python(tmp_path)}",
                           f"{venv_var}={venv}", str(venv / target)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode != 0
    assert not venv.exists(), made.stderr  # (left there, the next make takes its bin/python for a made venv)
