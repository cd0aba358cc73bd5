"""Running regulation.py as a real subprocess for integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stop_signals_at_their_default() -> None:
    """(`preexec_fn`, in the child before exec) The stop signals as a terminal's session starts a process: a test
    run in the background (`pytest &`, nohup, a CI runner) ignores SIGINT or SIGHUP; the child inherits that, and
    PySEB leaves a signal it was started ignoring alone (nohup's SIGHUP), so a test of that signal waited for
    nothing."""
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


class DaemonProcess:
    """`python3 regulation.py -c <config>`, stopped by its PID (SIGTERM, then SIGKILL) if still running."""

    def __init__(self, config: Path, *extra: str) -> None:
        self.log_path = config.parent / f"daemon-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (kept open for the process's life)
        # (PYTHONFAULTHANDLER: a daemon that does not stop is sent SIGABRT, and writes every thread's stack)
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "regulation.py"), "-c", str(config),
                                      "--log-level", "DEBUG", *extra],
                                     stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                     preexec_fn=stop_signals_at_their_default)

    @property
    def output(self) -> str:
        """What the daemon has logged so far."""
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout_s: float = 15.0, signum: int = signal.SIGTERM) -> int:
        """`signum` (SIGTERM by default) and wait; returns the exit code."""
        if self.proc.poll() is None:
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
