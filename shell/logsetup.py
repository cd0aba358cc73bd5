"""Logging to standard error and, optionally, to a rotating file."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(level: str, file: Path | None = None, max_bytes: int = 1_000_000, backup_count: int = 3,
                  limiter: logging.Filter | None = None) -> None:
    """Configure the root logger (idempotent: replaces handlers set by an earlier call); `limiter` (the
    daemon's FloodLimiter) filters every handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    stream = logging.StreamHandler()
    stream.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(stream)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(file, maxBytes=max_bytes, backupCount=backup_count,
                                                        encoding="utf-8")
        rotating.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(rotating)
    if limiter is not None:
        for handler in root.handlers:
            handler.addFilter(limiter)
    root.setLevel(level.upper())
    # paho's own chatter is only useful when debugging the link itself.
    logging.getLogger("paho").setLevel(max(logging.WARNING, root.level))
