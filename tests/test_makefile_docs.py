"""`make docs` writes docs/configuration.md whole or not at all: a generator that fails, or a Ctrl-C while it runs
(a Pi Zero takes seconds to import the option tables), leaves the page as it was. The shell's `>` emptied it before
the generator ran, and git showed the tracked page deleted down to its last line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.daemon_process import stop_signals_at_their_default

ROOT = Path(__file__).resolve().parent.parent
OLD_PAGE = "# Configuration reference\n\nthe page as it was\n"

# The venv's python: finds its packages (make's check of a stale venv), and runs `-m settings.reference` as $HOW says:
# "fail" prints the start of the page then fails (an option table broken by an edit), "interrupt" prints it then is
# interrupted as Ctrl-C does it (SIGINT to the whole foreground group, make's too), "pass" prints a whole page.
VENV_PYTHON = """#!/bin/sh
if [ "$1 $2" = "-m settings.reference" ]; then
  echo "# Configuration reference"
  case $HOW in
    fail) echo "Traceback (most recent call last):" >&2; exit 1 ;;
    interrupt) kill -INT 0; sleep 10 ;;
  esac
  echo "the page made anew"
fi
exit 0
"""


def _make_docs(tmp_path: Path, how: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    checkout = tmp_path / "pyseb"
    (checkout / "docs").mkdir(parents=True)
    for name in ("Makefile", "requirements.txt"):
        shutil.copy(ROOT / name, checkout)
    (checkout / "docs" / "configuration.md").write_text(OLD_PAGE, encoding="utf-8")
    venv = checkout / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text(VENV_PYTHON, encoding="utf-8")
    (venv / "bin" / "python").chmod(0o755)
    (venv / ".run-deps").touch()  # (newer than requirements.txt: the venv is up to date)
    done = subprocess.run(["make", "--no-print-directory", "-C", str(checkout), "docs"], capture_output=True,
                          text=True, timeout=60, check=False, env={"PATH": "/usr/bin:/bin", "HOW": how},
                          start_new_session=True, preexec_fn=stop_signals_at_their_default)
    return done, checkout


@pytest.mark.parametrize("how", ["fail", "interrupt"])
def test_make_docs_that_did_not_finish_leaves_the_page_as_it_was(tmp_path: Path, how: str) -> None:
    done, checkout = _make_docs(tmp_path, how)
    assert done.returncode != 0
    assert (checkout / "docs" / "configuration.md").read_text(encoding="utf-8") == OLD_PAGE, done.stderr
    assert sorted(path.name for path in (checkout / "docs").iterdir()) == ["configuration.md"]  # (no temp file left)


def test_make_docs_writes_the_whole_page(tmp_path: Path) -> None:
    done, checkout = _make_docs(tmp_path, "pass")
    assert done.returncode == 0, done.stderr
    assert (checkout / "docs" / "configuration.md").read_text(encoding="utf-8") == \
        "# Configuration reference\nthe page made anew\n"
    assert sorted(path.name for path in (checkout / "docs").iterdir()) == ["configuration.md"]
    assert "-m settings.reference > docs/configuration.md" in done.stdout  # (the command said, as before)
