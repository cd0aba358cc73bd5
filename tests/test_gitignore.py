"""`git status` after a sweep, a fit, a start: the files a user's checkout makes are its own, ignored as config.ini
is, so that an upgrade (`git pull`, docs/running-on-a-pi.md) and `git status` stay clean; the curves PySEB ships
in calibration/ are not hidden among them (an example added to EXAMPLE_CURVES is un-ignored in .gitignore too)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from calibration.cli import fit_table_path
from calibration.examples import EXAMPLE_CURVES
from calibration.sweep_cli import default_csv_path
from calibration.sweep_files import backup_path, partial_path_for
from equipments.variable_curve import default_calibration_paths

ROOT = Path(__file__).resolve().parent.parent


def untracked(repo: Path, files: list[Path]) -> set[str]:
    """The `files` (made empty in `repo`, a fresh repository with PySEB's .gitignore) that `git status` shows."""
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    # (the user's own git config left out: a global excludes file would hide what this one does not)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo, env=env,
                            capture_output=True, text=True, check=True, timeout=30).stdout
    return {line.removeprefix("?? ") for line in status.splitlines()} - {".gitignore"}


def fresh_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "pyseb"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True, timeout=30,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    shutil.copy(ROOT / ".gitignore", repo / ".gitignore")
    return repo


def test_a_users_curves_and_the_sweeps_files_are_ignored(tmp_path: Path) -> None:
    # The sweep's default CSV (calibration/power_calibration_<load>.csv, next to config.ini), the daemon's other
    # place for it (beside config.ini, as the seed had it), what a sweep into either leaves (its partial file, its
    # log, the backup of the file it replaced) and the fit's table: each showed as untracked.
    repo = fresh_repo(tmp_path)
    curves = [default_csv_path(repo, "ecs"), *default_calibration_paths("ecs", repo)]
    files = [*curves, *(partial_path_for(c) for c in curves), *(c.with_suffix(".log") for c in curves),
             *(backup_path(c) for c in curves), *(fit_table_path(c) for c in curves),
             repo / "config.ini", repo / "status.json", repo / "records" / "pyseb-2026-12-02.csv.gz",
             repo / "demo-records" / "pyseb-2022-03-19.csv.gz",
             # (status files set aside and a save's temporary file, the README's cron, nohup and unit outputs)
             repo / "status.ini.bad-20261204-101500", repo / "status.json.bad-20261204-101500-1",
             repo / ".status.ini.k3j9x0ab.tmp", repo / "pyseb.out", repo / "nohup.out", repo / "pyseb.service"]
    assert untracked(repo, files) == set()


def test_the_shipped_curves_are_not_hidden(tmp_path: Path) -> None:
    # (git never ignores a tracked file, but a new example would not show in `git status`, to be added)
    repo = fresh_repo(tmp_path)
    shipped = [repo / "calibration" / name for name in EXAMPLE_CURVES]
    assert untracked(repo, shipped) == {f"calibration/{name}" for name in EXAMPLE_CURVES}
