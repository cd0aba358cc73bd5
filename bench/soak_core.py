#!/usr/bin/env python3
"""Soak in process: one real regulator for many simulated days, the size of everything it holds sampled.

    python3 bench/soak_core.py [--days 30] [--trace PATH] [--samples 1,10,30]

bench/soak.py runs the daemon and sees its RSS; this one sees inside: one `Regulator` (every field feature on:
Domoticz, Home Assistant, the MQTT forecast, the fallback rules; a variator, a relay, a plug of unknown watts)
replays the shipped day (simulation/traces) day after day, each a day later, with meter noise and lost readings, and
each day 200 messages each unlike any before (bench/soak.py's junk: malformed readings, forces for loads that do
not exist, forecasts for ever new dates, Domoticz and Home Assistant junk, boots of unknown devices), 6 timed forces
from the mode topic and 4 broker reconnects. At each sample day it prints tracemalloc's count (this bench's own
allocations left out), the regulator's own size (every object it reaches, the day's simulated house left out) and
the log lines let through the daemon's flood limiter so far; at the end, every list, dict, set or deque the
regulator reaches whose length grew from the first sample to the last (a learned table filling up to its bound shows
there too: judge each), and the log's most frequent kinds. About 30 s of CPU a simulated day (tracemalloc on).
Exits 0.
"""

from __future__ import annotations

import argparse
import collections
import gc
import logging
import sys
import tempfile
import tracemalloc
import types
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.soak import CONFIG, _junk  # noqa: E402
from core.regulator import Regulator  # noqa: E402
from settings.config import load_settings  # noqa: E402
from shell.loglimit import FloodLimiter  # noqa: E402
from simulation.config import read_sim_config  # noqa: E402
from simulation.house import SimHouse  # noqa: E402
from simulation.record import Belief  # noqa: E402
from simulation.replay import ReplayPublisher, load_trace, run  # noqa: E402

TRACE = ROOT / "simulation" / "traces" / "bsrn-payerne-2016-06-29.csv"
# bench/soak.py's daemon config, for a replay: meters every 2 s (meter_timeout under it), the truth of the house
SIMULATION = """
[simulation]
period = 2
noise_w = 10
lost_readings = 0.01
ecs.response = {root}/calibration/power_calibration_ECS-02.csv
ecs.tank_wh = 9000
radiator.power_w = 1050
towel.power_w = 600
"""


class _Day:
    """The regulator as the replay drives it, the day's other messages and link events handed to it on the way."""

    def __init__(self, reg: Regulator, events: list[tuple[float, str, Any]], limiter: FloodLimiter,
                 clock: list[float]) -> None:
        self.reg, self.loads, self.next_deadline = reg, reg.loads, reg.next_deadline
        self._events, self._limiter, self._clock = collections.deque(sorted(events, key=lambda e: e[0])), limiter, clock

    def _due(self, now: float) -> None:
        while self._events and self._events[0][0] <= now:
            at, kind, message = self._events.popleft()
            self._clock[0] = at
            if kind == "message":
                self.reg.handle(message[0], message[1], at)
            elif kind == "down":
                self.reg.on_disconnected(at)
            else:
                self.reg.on_connected(at)
        self._clock[0] = now
        self._limiter.flush()

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        self._due(now)
        self.reg.handle(topic, payload, now)

    def tick(self, now: float) -> None:
        self._due(now)
        self.reg.tick(now)


def _events(start_s: float, day: datetime, first: int, rng: np.random.Generator) -> list[tuple[float, str, Any]]:
    events: list[tuple[float, str, Any]] = []
    for n in range(first, first + 200):
        junk = _junk(n, day)
        events.append((start_s + float(rng.uniform(0, 86400)), "message", junk[n % len(junk)]))
    for k in range(6):
        at = start_s + float(rng.uniform(0, 86000))
        name = ("ecs", "radiator", "towel")[k % 3]
        force = f'{{"command": "force", "name": "{name}", "power": {(0, 500, 1000)[k % 3]}, ' \
            f'"duration": {600 + 60 * k}}}'
        events.append((at, "message", ("regul/mode", force.encode())))
    for _ in range(4):
        at = start_s + float(rng.uniform(0, 86000))
        events += [(at, "down", None), (at + float(rng.uniform(1, 120)), "up", None)]
    return events


