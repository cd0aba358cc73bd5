"""`python3 -m calibration fit`: the report, the fitted table, the plot, and clean refusals."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from calibration import read_calibration_csv
from calibration.cli import main
from shell.plot_file import matplotlib_missing

ROOT = Path(__file__).resolve().parent.parent
ECS_03 = ROOT / "calibration" / "power_calibration_ECS-03.csv"


@pytest.fixture
def ecs03(tmp_path: Path) -> Path:
    """A copy of ECS-03 in a temporary directory (the table is written next to it)."""
    return Path(shutil.copy(ECS_03, tmp_path / ECS_03.name))


def test_fit_prints_the_figures_and_writes_the_table(ecs03: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", str(ecs03)]) == 0
    out = capsys.readouterr().out
    assert "method: robust" in out
    assert "outliers (1): 37 % (1470 W)" in out
    assert "misfire zone: 1 % (91 W), 1.5 % (86 W), 2 % (61 W), 2.5 % (69 W)" in out
    assert "seed poly deg 5" in out
    steps = next(line for line in out.splitlines() if line.startswith("decreasing steps, 0.1 % grid"))
    assert steps.split()[-2:] == ["0", "82"]  # this fit, then the seed's polynomial
    table = ecs03.with_name("power_calibration_ECS-03_fit.csv")
    lines = table.read_text().splitlines()
    assert len(lines) == 201 and lines[0] == "0.0;0.00" and lines[-1].startswith("100.0;")
    assert "," not in table.read_text()
    points = read_calibration_csv(table)
    assert np.all(np.diff(points.watts) >= 0.0)


def test_fit_output_a_folder_leaves_no_temporary_file(ecs03: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (refused, exit 2, but `outdir.tmp` was left beside the folder)
    folder = ecs03.with_name("outdir")
    folder.mkdir()
    assert main(["fit", str(ecs03), "--output", str(folder)]) == 2
    assert f"cannot write {folder}" in capsys.readouterr().err
    assert sorted(path.name for path in ecs03.parent.iterdir()) == sorted([ecs03.name, "outdir"])


def test_fit_with_the_poly_method(ecs03: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", str(ecs03), "--method", "poly", "--degree", "3"]) == 0
    out = capsys.readouterr().out
    assert "method: poly; degree 3, coefficients" in out
    assert "outliers (0): none" in out


def test_fit_with_the_poly_method_warns_of_the_outlier_it_counts(ecs03: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    lines = ecs03.read_text(encoding="utf-8").splitlines()
    ecs03.write_text("\n".join(line if not line.startswith("100") else "100;4000" for line in lines) + "\n",
                     encoding="utf-8")  # one glitched reading at full power
    assert main(["fit", str(ecs03), "--method", "poly"]) == 0
    out = capsys.readouterr().out
    warned = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "100 % (4000 W)" in warned[0] and "robust" in warned[0]
    assert main(["fit", str(ecs03)]) == 0  # (the robust fit leaves it out, and says so: it sets the max)
    warned = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "100 % read 4000 W" in warned[0] and "left out as a glitch" in warned[0]


def test_a_curve_on_from_its_first_point_says_no_off_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The seed's fitted table (its *_poly.csv) reads 28 W at 0 %: the report said "below 0 % the load counts as off".
    table = Path(shutil.copy(ROOT / "calibration" / "power_calibration_ECS-02_poly_decimal_comma.csv",
                             tmp_path / "seed_poly.csv"))
    assert main(["fit", str(table)]) == 0
    out = capsys.readouterr().out
    assert "below 0 %" not in out
    assert "on from 0 % (21.0 W) to 100 % (2266.0 W); no reading of the sweep is off" in out


def test_fit_plot(ecs03: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "fit.png"
    assert main(["fit", str(ecs03), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_fit_plot_matplotlib_cannot_write_is_refused_before_the_fit(ecs03: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fit", str(ecs03), "--plot", str(tmp_path / "fit.xyz")])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert "'.xyz' is not a format --plot writes" in err and "Traceback" not in err
    assert out == "" and list(tmp_path.iterdir()) == [ecs03]  # nothing fitted, no table written


def test_a_fit_plot_without_matplotlib_is_refused_before_the_fit(ecs03: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # (it used to fit and write the table first, then say matplotlib was missing)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(SystemExit) as exited:
        main(["fit", str(ecs03), "--plot", str(tmp_path / "fit.png")])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    # (the way to install it depends on the Python running the tests: tests/test_simulation_cli.py checks each)
    assert f"fit.png: drawing {matplotlib_missing()}" in err and "needs matplotlib, which is not installed" in err
    assert out == "" and "Traceback" not in err and list(tmp_path.iterdir()) == [ecs03]


@pytest.mark.parametrize(("content", "message"), [
    (None, "calibration file not found"),
    ("", "no 'percent;watts' line"),
    ("100;2300\n50;abc\n", "line 2: watts 'abc' is not a number"),
])
def test_bad_files_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        content: str | None, message: str) -> None:
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    assert main(["fit", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and message in err
    assert not (tmp_path / "bad_fit.csv").exists()


def test_the_module_runs_without_a_traceback_on_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("percent;watts\n1;2;3\n")
    run = subprocess.run([sys.executable, "-m", "calibration", "fit", str(bad)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert f"{bad}, line 2: expected 'percent;watts'" in run.stderr


def test_an_unknown_method_is_a_usage_error(ecs03: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["fit", str(ecs03), "--method", "spline"])
    assert caught.value.code == 2
    assert "invalid choice: 'spline'" in capsys.readouterr().err


def test_a_reader_that_goes_away_is_no_crash(ecs03: Path) -> None:
    # `python3 -m calibration fit FILE | head -1`: the pipe closes before the report is printed.
    proc = subprocess.Popen([sys.executable, "-m", "calibration", "fit", str(ecs03)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the child has imported numpy, let alone printed
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(60) == 0, err
    assert err == ""
    assert ecs03.with_name("power_calibration_ECS-03_fit.csv").exists()


def test_a_sweep_up_to_99_percent_is_reported_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kept = [line for line in ECS_03.read_text().splitlines() if float(line.split(";")[0]) <= 99.0]
    short = tmp_path / "to99.csv"
    short.write_text("\n".join(kept) + "\n")
    assert main(["fit", str(short)]) == 0
    assert "on from 4 % (2.0 W) to 99 % (" in capsys.readouterr().out


def test_a_partial_sweep_is_refused_with_the_way_to_finish_it(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    kept = [line for line in ECS_03.read_text().splitlines() if float(line.split(";")[0]) >= 63.5]
    partial = tmp_path / "partial.csv"
    partial.write_text("\n".join(kept) + "\n")
    assert main(["fit", str(partial)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {partial}: the sweep covers only 63.5..100 %") and "--resume" in err
    assert err.count("\n") == 1 and not (tmp_path / "partial_fit.csv").exists()


def test_an_output_that_would_overwrite_the_sweep_is_refused(ecs03: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = ecs03.read_bytes()
    assert main(["fit", str(ecs03), "--output", str(ecs03)]) == 2
    assert "is the sweep being fitted" in capsys.readouterr().err
    assert ecs03.read_bytes() == before


@pytest.mark.parametrize(("text", "message"), [("nan", "nan: a number 0 or more"), ("-1", "-1: a number 0 or more"),
                                               ("1_0", "not a number: '1_0' (no '_' in a number")])
def test_a_min_power_not_0_or_more_is_refused_naming_the_option(ecs03: Path, capsys: pytest.CaptureFixture[str],
                                                                text: str, message: str) -> None:
    # (nan passed as 0 or more: the fit then found "no reading above min_power (nan W)"; 1_0 was 10 W)
    with pytest.raises(SystemExit) as caught:
        main(["fit", str(ecs03), "--min-power", text])
    assert caught.value.code == 2
    assert f"error: argument --min-power: {message}" in capsys.readouterr().err
    assert not (ecs03.parent / f"{ecs03.stem}_fit.csv").exists()
