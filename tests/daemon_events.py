"""Shared by the tests that drive an in-process Daemon's link (test_daemon_removed_off, test_daemon_outage_backlog):
the next event of a kind off its queue."""

from __future__ import annotations

import time
from typing import Any

from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected


def next_event(daemon: Daemon, kind: type[Connected] | type[Disconnected], timeout_s: float = 15.0) -> Any:
    """The next `kind` event on `daemon`'s queue (the others before it dropped); queue.Empty after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        event = daemon.events.get(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(event, kind):
            return event
