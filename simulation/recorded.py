"""Recorded days in the simulator: a day file read as a trace, and a replay that records itself as the
daemon does (same listener, same writer)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

import numpy as np

from core.decisions import DecisionRecord
from recording.days import DAY_FILE, PARTS_WHY, day_of_file, day_parts, part_of_file
from recording.format import TEXT_MODE_COPY, RecordedDay, RecordError, read_record
from recording.writer import DayRecorder
from settings.config import nearest_dir_problem
from shell.stop_signals import stop_signals_held
from simulation.config import SimConfig
from simulation.recorded_house import below_zero_note
from simulation.recorded_loads import loads_note
from simulation.recorded_part import RecordedPart, check_one_day, check_zone, read_part
from simulation.trace import Trace, TraceError
from values.durations import spoken_duration
from values.local_time import local_instant

__all__ = ["RecordingFactory", "trace_from_record"]


def trace_from_record(path: str | Path | Sequence[Path], tz: tzinfo | None, config: SimConfig | None = None,
                      read: Callable[[Path], RecordedPart] = read_part) -> Trace:
    """A recorded day as a trace: PV as the production meter read it, the house's own load as the
    consumption meter read it minus what the loads drew then (the regulator's belief after the decision
    before). Times are the decisions' (irregular: about one every two meter periods).

    A sequence of paths: the parts of one day (`pyseb-DAY.csv.gz`, then its `-2`... the header changed),
    read as one trace (replayed each on its own, every part started a cold tank and idle relays again: a tank
    full at 10:52 took 8 kWh more in the afternoon's part). With the `config` it is replayed with, a note for each
    file recorded with other loads than the config's.

    `read` reads a part (`tune` gives the parts it has read already: a read is most of the time this takes)."""
    paths = [Path(path)] if isinstance(path, (str, Path)) else list(path)
    times: list[float] = []
    production: list[float] = []
    house: list[float] = []
    own_w: list[float] = []  # (the house's load before it is held at 0 W: under it, the meter may not see the loads)
    max_gap_s = 0.0
    lacks: list[str] = []  # what the files lack, said as `report` says it
    left_out: dict[float, int] = {}  # the decisions left out after each step back of the clock, by the time it reached
    for part in paths:
        try:
            recorded = read(part)
        except RecordError as exc:
            raise TraceError(str(exc)) from None
        day = recorded.day
        check_zone(recorded, tz)
        check_one_day(recorded)
        lacks += _what_it_lacks(day, part, paths)
        if config is not None and (note := loads_note(day, part, config)) is not None:
            lacks.append(note)
        max_gap_s = max(max_gap_s, day.max_gap_s)
        # (each part's own loads: the house is its consumption less what they drew in its reading, drew_w)
        before_s: float | None = None
        for time_s, production_w, consumption_w, drew_w in recorded.rows():
            if times and time_s <= times[-1]:
                # A clock stepped back (or parts overlapping): the day kept increasing, these decisions left out
                # until the clock passes the time it had reached (said: the replay had half an hour less sun than
                # `report` counted, without a word)
                left_out[times[-1]] = left_out.get(times[-1], 0) + 1
                continue
            # A gap is the daemon stopped (it commands every load to 0 W as it stops) or regulation suspended on a
            # silent meter (every unforced load to 0 W): the first reading after it is the house's alone, not less what
            # the decision before the gap left the loads at. (A force held through a silent meter still draws; a day of
            # format 1 does not say which load was forced.)
            gap = before_s is not None and time_s - before_s > day.max_gap_s
            drawing_w = 0.0 if gap else drew_w
            times.append(time_s)
            production.append(production_w)
            own_w.append(consumption_w - drawing_w)
            house.append(max(0.0, own_w[-1]))
            before_s = time_s
    name = " + ".join(str(part) for part in paths)
    if len(times) < 2:
        raise TraceError(f"{name}: needs at least two decisions, found {len(times)}")
    intervals = np.diff(np.asarray(times))
    step = float(np.median(intervals))
    # Over a gap (the daemon stopped, or regulation suspended on silent meters) nothing was recorded: the
    # replay draws the sun in a straight line and holds the house across it. Said, not hidden.
    gaps = intervals[intervals > max_gap_s]
    notes: tuple[str, ...] = (
        f"{name}: {len(gaps)} gap(s) with no decision recorded ({spoken_duration(gaps.sum())} in all, the longest "
        f"{spoken_duration(gaps.max())}): replayed with the sun in a straight line and the house held across them",
    ) if len(gaps) else ()
    if left_out:
        first_s = next(iter(left_out))
        notes += (f"{name}: the clock stepped back {len(left_out)} time(s) (the first after "
                  f"{datetime.fromtimestamp(first_s, tz).strftime('%H:%M:%S')}): "
                  f"{sum(left_out.values())} decision(s) recorded until it passed the time it had "
                  "reached again are left out of the replay (`report` counts them)",)
    unseen = below_zero_note(name, own_w, held_at_zero=True)
    return Trace(name, _column(times), _column(production), _column(house), step, tz,
                 (*lacks, *notes, *([unseen] if unseen else [])), _day_end_s(times[-1], step, tz))


def _day_end_s(last_s: float, step_s: float, tz: tzinfo | None) -> float | None:
    """Where a recorded day's replay ends when its last decision's hold, a step, would pass the day's midnight: that
    midnight (None: a step after it, as any trace's). The next day's decisions are in the next day's file; replayed
    past it, a day whose last decision came at 23:59:59 made one more at 00:00:00 on its last row held, and
    `replay --record` wrote it into a file of the next day (`--to 24:00` replayed it to midnight)."""
    last = datetime.fromtimestamp(last_s, tz)
    midnight_s = local_instant(last.date() + timedelta(days=1), time(0), tz)
    return midnight_s if last_s < midnight_s < last_s + step_s else None


def _column(values: list[float]) -> np.ndarray:
    """A trace's column: a read-only float64 array, as `read_trace` gives it."""
    column = np.array(values, dtype=np.float64)
    column.flags.writeable = False
    return column


def _what_it_lacks(day: RecordedDay, part: Path, given: Sequence[Path]) -> list[str]:
    """Notes for what `report` would say of `part` and the replay would not show: a last batch cut short, damaged
    batches skipped, and the day's other parts (PARTS_WHY) not given."""
    notes = []
    if day.text_mode_copy:
        notes.append(f"{part}: {TEXT_MODE_COPY}")
    if day.truncated:  # (a part before the day's next one: the replay goes on there, over the gap, as ever)
        ends = ("the replay ends at its last decision" if part == given[-1] else
                "the replay goes on at the next part's first decision, the time between replayed as a gap")
        notes.append(f"{part}: its last batch was cut short (a crash): lost; {ends}")
    if day.damaged_bytes:
        notes.append(f"{part}: {day.damaged_bytes} bytes of damaged batches skipped (their decisions are lost)")
    key = day_of_file(part)
    if key is not None:
        mine = {part_of_file(path) for path in given if day_of_file(path) == key}  # (a part given unpacked is given)
        # (not one that holds no day: tune, given the folder, left out an empty part a full disk made, and this
        # note then told the user to give the folder)
        others = [other for other in day_parts(*key) if part_of_file(other) not in mine and _holds_a_day(other)]
        if others:
            notes.append(f"{part}: the day's other part(s), {', '.join(map(str, others))} ({PARTS_WHY}), replayed "
                         "without: give `tune` them all (or their folder) and it takes them as one day")
    return notes


# The fewest decisions a recorded day (or part) needs to be replayed: tune leaves out one with fewer (said so).
MIN_REPLAYED_DECISIONS = 2


def _holds_a_day(part: Path) -> bool:
    """Whether the recorded part `part` holds a day tune takes: one that cannot be read (empty: a full disk's first
    write) or with fewer than MIN_REPLAYED_DECISIONS is left out, its reader or tune says why."""
    try:
        return len(read_record(part).records) >= MIN_REPLAYED_DECISIONS
    except (RecordError, OSError):
        return False


# A replay's recording is written as it goes, a batch (one gzip member, fsync'ed) each hour of the replayed day:
# a run cut short keeps what it did (it was written at the end only: a Ctrl-C or a crash hours into a long replay
# lost all of it). An hour, not the daemon's 5 minutes: a replayed day runs in seconds, and an fsync on an SD card
# every few milliseconds of it would cost more than the replay.
FLUSH_EVERY_S = 3600.0


class RecordingFactory:
    """A regulator factory for `replay` that records every decision into `directory` as the daemon would."""

    def __init__(self, directory: Path, make_regulator: Callable[[str, Any], Any]) -> None:
        # A folder that already holds days would get this replay appended to them (a second run doubles
        # the day in every figure): refused, as a file in place of the folder is.
        if directory.exists() and not directory.is_dir():
            raise TraceError(f"--record {directory}: not a folder")
        if directory.is_symlink() and not directory.exists():
            # (the recorder's mkdir failed on it, "File exists", and the whole day was replayed unrecorded)
            raise TraceError(f"--record {directory}: a link to {os.readlink(directory)}, which does not exist: make "
                             "that folder, or give another")
        # (one the recorder cannot make or write in: the whole replay ran, each batch's write failed with a warning
        # that scrolled past, and it ended on an empty "recorded: ", exit 0)
        if (unwritable := nearest_dir_problem(directory)) is not None:
            raise TraceError(f"--record {directory}: {unwritable}: give a folder you can write in")
        # (an unpacked day too: `report` and `tune` take it for the day, and left it out for the replay's part)
        held = sorted(path.name for path in directory.iterdir() if DAY_FILE.match(path.name)) \
            if directory.is_dir() else []
        if held:
            raise TraceError(f"--record {directory}: already holds recorded days ({', '.join(held[:3])}"
                             f"{', ...' if len(held) > 3 else ''}): the replay would be added to them; give an "
                             "empty or new folder")
        self.directory = directory
        self._make = make_regulator
        self.recorder: DayRecorder | None = None
        self.regulator: Any = None
        self.last_recorded_s: float | None = None  # the replayed time of the last decision taken

    def __call__(self, config_path: str, publish: Any) -> Any:
        """Build the regulator and attach a (synchronous) day recorder to it."""
        from core.decisions import is_relay

        regulator = self._make(config_path, publish)
        settings = regulator.settings
        loads = regulator.loads
        self.recorder = DayRecorder(self.directory, [load.name for load in loads], [is_relay(load) for load in loads],
                                    settings.tzinfo, settings.evaluate.meter_timeout_s, FLUSH_EVERY_S,
                                    keep_days=36500, threaded=False)
        regulator.add_decision_listener(self._add)
        self.regulator = regulator
        return regulator

    def _add(self, record: DecisionRecord) -> None:
        """A decision listener: the record kept, and the batch written when an hour of the day has passed."""
        assert self.recorder is not None  # (listening only once built)
        self.recorder.add(record)
        self.last_recorded_s = record.time_s
        if self.recorder.flush_due(record.time_s):  # (the replayed time)
            self._write()

    def _write(self) -> None:
        if self.recorder is not None:
            # (a stop (Ctrl-C; `kill`, a hang-up: hangups_as_interrupt) held to the write's end: one in its middle left
            # half a gzip member at the end of the file, or lost the batch)
            with stop_signals_held():
                self.recorder.flush()

    def cut_short(self) -> str:
        """After a replay cut short: what was done written, and said."""
        paths = ", ".join(str(path) for path in self.finish())
        tz = self.recorder.tz if self.recorder is not None else None
        upto = "nothing" if self.last_recorded_s is None else \
            datetime.fromtimestamp(self.last_recorded_s, tz).strftime("%Y-%m-%d %H:%M:%S")
        return (f"replay cut short: recorded up to {upto} in {paths or 'no file'} (a replay that records again needs "
                "an empty or new folder)")

    @property
    def lost_records(self) -> int:
        """The decisions whose write failed (the recorder warned why): the recording is not the whole replay."""
        return self.recorder.lost_records if self.recorder is not None else 0

    def finish(self) -> list[Path]:
        """Write what is pending (also after a replay cut short: what it did is kept); the day files written."""
        self._write()
        return sorted(self.directory.glob("pyseb-*.csv.gz"))
