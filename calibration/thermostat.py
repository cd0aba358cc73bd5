"""How a thermostat cut shows in a sweep: the load reads its off level where it should draw a lot.

A water heater's thermostat opens when the tank is hot; the meter then reads its idle level (~1 W on
the real sweeps) whatever the percent. Measured on, such points describe a load that does not exist,
so the sweep stops on them and the fit refuses a sweep that holds them at the top.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from calibration.monotone import SweepShape, analyse_sweep

__all__ = ["MIN_HIGHEST_W", "OFF_LEVEL_W", "fit_cut_reason", "step_cut_reason", "sweep_cut_reason"]

OFF_LEVEL_W = 5.0  # a step averaging this or less reads "off" (the PZEM reads ~1 W with the load off)
OFF_ZONE_PERCENT = 5.0  # at or below this, "off" is the load's normal response (misfire zone, 0 %)
DROP_FROM_SHARE = 0.10  # a step right after one that drew >= 10 % of the highest: not the S-curve's tail
FIRST_STEP_MIN_PERCENT = 50.0  # a first step at or above this reading "off": the load is not heating at all
# A load whose highest reading is below this is no load to divert a surplus to (the daemon's default min_power is
# 150 W), and the fit's thresholds are watts (0.5 W above the off level conducts): a meter, or a file, in kW.
MIN_HIGHEST_W = 20.0
TOP_FROM_PERCENT = 95.0  # the fit's check: the points from here to 100 % ...
TOP_MIN_SHARE = 0.5  # ... must read at least half the sweep's highest reading
# ...and a sweep whose readings up to this percent are at half its highest or more (their median) is a file upside
# down, not a cut: a cut below ~19 % leaves the misfire zone's 60-91 W at 1-2.5 % the highest reading, at the off level
# around it
REVERSED_AT_PERCENT = 10.0
MID_CUT_STEPS = 2  # the fit's check: this many steps in a row at the off level below one that drew a lot


def _pct(percent: float) -> str:
    return f"{percent:g}"


def sweep_cut_reason(percent: float, watts: float, previous: tuple[float, float] | None,
                     highest_w: float) -> str | None:
    """Why the step just measured (`percent`, mean `watts`) looks like a thermostat cut, or None.

    `previous` is the step measured just before (percent, watts), None at the first step of a sweep;
    `highest_w` the highest step so far. On the real S-curves two neighbouring steps never go from
    10 % of the max to the off level, so such a drop is the load switching off, not its response.
    """
    if previous is None:
        return _first_step_reason(percent, watts)
    if watts > OFF_LEVEL_W or percent <= OFF_ZONE_PERCENT:
        return None
    previous_percent, previous_w = previous
    if previous_w < DROP_FROM_SHARE * highest_w:
        return None
    return (f"the readings fell from {previous_w:.0f} W at {_pct(previous_percent)} % to {watts:.1f} W at "
            f"{_pct(percent)} %: the load's thermostat has probably cut it (a hot tank); the step is not kept")


def step_cut_reason(percent: float, readings: Sequence[float], highest_w: float,
                    previous_w: float | None = None) -> str | None:
    """Why the readings of the step just measured (at `percent`, in the order they came) look cut by the thermostat
    during the step, or None: they end at the off level after drawing (the median of those over it up to the last
    one) DROP_FROM_SHARE or more of the highest so far (the earlier steps' `highest_w`, or this step's own), right
    after a step (`previous_w`, None at the first) that drew that much too. Averaged, such a step is neither the load
    on nor off (1484 W at 87 % for 2230 W), and it passed the step-to-step check: the sweep stopped at the next step,
    with the mixed one kept, and a resume carried it into the CSV. (A thermostat stays open for minutes: off readings
    that do not last to the step's end are a meter's dropout, not a cut. A step at the curve's foot, after one of a
    few watts, is no cut: one glitch reading there, 900 W among readings of 3 W, stopped the sweep.)"""
    if percent <= OFF_ZONE_PERCENT:
        return None  # (the S-curve's tail: the triac misfires there)
    if previous_w is None and percent < FIRST_STEP_MIN_PERCENT:
        return None  # (a part-curve's first step at the foot, `--start 6`: nothing says what it should draw)
    if previous_w is not None and previous_w < DROP_FROM_SHARE * highest_w:
        return None  # (the foot of the curve: the step-to-step check's, on the step's median)
    last_on = max((i for i, w in enumerate(readings) if w > OFF_LEVEL_W), default=None)
    if last_on is None or last_on == len(readings) - 1:
        return None  # (all off: the step-to-step check's; or on at its end)
    drew = statistics.median([w for w in readings[: last_on + 1] if w > OFF_LEVEL_W])
    if drew < DROP_FROM_SHARE * max(highest_w, drew):
        return None
    return (f"the readings fell from {drew:.0f} W to {readings[-1]:.1f} W during the step at {_pct(percent)} %: the "
            f"load's thermostat has probably cut it (a hot tank); the step is not kept")


def _first_step_reason(percent: float, watts: float) -> str | None:
    """Why the first step of a sweep (at `percent`, high on the S-curve) reads too little for a load behind a
    variator, or None: the load is off, or its meter reports kilowatts (2.3 for 2300 W), which no reading tells
    apart; the sweep and the daemon read watts."""
    if percent < FIRST_STEP_MIN_PERCENT or watts >= MIN_HIGHEST_W:
        return None
    kilowatts = (f"does its meter report kilowatts ({watts:.3g} for {1000.0 * watts:.0f} W)? The sweep, as the "
                 f"daemon, reads watts: set the meter (or json_read_power) to watts")
    if watts > OFF_LEVEL_W:
        return (f"the load draws {watts:.1f} W at {_pct(percent)} %, too little for a load behind a variator: "
                f"{kilowatts}")
    return (f"the load draws {watts:.1f} W at {_pct(percent)} %: its thermostat is open (a hot tank) or it is "
            f"switched off, then sweep when it heats; else {kilowatts}")


def fit_cut_reason(percent: Sequence[float], watts: Sequence[float], shape: SweepShape | None = None) -> str | None:
    """Why a sweep (sorted by percent) looks cut by its thermostat, in the middle or at the top, or None.
    `shape`: the sweep's analyse_sweep, when the caller has it already.

    The median of the points at or above TOP_FROM_PERCENT must reach TOP_MIN_SHARE of the highest
    reading that is not one of the fit's outliers: a heater draws the most at full power, so a top far
    below the maximum means the load was off there (the isotonic fit would otherwise pool those points into
    a much smaller load). In the middle, see _middle_cut_reason.
    """
    percent, watts = [float(p) for p in percent], [float(w) for w in watts]  # (no numpy: the daemon runs this)
    shape = analyse_sweep(watts, percent) if shape is None else shape
    at_highest = _highest_index(watts, shape)
    highest = float(watts[at_highest])
    middle = _middle_cut_reason(percent, watts, shape, highest)
    if middle is not None:
        return middle
    top = [w for p, w in zip(percent, watts, strict=True) if p >= TOP_FROM_PERCENT]
    if not top:
        return None  # too short at the top: the coverage check names that
    top_w = float(statistics.median(top))
    if top_w >= TOP_MIN_SHARE * highest:
        return None
    at = float(percent[at_highest])
    if at <= REVERSED_AT_PERCENT and statistics.median(
            [w for p, w in zip(percent, watts, strict=True) if p <= REVERSED_AT_PERCENT]) >= TOP_MIN_SHARE * highest:
        # (the highest at the bottom: no thermostat cuts a sweep so; "probably cut" sent the owner to heat the tank)
        return (f"the readings fall as the percent rises (the highest, {highest:.0f} W, at {_pct(at)} %, the readings "
                f"at {_pct(TOP_FROM_PERCENT)}..100 % {top_w:.0f} W), where a heater behind a variator draws the most "
                f"at 100 %: are the percents reversed (100 - percent), or the columns of another file?")
    return (f"the readings at {_pct(TOP_FROM_PERCENT)}..100 % (median {top_w:.0f} W) are below half the sweep's "
            f"highest ({highest:.0f} W at {_pct(at)} %): the load's thermostat probably cut it during the sweep "
            f"(a hot tank); sweep again while it heats")


def _highest_index(watts: list[float], shape: SweepShape) -> int:
    """Where the sweep's highest reading is, leaving out the fit's outliers: one glitched step (a PZEM reading
    of 5 kW at 37 % of a 2.3 kW heater) is rejected by the fit, and must not make the readings at full power
    look like a thermostat cut."""
    outliers = set(shape.outliers)
    return max((i for i in range(len(watts)) if i not in outliers), key=lambda i: watts[i])  # (the first on a tie)


def _middle_cut_reason(percent: list[float], watts: list[float], shape: SweepShape, highest: float) -> str | None:
    """A thermostat that cut and closed again while another tool swept (the fit pooled 40..60 % at 1 W into
    a curve 19 % off): MID_CUT_STEPS or more steps in a row at the off level above the load's first stable
    conduction, between the nearest steps above and below them that are not the fit's outliers, each of
    which drew DROP_FROM_SHARE of the highest or more. The S-curve's own tail reads off below its first
    conduction; a lone spike in it is an outlier; one step alone at the off level is left to the outliers.
    `highest`: the sweep's highest reading that is not an outlier."""
    outliers = set(shape.outliers)
    off = [w <= OFF_LEVEL_W and p > OFF_ZONE_PERCENT for p, w in zip(percent, watts, strict=True)]
    end = len(watts)
    while end > shape.first_on:
        end -= 1
        if not off[end]:
            continue
        start = end
        while start > shape.first_on and off[start - 1]:
            start -= 1
        above = next((i for i in range(end + 1, len(watts)) if i not in outliers), None)
        below = next((i for i in range(start - 1, shape.first_on - 1, -1) if i not in outliers), None)
        if (end - start + 1 >= MID_CUT_STEPS and above is not None and below is not None
                and min(watts[above], watts[below]) >= DROP_FROM_SHARE * highest):
            return (f"the readings at {_pct(float(percent[start]))}..{_pct(float(percent[end]))} % are at the off "
                    f"level ({max(watts[start:end + 1]):.1f} W at most), between {watts[below]:.0f} W at "
                    f"{_pct(float(percent[below]))} % and {watts[above]:.0f} W at {_pct(float(percent[above]))} %: "
                    f"the load's thermostat probably cut it during the sweep (a hot tank); sweep again while it "
                    f"heats")
        end = start
    return None
