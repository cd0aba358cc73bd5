"""What one decision leaves behind, as a small value never changed once made: the two meter readings, and per load its
command, the watts the regulator believes it draws, the watts it could still have taken, and the watts it drew in the
reading the decision was made on.

The regulator hands one to each decision listener (the daily report, the day recorder); building it is
the only cost the hot path pays for them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from equipments.base import Equipment

__all__ = ["DecisionListener", "DecisionRecord", "command_level", "is_relay", "snapshot"]


# (Not frozen, though no listener may change one, others keep it: a frozen dataclass's __init__ sets each of its seven
# fields through object.__setattr__, three quarters of a record's cost, at every decision. A record moved in time is a
# new one: dataclasses.replace.)
@dataclass(slots=True, unsafe_hash=True)  # (hashed by its fields, as a frozen one is: days are told apart by them)
class DecisionRecord:
    """One decision: readings it was made on and the state it left each load in (priority order); never changed once
    made (its listeners share it)."""

    time_s: float
    consumption_w: float  # the house meter (base load + loads)
    production_w: float
    command: tuple[float, ...]  # a variator's percent, a relay's 1 or 0
    believed_w: tuple[float, ...]  # what the regulator believes each load draws now
    room_w: tuple[float, ...]  # watts each load could still take (0: full, forced, left out, or at its max)
    # What each load drew in this reading, as far as known: what it was believed to draw when the reading came (the
    # belief the decision before left, or a command's since: a force, a re-probe's hold), or its measure if this
    # reading measured it (a plug of unknown power tried at the watts free for it and found idle drew ~0 W, not its
    # claim: Equipment.observe_consumption). The day's figures count the interval that ends at this reading so, as
    # they count the meters at it: the house is this reading's consumption less these.
    drew_w: tuple[float, ...]


DecisionListener = Callable[[DecisionRecord], None]


def is_relay(load: Equipment) -> bool:
    """True for an on/off load (its command is 1 or 0)."""
    return hasattr(load, "json_on")


def command_level(load: Equipment, relay: bool) -> float:
    """The load's current command as a number: a variator's percent, 1 or 0 for a relay."""
    payload = load.current_command().payload
    if relay:
        return 1.0 if payload == getattr(load, "json_on", None) else 0.0
    try:
        return float(payload)
    except ValueError:
        return 1.0 if load.current_power_w > 0 else 0.0  # a user's class with word commands


def snapshot(now: float, consumption_w: float, production_w: float, loads: Sequence[Equipment],
             relays: Sequence[bool], regulated: Collection[Equipment], drew_w: Sequence[float]) -> DecisionRecord:
    """The record of a decision just made; `regulated` are the loads the allocation could use, `drew_w` what each
    load drew in the reading it was made on (DecisionRecord.drew_w).

    Room: what a load could still take (a relay that is off: its learned or nominal watts)."""
    commands: list[float] = []
    believed: list[float] = []
    room: list[float] = []
    # (by index, rather than zip(strict=True), which parses its keyword at each call on Python 3.11: every decision)
    for i, load in enumerate(loads):
        relay, watts = relays[i], load.current_power_w
        commands.append(command_level(load, relay))
        believed.append(watts)
        if load.forced_power_w is not None or load.overed or load not in regulated:
            room.append(0.0)
        elif relay:
            room.append(0.0 if watts > 0 else float(getattr(load, "learned_power_w", None) or load.max_power_w))
        else:
            # (at 0 W at least, by a comparison in max()'s own order rather than its call, which parses its keywords
            # on Python 3.11: a NaN comes out 0.0 as before)
            room_w = load.max_power_w - watts
            room.append(room_w if room_w > 0.0 else 0.0)
    return DecisionRecord(now, consumption_w, production_w, tuple(commands), tuple(believed), tuple(room),
                          tuple(drew_w))
