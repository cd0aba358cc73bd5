#!/usr/bin/env python3
"""Benchmark of the control quality: Hébert's rule against the closed-loop controller, on real days.

    python3 bench/control.py [--noise] [--jobs 2] [--only DAY] [--actuation at_once] [--jitter S]

Replays, through the real decision core, the three shipped real days with six houses (the demo house,
a two-load house: ECS-04 heater with a 6 kWh tank, then a 600 W relay; a house with relays only: 1000 W
then 600 W; the two-load house with an idle plug between its heater and its relay; a house whose relays'
own thermostats cycle, "thermo"; and the two-load house whose tank gives hot water at 07:00, 12:30 and 19:00,
"draws"), once per algorithm,
and prints per day, house and algorithm: capture of the oracle, caused import, export, and per relay the
switches and the shortest on and off stretches. Then the issue-8 goals
(set for the first two houses), each MET or MISSED: a missed goal is a figure, not a failure (the exit code
is 0 either way; 2 only for a bad argument).
`--noise` adds +-10 W of meter noise and loses 2 % of the readings; `--seeds N` replays that noisy run
with N draws of the noise and prints, after the first draw's table, each row's spread (a relay switched
a reading sooner or later can move a day's capture by most of a point: one draw is luck as much as
rule); `--settings` prints the README's trade-off table (relay dwell, on delay, export setpoint, the whole
percents' import, a rise taken ahead). `--actuation at_once` replays with commands acting from the reading that
decided them, not from the next period (docs/simulation.md), and `--jitter S` with each reading up to S seconds early
or late: questions of timing (docs/control.md); the goals it prints are then that replay's, where issue 8 set them
against the default one.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.control_report import Figures, Run, goals, print_spread, print_table  # noqa: E402
from core.daily_report import caused_import_w  # noqa: E402
from simulation.metrics import PeriodRow  # noqa: E402
from simulation.replay import PublishFn, RegulatorLike, real_regulator, replay  # noqa: E402
from simulation.variants import write_variant  # noqa: E402

TRACES = ROOT / "simulation" / "traces"
DAYS = {  # name -> (file, is a 1-minute day)
    "serf-east-2022-03-19": (TRACES / "serf-east-2022-03-19.csv", True),
    "payerne-2016-06-29": (TRACES / "bsrn-payerne-2016-06-29.csv", True),
    "payerne-2016-06-18-10s": (TRACES / "bsrn-payerne-2016-06-18-10s.csv", False),
}
HOUSES = {"demo": ROOT / "simulation" / "demo.ini", "two-load": ROOT / "bench" / "houses" / "two-load.ini",
          "relays": ROOT / "bench" / "houses" / "relays.ini", "idle-plug": ROOT / "bench" / "houses" / "idle-plug.ini",
          "thermo": ROOT / "bench" / "houses" / "thermostats.ini", "draws": ROOT / "bench" / "houses" / "draws.ini"}
# Issue 8 set its goals for these two; the relays-only house, the idle plug's, the thermostats' and the hot water's are
# measured so that a change is seen to move them too, with no goal of their own (docs/control.md, "A house with relays
# only", the relays, the figures).
GOAL_HOUSES = ("demo", "two-load")
ALGORITHMS = ("hebert", "closed_loop")
# The README's trade-off table: relay dwell, on delay, export setpoint, the whole percents' import and a rise
# taken ahead.
SETTINGS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("defaults", ()),
    ("dwell 300/300 s", (("radiator", "min_on_s", "300"), ("radiator", "min_off_s", "300"))),
    ("dwell 120/60 s", (("radiator", "min_on_s", "120"), ("radiator", "min_off_s", "60"))),
    ("dwell 1800/600 s", (("radiator", "min_on_s", "1800"), ("radiator", "min_off_s", "600"))),
    ("on delay 60 s", (("radiator", "on_delay_s", "60"),)),
    ("setpoint 10 W", (("evaluate", "margin", "10"),)),
    ("setpoint 50 W", (("evaluate", "margin", "50"),)),
    ("dither import 0 W", (("evaluate", "dither_import", "0"),)),
    ("dither import 20 W", (("evaluate", "dither_import", "20"),)),
    ("rise ahead 0.5", (("evaluate", "anticipate_rise", "0.5"),)),
    ("rise ahead 1", (("evaluate", "anticipate_rise", "1"),)),
)
DWELL_ON_S, DWELL_OFF_S = 600.0, 120.0  # the default min_on_s and min_off_s
NOISE = {"noise_w": "10", "lost_readings": "0.02"}


def _one(run: Run) -> Figures:
    # The figures are the news: a relay shed by the guard is counted in its column, not logged.
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.ERROR)
    began = time.perf_counter()
    trace, _ = DAYS[run.day]
    regulators: list[object] = []

    def make(path: str, publish: PublishFn) -> RegulatorLike:
        regulator = real_regulator(path, publish)
        regulators.append(regulator)
        return regulator

    with tempfile.TemporaryDirectory(prefix="pyseb-bench-") as folder:
        overrides = (("evaluate", "algorithm", run.algorithm), *run.overrides)
        config = write_variant(HOUSES[run.house], Path(folder), overrides)
        result = replay(config, trace, make_regulator=make)
    regulator = regulators[0]
    controller = getattr(regulator, "controller", None)
    guard_by: dict[str, int] = getattr(controller, "guard_sheds_by", {})
    trial_by: dict[str, int] = getattr(controller, "trial_sheds_by", {})
    relays = tuple(i for i, spec in enumerate(result.config.loads) if spec.type != "variable")
    names = result.summary.names
    loads = getattr(regulator, "loads_by_name", {})
    short = tuple(_short_stretches(result.rows, i) for i in relays)
    # (the oracle a reading late is a meter period late, as the default's: two rows with actuation = at_once, whose rows
    # are half periods)
    lag = 2 if result.config.actuation == "at_once" else 1
    excused = tuple(guard_by.get(names[i], 0) + trial_by.get(names[i], 0)
                    + int(getattr(loads.get(names[i]), "idle_offs", 0)) for i in relays)
    return Figures(run, result.summary, relays, sum(guard_by.values()), sum(trial_by.values()), short, excused,
                   late_oracle_caused_wh(result.rows, lag), late_oracle_capture_pct(result.rows, lag),
                   within_oracle_capture_pct(result.rows),
                   time.perf_counter() - began)


def late_oracle_caused_wh(rows: Sequence[PeriodRow], lag: int = 1) -> float:
    """Caused import of the oracle's allocation applied one reading late: the loads draw in each period
    what the oracle gave the period before, against this period's house and sun (`lag` rows before: the rows
    of a meter period).

    A rule that acts on a meter reading learns of a step in the house or the sun a reading after it. This
    is a yardstick for the caused-import goals, not a proof: a rule that uses all of the surplus imports
    about this much; less only by giving up capture, or by foreseeing the house."""
    caused_ws = 0.0
    for before, row in zip(rows, rows[lag:], strict=False):
        late_w = sum(before.oracle_w)
        grid_w = row.consumption_w - sum(row.real_w) + late_w - row.production_w
        caused_ws += caused_import_w(grid_w, late_w) * row.period_s
    return caused_ws / 3600.0


def late_oracle_capture_pct(rows: Sequence[PeriodRow], lag: int = 1) -> float | None:
    """Capture of the oracle a reading late: what it gives the loads (each period the oracle's allocation
    of the period before: `lag` rows before), less the import that causes, over what the oracle gives. None:
    nothing to give.

    The yardstick of the capture goals: a rule acting on a meter reading that wants more capture than
    this pays for it in import."""
    oracle_ws = sum(sum(row.oracle_w) * row.period_s for row in rows)
    if oracle_ws <= 0:
        return None
    given_ws = sum(sum(before.oracle_w) * row.period_s for before, row in zip(rows, rows[lag:], strict=False))
    return (given_ws - late_oracle_caused_wh(rows, lag) * 3600.0) / oracle_ws * 100.0


def within_oracle_capture_pct(rows: Sequence[PeriodRow]) -> float | None:
    """Capture counting, in each period, no more than the oracle gave: the loads' energy less the import
    they caused, period by period up to the oracle's, over the oracle's. None: nothing to give.

    The oracle keeps the strict priority order; a rule may take more in a period, and capture counts it:
    a relay held on by its dwell as the surplus falls, the heater taking the rest, where the oracle has
    the relay off and exports what the heater cannot take; or a reading's overshoot (whose import counts
    as caused import). This figure leaves those out: how much of the capture is the oracle's own share."""
    oracle_ws = within_ws = 0.0
    for row in rows:
        loads_w = sum(row.real_w)
        given_w = sum(row.oracle_w)
        oracle_ws += given_w * row.period_s
        within_ws += min(loads_w - caused_import_w(row.grid_w, loads_w), given_w) * row.period_s
    return within_ws / oracle_ws * 100.0 if oracle_ws > 0 else None


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


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures and goals; 0 whatever the goals say."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", action="store_true", help="meters with +-10 W noise and 2 %% lost readings")
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--only", choices=sorted(DAYS), help="one day only")
    parser.add_argument("--seeds", type=int, default=1,
                        help="with --noise: draws of the noise (seeds 1..N), each row's spread printed (default 1)")
    parser.add_argument("--settings", action="store_true",
                        help="the trade-off table: relay dwell, on delay, export setpoint, dither import and "
                             "rise ahead (closed loop, two-load house)")
    parser.add_argument("--actuation", choices=("period", "at_once"), default="period",
                        help="when a command acts: from the next period (default) or from the reading that decided it")
    parser.add_argument("--jitter", type=float, default=0.0, metavar="S",
                        help="each meter reading up to S seconds early or late (under 0.5; default 0)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.seeds > 1 and (not args.noise or args.settings):
        parser.error("--seeds draws the meter noise again: give it with --noise (and without --settings)")
    if not 0 <= args.jitter < 0.5:
        parser.error("--jitter must be at least 0 and under 0.5 s (a quarter of the benchmark's 2-second meters)")
    days = [args.only] if args.only else list(DAYS)
    extra = tuple(("simulation", k, v) for k, v in NOISE.items()) if args.noise else ()
    timing = {**({"actuation": args.actuation} if args.actuation != "period" else {}),
              **({"jitter_s": repr(args.jitter)} if args.jitter else {})}
    extra += tuple(("simulation", k, v) for k, v in timing.items())
    began = time.perf_counter()
    if args.settings:
        runs = [Run(day, "two-load", "closed_loop", extra + overrides, label)
                for label, overrides in SETTINGS for day in days]
        figures = run_all(runs, args.jobs)
        print_table(figures)
        print(f"\n{len(runs)} replays in {time.perf_counter() - began:.1f} s")
        return 0
    runs = [Run(day, house, algorithm, extra + ((("simulation", "seed", str(seed)),) if seed > 1 else ()))
            for seed in range(1, args.seeds + 1)
            for day in days for house in HOUSES for algorithm in ALGORITHMS]
    every = run_all(runs, args.jobs)
    per_draw = len(every) // args.seeds
    draws = [every[k * per_draw:(k + 1) * per_draw] for k in range(args.seeds)]
    figures = draws[0]  # (seed 1: the simulator's default, the table and goals as without --seeds)
    print("with meter noise (+-10 W) and 2 % of readings lost\n" if args.noise else "", end="")
    if "actuation" in timing:
        print("with commands acting from the reading that decided them")
    if "jitter_s" in timing:
        print(f"with meter readings up to {args.jitter:g} s early or late")
    print("\n" if timing else "", end="")
    print_table(figures)
    checks = goals(figures, [day for day, (_, minute) in DAYS.items() if minute], GOAL_HOUSES)
    missed = sum(1 for _, ok in checks if not ok)
    print(f"\ngoals (issue 8): {len(checks) - missed} met, {missed} missed")
    for text, ok in checks:
        print(f"  {'MET   ' if ok else 'MISSED'} {text}")
    if args.seeds > 1:
        print_spread(draws)
    print(f"\n{len(runs)} replays in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
