"""The oracle: the most surplus a regulator keeping the priority order could have given the loads.

It knows everything at once (the real surplus, the real watts of every load, the tanks' room) and acts
instantly. Each period the loads, in priority order, take what surplus is left without any import: a
variable load from its `min_power` (less, the regulator never gives it: the triac misfires) up to the
highest point of its measured response or its `max_power` (more, the regulator never gives it), a relay
only when what is left covers it whole. Tanks fill as they go, so a tank filled early stops taking later,
as in the house; one that loses heat (`loss_w`) takes again once its thermostat closes, `band_wh` after its cut, as
in the house: no regulator can make it draw sooner. A tank that gives hot water (`draws`) loses each draw at the first
period starting at or after it, as in the house, and closes its thermostat as the house's does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["OracleLoad", "allocate"]


@dataclass(frozen=True, slots=True)
class OracleLoad:
    """What the oracle knows of one load: its kind, its real watts, its tank's room."""

    name: str
    variable: bool  # True: takes any watts from min_w up to max_w; False: a relay, all of max_w or nothing
    max_w: float
    tank_room_wh: float | None = None  # energy the tank can still take at the start; None: no tank
    min_w: float = 0.0  # a variable load's min_power: less than this it gets nothing
    # A tank that loses heat (simulation.loads.Tank): what it loses, its room when full (capacity_wh), the thermostat's
    # hysteresis, and whether it is cut at the start. (loss_w 0: a tank once full stays so.)
    loss_w: float = 0.0
    capacity_wh: float = 0.0
    band_wh: float = 0.0
    cut: bool = False
    # Hot water the tank gives (simulation.loads.Tank.due): (epoch s, Wh), in order; allocate's `times_s` places them.
    draws: tuple[tuple[float, float], ...] = ()


def allocate(surplus_w: Iterable[float], loads: Sequence[OracleLoad], period_s: float,
             times_s: Sequence[float] | None = None) -> list[tuple[float, ...]]:
    """Watts given to each load in each period of `period_s`, for the surplus (PV - house) of each period; `times_s`,
    each period's start (epoch s), places the tanks' hot-water draws (needed when a load has some)."""
    room_wh = [load.tank_room_wh for load in loads]
    cut = [load.tank_room_wh is not None and (load.cut or load.tank_room_wh <= 0) for load in loads]
    hours = period_s / 3600.0
    given: list[tuple[float, ...]] = []
    # (the loads whose tank gives hot water)
    drawn = [i for i, load in enumerate(loads) if load.draws and load.tank_room_wh is not None]
    periods = surplus_w
    if drawn:
        if times_s is None:
            raise ValueError("the oracle needs each period's time to place the tanks' hot-water draws")
        # (each period's surplus comes after its draws are taken, as the house's tank takes them at the step's start;
        # without draws the surplus as given: no cost per period)
        periods = _after_draws(surplus_w, times_s, loads, drawn, room_wh, cut)
    for surplus in periods:
        left = surplus
        row: list[float] = []
        for i, load in enumerate(loads):
            take = 0.0
            room = room_wh[i]
            if room is not None and load.loss_w > 0.0:
                # (as the house's tank: the loss first, which may close the thermostat for this period)
                room = room + load.loss_w * hours
                room = load.capacity_wh if room > load.capacity_wh else room
                room_wh[i] = room
                if cut[i] and room >= load.band_wh:
                    cut[i] = False
            if left > 0 and not cut[i]:
                # (the smaller ones by comparisons in min()'s own order: its call parses its keywords on Python 3.11,
                # and the oracle weighs every load at every period)
                if load.variable:
                    take = load.max_w if load.max_w < left else left
                    if take < load.min_w:
                        take = 0.0
                elif left >= load.max_w:
                    take = load.max_w
                if room is not None:
                    # The thermostat cuts mid-period: the mean watts of that period are what fitted.
                    fits_w = room / hours
                    if fits_w <= take:
                        take, cut[i] = fits_w, take > 0.0
                    room_wh[i] = room - take * hours
                left -= take
            row.append(take)
        given.append(tuple(row))
    return given


def _after_draws(surplus_w: Iterable[float], times_s: Sequence[float], loads: Sequence[OracleLoad], drawn: list[int],
                 room_wh: list[float | None], cut: list[bool]) -> Iterator[float]:
    """Each period's surplus, once the draws due at its start (`times_s`) are taken from the `drawn` loads' tanks (as
    the house's: at the first period starting at or after each, before the period's loss): a tank's room grows by
    each, up to the whole tank, and its thermostat closes once the room is its band or more."""
    next_draw = dict.fromkeys(drawn, 0)
    for now_s, surplus in zip(times_s, surplus_w, strict=True):
        for i in drawn:
            load, j, room = loads[i], next_draw[i], room_wh[i]
            while j < len(load.draws) and load.draws[j][0] <= now_s and room is not None:
                room = room + load.draws[j][1]
                room = load.capacity_wh if room > load.capacity_wh else room
                if cut[i] and room >= load.band_wh:
                    cut[i] = False
                j += 1
            room_wh[i], next_draw[i] = room, j
        yield surplus
