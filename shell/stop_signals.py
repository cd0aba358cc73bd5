"""The signals that stop a PySEB process cleanly: its loads left as they must be, its files saved."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["STOP_SIGNALS", "StartHangup", "StoppedWhileStarting", "has_controlling_terminal", "hangups_as_interrupt",
           "stop_signals_held", "stop_signals_to_catch", "stopping_on_signals"]

# SIGTERM (systemd, kill), SIGINT (Ctrl-C), and SIGHUP: a dropped ssh session or a closed terminal sends it to
# what runs in the foreground, whose Python default is to die at once, with the loads left as they were. SIGUSR1: the
# seed stopped cleanly on it (its scripts' and users' `kill -USR1`), where Python's default dies as at SIGHUP. (Not the
# seed's SIGBUS: a real bus error, the faulting instruction run again after a Python handler, would loop for ever.)
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1") if hasattr(signal, name))


def stop_signals_to_catch() -> list[signal.Signals]:
    """STOP_SIGNALS but those the process was started ignoring: `nohup` ignores SIGHUP so that a dropped ssh
    session leaves the process running (caught, it stopped PySEB, and the night's fallback heating never ran),
    and a shell ignores SIGINT for a job it starts in the background. (The main thread only.)"""
    return [signum for signum in STOP_SIGNALS if signal.getsignal(signum) is not signal.SIG_IGN]


@contextmanager
def _handling(signums: list[signal.Signals], handler: Callable[[int, object], None]) -> Iterator[None]:
    """`handler` for `signums` while inside, the handlers before put back on leaving (one not installed from Python,
    None, as the default); nothing installed outside the main thread (Python allows no other)."""
    previous: dict[signal.Signals, object] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in signums:
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, signal.SIG_DFL if before is None else before)  # type: ignore[arg-type]


@contextmanager
def stopping_on_signals(stop: Callable[[str], None]) -> Iterator[None]:
    """While inside, a stop signal calls `stop("interrupted (SIGINT)")` rather than ending the process: a tool that
    drives a load puts it back first (SIGHUP too: one run over ssh whose session drops). The handlers before are put
    back on leaving. Installed from the main thread only (Python allows no other), and not for a signal the process
    was started ignoring (stop_signals_to_catch)."""
    def on_signal(signum: int, frame: object) -> None:
        stop(f"interrupted ({signal.Signals(signum).name})")

    with _handling(stop_signals_to_catch(), on_signal):
        yield


@contextmanager
def hangups_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM (`kill`) and SIGHUP (a closed terminal, a dropped ssh session) raise KeyboardInterrupt as
    Ctrl-C does, so that a tool's `finally` blocks run: a tune's worker processes stopped and its temporary folder
    removed (they were left running for ever, and the folder behind), a recording's last batch written. A signal the
    process was started ignoring (nohup's SIGHUP) stays so; the handlers before are put back on leaving. (The main
    thread only: elsewhere, nothing is installed.)"""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    sigint = getattr(signal, "SIGINT", None)
    with _handling([signum for signum in stop_signals_to_catch() if signum is not sigint], interrupt):
        yield


@contextmanager
def stop_signals_held() -> Iterator[None]:
    """While inside, a stop signal whose handler is Python's (KeyboardInterrupt: Ctrl-C's, hangups_as_interrupt's) is
    noted, its handler called on leaving. For a fork: one taken during it has its handler run in Python's at-fork
    hooks, which ignore an exception (`Exception ignored in: <function _releaseLock ...>`), and a tune stopped just as
    it forked its workers replayed its whole grid. A fork's child inherits the noting handler until it sets its own.
    (The main thread only: elsewhere, nothing is held.)"""
    handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    python = {signum: handler for signum, handler in handlers.items() if callable(handler)}
    held: list[int] = []
    with _handling(list(python), lambda signum, frame: held.append(signum)):
        yield
    if held:
        python[signal.Signals(held[0])](held[0], None)


def has_controlling_terminal() -> bool:
    """True when the process has a terminal whose closing sends it SIGHUP (a shell's in a terminal window or an ssh
    session); False under systemd, cron or setsid. Ask at start: a terminal that hangs up is no longer the
    process's when its SIGHUP is handled."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:  # ENXIO: no controlling terminal
        return False
    os.close(fd)
    return True


class StartHangup:
    """SIGHUP while PySEB starts, before the daemon's own handlers exist (the imports, the config, the curves' fits:
    seconds on a Pi Zero). Python's default killed the process: without a terminal that was logrotate's postrotate
    (its timer fires at boot, as PySEB starts), a death by SIGHUP that systemd's Restart=on-failure counts as clean,
    and nothing regulated. Without a terminal it is held (`arrived`: the daemon reopens its log once running); in a
    terminal, which hung up, the start stops as after a Ctrl-C (KeyboardInterrupt). Nothing is commanded before the
    daemon runs, so either leaves no load on."""

    def __init__(self) -> None:
        self.arrived = False

    def catch(self) -> None:
        """Install the handler (the main thread only); a SIGHUP the process was started ignoring (nohup) stays so."""
        hangup = getattr(signal, "SIGHUP", None)
        if hangup is None or signal.getsignal(hangup) is signal.SIG_IGN:
            return
        signal.signal(hangup, self._hung_up if has_controlling_terminal() else self._held)

    def _held(self, signum: int, frame: object) -> None:
        self.arrived = True

    @staticmethod
    def _hung_up(signum: int, frame: object) -> None:
        raise KeyboardInterrupt


class StoppedWhileStarting(Exception):  # noqa: N818 (a stop asked for, not an error)
    """A stop signal caught by the daemon's handlers before its run began (the window between the start's end and
    the run): nothing was connected or commanded, and the instance lock is released. `signal_name`: which."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"{signal_name} while starting")
        self.signal_name = signal_name
