"""Whether the closed loop hunts: the loads' watts swinging up and down by hundreds of watts, many times a minute.

A decision takes a house reading taken `settle` after the last command for one that shows it. A house meter that
shows a command later than that hands the loop a reading without it: the loop corrects again what it had corrected,
and swings. In the replay, with the house meter a second late and `settle` at 1 s, the closed loop swung the heater by
kilowatts every few seconds and imported up to 1 kWh a day (docs/control.md, "A meter that shows a command late").
The regulator then waits longer for a house reading (DecisionGate.wait_longer). The thresholds come from the replayed
days: without any meter lag, with and without noise, the most swings of SWING_W ending within a minute were 6 (the
cloudy 10-s day, whose sun swings the heater as fast as the meters read); with a meter a second late, 11 and more. A
loop that follows an appliance switching on and off every few seconds (an induction hob at a low setting) swings as
much: it is taken for hunting too, and the longer wait costs it little (docs/control.md).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import replace

from core.controller import ClosedLoop
from core.decision_gate import DecisionGate
from core.meters import MeterState
from equipments.base import Equipment

SWING_W = 300.0  # a swing: the loads' believed watts going one way by this much or more before they turn back
TURN_W = 20.0  # a move back under this does not turn a swing (a whole percent's dithering, the meters' noise)
SWINGS = 9  # this many swings...
WINDOW_PACES = 30  # ...ending within this many of the house meter's paces (a minute with meters at 2 s)...
# ...or this long, at most, and while its pace is unknown: the loop hunts. (Uncapped, meters every 10 s made it 5
# minutes, in which a cloudy sky alone swings the heater 9 times: "hunting", the decisions slowed to 7.5 s after a
# command and the day's caused import 1.7 times as much, with no lag at all.)
WINDOW_S = 60.0
# Then a house reading is evidence only this share of the house meter's pace after a command (1.5 s with meters at 2 s):
# a decision with the production reading no longer takes the next house reading for one that shows its command, yet a
# decision with a house reading still has the next one, its jitter allowed for. In the replay, with the house meter a
# second late or not late at all, the loop then did about as well as without lag at 1 s.
PACE_SHARE = 0.75
WARN_AGAIN_S = 3600.0  # a loop that still hunts is said again at most this often
# A loop that hunts again once it waits longer (or has nothing longer to wait), the house meter moving OVERSHOOT times
# the loads' believed moves or more, has its corrections halved, down to MIN_GAIN: the loop corrects `gain` x the error
# on the heater's *believed* watts, and a heater drawing K times what its calibration says moves the grid by K x gain x
# the error, which overshoots for good from K x gain = 2 (a 2.3 kW element on a 1.2 kW heater's curve: a steady 1500 W
# of surplus swung the grid between +1800 and -1500 W every reading, 150 Wh imported in 10 minutes). Halved, the loop
# settles up to K = 4; at the floor, up to K = 8. Not for a loop that follows an appliance switching every few seconds
# (a hob 6 s on, 6 s off): the meter then moves as the loads do, plus the appliance's steps, and a slower loop lags it
# longer (395 Wh imported an hour at gain 0.25 against 250 at 1). One whose phases last a reading or so (2 or 3 s)
# moves the meter twice as much as the loop at each reading, as an overshoot does, and is halved too: the loop then
# imports less while it runs, and...
OVERSHOOT = 1.5
MIN_GAIN = 0.25
# ...every RECOVER_EVERY_S, a loop whose corrections were halved has them doubled back (up to its `gain`) when the meter
# moved from RECOVER_FROM to under RECOVER_UNDER times its variable loads' believed moves over the last
# RECOVER_WINDOW_S: the heater draws what it is believed to (the hob has stopped). Kept at 0.25 after a hob, a cloudy
# day imported 114 Wh where gain 1 imports 39. (Under RECOVER_FROM the heater does not follow its commands at all: a
# full tank, its thermostat open, says nothing of its calibration; taken for a heater fixed, a heater drawing 2.2 times
# its curve was given its gain back at the tank's cut, to swing again the next morning.)
RECOVER_FROM = 0.8
RECOVER_UNDER = 1.2
RECOVER_EVERY_S = 60.0
RECOVER_WINDOW_S = 120.0
MOVES_KEPT = 128  # the decisions whose moves are weighed (the window's, at most this many: two minutes at 1 s)
# Each halving after a recovery waits twice as long as the one before to look again (up to RECOVER_MOST_S): a heater
# that overshoots in part of its range only is not given its gain back every minute, to swing again.
RECOVER_MOST_S = 3600.0

log = logging.getLogger(__name__)


class HuntWatch:
    """The swings of the loads' believed watts, decision after decision."""

    def __init__(self) -> None:
        self._turned_at_w: float | None = None  # where the swing under way started (the last turn)
        self._farthest_w: float | None = None  # how far it has gone
        self._rising: bool | None = None  # its way; None until the first move of TURN_W or more
        self._swings: deque[float] = deque()  # when each swing of SWING_W or more ended, within the window

    def see(self, loads_w: float, now: float, window_s: float = WINDOW_S) -> bool:
        """The loads' believed watts after a decision at `now`. True when the loop hunts: SWINGS swings of SWING_W or
        more ended within `window_s` (the count then starts again)."""
        farthest = self._farthest_w
        if farthest is None or self._turned_at_w is None:
            self._turned_at_w = self._farthest_w = loads_w
            return False
        move_w = loads_w - farthest
        if self._rising is None:
            if abs(move_w) >= TURN_W:
                self._rising, self._farthest_w = move_w > 0, loads_w
            return False
        if move_w == 0 or (move_w > 0) == self._rising:
            self._farthest_w = loads_w if move_w else farthest  # (further the same way: the swing goes on)
            return False
        if abs(move_w) < TURN_W:
            return False
        # Turned back: the swing from the last turn to the farthest point is over.
        swings = self._swings
        while swings and swings[-1] > now:  # (stamped after now: before the wall clock stepped back)
            swings.pop()
        if abs(farthest - self._turned_at_w) >= SWING_W:
            swings.append(now)
        self._turned_at_w, self._farthest_w, self._rising = farthest, loads_w, move_w > 0
        while swings and now - swings[0] > window_s:
            swings.popleft()
        if len(swings) >= SWINGS:
            swings.clear()
            return True
        return False


