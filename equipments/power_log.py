"""How a load's power changes reach the log. A switch on or off, and a force's move, are always an INFO line with
its reason. A
step of NEWS_STEP_W or more is one too, but at most once per STEP_LOG_S for each load: the closed loop
follows every cloud, and each of a heater's steps was an INFO line (23 in one minute, 846 in a cloudy day
of Payerne's), burying the relays' switches and their reasons. The steps held back meanwhile are at DEBUG,
and the load's next command after the minute sums them up in one INFO line: from the watts the last INFO
line left it at to where it is, in how many steps, between what, and the last one's reason. A heater's switch on
or off at its floor is held back as a step is (the loop's dither about its min_power: FLOOR_NEWS_W)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FLOOR_NEWS_W", "NEWS_STEP_W", "STEP_LOG_S", "PowerLog", "force_line", "power_change",
           "power_change_is_news"]

# A change of a load's power smaller than this (and not a switch on or off) is no news: the closed loop's
# fine moves every few seconds are logged at DEBUG and do not make the status go out at once.
NEWS_STEP_W = 100.0
# At most one INFO line of a load's steps per this many seconds (its switches are always logged, but at its floor).
STEP_LOG_S = 60.0
# A variable load switched on or off by the regulation at its floor (`least_on_w`), or this little over it (the
# sigma-delta's upper percent: 164 W at a 141 W floor), is a step for the log, held back as its steps are: on a surplus
# about its floor the loop switches it every few readings, an INFO line each (58 on Payerne's cloudy day, 17 to 169 in
# ten minutes of noisy meters), a Pi's SD card filled with the same two lines. The first is said at once, those of the
# minute after it counted in the next summary; a switch from or to more than this over the floor, or a force's, at once.
FLOOR_NEWS_W = NEWS_STEP_W


def force_line(name: str) -> dict[str, str]:
    """The `extra` of a log line a force or unforce of load `name` causes (its own, its load's moves): one kind for the
    flood limiter per load and line, 5 a minute, as anyone on the broker may send a thousand forces a minute."""
    return {"limit_key": f"force-{name}"}


def power_change(previous_w: float, actual_w: float) -> str:
    """What a load's move from `previous_w` to `actual_w` is: "switch" (on or off), "step" (NEWS_STEP_W or more),
    "fine" (a smaller move), or "" (none: under half a watt)."""
    delta_w = abs(actual_w - previous_w)
    if delta_w < 0.5:
        return ""
    if previous_w == 0 or actual_w == 0:
        return "switch"
    return "step" if delta_w >= NEWS_STEP_W else "fine"


def power_change_is_news(previous_w: float, actual_w: float) -> bool:
    """True for a load switched on or off, or stepped by NEWS_STEP_W or more."""
    return power_change(previous_w, actual_w) in ("switch", "step")


@dataclass(slots=True)
class _Held:
    """The steps held back since the last INFO line of a load's steps."""

    opened_at: float  # when that line was logged: the next one is due step_log_s later
    from_w: float  # the watts it left the load at
    count: int = 0
    low_w: float = float("inf")
    high_w: float = float("-inf")
    reason: str = ""
    floor_switches: int = 0  # the switches on or off at its floor among them (FLOOR_NEWS_W)

    @property
    def moves(self) -> int:
        return self.count + self.floor_switches


class PowerLog:
    """One load's power lines (its `logger`, the one its lines always had)."""

    def __init__(self, name: str, logger: logging.Logger, step_log_s: float = STEP_LOG_S) -> None:
        self.name = name
        # A variable load's floor, W (its least_on_w, read at a switch only): its switches there are held back as steps
        # (FLOOR_NEWS_W). None: a relay's, every switch said at once.
        self.floor_w: Callable[[], float] | None = None
        self._log = logger
        self._step_log_s = step_log_s  # (STEP_LOG_S, the demo's divided by its speed)
        self._held: _Held | None = None  # None: no step logged at INFO within step_log_s
        # The next command is a force's (or its end's): its step is said at once, as a switch is (held back as a step of
        # the loop's, a force of the heater from 2290 to 1495 W was said only when it ended, "2290 W -> 1495 W" then
        # "-> 0 W"), within the bound of its force's lines
        self.force_next = False

    def commanded(self, previous_w: float, actual_w: float, now: float, reason: str) -> None:
        """The load was commanded from `previous_w` to `actual_w` (the same, often: the loop commands at every
        decision) at `now`, for `reason`."""
        change = power_change(previous_w, actual_w)
        forced, self.force_next = self.force_next, False
        if forced and change in ("step", "fine"):
            change = "switch"
        elif change == "switch" and not forced and self._at_floor(max(previous_w, actual_w)):
            change = "floor"
        moved, switch, step, floor = change != "", change == "switch", change == "step", change == "floor"
        held = self._held
        due = held is not None and not 0 <= now - held.opened_at < self._step_log_s  # (or the clock stepped back)
        if held is not None and held.moves and (due or switch):
            if switch:  # (said on its own line, after the steps before it)
                self._sum_up(held, previous_w, now, held.reason)
            else:  # (its own move ends the summary, and its reason is why the load is where it is)
                if step:
                    self._hold(held, previous_w, actual_w)
                held.floor_switches += int(floor)
                self._sum_up(held, actual_w, now, reason)
            self._held = _Held(now, actual_w)
            if not switch:
                if moved:
                    self._log.debug("%s: %.0f W -> %.0f W (%s)", self.name, previous_w, actual_w, reason)
                return
        elif due:
            self._held = None  # a quiet minute: the next step is said at once
        if not moved:
            return
        if switch or ((step or floor) and self._held is None):
            # (a force's is bounded as its "forcing" line is: anyone on the broker may send a thousand a minute)
            self._log.info("%s: %.0f W -> %.0f W (%s)", self.name, previous_w, actual_w, reason,
                           extra=force_line(self.name) if forced else None)
            self._held = None if switch else _Held(now, actual_w)  # (after a switch, a step is said at once)
            return
        self._log.debug("%s: %.0f W -> %.0f W (%s)", self.name, previous_w, actual_w, reason)
        if self._held is not None:
            self._held.reason = reason  # (the last move's: why the load is where it is)
            if step:
                self._hold(self._held, previous_w, actual_w)
            self._held.floor_switches += int(floor)

    def _at_floor(self, on_w: float) -> bool:
        """Whether a switch on to `on_w`, or off from it, is the regulation's at the load's floor (FLOOR_NEWS_W)."""
        floor_w = self.floor_w() if self.floor_w is not None else 0.0
        return floor_w > 0 and on_w < floor_w + FLOOR_NEWS_W

    @staticmethod
    def _hold(held: _Held, previous_w: float, actual_w: float) -> None:
        held.count += 1
        held.low_w = min(held.low_w, previous_w, actual_w)
        held.high_w = max(held.high_w, previous_w, actual_w)

    def _sum_up(self, held: _Held, to_w: float, now: float, reason: str) -> None:
        said = []
        if held.count:
            said.append(f"{held.count} step{'' if held.count == 1 else 's'} of {NEWS_STEP_W:.0f} W or more between "
                        f"{min(held.low_w, to_w):.0f} and {max(held.high_w, to_w):.0f} W")
        if held.floor_switches:
            said.append(f"{held.floor_switches} switch{'' if held.floor_switches == 1 else 'es'} on or off at its "
                        "floor")
        self._log.info("%s: %.0f W -> %.0f W (in %.0f s, %s, each at DEBUG; now: %s)", self.name, held.from_w, to_w,
                       max(now - held.opened_at, 0.0), " and ".join(said), reason)
