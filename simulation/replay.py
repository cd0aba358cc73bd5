"""Replay: a trace drives the real decision core in-process, in simulated time (no broker, no sleep).

The trace, its span and the meters' period, read and checked: simulation/replay_inputs.py; the loop, a row per
period: simulation/replay_loop.py.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path
from typing import Any

from core.decisions import is_relay
from core.recheck_probes import ProbeTally
from simulation.config import SimConfig, read_sim_config
from simulation.house import SimHouse
from simulation.metrics import PeriodRow, Summary, summarize
from simulation.record import Belief
from simulation.replay_inputs import (
    SNAP_S,
    ReplayError,
    TracePath,
    clock_option,
    load_trace,
    meter_period,
    replay_range,
)
from simulation.replay_loop import RegulatorLike, run
from simulation.trace import Trace

# (ReplayError, RegulatorLike, load_trace, meter_period and run: defined here before the inputs and the loop moved out;
# the tests, the benchmarks and the docs' examples import them from here still)
__all__ = ["PublishFn", "RegulatorLike", "ReplayError", "ReplayResult", "load_trace", "meter_period", "replay"]

PublishFn = Callable[..., None]  # fn(topic, payload, retain=False)
RegulatorFactory = Callable[[str, PublishFn], RegulatorLike]


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What a replay produced: one row per period and the figures computed from them."""

    trace: Trace
    config: SimConfig
    names: tuple[str, ...]
    rows: list[PeriodRow]
    summary: Summary
    start_s: float
    end_s: float


def real_regulator(config_path: str, publish: PublishFn) -> RegulatorLike:
    """The core's `Regulator`, built from the config file like the daemon does, but for the files only the running
    daemon opens (certificates, status, log, records): none of them is needed to replay the owner's config elsewhere
    than on the Pi."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)  # run from elsewhere than the repository root
    from regulation import Regulator
    from settings.config import load_settings

    # (the replay's own publisher takes each status as its document: no one here reads its JSON)
    sink = publish.status_document if isinstance(publish, ReplayPublisher) else None
    regulator: RegulatorLike = Regulator(load_settings(config_path, daemon_files=False), publish=publish,
                                         status_sink=sink)
    return regulator


def replay(config_path: str | Path, trace_path: TracePath, start_clock: str | None = None,
           end_clock: str | None = None, period_s: float | None = None,
           make_regulator: RegulatorFactory = real_regulator,
           starting: Callable[[float, tzinfo | None], None] | None = None) -> ReplayResult:
    """Replay `trace_path` between two times of day (`HH:MM`) with the loads of `config_path`; `starting` is told
    the replay's start (epoch s) and the day's zone before the regulator is built (the log's clock)."""
    config = read_sim_config(config_path)
    trace = load_trace(trace_path, config)
    dt = meter_period(config, period_s)
    start_s = clock_option(trace, "--from", start_clock, trace.start_s - SNAP_S)
    # (--to at or before the start is the next day's, if the trace has it: `--to 00:00` alone on a day's trace is its
    # end, 24:00; it was its start, and refused naming a --from the user never gave)
    end_s = clock_option(trace, "--to", end_clock, (trace.start_s if start_s is None else start_s) + dt / 2)
    start, end = replay_range(trace, start_s, end_s, dt)
    house = SimHouse.from_config(config)
    belief = Belief(house.names)
    if starting is not None:
        starting(start, trace.tz)
    regulator = make_regulator(str(config_path), ReplayPublisher(config.topic_status, house, belief))
    tally = _probe_tally(regulator)
    rows = run(config, trace, house, belief, regulator, start, end, dt)
    summary = summarize(house.names, rows)
    if tally is not None and len(tally.probes.counts) == len(house.names):
        summary = replace(summary, recheck_probes=tuple(tally.probes.counts))
    return ReplayResult(trace, config, house.names, rows, summary, start, end)


def _probe_tally(regulator: RegulatorLike) -> ProbeTally | None:
    """A listener of the regulator's decisions counting its full tanks' re-check probes (the daily report's rule), or
    None for a regulator that has no decisions to listen to (a benchmark's other algorithm)."""
    listen = getattr(regulator, "add_decision_listener", None)
    loads = getattr(regulator, "loads", None)
    if listen is None or loads is None:
        return None
    tally = ProbeTally([is_relay(load) for load in loads])
    listen(tally)
    return tally


class ReplayPublisher:
    """The regulator's publish function: status documents feed the belief, commands go to the loads. The real
    regulator hands it each status as the document itself (`status_document`, its `status_sink`); another regulator
    (a test's script) publishes it as JSON."""

    def __init__(self, topic_status: str, house: SimHouse, belief: Belief) -> None:
        self._topic_status = topic_status
        self._house = house
        self._belief = belief

    def __call__(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic == self._topic_status:
            self._belief.offer(payload)
        else:
            self._house.receive(topic, payload)

    def status_document(self, document: dict[str, Any]) -> None:
        """A status, as the document the regulator built."""
        self._belief.take_document(document)

