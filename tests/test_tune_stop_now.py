"""A stopped tune ends its workers (simulation/tune._stop_now): SIGTERM first, then SIGKILL for one still running.
A worker forked just as the stop came keeps, until its initializer runs, the tune's noting handler (held by
shell.stop_signals.stop_signals_held), which takes SIGTERM for a stop to hold: such a worker went on replaying."""

from __future__ import annotations

import multiprocessing
import signal
import time
from typing import Any

import pytest

import simulation.tune


def _deaf_to_sigterm(ready: Any) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # (as the noting handler does: SIGTERM changes nothing)
    ready.set()
    time.sleep(60)


class _Pool:
    """What _stop_now takes of a ProcessPoolExecutor: its processes, its shutdown."""

    def __init__(self, processes: dict[int, Any]) -> None:
        self._processes = processes
        self._executor_manager_thread = None

    def shutdown(self, wait: bool, cancel_futures: bool) -> None:
        pass


def test_a_worker_that_does_not_end_at_sigterm_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(simulation.tune, "STOP_WAIT_S", 0.5, raising=False)
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    worker = context.Process(target=_deaf_to_sigterm, args=(ready,), daemon=True)
    worker.start()
    try:
        assert ready.wait(10)
        simulation.tune._stop_now(_Pool({worker.pid or 0: worker}))  # type: ignore[arg-type]
        assert not worker.is_alive()
        assert worker.exitcode == -signal.SIGKILL
    finally:
        if worker.is_alive():
            worker.kill()
            worker.join()
