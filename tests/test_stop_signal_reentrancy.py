"""A stop signal must stop the daemon whenever it comes, even while the main loop is inside the event queue.

The signal handler runs on the main thread, between two bytecodes of whatever the main loop is doing. With a
`queue.Queue`, that can be inside its `get`, which holds the queue's lock (not reentrant) while Python code
runs: the handler's `put` then waits for that lock forever. Seen as a daemon that ignored SIGTERM (1 run in
~40 under load): systemd would have killed it 90 s later, with no stop commands sent, the loads left as they
were. The event queue must be one whose operations run no Python code while holding their lock. And a stop
signal the process was started ignoring (nohup's SIGHUP) is not caught."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path

from shell.stop_signals import stop_signals_to_catch
from tests.configs import write_config
from tests.daemon_process import run_script

# In a process of its own: a deadlock must fail the test by its timeout, not hang the suite.
SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading
    sys.path.insert(0, sys.argv[2])
    from settings.config import load_settings
    from shell.daemon import Daemon, StopRequest
    from shell.lock import InstanceLock

    settings = load_settings(sys.argv[1])
    daemon = Daemon(settings, InstanceLock(settings.status.file.with_name("test.lock")))
    signal.signal(signal.SIGTERM, daemon._on_signal)

    # 1. A signal at the first Python line run inside the queue's get with its lock held (a Queue's _get).
    sent = []
    def tracer(frame, event, arg):
        if frame.f_code.co_filename.endswith("queue.py"):
            if event == "line" and frame.f_code.co_name == "_get" and not sent:
                sent.append(frame.f_code.co_name)
                os.kill(os.getpid(), signal.SIGTERM)
            return tracer
        return None
    daemon.events.put("a message")
    sys.settrace(tracer)
    first = daemon.events.get(timeout=5)
    sys.settrace(None)
    assert first == "a message", first
    if sent:  # (a queue that runs Python code in get: the handler ran there, and must have queued the stop)
        stop = daemon.events.get(timeout=5)
        assert isinstance(stop, StopRequest), stop

    # 2. A signal while the main loop waits in get: the wait ends with the stop request.
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()
    stop = daemon.events.get(timeout=5)
    assert isinstance(stop, StopRequest) and stop.signal_name == "SIGTERM", stop
    print("stopped", sent)
""")


def test_a_stop_signal_inside_the_event_queue_does_not_deadlock(tmp_path: Path) -> None:
    result = run_script(SCRIPT, write_config(tmp_path, ("radiator",)),
                        "the signal handler deadlocked on the event queue's lock")
    assert result.stdout.startswith("stopped"), result.stdout


def test_a_stop_signal_the_process_was_started_ignoring_stays_ignored() -> None:
    # `nohup` starts PySEB with SIGHUP ignored, so that a dropped ssh session leaves it running: caught, it
    # stopped the daemon (and the night's fallback heating never ran).
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        assert signal.SIGHUP not in stop_signals_to_catch()
        assert signal.SIGTERM in stop_signals_to_catch()
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        assert signal.SIGHUP in stop_signals_to_catch()
    finally:
        signal.signal(signal.SIGHUP, previous)


HELD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, sys.argv[2])
    from shell.stop_signals import hangups_as_interrupt, stop_signals_held

    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # (as nohup starts it)
    with hangups_as_interrupt():
        try:
            with stop_signals_held():
                assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # (left ignored: a fork's child keeps it so)
                os.kill(os.getpid(), signal.SIGTERM)
                print("held", flush=True)  # (a call: Python runs a pending handler at it)
        except KeyboardInterrupt:
            print("raised on leaving")
""")


def test_a_stop_signal_held_is_raised_on_leaving_not_lost() -> None:
    # (around a fork: its handler run in Python's at-fork hooks, its KeyboardInterrupt was ignored there)
    result = run_script(HELD, Path("unused"), "the held stop signal hung")
    assert result.stdout.splitlines() == ["held", "raised on leaving"], result.stdout
