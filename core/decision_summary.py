"""The one-line summary of a closed-loop decision (the status's `last_decision`), kept as its figures and written
out only when read.

A decision comes with every house reading (every 2 s), while its summary is read by the status, at most every
status_interval or at news: formatting it at every decision (three numbers through float formatting) was 1.5 us
of each, 1.5 % of a replay's time, for a text nearly always replaced unread.
"""

from __future__ import annotations

from collections.abc import Sequence

from values.shown import signed_whole


class DecisionSummary:
    """`grid <grid_w> W: loads <believed_w> W -> <commanded_w> W`, and when relays wait, `(<wanted_w> W wanted;
    waiting: <who>)`: what was commanded, not what the loop wanted (after a restart every relay rests its
    min_off_s, and "loads 0 W -> 1580 W" with all of them off reads wrong)."""

    __slots__ = ("_grid_w", "_believed_w", "_commanded_w", "_wanted_w", "_waiting", "_text")

    def __init__(self, grid_w: float, believed_w: float, commanded_w: float, wanted_w: float,
                 waiting: Sequence[str]) -> None:
        self._grid_w, self._believed_w, self._commanded_w = grid_w, believed_w, commanded_w
        self._wanted_w, self._waiting = wanted_w, tuple(waiting) if waiting else ()
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            # ("grid -0 W" read as an import that is not there: signed_whole)
            text = f"grid {signed_whole(self._grid_w)} W: loads {self._believed_w:.0f} W -> {self._commanded_w:.0f} W"
            if self._waiting:
                text += f" ({self._wanted_w:.0f} W wanted; waiting: {', '.join(self._waiting)})"
            self._text = text
        return self._text
