"""`make install-service` installs the unit, and says what starts the code of this checkout: after an upgrade
(`git pull`, then the README's two commands again), `systemctl enable --now` left the running PySEB on its old code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (answers is-active as $ACTIVE says; logs each call)
FAKE_SYSTEMCTL = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
if [ "$1" = "is-active" ]; then exit "$ACTIVE"; fi
exit 0
"""


def _checkout(tmp_path: Path) -> Path:
    """A checkout with this Makefile and contrib/, whose regulation.py passes the unit's check."""
    checkout = tmp_path / "pyseb"
    (checkout / "contrib").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", checkout)
    for name in ("pyseb.service", "render_service.py"):
        shutil.copy(ROOT / "contrib" / name, checkout / "contrib")
    (checkout / "regulation.py").write_text("")
    return checkout


def _install(tmp_path: Path, active: bool) -> tuple[subprocess.CompletedProcess[str], Path]:
    checkout = _checkout(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("systemctl", FAKE_SYSTEMCTL), ("sudo", '#!/bin/sh\nexec "$@"\n')):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    unit_file = tmp_path / "etc" / "pyseb.service"
    unit_file.parent.mkdir()
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ACTIVE": "0" if active else "3"}
    env.pop("SUDO_USER", None)
    done = subprocess.run(["make", "--no-print-directory", "-C", str(checkout), "install-service",
                           f"PYTHON={sys.executable}", f"UNIT_FILE={unit_file}"], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    return done, unit_file


@pytest.mark.parametrize("active", [False, True])
def test_install_service_says_how_to_run_this_checkouts_code(tmp_path: Path, active: bool) -> None:
    done, unit_file = _install(tmp_path, active)
    assert done.returncode == 0, done.stderr
    assert f"WorkingDirectory={tmp_path / 'pyseb'}\n" in unit_file.read_text()
    assert "daemon-reload" in (tmp_path / "bin" / "calls").read_text()
    assert not (tmp_path / "pyseb" / "pyseb.service.tmp").exists()
    if active:
        # (a PySEB running already keeps the code it started with: enable --now would leave it so)
        assert f"installed {unit_file}; PySEB is running the code it started with: to run this checkout's, " \
               "sudo systemctl restart pyseb" in done.stdout, done.stdout
        assert "enable --now" not in done.stdout
    else:
        assert f"installed {unit_file}; start it with: sudo systemctl enable --now pyseb" in done.stdout, done.stdout
