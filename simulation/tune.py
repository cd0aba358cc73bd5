"""`python3 -m simulation tune`: replay days over a grid of control settings on every core, and pick
the best setting under the user's limits.

Each replay covers the day's daylight (first to last PV reading > 0, a quarter of an hour more each
side): at night no setting can divert anything, and skipping it halves the work. The choice from the replays' figures
(the best setting, the notes, the table): simulation/tune_choice.py."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from multiprocessing.context import BaseContext
from pathlib import Path

import numpy as np

from localbroker import die_with_parent
from recording.days import PARTS_WHY, day_of_file, day_parts, part_of_file
from recording.format import RecordedDay
from shell.stop_signals import stop_signals_held
from simulation.config import read_sim_config
from simulation.metrics import Summary
from simulation.recorded_part import RecordedPart, read_part, recorded_part
from simulation.replay import replay
from simulation.replay_inputs import load_trace

__all__ = ["Window", "day_groups", "day_read", "day_window", "daylight", "run_grid"]

DAYLIGHT_PAD_S = 900.0
STOP_WAIT_S = 5.0  # a stopped worker's time to end before it is killed


@dataclass(frozen=True, slots=True)
class Window:
    """The part of a day to replay."""

    day: tuple[Path, ...]  # its file, or the parts of one recorded day (replayed as one)
    start: str | None  # HH:MM:SS, None: the trace's start
    end: str | None
    notes: tuple[str, ...] = ()  # the trace's own (a recording's gaps), for tune's output
    file_span: tuple[str, str] = ("", "")  # HH:MM:SS where the file starts and where it ends (24:00:00: midnight)

    @property
    def label(self) -> str:
        """The day's files, for the output."""
        return " + ".join(str(part) for part in self.day)

    def said(self) -> str:
        """The window in words, for tune's list of days: where the file's own start or end bounds it (a recording
        stopped before sunset), said so; it read "20:28:22 to end"."""
        first, last = self.file_span
        if self.start is None and self.end is None:
            return f"{first} to {last}, the whole file (little or no sun in it)"
        start = (f"{self.start}, where the file starts (the sun already up)," if self.start == first
                 else f"{self.start}")
        end = f"{last}, where the file ends (the sun still up)" if self.end is None else self.end
        return f"{start} to {end}"



def daylight(config: Path, day: tuple[Path, ...], step_s: float,
             read: Callable[[Path], RecordedPart] = read_part, shown_as: Path | None = None) -> Window:
    """The window of `day` (a file, or the parts of one recorded day, each read by `read`) with sun in it (whole
    trace when it has none); `step_s` the meter period of `config`, already checked (meter_period: the tune checks
    every setting's before any replay). `shown_as`: the config its notes name (the user's, not the grid's temporary
    copy)."""
    sim = read_sim_config(config)
    if shown_as is not None:
        sim = replace(sim, path=shown_as)
    trace = load_trace(day, sim, read)
    span = (trace.clock(trace.start_s), "24:00:00" if trace.hhmm(trace.end_s) == "24:00" else trace.clock(trace.end_s))
    lit = np.nonzero(trace.production_w > 0)[0]
    if lit.size == 0:
        return Window(day, None, None, trace.notes, span)
    start = max(trace.start_s, trace.times_s[int(lit[0])] - DAYLIGHT_PAD_S)
    end = min(trace.end_s, trace.times_s[int(lit[-1])] + DAYLIGHT_PAD_S)
    if end - start < 2 * step_s:
        return Window(day, None, None, trace.notes, span)
    return Window(day, trace.clock(start), None if end >= trace.end_s else trace.clock(end), trace.notes, span)


def day_read(config: Path, step_s: float, shown_as: Path | None = None,
             ) -> Callable[[Path, RecordedDay], Window | RecordedPart]:
    """What tune keeps of a recorded file in its one read (DayReads' `keep`; daylight's arguments): a day of one file,
    its window; a part of a day recorded in several (PARTS_WHY), what the day's window is found from once its parts are
    grouped (day_window). Each part's window alone was found (the day's other parts read for its note), then the
    day's, every part read again."""
    def keep(path: Path, day: RecordedDay) -> Window | RecordedPart:
        part = recorded_part(day)
        key = day_of_file(path)
        if key is not None and len(day_parts(*key)) > 1:
            return part
        return daylight(config, (path,), step_s, lambda _: part, shown_as)
    return keep


def day_window(config: Path, day: tuple[Path, ...], step_s: float, kept: Sequence[Window | RecordedPart | None],
               shown_as: Path | None = None) -> Window:
    """The window of `day` (its file, or its parts) from what day_read kept of each (None: nothing: read now)."""
    if len(day) == 1 and isinstance(kept[0], Window):
        return kept[0]
    parts = {path: part for path, part in zip(day, kept, strict=True) if isinstance(part, RecordedPart)}
    if len(parts) == len(day):
        return daylight(config, day, step_s, parts.__getitem__, shown_as)
    return daylight(config, day, step_s, shown_as=shown_as)


