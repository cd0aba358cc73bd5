"""The loads' forces over time, for the regulator: at the start, the forces restored from a saved status applied
(every other load commanded to 0); a timed force that has run its time ended; the wall clock stepping back under
timed forces; a regul/mode command taken."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from equipments.base import FORCED_BY_USER, Equipment
from equipments.modes import ModeCommandError, apply_mode_command, parse_mode_command

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("core.regulator")


def start_loads(loads: Sequence[Equipment], now: float) -> None:
    """Command every load to 0 W, a load with a restored force to that force (once, at the start)."""
    for load in loads:
        forced_w = load.forced_power_w
        if forced_w is not None:
            # Straight to its restored force: a 0 first would click a forced-on contactor off and on at
            # every restart (and every turn of a crash loop).
            remaining_s = None if load.force_end_at is None else load.force_end_at - now
            fixed = load.force_end_fixed  # (its end a time of the clock as set: kept so by the force made again here)
            if remaining_s is not None and remaining_s <= 0:
                # Restored at the start, applied at the first connect: a force that ended while the broker
                # did not answer yet switched the load on here, and off at the next tick (a contactor's click).
                log.info("%s: its restored force ended while waiting for the broker: not forced", load.name)
            elif load.force(forced_w, remaining_s, now, "forced state restored",
                            by=load.forced_by or FORCED_BY_USER):
                load.force_end_fixed = fixed
                continue
            else:
                log.warning("%s: its restored force could not be published: not forced", load.name)
            load.forced_power_w = load.force_end_at = load.forced_by = None
        load.set_power(0.0, now, "start")


def expire_forces(loads: Sequence[Equipment], now: float, forcer: Callable[[str | None], str]) -> bool:
    """End every timed force that has run its time at `now` (`forcer`: who forced, as the log says it); True if
    one did."""
    changed = False
    for load in loads:
        if load.force_end_at is not None and now >= load.force_end_at:
            # (said on its own: the unforce logs only a change of watts, none for a force at 0 W)
            log.info("%s: the force at %.0f W by %s has run its time: back to the regulation", load.name,
                     load.forced_watts(load.forced_power_w or 0.0), forcer(load.forced_by))
            load.unforce(now, "force expired")
            changed = True
    return changed


def keep_forces_lengths(loads: Sequence[Equipment], step_s: float) -> None:
    """The wall clock stepped back by about `step_s` (NTP, set by hand): a timed force keeps the time it had
    left, rather than running `step_s` longer (an hour's step kept the heater forced from the grid an hour
    more). (A step forward ends one early: the safe side.)"""
    timed = [load for load in loads if load.force_end_at is not None]
    for load in timed:
        assert load.force_end_at is not None
        load.force_end_at -= step_s
    log.warning("the clock stepped back by %.0f s%s", step_s,
                f": timed forces ({', '.join(load.name for load in timed)}) keep the time they had left"
                if timed else "")


def keep_forces_off_lengths(loads: Sequence[Equipment], step_s: float) -> None:
    """The wall clock jumped forward by `step_s` with no time passing (NTP setting a Pi's clock): a timed force to
    0 W keeps the time it had left. Its end, taken on the clock before the jump (a Pi booted on 1970), was that much
    behind the clock as set, and a load forced off came back on the sun at the next tick. A force on still ends that
    much earlier: the jump is no time of it drawn, and a force from the grid ended early is the safe side. An end that
    is a time of the clock as set (`force_end_fixed`: restored from a file dated ahead of the clock) ends at its own
    time: moved by the jump too, a vacation's 0 W force restored on a Pi booted on 1970 was kept 56 years (the heater
    never heated again until unforced), and one restored on a clock chip reset to 2000 as long."""
    off = [load for load in loads if load.force_end_at is not None and load.forced_power_w == 0
           and not load.force_end_fixed]
    for load in off:
        assert load.force_end_at is not None
        load.force_end_at += step_s
    for load in loads:
        load.force_end_fixed = False  # (the clock is set now: every end from here on is on it)
    if off:
        log.info("timed forces to 0 W (%s) keep the time they had left", ", ".join(load.name for load in off))


def take_mode_command(payload: bytes, loads_by_name: Mapping[str, Equipment], now: float, topic_mode: str) -> bool:
    """A message on the mode topic: the force or unforce it asks carried out; True if one was (False: refused,
    logged, nothing asked, or an unforce of a load not forced: no status for it, a stranger's flood of them published
    a whole status document each)."""
    if not payload.strip():
        # An empty message is how a retained command is cleared (`mosquitto_pub -r -n`, the README's
        # way): the broker delivers it to subscribers, and it asks nothing.
        log.debug("mode topic: an empty message (a retained command cleared): nothing to do")
        return False
    try:
        command = parse_mode_command(payload, loads_by_name)
    except ModeCommandError as exc:
        # (limited per reason: under the message alone, five refusals a minute hid a sixth for another reason, and a
        # user fixing a command by trial and error saw nothing; the reasons are the code's, a bounded few)
        log.warning("mode command refused: %s", exc, extra={"limit_key": exc.reason})
        return False
    return apply_mode_command(command, loads_by_name[command.name], now, FORCED_BY_USER, topic_mode)
