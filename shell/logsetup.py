"""Logging, written once: to the rotating `[logging] file` when one is set, to standard error otherwise
(and to both only when standard error is a terminal, i.e. someone is watching). A cron redirect or
journald then never gets every line twice. Under systemd (journald), lines carry no timestamp of their
own: the journal adds one."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

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

    def replay(self) -> None:
        """Hand the kept records to the handlers set up since, at their loggers' levels."""
        for record in self.records:
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


def _under_journald() -> bool:
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


def _replace_handlers(handlers: list[logging.Handler]) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if not isinstance(handler, HeldRecords):
            handler.close()
    for handler in handlers:
        root.addHandler(handler)


def setup_logging(level: str, file: Path | None = None, max_bytes: int = 1_000_000, backup_count: int = 3,
                  stderr: bool | None = None, limiter: logging.Filter | None = None) -> None:
    """Configure the root logger (idempotent: replaces handlers set by an earlier call). `stderr`: None
    chooses (no file, or a terminal), True/False forces it; `limiter` (the daemon's FloodLimiter) filters
    every handler."""
    handlers: list[logging.Handler] = []
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(file, maxBytes=max_bytes, backupCount=backup_count,
                                                        encoding="utf-8")
        rotating.setFormatter(logging.Formatter(FORMAT))
        handlers.append(rotating)
    if stderr if stderr is not None else (file is None or _stderr_is_terminal()):
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter(JOURNAL_FORMAT if _under_journald() else FORMAT))
        handlers.append(stream)
    if limiter is not None:
        for handler in handlers:
            handler.addFilter(limiter)
    _replace_handlers(handlers)
    root = logging.getLogger()
    root.setLevel(level.upper())
    # paho's own chatter is only useful when debugging the link itself.
    logging.getLogger("paho").setLevel(max(logging.WARNING, root.level))
