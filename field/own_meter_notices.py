"""What is said of a heater's own meter (silent, reading again, too slow to watch its tank by), bounded per load. A
Tasmota plug with PowerDelta set reads at each change of power over the delta, else at its TelePeriod: bursts of
readings every 2 s while the variator moves, then minutes without one. Each gap was a silence and each burst its end
(its tank watched by the house meter meanwhile, by its meter again: as it should), a WARNING and an INFO line each
time; two gaps in a row made it too slow, one more WARNING: 223 lines in six hours of gaps of 1 to 5 minutes. The
flood limiter (shell/loglimit.py) lets five a minute through: these came a few a quarter of an hour, every one logged.
Now at most NOTICES_PER_WINDOW of them a load are logged per NOTICE_WINDOW_S, the rest at DEBUG and counted, the count
said when the window ends; while they keep coming, only that count, once a window. A silence held back is still said
once it outlasts every gap between its readings lately (LONG_SILENCE_SHARE): a meter that dies is said silent within
minutes, not at the window's count."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from values.shown import counted

# The watch's own lines, moved here with the code that writes them: the logger name is part of what the log shows.
log = logging.getLogger("field.full_tank_watch")

NOTICES_PER_WINDOW = 4  # a meter that dies and comes back, or turns slow then fast again, is said in full
NOTICE_WINDOW_S = 3600.0
# A silence held back is said once it lasts this share over the longest gap between its readings lately (TelePeriod's
# jitter allowed, as ReadingPace's CHANGE_SHARE): with gaps of up to 300 s, at 6 minutes.
LONG_SILENCE_SHARE = 1.2

# The kinds of notice, as the count says them.
SILENT, READS, SLOW = "silent", "reads again", "too slow"
_COUNTED = ((SILENT, "fell silent"), (READS, "read again"), (SLOW, "turned too slow"))


@dataclass(slots=True)
class _Window:
    started_at: float
    said: int = 0
    held: dict[str, int] = field(default_factory=dict)  # the notices not logged, by kind
    longest_gap_s: float = 0.0  # the longest gap between two of the meter's readings in it
    # ...and in the window before it: lately, no further back (carried from window to window, one outage of an hour
    # held back every later silence's line for 72 minutes, a meter that died said silent an hour late)
    before_gap_s: float = 0.0


class OwnMeterNotices:
    """The notices of the loads' own meters, each load's bounded to NOTICES_PER_WINDOW a window."""

    def __init__(self) -> None:
        self._windows: dict[str, _Window] = {}
        self._held_silence: set[str] = set()  # loads whose silence now was held back (said if it lasts)
        self._said_silence: set[str] = set()  # loads whose silence now was said (its end is said too)

    def silent(self, name: str, topic: str | None, silent_for_s: float, now: float) -> None:
        """`name`'s own meter (on `topic`) has given no usable reading for `silent_for_s`: a silence begins."""
        msg, args = _silence_line(name, topic, silent_for_s)
        if self._say(name, SILENT, now, logging.WARNING, msg, *args):
            self._said_silence.add(name)
        else:
            self._held_silence.add(name)

    def still_silent(self, name: str, topic: str | None, silent_for_s: float, now: float) -> None:
        """Its silence goes on: said now if it was held back and outlasts every gap between its readings lately."""
        if name not in self._held_silence:
            return  # (the usual case: said already)
        window = self._windows.get(name)
        if window is not None and silent_for_s <= LONG_SILENCE_SHARE * max(window.longest_gap_s, window.before_gap_s):
            return
        self._held_silence.discard(name)
        self._said_silence.add(name)
        if window is not None and window.held.get(SILENT):
            window.held[SILENT] -= 1  # (said after all: not in the count)
        msg, args = _silence_line(name, topic, silent_for_s)
        log.warning(msg + " (longer than any gap between its readings lately)", *args)

    def heard(self, name: str, gap_s: float) -> None:
        """A usable reading of `name`'s own meter, `gap_s` after the one before."""
        window = self._windows.get(name)
        if window is not None and gap_s > window.longest_gap_s:  # (no window: nothing held back, no gap needed)
            window.longest_gap_s = gap_s

    def reads_again(self, name: str, still_slow: bool, now: float) -> None:
        """`name`'s own meter reads again after a silence (`still_slow`: too slowly to watch its tank by). The end of a
        silence said is said too, whatever the count."""
        said = name in self._said_silence
        self._said_silence.discard(name)
        self._held_silence.discard(name)
        if still_slow:
            msg = ("%s: its own meter reads again, still too slowly to watch its tank by: whether its tank is full is "
                   "still inferred from the house meter")
        else:
            msg = "%s: its own meter reads again: its tank is watched by it again"
        if said:
            log.info(msg, name)
        else:
            self._say(name, READS, now, logging.INFO, msg, name)

    def slow(self, name: str, topic: str | None, slow_s: float, now: float) -> None:
        """`name`'s own meter reads every `slow_s`, too slowly to watch its tank by."""
        self._say(name, SLOW, now, logging.WARNING,
                  "%s: its own meter (%s) reads every %.0f s, too slowly to watch its tank by (a cut is to be seen "
                  "within seconds: set it to read every 10 s at most, a Tasmota plug's TelePeriod 10): whether its "
                  "tank is full is inferred from the house meter meanwhile", name, topic, slow_s)

    def flush(self, now: float) -> None:
        """Say the count of each window that has ended (call it often: at each tick)."""
        if not self._windows:
            return  # (the usual case: no own meter changed lately)
        for name, window in list(self._windows.items()):
            if not 0 <= now - window.started_at < NOTICE_WINDOW_S:  # (a clock stepped back ends it too)
                self._close(name, window, now)

    def _say(self, name: str, kind: str, now: float, level: int, msg: str, *args: object) -> bool:
        """Log `msg` % `args` at `level`, or at DEBUG and counted when `name`'s window has said enough; True if said."""
        window = self._window(name, now)
        if window.said < NOTICES_PER_WINDOW:
            window.said += 1
            log.log(level, msg, *args)
            return True
        window.held[kind] = window.held.get(kind, 0) + 1
        log.debug(msg, *args)
        return False

    def _window(self, name: str, now: float) -> _Window:
        window = self._windows.get(name)
        if window is not None and not 0 <= now - window.started_at < NOTICE_WINDOW_S:
            window = self._close(name, window, now)
        if window is None:
            window = self._windows[name] = _Window(now)
        return window

    def _close(self, name: str, window: _Window, now: float) -> _Window | None:
        """End `name`'s window: its count said, if any was held back. The next one then says its count only (still
        changing, a line or two an hour would only be the start of the same story again), and a silence that outlasts
        the gaps of this one; after a window with none held back, the next one says its notices in full again. The
        new window, or None."""
        counts = [f"{what} {counted(window.held[kind], 'time')}" for kind, what in _COUNTED if window.held.get(kind)]
        if not counts:
            del self._windows[name]
            return None
        said = ", ".join(counts[:-1]) + " and " + counts[-1] if len(counts) > 1 else counts[0]
        log.warning("%s: its own meter %s in the last %.0f min (not logged: at most %d such lines a load are, an "
                    "hour; the rest at DEBUG): it reads at an irregular pace; its tank is watched from the house meter "
                    "whenever it is silent or too slow, by its meter else (a Tasmota plug with PowerDelta set reads at "
                    "each change of power, else every TelePeriod: PowerDelta 0 and TelePeriod 10 read it every 10 s)",
                    name, said, max(0.0, now - window.started_at) / 60.0, NOTICES_PER_WINDOW)
        new = self._windows[name] = _Window(now, said=NOTICES_PER_WINDOW, before_gap_s=window.longest_gap_s)
        return new


def _silence_line(name: str, topic: str | None, silent_for_s: float) -> tuple[str, tuple[object, ...]]:
    return ("%s: its own meter (%s) has given no usable reading for %.0f s: whether its tank is full is inferred from "
            "the house meter meanwhile", (name, topic, silent_for_s))