class LoopHunting:
    """The closed loop's decisions watched for hunting; when it hunts, the decisions wait longer for a house reading,
    and when it hunts still, overshooting, the loop's corrections are halved (down to MIN_GAIN) until its moves show
    on the meter as they are believed again."""

    def __init__(self, gate: DecisionGate, house: MeterState, loop: ClosedLoop | None = None) -> None:
        self._gate = gate
        self._house = house
        self._loop = loop
        self._gain = loop.params.gain if loop is not None else None  # the configured gain, halved ones return to
        self._recover_at: float | None = None  # while halved: when to look whether the gain may come back
        self._recover_every_s = RECOVER_EVERY_S
        self._recovered = False  # the gain came back since the last halving
        # (each decision's time, its house reading, and the variable loads' and the relays' believed watts when that
        # reading was taken: `after_decision`'s `reading`)
        self._moves: deque[tuple[float, float, float, float]] = deque(maxlen=MOVES_KEPT)
        self._watch = HuntWatch()
        self._warned_at: float | None = None
        self._floors: tuple[tuple[Equipment, float], ...] | None = None  # the variable loads' least_on_w (once)

    @property
    def lowered_gain(self) -> float | None:
        """The loop's gain while halved for an overshoot (None: as configured), for the status."""
        return self._loop.params.gain if self._loop is not None and self._recover_at is not None else None

    def after_decision(self, loads: Sequence[Equipment], now: float,
                       reading: tuple[float, float, float] | None = None) -> None:
        """A decision at `now` left `loads` at their believed watts; `reading`: the house reading it was made on, and
        the variable loads' and the relays' believed watts when that reading was taken (before the decision's measures
        and commands)."""
        # A variable load counted above its floor: switching between off and its floor (min_power 800 W, the surplus
        # about it, the meters' noise) is the floor rule's, not the loop's swing; counted, it was taken for hunting, the
        # decisions slowed, and the caused import of a cloudy day went 2.6 times up. (Every decision: the loads' watts
        # summed in a plain loop, the floors taken off after it, the few variable loads' only.)
        floors = self._floors
        if floors is None:
            floors = self._floors = tuple((load, floor_w) for load in loads
                                          if (floor_w := getattr(load, "least_on_w", 0.0)) > 0)
        loads_w = 0.0
        for load in loads:
            loads_w += load.current_power_w
        if reading is not None:
            self._moves.append((now, *reading))
            if self._recover_at is not None and not 0 <= self._recover_at - now <= self._recover_every_s:
                self._recover(now)
        for load, floor_w in floors:
            watts = load.current_power_w
            loads_w -= floor_w if watts > floor_w else watts
        pace_s = self._house.pace_s()
        # (min(WINDOW_S, the paces) by a comparison: on Python 3.11 min()'s call parses its keywords, every decision)
        window_s = WINDOW_S if pace_s is None or not WINDOW_PACES * pace_s < WINDOW_S else WINDOW_PACES * pace_s
        if not self._watch.see(loads_w, now, window_s):
            return
        settle_s = self._gate.settle_s or 0.0
        longer_s = None if pace_s is None else round(PACE_SHARE * pace_s, 2)
        swung = f"the loads' watts swung {SWINGS} times by {SWING_W:.0f} W or more within {window_s:g} s"
        if longer_s is not None and longer_s > settle_s:
            self._gate.wait_longer(longer_s)
            self._warned_at = now
            log.warning("the loop hunts: %s. The house meter may show a command later than [evaluate] settle (%g s) "
                        "allows, or an appliance switches on and off every few seconds: a decision now takes a house "
                        "reading as evidence %g s after a command, until the next start (if it says so again after "
                        "a restart, set settle = %g, or measure how soon the house meter shows a command: python3 -m "
                        "calibration lag; docs/control.md, a meter that shows a command late)",
                        swung, settle_s, longer_s, longer_s)
        elif (overshoot := self._overshoot(now, window_s)) is not None and overshoot >= OVERSHOOT and \
                (gains := self._halve_gain(now)) is not None:
            self._warned_at = now
            log.warning("the loop hunts still: %s, with [evaluate] settle at %g s, the house meter moving %.1f times "
                        "as much as the loads' believed watts: its corrections are halved, gain %g -> %g, until its "
                        "moves show on the meter as believed. A heater that draws far more than its calibration says "
                        "overshoots so (sweep it again: python3 -m calibration sweep), as does an appliance switching "
                        "on and off at every reading or so (docs/control.md, a loop that overshoots)",
                        swung, settle_s, overshoot, *gains)
        elif self._warned_at is None or not 0 <= now - self._warned_at < WARN_AGAIN_S:
            self._warned_at = now
            log.warning("the loop hunts: %s, with [evaluate] settle at %g s (the house meter reads every %s s): an "
                        "appliance that switches on and off every few seconds, a house meter later still, or a "
                        "heater's calibration far from its truth (measure how soon the house meter shows a command: "
                        "python3 -m calibration lag; docs/control.md, a meter that shows a command late)",
                        swung, settle_s, "?" if pace_s is None else f"{pace_s:g}")

    def _overshoot(self, now: float, window_s: float) -> float | None:
        """How many times the variable loads' believed moves the house meter moved, over the decisions of the last
        `window_s`: the least-squares slope of the house reading's move from one decision to the next on the variable
        loads' believed move between the two readings (a decision's commands, and any made between, which the next
        reading shows), leaving out the pairs between which a relay switched or its believed watts changed (a relay's
        step, well labelled, weighed in, had a heater that overshoots given its gain back); None without enough moves.
        About 1 for a loop whose heater draws what its calibration says, whatever else the house does; 2 or more for
        one that overshoots."""
        moves = [move for move in self._moves if 0 <= now - move[0] <= window_s]
        moved_w2 = followed_w2 = 0.0
        for (_, seen_w, believed_w, relays_w), (_, next_seen_w, next_believed_w, next_relays_w) in zip(
                moves, moves[1:], strict=False):
            if abs(next_relays_w - relays_w) >= 0.5:
                continue
            moved_w = next_believed_w - believed_w
            moved_w2 += moved_w * moved_w
            followed_w2 += moved_w * (next_seen_w - seen_w)
        if moved_w2 < SWING_W * SWING_W:
            return None
        return followed_w2 / moved_w2

    def _recover(self, now: float) -> None:
        """While halved: the gain doubled back (up to the configured one) once the loads' moves show on the meter as
        believed, over the last RECOVER_WINDOW_S; else looked at again RECOVER_EVERY_S later."""
        assert self._loop is not None and self._gain is not None
        self._recover_at = now + self._recover_every_s
        moved = self._overshoot(now, RECOVER_WINDOW_S)
        if moved is None or not RECOVER_FROM <= moved < RECOVER_UNDER:
            return
        params = self._loop.params
        gain = min(self._gain, 2.0 * params.gain)
        self._loop.params = replace(params, gain=gain)
        self._recovered = True
        if gain >= self._gain:
            self._recover_at = None
        log.info("the loop's moves show on the house meter %.1f times as believed over the last %.0f s: its "
                 "corrections are doubled back, gain %g -> %g%s", moved, RECOVER_WINDOW_S, params.gain, gain,
                 " (as configured)" if self._recover_at is None else "")

    def _halve_gain(self, now: float) -> tuple[float, float] | None:
        """The loop's gain halved at `now`, down to MIN_GAIN: (before, after); None when it is at MIN_GAIN already (or
        there is no loop to halve)."""
        if self._loop is None:
            return None
        params = self._loop.params
        if params.gain <= MIN_GAIN:
            return None
        halved = max(MIN_GAIN, params.gain / 2.0)
        self._loop.params = replace(params, gain=halved)
        if self._recovered:  # (halved again after its gain came back: the next look waits twice as long)
            self._recover_every_s = min(RECOVER_MOST_S, 2.0 * self._recover_every_s)
            self._recovered = False
        self._recover_at = now + self._recover_every_s
        return params.gain, halved
