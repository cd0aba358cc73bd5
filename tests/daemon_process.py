"""Running regulation.py as a real subprocess for integration tests."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(script: str, config: Path, hung: str) -> subprocess.CompletedProcess[str]:
    """`script` (Python, given the config's path and the checkout's as argv[1] and argv[2]) run in a process of its
    own, within 20 s: a stop that hangs fails the test with `hung`, not the suite; its exit code checked."""
    try:
        result = subprocess.run([sys.executable, "-c", script, str(config), str(ROOT)], capture_output=True,
                                text=True, timeout=20, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise AssertionError(hung) from None
    assert result.returncode == 0, result.stderr
    return result


def stop_signals_at_their_default() -> None:
    """(`preexec_fn`, in the child before exec) The stop signals as a terminal's session starts a process: a test
    run in the background (`pytest &`, nohup, a CI runner) ignores SIGINT or SIGHUP; the child inherits that, and
    PySEB leaves a signal it was started ignoring alone (nohup's SIGHUP), so a test of that signal waited for
    nothing."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def in_a_session_of_its_own(terminal_fd: int | None) -> Callable[[], None]:
    """(`preexec_fn`) The child in a new session: with `terminal_fd` (a pseudo-terminal's) as its controlling
    terminal, as a shell in a terminal or an ssh session starts it; without one (None), as systemd or cron do."""
    def preexec() -> None:
        stop_signals_at_their_default()
        os.setsid()
        if terminal_fd is not None:
            fcntl.ioctl(terminal_fd, termios.TIOCSCTTY, 0)
    return preexec


class DaemonProcess:
    """`python3 regulation.py -c <config>`, stopped by its PID (SIGTERM, then SIGKILL) if still running.

    `terminal`: None runs it in the test's own session (whatever terminal that has); True in a session of its own
    whose controlling terminal is a pseudo-terminal the test holds (`hang_up()` closes it, as a closed terminal
    window or a dropped ssh session does); False in a session of its own with no terminal (systemd, cron)."""

    def __init__(self, config: Path, *extra: str, terminal: bool | None = None) -> None:
        self.log_path = config.parent / f"daemon-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (kept open for the process's life)
        # (PYTHONFAULTHANDLER: a daemon that does not stop is sent SIGABRT, and writes every thread's stack)
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
        self._terminal: int | None = None  # the pseudo-terminal's master side, held for the daemon's terminal
        terminal_fd: int | None = None
        preexec = stop_signals_at_their_default
        if terminal is not None:
            if terminal:
                self._terminal, terminal_fd = os.openpty()
            preexec = in_a_session_of_its_own(terminal_fd)
        try:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "regulation.py"), "-c", str(config),
                                          "--log-level", "DEBUG", *extra],
                                         stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                         preexec_fn=preexec, pass_fds=() if terminal_fd is None else (terminal_fd,))
        finally:
            if terminal_fd is not None:
                os.close(terminal_fd)  # (the child holds its own copy)

    def hang_up(self) -> None:
        """Close the daemon's terminal: the kernel sends SIGHUP to its session's leader, the daemon."""
        if self._terminal is not None:
            os.close(self._terminal)
            self._terminal = None

    @property
    def output(self) -> str:
        """What the daemon's log holds so far. A running daemon's lines are written by a thread of its own
        (shell/log_writer.py), possibly after what it did next (a command seen on the broker): a line is sure to be
        there once `wait_for` has seen it, or once the daemon has ended by itself or by terminate() (its end writes
        what is queued; not close()'s SIGKILL). A line said absent ("not in") is so only up to a later line waited
        for, or at such an end."""
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float, count: int = 1) -> bool:
        """Wait until the daemon has logged `text` (`count` times at least), `timeout_s` at most; whether it has. (The
        test asserts what it needs: a line missing is often the news, said better by the output than by a timeout.)"""
        deadline = time.monotonic() + timeout_s
        while self.output.count(text) < count:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def terminate(self, timeout_s: float = 15.0, signum: int = signal.SIGTERM) -> int:
        """`signum` (SIGTERM by default) and wait; returns the exit code. SIGHUP to a daemon with a terminal of the
        test's comes as it does in life: that terminal closes."""
        if self.proc.poll() is None:
            if signum == signal.SIGHUP and self._terminal is not None:
                self.hang_up()
            else:
                self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            # Where it hangs is the news: SIGABRT makes the fault handler write each thread's stack to the log.
            self.proc.send_signal(signal.SIGABRT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            raise AssertionError(f"the daemon did not stop within {timeout_s:g} s of {signal.Signals(signum).name}; "
                                 f"its log ends with:\n{self.output[-6000:]}") from None
        finally:
            self.close()

    def close(self) -> None:
        """Make sure the process is gone."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._log.close()
        if self._terminal is not None:
            os.close(self._terminal)
            self._terminal = None
