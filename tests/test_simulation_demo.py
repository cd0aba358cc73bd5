"""The live demo end to end in a short mode: the real daemon drives the virtual devices, nothing is left behind."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = re.compile(r"broker pid (\d+) on [\d.]+:\d+, daemon pid (\d+), work dir (\S+)")
LIVE = re.compile(r"^(\d\d:\d\d)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+) \(([\d.]+)\)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)$")


def _demo(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "simulation", "demo", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return [pid for pid in found if _alive(pid)]


def _assert_nothing_left(out: str) -> None:
    match = HEADER.search(out)
    assert match, out
    broker_pid, daemon_pid, work = int(match[1]), int(match[2]), match[3]
    assert not _alive(broker_pid) and not _alive(daemon_pid)
    assert _processes_mentioning(work) == []
    assert not Path(work).exists()


def test_short_demo_runs_end_to_end_and_leaves_nothing() -> None:
    proc = _demo("--minutes", "3", "--speed", "60", "--start", "11:30")
    out_b, err_b = proc.communicate(timeout=120)
    out, err = out_b.decode(), err_b.decode()
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    live = [LIVE.match(line) for line in out.splitlines()]
    rows = [m for m in live if m]
    assert len(rows) >= 2, out
    assert [r[1] for r in rows][:2] == ["11:31", "11:32"]
    # The sun shines at 11:30: the daemon commanded the variator (percent > 0) and the heater drew.
    assert any(float(r[5]) > 0 and int(r[4]) > 0 for r in rows), out
    assert "capture" in out and "oracle" in out
    _assert_nothing_left(out)


def test_ctrl_c_stops_everything_it_started() -> None:
    proc = _demo("--minutes", "30", "--speed", "30")
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + 60
    try:
        # Interrupt once the demo runs: after its first live line.
        while not any(LIVE.match(line) for line in seen.decode(errors="replace").splitlines()):
            left = deadline - time.monotonic()
            assert left > 0, seen.decode(errors="replace")
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                assert chunk, f"demo ended early: {seen.decode(errors='replace')}"
                seen += chunk
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert b"interrupted" in err
    _assert_nothing_left((seen + rest).decode())
