"""The day recorder: takes each decision on the main loop (an append to a list, nothing else), hands a
batch every `flush_interval_s` to its own thread, which formats, compresses and appends it to the day's
file. A disk error (full, read-only, gone) is a warning and a lost batch, never an exception on the
regulation's path; the day's file stops growing at `max_day_bytes`."""

from __future__ import annotations

import errno
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, tzinfo
from itertools import groupby
from pathlib import Path

from core.decisions import DecisionRecord
from recording.days import PARTS_WHY, day_parts, part_of_file, prune
from recording.format import format_rows, header_text
from recording.leftovers import process_started_at, remove_stale_temporaries
from recording.store import (
    FileState,
    append_batch,
    day_file,
    file_state,
    make_folder,
    pack_unpacked_twin,
    repair_tail,
)

__all__ = ["DayRecorder"]

log = logging.getLogger(__name__)

MAX_WAITING_BATCHES = 48  # a stuck disk holds at most this many batches in memory; older ones are dropped
# The most the stop waits for the writer, in all: part of the daemon's stop, which must end within systemd's
# TimeoutStopSec (see shell/daemon_life_cycle.py's Daemon._shutdown); a batch of 5 minutes takes a fraction of a
# second on a card.
STOP_WAIT_S = 3.0


class DayRecorder:
    """Records decisions into `directory/pyseb-YYYY-MM-DD.csv.gz`, in batches."""

    def __init__(self, directory: Path, names: Sequence[str], relays: Sequence[bool], tz: tzinfo | None,
                 max_gap_s: float, flush_interval_s: float = 300.0, keep_days: int = 30,
                 max_day_bytes: int = 20_000_000, threaded: bool = True) -> None:
        self.directory = directory
        self.header = header_text(names, relays, max_gap_s)
        self.tz = tz
        self.flush_interval_s = flush_interval_s
        self.keep_days = keep_days
        self.max_day_bytes = max_day_bytes
        self._pending: list[DecisionRecord] = []
        self._next_flush_at: float | None = None
        self._batches: queue.Queue[list[DecisionRecord] | None] = queue.Queue(MAX_WAITING_BATCHES)
        self._thread = threading.Thread(target=self._run, name="day-recorder", daemon=True) if threaded else None
        # (each day's file as this run last left it, checked for a cut-short tail or a copy swapped in when it is not
        # so, and the days that reached max_day_bytes: only the last two days are kept, a batch spans a midnight at
        # most; a clock stepped back only checks a file again)
        self._left: dict[date, tuple[Path, FileState]] = {}
        self._pruned_on: date | None = None
        self._failing = False  # a disk error was warned about; the next ones go to DEBUG until a write works
        self._lost_failing = 0  # (writer's side) decisions lost to errors since the warning: said when writing resumes
        self._lost_queue_full = 0  # (main loop's side) decisions dropped, the queue full: said once it takes one again
        self._full_days: set[date] = set()
        self._leftovers_checked = False  # the temporary files a killed rewrite left: removed once, at the start
        self.written_batches = 0
        self.lost_records = 0

    # --- the main loop's side -----------------------------------------------------------------------
    def add(self, record: DecisionRecord) -> None:
        """A decision listener: keep the record for the next batch."""
        self._pending.append(record)

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` (NTP setting a Pi's clock): the decisions not handed over yet
        were stamped that much behind, and are dated on the new clock. A Pi booted on 1970 (no clock chip, no
        fake-hwclock) wrote its first minutes into pyseb-1970-01-01.csv.gz, lost to the day they belong to (NTP
        sets the clock within the first batch's `flush_interval` as a rule; a batch already handed over stays as
        it was)."""
        self._pending = [replace(record, time_s=record.time_s + step_s) for record in self._pending]

    def tick(self, now: float) -> None:
        """Hand the batch over when `flush_interval_s` has passed (`now` on any steady clock)."""
        if self.flush_due(now):
            self.flush()

    def flush_due(self, now: float) -> bool:
        """True when `flush_interval_s` has passed since the last time this said so (or since its first call), for a
        caller that flushes itself; `now` on any steady clock."""
        if self._next_flush_at is None:
            self._next_flush_at = now + self.flush_interval_s
            return False
        if now < self._next_flush_at:
            return False
        self._next_flush_at = now + self.flush_interval_s
        return True

    def flush(self) -> None:
        """Hand what is pending to the writer (written at once when not threaded)."""
        batch, self._pending = self._pending, []
        if not batch:
            return
        if self._thread is None:
            self.write(batch)
            return
        try:
            self._batches.put_nowait(batch)
        except queue.Full:
            self.lost_records += len(batch)
            # Once, then at DEBUG until the queue takes a batch again (then said with the count, as the status saver
            # does): a disk stuck for hours said it at every flush, every 5 min.
            (log.debug if self._lost_queue_full else log.warning)(
                "recorder: the disk is not keeping up; %d decisions not recorded (further batches dropped at DEBUG "
                "until the disk takes one again)", len(batch))
            self._lost_queue_full += len(batch)
            return
        if self._lost_queue_full:
            log.warning("recorder: the disk keeps up again (%d decisions were not recorded while it did not)",
                        self._lost_queue_full)
            self._lost_queue_full = 0

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is not None:
            self._thread.start()

    def stop(self) -> None:
        """Write what is pending and stop the thread, waiting STOP_WAIT_S at most in all for a slow disk; never
        blocks longer: on a stuck disk (a dead network share) the daemon's stop must go on."""
        self.flush()
        if self._thread is not None and self._thread.is_alive():
            deadline = time.monotonic() + STOP_WAIT_S
            try:
                # (not a blocking put: with the queue full behind a stuck write, it waited forever, and the
                # daemon's stop with it, deaf to any further signal)
                self._batches.put(None, timeout=STOP_WAIT_S)
            except queue.Full:
                log.warning("recorder: the disk has not taken a write for a long time; %d batches not recorded",
                            self._batches.qsize())
                return
            self._thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if self._thread.is_alive():
                log.warning("recorder: the last batches were still being written when PySEB stopped")

    # --- the writer's side --------------------------------------------------------------------------
    def _run(self) -> None:
        self._remove_leftovers()
        while True:
            batch = self._batches.get()
            if batch is None:
                return
            try:
                self.write(batch)
            except Exception:  # (the thread goes on: dead, it recorded nothing more, any day, until a restart)
                self.lost_records += len(batch)
                self._lost_failing += len(batch)
                # (the trace once: one at every batch would fill the log while the error lasts)
                (log.debug if self._failing else log.exception)(
                    "recorder: %d decisions not recorded (an unexpected error; recording goes on; further errors at "
                    "DEBUG until a write succeeds)", len(batch))
                self._failing = True

    def _day(self, record: DecisionRecord) -> date:
        return datetime.fromtimestamp(record.time_s, self.tz).date()

    def _remove_leftovers(self) -> None:
        """Once, on the writer's side, before its first write: the temporary files of a rewrite (repair_tail) that a
        kill cut short, which nothing else removes (said by recording.leftovers)."""
        if self._leftovers_checked:
            return
        self._leftovers_checked = True
        try:
            remove_stale_temporaries(self.directory, process_started_at())
        except OSError as exc:  # (a folder that cannot be listed: the write says so)
            log.debug("recorder: %s not searched for temporary files: %s", self.directory, exc.strerror or exc)

    def write(self, batch: list[DecisionRecord]) -> None:
        """Append `batch` to its day's file (or files, across midnight); errors are logged, never raised."""
        self._remove_leftovers()
        for day, records in groupby(batch, key=self._day):
            self._write_day(day, list(records))

    def _write_day(self, day: date, records: list[DecisionRecord]) -> None:
        try:
            make_folder(self.directory)
            if self._pruned_on != day:
                self._pruned_on = day
                self._left = {d: left for d, left in self._left.items() if 0 <= (day - d).days <= 1}
                self._full_days = {d for d in self._full_days if 0 <= (day - d).days <= 1}
                for path in prune(self.directory, day, self.keep_days):
                    log.info("recorder: removed %s (older than keep_days = %d)", path.name, self.keep_days)
            path = day_file(self.directory, day, self.header)
            if part_of_file(path) > 1 and not path.exists():  # (the owner finds two files for the day: said why)
                before = day_parts(self.directory, day.isoformat())
                if before and part_of_file(before[-1]) < part_of_file(path):  # (not the part unpacked in place)
                    log.info("recorder: the rest of %s is recorded in %s, apart from %s (%s: replay and tune take "
                             "the parts as one day, report reports each and the day in total)", day, path.name,
                             before[-1].name, PARTS_WHY)
            pack_unpacked_twin(path)
            if self._left.get(day) != (path, file_state(path)):
                # At the day's first write in this run (a crash's tail), and whenever the file is not as this run left
                # it: the owner's copy swapped in while PySEB ran (in text mode, unpacked: appended to as it was, its
                # next batches made the day unreadable from the header on). Once: a full day is not read again.
                repair_tail(path)
                self._left[day] = (path, file_state(path))
            if day in self._full_days or (path.exists() and path.stat().st_size >= self.max_day_bytes):
                if day not in self._full_days:
                    self._full_days.add(day)
                    log.warning("recorder: %s reached max_day_mb: the rest of %s is not recorded", path, day)
                self.lost_records += len(records)
                return
            append_batch(path, format_rows(records, self.tz), self.header)
            self._left[day] = (path, file_state(path))
        except OSError as exc:
            self.lost_records += len(records)
            self._lost_failing += len(records)
            reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else (exc.strerror or str(exc))
            (log.debug if self._failing else log.warning)(
                "recorder: %d decisions not recorded in %s: %s (regulation goes on; further errors at DEBUG "
                "until a write succeeds)", len(records), self.directory, reason)
            self._failing = True
            return
        if self._failing:
            # (with the count, as the status saver's "saved again": the warnings between were at DEBUG)
            log.warning("recorder: writing again in %s (%d decisions not recorded before)", self.directory,
                        self._lost_failing)
        self._failing = False
        self._lost_failing = 0
        self.written_batches += 1
