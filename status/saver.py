"""The saver thread: every `interval_s` it writes the latest snapshot the main loop handed it. It never
touches live regulator objects (only the dict it was given)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from status.store import save_status

log = logging.getLogger(__name__)


class StatusSaver:
    """Periodic, atomic saves of the last offered snapshot, on its own thread."""

    def __init__(self, path: Path, interval_s: float) -> None:
        self.path = path
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._snapshot: dict[str, Any] | None = None
        self._dirty = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status-saver", daemon=True)

    def start(self) -> None:
        """Start the timer thread."""
        self._thread.start()

    def offer(self, snapshot: dict[str, Any]) -> None:
        """Hand over the newest snapshot (a fresh dict the main loop will not mutate)."""
        with self._lock:
            self._snapshot, self._dirty = snapshot, True

    def save_now(self) -> bool:
        """Write the last snapshot if it changed since the last write; True if written."""
        with self._lock:
            snapshot, dirty = self._snapshot, self._dirty
            self._dirty = False
        if snapshot is None or not dirty:
            return False
        try:
            save_status(self.path, snapshot)
        except OSError as exc:
            log.error("cannot save status to %s: %s", self.path, exc)
            with self._lock:
                self._dirty = True
            return False
        log.debug("status saved to %s", self.path)
        return True

    def stop(self) -> None:
        """Stop the thread and write what is pending."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.save_now()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.save_now()
