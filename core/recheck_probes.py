"""A full tank's re-check probes told apart among a variable load's switches, from the decisions alone.

Once a tank is found full, the regulator commands its heater its floor for a moment every hour while the house exports
(field/full_tank_probe.py), to see whether the tank takes power again: each probe is a switch on and a switch off. The
daily report counted them as the heater's switches: 12 on the demo day (serf-east), 10 of them five probes, read as a
heater that chattered. A recorded day has only its decisions, and `python3 -m simulation report` must count as the live
daemon did: a probe is told from them, as the on-stretch of a variable load that the allocation did not give (it had no
room at the decision before, at 0 W: full, forced off or left out), with no room all through, back at 0 W within
`PROBE_STRETCH_MAX_S`, after `PROBE_OFF_MIN_S` at 0 W at least. A probe whose tank takes power again stays on, given
room: a switch of its own, not a probe. Nor the draw between two of a suspicion's re-probe holds
(field/full_tank_watch.py: a heater at its max, or forced, held at 0 W for 15 s, then given its power back: no room
before, during nor after).
(A force on of a full heater, or of one the water heater's mode keeps off, ended within that time, would be taken
for one: the day file does not say which load was forced.)
"""

from __future__ import annotations

from collections.abc import Sequence

from core.decisions import DecisionRecord

__all__ = ["PROBE_OFF_MIN_S", "PROBE_STRETCH_MAX_S", "ProbeTally", "RecheckProbes", "probes_text"]

# Longest a re-check probe runs: a minute, or two readings of a slow meter after `settle`, then given up (its
# PROBE_TIMEOUT_S and PROBE_TIMEOUT_GAPS); a meter read every few minutes still fits.
PROBE_STRETCH_MAX_S = 600.0
# Least time at 0 W before a re-check probe: one comes an hour after its tank was found full, or PROBE_RETRY_S (300 s)
# after one given up, where a suspicion's re-probe holds a heater at 0 W for 15 s (the settle and three and a half
# readings of a slower meter: 143 s at a reading every 40 s) and gives it its power back: at its max in the sun, or
# forced, its draw up to the next hold, two minutes later (four, eight after void ones), was taken for a probe.
PROBE_OFF_MIN_S = 200.0


class RecheckProbes:
    """Per load, the re-check probes counted so far (`counts`), each two of its switches; relays are never probed."""

    def __init__(self, relays: Sequence[bool]) -> None:
        self.relays = tuple(relays)
        self.counts = [0] * len(self.relays)
        self._variable = tuple(i for i, relay in enumerate(self.relays) if not relay)
        self._since: list[float | None] = [None] * len(self.relays)  # an on-stretch that may be a probe: its start
        self._off_at: list[float | None] = [None] * len(self.relays)  # its last switch off (None: none seen)
        self._open = 0  # how many such stretches run (none, most decisions: nothing to watch)

    def decision(self, previous: DecisionRecord, record: DecisionRecord, counted_from_s: float) -> None:
        """The decision `record` after `previous`; a probe that began at or after `counted_from_s` (the day's start)
        is counted when it ends."""
        if record.command != previous.command:  # (the same commands, most decisions: no switch to look for)
            # (the variable loads' alone, by index: the closed loop moves a heater's percent at nearly every decision,
            # and zip(strict=True) parses its keyword at each call on Python 3.11; a replay runs this twice a decision)
            was, now = previous.command, record.command
            for i in self._variable:
                on = now[i] > 0
                if (was[i] > 0) != on:
                    self._switched(i, previous, record, on, counted_from_s)
        if self._open:
            self._watch(record)

    def _switched(self, i: int, previous: DecisionRecord, record: DecisionRecord, on: bool,
                  counted_from_s: float) -> None:
        since = self._since[i]
        if since is not None:
            self._since[i] = None
            self._open -= 1
        if on:
            off_at = self._off_at[i]
            if previous.room_w[i] <= 0.0 and record.room_w[i] <= 0.0 and \
                    (off_at is None or record.time_s - off_at >= PROBE_OFF_MIN_S):
                self._since[i] = record.time_s
                self._open += 1
            return
        self._off_at[i] = record.time_s
        if since is not None and record.room_w[i] <= 0.0 and since >= counted_from_s and \
                record.time_s - since <= PROBE_STRETCH_MAX_S:
            self.counts[i] += 1

    def _watch(self, record: DecisionRecord) -> None:
        # An on-stretch given room is no probe (its tank took power again, or a force ended); nor one on too long.
        for i, since in enumerate(self._since):
            if since is not None and (record.room_w[i] > 0.0 or record.time_s - since > PROBE_STRETCH_MAX_S):
                self._since[i] = None
                self._open -= 1

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing: an on-stretch under way, and the time at 0 W
        before the next one, keep their lengths (an hour's step in a probe made it too long for one, its two switches
        the heater's own)."""
        self._since = [None if since is None else since + step_s for since in self._since]
        self._off_at = [None if off_at is None else off_at + step_s for off_at in self._off_at]

    def reset(self) -> None:
        """A new day's counts (a probe under way at the midnight is the day before's: not counted)."""
        self.counts = [0] * len(self.relays)


class ProbeTally:
    """A decision listener counting a run's re-check probes (a replay's, whatever its days): `probes.counts`."""

    def __init__(self, relays: Sequence[bool]) -> None:
        self.probes = RecheckProbes(relays)
        self._previous: DecisionRecord | None = None

    def __call__(self, record: DecisionRecord) -> None:
        previous, self._previous = self._previous, record
        if previous is not None:
            self.probes.decision(previous, record, float("-inf"))


def probes_text(count: int) -> str:
    """What `count` re-check probes were, as a report says it beside a load's switches (two of them each)."""
    probes = f"{count} full-tank re-check probes" if count > 1 else "a full-tank re-check probe"
    return f"{probes}, on and off: a moment at its floor, to see whether the tank takes power again"
