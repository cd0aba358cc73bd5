"""Hébert's allocation, faithfully: shed from the lowest priority up when consuming too much, give from
the highest priority down when there is surplus, and let a higher-priority load that cannot start take
power back from lower-priority ones ("recover power"). A load whose draw is in doubt (a heater suspected full, a
variator silent) and whose sheds the house did not follow is shed as the seed sheds it, but the watts its belief gives
up free nothing for sure: the shed goes on up the list for the whole excess."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from equipments.base import Equipment

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AllocationParams:
    """The knobs of the algorithm, in watts."""

    margin_w: float
    balance_threshold_w: float


def _regulated(load: Equipment) -> bool:
    # Forced loads are the user's; full tanks draw nothing whatever we command.
    return not load.is_forced() and not load.overed


def allocate(loads: Sequence[Equipment], consumption_w: float, production_w: float,
             params: AllocationParams, now: float, draws_in_doubt: Collection[str] = ()) -> str:
    """One decision on fresh readings; commands the loads and returns a one-line summary. `draws_in_doubt`: names of
    the loads that may draw nothing whatever they are believed to (FieldFeatures.draws_in_doubt) and whose sheds the
    house did not follow (core/shed_follow.py), see _decrease."""
    target_w = production_w - params.margin_w
    if consumption_w > target_w:  # (sheds())
        excess_w = consumption_w - target_w
        log.debug("decreasing consumption by %.0f W", excess_w)
        _decrease(loads, excess_w, now, draws_in_doubt)
        return f"decrease by {excess_w:.0f} W"
    available_w = target_w - consumption_w
    if available_w < params.balance_threshold_w:
        log.debug("balanced (%.0f W spare, under the %.0f W threshold)", available_w, params.balance_threshold_w)
        return "balanced"
    log.debug("increasing consumption by %.0f W", available_w)
    _increase(loads, available_w, now)
    return f"increase by {available_w:.0f} W"


def sheds(consumption_w: float, production_w: float, params: AllocationParams) -> bool:
    """Whether `allocate` sheds on these readings (the decision asks who is in doubt only then)."""
    return consumption_w > production_w - params.margin_w


def _decrease(loads: Sequence[Equipment], excess_w: float, now: float, draws_in_doubt: Collection[str] = ()) -> None:
    """Shed `excess_w` from the lowest priority up. A load in `draws_in_doubt` is shed too, but what it gives up is
    not counted: a heater whose tank cut, still believed at its watts, took each shed into its phantom watts first
    (the lowest priority), nothing real switched off, and the heater before it kept the house importing until the
    belief reached 0 W (83 W for 20 decisions). Drawing after all, the loads before it are shed for nothing, a relay
    switched off and on again at the next decision; the regulator passes a load here only once the house did not
    follow its sheds (core/shed_follow.py), so that a shed of the meter's noise does not switch a relay at each
    reading for as long as the doubt lasts."""
    for load in reversed(loads):
        if not _regulated(load):
            continue
        freed_w = load.decrease_power_by(excess_w, now)
        if freed_w is None:
            log.debug("%s: effect unknown, waiting for the next measurement", load.name)
            return
        if freed_w and draws_in_doubt and load.name in draws_in_doubt:
            log.debug("%s: %.0f W shed of a belief in doubt (suspected full, or its variator silent): counted as "
                      "none", load.name, freed_w)
            continue
        excess_w -= freed_w
        if excess_w <= 0:
            return
        log.debug("%.0f W left to shed after %s", excess_w, load.name)


def _increase(loads: Sequence[Equipment], available_w: float, now: float) -> None:
    for index, load in enumerate(loads):
        if available_w <= 0:
            return
        if not _regulated(load):
            continue
        left_w = load.increase_power_by(available_w, now)
        if left_w is None:
            log.debug("%s: effect unknown, waiting for the next measurement", load.name)
            return
        if left_w == 0:
            return
        if left_w > 0:
            available_w = left_w
            continue
        # This load needs `-left_w` more than is free: take it from lower priorities if they hold it.
        needed_w = -left_w
        lower = [o for o in loads[index + 1:] if _regulated(o)]
        freeable_w = sum(o.current_power_w for o in lower)
        log.debug("%s needs %.0f W more; lower priorities hold %.0f W", load.name, needed_w, freeable_w)
        if freeable_w < needed_w:
            continue
        freed_w = 0.0
        for other in reversed(lower):
            got_w = other.decrease_power_by(needed_w, now)
            if got_w is None:
                # A load of unknown power was switched off: what it freed shows at the next reading.
                log.debug("%s: freed an unknown power, waiting for the next measurement", other.name)
                return
            freed_w += got_w
            needed_w -= got_w
            if needed_w <= 0:
                break
        result = load.increase_power_by(available_w + freed_w, now)
        if result is None:
            return
        available_w = result
