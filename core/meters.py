"""The two meters' last good readings, their freshness, and the production energy counter."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from values.readings import EVIDENCE_SLACK_S, MeterReading

PACE_GAPS = 5  # a meter's pace is the median of its last this many gaps between two good readings...
PACE_MIN_GAPS = 3  # ...once it has given at least this many


def _median_pace(gaps_s: list[float]) -> float | None:
    """The median of `gaps_s` (the upper one of an even count), None under PACE_MIN_GAPS of them (MeterState.pace_s)."""
    if len(gaps_s) < PACE_MIN_GAPS:
        return None
    return sorted(gaps_s)[len(gaps_s) // 2]


@dataclass(slots=True)
class MeterState:
    """One meter: its last good reading and how many good readings it has given."""

    name: str
    topic: str
    last: MeterReading | None = None
    count: int = 0  # good readings so far; a decision needs one newer than the last decision's
    messages: int = 0  # every message on its topic, usable or not: none since the connect is a topic PySEB never gets
    last_payload: bytes | None = None  # the message the last good reading came in
    repeats: int = 0  # messages since then that repeated it byte for byte (a frozen meter)
    # Messages since then refused (junk, out of range), and why the last one was: a meter that talks but is
    # always refused is not "silent" (power sent as text read "consumption meter silent for 10 s").
    refused: int = 0
    last_refusal: str | None = None
    # Boot messages since then: a meter in a boot loop (its supply, its Wi-Fi) sends no reading, and was said "silent
    # (no message on its topic since PySEB connected: ... the broker's ACL)" while PySEB logged its boots.
    boots: int = 0
    # Since when the house meter's 0 W readings have been refused (the loads drawing), in this run of them: only a
    # good reading ends the run (core/meter_intake.py).
    zero_refused_since: float | None = None
    # The house meter has read a mains voltage since start: from then on, a reading under it is refused (no mains:
    # its 0 W says nothing of the house). Not before: a meter that always sends 0 V (a clamp-only build, a bridge
    # filling a field it does not measure) would be refused for good.
    mains_seen: bool = False
    # mains_seen came from the status file, not from a reading of this run (status.restore): a meter swapped while
    # PySEB was stopped for one whose voltage field is always 0 (it reads watts at 0 V, which a PZEM without mains
    # never does) clears it (core/meter_intake.py), else it would be refused for good, the flag saved again and again.
    mains_restored: bool = False
    # Seconds between its last few good readings (up to PACE_GAPS), oldest first (gaps_s), and its pace from them
    # (pace_s): worked out when they change, at a good reading, rather than at each of the four times a reading and its
    # decision ask for it (the full-tank watch, the decision, the gate's wait, the loop's gaps).
    _gaps_s: list[float] = field(default_factory=list, init=False, repr=False)
    _pace_s: float | None = field(default=None, init=False, repr=False)
    # The link to the broker dropped since the last good reading: the gap to the next one is the outage's, not the
    # meter's (link_dropped).
    _unheard_since_last: bool = field(default=False, init=False, repr=False)
    # Seconds from the good reading before to the last one (None: its first, or one across a drop of the link or a
    # clock stepped back): a gap over meter_timeout that ended is a meter that reads at an irregular pace
    # (core/irregular_pace.py).
    last_gap_s: float | None = field(default=None, init=False, repr=False)
    # What its pace, once told in the log (too slow for meter_timeout, or irregular: core/meter_intake.py), makes of
    # its silences, for their stale reason: the status a dashboard shows at each cut said "silent" alone, a live
    # meter's 300 times an hour. '' until then.
    silence_hint: str = field(default="", init=False, repr=False)
    # Seconds between two readings of its bursts, once it is known to read on change (a Tasmota with PowerDelta set, its
    # irregular pace told: core/meter_intake.py); None until then. Quiet, such a meter says its power moved less than
    # its delta since its last reading, which a meter read at a steady pace, a reading lost, does not
    # (core/decision_gate.py: a relay's switch read once before `settle`).
    bursts_pace_s: float | None = field(default=None, init=False, repr=False)

    def accept(self, reading: MeterReading, payload: bytes | None = None) -> None:
        """Take a good reading (and the message it came in)."""
        self.last_gap_s = None
        if self.last is not None and not self._unheard_since_last:
            gap_s = reading.received_at - self.last.received_at
            if gap_s > 0:  # (none across a clock stepped back)
                self.last_gap_s = gap_s
                gaps = self._gaps_s
                gaps.append(gap_s)
                if len(gaps) > PACE_GAPS:
                    del gaps[0]
                self._pace_s = _median_pace(gaps)
        self._unheard_since_last = False
        self.last = reading
        self.count += 1
        self.last_payload = payload
        self.repeats = 0
        self.refused, self.last_refusal = 0, None
        self.boots = 0
        self.zero_refused_since = None

    def link_dropped(self) -> None:
        """The link to the broker dropped: the readings sent meanwhile are lost, and the gap from the last one heard to
        the next is no gap of the meter's. Counted in its pace, a link the broker dropped every few seconds (another
        client with PySEB's client id, a status over its max_packet_size) made a meter read every 0.5 s one "read
        every 2.0 s", a meter_timeout raised for nothing advised."""
        self._unheard_since_last = True

    def refuse(self, why: str) -> None:
        """A message that gave no usable reading, for `why`."""
        self.refused += 1
        self.last_refusal = why

    def is_repeat(self, payload: bytes) -> bool:
        """True when `payload` is byte for byte the message of the last good reading."""
        return self.last_payload is not None and payload == self.last_payload

    def age_s(self, now: float) -> float | None:
        """Seconds since the last good reading, or None if never read."""
        if self.last is None:
            return None
        # (max(0.0, age) by a comparison: on Python 3.11 max()'s call parses its keywords; every status, for each meter)
        age_s = now - self.last.received_at
        return age_s if age_s > 0.0 else 0.0

    @property
    def gaps_s(self) -> list[float]:
        """Seconds between its last few good readings (up to PACE_GAPS), oldest first (a copy: `accept` keeps them)."""
        return list(self._gaps_s)

    @gaps_s.setter
    def gaps_s(self, gaps_s: list[float]) -> None:
        self._gaps_s = list(gaps_s)
        self._pace_s = _median_pace(self._gaps_s)

    def pace_s(self) -> float | None:
        """Its usual seconds between two good readings: the median of its last gaps, which a lost reading (a gap
        twice as long) or a late one does not move; None until it has given PACE_MIN_GAPS gaps."""
        return self._pace_s

    def jitter_s(self) -> float:
        """How far its last gaps stray from its pace: the largest difference among those within a quarter of the pace
        (a lost reading's gap, twice the pace, is no jitter); 0 while the pace is unknown. A reading late by some
        milliseconds makes one gap longer and the next shorter by as much: this is up to twice its readings' own
        lateness, on the safe side for a wait that must end before the next house reading."""
        pace_s = self.pace_s()
        if pace_s is None:
            return 0.0
        most_s = 0.0
        for gap_s in self._gaps_s:
            off_s = abs(gap_s - pace_s)
            if most_s < off_s <= 0.25 * pace_s:
                most_s = off_s
        return most_s if most_s > EVIDENCE_SLACK_S else 0.0  # (a float's rounding of a steady pace is none)

    def next_due_at(self, now: float) -> float | None:
        """When its next good reading is due after `now` at its pace (the one after a reading lost, if that one is
        late already); None when its pace is unknown or it has been silent for two paces or more."""
        pace_s = self.pace_s()
        if pace_s is None or self.last is None:
            return None
        since_s = now - self.last.received_at
        if not 0 <= since_s < 2 * pace_s:
            return None
        return self.last.received_at + (pace_s if since_s < pace_s else 2 * pace_s)

    @property
    def power_w(self) -> float | None:
        """The last good reading's watts, or None."""
        return None if self.last is None else self.last.power_w


