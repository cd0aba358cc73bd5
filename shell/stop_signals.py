"""The signals that stop a PySEB process cleanly: its loads left as they must be, its files saved."""

from __future__ import annotations

import signal

__all__ = ["STOP_SIGNALS"]

# SIGTERM (systemd, kill), SIGINT (Ctrl-C), and SIGHUP: a dropped ssh session or a closed terminal sends it to
# what runs in the foreground, whose Python default is to die at once, with the loads left as they were.
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))
