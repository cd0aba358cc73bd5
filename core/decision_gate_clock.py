"""The commands' times on the readings' clock, for the decision gate (core/decision_gate.py): a wall clock that
jumped forward or stepped back, and commands that went out late (their message waited in the queue), move the commands
sent so far, the last house reading, the last decision and a wait for the production reading, so that a reading's
distance from the last command stays what it was. A mixin of DecisionGate, which sets the state it declares: apart
from the rules of when to decide, for the clock's corner cases are a job of their own."""

from __future__ import annotations

from collections.abc import Sequence

from equipments.base import Equipment


class GateClock:
    """The part of DecisionGate that keeps the commands' and readings' times across the wall clock's steps."""

    # The gate's state these use (set by DecisionGate.__init__, which says what each is).
    _last_decision_at: float | None
    _moved: dict[int, tuple[float, float]]
    waiting_until: float | None
    _wait_from: float
    _house_at: tuple[int, float]

    def clock_stepped_forward(self, step_s: float, loads: Sequence[Equipment]) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (NTP): the last decision and the commands
        sent so far keep their distance from the next readings. Else the first reading after the jump was decided on
        at once, `period` or not, even taken before the last command could show in it (the loop corrected it again)."""
        if self._last_decision_at is not None:
            self._last_decision_at += step_s
        if self.waiting_until is not None:
            self.waiting_until += step_s
            self._wait_from += step_s
        self._house_at = (self._house_at[0], self._house_at[1] + step_s)
        self._move_commands(step_s, loads, None)

    def clock_stepped_back(self, step_s: float, now: float, loads: Sequence[Equipment], measured: bool = False) -> None:
        """The wall clock stepped back by `step_s` (NTP correcting a Pi's clock), `now` the time after the step: a
        command sent before it is that much earlier than its stamp says, as the readings after it are stamped. Its
        stamp kept, the next readings were "older" than it: under CLOCK_STEP_BACK_S before it, none was evidence until
        the clock reached it again (a step of 5 s held the decisions 6 s with `settle` 1; one of a minute, with no
        command since, held them 14 s, 50 s after the step, once the readings came within 10 s of the stamp); and a
        reading more than that before it was taken for a clock stepped back, whatever came since (the first reading
        after the step, within `settle` of the last command, was decided on; a heater moved after the step, then a
        relay's switch from before it the latest by stamp, and the reading after the heater's move was decided on).

        `measured`: told by the shell's steady clock, at its pass before each event and the timers (shell/daemon.py),
        `step_s` exact and every command so far sent before the step: all of them are moved, the last house reading, the
        last decision (its `period`) and a wait for the production reading too. (The house reading kept at its stamp,
        one 0.2 s after a force, before a step of a second, was "1.2 s after" the force moved: the next production
        reading's decision was taken on it; the stale guard restarts its stamp at a step over 10 s, at the first message
        after it, as far or further from the force.) Moving only those stamped after `now` (sent within the step's
        length before it) left a command sent 1.6 s before a step of 1.5 s at its stamp, "0.1 s before" the step: the
        reading 2 s after it, stamped 0.5 s after it, was no evidence with `settle` 1; and the last decision's stamp,
        the next reading 0.5 s after it by the clock, held that reading back by `period` (a reading lost, 4 s between
        decisions).

        Else (the core seeing the readings' stamps go back over CLOCK_STEP_BACK_S, Regulator._follow_clock) `step_s` is
        the step's length or less (measured from the last time seen before it, the time between the two not counted), so
        only a command (and the house reading) stamped after `now` is moved, to as far before `now` as the step says: a
        command moved is never taken for earlier than it was; one stamped before `now` (sent the step's length or more
        before it) is left, which can only make its wait longer, and so is one sent after the step. Told twice of one
        step (the shell's steady clock, then the core seeing the readings' stamps go back), it is moved once: moved by
        the shell, every command is dated at the step's time or before it on the new clock, none after the core's `now`.
        (A step in the milliseconds an event takes, one the core is handed the new clock for by the shell's own reading
        of it, a connect's start, has that event's commands moved by it too: a reading within `settle` of them, at most,
        taken for evidence.)"""
        if self.waiting_until is not None and (measured or self._wait_from > now):  # (a wait started before the step)
            self.waiting_until -= step_s
            self._wait_from -= step_s
        if measured and self._last_decision_at is not None:
            self._last_decision_at -= step_s
        if measured or self._house_at[1] > now:  # (the last house reading, as a command: its distance from them kept)
            self._house_at = (self._house_at[0], self._house_at[1] - step_s)
        self._move_commands(-step_s, loads, None if measured else now)

    def commands_sent_late(self, stamp: float, late_s: float, loads: Sequence[Equipment]) -> None:
        """The commands just stamped `stamp` (a message's date: the message waited in the queue, the main loop held
        up) went out `late_s` after it: on the readings' clock they were sent then, so a house reading received before
        they went, dated after `stamp` by `settle` or more, is no evidence of them. (Dated with the message instead,
        such readings would make a meter's last reading seconds older than it was, cut as silent, and be taken by the
        core for a clock stepped back.) The commands keep their stamp, as a clock's step moves them."""
        self._move_commands(late_s, [load for load in loads if load.last_command_at == stamp], None)

    def _move_commands(self, step_s: float, loads: Sequence[Equipment], after: float | None) -> None:
        """Each load's last command sent `step_s` later on the readings' clock (those stamped after `after` only, when
        given, as they are now moved)."""
        moved = self._moved
        for load in loads:
            at = load.last_command_at
            if at is None:
                continue
            kept = moved.get(id(load))
            before_s = kept[1] if kept is not None and kept[0] == at else 0.0  # (no command of it since the last move)
            if after is None or at + before_s > after:
                moved[id(load)] = (at, before_s + step_s)

    def _latest_command(self, loads: Sequence[Equipment]) -> tuple[float, float] | None:
        """The latest command of any of `loads`, as (when it was sent, on the readings' clock; its stamp), or None.
        Latest on the readings' clock: after a step back, a command sent since is later than one from before it, though
        stamped earlier."""
        moved = self._moved
        if not moved:
            at = latest_command_at(loads)
            return (at, at) if at is not None else None
        latest = None
        for load in loads:
            at = load.last_command_at
            if at is None:
                continue
            sent_at = at
            kept = moved.get(id(load))
            if kept is not None:
                if kept[0] == at:
                    sent_at += kept[1]
                else:
                    del moved[id(load)]  # (commanded since, on the readings' clock; all so, the plain way again)
            if latest is None or sent_at > latest[0]:
                latest = (sent_at, at)
        return latest


def latest_command_at(loads: Sequence[Equipment]) -> float | None:
    """When the latest command of any of `loads` was published (None: none yet)."""
    latest = None
    for load in loads:  # (a plain loop, cheaper than max() on a generator: this runs at each decision)
        at = load.last_command_at
        if at is not None and (latest is None or at > latest):
            latest = at
    return latest
