"""Monotone building blocks: isotonic regression (pool-adjacent-violators, mean or median) and the
robust detection of a sweep's misfire zone and outliers. Plain Python floats, no numpy: the daemon fits its
variator's curve with them (numpy is 15 MB of its memory); a few hundred points take a millisecond."""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["OUTLIER_MIN_W_SHARE", "Blocks", "SweepShape", "analyse_sweep", "isotonic_blocks", "isotonic_median"]

OFF_TOLERANCE_W = 0.5  # above the meter's reading with the load off by more than this: the load conducts
OUTLIER_SHARE = 0.03  # never reject more than this share of a sweep's points (one at least: a sweep by 5 %)
OUTLIER_MIN_W_SHARE = 0.02  # a residual under 2 % of the max watts is never an outlier
OUTLIER_MAD_FACTOR = 6.0  # ... nor one under 6 robust standard deviations of the residuals
# A top reading up to this share above the level below it, per percent of the sweep's last step, is a real last rise,
# never an outlier: on a sweep by 5 %, 10 % (a variator whose firmware goes fully on at 100 %: an S-curve at 93 % of
# full power by 95 % reads 2138 W there and 2300 W at 100 %; the mains rising between the last two readings, 1 % of
# voltage is 2 % of power). A glitch is far above (the 4000 W reading of a 2.3 kW heater: +74 %); on a sweep by
# 0.5 %, 1 %: a jump of 7 % in the last half percent is one too.
TOP_RISE_KEPT_SHARE_PER_PERCENT = 0.02
MISFIRE_MIN_W_SHARE = 0.01  # a misfire draws at least 1 % of max more than the monotone reference
MISFIRE_REF_W_SHARE = 0.01  # ... where the monotone reference says the load is (nearly) off


@dataclass(frozen=True, slots=True)
class Blocks:
    """The result of a mean isotonic regression: one entry per pooled block, values strictly increasing."""

    start: tuple[int, ...]  # index of each block's first point
    stop: tuple[int, ...]  # index one past each block's last point
    value: tuple[float, ...]  # the block's mean (the fitted value of every point in it)

    def fitted(self) -> list[float]:
        """The fitted value of every point, in point order."""
        return [v for v, a, b in zip(self.value, self.start, self.stop, strict=True) for _ in range(b - a)]


def isotonic_blocks(values: Sequence[float]) -> Blocks:
    """Least-squares non-decreasing fit of `values` (equal weights) by pool-adjacent-violators.

    Equal neighbouring blocks are pooled too, so the block values are strictly increasing: the
    curve built on them can be inverted exactly.
    """
    # One pass with a stack of (sum, count) blocks: O(n). Vectorising PAVA buys nothing at ~200 points.
    sums: list[float] = []
    counts: list[int] = []
    for v in map(float, values):
        s, c = v, 1
        while sums and sums[-1] * c >= s * counts[-1]:  # previous mean >= this mean (no division)
            s += sums.pop()
            c += counts.pop()
        sums.append(s)
        counts.append(c)
    stop = list(itertools.accumulate(counts))
    return Blocks(start=tuple(b - c for b, c in zip(stop, counts, strict=True)), stop=tuple(stop),
                  value=tuple(s / c for s, c in zip(sums, counts, strict=True)))


def isotonic_median(values: Sequence[float]) -> list[float]:
    """A least-absolute-deviations non-decreasing fit (PAVA with block medians): an outlier pulls it little."""
    blocks: list[list[float]] = []
    medians: list[float] = []
    for v in map(float, values):
        block = [v]
        med = v
        while medians and medians[-1] > med:
            block = blocks.pop() + block
            medians.pop()
            med = statistics.median(block)
        blocks.append(block)
        medians.append(med)
    return [m for b, m in zip(blocks, medians, strict=True) for _ in b]


@dataclass(frozen=True, slots=True)
class SweepShape:
    """What the robust analysis found in a sweep (points sorted by percent)."""

    off_w: float  # the meter's reading with the load off (the sweep's lowest reading)
    misfires: tuple[int, ...]  # indices of the misfire points at the bottom
    first_on: int  # index of the first stable conduction point
    outliers: tuple[int, ...]  # indices rejected as outliers (all >= first_on)


def _misfire_candidates(watts: list[float], reference: list[float], off_w: float, max_w: float) -> list[bool]:
    """Of each point: whether it is well above a monotone reference that says the load is (nearly) off there."""
    return [w - ref > MISFIRE_MIN_W_SHARE * max_w and ref <= off_w + MISFIRE_REF_W_SHARE * max_w
            for w, ref in zip(watts, reference, strict=True)]


def _top_residual(top_w: float, below: list[float], step_percent: float) -> float:
    """How far a reading above every other point stands from where those points lead (`below`: their non-decreasing
    reference, in order; `step_percent`: how many percent above the highest of them it was read).

    A non-decreasing reference ends on the top point whatever it reads (the highest can always be a block of its own),
    so a glitch at 100 % was never an outlier and became the load's max (4000 W for a 2.3 kW heater): the top point is
    measured against the points below it. Under their level, by how much it falls short; over it, by how much it rises
    past twice their last step (a coarse sweep's last step is a real rise: 39 W on ECS-03 by 10 %, 200 W by 10 % on a
    variator that linearises its response; a triac's flattens toward 100 %, and twice leaves room for the meter's
    noise and a sweep's uneven steps).
    """
    level = below[-1]
    if top_w < level:
        return top_w - level
    if top_w <= level * (1.0 + TOP_RISE_KEPT_SHARE_PER_PERCENT * step_percent):
        return 0.0  # (a real last rise)
    lead = level + (2.0 * max(0.0, level - below[-2]) if len(below) > 1 else 0.0)
    return max(0.0, top_w - lead)