def _pool_context() -> BaseContext | None:
    """The workers are the tune's own children, forked from it, on Linux whatever the interpreter's default: with a fork
    server (Python 3.14's default) they are the fork server's, and each holds its pipe open; killed hard (SIGKILL, the
    OOM killer), the tune left the fork server waiting for that pipe's end and its workers running for ever, a replay's
    memory each (die_with_parent watches the parent: the fork server). Elsewhere (macOS: spawn, its fork unsafe; no
    parent-death signal), the default."""
    return multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None


def _quiet_worker() -> None:
    """A worker logs nothing below ERROR: a relay shed by the guard is a figure in the table here, not news
    (without a handler, Python would print every WARNING of every replay on the terminal). Ctrl-C is its parent's to
    answer (the terminal sends it to the whole group: each worker printed its traceback), and it dies with its parent
    (killed hard, the parent left it running for ever). A signal the tune was started ignoring stays ignored: under
    `nohup`, a dropped ssh session's SIGHUP to the job killed the workers, and the tune ended in a traceback."""
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.ERROR)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stop in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        # (not the parent's handlers, inherited at the fork: terminate() ends a worker at once)
        if stop is not None and signal.getsignal(stop) is not signal.SIG_IGN:
            signal.signal(stop, signal.SIG_DFL)
    die_with_parent()


def _one(config: str, window: Window, period_s: float | None) -> Summary:
    """A worker's job: one setting on one day (runs in another process)."""
    return replay(config, window.day, window.start, window.end, period_s).summary


def _progress(done: int, total: int, began: float) -> None:
    elapsed = time.perf_counter() - began
    left = elapsed / done * (total - done)
    line = f"tune: {done}/{total} replays, {elapsed:.0f} s elapsed, about {left:.0f} s left"
    if sys.stderr.isatty():
        print("\r" + line, end="" if done < total else "\n", file=sys.stderr, flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        print(line, file=sys.stderr, flush=True)


def run_grid(variants: Sequence[Path], windows: Sequence[Window], period_s: float | None, jobs: int,
             progress: Callable[[int, int, float], None] = _progress) -> list[list[Summary]]:
    """Summaries per setting (outer) and per day (inner), every replay on its own process."""
    tasks = [(i, j) for i in range(len(variants)) for j in range(len(windows))]
    results: list[list[Summary | None]] = [[None] * len(windows) for _ in variants]
    began = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=max(1, min(jobs, len(tasks))), mp_context=_pool_context(),
                               initializer=_quiet_worker)
    try:
        with stop_signals_held():  # (the workers are forked at the first submit: a stop then was lost)
            futures = {pool.submit(_one, str(variants[i]), windows[j], period_s): (i, j) for i, j in tasks}
        for done, future in enumerate(as_completed(futures), start=1):
            i, j = futures[future]
            results[i][j] = future.result()
            progress(done, len(tasks), began)
    except BaseException:
        # Ctrl-C, `kill`, a replay's error: the replays not started are cancelled and the running ones stopped (the
        # pool's `with` waited for the whole grid first: a Ctrl-C answered a minute later)
        _stop_now(pool)
        raise
    pool.shutdown()
    return [[s for s in row if s is not None] for row in results]


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers at once; then wait for the pool's own thread, which ends when
    they have: Python 3.11's exit wakes it up without a lock against its closing its pipe (gh-125451), and a stopped
    tune printed a traceback after its last line (`OSError: [Errno 9] Bad file descriptor`), one in 35 under load."""
    workers = list((getattr(pool, "_processes", None) or {}).values())  # (before shutdown forgets them)
    manager = getattr(pool, "_executor_manager_thread", None)  # (and it)
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.join(STOP_WAIT_S)
        if worker.is_alive():
            # (one forked as the stop came still had the tune's noting handler, stop_signals_held's, and took its
            # SIGTERM for a stop to hold: it went on to replay, its parent gone)
            worker.kill()
            worker.join(STOP_WAIT_S)
    if manager is not None:
        manager.join(STOP_WAIT_S)


def day_groups(paths: Sequence[Path]) -> tuple[list[tuple[Path, ...]], list[str]]:
    """The days `paths` hold, each its file or files, and a note for each day recorded in several files. The
    parts of one recorded day (`pyseb-DAY.csv.gz` and its `-2`... in one folder, packed or not: PARTS_WHY)
    are one day, replayed as one (each on its own started a cold tank again: a tank full at 10:52 took 8 kWh
    more in the afternoon's part), not one each (the per-day means were halved). Anything else is a day of its
    own."""
    groups: list[list[Path]] = []
    of_day: dict[tuple[Path, str], list[Path]] = {}
    for path in paths:
        key = day_of_file(path)
        if key is not None and key in of_day:
            of_day[key].append(path)
            continue
        groups.append([path])
        if key is not None:
            of_day[key] = groups[-1]
    days = [tuple(sorted(files, key=part_of_file)) for files in groups]
    notes = [f"{' and '.join(path.name for path in files)}: one day, recorded in {len(files)} files ({PARTS_WHY}), "
             "replayed as one" for files in days if len(files) > 1]
    return days, notes
