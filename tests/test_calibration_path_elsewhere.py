"""A relative calibration path is read from the config file's folder: one the user wrote from the folder they work in
(the config kept elsewhere, as a `pip install` has it) said only "calibration file not found", the file in plain
sight. The error now says where it is, and what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.configs import LINEAR_CSV, config_error, write_config


def test_a_curve_found_from_the_current_folder_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, work = tmp_path / "pyseb-data", tmp_path / "pyseb"
    (work / "calibration").mkdir(parents=True)
    data.mkdir()
    (work / "calibration" / "my_ecs.csv").write_text(LINEAR_CSV)
    path = write_config(data, loads=("ecs",))
    path.write_text(path.read_text().replace("calibration = linear.csv", "calibration = calibration/my_ecs.csv"))
    monkeypatch.chdir(work)
    assert (f"[ecs] calibration: {data}/calibration/my_ecs.csv: calibration file not found: a relative path is read "
            f"from the config file's folder ({data}), and {work}/calibration/my_ecs.csv is there: write calibration = "
            f"{work}/calibration/my_ecs.csv") in config_error(path)


def test_nowhere_else_says_what_it_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, loads=("ecs",))
    path.write_text(path.read_text().replace("calibration = linear.csv", "calibration = calibration/my_ecs.csv"))
    monkeypatch.chdir(tmp_path)  # (the config's own folder: nothing else to look at)
    said = config_error(path)
    assert f"{tmp_path}/calibration/my_ecs.csv: calibration file not found; name your curve in" in said
    assert "is there" not in said
