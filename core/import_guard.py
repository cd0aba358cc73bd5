"""The import guard: safety beats wear. An import that lasts sheds a relay whatever its dwell."""

from __future__ import annotations

from core.control_params import ControlParams

# With import_guard_time 0, an import over the level is forgotten after this many readings in a row at or under it.
FORGET_AFTER = 2


class ImportGuard:
    """The energy imported over `import_guard_w`, counted in watt-seconds from one decision to the next."""

    def __init__(self, params: ControlParams) -> None:
        self.params = params  # (import_guard_w, import_guard_s)
        # A reading over the level adds its import since the last reading, one at or under it (or an export)
        # takes back what a reading at the level adds (due).
        self._import_ws = 0.0
        # With import_guard_time 0 the count itself holds nothing (its full is 0 Ws), and every import after an export
        # was taken for a first one: what it remembers is the readings in a row at or under the level since an import
        # over it was counted (FORGET_AFTER of them, or a shed: none remembered, as a count drains).
        self._quiet = FORGET_AFTER
        self._seen: tuple[float, float] | None = None  # (grid watts, time) at the last decision

    def due(self, grid_w: float, now: float, give_back_w: float, relays_on: bool = True) -> bool:
        """True when the import has gone on long enough to shed a relay against its dwell: once the energy
        imported over `import_guard_w` reaches import_guard_w x import_guard_s, at the second reading of
        the import at the soonest. 100 W must last the whole 20 s; a 1 kW import is shed at its second reading.

        A reading over the level after one at or under it (a new step) counts only for what the continuous
        loads cannot give back (`give_back_w`, their believed watts): the rest is the step the loop answers at
        that decision. With the heater's tank full, a 2.2 kW oven switching on under two relays imported
        500 W for one more reading before the guard shed, at each of the oven's cycles, while such a first
        reading counted for nothing (serf-east's caused import in the demo house: 10.5 Wh then, 9.7 Wh
        now). The first reading of an import after an export, with nothing counted before it, sheds nothing
        on its own, however much it counts: when the import began within the time since the last reading
        (up to ControlParams.max_gap_s after lost readings) is unknown, and the relays free to go off answer it at
        this very decision.

        Then each reading over the level adds its import for the time since the last; one at or under the
        level takes back what a reading at the level would add, rather than emptying the count: an import
        that dips under the level every other reading (a hob pulsing, a house at the edge) still reaches the
        guard (emptied, 1 kW and 90 W in turn went on for the relay's whole min_on_s).

        Without a relay on (`relays_on` False: none the loop may shed) the count is emptied: an import nothing could
        answer (the heater forced from the grid for ten minutes) left the count full, and the first relay to come
        on after it was shed 4 s into its min_on_s at a 150 W import that sheds nothing otherwise. With
        import_guard_time 0, the guard sheds at the second reading over the level (any import did), one reading
        at or under it between them or not (one in between took the second for a first, and a hob pulsing 1 kW
        every other reading was never shed: the stricter setting was the laxer); two in a row forget the import."""
        level_w, full_ws = self.params.import_guard_w, self.params.import_guard_w * self.params.import_guard_s
        last, self._seen = self._seen, (grid_w, now)
        # (bounds by comparisons rather than min() and max(), here and below: on Python 3.11 each of those calls parses
        # its keywords, about a tenth of a microsecond, and this runs at every decision)
        held_s = 0.0 if last is None or not now - last[1] > 0.0 else now - last[1]  # (stepped back: 0)
        if held_s > self.params.max_gap_s:
            held_s = self.params.max_gap_s
        # (the first reading of an import after an export, with nothing counted before it, sheds nothing on its
        # own; an import that alternates with an export keeps its count, and is shed)
        nothing_counted = self._import_ws == 0 if full_ws > 0 else self._quiet >= FORGET_AFTER
        # (with import_guard_time 0 the level is the line: a reading of a small import under it before an import over
        # it made that one a second, shed at once, and one over it after small imports never forgotten)
        first = last is None or (last[0] <= (level_w if full_ws == 0 else 0) and nothing_counted)
        if not relays_on:
            self._import_ws, self._quiet = 0.0, FORGET_AFTER
            return False
        if grid_w > level_w:
            counted_w = grid_w - max(give_back_w, 0.0) if last is None or last[0] <= level_w else grid_w
            if counted_w > level_w:
                # (full is full: an import no relay could answer must not leave a store that sheds the next
                # relay at its first watt of import)
                self._import_ws = min(self._import_ws + counted_w * held_s, full_ws)
                self._quiet = 0
            elif self._quiet < FORGET_AFTER:
                self._quiet = 0  # (an import still remembered: the readings under the level counted afresh)
        else:
            left_ws = self._import_ws - level_w * held_s
            self._import_ws = left_ws if left_ws > 0.0 else 0.0
            # (with import_guard_time 0 an import is remembered over one reading under the level, not two: a blip
            # minutes after another is a first again, not a shed against the dwell)
            self._quiet = self._quiet + 1 if self._quiet < FORGET_AFTER else FORGET_AFTER
        return grid_w > (level_w if full_ws == 0 else 0) and self._import_ws >= full_ws and not first

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (NTP): the last decision's time moves with
        it. Else the next reading counted max_gap_s of the jump as import, and a relay was shed for it."""
        if self._seen is not None:
            self._seen = (self._seen[0], self._seen[1] + step_s)

    def clock_stepped_back(self, step_s: float) -> None:
        """The wall clock stepped back by `step_s` (NTP, set by hand): the last decision's time moves with it. Else
        the next reading, dated before it, counted none of its time (an import over the level shed a reading late)."""
        if self._seen is not None:
            self._seen = (self._seen[0], self._seen[1] - step_s)

    def shed(self) -> None:
        """A relay was shed: the next shed, if the import lasts, after as much again."""
        self._import_ws, self._quiet = 0.0, FORGET_AFTER