def _residuals(watts: list[float], top_step_percent: float) -> list[float]:
    """Each point's distance from a median isotonic reference of all the points (the top one: `_top_residual`)."""
    residual = [w - ref for w, ref in zip(watts, isotonic_median(watts), strict=True)]
    if len(watts) > 2:
        residual[-1] = _top_residual(watts[-1], isotonic_median(watts[:-1]), top_step_percent)
    return residual


def _residual_from(i: int, watts: list[float], percent: list[float], kept: list[int], kept_ref: list[float]) -> float:
    """Point i's distance from the reference `kept_ref` of the `kept` points (indices in order, i not among them):
    interpolated at its percent between its kept neighbours; above them all, as a top point; below them all, only by
    how far it reads over the first of them (a curve rises from its first conduction)."""
    above = bisect.bisect_left(kept, i)
    if above == len(kept):
        return _top_residual(watts[i], kept_ref, percent[i] - percent[kept[-1]])
    if above == 0:
        return max(0.0, watts[i] - kept_ref[0])
    lo, hi = kept[above - 1], kept[above]
    span = percent[hi] - percent[lo]
    share = (percent[i] - percent[lo]) / span if span > 0 else 0.5  # (read points: percents strictly increasing)
    return watts[i] - (kept_ref[above - 1] + share * (kept_ref[above] - kept_ref[above - 1]))


def _outliers(watts: list[float], percent: list[float], limit: int, max_w: float) -> tuple[int, ...]:
    """Indices (into `watts`) of at most `limit` points far from a median isotonic reference."""
    if limit <= 0:
        return ()
    residual = _residuals(watts, percent[-1] - percent[-2] if len(percent) > 1 else 0.0)
    middle = statistics.median(residual)
    mad = statistics.median([abs(r - middle) for r in residual])
    threshold = max(OUTLIER_MAD_FACTOR * 1.4826 * mad, OUTLIER_MIN_W_SHARE * max_w)
    suspects = [i for i, r in enumerate(residual) if abs(r) > threshold]
    kept = [i for i in range(len(watts)) if abs(residual[i]) <= threshold]
    if suspects and len(kept) > 1:
        # A suspect's residual is shared with its neighbours by the reference it pulls: a glitch at 95 % of a sweep by
        # 5 % pools with the 100 % reading (the top point then reads under the glitch's level), and a 0 W dropout at
        # 25 % with the 20 % one. Worst first, the good point could go and the glitch stay (4000 W as the load's max,
        # a sweep by 5 % having one point to reject). So each suspect is measured again against the points no suspect
        # pulls: a glitch stands as far out as before, the neighbour it pulled falls back in line.
        kept_ref = isotonic_median([watts[i] for i in kept])
        for i in suspects:
            residual[i] = _residual_from(i, watts, percent, kept, kept_ref)
    candidates = [i for i in suspects if abs(residual[i]) > threshold]
    worst_first = sorted(candidates, key=lambda i: -abs(residual[i]))  # (stable: the lower index first on a tie)
    return tuple(sorted(worst_first[:limit]))


def analyse_sweep(watts: Sequence[float], percent: Sequence[float]) -> SweepShape:
    """Find the off level, the misfire zone at the bottom, the first stable conduction point, the outliers.

    `watts` is sorted by percent. The off level is the bottom of a median (least absolute deviations)
    monotone fit, so neither a misfire nor a dropout reading 0 W moves it. The first stable conduction
    point is the first point that, with the next one, reads more than OFF_TOLERANCE_W above the off
    level without being a misfire candidate; the misfires are the candidates below it, and everything
    below it counts as off. Candidates above it are left to the outlier test. `percent`: the points' percents,
    whose last step says how far the top reading may rise as a real rise.
    """
    watts = [float(w) for w in watts]
    reference = isotonic_median(watts)
    off_w = reference[0]
    max_w = reference[-1]
    candidate = _misfire_candidates(watts, reference, off_w, max_w)
    conducting = [w > off_w + OFF_TOLERANCE_W and not c for w, c in zip(watts, candidate, strict=True)]
    first_on = next((i for i in range(len(watts) - 1) if conducting[i] and conducting[i + 1]), None)
    if first_on is None:
        return SweepShape(off_w, (), len(watts), ())  # never conducts: the caller refuses such a sweep
    misfires = tuple(i for i in range(first_on) if candidate[i])
    # (one at least: 3 % of a sweep by 5 %, 21 points, is none, and a glitch at 100 % became the load's max)
    limit = max(1, int(OUTLIER_SHARE * len(watts)))
    on_percent = [float(p) for p in percent[first_on:]]  # (two points at least: a stable conduction point)
    outliers = tuple(first_on + i for i in _outliers(watts[first_on:], on_percent, limit, max_w))
    return SweepShape(off_w, misfires, first_on, outliers)
