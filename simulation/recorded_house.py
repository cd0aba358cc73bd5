"""The house's own load of a recorded day (the consumption less what the loads drew), and what it says when it is
under 0 W at many decisions: a consumption meter that does not see the loads PySEB drives."""

from __future__ import annotations

from collections.abc import Sequence

from recording.format import RecordedDay

# A few decisions under 0 W are any day's (a load's draw seen a reading late, a thermostat's cut over two readings:
# 61 of 43199 on the shipped day recorded); a meter that does not see the loads puts most of the sunny ones there.
UNSEEN_SHARE = 0.1


def own_load_w(day: RecordedDay) -> list[float]:
    """The house's own load at each decision: the consumption less what the loads drew in its reading (`drew_w`: the
    belief the decision before left them at, as a reading measured it); after a gap (the daemon stopped, the meters
    silent: every load commanded to 0 W) the consumption alone."""
    own: list[float] = []
    before_s: float | None = None
    for record in day.records:
        gap = before_s is not None and record.time_s - before_s > day.max_gap_s
        own.append(record.consumption_w - (0.0 if gap else sum(record.drew_w)))
        before_s = record.time_s
    return own


def below_zero_note(name: str, own_w: Sequence[float], held_at_zero: bool) -> str | None:
    """A note when the house's own load is under 0 W at more than UNSEEN_SHARE of the decisions, else None."""
    under = [watts for watts in own_w if watts < 0]
    if not own_w or len(under) <= UNSEEN_SHARE * len(own_w):
        return None
    held = ", taken as 0 W" if held_at_zero else ""
    return (f"{name}: the consumption less what the loads drew is under 0 W at {len(under)} of {len(own_w)} "
            f"decisions (down to {min(under):.0f} W){held}: does the consumption meter see the loads? It must "
            "measure the whole house, the loads PySEB drives included (or the loads draw far less than believed)")
