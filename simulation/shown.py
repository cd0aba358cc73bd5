"""How much of a command the next house reading showed, read from a recorded day: whether the house meter shows a
command as soon as `[evaluate] settle` takes it to.

A decision moves the loads' believed watts; the next decision's house reading, which the closed loop takes as
showing that move, should differ from this decision's by about as much (the house's own load moving meanwhile
aside). A meter that shows a command later hands the loop a reading without it: half a second late in the replay
doubled or tripled the caused import, a second late made the loop hunt (docs/control.md, "A meter that shows a
command late"). The median over a day's larger moves sees past the house's own steps.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from core.decisions import DecisionRecord

__all__ = ["MOVE_W", "Shown", "shown_at_next_reading"]

MOVE_W = 300.0  # only moves of the loads' believed watts this large or larger: the house's noise is a few watts
MIN_MOVES = 20  # fewer such moves in a day say nothing
LATE_SHARE = 0.8  # a median share under this: the house meter shows a command later than `settle` takes it to


@dataclass(frozen=True, slots=True)
class Shown:
    """The median share of the loads' larger moves that the next house reading showed, over `moves` of them."""

    share: float
    moves: int

    def text(self) -> str:
        """One line for the day's report; with advice when the meter shows the commands late."""
        line = (f"commands shown at the next house reading: {self.share * 100:.0f} % (the median of {self.moves} "
                f"moves of the loads of {MOVE_W:.0f} W or more)")
        if self.share < LATE_SHARE:
            line += (": the house meter shows a command later than [evaluate] settle takes it to; raise settle "
                     "(1.5 with meters at 2 s: docs/control.md, a meter that shows a command late)")
        return line


def shown_at_next_reading(records: Sequence[DecisionRecord], max_gap_s: float) -> Shown | None:
    """The share of each larger move of the loads' believed watts that the next decision's house reading showed, as a
    median; None when the day has fewer than MIN_MOVES such moves (decisions `max_gap_s` or more apart are no pair)."""
    shares: list[float] = []
    before_w: float | None = None
    for decided, after in zip(records, records[1:], strict=False):
        loads_w = sum(decided.believed_w)
        moved_w = None if before_w is None else loads_w - before_w
        before_w = loads_w
        if moved_w is None or abs(moved_w) < MOVE_W or not 0 < after.time_s - decided.time_s < max_gap_s:
            continue
        shares.append((after.consumption_w - decided.consumption_w) / moved_w)
    if len(shares) < MIN_MOVES:
        return None
    return Shown(statistics.median(shares), len(shares))
