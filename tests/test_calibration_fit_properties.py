"""Properties of any fit: a noisy S-curve gives a monotone, exactly invertible curve; a curve from a table keeps
its knots; it ends at the highest percent measured; one number at a time is numpy's interp to the last bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration import PowerCurve, fit_curve, load_curve, read_calibration_csv
from tests.real_sweeps import GRID, REAL, points_of, subset


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
    curve: PowerCurve = fit_curve(points_of(percent, watts))
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
    with pytest.raises(TypeError):  # (its knots are tuples: nobody changes them afterwards)
        curve.knots_w[1] = 1500.0  # type: ignore[index]


@pytest.mark.parametrize("method", ["robust", "poly"])
def test_the_curve_ends_at_the_highest_percent_measured(method: str) -> None:
    points = read_calibration_csv(REAL[3])
    to_99 = subset(points, points.percent <= 99.0)  # within the tolerance: fitted, but not stretched to 100 %
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
