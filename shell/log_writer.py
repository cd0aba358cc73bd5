"""The daemon's log lines written on a thread of their own. Written by the main loop itself, a log file on a Pi's SD
card that stalled (a journal commit of seconds on a slow card, a card that stopped answering) held the main loop in
each line's write: no decision meanwhile, the loads left as last commanded (a variator at 2 kW through a cloud, from
the grid), and at the stop their offs waited behind the stop's own lines. The main loop now only queues a line (its
message made then: what it names may change after); a queue full behind a stalled disk drops the newest lines,
counted, and said when the writer catches up."""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

MAX_WAITING = 5000  # lines held for a stalled disk (a few MB at most: a Pi Zero 2 has 512 MB)
# The most the end of the process waits for the lines still queued: a card writes the stop's few lines in
# milliseconds; one that stopped answering loses them (as it did), but does not hold the stop, its offs sent long
# before, past systemd's TimeoutStopSec (one of the stop's waits, tests/test_stop_faults.py adds them up).
STOP_WAIT_S = 1.0

_Item = logging.LogRecord | Callable[[], None] | None  # a line, something to do on the writer's thread, the end
_TRACEBACKS = logging.Formatter()


class LogWriter(logging.Handler):
    """A handler that hands each record to `handlers` (the log file, standard error) on its own thread."""

    def __init__(self, handlers: Sequence[logging.Handler]) -> None:
        super().__init__(logging.NOTSET)
        self.handlers = list(handlers)
        self._queue: queue.Queue[_Item] = queue.Queue(MAX_WAITING)
        self._dropped = 0  # lines the full queue refused, not said yet
        self._due: list[Callable[[], None]] = []  # what run_on_writer could not queue: run after the line being written
        self._dropped_lock = threading.Lock()  # (and _due's)
        self._stalled = False  # the last wait_written gave up: the disk is not answering
        self._waited: threading.Event | None = None  # set once the lines the last wait_written waited for are written
        self._given_up = False  # closed while a write held the writer: its handlers let go (_let_go)
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            prepared = _prepared(record)
        except Exception:  # (a bug: a format its arguments do not fit) said as logging says it
            self.handleError(record)
            return
        try:
            self._queue.put_nowait(prepared)
        except queue.Full:
            with self._dropped_lock:
                self._dropped += 1

    def run_on_writer(self, action: Callable[[], None]) -> None:
        """Run `action` on the writer's thread, after the lines queued before it (the log reopened at a SIGHUP: on the
        main thread it waited for the handler's lock, held by a write the disk had not finished). With the queue full
        (a disk stalled), after the line being written: not run, the lines went on into the file logrotate had moved
        aside, until the next SIGHUP."""
        try:
            self._queue.put_nowait(action)
        except queue.Full:
            with self._dropped_lock:
                self._due.append(action)

    def wait_written(self, timeout_s: float = STOP_WAIT_S) -> bool:
        """Wait until the lines queued so far are written, `timeout_s` at most; True when they are. Not again while
        the disk has not written what an earlier wait that gave up waited for (an interrupted start waited before its
        line on stderr, then main's end as long again: twice STOP_WAIT_S of the stop's budget)."""
        if self._stalled and self._waited is not None and not self._waited.is_set():
            return False
        deadline = time.monotonic() + timeout_s
        done = self._waited = threading.Event()
        try:
            self._queue.put(done.set, timeout=timeout_s)
        except queue.Full:
            self._stalled, self._waited = True, None
            return False
        written = done.wait(max(0.0, deadline - time.monotonic()))
        self._stalled = not written
        return written

    def close(self) -> None:
        """Write what is queued (STOP_WAIT_S at most; not waited again after a wait_written that gave up), end the
        thread, close the handlers (not while one is still writing: its close would wait for that write; they are let
        go then, _let_go)."""
        if self._thread.is_alive() and not self._stalled:  # (stalled: main's end waited for it already)
            deadline = time.monotonic() + STOP_WAIT_S
            try:
                self._queue.put(None, timeout=STOP_WAIT_S)
            except queue.Full:
                pass
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if not self._thread.is_alive():
            for handler in self.handlers:
                handler.close()
        else:
            self._let_go()
        super().close()

    def _let_go(self) -> None:
        """The handlers left to the write the disk holds: at the process's end logging.shutdown takes each handler's
        lock, flushes it and closes it, and waited for that write (the file's lock held by it, a card that did not
        answer again: the process did not end, systemd's stop timed out and killed it). Their lock now holds nothing,
        their stream is set aside (the write keeps its own), and the writer writes no more lines."""
        self._given_up = True
        for handler in self.handlers:
            handler.lock = _Unheld()  # type: ignore[assignment]
            if isinstance(handler, logging.StreamHandler):
                handler.stream = None

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._given_up:
                return
            try:
                if isinstance(item, logging.LogRecord):
                    self._write(item)
                else:
                    item()
                with self._dropped_lock:
                    dropped, self._dropped = self._dropped, 0
                    due, self._due = self._due, []
                for action in due:
                    action()
                if dropped:
                    self._write(logging.makeLogRecord({
                        "name": __name__, "levelno": logging.WARNING, "levelname": "WARNING",
                        "msg": f"{dropped} log lines were dropped: they came faster than the log could be written (a "
                               f"slow or stalled disk, {MAX_WAITING} lines waiting); the regulation went on"}))
            except Exception:  # (a bug here must not end the thread: every later line would be lost)
                logging.Handler.handleError(self, item if isinstance(item, logging.LogRecord) else
                                            logging.makeLogRecord({"msg": "log writer"}))

    def _write(self, record: logging.LogRecord) -> None:
        for handler in self.handlers:
            if record.levelno >= handler.level:
                handler.handle(record)


class _Unheld:
    """The lock of a handler let go at the end (LogWriter._let_go): it waits for nothing."""

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        return True

    def release(self) -> None:
        return None

    def __enter__(self) -> bool:
        return True

    def __exit__(self, *exc: object) -> None:
        return None


def _prepared(record: logging.LogRecord) -> logging.LogRecord:
    """A copy of `record` with its message and traceback made now, on the caller's thread: written later, its
    arguments (a list, a load's state) could have changed, and a traceback's frames kept alive."""
    prepared = copy.copy(record)
    prepared.msg, prepared.args = record.getMessage(), None
    if record.exc_info and not record.exc_text:
        prepared.exc_text = _TRACEBACKS.formatException(record.exc_info)
    prepared.exc_info = None
    return prepared


def log_writer() -> LogWriter | None:
    """The root logger's LogWriter, if its lines go through one."""
    return next((h for h in logging.getLogger().handlers if isinstance(h, LogWriter)), None)


def wait_log_written(timeout_s: float = STOP_WAIT_S) -> None:
    """The lines logged so far written (`timeout_s` at most), before a line printed outside the log: in order."""
    if (writer := log_writer()) is not None:
        writer.wait_written(timeout_s)
