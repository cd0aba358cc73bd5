"""A heater's own meter's pace as its full-tank detector sees it: how often it is read, for a run of low readings that
must chain them (MeterRule.for_pace). Its own: only the field features read that meter. (The house meter's pace is the
regulator's, MeterState.pace_s, handed to the full-tank watch: it had one of these until 2026-12-06.)"""

from __future__ import annotations

from collections import deque

GAPS = 5  # the median of this many gaps between readings: one lost reading, or a late one, does not move it
CHANGE_SHARE = 0.2  # a pace this much off the one told is news (a meter's jitter is not)
MAX_GAP_S = 60.0  # a longer gap is a silence, not the meter's pace...
# ...unless the gaps keep that long: this many in a row, each at most LONGEST_SLOW_GAP_S (a Tasmota's TelePeriod goes up
# to an hour, its default 300 s), make a meter too slow to pace a tank's watch by (`slow_s`). (Its jitter allowed: at
# 3600 s, a TelePeriod 3600's gaps a few ms over an hour were silences, and it was never slow.)
SLOW_GAPS = 2
LONGEST_SLOW_GAP_S = (1.0 + CHANGE_SHARE) * 3600.0
# A slow meter reads faster again at a gap at most this long. A gap just under MAX_GAP_S is a meter read about every
# minute (a TelePeriod 60), its jitter around it: its gaps 60.03, 60.03, 59.97 s... each ended its slowness and the next
# two began it again, a "too slow" warning and a "reads again" line every few minutes, its tank's watch flapping.
FAST_AGAIN_S = (1.0 - CHANGE_SHARE) * MAX_GAP_S


def pace_is_news(pace_s: float, told_s: float | None) -> bool:
    """True when `pace_s` is worth telling after `told_s` (None: none told yet): the first, or moved by CHANGE_SHARE."""
    return told_s is None or abs(pace_s - told_s) > CHANGE_SHARE * told_s


class ReadingPace:
    """The gaps between a meter's last readings; `reading` says when their median moved."""

    def __init__(self) -> None:
        self._last_at: float | None = None
        self._gaps: deque[float] = deque(maxlen=GAPS)
        self.pace_s: float | None = None  # the last one told
        self._slow_gaps = 0  # gaps over MAX_GAP_S in a row, the last two...
        self._slow_gap_s = self._slow_gap_before_s = 0.0  # ...this long

    def slow_s(self) -> float | None:
        """The shorter of the meter's last two gaps over MAX_GAP_S when SLOW_GAPS such gaps came in a row (a meter read
        every few minutes), and none since at most FAST_AGAIN_S, else None. (The shorter: a slow meter's silence of an
        hour, its last gap, was its pace until its next reading, and dead again after one reading back it was said
        silent only after five hours; a new pace, a TelePeriod set longer, is its own at its second gap.)"""
        return min(self._slow_gap_s, self._slow_gap_before_s) if self._slow_gaps >= SLOW_GAPS else None

    def usual_s(self) -> float | None:
        """Its pace: the one told, or while none is, the longest of the gaps seen so far (None before a first gap)."""
        if self.pace_s is not None:
            return self.pace_s
        return max(self._gaps) if self._gaps else None

    def reading(self, now: float) -> float | None:
        """A reading at `now`; the meter's pace when it is news (the first one known, or moved by CHANGE_SHARE), else
        None."""
        last_at, self._last_at = self._last_at, now
        if last_at is None or now <= last_at:
            return None  # (the first, or a clock stepped back)
        gap_s = now - last_at
        if gap_s > MAX_GAP_S:  # (a silence, or a slow meter's pace)
            if gap_s <= LONGEST_SLOW_GAP_S:
                self._slow_gaps += 1
                self._slow_gap_before_s, self._slow_gap_s = self._slow_gap_s, gap_s
            elif self._slow_gaps < SLOW_GAPS:
                self._slow_gaps = 0
            # (else a slow meter's silence: still slow at its pace; a fast gap says when it is fast again. Taken for a
            # new start, its first reading back had its tank watched by it, and said silent a few seconds on)
            return None
        if self._slow_gaps < SLOW_GAPS or gap_s <= FAST_AGAIN_S:  # (slow: its jitter under MAX_GAP_S is no news)
            self._slow_gaps = 0
        self._gaps.append(gap_s)
        told = self.pace_s
        if told is not None and not pace_is_news(gap_s, told):
            return None  # (most readings: at the pace told)
        if len(self._gaps) < GAPS:
            return None
        pace_s = sorted(self._gaps)[GAPS // 2]
        if not pace_is_news(pace_s, told):
            return None
        self.pace_s = pace_s
        return pace_s
