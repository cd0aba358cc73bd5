"""Sweeps the fit refuses, saying why: one that never reaches min_power, a flat one, one stopped half way down or
of the lower half only, one read through a frozen meter, a load that jumps from off to full power, a thermostat cut."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from calibration import CalibrationError, CalibrationPoints, fit_curve, load_curve, read_calibration_csv
from tests.real_sweeps import REAL, points_of, subset


def test_a_sweep_that_never_reaches_min_power_is_refused() -> None:
    points = read_calibration_csv(REAL[0])
    with pytest.raises(CalibrationError, match=r"ECS-01\.csv: no reading above min_power \(5000 W\)"):
        fit_curve(points, min_power_w=5000.0)


def test_a_flat_sweep_is_refused() -> None:
    percent = np.arange(0.0, 100.5, 0.5)
    with pytest.raises(CalibrationError, match="synthetic.csv: the load never conducts"):
        fit_curve(points_of(percent, np.full(percent.size, 1.0)))


def test_a_sweep_stopped_half_way_down_is_refused_by_the_daemons_loader(tmp_path: Path) -> None:
    # A sweep from 100 % interrupted at 63.5 %: fitted, it would command ~64 % for any watts.
    points = read_calibration_csv(REAL[2])
    partial = tmp_path / "power_calibration_ecs.csv"
    partial.write_text("".join(f"{p:g};{w:.2f}\n" for p, w in zip(points.percent, points.watts, strict=True)
                               if p >= 63.5))
    with pytest.raises(CalibrationError) as caught:
        load_curve(partial)
    message = str(caught.value)
    assert message.startswith(f"{partial}: the sweep covers only 63.5..100 %") and "--resume" in message


def test_a_half_sweep_s_resume_hint_names_the_python_that_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (it said `python3 -m calibration sweep ... --resume`: from a virtualenv of one's own, the system's python3 has
    # not the packages, "No module named calibration"; the sweep's own hints named the Python that runs)
    points = read_calibration_csv(REAL[2])
    partial = tmp_path / "power_calibration_ecs.csv"
    partial.write_text("".join(f"{p:g};{w:.2f}\n" for p, w in zip(points.percent, points.watts, strict=True)
                               if p >= 63.5))
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "prefix", "/home/pi/my venv")
    monkeypatch.setattr(sys, "executable", "/home/pi/my venv/bin/python")
    with pytest.raises(CalibrationError) as caught:
        load_curve(partial)
    assert ("finished by `'/home/pi/my venv/bin/python' -m calibration sweep -c CONFIG --equipment NAME --resume`"
            in str(caught.value)), caught.value


def test_a_sweep_of_the_lower_half_is_refused_not_extrapolated() -> None:
    points = read_calibration_csv(REAL[2])
    low = subset(points, points.percent <= 50.0)  # would fit as "1173 W at 100 %"; 100 % draws 2290 W
    for method in ("robust", "poly"):
        with pytest.raises(CalibrationError, match=r"covers only 0\.\.50 %; a calibration must run from 5 % or "
                                                   r"less to 99 % or more"):
            fit_curve(low, method)


@pytest.mark.parametrize("method", ["robust", "poly"])
def test_a_sweep_read_through_a_frozen_meter_is_refused(method: str) -> None:
    # The meter froze at 88 % and repeated 2190 W down to 0 %: its "off level" is 2.2 kW. Kept, the daemon
    # would command 88 % (2.2 kW) for a 300 W surplus.
    real = read_calibration_csv(REAL[3])
    frozen = np.where(real.percent <= 88.0, 2190.0, real.watts)
    points = CalibrationPoints(percent=real.percent, watts=frozen, source="frozen.csv")
    with pytest.raises(CalibrationError, match="lowest readings are 2190 W.*the meter froze"):
        fit_curve(points, method)
    ignored = CalibrationPoints(percent=real.percent, watts=np.full(real.percent.size, 2290.0), source="flat.csv")
    with pytest.raises(CalibrationError, match="lowest readings are 2290 W"):
        fit_curve(ignored, method)


def _on_from(on_from: float, noise_w: float = 0.0) -> CalibrationPoints:
    """A load off (1 W) below `on_from` %, drawing about 2000 W from there up."""
    percent = np.arange(0.0, 100.5, 0.5)
    noise = np.random.default_rng(5).normal(0.0, noise_w, percent.size)
    return points_of(percent, np.where(percent >= on_from, 2000.0 + noise, 1.0))


@pytest.mark.parametrize("method", ["robust", "poly"])
@pytest.mark.parametrize(("on_from", "noise_w"), [(97.0, 0.0), (50.0, 0.0), (4.0, 0.0), (50.0, 8.0)])
def test_a_load_that_jumps_from_off_to_full_power_is_refused_saying_so(method: str, on_from: float,
                                                                       noise_w: float) -> None:
    # It does not follow the percent: the robust fit said 'the readings do not increase', which they did (from 1 to
    # 2000 W); the poly fit made it a curve up to 2722 W; with a little noise the robust fit took it, on from 50 %
    # at 2 kW, and the daemon would have commanded 50 % (2 kW) for a 200 W surplus.
    with pytest.raises(CalibrationError, match=rf"synthetic.csv: the readings jump from the off level \(1 W\) to "
                                               rf"\d+ W at {on_from:g} %.*does not follow the percent"):
        fit_curve(_on_from(on_from, noise_w), method)


def test_a_sweep_cut_by_the_thermostat_from_the_middle_down_is_refused() -> None:
    # 100..60 % measured, then the thermostat cut and the sweep went on reading 1 W (a file from another tool):
    # fitted, "on from 60 % (1766 W)".
    real = read_calibration_csv(REAL[3])
    cut = CalibrationPoints(percent=real.percent, watts=np.where(real.percent < 60.0, 1.0, real.watts),
                            source="cut.csv")
    with pytest.raises(CalibrationError, match=r"cut.csv: the readings jump .* at 60 %.*thermostat"):
        fit_curve(cut)
