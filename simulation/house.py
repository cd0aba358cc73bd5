"""The simulated house: its loads, their real behaviour, and the commands waiting for the next step."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from simulation.config import SimConfig
from simulation.config_loads import LoadSpec
from simulation.loads import Relay, SimLoad, Tank, VariableHeater
from simulation.oracle import OracleLoad
from simulation.response import read_response

__all__ = ["Clock", "SimHouse", "build_load", "draw_instants"]


class Clock(Protocol):
    """How a replayed day tells its times of day (simulation.trace.Trace.at_clock)."""

    def at_clock(self, text: str, days_later: int = 0) -> float:
        """Epoch seconds of `HH:MM[:SS]` on the day's first day, or `days_later`."""


def draw_instants(draws: Sequence[tuple[float, float]], clock: Clock, start_s: float,
                  end_s: float) -> list[tuple[float, float]]:
    """The draws of each day (seconds since local midnight, Wh) as (epoch s, Wh) from `start_s` to before `end_s`, on
    the day's own clock (a draw at 07:00 on the day the clocks change is at 07:00 on the wall). One before `start_s`
    is none: a replay from 10:00 starts its tank as the config says, the morning's shower already made up."""
    instants: list[tuple[float, float]] = []
    days_later = 0
    # (each day of the clock's that begins before the end: a trace from 12:00 to 12:00 the next day has two)
    while draws and clock.at_clock("00:00", days_later) < end_s:
        for clock_s, energy_wh in draws:
            whole = int(clock_s)
            at = clock.at_clock(f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}", days_later)
            if start_s <= at < end_s:
                instants.append((at, energy_wh))
        days_later += 1
    return sorted(instants)


def build_load(spec: LoadSpec) -> SimLoad:
    """The simulated load a config entry describes (reads its real response CSV)."""
    tank = Tank(spec.tank_wh, loss_w=spec.loss_w, band_wh=spec.band_wh, draws=spec.draws) \
        if spec.tank_wh is not None else None
    if spec.type == "variable":
        assert spec.response_path is not None
        return VariableHeater(spec.name, read_response(spec.response_path), tank)
    assert spec.power_w is not None and spec.payload_on is not None and spec.payload_off is not None
    return Relay(spec.name, spec.power_w, spec.payload_on, spec.payload_off, tank)


class SimHouse:
    """Loads in priority order, reached by command topic. A command takes effect at the next step.

    `receive` may be called from any thread (the demo's device clients); `step` from one thread only.
    """

    def __init__(self, loads: Sequence[SimLoad], topics: Sequence[str],
                 min_power_w: Sequence[float] | None = None,
                 max_power_w: Sequence[float | None] | None = None) -> None:
        self.loads = tuple(loads)
        # The regulator's floor and ceiling for each load (its config, not the load's physics): the oracle keeps them
        # too (a ceiling of None: the load's own top).
        self.min_power_w = tuple(min_power_w) if min_power_w is not None else (0.0,) * len(self.loads)
        self.max_power_w = tuple(max_power_w) if max_power_w is not None else (None,) * len(self.loads)
        self._routes: dict[str, list[SimLoad]] = defaultdict(list)
        for load, topic in zip(self.loads, topics, strict=True):
            self._routes[topic].append(load)
        self._pending: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.commands_received = 0
        # The tanks that give hot water (Tank.draws), drawn at the start of each step of `step(dt_s, at_s)`.
        self._drawn = [load.tank for load in self.loads if load.tank is not None and load.tank.draws]

    @classmethod
    def from_config(cls, config: SimConfig) -> SimHouse:
        """The house a config describes."""
        return cls([build_load(spec) for spec in config.loads], [spec.topic for spec in config.loads],
                   [spec.min_power_w for spec in config.loads],
                   [spec.max_power_w for spec in config.loads])  # (a variable load's only: LoadSpec)

    @property
    def names(self) -> tuple[str, ...]:
        """Load names, in priority order."""
        return tuple(load.name for load in self.loads)

    def listens_to(self, topic: str) -> bool:
        """True if some load takes commands on `topic`."""
        return topic in self._routes

    def receive(self, topic: str, payload: str | bytes) -> None:
        """A command published for the loads; it waits for the next physical step."""
        if topic not in self._routes:
            return
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        with self._lock:
            self._pending.append((topic, text))

    def pending_commands(self) -> int:
        """How many commands wait for the next step."""
        with self._lock:
            return len(self._pending)

    def schedule_draws(self, clock: Clock, start_s: float, end_s: float) -> None:
        """Place the tanks' hot-water draws on a run from `start_s` to `end_s` on `clock`'s days (the trace's local
        time); then each step given its start (`step`'s `at_s`) takes those due."""
        for tank in self._drawn:
            tank.schedule(draw_instants(tank.draws, clock, start_s, end_s))

    def step(self, dt_s: float, at_s: float | None = None) -> tuple[float, ...]:
        """Apply the waiting commands, then run `dt_s` seconds from `at_s`: the real watts of each load. The tanks'
        hot water due by `at_s` is drawn first (none without `at_s`, or before `schedule_draws`)."""
        if at_s is not None:
            for tank in self._drawn:
                tank.take_due(at_s)
        with self._lock:
            pending, self._pending = self._pending, []
        for topic, text in pending:
            self.commands_received += 1
            for load in self._routes[topic]:
                if load.command(text) and load.kind == "variable":
                    break  # one variator per topic; relays on a shared topic each check the payload
        return tuple([load.step(dt_s) for load in self.loads])  # (a list first: cheaper than a generator)

    def levels(self) -> tuple[float, ...]:
        """The command each load holds (percent, or 1/0 for a relay)."""
        return tuple([load.level for load in self.loads])

    def oracle_loads(self) -> list[OracleLoad]:
        """What the oracle knows of the loads as they are now (their real watts, their tanks' room, the hot water their
        tanks will give: after `schedule_draws`)."""
        return [OracleLoad(load.name, load.kind == "variable", load.max_w if cap_w is None else min(load.max_w, cap_w),
                           None if tank is None else max(0.0, tank.capacity_wh - tank.stored_wh), min_w,
                           *((tank.loss_w, tank.capacity_wh, tank.band_wh, tank.cut, tuple(tank.due))
                             if tank is not None else ()))
                for load, tank, min_w, cap_w in zip(self.loads, [load.tank for load in self.loads], self.min_power_w,
                                                    self.max_power_w, strict=True)]
