"""Replay: a trace drives the real decision core in-process, in simulated time (no broker, no sleep).

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
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from recording.format import RecordedDay, is_record_file, read_record
from simulation.config import SimConfig, read_sim_config
from simulation.house import SimHouse
from simulation.metrics import PeriodRow, Summary, summarize
from simulation.pzem import PzemMeter
from simulation.record import Belief, Recorder
from simulation.recorded import trace_from_record
from simulation.trace import Trace, read_trace

__all__ = ["PublishFn", "RegulatorLike", "ReplayError", "ReplayResult", "load_trace", "meter_period", "replay"]

PublishFn = Callable[..., None]  # fn(topic, payload, retain=False)
TracePath = str | Path | tuple[Path, ...]  # a trace, a recorded day, or the parts of one recorded day
OWN_AFTER_S = 0.01  # own_meter = after: a heater's own meter reads this long after the production reading (at most)


class RegulatorLike(Protocol):
    """The in-process interface of `regulation.Regulator` the replay drives."""

    def handle(self, topic: str, payload: bytes, now: float) -> None:
        """One MQTT message received at `now`."""

    def tick(self, now: float) -> None:
        """Run due timers."""


RegulatorFactory = Callable[[str, PublishFn], RegulatorLike]


class ReplayError(ValueError):
    """A replay that cannot run as asked (bad time range, period...)."""


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


def load_trace(path: TracePath, config: SimConfig, read: Callable[[Path], RecordedDay] = read_record) -> Trace:
    """Read a trace with its naive times in the config's `[evaluate] timezone` (or the system's); a
    recorded day (`pyseb-DAY.csv.gz`) is read as a trace too (by `read`), and the parts of one (a sequence of
    paths) as one; noted when its watts pass the regulator's max_meter_power."""
    return _over_max_note(_read_day(path, config, read), config)


def _read_day(path: TracePath, config: SimConfig, read: Callable[[Path], RecordedDay]) -> Trace:
    """The day `path` holds, read as load_trace says (without its note)."""
    try:
        tz = ZoneInfo(config.timezone) if config.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        raise ReplayError(f"{config.path}: [evaluate] timezone: unknown time zone {config.timezone!r}") from None
    if not isinstance(path, (str, Path)):
        if len(path) == 1:
            return _read_day(path[0], config, read)
        if not all(is_record_file(part) for part in path):
            raise ReplayError(f"{' + '.join(map(str, path))}: only the parts of a recorded day replay as one")
        return trace_from_record(path, tz, config, read)
    if Path(path).is_dir():
        raise ReplayError(f"{path}: a folder; replay takes one day: a trace, or a recorded day's file in it "
                          "(pyseb-YYYY-MM-DD.csv.gz); tune and report take a folder, for all its days")
    if is_record_file(path):
        return trace_from_record(path, tz, config, read)
    return read_trace(path, tz)


def _over_max_note(trace: Trace, config: SimConfig) -> Trace:
    """`trace`, with a note when its watts pass the regulator's max_meter_power: those readings are refused as
    glitches, and a trace all over it (in mW, or a bigger site) replayed into a table of 0 % captures, nothing said."""
    limit_w = config.max_meter_power_w
    top_w = max(float(trace.production_w.max(initial=0.0)), float(trace.house_w.max(initial=0.0)))
    if top_w <= limit_w:
        return trace
    over = int(np.count_nonzero((trace.production_w > limit_w) | (trace.house_w > limit_w)))
    note = (f"{trace.path}: {over} of {len(trace.times_s)} rows pass [evaluate] max_meter_power ({limit_w:g} W; up to "
            f"{top_w:.0f} W): the regulator refuses such readings as a meter's glitches; milliwatts? The columns are "
            "watts. A site that big: raise max_meter_power in the config")
    return replace(trace, notes=(*trace.notes, note))


# A --from or --to this close outside the trace means its end: a recorded day starts at its first decision
# (00:00:01, say), and `--from 00:00` asks for the whole of it.
SNAP_S = 60.0
# The shortest meter period a replay takes: a day at 0.1 s is 864 000 readings, half a minute of replay; shorter
# asked for hours, or for more memory than any machine has, where no meter PySEB reads reports that often.
MIN_METER_PERIOD_S = 0.1


def when_said(trace: Trace, time_s: float) -> str:
    """`HH:MM`, or `HH:MM:SS` when the seconds matter (a recorded day covers 00:00:01 to 23:59:59); `(next day)` after
    it on the day after the trace's first (a trace from 12:00 to 12:00 the next day)."""
    shown = trace.said(time_s)
    if shown == "24:00":
        return shown
    days = (datetime.fromtimestamp(time_s, trace.tz).date() - datetime.fromtimestamp(trace.start_s, trace.tz).date()
            ).days
    return shown if days == 0 else f"{shown} (next day)" if days == 1 else f"{shown} ({days:+d} days)"


