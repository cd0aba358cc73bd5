"""The robust fit of a variator's curve, in plain Python floats (the daemon's: no numpy, 15 MB of its memory): misfire
zone at the bottom treated as off, outliers rejected (at most 3 % of the points), then a least-squares isotonic
(monotone) regression whose pooled blocks are the knots. The very same knots, to the last bit, as numpy gave
(tests/test_calibration_plain_fit.py): a block's percents are summed in numpy's own order (`numpy_sum`)."""

from __future__ import annotations

from collections.abc import Sequence

from calibration.curve import PowerCurve
from calibration.monotone import SweepShape, isotonic_blocks
from calibration.points import CalibrationError, PlainPoints

__all__ = ["fit_robust", "numpy_sum", "table_from_blocks"]

# The load's own meter reads a few watts with the load off (1 W on the real sweeps). An "off level" of this
# much of the top reading (and at least MAX_OFF_W) is no off level: a meter that froze on a reading and
# repeated it down the sweep, or a variator that ignored its commands. Such a curve would have the daemon
# command, say, 88 % (2.2 kW) for a 300 W surplus.
MAX_OFF_SHARE = 0.05
MAX_OFF_W = 50.0
# A heater behind a triac rises from a few watts at its first conduction (2 W at 4 % on the real sweeps). One whose
# first stable conduction draws this much of its highest reading jumped there from off: kept, the daemon would never
# use the load under that (2 kW, say: every surplus under it exported), and a load that goes fully on at some
# percent is a relay's (a smaller jump is warned of: calibration.fit.LATE_ON_SHARE).
MAX_FIRST_ON_SHARE = 0.5
_UNROLLED = 8  # numpy's pairwise summation: 8 running sums up to its block size, halves above it
_BLOCK = 128


def _pairwise(values: Sequence[float], start: int, count: int) -> float:
    """numpy's pairwise_sum of values[start:start + count] (its numpy/_core/src/umath/loops_utils.h), step by step."""
    if count < _UNROLLED:
        total = -0.0  # (numpy's start: -0.0 + x is x for every x, -0.0 included)
        for i in range(start, start + count):
            total += values[i]
        return total
    if count <= _BLOCK:
        r = list(values[start:start + _UNROLLED])
        i = _UNROLLED
        while i < count - count % _UNROLLED:
            for k in range(_UNROLLED):
                r[k] += values[start + i + k]
            i += _UNROLLED
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for j in range(start + i, start + count):
            total += values[j]
        return total
    half = count // 2
    half -= half % _UNROLLED
    return _pairwise(values, start, half) + _pairwise(values, start + half, count - half)


def numpy_sum(values: Sequence[float], start: int, stop: int) -> float:
    """np.add.reduceat's sum of values[start:stop] (stop > start), to the last bit: the first value, plus the
    pairwise sum of the rest. A plain loop in order differs in the last bits of a long block (the poly fit's
    0.1 % grid pools dozens of points)."""
    return values[start] + _pairwise(values, start + 1, stop - start - 1) if stop - start > 1 else values[start]


def table_from_blocks(percent: Sequence[float], watts: Sequence[float], min_on_percent: float, top_percent: float,
                      ) -> tuple[list[float], list[float]]:
    """Knots of the monotone table: one per isotonic block, at the block's mean percent and watts.

    The first knot is moved to min_on_percent and the last to `top_percent`, the sweep's highest
    measured percent (never beyond: what the load draws past it was not measured), so the table covers
    the whole measured "on" range; the percents stay strictly increasing because the blocks do not overlap.
    ValueError("flat") when there are fewer than 2 blocks.
    """
    blocks = isotonic_blocks(watts)
    knots_p = [numpy_sum(percent, a, b) / (b - a) for a, b in zip(blocks.start, blocks.stop, strict=True)]
    knots_w = list(blocks.value)
    if len(knots_p) < 2:
        raise ValueError("flat")
    knots_p[0] = min_on_percent
    knots_p[-1] = top_percent
    return knots_p, knots_w


def checked_shape(points: PlainPoints, shape: SweepShape) -> SweepShape:
    """The sweep's `shape`, refused (CalibrationError) when it never conducts or its off level is no off
    level."""
    top_w = max(points.watts)
    if shape.off_w > max(MAX_OFF_W, MAX_OFF_SHARE * top_w):
        raise CalibrationError(
            f"{points.source}: the lowest readings are {shape.off_w:g} W, where a load that is off reads a few "
            f"watts: the meter froze on a reading (the same message again and again), or the variator did not "
            f"follow the commands, or this is not the load's own meter; sweep again")
    if shape.first_on >= len(points):
        raise CalibrationError(f"{points.source}: the load never conducts (every reading is at the off "
                               f"level, {shape.off_w:g} W)")
    outliers = set(shape.outliers)
    highest_w = max(w for i, w in enumerate(points.watts) if i not in outliers)
    first_w, first_percent = points.watts[shape.first_on], points.percent[shape.first_on]
    if first_w >= MAX_FIRST_ON_SHARE * highest_w:
        raise CalibrationError(
            f"{points.source}: the readings jump from the off level ({shape.off_w:g} W) to {first_w:.0f} W at "
            f"{first_percent:g} % ({100.0 * first_w / highest_w:.0f} % of the highest, {highest_w:.0f} W), where a "
            f"heater behind a variator rises from a few watts: either its thermostat cut it from there down (a hot "
            f"tank: sweep again while it heats), or the load does not follow the percent (its own electronics, or a "
            f"variator that only switches it fully on and off), and a relay drives it better (a `constant` load)")
    return shape


def fit_robust(points: PlainPoints, shape: SweepShape) -> PowerCurve:
    """The robust curve of `points` (sorted by percent; `shape`: their analyse_sweep)."""
    shape = checked_shape(points, shape)
    left_out = set(shape.outliers)
    kept = [i for i in range(shape.first_on, len(points)) if i not in left_out]
    min_on = points.percent[shape.first_on]
    try:
        knots_p, knots_w = table_from_blocks([points.percent[i] for i in kept], [points.watts[i] for i in kept],
                                             min_on, points.percent[-1])
    except ValueError:
        raise CalibrationError(f"{points.source}: the readings do not increase with the percent "
                               f"(a flat sweep: was the thermostat cutting?)") from None
    return PowerCurve(method="robust", max_power_w=knots_w[-1], min_on_percent=min_on,
                      outliers=shape.outliers, knots_percent=tuple(knots_p), knots_w=tuple(knots_w),
                      misfires=shape.misfires, warnings=_top_left_out_warning(points, shape, knots_w[-1]))


def _top_left_out_warning(points: PlainPoints, shape: SweepShape, max_power_w: float) -> tuple[str, ...]:
    """The top reading left out as a glitch, said: it sets the load's max, which the daemon believes."""
    top = len(points) - 1
    if top not in shape.outliers:
        return ()
    read_w = points.watts[top]
    if read_w < max_power_w:  # (under the level below it: the first step of a sweep from 100 %, the thermostat open)
        return (f"{points.source}: {points.percent[top]:g} % read {read_w:.0f} W, far below where the readings below "
                f"lead: left out as a glitch (the thermostat open at the sweep's first step?), so the max is "
                f"{max_power_w:.0f} W; if the load really draws only that at its top, sweep again to confirm it",)
    return (f"{points.source}: {points.percent[top]:g} % read {read_w:.0f} W, far above where the readings "
            f"below lead: left out as a glitch, so the max is {max_power_w:.0f} W; if the load really draws that at "
            f"its top, sweep again to confirm it",)
