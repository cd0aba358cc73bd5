"""A tune stopped (Ctrl-C to the terminal's group, `kill`, a closed terminal) stops at once: the replays not started
are cancelled, its workers end, its temporary folder goes. It waited for the whole grid first (a Ctrl-C answered a
minute later), and `kill` left the workers running for ever and the folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.daemon_process import stop_signals_at_their_default

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"
# Enough replays that the whole grid takes far longer than the wait below (each a second or more).
GRID = "evaluate.margin=" + ",".join(str(m) for m in range(0, 240, 10))


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux: /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


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


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("how", ["sigint-to-group", "sigterm", "sighup", "sighup-to-group-under-nohup"])
def test_a_stopped_tune_stops_its_workers_and_removes_its_folder(tmp_path: Path, how: str) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "simulation", "tune", str(TRACE), "-c",
                             str(ROOT / "simulation" / "demo.ini"), "--set", GRID, "--jobs", "2"],
                            cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # (as a terminal's shell starts it: a test run started in the background, `nohup` or a CI
                            # runner, ignores SIGINT and SIGHUP, which the tune inherited and rightly kept ignoring:
                            # both cases waited for the whole grid, the SIGTERM one passed)
                            preexec_fn=_as_nohup_starts_it if how.endswith("nohup") else stop_signals_at_their_default)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 2, "the tune's workers never started"
        time.sleep(1.0)  # (replaying)
        if how == "sigint-to-group":
            os.killpg(proc.pid, signal.SIGINT)
        elif how == "sighup-to-group-under-nohup":
            # (what a dropped ssh session's shell sends its jobs: the tune, started ignoring it, goes on, its workers
            # too; they reset SIGHUP to its default, died of it, and the tune ended in a BrokenProcessPool traceback)
            os.killpg(proc.pid, signal.SIGHUP)
            time.sleep(2.0)
            assert proc.poll() is None and all(_alive(pid) for pid in workers), "a SIGHUP under nohup stopped it"
            proc.send_signal(signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGHUP)
        _, err = proc.communicate(timeout=20)  # (the whole grid: over a minute)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        time.sleep(0.5)
        left = [pid for pid in workers if _alive(pid)]
        for pid in left:  # (not left behind by a failing test either)
            os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted: everything started was stopped" in err and "Traceback" not in err
    assert left == []
    assert list(scratch.iterdir()) == []  # (its pyseb-tune-* folder removed)
