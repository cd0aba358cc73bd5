"""bench/latency.py: every reading it sends gets its command (the figures are latencies, not its 2 s timeout)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.mqtt
def test_every_reading_pair_gets_a_command_under_the_default_closed_loop() -> None:
    # The bench alternates a surplus and an import every 11 ms, each worth a new command. Under the closed
    # loop (the default since the figures were first taken) a house reading within `settle` (1 s) of a command
    # is no evidence, so most pairs got no decision: 18 of 20 readings timed out at 2 s, the p50 was 2000 ms,
    # and `make bench` spent half an hour on its 1000 readings.
    # (a pair every 500 ms, each command waited for 10 s: the claim is that each pair is decided on, not how fast. The
    # bench's swings are taken for hunting, and the wait for evidence raised to 0.75 of the meter's pace (core/hunting):
    # at the bench's own 11 ms that left the daemon 2 ms, and on a busy CI machine 5 of 20 pairs had no decision)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "latency.py"), "--readings", "20", "--pause-ms", "500",
                           "--timeout-s", "10"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    assert "readings timed:         20 (0 without a command within 10 s)" in done.stdout, done.stdout + done.stderr