def _lengths(root: object) -> dict[str, int]:
    """Every list, dict, set and deque `root` reaches through attributes and items, by path: its length."""
    found: dict[str, int] = {}
    seen: set[int] = set()

    def visit(obj: object, path: str, depth: int) -> None:
        if id(obj) in seen or depth > 12 or isinstance(obj, (str, bytes, int, float, type, np.ndarray, ReplayPublisher,
                                                             types.ModuleType, logging.Logger)):
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            found[path] = len(obj)
            for key, value in list(obj.items())[:500]:
                visit(value, f"{path}[{str(key)[:24]}]", depth + 1)
        elif isinstance(obj, (list, tuple, set, frozenset, collections.deque)):
            if not isinstance(obj, tuple):
                found[path] = len(obj)
            for i, value in enumerate(list(obj)[:500]):
                visit(value, f"{path}[{'*' if isinstance(obj, (set, frozenset)) else i}]", depth + 1)
        else:
            names = [*getattr(obj, "__dict__", {}),
                     *(s for cls in type(obj).__mro__ for s in getattr(cls, "__slots__", ()))]
            for name in names:
                if hasattr(obj, name) and not callable(value := getattr(obj, name)):
                    visit(value, f"{path}.{name}", depth + 1)

    visit(root, "reg", 0)
    return found


def _size(root: object) -> int:
    """Bytes of every object `root` reaches (gc's referents), functions, classes and the day's house left out."""
    total, seen, stack = 0, set(), [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                                               types.CodeType, logging.Logger, ReplayPublisher)):
            continue
        seen.add(id(obj))
        if isinstance(obj, types.MethodType):
            stack.append(obj.__self__)
            continue
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="simulated days (default 30)")
    parser.add_argument("--trace", default=str(TRACE), help="the day replayed again and again (a June day: no DST)")
    parser.add_argument("--samples", default="1,10,30", help="days measured (default 1,10,30; the last always)")
    args = parser.parse_args(argv)
    samples = {int(day) for day in args.samples.split(",")} | {args.days}
    kinds: collections.Counter[str] = collections.Counter()
    clock = [0.0]
    limiter = FloodLimiter(clock=lambda: clock[0])

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kinds[f"{record.levelname} {record.name} {str(record.msg)[:70]}"] += 1

    counter = Count()
    counter.addFilter(limiter)
    logging.getLogger().handlers[:] = [counter]
    logging.getLogger().setLevel(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="pyseb-soak-core-") as tmp:
        config = Path(tmp) / "config.ini"
        daemon = CONFIG.format(port=1883, dir=tmp, root=ROOT).replace("meter_timeout = 600", "meter_timeout = 10")
        config.write_text(daemon + SIMULATION.format(root=ROOT))
        sim = read_sim_config(config)
        first_day = load_trace(args.trace, sim)
        publisher: list[ReplayPublisher] = []
        reg = Regulator(load_settings(config, daemon_files=False),
                        publish=lambda topic, payload, retain=False: publisher[-1](topic, payload, retain),
                        status_sink=lambda document: publisher[-1].status_document(document))
        rng = np.random.default_rng(7)
        tracemalloc.start()
        measured: dict[int, dict[str, int]] = {}
        print(f"{'day':>4} {'tracemalloc kB':>14} {'peak kB':>8} {'regulator kB':>12} {'log lines':>9}")
        for day in range(1, args.days + 1):
            shift_s = 86400.0 * (day - 1)
            trace = replace(first_day, times_s=first_day.times_s + shift_s, held_until_s=None
                            if first_day.held_until_s is None else first_day.held_until_s + shift_s)
            house = SimHouse.from_config(sim)
            belief = Belief(house.names)
            publisher[:] = [ReplayPublisher(sim.topic_status, house, belief)]
            events = _events(trace.start_s, datetime.fromtimestamp(trace.start_s, trace.tz), 200 * day, rng)
            run(sim, trace, house, belief, _Day(reg, events, limiter, clock), trace.start_s, trace.end_s, sim.period_s)
            if day in samples:
                gc.collect()
                _, peak_b = tracemalloc.get_traced_memory()
                # (this bench's own allocations left out: the lengths kept from each sample, the log's kinds)
                mine = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, __file__),
                                                                  tracemalloc.Filter(False, tracemalloc.__file__)])
                now_b = sum(stat.size for stat in mine.statistics("filename"))
                measured[day] = _lengths(reg)
                print(f"{day:>4} {now_b / 1024:>14.0f} {peak_b / 1024:>8.0f} {_size(reg) / 1024:>12.0f} "
                      f"{sum(kinds.values()):>9}", flush=True)
        first, last = measured[min(measured)], measured[max(measured)]
        print(f"grew from day {min(measured)} to day {max(measured)}:")
        for path in sorted(last):
            if last[path] > first.get(path, 0) and last[path] > 2:
                print(f"  {path}: {' -> '.join(str(measured[d].get(path, '-')) for d in sorted(measured))}")
        print("the log's most frequent kinds:")
        for kind, count in kinds.most_common(12):
            print(f"  {count:>7}  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
