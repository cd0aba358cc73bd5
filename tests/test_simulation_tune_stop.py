"""A tune stopped (Ctrl-C to the terminal's group, `kill`, a closed terminal) stops at once: the replays not started
are cancelled, its workers end, its temporary folder goes. It waited for the whole grid first (a Ctrl-C answered a
minute later), and `kill` left the workers running for ever and the folder behind.

The tune's pool takes the interpreter's start method: fork on Linux up to Python 3.13, forkserver from 3.14, where the
workers are the fork server's children, the tune's grandchildren (the test counted the tune's children as its workers:
there, the fork server and the resource tracker). Each case runs with the default and with forkserver forced."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.daemon_process import stop_signals_at_their_default

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"
# Enough replays that the whole grid takes far longer than the wait below (each a second or more).
GRID = "evaluate.margin=" + ",".join(str(m) for m in range(0, 240, 10))
# `python3 -m simulation` with the pool's start method forced (argv[1]), as Python 3.14 has it by default
WITH_START_METHOD = ("import multiprocessing, runpy, sys; multiprocessing.set_start_method(sys.argv.pop(1)); "
                     "runpy.run_module('simulation', run_name='__main__', alter_sys=True)")
DEFAULT_METHOD = multiprocessing.get_all_start_methods()[0]  # (the first is the default)
# `python3 -m simulation` sending itself a stop signal (argv[1]) as it forks its first worker: one taken during the
# fork, its handler run in the at-fork hooks that follow (logging's, first of the tune's own)
SIGNAL_AT_THE_FORK = ("import os, runpy, signal, sys; signum = getattr(signal, sys.argv.pop(1)); sent = []\n"
                      "def send():\n"
                      "    if not sent:\n"
                      "        sent.append(os.kill(os.getpid(), signum))\n"
                      "os.register_at_fork(after_in_parent=send)\n"
                      "runpy.run_module('simulation', run_name='__main__', alter_sys=True)")


def _parents() -> dict[int, int]:
    """Each process's parent (Linux: /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            found[int(entry.name)] = int(status.partition("\nPPid:\t")[2].partition("\n")[0])
    return found


def _command(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _workers_and_helpers(pid: int) -> tuple[list[int], list[int]]:
    """The processes under the tune `pid`, whatever the start method: its workers, and the helpers multiprocessing
    starts beside them (forkserver and spawn: the resource tracker; forkserver: the fork server, whose children the
    workers are, with its command line)."""
    parents = _parents()
    under, below = [], [pid]
    while below:
        children = [child for child, parent in parents.items() if parent == below[-1]]
        below.pop()
        under += children
        below += children
    helpers = [child for child in under if b"multiprocessing.resource_tracker" in _command(child)
               or (parents.get(child) == pid and b"multiprocessing.forkserver" in _command(child))]
    return [child for child in under if child not in helpers], helpers


def _started_work(pid: int) -> bool:
    """The worker `pid` ran its initializer, which ignores SIGINT (its `SigIgn` mask says so): from then on it has its
    own signal handling. A worker of the fork server imports the tune's modules first (a second or more under load):
    the nohup case sent its SIGHUP before that and passed with the worker's reset to SIGHUP's default undone."""
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    ignored = int(status.partition("\nSigIgn:\t")[2].partition("\n")[0] or "0", 16)
    return bool(ignored >> (signal.SIGINT - 1) & 1)


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # (a zombie has ended)


def _as_nohup_starts_it() -> None:
    """(`preexec_fn`) SIGHUP ignored, as `nohup` starts a command, SIGINT at its default."""
    stop_signals_at_their_default()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


class _Tune:
    """(`with`) A tune of GRID started as `how` says (its signals as a terminal's shell or nohup leaves them) with the
    start method `method` forced (None: the interpreter's), running until its workers have started work; on leaving,
    killed if still running, and `left` the processes it started that outlived it (killed too, by their pid)."""

    def __init__(self, scratch: Path, how: str, method: str | None) -> None:
        command = [sys.executable, "-m", "simulation"] if method is None else [sys.executable, "-c",
                                                                                WITH_START_METHOD, method]
        self.proc = subprocess.Popen(
            [*command, "tune", str(TRACE), "-c", str(ROOT / "simulation" / "demo.ini"), "--set", GRID, "--jobs", "2"],
            cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
            # (as a terminal's shell starts it: a test run started in the background, `nohup` or a CI runner, ignores
            # SIGINT and SIGHUP, which the tune inherited and rightly kept ignoring: both cases waited for the whole
            # grid, the SIGTERM one passed)
            preexec_fn=_as_nohup_starts_it if how.endswith("nohup") else stop_signals_at_their_default)
        self.started: set[int] = set()  # (the workers and the helpers: none may outlive the tune)
        self.left: list[int] = []
        self.err = ""  # (its standard error, once left)

    def __enter__(self) -> _Tune:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not (len(workers) >= 2 and all(_started_work(pid) for pid in workers)) \
                and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.2)
            workers, helpers = _workers_and_helpers(self.proc.pid)
            self.started.update(workers, helpers)
        if not (len(workers) >= 2 and all(_started_work(pid) for pid in workers)):
            self.__exit__()  # (run only after an __enter__ that returned: the tune replayed its whole grid on)
            pytest.fail(f"the tune's workers never started (exit {self.proc.returncode}): {self.err}")
        time.sleep(1.0)  # (replaying)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # (a stopped tune's workers end before it does, which waits for them; the fork server and the resource tracker
        # when the tune's end closes their pipes: a moment after it)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in self.started) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.left = [pid for pid in self.started if _alive(pid)]
        for pid in self.left:  # (not left behind by a failing test either)
            os.kill(pid, signal.SIGKILL)
        _, self.err = self.proc.communicate(timeout=20)  # (its pipes closed, whatever held them gone)


