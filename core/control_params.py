"""The closed loop's knobs (the `[evaluate]` section), shared by its parts: the loop (core/controller.py), its
relays (core/relay_switching.py), its continuous loads (core/continuous_share.py), the import guard and the
production trend."""

from __future__ import annotations

from dataclasses import dataclass

# Two decisions further apart than this (a silence, a restart) say nothing about a trend of production,
# and an import seen at both is not counted over the whole gap.
MAX_GAP_S = 10.0
# ...nor further apart than this many paces of the slower meter, when that is longer: a reading lost (two paces), and
# room for the readings' jitter (a quarter of a pace either way at most, as MeterState.jitter_s counts it).
LOST_READING_PACES = 2.5


@dataclass(frozen=True, slots=True)
class ControlParams:
    """The loop's knobs (the `[evaluate]` section)."""

    setpoint_w: float  # export kept flowing to the grid (the seed's `margin`)
    gain: float  # share of the error corrected per decision: 1 is dead-beat, less is gentler on noise
    import_guard_w: float  # import above this sheds a relay whatever its dwell, once the energy imported
    import_guard_s: float  # reaches import_guard_w x import_guard_s
    anticipate: float = 1.0  # share of the last production fall taken again ahead (0: off)
    anticipate_rise: float = 0.0  # share of a rise of production seen twice in a row taken again ahead (0: off)
    dither_import_w: float = 5.0  # the most a whole percent over the surplus may import (the sigma-delta's upper one)
    # Production rising faster than this (W/s, smoothed: production_trend.RISE_SMOOTHING) is the sun coming back
    # after a cloud: a relay waits while a relay before it, free to come on, is one the rise would soon cover
    # (relay_switching); 0: off.
    rising_rate_w_s: float = 5.0
    # Two decisions further apart than this are a silence or a restart (max_gap_for(period, pace)): production's trend
    # starts again, and an import seen at both counts for this long at most.
    max_gap_s: float = MAX_GAP_S


def max_gap_for(period_s: float, meter_pace_s: float | None = None) -> float:
    """The longest time between two decisions in a row, for a `period` (the least time between them) and the meters'
    pace (the slower meter's, when known: a decision waits for a reading of each): MAX_GAP_S, or when longer twice the
    period (a decision held a period) or LOST_READING_PACES of the pace (a reading lost, a little late). At a period of
    11 s, every decision was taken for one after a silence: the trend of production was never followed, and the
    import guard counted 10 s of each 12 s of import; so it was with meters read every 12 s (a Tasmota's TelePeriod)
    at a period of 1 s. And at twice the pace, a reading lost from meters every 5 s (10 s and a few milliseconds
    between two decisions) or every 10 s started the trend again. Meters every 4 s or faster keep MAX_GAP_S."""
    # (the largest by comparisons, in max()'s order: its call parses its keywords on Python 3.11, every decision)
    gap_s = MAX_GAP_S
    for longer_s in (2.0 * period_s, LOST_READING_PACES * (meter_pace_s or 0.0)):
        if longer_s > gap_s:
            gap_s = longer_s
    return gap_s
