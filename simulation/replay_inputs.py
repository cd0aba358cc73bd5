"""What a replay runs on, read and checked before it starts: the trace (or a recorded day, or its parts), with a note
when its watts pass the regulator's max_meter_power; the span it replays (`--from`, `--to`, the trace's ends), said as
the trace's clock says it; the meters' period. ReplayError for anything a replay cannot run as asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from recording.format import is_record_file
from simulation.config import SimConfig
from simulation.recorded import trace_from_record
from simulation.recorded_part import RecordedPart, read_part
from simulation.trace import Trace, read_trace

TracePath = str | Path | tuple[Path, ...]  # a trace, a recorded day, or the parts of one recorded day


class ReplayError(ValueError):
    """A replay that cannot run as asked (bad time range, period...)."""


def load_trace(path: TracePath, config: SimConfig, read: Callable[[Path], RecordedPart] = read_part) -> Trace:
    """Read a trace with its naive times in the config's `[evaluate] timezone` (or the system's); a
    recorded day (`pyseb-DAY.csv.gz`) is read as a trace too (by `read`), and the parts of one (a sequence of
    paths) as one; noted when its watts pass the regulator's max_meter_power."""
    return _over_max_note(_read_day(path, config, read), config)


def _read_day(path: TracePath, config: SimConfig, read: Callable[[Path], RecordedPart]) -> Trace:
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


def replay_range(trace: Trace, start_s: float | None, end_s: float | None, period_s: float) -> tuple[float, float]:
    """The span replayed (epoch s): the trace's ends where `start_s` or `end_s` is None, one within SNAP_S outside the
    trace taken as its end; ReplayError for a span out of the trace or shorter than `period_s`."""
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
    demo = _demo_config_problem(config)
    if demo is not None:
        raise ReplayError(demo)
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


def _demo_config_problem(config: SimConfig) -> str | None:
    """What to say of a config the live demo wrote for its daemon (`[evaluate] demo_speed` over 1: a kept demo's
    demo.ini), None for another: its times are divided by the demo's speed (meter_timeout 1 s, relays' dwell 20 s), for
    a daemon against the house sped up; the replay runs the house at its own pace. It failed on its meter_timeout
    under the meter period, "give a shorter --period", with no word of the demo; a --period under it replayed a house
    whose waits were a 30th of the daemon's at home."""
    from simulation.demo_config import DEMO_TEMPLATE

    speed = config.demo_speed
    if speed == 1.0:
        return None
    return (f"this config is the live demo's (python3 -m simulation demo wrote it for its daemon, [evaluate] "
            f"demo_speed = {speed:g}): its times are the house's divided by {speed:g} (meter_timeout "
            f"{config.meter_timeout_s:g} s, period {config.decision_period_s:g} s), a replay runs the house at its own "
            f"pace: give the demo's house at that pace, -c {DEMO_TEMPLATE} (the demo's records are of the sped-up "
            "house: no day to tune on; recorded days from a trace: replay --record)")