def _range(trace: Trace, start_s: float | None, end_s: float | None, period_s: float) -> tuple[float, float]:
    start = trace.start_s if start_s is None else start_s
    end = trace.end_s if end_s is None else end_s
    if trace.start_s - SNAP_S <= start < trace.start_s:
        start = trace.start_s
    if trace.end_s < end <= trace.end_s + SNAP_S:
        end = trace.end_s
    if start < trace.start_s or not trace.start_s <= end <= trace.end_s + 1e-6:
        raise ReplayError(f"{trace.path}: the trace covers {when_said(trace, trace.start_s)} to "
                          f"{when_said(trace, trace.end_s)}; asked {when_said(trace, start)} to "
                          f"{when_said(trace, end)}")
    if end - start < period_s:
        start_said = when_said(trace, start)
        where = f"--from {start_said}" if start_s is not None else f"the trace's start, {start_said},"
        raise ReplayError(f"{where} must come at least one period ({period_s:g} s) before --to {when_said(trace, end)}")
    return start, end


def clock_option(trace: Trace, option: str, text: str | None, not_before_s: float) -> float | None:
    """The instant of `text` in the trace: on its first day, or on the next when that one is before `not_before_s`
    and in the trace (a trace from 20:00 to 20:00 the next day: `--from 06:00` is the morning after; `--to 02:00`
    after `--from 20:00` the night after; tune's daylight window of such a day was refused)."""
    if not text:
        return None
    try:
        at = trace.at_clock(text)
        if at < not_before_s and (later := trace.at_clock(text, days_later=1)) <= trace.end_s + SNAP_S:
            return later
        if trace.start_s - SNAP_S <= at < not_before_s and trace.end_s > trace.at_clock("24:00") + SNAP_S:
            # In a trace that has a next day, but before the --from: the next day's by the rule above, which the trace
            # does not reach (12:00 to 12:00, --from 06:00 --to 18:00). Its first day's said "--from 06:00 must come at
            # least one period before --to 18:00"; the next day's is said out of the trace. (In a trace of one day, a
            # --to before the --from is a slip, said so.)
            return later
        return at
    except ValueError as exc:
        raise ReplayError(f"{option}: {exc}") from None


def meter_period(config: SimConfig, period_s: float | None) -> float:
    """The seconds between two readings of a meter: `period_s`, else `[simulation] period`; ReplayError for one
    not under meter_timeout, which the daemon would take for a silent meter between two readings (every load off
    until the next; at meter_timeout itself, whenever a reading comes late). The replay, whose only ticks come with
    the readings, would not show that: at twice meter_timeout it diverted nothing ("capture 0.0 %"), and below
    that it showed a regulation the daemon would not give."""
    dt = config.period_s if period_s is None else period_s
    if not dt > 0:
        raise ReplayError(f"the period must be > 0 s, got {dt}")
    if dt < MIN_METER_PERIOD_S:
        raise ReplayError(f"a meter period of {dt:g} s is under {MIN_METER_PERIOD_S:g} s: no meter PySEB reads reports "
                          "that often, and a day's replay would take hours, or more memory than the machine has; "
                          f"give {MIN_METER_PERIOD_S:g} s or more")
    if dt >= config.meter_timeout_s:
        raise ReplayError(f"a meter period of {dt:g} s is not under [evaluate] meter_timeout "
                          f"({config.meter_timeout_s:g} s): the regulator would take the meters for silent between "
                          "two readings and switch the loads off; give a shorter --period (or [simulation] period), "
                          "or a meter_timeout above it (as the daemon needs with meters that slow)")
    if config.meter_lag_s > dt / 2:
        raise ReplayError(f"[simulation] meter_lag_s = {config.meter_lag_s:g} s is over half the meter period "
                          f"({dt:g} s): the replay's house meter reads a half period's mean at most that late")
    if config.jitter_s >= dt / 4:
        raise ReplayError(f"[simulation] jitter_s = {config.jitter_s:g} s is not under a quarter of the meter period "
                          f"({dt:g} s): each meter's readings would change their order")
    return dt


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
    start, end = _range(trace, start_s, end_s, dt)
    house = SimHouse.from_config(config)
    belief = Belief(house.names)
    if starting is not None:
        starting(start, trace.tz)
    regulator = make_regulator(str(config_path), ReplayPublisher(config.topic_status, house, belief))
    rows = run(config, trace, house, belief, regulator, start, end, dt)
    return ReplayResult(trace, config, house.names, rows, summarize(house.names, rows), start, end)


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
