"""Whether the two meters' topics are swapped: the loads' commands showing on the production meter, not the house's.

The house meter sees the diverted loads: a step of their commands shows in its next reading. With [mqtt] topic_cons
and topic_prod swapped (the PV inverter's meter read as the house's), the step shows on the "production" reading
instead, and the closed loop turns into a positive feedback: a load switched on raises what PySEB takes for production,
the export it sees grows, and it switches on more, up to every load's max, importing it all (a house drawing 3 kW
under 2.5 kW of sun had the heater at 2.3 kW within three readings, the log saying only that the tank "may be full").
No config check can see it: the topics are plausible either way. This watch says it (WARNING, with what to
change), and the regulator then suspends the regulation until a restart (core/stale_guard.StaleGuard.latch): every
unforced load at 0 W, the status saying why.

A step counts when the loads' believed watts moved by STEP_W or more between two readings (what the second reading
must show), the house reading moved by less than FOLLOW_SHARE of it and the production reading the same way by about as
much (SHOWN_FROM to SHOWN_TO times it). STEPS such steps in a row, none of the steps between them shown by the house
or by neither, make a swap. A tank full with the sun ramping as the loop steps could match a step or two; a row of
them, up and down, each of the loop's moves matched by the sun, is not what a sky does (the loop saturates a heater
that does not follow within a few readings, and stops stepping).
"""

from __future__ import annotations

import logging

STEP_W = 300.0  # a step: the loads' believed watts moving this much between two readings (the meters' noise is less)
FOLLOW_SHARE = 0.25  # the house reading moving less than this share of a step did not show it
# The production reading moving the step's way by this share of it to this many times it showed it: a heater may draw
# half or twice what its curve says (another heater's curve, the one PySEB ships), and so move the meter that sees it.
SHOWN_FROM, SHOWN_TO = 0.5, 2.0
STEPS = 3  # this many steps in a row shown by the production meter, not the house's: the topics are swapped
MAX_GAP_S = 30.0  # two readings further apart than this are no step's before and after (the regulation suspended)
WARN_AGAIN_S = 3600.0  # said again at most this often while it goes on
# Why the regulation is suspended, as the status's stale reason says it
SWAPPED_REASON = ("the meters' topics look swapped ([mqtt] topic_cons and topic_prod): regulation suspended until "
                  "PySEB is restarted")

log = logging.getLogger(__name__)


class SwapWatch:
    """The loads' steps against the two meters' readings, decision after decision: it says a swap, the regulator
    suspends the regulation for it."""

    def __init__(self, house_topic: str, production_topic: str) -> None:
        self._house_topic = house_topic
        self._production_topic = production_topic
        self._last: tuple[float, float, float, float] | None = None  # (at, loads_w, consumption_w, production_w)
        self._shown: list[tuple[float, float]] = []  # the row's steps shown by production: (step_w, production move_w)
        self._warned_at: float | None = None

    def after_decision(self, loads_w: float, consumption_w: float, production_w: float, now: float) -> bool:
        """A decision at `now` on these readings, `loads_w` the loads' believed watts when they were taken (the last
        decision's commands, which the house reading shows). True when it warns."""
        last, self._last = self._last, (now, loads_w, consumption_w, production_w)
        if last is None or not 0.0 <= now - last[0] <= MAX_GAP_S:
            return False
        step_w = loads_w - last[1]
        if abs(step_w) < STEP_W:
            return False
        house_move_w, production_move_w = consumption_w - last[2], production_w - last[3]
        if abs(house_move_w) < FOLLOW_SHARE * abs(step_w) and \
                SHOWN_FROM <= production_move_w / step_w <= SHOWN_TO:
            self._shown.append((step_w, production_move_w))
        else:
            self._shown.clear()  # (shown by the house, or by neither: no row)
            return False
        if len(self._shown) < STEPS:
            return False
        shown, self._shown = self._shown, []
        if self._warned_at is not None and 0.0 <= now - self._warned_at < WARN_AGAIN_S:
            return False
        self._warned_at = now
        steps = ", ".join(f"{step:+.0f} W ({move:+.0f} W)" for step, move in shown)
        log.warning("the loads' commands show on the production meter's readings (%s), not on the house meter's (%s): "
                    "%d steps in a row of the loads' watts, %s, each moved the production reading about as much (in "
                    "brackets) and the house reading by less than a quarter of it. [mqtt] topic_cons and topic_prod "
                    "look swapped: topic_cons is the meter on the house's main line, which sees the loads; topic_prod "
                    "the one on the PV inverter's output. Swapped, each load switched on looks like more export, and "
                    "PySEB switches on more, importing it all: every unforced load to 0 W and the regulation "
                    "suspended until PySEB is restarted; swap the two topics in the config and restart",
                    self._production_topic, self._house_topic, len(shown), steps)
        return True
