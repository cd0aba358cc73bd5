"""The replay loop proper: a trace drives the regulator in simulated time, a row per period.

Each physical period of `period_s` starting at t: the commands published during the previous period
take effect; the loads draw (tanks fill); the consumption meter reads at t (base load + loads), the
production meter at t + period/2 (production interpolated there), each reading handed to the
regulator with `handle` then `tick` at its own time. A heater with a meter of its own (`topic_read_power`) has it
read at t too, just before the house meter, what that heater really drew (with `[simulation] own_meter = after`, just
after the production reading instead, what it drew since the house reading). With `[simulation] actuation = at_once`,
each reading opens a row of half a period: the commands it brings act from it on, and the house meter reads the
loads' draw of the half period before it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from simulation.config import SimConfig
from simulation.house import SimHouse
from simulation.metrics import PeriodRow
from simulation.pzem import PzemMeter
from simulation.record import Belief, Recorder
from simulation.trace import Trace

OWN_AFTER_S = 0.01  # own_meter = after: a heater's own meter reads this long after the production reading (at most)


class RegulatorLike(Protocol):
    """The in-process interface of `regulation.Regulator` the replay drives."""

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        """One MQTT message received at `now`."""

    def tick(self, now: float) -> None:
        """Run due timers."""


def run(config: SimConfig, trace: Trace, house: SimHouse, belief: Belief, regulator: RegulatorLike,
        start_s: float, end_s: float, period_s: float) -> list[PeriodRow]:
    """The replay loop proper, from `start_s` to `end_s` by `period_s`: the rows of every period."""
    count = int((end_s - start_s) / period_s + 1e-9)
    times = start_s + period_s * np.arange(count)
    # Production is sampled mid-period, where the production meter reads (offset by half a period).
    production = trace.production_at(times + period_s / 2).tolist()
    base = trace.house_at(times).tolist()
    half = period_s / 2
    # actuation = at_once: a command decided at a reading acts from that reading on (one decided by a timer between two
    # readings, from the next reading), and each reading opens a row of half a period (a row a period long would
    # average an import and an export into neither); else from the next period's start.
    at_once = config.actuation == "at_once"
    # (the tanks' hot water on the trace's clock, before the oracle is told of it)
    house.schedule_draws(trace, start_s, end_s)
    recorder = Recorder(house.names, house.oracle_loads(), half if at_once else period_s)
    if at_once:
        # Each half period's own house and sun, from its start: a step of the house between a house reading and the
        # production reading shows in the next house reading, not in the one before it; the sun of the half period
        # the house reading opens is the sun then, not the one the production meter reads half a period later.
        base_late = trace.house_at(times + half).tolist()
        production_early = trace.production_at(times).tolist()
    cons_meter, prod_meter = PzemMeter(config.json_power), PzemMeter(config.json_power)
    own = own_meters(regulator, house.names)
    own_before, own_after = (own, []) if config.own_meter == "before" else ([], own)
    # (before the next house reading whatever the jitter: the latest production reading and the earliest house reading
    # are half a period less twice the jitter apart)
    own_after_s = min(OWN_AFTER_S, (half - 2 * config.jitter_s) / 2)
    # (each load's real watts in the last half period and the two before it, for their own meters: at_once)
    last_real = before_real = older_real = (0.0,) * len(house.names)
    topic_cons, topic_prod = config.topic_cons, config.topic_prod
    handle, tick = regulator.handle, regulator.tick
    # The meters' own imperfections (an option): noise on each reading, and readings that never arrive.
    rng = np.random.default_rng(config.seed)
    noise = rng.uniform(-config.noise_w, config.noise_w, (count, 2)).tolist() if config.noise_w > 0 else None
    lost = (rng.random((count, 2)) < config.lost_readings).tolist() if config.lost_readings > 0 else None
    # (drawn after the noise and the losses: a seed's noise and losses stay what they were without it)
    jitter = rng.uniform(-config.jitter_s, config.jitter_s, (count, 2)).tolist() if config.jitter_s > 0 else None
    # With jitter, the timers also run at the regulator's own deadlines, as the daemon's loop wakes for them (a
    # decision that waited for a production reading): at fixed times, such a deadline falls on a reading's tick.
    deadline_of = getattr(regulator, "next_deadline", None) if jitter is not None else None
    ticked_at = -math.inf
    # (at_once: the loads' draw in the last half period and the one before it; nothing commanded before the first)
    last_w = before_w = 0.0
    # meter_lag_s (at_once): the house meter reads the mean draw of the half period that ended that long before it
    # reads, that share of it from the half period before the last.
    lag_share = config.meter_lag_s / half
    for k, now in enumerate(times.tolist()):
        if at_once:  # (the house meter reads the draw before the decision it brings)
            consumption = base[k] + (1.0 - lag_share) * last_w + lag_share * before_w
        else:  # (the commands of the period before act from its start)
            drawn_w, last_real = _step_row(house, belief, recorder, now, production[k], base[k], period_s)
            consumption = base[k] + drawn_w
        if noise is None:  # (no noise: the same readings as adding 0.0, whose -0.0 the meter clamps anyway)
            cons_reading = cons_meter.reading(consumption, period_s)
            prod_reading = prod_meter.reading(production[k], period_s)
        else:
            cons_reading = cons_meter.reading(consumption + noise[k][0], period_s)
            prod_reading = prod_meter.reading(production[k] + noise[k][1], period_s)
        cons_at, prod_at = (now, now + half) if jitter is None else (now + jitter[k][0], now + half + jitter[k][1])
        if deadline_of is not None:
            _tick_at_deadline(deadline_of, tick, ticked_at, cons_at)
        # (a heater's own meter read exactly, never lost: what the house meter's fate does to a decision)
        for index, topic, meter in own_before:
            own_w = (1.0 - lag_share) * last_real[index] + lag_share * before_real[index] if at_once else \
                last_real[index]
            handle(topic, meter.reading(own_w, period_s).encode(), cons_at)
        if lost is None or not lost[k][0]:
            handle(topic_cons, cons_reading.encode(), cons_at)
        tick(cons_at)
        if at_once:  # (what the house reading's decision commanded acts from it on)
            before_w, before_real = last_w, last_real
            last_w, last_real = _step_row(house, belief, recorder, now, production_early[k], base[k], half)
        if deadline_of is not None:
            _tick_at_deadline(deadline_of, tick, cons_at, prod_at)
        if lost is None or not lost[k][1]:
            handle(topic_prod, prod_reading.encode(), prod_at)
        tick(prod_at)
        ticked_at = prod_at
        if at_once:  # (and what the production reading's did)
            before_w, before_real, older_real = last_w, last_real, before_real
            last_w, last_real = _step_row(house, belief, recorder, now + half, production[k], base_late[k], half)
        if own_after:
            own_at = prod_at + own_after_s
            if deadline_of is not None:  # (a deadline in those 10 ms: ticked after the reading, its time stepped back;
                # one at the reading's very time too, which the next reading's window, open at own_at, leaves out)
                _tick_at_deadline(deadline_of, tick, prod_at, math.nextafter(own_at, math.inf))
                ticked_at = own_at
            for index, topic, meter in own_after:  # (what the heater drew since the house reading, lagged as the house
                # meter is; at_once: the half period to the production reading)
                own_w = (1.0 - lag_share) * before_real[index] + lag_share * older_real[index] if at_once else \
                    last_real[index]
                handle(topic, meter.reading(own_w, period_s).encode(), own_at)
    return recorder.rows()


def own_meters(regulator: RegulatorLike, names: Sequence[str]) -> list[tuple[int, str, PzemMeter]]:
    """The simulated loads whose own meter the regulator reads (a heater's `topic_read_power`, as the daemon's load
    took it from the config): their index in `names`, the meter's topic, and a meter writing its `json_read_power`.
    Without them a heater with one had its tank inferred from the house meter in a replay, where the daemon watches
    it with its own meter (a seed user's `smeter/pzem/ECS`), and the replay warned that meter silent."""
    meters = []
    for load in getattr(regulator, "loads", ()):
        topic = getattr(load, "topic_read_power", None)
        if topic and load.name in names:
            meters.append((names.index(load.name), topic, PzemMeter(getattr(load, "json_read_power", "power"))))
    return meters


def _step_row(house: SimHouse, belief: Belief, recorder: Recorder, at: float, production_w: float, base_w: float,
              dt_s: float) -> tuple[float, tuple[float, ...]]:
    """The commands waiting take effect at `at`, the loads draw for `dt_s` (a period, or half of one with actuation =
    at_once), recorded as a row; the loads' real watts together, and each one's."""
    # The belief in force is the one of the decision whose commands take effect now.
    commanded = belief.watts()
    real = house.step(dt_s, at)
    drawn_w = sum(real)
    recorder.add(at, production_w, base_w + drawn_w, house.levels(), commanded, real)
    return drawn_w, real


def _tick_at_deadline(deadline_of: Callable[[], float | None], tick: Callable[[float], None], after: float,
                      before: float) -> None:
    """Run the regulator's timers at its next deadline if that comes between the last tick, at `after`, and the next
    reading, at `before` (one already past is the timers' to clear at the next tick, as the daemon's loop does)."""
    deadline = deadline_of()
    if deadline is not None and after < deadline < before:
        tick(deadline)
