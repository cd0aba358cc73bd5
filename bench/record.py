#!/usr/bin/env python3
"""Benchmark: what the decision listeners (daily report, day recorder) cost the regulation's hot path.

    python3 bench/record.py [--runs 5]

Replays the 16-hour bench day (bench/replay.py) three ways, interleaved so a busy machine slows them
alike: no listener, the daily report only, the daily report and the recorder; then times the listener
work alone per decision (the record, the report's sums, the recorder's append) and the writer thread's
work for the day (format, gzip, write: off the hot path). Prints the figures; exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.decisions import DecisionRecord, is_relay, snapshot  # noqa: E402
from recording.format import format_rows  # noqa: E402
from recording.writer import DayRecorder  # noqa: E402
from simulation.demo_config import DEMO_TEMPLATE  # noqa: E402
from simulation.replay import real_regulator, replay  # noqa: E402

TRACE = ROOT / "simulation" / "traces" / "serf-east-2022-03-19.csv"


class _Variant:
    """A regulator factory: the real regulator with some of its decision listeners."""

    def __init__(self, report: bool, recorder: bool, directory: Path) -> None:
        self.report, self.recorder_on, self.directory = report, recorder, directory
        self.regulator: Any = None
        self.recorder: DayRecorder | None = None

    def __call__(self, path: str, publish: Any) -> Any:
        reg: Any = real_regulator(path, publish)
        if not self.report:
            reg._decision_listeners.clear()
        if self.recorder_on:
            self.recorder = DayRecorder(self.directory, [x.name for x in reg.loads], [is_relay(x) for x in reg.loads],
                                        reg.tz, 10.0, threaded=False)
            reg.add_decision_listener(self.recorder.add)
        self.regulator = reg
        return reg


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="replays of each kind (default 5)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    kinds = {"no listener": (False, False), "daily report": (True, False), "report + recorder": (True, True)}
    best: dict[str, float] = {}
    decisions = 0
    records: list[DecisionRecord] = []
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.runs):
            for label, (report, recorder) in kinds.items():
                variant = _Variant(report, recorder, Path(work))
                began = time.perf_counter()
                replay(DEMO_TEMPLATE, TRACE, "05:00", "21:00", 2.0, make_regulator=variant)
                took = time.perf_counter() - began
                best[label] = min(best.get(label, took), took)
                if variant.recorder is not None:
                    records = list(variant.recorder._pending)
                    decisions = len(records)
        reg = variant.regulator
    for label, took in best.items():
        print(f"{label:<18} best replay {took:.3f} s")
    base = best["no listener"]
    print(f"decisions in the day: {decisions}")
    for label in ("daily report", "report + recorder"):
        extra_us = (best[label] - base) / decisions * 1e6
        print(f"{label:<18} {best[label] / base * 100 - 100:+.1f} % of the replay, {extra_us:+.1f} us a decision "
              "(replay-to-replay noise included)")
    # The listener work alone, without the replay around it.
    loads, regulated = reg.loads, list(reg.loads)
    daily, sink = reg.daily, DayRecorder(Path("/nonexistent"), ["x"], [False], None, 10.0, threaded=False)
    count = 20000
    began = time.perf_counter()
    for i in range(count):
        record = snapshot(1e9 + i * 4.0, 1500.0, 3000.0, loads, reg._relays, regulated)
        daily.add(record)
        sink.add(record)
    hook_us = (time.perf_counter() - began) / count * 1e6
    decision_us = base / decisions * 1e6
    print(f"listener work alone: {hook_us:.1f} us a decision; a whole period with its decision costs "
          f"{decision_us:.0f} us here: {hook_us / decision_us * 100:.1f} %")
    began = time.perf_counter()
    text = format_rows(records, reg.tz)
    packed = gzip.compress(text.encode(), compresslevel=6, mtime=0)
    print(f"writer thread, off the hot path: {len(records)} records formatted and compressed in "
          f"{(time.perf_counter() - began) * 1000:.0f} ms ({len(text) / 1e6:.2f} MB -> {len(packed) / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
