"""The Makefile's virtualenvs are made whole or not at all: a venv that failed half-way is removed, so that running
make again (after `apt install python3-venv`, say) makes it anew instead of taking a broken one for done."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.daemon_process import stop_signals_at_their_default
from tests.python_wrappers import python_of_version

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


@pytest.mark.parametrize("root", [True, False])
def test_the_python3_venv_to_install_is_said_with_sudo_for_a_user_only(tmp_path: Path, root: bool) -> None:
    # (DietPi logs in as root and has no sudo: it was told "sudo apt install python3-venv")
    python = tmp_path / "python3"  # (Debian's without python3-venv: its venv fails, and it has no ensurepip)
    python.write_text(FAILING_VENV_PYTHON.replace("exit 0\n", '[ "$2" = "import ensurepip" ] && exit 1\nexit 0\n'),
                      encoding="utf-8")
    (tmp_path / "id").write_text(f'#!/bin/sh\n[ "$1" = -u ] && echo {0 if root else 1234} || '
                                 f'exec {shutil.which("id")} "$@"\n')
    for script in (python, tmp_path / "id"):
        script.chmod(0o755)
    made = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={python}",
                           f"VENV={tmp_path / 'venv'}", str(tmp_path / "venv" / ".run-deps")], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"},
                          check=False)
    assert made.returncode == 2
    said = "'apt install python3-venv'" if root else "'sudo apt install python3-venv'"
    assert f"on Debian or Raspberry Pi OS, {said}, then run this again" in made.stderr, made.stderr


# A python3 whose `-m venv DIR` makes DIR/bin/python (this script again), and which is interrupted as Ctrl-C does it
# (SIGINT to the whole foreground group, make's too) at the call INTERRUPT_AT, saying what each says then: venv a
# traceback (its ensurepip's subprocess interrupted), pip one line.
INTERRUPTED_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
fi
if [ "$1 $2" = "$INTERRUPT_AT" ]; then
  if [ "$2" = "venv" ]; then printf 'Traceback (most recent call last):\\nKeyboardInterrupt\\n' >&2
  else echo "ERROR: Operation cancelled by user" >&2; fi
  kill -INT 0
  sleep 10
fi
exit 0
"""


@pytest.mark.parametrize("at", ["-m venv", "-m pip"])
@pytest.mark.parametrize(("venv_var", "target"), [("VENV", ".run-deps"), ("VENV16", ".deps")])
def test_a_venv_interrupted_half_way_is_removed_in_a_line(tmp_path: Path, venv_var: str, target: str,
                                                          at: str) -> None:
    # Ctrl-C while make made .venv printed venv's own traceback and left a half-made .venv (make deleted its
    # bin/python alone; a .venv-paho16 kept its python, without the packages).
    python = tmp_path / "python3"
    python.write_text(INTERRUPTED_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    venv = tmp_path / "venv"
    made = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={python}", f"{venv_var}={venv}",
                           str(venv / target)], capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "INTERRUPT_AT": at}, start_new_session=True,
                          preexec_fn=stop_signals_at_their_default)
    assert made.returncode != 0
    assert not venv.exists(), made.stderr
    assert "Traceback" not in made.stderr and f"make: interrupted: the half-made {venv} is removed\n" in made.stderr


# The venv's own python after the system's Python was upgraded under it: it runs, but sees none of the packages the
# venv holds (no pip, no paho-mqtt, no numpy).
UPGRADED_VENV_PYTHON = """#!/bin/sh
echo "upgraded $*" >> "$(dirname "$0")/../../calls"
exit 1
"""

# The system's python3: its `-m venv DIR` makes a venv whose python runs everything (a pip install included).
WORKING_PYTHON = """#!/bin/sh
echo "python3 $*" >> "$CALLS"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && printf '#!/bin/sh\\necho "new venv $*" >> "$CALLS"\\nexit 0\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
fi
exit 0
"""


def test_a_venv_whose_python_was_upgraded_under_it_is_made_again(tmp_path: Path) -> None:
    # Debian's venv links bin/python3 to /usr/bin/python3: after an upgrade (bookworm to trixie, 3.11 to 3.13) its
    # packages are another Python's. Its stamp up to date, `make check` ran it, and said to run `make check`.
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text(UPGRADED_VENV_PYTHON, encoding="utf-8")
    (venv / "bin" / "python").chmod(0o755)
    (venv / ".run-deps").touch()  # (newer than requirements.txt: nothing to do, as make saw it)
    python = tmp_path / "python3"
    python.write_text(WORKING_PYTHON, encoding="utf-8")
    python.chmod(0o755)
    calls = tmp_path / "calls"
    made = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={python}", f"VENV={venv}",
                           str(venv / ".run-deps")], capture_output=True, text=True, timeout=60, check=False,
                          env={"PATH": "/usr/bin:/bin", "CALLS": str(calls)})
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"make: {venv}/bin/python does not find its packages (the system's Python upgraded under it?): installing " \
           "them again" in made.stdout
    said = calls.read_text()
    assert f"python3 -m venv {venv}" in said and "new venv -m pip install --quiet -r requirements.txt" in said, said
    assert (venv / ".run-deps").exists()


def test_a_venv_made_by_sudo_make_is_said() -> None:
    # `sudo make demo` once (mosquitto to install), then `make check` after a `git pull` that changed requirements.txt:
    # "touch: cannot touch '.venv/.run-deps': Permission denied". Root's venv, made to the user's make: as root, the
    # user is nobody.
    folder = Path(tempfile.mkdtemp())
    try:
        folder.chmod(0o755)
        checkout = folder / "pyseb"  # (a copy nobody may read: the checkout under test may be in a private folder)
        checkout.mkdir()
        for name in ("Makefile", "requirements.txt"):
            shutil.copy(ROOT / name, checkout)
        venv = folder / "venv"
        (venv / "bin").mkdir(parents=True)
        (venv / "bin" / "python").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
        (venv / "bin" / "python").chmod(0o755)
        command = ["make", "--no-print-directory", "-C", str(checkout), f"VENV={venv}", str(venv / ".run-deps")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "nobody", "--", *command]
        else:
            venv.chmod(0o555)
        made = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        venv.chmod(0o755)
    finally:
        shutil.rmtree(folder)
    assert made.returncode == 2, made.stdout + made.stderr
    assert f"make: {venv} is not writable by" in made.stderr and f"'sudo rm -rf {venv}', then run" in made.stderr


def test_the_paho16_venv_on_a_python_too_new_for_its_numpy_is_said(tmp_path: Path) -> None:
    # Debian 13, Ubuntu 24.04: numpy 1.24 has no build for 3.12+, and pip's build from its sources ended in a traceback
    # ("No module named 'distutils'").
    python = python_of_version(tmp_path, "3.13.1")
    venv = tmp_path / "venv16"
    made = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"PYTHON={python}", f"VENV16={venv}",
                           str(venv / ".deps")], capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 2 and not venv.exists()
    assert made.stderr.startswith(f"make: {venv} needs Python 3.10 or 3.11, not 3.13.1: Debian 12's numpy 1.24, which "
                                  "it tests against, has no build for a newer one (make test-paho16 "
                                  "PYTHON=python3.11)\n"), made.stderr
