"""The fit on the four real sweeps (the issue's targets), the poly method, and properties of any fit."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration import CalibrationError, CalibrationPoints, PowerCurve, fit_curve, load_curve, read_calibration_csv
from calibration.report import fit_figures, seed_poly_figures, used_points

CALIBRATION = Path(__file__).resolve().parent.parent / "calibration"
REAL = [CALIBRATION / f"power_calibration_ECS-0{n}.csv" for n in (1, 2, 3, 4)]
GRID = np.round(np.arange(1001) * 0.1, 1)


def _best_of_three_ms(points: CalibrationPoints, method: str) -> float:
    # Fit time is a stated target; the best of three keeps a busy CI machine's hiccup out of it.
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fit_curve(points, method)
        best = min(best, (time.perf_counter() - start) * 1000.0)
    return best


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_robust_fit_meets_the_targets_on_real_sweeps(path: Path) -> None:
    points = read_calibration_csv(path)
    curve = fit_curve(points)
    figures = fit_figures(points, curve)
    assert curve.method == "robust"
    assert figures.rms_w <= 0.01 * curve.max_power_w
    assert figures.decreasing_steps == 0
    watts = np.linspace(curve.min_on_w, curve.max_power_w, 20001)
    assert np.max(np.abs(curve.watts_at(curve.percent_for(watts)) - watts)) <= 1.0
    assert len(curve.outliers) <= 0.03 * len(points)
    assert figures.points_used >= 0.9 * len(points)  # the RMS is not bought by dropping points
    assert _best_of_three_ms(points, "robust") <= 50.0


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_the_seeds_polynomial_has_the_defects_the_fit_removes(path: Path) -> None:
    points = read_calibration_csv(path)
    curve = fit_curve(points)
    seed = seed_poly_figures(points, used_points(points, curve))
    assert seed.decreasing_steps > 0
    assert curve.max_power_w == pytest.approx(points.watts[points.percent >= 95].max(), rel=0.02)


def test_the_1470_w_outlier_of_ecs_03_is_rejected_and_reported() -> None:
    points = read_calibration_csv(REAL[2])
    curve = fit_curve(points)
    assert [points.percent[i] for i in curve.outliers] == [37.0]
    assert curve.watts_at(37.0) == pytest.approx(577.0, abs=25.0)  # between 555 W (36.5 %) and 597 W (37.5 %)



@pytest.mark.parametrize("spike_w", [2450.0, 4000.0])
def test_one_glitched_step_at_full_power_is_an_outlier_not_the_loads_max(spike_w: float) -> None:
    # A monotone reference ends on its highest point whatever it reads, so a glitch at 100 % was never far from it:
    # the curve ended at 4000 W for a 2.3 kW heater, the load's max the daemon believes it can draw.
    points = read_calibration_csv(REAL[2])
    watts = np.where(points.percent == 100.0, spike_w, points.watts)
    curve = fit_curve(CalibrationPoints(percent=points.percent, watts=watts, source="spike.csv"))
    assert [float(points.percent[i]) for i in curve.outliers] == [37.0, 100.0]
    assert curve.max_power_w == pytest.approx(2287.9, abs=0.1)  # the reading at 99.5 %, the next highest
    assert curve.knots_percent[-1] == 100.0  # the curve still covers the whole sweep

def _every(points: CalibrationPoints, step_percent: float) -> CalibrationPoints:
    """The points of a sweep by `step_percent` (`sweep --step 5`) out of a sweep by 0.5 %."""
    keep = np.isclose(np.remainder(points.percent + 1e-9, step_percent), 0.0, atol=1e-6)
    return CalibrationPoints(percent=points.percent[keep], watts=points.watts[keep], source="coarse.csv")


@pytest.mark.parametrize("step", [5.0, 10.0])
@pytest.mark.parametrize("glitch_at", [100.0, 50.0])
def test_one_glitched_step_of_a_coarse_sweep_is_an_outlier_too(step: float, glitch_at: float) -> None:
    # At most 3 % of a sweep's points are outliers: none at all in a sweep of 33 steps or fewer (`--step 5`, 21),
    # so a 4000 W glitch at 100 % became the 2.3 kW heater's max, and one at 50 % bent the curve by 100 W.
    coarse = _every(read_calibration_csv(REAL[2]), step)
    assert len(coarse) == 100 / step + 1
    clean = fit_curve(coarse)
    glitched = fit_curve(CalibrationPoints(percent=coarse.percent,
                                           watts=np.where(coarse.percent == glitch_at, 4000.0, coarse.watts),
                                           source="coarse.csv"))
    assert [float(coarse.percent[i]) for i in glitched.outliers] == [glitch_at]
    assert glitched.max_power_w <= clean.max_power_w
    assert glitched.knots_percent[-1] == 100.0
    assert abs(glitched.watts_at(50.0) - clean.watts_at(50.0)) <= 0.06 * clean.max_power_w


@pytest.mark.parametrize("step", [5.0, 10.0])
def test_a_coarse_sweep_without_a_glitch_keeps_every_point(step: float) -> None:
    for path in REAL:
        assert fit_curve(_every(read_calibration_csv(path), step)).outliers == ()
    linear = CalibrationPoints(percent=np.arange(0.0, 101.0, step), watts=20.0 * np.arange(0.0, 101.0, step),
                               source="linear.csv")  # a variator that linearises its response itself
    curve = fit_curve(linear)
    assert curve.outliers == () and curve.max_power_w == 2000.0


def test_the_poly_fit_warns_of_a_glitch_at_full_power_it_counts() -> None:
    # The seed's polynomial counts every point: a 4000 W glitch at 100 % bent it to a 2567 W max for a 2.3 kW
    # heater, silently (the robust fit, the default, rejects it). Kept as the seed's, and said.
    points = read_calibration_csv(REAL[0])  # no outlier of its own
    watts = np.where(points.percent == 100.0, 4000.0, points.watts)
    spiked = CalibrationPoints(percent=points.percent, watts=watts, source="spike.csv")
    curve = fit_curve(spiked, "poly")
    assert curve.max_power_w > 2500.0  # the seed's regression, unchanged
    assert len(curve.warnings) == 1
    warning = curve.warnings[0]
    assert "spike.csv" in warning and "100 % (4000 W)" in warning and "robust" in warning
    assert f"{curve.max_power_w:.0f} W" in warning
    assert "left out as a glitch" in fit_curve(spiked).warnings[0]  # (the robust fit's own: it sets the max)
    assert fit_curve(points, "poly").warnings == ()


def test_the_poly_fit_says_nothing_of_outliers_that_barely_move_it() -> None:
    # ECS-03's 37 % (1470 W) moves the polynomial by 19 W, ECS-02's by 7 W: a warning at every start for that
    # taught to skip warnings. Only a move of 2 % of the max or more is said.
    assert all(fit_curve(read_calibration_csv(path), "poly").warnings == () for path in REAL)


def test_a_real_last_rise_to_full_power_is_kept_on_a_coarse_sweep() -> None:
    # A variator whose firmware goes fully on at 100 %: its S-curve at 93 % of full power by 95 %, 2300 W at 100 %.
    # Measured against twice the last step below (nearly flat at the top), that real reading was left out, the max
    # believed 2138 W: the daemon commanded 100 % for a surplus up to 2300 W and imported the difference.
    percent = np.arange(0.0, 101.0, 5.0)
    s_curve = 0.93 * 2300.0 * (1.0 - np.cos(np.pi * percent / 95.0)) / 2.0
    watts = np.where(percent < 100.0, np.where(percent <= 95.0, s_curve, 0.0), 2300.0)
    curve = fit_curve(CalibrationPoints(percent=percent, watts=watts, source="s-curve.csv"))
    assert curve.outliers == () and curve.max_power_w == 2300.0 and curve.warnings == ()


def test_a_glitch_left_out_at_the_top_is_said() -> None:
    coarse = _every(read_calibration_csv(REAL[2]), 5.0)
    glitched = CalibrationPoints(percent=coarse.percent, watts=np.where(coarse.percent == 100.0, 4000.0, coarse.watts),
                                 source="coarse.csv")
    (warning,) = fit_curve(glitched).warnings
    assert warning.startswith("coarse.csv: 100 % read 4000 W, far above where the readings below lead: left out")


def test_the_misfire_zone_counts_as_off() -> None:
    points = read_calibration_csv(REAL[1])  # 60..91 W at 1..2.5 %, then 1 W at 3..3.5 %
    curve = fit_curve(points)
    assert [points.percent[i] for i in curve.misfires] == [1.0, 1.5, 2.0, 2.5]
    assert curve.min_on_percent == 4.0
    assert np.all(curve.watts_at(np.array([0.0, 1.0, 2.0, 2.5, 3.5, 3.9])) == 0.0)
    assert curve.watts_at(4.0) > 0.0


def test_percent_for_edges() -> None:
    curve = load_curve(REAL[3])
    assert curve.percent_for(0.0) == 0.0
    assert curve.percent_for(-50.0) == 0.0
    assert curve.percent_for(curve.max_power_w) == 100.0
    assert curve.percent_for(curve.max_power_w + 500.0) == 100.0
    assert curve.percent_for(curve.min_on_w / 2) == curve.min_on_percent  # the least it can do when on
    assert curve.watts_at(100.0) == curve.max_power_w
    assert curve.watts_at(120.0) == curve.max_power_w
    assert isinstance(curve.watts_at(50.0), float)
    assert isinstance(curve.percent_for(1000.0), float)
    assert np.asarray(curve.percent_for(np.array([0.0, 1000.0]))).shape == (2,)


def test_percent_for_is_vectorised_and_matches_scalars() -> None:
    curve = load_curve(REAL[0])
    watts = np.array([150.0, 500.0, 1200.0, 2000.0])
    together = np.asarray(curve.percent_for(watts))
    assert list(together) == [curve.percent_for(float(w)) for w in watts]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_poly_method_is_the_seeds_polynomial_made_monotone(path: Path) -> None:
    points = read_calibration_csv(path)
    curve = fit_curve(points, method="poly", degree=5)
    assert curve.method == "poly" and curve.degree == 5 and curve.outliers == ()
    np.testing.assert_allclose(curve.coefficients, np.polyfit(points.percent, points.watts, 5))
    assert np.all(np.diff(curve.watts_at(GRID)) >= 0.0)
    watts = np.linspace(curve.min_on_w, curve.max_power_w, 5001)
    assert np.max(np.abs(curve.watts_at(curve.percent_for(watts)) - watts)) <= 1.0
    raw = np.polyval(curve.coefficients, 60.0)  # where the seed's polynomial is monotone it is unchanged
    assert curve.watts_at(60.0) == pytest.approx(raw, abs=1.0)


def test_unknown_method_and_bad_degree_are_refused() -> None:
    points = read_calibration_csv(REAL[0])
    with pytest.raises(CalibrationError, match=r"power_calibration_ECS-01\.csv.*unknown fit method 'spline'"):
        fit_curve(points, method="spline")
    with pytest.raises(CalibrationError, match="degree 0"):
        fit_curve(points, method="poly", degree=0)


def test_a_sweep_that_never_reaches_min_power_is_refused() -> None:
    points = read_calibration_csv(REAL[0])
    with pytest.raises(CalibrationError, match=r"ECS-01\.csv: no reading above min_power \(5000 W\)"):
        fit_curve(points, min_power_w=5000.0)


def _points(percent: np.ndarray, watts: np.ndarray) -> CalibrationPoints:
    return CalibrationPoints(percent=percent, watts=watts, source="synthetic.csv")


def test_a_flat_sweep_is_refused() -> None:
    percent = np.arange(0.0, 100.5, 0.5)
    with pytest.raises(CalibrationError, match="synthetic.csv: the load never conducts"):
        fit_curve(_points(percent, np.full(percent.size, 1.0)))


@settings(max_examples=60, deadline=None)
@given(
    max_w=st.floats(200.0, 5000.0),
    steepness=st.floats(4.0, 15.0),
    noise_share=st.floats(0.0, 0.01),
    outlier_count=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_noisy_s_curve_gives_a_monotone_exactly_invertible_curve(
        max_w: float, steepness: float, noise_share: float, outlier_count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    percent = np.arange(0.0, 100.5, 0.5)
    truth = max_w / (1.0 + np.exp(-(percent - 50.0) / steepness))
    watts = np.clip(truth + rng.normal(0.0, noise_share * max_w, percent.size), 0.0, None)
    wild = rng.choice(np.arange(40, percent.size), size=outlier_count, replace=False)
    watts[wild] = rng.uniform(0.0, 1.5 * max_w, outlier_count)
    curve: PowerCurve = fit_curve(_points(percent, watts))
    assert np.all(np.diff(curve.watts_at(GRID)) >= 0.0)
    assert np.all(np.diff(curve.knots_w) > 0.0) and np.all(np.diff(curve.knots_percent) > 0.0)
    targets = np.linspace(curve.min_on_w, curve.max_power_w, 2001)
    assert np.max(np.abs(curve.watts_at(curve.percent_for(targets)) - targets)) <= 1e-6 * max_w
    assert len(curve.outliers) <= int(0.03 * percent.size)
    # Away from the outliers the curve follows the truth (noise and pooling allowed for).
    on = percent >= curve.min_on_percent
    assert np.median(np.abs(curve.watts_at(percent[on]) - truth[on])) <= 0.02 * max_w + 3 * noise_share * max_w


def test_a_curve_from_a_table() -> None:
    curve = PowerCurve.from_table([0.0, 50.0, 100.0], [0.0, 500.0, 2000.0])
    assert curve.watts_at(25.0) == 250.0 and curve.percent_for(1250.0) == 75.0
    assert curve.max_power_w == 2000.0 and curve.min_on_percent == 0.0
    for percent, watts in (([0.0, 50.0, 50.0, 100.0], [0.0, 1.0, 2.0, 3.0]), ([0.0, 100.0], [5.0, 5.0]),
                           ([0.0, 90.0], [0.0, 10.0]), ([0.0], [0.0])):
        with pytest.raises(ValueError, match="from_table needs"):
            PowerCurve.from_table(percent, watts)


def test_a_curve_keeps_its_knots_whatever_the_caller_does_with_its_arrays() -> None:
    percent, watts = np.array([0.0, 50.0, 100.0]), np.array([0.0, 500.0, 2000.0])
    curve = PowerCurve.from_table(percent, watts)
    watts[1] = 1500.0  # the caller's array, changed after the curve was made
    # One number (the daemon's pure-Python path) and an array (numpy's) still agree, on the curve as made.
    assert curve.watts_at(25.0) == 250.0 and float(np.asarray(curve.watts_at(np.array([25.0])))[0]) == 250.0
    with pytest.raises(ValueError, match="read-only"):
        curve.knots_w[1] = 1500.0


def _subset(points: CalibrationPoints, mask: np.ndarray) -> CalibrationPoints:
    return CalibrationPoints(percent=points.percent[mask], watts=points.watts[mask], source=points.source)


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


def test_a_sweep_of_the_lower_half_is_refused_not_extrapolated() -> None:
    points = read_calibration_csv(REAL[2])
    low = _subset(points, points.percent <= 50.0)  # would fit as "1173 W at 100 %"; 100 % draws 2290 W
    for method in ("robust", "poly"):
        with pytest.raises(CalibrationError, match=r"covers only 0\.\.50 %; a calibration must run from 5 % or "
                                                   r"less to 99 % or more"):
            fit_curve(low, method)


@pytest.mark.parametrize("method", ["robust", "poly"])
def test_the_curve_ends_at_the_highest_percent_measured(method: str) -> None:
    points = read_calibration_csv(REAL[3])
    to_99 = _subset(points, points.percent <= 99.0)  # within the tolerance: fitted, but not stretched to 100 %
    curve = fit_curve(to_99, method)
    assert curve.knots_percent[-1] == 99.0
    assert curve.percent_for(curve.max_power_w) == 99.0
    assert curve.watts_at(100.0) == curve.max_power_w  # held flat past the last measured percent
    assert curve.max_power_w == pytest.approx(points.watts[points.percent == 99.0][0], abs=15.0)


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", ["robust", "poly"])
def test_one_number_at_a_time_is_numpys_interp_to_the_last_bit(path: Path, method: str) -> None:
    # A single number takes interp_one, not numpy: the daemon's commands must not move by a bit for it.
    curve = load_curve(path, method)
    rng = np.random.default_rng(3)
    knots_p, knots_w = curve.knots_percent, curve.knots_w
    percents = np.concatenate([rng.uniform(-5.0, 105.0, 20000), GRID, knots_p, np.nextafter(knots_p, -np.inf),
                               np.nextafter(knots_p, np.inf), [0.0, -0.0, curve.min_on_percent, 100.0, 1e9]])
    watts = np.concatenate([rng.uniform(-50.0, curve.max_power_w * 1.1, 20000), knots_w,
                            np.nextafter(knots_w, -np.inf), np.nextafter(knots_w, np.inf), [0.0, -0.0, 1e9]])
    assert [curve.watts_at(float(p)) for p in percents] == np.asarray(curve.watts_at(percents)).tolist()
    assert [curve.percent_for(float(w)) for w in watts] == np.asarray(curve.percent_for(watts)).tolist()
    assert [curve.watts_at(int(p)) for p in range(101)] == np.asarray(curve.watts_at(np.arange(101.0))).tolist()


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
    return _points(percent, np.where(percent >= on_from, 2000.0 + noise, 1.0))


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