@dataclass(slots=True)
class EnergyCounter:
    """Energy from a stream of power readings (left-rectangle rule); gaps over `max_gap_s` not counted."""

    max_gap_s: float
    energy_wh: float = 0.0
    yesterday_wh: float = 0.0
    _last_w: float | None = field(default=None)
    _last_at: float | None = field(default=None)
    # The last midnight rolled at: the interval from the reading before it to the next is counted from it (its part
    # before midnight was the day's before), when the whole of it is within max_gap_s.
    _counted_to: float = field(default=-math.inf)

    def add(self, power_w: float, at: float) -> None:
        """Account for the time since the previous reading at the previous power."""
        if self._last_w is not None and self._last_at is not None:
            gap_s = at - self._last_at
            if 0 < gap_s <= self.max_gap_s:
                # (gauged on the whole interval: cut at midnight, each half of a silence of 1.9 times the gap fitted
                # under it, and the silence was counted whole, in two days)
                since = self._counted_to if self._counted_to > self._last_at else self._last_at
                if at > since:
                    self.energy_wh += self._last_w * (at - since) / 3600.0
        self._last_w, self._last_at = power_w, at

    def skip(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing: the next reading counts from the last."""
        if self._last_at is not None:
            self._last_at += step_s

    def roll_day(self, midnight_at: float) -> None:
        """At midnight: today's energy (counted up to `midnight_at`) becomes yesterday's."""
        if self._last_w is not None and self._last_at is not None and self._last_at < midnight_at:
            gap_s = midnight_at - self._last_at
            since = self._counted_to if self._counted_to > self._last_at else self._last_at
            if gap_s <= self.max_gap_s and midnight_at > since:
                self.energy_wh += self._last_w * (midnight_at - since) / 3600.0
            self._counted_to = midnight_at
        self.yesterday_wh, self.energy_wh = self.energy_wh, 0.0