def _unless_the_default(method: str | None) -> None:
    if method == DEFAULT_METHOD:
        pytest.skip(f"{method} is this Python's default: the default-start case ran it")


@pytest.fixture
def scratch() -> Iterator[Path]:
    """The tune's TMPDIR, empty, short: the fork server listens on a socket in it (pymp-*/listener-*), and under
    pytest-xdist, in tmp_path, that socket's path was over AF_UNIX's 107 bytes: the forkserver cases' tune ended at once
    ("AF_UNIX path too long"), and they failed as "workers never started" with the tune's pinned fork undone."""
    with tempfile.TemporaryDirectory(prefix="tune-") as folder:
        yield Path(folder)


START_METHODS = pytest.mark.parametrize("method", [None, "forkserver"], ids=["default-start", "forkserver"])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@START_METHODS
@pytest.mark.parametrize("how", ["sigint-to-group", "sigterm", "sighup", "sighup-to-group-under-nohup"])
def test_a_stopped_tune_stops_its_workers_and_removes_its_folder(scratch: Path, how: str, method: str | None) -> None:
    _unless_the_default(method)
    with _Tune(scratch, how, method) as tune:
        proc = tune.proc
        if how == "sigint-to-group":
            os.killpg(proc.pid, signal.SIGINT)
        elif how == "sighup-to-group-under-nohup":
            # (what a dropped ssh session's shell sends its jobs: the tune, started ignoring it, goes on, its workers
            # too; they reset SIGHUP to its default, died of it, and the tune ended in a BrokenProcessPool traceback)
            os.killpg(proc.pid, signal.SIGHUP)
            time.sleep(2.0)
            assert proc.poll() is None and all(_alive(pid) for pid in tune.started), "a SIGHUP under nohup stopped it"
            proc.send_signal(signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGHUP)
        _, err = proc.communicate(timeout=20)  # (the whole grid: over a minute)
    assert proc.returncode == 130, err
    assert "interrupted: everything started was stopped" in err and "Traceback" not in err
    assert tune.left == []
    assert list(scratch.iterdir()) == []  # (its pyseb-tune-* folder removed)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@START_METHODS
def test_a_tune_killed_hard_leaves_no_worker_running(scratch: Path, method: str | None) -> None:
    """SIGKILL (the OOM killer, `kill -9`) runs nothing of the tune's: its workers die with it all the same. With the
    fork server's workers (Python 3.14's default), each held the fork server's pipe open: the fork server, waiting for
    its end, stayed, and so did its workers, its children, for ever, a replay's memory each."""
    _unless_the_default(method)
    with _Tune(scratch, "sigkill", method) as tune:
        tune.proc.send_signal(signal.SIGKILL)
        tune.proc.wait(timeout=20)
    assert tune.left == [], "processes of the tune's pool outlived it"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the tune forks its workers on Linux")
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_as_the_tune_forks_its_workers_stops_it(scratch: Path, stop: str) -> None:
    """A Ctrl-C or a `kill` just as the tune forks a worker: Python ran the tune's handler in its at-fork hooks, which
    ignore an exception (`Exception ignored in: <function _releaseLock ...> KeyboardInterrupt`): the stop was lost, and
    the tune replayed its whole grid (forked on Linux up to Python 3.13, and from 3.14 too: _pool_context)."""
    proc = subprocess.run(
        [sys.executable, "-c", SIGNAL_AT_THE_FORK, stop, "tune", str(TRACE), "-c",
         str(ROOT / "simulation" / "demo.ini"), "--set", "evaluate.margin=0,10", "--jobs", "2"],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, capture_output=True, text=True, timeout=300,
        preexec_fn=stop_signals_at_their_default)
    assert proc.returncode == 130, proc.stderr
    assert "interrupted: everything started was stopped" in proc.stderr and "Traceback" not in proc.stderr
    assert list(scratch.iterdir()) == []
