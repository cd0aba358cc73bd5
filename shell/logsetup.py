"""Logging, written once: to the rotating `[logging] file` when one is set, to standard error otherwise
(and to both only when standard error is a terminal, i.e. someone is watching). A cron redirect or
journald then never gets every line twice. Under systemd (journald), lines carry no timestamp of their
own: the journal adds one."""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import logging.handlers
import os
import sys
from datetime import datetime, tzinfo
from pathlib import Path
from typing import cast

from shell.log_writer import LogWriter
from values.file_modes import file_opener, make_folder

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
JOURNAL_FORMAT = "%(levelname)s %(name)s: %(message)s"


class HeldRecords(logging.Handler):
    """Keeps records until the real handlers exist: a refused start (the instance lock) then prints
    nothing but its one line."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def replay(self, first: logging.LogRecord | None = None) -> None:
        """Hand the kept records to the handlers set up since, at their loggers' levels; `first` (a record made
        before any of them was logged, stamped then) before them, so the log stays in time order."""
        for record in ([first] if first is not None else []) + self.records:
            logger = logging.getLogger(record.name)
            if record.levelno >= logger.getEffectiveLevel():
                logger.handle(record)
        self.records.clear()


def hold_logging(level: str = "INFO") -> HeldRecords:
    """Route every log record into a holder until `setup_logging` (then `replay()` it)."""
    holder = HeldRecords()
    _replace_handlers([holder])
    logging.getLogger().setLevel(level.upper())
    return holder


# syslog's priorities: journald takes a line's leading <N> for its priority (systemd.exec SyslogLevelPrefix=, on by
# default), which `journalctl -p warning` filters on and the journal colours by; without it every line is info.
_SYSLOG_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}
_PRIORITY_FROM_HIGHEST = sorted(_SYSLOG_PRIORITY.items(), reverse=True)  # (once: looked up for every line)


class HouseClockFormatter(logging.Formatter):
    """FORMAT, its time stamps on the house's clock (`[evaluate] timezone`) when one is set: on a Pi left on UTC (the
    docs' way to give PySEB the house's zone), the lines were stamped in UTC while their messages spoke the house's
    time, an hour or two apart. None: the system's zone, logging's own."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        super().__init__(FORMAT)
        self._tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's)
        if self._tz is None:
            return super().formatTime(record, datefmt)
        # (the whole second, as logging's own: rounded to the microsecond, a line at .9999998 s read a second later)
        stamp = datetime.fromtimestamp(int(record.created), self._tz)
        return f"{stamp:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}"


class JournalFormatter(logging.Formatter):
    """JOURNAL_FORMAT with the record's syslog priority before each line (each is a journal entry of its own: a
    traceback's lines keep the error's priority)."""

    def __init__(self) -> None:
        super().__init__(JOURNAL_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The record's lines, each prefixed <N>."""
        priority = next((p for level, p in _PRIORITY_FROM_HIGHEST if record.levelno >= level), 7)
        return _with_priority(super().format(record), priority)


def _with_priority(text: str, priority: int) -> str:
    return "\n".join(f"<{priority}>{line}" for line in text.split("\n"))


def refusal_text(text: str) -> str:
    """`text`, why the command line refuses to start (a bad config, another PySEB), as printed on standard error: under
    journald each line at an error's priority, as the log's errors are (printed before any log, it was info, and
    `journalctl -u pyseb -p warning` showed nothing of the unit's failed start); else as it is."""
    return _with_priority(text, _SYSLOG_PRIORITY[logging.ERROR]) if stderr_is_the_journal() else text


def _stderr_formatter(tz: tzinfo | None = None) -> logging.Formatter:
    """Standard error's format: the journal's (no timestamp, the priority) under systemd, else with a timestamp."""
    return JournalFormatter() if stderr_is_the_journal() else HouseClockFormatter(tz)


def stderr_is_the_journal() -> bool:
    """Standard error is journald's stream: PySEB runs as a systemd service (the unit), not in a terminal or cron."""
    # systemd sets JOURNAL_STREAM to the device:inode of the journal stream it connected stderr to.
    stream = os.environ.get("JOURNAL_STREAM", "")
    try:
        stat = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return bool(stream) and stream == f"{stat.st_dev}:{stat.st_ino}"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (ValueError, AttributeError):
        return False


def _say(line: str) -> None:
    """A line on standard error, whatever becomes of it (a closed journal stream, a redirect on the full disk)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def _close_stream(handler: logging.FileHandler) -> None:
    """Close the handler's file, whatever the disk says: its next line opens it again at its path (FileHandler's own
    rule for a stream of None)."""
    stream, handler.stream = handler.stream, None  # type: ignore[assignment]
    try:
        if stream is not None:
            stream.close()
    except OSError:
        pass


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file, on a disk that may fill up (a Pi's SD card). A line it cannot write is counted,
    not a 'Logging error' traceback each on standard error (the journal, under systemd); the failure is said there
    once, with the warnings and errors meanwhile when no other handler writes there (`errors_to_stderr`). The
    first line written again is followed by how many were not."""

    def __init__(self, file: Path, max_bytes: int, backup_count: int, errors_to_stderr: bool) -> None:
        super().__init__(file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        self.errors_to_stderr = errors_to_stderr
        self.not_written = 0
        self._failure: str | None = None  # why the lines are not written, while they are not
        self._failed = False  # the record being emitted failed
        self._stderr_format = _stderr_formatter()

    def emit(self, record: logging.LogRecord) -> None:
        self._failed = False
        super().emit(record)  # (handleError on a failure)
        if self._failed or not self.not_written:
            return
        count, why = self.not_written, self._failure
        self.not_written, self._failure = 0, None
        super().emit(logging.makeLogRecord({
            "name": __name__, "levelno": logging.WARNING, "levelname": "WARNING",
            "msg": "%d log lines were not written to this file (%s)", "args": (count, why)}))
        _say(f"PySEB: the log file {self.baseFilename} is written again; {count} lines were not ({why})")

    def _open(self) -> io.TextIOWrapper:
        # Its folder made again when it was removed while running (`rm -r logs` to free a full SD card), as the
        # status and the records folders are: no line reached a file again until a restart. (An OSError here is
        # handleError's: the line counted.)
        make_folder(Path(self.baseFilename).parent)
        # (made FILE_MODE: logging's own open makes it 0666 less the umask, every user's to write under umask 000)
        stream = open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,  # noqa: SIM115
                      opener=file_opener)
        return cast(io.TextIOWrapper, stream)

    def doRollover(self) -> None:
        """Rotate; with no rotated file to keep (backup_count = 0), start the file over: logging's own rollover
        does nothing at all then, and the one file grew without end, until a Pi's SD card was full."""
        if self.backupCount > 0:
            super().doRollover()
            return
        _close_stream(self)
        # (an OSError: handleError counts the line; made FILE_MODE, as _open makes it, when it was removed)
        with open(self.baseFilename, "w", encoding=self.encoding, opener=file_opener):
            pass
        self.stream = self._open()

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)  # a bug (a bad format): its traceback, as logging gives it
            return
        self._failed = True
        self.not_written += 1
        # The buffered lines go with the file object: written later, they would come after lines logged since,
        # and the count above would be wrong. The next line opens the file again.
        _close_stream(self)
        if self._failure is None:
            self._failure = exc.strerror or str(exc)
            _say(f"PySEB: cannot write the log file {self.baseFilename}: {self._failure}; its lines are counted"
                 + (", its warnings and errors written here meanwhile" if self.errors_to_stderr else ""))
        if self.errors_to_stderr and record.levelno >= logging.WARNING:
            try:
                _say(self._stderr_format.format(record))
            except Exception:  # (the record's own format failing: nothing more to say)
                pass


