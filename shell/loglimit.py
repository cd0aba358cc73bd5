"""A bound on log lines a stranger can cause. Anyone who can publish on the broker can send junk to every
topic PySEB reads, and each refused message is worth a warning: unbounded, 5,000 of them fill the
default rotating log (3 x 1 MB) in seconds and push out the history a user needs. Every warning (and
every INFO line a message from outside causes, marked with a `limit_key`) is let through at most `burst`
times per `window_s` for each kind (logger, message template, key); what is held back is counted and
reported as one line per kind when its window ends."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

DEFAULT_BURST = 5
DEFAULT_WINDOW_S = 60.0
# Templates are few; a key is one of the config's topics or devices, or a refusal's reason (the code's words, never a
# message's). Beyond this: keys are dropped
MAX_KINDS = 1000

Kind = tuple[str, str, str | None]


@dataclass(slots=True)
class _Window:
    started_at: float
    let_through: int = 0
    held_back: int = 0


class FloodLimiter(logging.Filter):
    """A filter for the log handlers (one instance shared by all: each record is judged once)."""

    def __init__(self, burst: int = DEFAULT_BURST, window_s: float = DEFAULT_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.burst = burst
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[Kind, _Window] = {}
        self._ended: list[tuple[Kind, int, float]] = []  # windows closed by a new line, not yet reported

    def filter(self, record: logging.LogRecord) -> bool:
        """True to log `record`."""
        verdict = getattr(record, "_flood_verdict", None)
        if verdict is not None:  # already judged by another handler
            return bool(verdict)
        verdict = self._judge(record)
        record._flood_verdict = verdict  # type: ignore[attr-defined]
        return verdict

    def _judge(self, record: logging.LogRecord) -> bool:
        key = getattr(record, "limit_key", None)
        if record.levelno < logging.WARNING and key is None:
            return True  # decisions and the like: what a user wants in the log, caused by us, not by junk
        if getattr(record, "flood_summary", False) or record.levelno >= logging.CRITICAL:
            return True
        kind: Kind = (record.name, str(record.msg), None if key is None else str(key))
        now = self._clock()
        with self._lock:
            window = self._open_window(kind, now)
            if window is None and key is not None and len(self._windows) >= MAX_KINDS:
                # A key a stranger can vary (a device id from a message) made each line a new kind: past MAX_KINDS
                # every line went through, every other limit with it. Now one window per template, as without a key
                # (templates are the code's: few).
                kind = (record.name, str(record.msg), None)
                window = self._open_window(kind, now)
            if window is None:
                window = self._windows[kind] = _Window(now)
            if window.let_through < self.burst:
                window.let_through += 1
                return True
            window.held_back += 1
            return False

    def _open_window(self, kind: Kind, now: float) -> _Window | None:
        """`kind`'s window, None when it has none open: one that has ended is closed here (its count kept for the
        next flush) and removed, so that it is reported once (left in place while the kinds were full, it was
        reported again at every line of its kind until the flush)."""
        window = self._windows.get(kind)
        if window is None or now - window.started_at < self.window_s:
            return window
        del self._windows[kind]
        if window.held_back:
            self._ended.append((kind, window.held_back, now - window.started_at))
        return None

    def flush(self, all_open: bool = False) -> None:
        """Close the windows that have ended (`all_open`: every window, at the stop): one line per kind that held lines
        back (call it often)."""
        now = self._clock()
        with self._lock:
            summaries, self._ended = self._ended, []
            for kind, window in list(self._windows.items()):
                if all_open or now - window.started_at >= self.window_s:
                    del self._windows[kind]
                    if window.held_back:
                        summaries.append((kind, window.held_back, now - window.started_at))
        for (name, template, key), count, span_s in summaries:
            log.warning("%d more log lines like %r (%s%s) were held back in the last %.0f s: at most %d of a kind "
                        "are logged per %.0f s", count, template, name, f", {key}" if key else "", span_s,
                        self.burst, self.window_s, extra={"flood_summary": True})

    @property
    def held_back(self) -> int:
        """Lines held back in the open windows (for tests)."""
        with self._lock:
            return sum(w.held_back for w in self._windows.values())
