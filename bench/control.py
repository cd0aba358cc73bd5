#!/usr/bin/env python3
"""Benchmark of the control quality: Hébert's rule against the closed-loop controller, on real days.

    python3 bench/control.py [--noise] [--jobs 2] [--only DAY]

Replays, through the real decision core, the three shipped real days with two houses (the demo house
and a two-load house: ECS-04 heater with a 6 kWh tank, then a 600 W relay), once per algorithm, and
prints per day, house and algorithm: capture of the oracle, caused import, export, and per relay the
switches and the shortest on and off stretches. Then the issue-8 goals, each MET or MISSED: a missed
goal is a figure, not a failure (the exit code is 0 either way; 2 only for a bad argument).
`--noise` adds +-10 W of meter noise and loses 2 % of the readings; `--settings` prints the trade-off
table of relay dwell and export setpoint for the README.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulation.metrics import PeriodRow, Summary  # noqa: E402
from simulation.replay import replay  # noqa: E402
from simulation.variants import write_variant  # noqa: E402

TRACES = ROOT / "simulation" / "traces"
DAYS = {  # name -> (file, is a 1-minute day)
    "serf-east-2022-03-19": (TRACES / "serf-east-2022-03-19.csv", True),
    "payerne-2016-06-29": (TRACES / "bsrn-payerne-2016-06-29.csv", True),
    "payerne-2016-06-18-10s": (TRACES / "bsrn-payerne-2016-06-18-10s.csv", False),
}
HOUSES = {"demo": ROOT / "simulation" / "demo.ini", "two-load": ROOT / "bench" / "houses" / "two-load.ini"}
ALGORITHMS = ("hebert", "closed_loop")
# The README's trade-off table: relay dwell, on delay and export setpoint.
SETTINGS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("defaults", ()),
    ("dwell 300/300 s", (("radiator", "min_on_s", "300"), ("radiator", "min_off_s", "300"))),
    ("dwell 120/60 s", (("radiator", "min_on_s", "120"), ("radiator", "min_off_s", "60"))),
    ("dwell 1800/600 s", (("radiator", "min_on_s", "1800"), ("radiator", "min_off_s", "600"))),
    ("on delay 60 s", (("radiator", "on_delay_s", "60"),)),
    ("setpoint 5 W", (("evaluate", "margin", "5"),)),
    ("setpoint 50 W", (("evaluate", "margin", "50"),)),
)
DWELL_ON_S, DWELL_OFF_S = 600.0, 120.0  # the default min_on_s and min_off_s
NOISE = {"noise_w": "10", "lost_readings": "0.02"}


@dataclass(frozen=True, slots=True)
class Run:
    """One replay to make: a day, a house, an algorithm and the config overrides."""

    day: str
    house: str
    algorithm: str
    overrides: tuple[tuple[str, str, str], ...] = ()
    label: str = ""


@dataclass(frozen=True, slots=True)
class Figures:
    """What a run measured."""

    run: Run
    summary: Summary
    relays: tuple[int, ...]  # indexes of the on/off loads in the summary
    guard_sheds: int
    trial_sheds: int
    short_stretches: tuple[int, ...]  # per relay (as `relays`): on or off stretches shorter than the dwell
    excused: tuple[int, ...]  # per relay: switched off by the guard, a failed trial, or found idle
    late_oracle_caused_wh: float  # what the oracle's allocation, one reading late, imports (see below)
    late_oracle_capture_pct: float | None  # and what it captures
    seconds: float


def _one(run: Run) -> Figures:
    # The figures are the news: a relay shed by the guard is counted in its column, not logged.
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.ERROR)
    began = time.perf_counter()
    trace, _ = DAYS[run.day]
    regulators: list[object] = []

    def make(path: str, publish: object) -> object:
        from regulation import Regulator

        regulator = Regulator.from_config(path, publish=publish)  # type: ignore[arg-type]
        regulators.append(regulator)
        return regulator

    with tempfile.TemporaryDirectory(prefix="pyseb-bench-") as folder:
        overrides = (("evaluate", "algorithm", run.algorithm), *run.overrides)
        config = write_variant(HOUSES[run.house], Path(folder), overrides)
        result = replay(config, trace, make_regulator=make)  # type: ignore[arg-type]
    regulator = regulators[0]
    controller = getattr(regulator, "controller", None)
    guard_by: dict[str, int] = getattr(controller, "guard_sheds_by", {})
    trial_by: dict[str, int] = getattr(controller, "trial_sheds_by", {})
    relays = tuple(i for i, spec in enumerate(result.config.loads) if spec.type != "variable")
    names = result.summary.names
    loads = getattr(regulator, "loads_by_name", {})
    short = tuple(_short_stretches(result.rows, i) for i in relays)
    excused = tuple(guard_by.get(names[i], 0) + trial_by.get(names[i], 0)
                    + int(getattr(loads.get(names[i]), "idle_offs", 0)) for i in relays)
    return Figures(run, result.summary, relays, sum(guard_by.values()), sum(trial_by.values()), short, excused,
                   late_oracle_caused_wh(result.rows), late_oracle_capture_pct(result.rows),
                   time.perf_counter() - began)


def late_oracle_caused_wh(rows: Sequence[PeriodRow]) -> float:
    """Caused import of the oracle's allocation applied one reading late: the loads draw in each period
    what the oracle gave the period before, against this period's house and sun.

    A rule that acts on a meter reading learns of a step in the house or the sun a reading after it. This
    is a yardstick for the caused-import goals, not a proof: a rule that uses all of the surplus imports
    about this much; less only by giving up capture, or by foreseeing the house."""
    caused_ws = 0.0
    for before, row in pairwise(rows):
        late_w = sum(before.oracle_w)
        grid_w = row.consumption_w - sum(row.real_w) + late_w - row.production_w
        if grid_w > 0:
            caused_ws += min(grid_w, late_w) * row.period_s
    return caused_ws / 3600.0


def late_oracle_capture_pct(rows: Sequence[PeriodRow]) -> float | None:
    """Capture of the oracle a reading late: what it gives the loads (each period the oracle's allocation
    of the period before), less the import that causes, over what the oracle gives. None: nothing to give.

    The yardstick of the capture goals: a rule acting on a meter reading that wants more capture than
    this pays for it in import."""
    oracle_ws = sum(sum(row.oracle_w) * row.period_s for row in rows)
    if oracle_ws <= 0:
        return None
    given_ws = sum(sum(before.oracle_w) * row.period_s for before, row in pairwise(rows))
    return (given_ws - late_oracle_caused_wh(rows) * 3600.0) / oracle_ws * 100.0


def _short_stretches(rows: Sequence[PeriodRow], index: int) -> int:
    """Whole on (off) stretches of load `index` shorter than the default min_on_s (min_off_s)."""
    count, since, previous = 0, None, None
    for row in rows:
        on = row.command[index] > 0
        if previous is not None and on != previous:
            if since is not None and row.time_s - since < (DWELL_ON_S if previous else DWELL_OFF_S) - 1e-6:
                count += 1
            since = row.time_s
        previous = on
    return count


def run_all(runs: Sequence[Run], jobs: int) -> list[Figures]:
    """Every run, on `jobs` processes, in the order given."""
    if jobs <= 1:
        return [_one(r) for r in runs]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_one, runs))


def _dwell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_table(figures: Iterable[Figures]) -> None:
    """One line per run: capture, caused import, export, then per relay switches and dwells."""
    print(f"{'day':<24}{'house':<10}{'algorithm':<14}{'capture %':>10}{'caused Wh':>10}{'export Wh':>10}"
          f"{'guard':>6}{'trial':>6}  relays: switches (shortest on s / off s)")
    for f in figures:
        s = f.summary
        capture = "n/a" if s.capture_pct is None else f"{s.capture_pct:.2f}"
        relays = ", ".join(f"{s.names[i]} {s.switches[i]} ({_dwell(s.shortest_on_s[i])}/"
                           f"{_dwell(s.shortest_off_s[i])})" for i in f.relays)
        label = f.run.label or f.run.algorithm
        print(f"{f.run.day:<24}{f.run.house:<10}{label:<14}{capture:>10}{s.caused_import_wh:>10.1f}"
              f"{s.export_wh:>10.0f}{f.guard_sheds:>6}{f.trial_sheds:>6}  {relays}")


def goals(figures: Sequence[Figures]) -> list[tuple[str, bool]]:
    """The issue's targets, each with whether it was met, for every day and house."""
    by_key = {(f.run.day, f.run.house, f.run.algorithm): f for f in figures if not f.run.label}
    checks: list[tuple[str, bool]] = []
    for (day, house, algorithm), new in sorted(by_key.items()):
        if algorithm != "closed_loop" or (day, house, "hebert") not in by_key:
            continue
        old = by_key[(day, house, "hebert")].summary
        s, minute = new.summary, DAYS[day][1]
        where = f"{day} / {house}:"
        capture, old_capture = s.capture_pct or 0.0, old.capture_pct or 0.0
        floor = 99.0 if minute else 98.5
        late = new.late_oracle_capture_pct
        checks.append((f"{where} capture {capture:.3f} % >= {floor} % and >= Hébert's {old_capture:.3f} %"
                       + (f" (the oracle a reading late: {late:.2f} %)" if late is not None else ""),
                       capture >= floor and capture >= old_capture))
        limit = 10.0 if minute else old.caused_import_wh + 10.0
        checks.append((f"{where} caused import {s.caused_import_wh:.1f} Wh <= {limit:.1f} Wh "
                       f"(the oracle a reading late: {new.late_oracle_caused_wh:.1f} Wh)",
                       s.caused_import_wh <= limit))
        for i in new.relays:
            limit_sw = 12 if minute else old.switches[i] / 2
            checks.append((f"{where} {s.names[i]} {s.switches[i]} switches <= {limit_sw:g}",
                           s.switches[i] <= limit_sw))
        # Every on and off stretch at least the dwell, except those cut by the guard, a failed measuring
        # trial, or an appliance found idle: per relay, no more short stretches than such exceptions.
        for k, i in enumerate(new.relays):
            checks.append((f"{where} {s.names[i]}: {new.short_stretches[k]} stretches under the dwell, "
                           f"{new.excused[k]} by the guard, a trial or idle",
                           new.short_stretches[k] <= new.excused[k]))
    return checks


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures and goals; 0 whatever the goals say."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", action="store_true", help="meters with +-10 W noise and 2 %% lost readings")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--only", choices=sorted(DAYS), help="one day only")
    parser.add_argument("--settings", action="store_true",
                        help="the trade-off table: relay dwell and export setpoint (closed loop, two-load house)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    days = [args.only] if args.only else list(DAYS)
    extra = tuple(("simulation", k, v) for k, v in NOISE.items()) if args.noise else ()
    began = time.perf_counter()
    if args.settings:
        runs = [Run(day, "two-load", "closed_loop", extra + overrides, label)
                for label, overrides in SETTINGS for day in days]
        figures = run_all(runs, args.jobs)
        print_table(figures)
        print(f"\n{len(runs)} replays in {time.perf_counter() - began:.1f} s")
        return 0
    runs = [Run(day, house, algorithm, extra) for day in days for house in HOUSES for algorithm in ALGORITHMS]
    figures = run_all(runs, args.jobs)
    print("with meter noise (+-10 W) and 2 % of readings lost\n" if args.noise else "", end="")
    print_table(figures)
    checks = goals(figures)
    missed = sum(1 for _, ok in checks if not ok)
    print(f"\ngoals (issue 8): {len(checks) - missed} met, {missed} missed")
    for text, ok in checks:
        print(f"  {'MET   ' if ok else 'MISSED'} {text}")
    print(f"\n{len(runs)} replays in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
