"""The daemon fits its variator's curve without numpy (15 MB of its memory on a Pi Zero): the plain-Python fit gives
the very same curve as numpy did, to the last bit, on every curve PySEB ships (the 4 real sweeps and the
decimal-comma example), and a daemon built from the demo's config, variator included, never imports numpy."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from calibration.examples import EXAMPLE_CURVES, SHIPPED_CURVES
from calibration.fit import load_curve
from calibration.monotone import analyse_sweep, isotonic_blocks
from calibration.points import parse_calibration_rows, read_plain_points
from calibration.robust import numpy_sum
from simulation.demo_config import DEMO_TEMPLATE, write_demo_config

ROOT = Path(__file__).resolve().parent.parent
CURVES = [SHIPPED_CURVES / name for name in EXAMPLE_CURVES]


def test_a_block_sums_as_numpy_s_reduceat_to_the_last_bit() -> None:
    # np.add.reduceat sums a block pairwise (8 running sums, halves above 128 values): a plain loop in order
    # differs in the last bits, and a knot would too. Blocks of every length up to 400, values of every scale.
    rng = random.Random(20261202)
    for _ in range(500):
        values = [rng.uniform(0.0, 100.0) * 10.0 ** rng.randint(-6, 6) for _ in range(rng.randint(1, 400))]
        starts = sorted({0, *rng.sample(range(len(values)), min(len(values), rng.randint(0, 4)))})
        stops = [*starts[1:], len(values)]
        expected = np.add.reduceat(np.array(values), starts).tolist()
        assert [numpy_sum(values, a, b) for a, b in zip(starts, stops, strict=True)] == expected


def _numpy_robust_knots(path: Path) -> tuple[list[float], list[float]]:
    """The robust fit's knots as numpy computed them: a percent's readings averaged by np.unique and np.bincount,
    a block's percents by np.add.reduceat (the shape's comparisons are no arithmetic: shared)."""
    rows = parse_calibration_rows(path.read_bytes().decode("utf-8-sig"), str(path))
    raw = np.array([(p, w) for _, p, w in rows], dtype=float)
    percent, inverse = np.unique(raw[:, 0], return_inverse=True)
    watts = np.bincount(inverse, weights=raw[:, 1]) / np.bincount(inverse)
    shape = analyse_sweep(watts.tolist(), percent.tolist())
    keep = np.ones(percent.size, dtype=bool)
    keep[: shape.first_on] = False
    keep[list(shape.outliers)] = False
    blocks = isotonic_blocks(watts[keep].tolist())
    knots_p = np.add.reduceat(percent[keep], list(blocks.start)) / (np.array(blocks.stop) - np.array(blocks.start))
    knots_p[0], knots_p[-1] = percent[shape.first_on], percent[-1]
    return knots_p.tolist(), np.array(blocks.value).tolist()


@pytest.mark.parametrize("path", CURVES, ids=lambda path: path.name)
def test_the_plain_fit_is_numpy_s_to_the_last_bit(path: Path) -> None:
    curve = load_curve(path)
    points = read_plain_points(path)
    assert len(points.percent) >= 20
    assert (list(curve.knots_percent), list(curve.knots_w)) == _numpy_robust_knots(path)
    # One number at a time (the daemon's lookups) is np.interp's, both ways, over the whole range.
    percents = np.round(np.arange(0, 10001) * 0.01, 2)
    watts = np.arange(0, 6001) * 0.5
    expected_w = np.where(percents < curve.min_on_percent, 0.0, np.interp(percents, curve.knots_percent,
                                                                          curve.knots_w))
    expected_p = np.where(watts <= 0.0, 0.0, np.interp(watts, curve.knots_w, curve.knots_percent))
    assert [curve.watts_at(p) for p in percents.tolist()] == expected_w.tolist()
    assert [curve.percent_for(w) for w in watts.tolist()] == expected_p.tolist()


def test_the_poly_fit_pools_its_grid_as_numpy_did() -> None:
    # (the poly fit's 0.1 % grid pools dozens of points a block: where the order of the sum shows)
    curve = load_curve(CURVES[0], method="poly")
    grid = np.round(np.arange(round(curve.min_on_percent * 10), 1001) * 0.1, 1)
    raw = np.clip(np.polyval(curve.coefficients, grid), 0.0, None)
    blocks = isotonic_blocks(raw.tolist())
    expected = np.add.reduceat(grid, list(blocks.start)) / (np.array(blocks.stop) - np.array(blocks.start))
    assert list(curve.knots_percent[1:-1]) == expected.tolist()[1:-1]
    assert list(curve.knots_w) == list(blocks.value)


def test_a_daemon_with_a_variator_imports_no_numpy(tmp_path: Path) -> None:
    config = write_demo_config(DEMO_TEMPLATE, tmp_path, "127.0.0.1", 9, 1.0)
    probe = ("import sys; from regulation import Regulator; "
             f"reg = Regulator.from_config({str(config)!r}, publish=lambda *a, **k: None); "
             "reg.tick(1.8e9); print([(e['name'], e['type']) for e in reg.status(1.8e9)['equipments']]); "
             "print([m for m in sys.modules if m == 'numpy' or m.startswith('numpy.')])")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    loads, numpy_modules = result.stdout.strip().splitlines()
    assert "('ecs', 'variable')" in loads
    assert numpy_modules == "[]"