def _replace_handlers(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if not isinstance(handler, HeldRecords):
            handler.close()
    for handler in handlers:
        root.addHandler(handler)


def reopen_log_files() -> list[str]:
    """Close the log files, each opened again at its path by its next line (after logrotate moved it aside); returns
    their paths. Behind a LogWriter, closed on its thread, after the lines queued before."""
    reopened = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LogWriter):
            files = [h for h in handler.handlers if isinstance(h, logging.FileHandler)]
            if files:
                handler.run_on_writer(functools.partial(_reopen_all, files))
                reopened += [h.baseFilename for h in files]
        elif isinstance(handler, logging.FileHandler):
            _reopen(handler)
            reopened.append(handler.baseFilename)
    return reopened


def _reopen_all(handlers: list[logging.FileHandler]) -> None:
    for handler in handlers:
        _reopen(handler)


def _reopen(handler: logging.FileHandler) -> None:
    with handler.lock or contextlib.nullcontext():
        _close_stream(handler)  # (its buffered lines lost on a full disk: said by the next line that fails)


def setup_logging(level: str, file: Path | None = None, max_bytes: int = 1_000_000, backup_count: int = 3,
                  stderr: bool | None = None, limiter: logging.Filter | None = None, tz: tzinfo | None = None,
                  on_a_thread: bool = False) -> None:
    """Configure the root logger (idempotent: replaces handlers set by an earlier call). `stderr`: None
    chooses (no file, or a terminal), True/False forces it; `limiter` (the daemon's FloodLimiter) filters
    every handler; `tz`: the zone the lines are stamped in (the config's `[evaluate] timezone`; None: the system's);
    `on_a_thread`: the lines written by a LogWriter (the daemon's: a stalled disk must not hold its main loop)."""
    handlers: list[logging.Handler] = []
    to_stderr = stderr if stderr is not None else (file is None or _stderr_is_terminal())
    if file is not None:
        # (its folder made, when missing, by its own open)
        rotating = LogFile(file, max_bytes, backup_count, errors_to_stderr=not to_stderr)
        rotating.setFormatter(HouseClockFormatter(tz))
        handlers.append(rotating)
        if not to_stderr and stderr_is_the_journal():
            # (the seed's config sets [debug] log_file: `journalctl -u pyseb` showed nothing, not even this)
            _say(f"PySEB: the log goes to {file}, not to the journal ([logging] file or the seed's [debug] log_file "
                 "sets it; leave it empty to read the log with journalctl)")
    if to_stderr:
        stream = logging.StreamHandler()
        stream.setFormatter(_stderr_formatter(tz))
        handlers.append(stream)
    if on_a_thread:
        handlers = [LogWriter(handlers)]
    if limiter is not None:
        for handler in handlers:
            handler.addFilter(limiter)  # (behind a LogWriter, judged before it: in the order logged)
    _replace_handlers(handlers)
    root = logging.getLogger()
    root.setLevel(level.upper())
    # paho's own chatter is only useful when debugging the link itself.
    logging.getLogger("paho").setLevel(max(logging.WARNING, root.level))
