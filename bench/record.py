#!/usr/bin/env python3
"""Benchmark: what the decision listeners (daily report, day recorder) cost the regulation's hot path.

    python3 bench/record.py [--rounds 7] [--decisions 2000]

Drives the real regulator (the demo house: a variator and two relays) with meter readings, every pair a
decision, and times a decision three ways, interleaved so a busy machine slows them alike: no listener,
the daily report only, the report and the recorder (the best round of each). Then the writer thread's
work for a whole day (format, gzip: off the hot path). Prints the figures; exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.decisions import DecisionRecord, is_relay  # noqa: E402
from recording.format import format_rows  # noqa: E402
from recording.writer import DayRecorder  # noqa: E402
from regulation import Regulator  # noqa: E402
from simulation.demo_config import DEMO_TEMPLATE  # noqa: E402
from simulation.pzem import PzemMeter  # noqa: E402

NOON = 1_750_000_000.0  # a June day, around noon in Paris


def _readings(count: int) -> list[tuple[bytes, bytes]]:
    # A surplus that wanders over the variator's and the relays' range: decisions that move loads.
    cons, prod = PzemMeter("power"), PzemMeter("power")
    return [(cons.reading(900 + 600 * math.sin(i / 7), 2.5).encode(),
             prod.reading(3500 + 1500 * math.sin(i / 31), 2.5).encode()) for i in range(count)]


def _time_decisions(reg: Regulator, readings: list[tuple[bytes, bytes]], start: float) -> float:
    """Seconds for len(readings) decisions (each: a consumption then a production reading)."""
    topic_cons, topic_prod = reg.settings.mqtt.topic_cons, reg.settings.mqtt.topic_prod
    began = time.perf_counter()
    for i, (cons, prod) in enumerate(readings):
        now = start + 2.5 * i
        reg.handle(topic_cons, cons, now)
        reg.handle(topic_prod, prod, now + 0.01)
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds of each kind (default 7)")
    parser.add_argument("--decisions", type=int, default=2000, help="decisions per round (default 2000)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.decisions < 10:
        parser.error("--rounds must be >= 1 and --decisions >= 10")
    readings = _readings(args.decisions)
    published: list[Any] = []
    regs: dict[str, Regulator] = {}
    sink = None
    for label in ("no listener", "daily report", "report + recorder"):
        reg = Regulator.from_config(DEMO_TEMPLATE, lambda *message: published.append(message))
        if label == "no listener":
            reg._decision_listeners.clear()
        elif label == "report + recorder":
            sink = DayRecorder(Path("/nonexistent"), [x.name for x in reg.loads], [is_relay(x) for x in reg.loads],
                               reg.tz, 10.0, threaded=False)
            reg.add_decision_listener(sink.add)
        _time_decisions(reg, readings[:50], NOON - 2.5 * 50)  # warm up: the first decisions start the loads
        regs[label] = reg
    best: dict[str, float] = {}
    records: list[DecisionRecord] = []
    for round_index in range(args.rounds):
        for label, reg in regs.items():
            published.clear()
            took = _time_decisions(reg, readings, NOON + round_index * 2.5 * args.decisions)
            best[label] = min(best.get(label, took), took)
        assert sink is not None
        # The daemon hands its batch over every flush_interval: the list never grows past a few hundred.
        records, sink._pending = sink._pending, []
    per = {label: took / args.decisions * 1e6 for label, took in best.items()}
    base = per["no listener"]
    print(f"{args.decisions} decisions a round, best of {args.rounds} rounds, the demo house (3 loads):")
    for label, us in per.items():
        extra = "" if label == "no listener" else f"  ({us - base:+.1f} us, {(us - base) / base * 100:+.1f} %)"
        print(f"  {label:<18} {us:7.1f} us a decision{extra}")
    print("  (the listeners run after the decision's commands are published: a command's latency does not "
          "include them)")
    alone = DayRecorder(Path("/nonexistent"), ["x"], [False], None, 10.0, threaded=False)
    began = time.perf_counter()
    for record in records:
        alone.add(record)
    print(f"  the recorder's own share, timed alone: {(time.perf_counter() - began) / len(records) * 1e6:.2f} us a "
          "decision (an append; the difference between the two lines above is mostly noise)")
    day = (records * (21600 // len(records) + 1))[:21600]  # a day: one decision every 4 s
    began = time.perf_counter()
    packed = gzip.compress(format_rows(day, regs["no listener"].tz).encode(), compresslevel=6, mtime=0)
    print(f"writer thread, off the hot path: a day of 21600 decisions formatted and compressed in "
          f"{(time.perf_counter() - began) * 1000:.0f} ms, {len(packed) / 1e6:.2f} MB on disk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
