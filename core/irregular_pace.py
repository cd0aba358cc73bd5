"""A meter that reads at an irregular pace: every few seconds at times, then silent for longer than meter_timeout, and
again. A Tasmota energy meter with PowerDelta set reads so: a reading at each change of power over the delta, else one
every TelePeriod (300 s by default). Its pace, the median of its last gaps (MeterState.pace_s), is that of its bursts
(or, under the closed loop, flips between its bursts' and its gaps': IrregularPaceWatch.reading), so the advice on a
meter read more than half meter_timeout apart (MeterIntake._judge_pace) never came; and each gap,
whenever the power was steady, suspended the regulation (every load not forced to 0 W, a WARNING) until its next
reading (an INFO line): 108 times in six hours of gaps of 1 to 5 minutes, the loads off most of the time. A quiet meter
of this kind is not taken for a steady one: it cannot be told from a dead one before its TelePeriod (up to an hour),
and a decision needs a new reading of each meter. What it does, and how to make it read at a steady pace, is said once
a run (MeterIntake)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from core.meters import PACE_MIN_GAPS, MeterState

IRREGULAR_GAPS = 3  # this many gaps over meter_timeout, each ended by a reading...
# ...within this long (a TelePeriod up to 40 min gives them; a PZEM that loses a few readings now and then does not),
# the meter's pace (its bursts') at most half of meter_timeout, make a meter that reads at an irregular pace. (A meter
# whose pace is over half of it is told of by the pace's own advice; one whose gaps never showed a pace of their own, a
# silence among its last ones at each reading, at its third such gap however far apart: IrregularPaceWatch.reading.)
IRREGULAR_WINDOW_S = 7200.0


@dataclass(frozen=True, slots=True)
class IrregularPace:
    """What a meter read at an irregular pace showed: its pace, and its last gaps over meter_timeout."""

    pace_s: float
    gaps: int
    shortest_gap_s: float
    longest_gap_s: float
    over_s: float  # since the first of these gaps began


class IrregularPaceWatch:
    """The meters' gaps over meter_timeout; `reading` says, once a run a meter, when they make an irregular pace."""

    def __init__(self, meter_timeout_s: float) -> None:
        self._timeout_s = meter_timeout_s
        self._long_gaps: dict[str, deque[tuple[float, float]]] = {}  # each meter's: (ended at, seconds), oldest first
        self._told: set[str] = set()

    def reading(self, meter: MeterState, gap_s: float, now: float, unpaced: bool = False) -> IrregularPace | None:
        """`meter` took a good reading at `now`, `gap_s` after the one before: its irregular pace, the first time its
        gaps show one, else None. Called for a gap of meter_timeout or more only (MeterIntake.take tests it: a
        reading at the meter's pace, the usual case, costs no call). `unpaced`: its gaps have shown bursts and
        silences at each of its readings since it has a pace (bursts_between_gaps), never a pace of their own: its
        long gaps count however far apart."""
        if meter.name in self._told:
            return None
        gaps = self._long_gaps.setdefault(meter.name, deque())
        gaps.append((now, gap_s))
        if unpaced:
            # A Tasmota at TelePeriod 3600 (its most) in a steady house: a few readings at each change of power, then
            # silent for an hour, never three silences within the window. Its pace never judged either (each of its
            # last gaps had a silence among them: MeterIntake._judge_pace), nothing was said of it ever but "silent" at
            # each cut. The window tells a PZEM that loses its readings now and then from such a meter; a PZEM's gaps
            # show a pace of their own (no gap under half their median), and its pace is judged at its fourth reading.
            while gaps and (len(gaps) > IRREGULAR_GAPS or now < gaps[0][0]):  # (and a clock stepped back)
                gaps.popleft()
        else:
            while gaps and not 0 <= now - gaps[0][0] < IRREGULAR_WINDOW_S:  # (a clock stepped back forgets them too)
                gaps.popleft()
        # Its bursts' pace: the shortest of its last gaps, not their median. Under the closed loop a gap's cut ends it
        # (the loads' watts off are a change the meter reads within a second), the loads back on are read a second
        # later, and the meter is quiet again: gaps of 11 s and 1 s in turn, whose median was 11 s at each long gap,
        # and the pattern, 300 cuts an hour, was never said. (A meter read steadily more than half meter_timeout apart
        # has no short gap: its pace's own advice tells it.)
        recent_s = meter.gaps_s
        pace_s = min(recent_s) if len(recent_s) >= PACE_MIN_GAPS else None
        if len(gaps) < IRREGULAR_GAPS or pace_s is None or 2.0 * pace_s > self._timeout_s:
            return None
        self._told.add(meter.name)
        del self._long_gaps[meter.name]
        seconds = [s for _, s in gaps]
        first_at, first_s = gaps[0]
        return IrregularPace(pace_s, len(seconds), min(seconds), max(seconds), now - (first_at - first_s))


def bursts_between_gaps(gaps_s: list[float], pace_s: float, timeout_s: float) -> bool:
    """Whether a meter's last gaps (`gaps_s`, their median `pace_s`) are bursts and silences rather than a pace: the
    shortest at most half the median and half of meter_timeout (`timeout_s`), the pace IrregularPaceWatch would take
    for its bursts', and the longest a silence (meter_timeout or more). A steady meter's jitter (5.2 s and 4.9 s) or
    a lost reading (a gap twice the pace) is not; nor are readings 1 s and 8 s apart in turn under a 10 s
    meter_timeout (no gap a silence: its pace is advised on, a reading lost is one)."""
    shortest_s = min(gaps_s)
    return 2.0 * shortest_s <= pace_s and 2.0 * shortest_s <= timeout_s and max(gaps_s) >= timeout_s
