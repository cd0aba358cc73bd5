"""The `tune` command of `python3 -m simulation` (`report`'s: simulation.report_cli)."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from settings.version import DEFAULT_CONFIG
from values.number_options import decimal_option, whole_option

if TYPE_CHECKING:
    from collections.abc import Sequence

    from simulation.tune_grid import Axis

# (The commands' modules are imported when a command runs: they need numpy, and the options and --help
# are read before `python3 -m simulation` has checked that it is installed.)

__all__ = ["SIM_CONFIG_HELP", "SIM_CONFIG_NEEDS", "add_tune_parser", "refuse_unknown", "run_tune"]

# What replay and tune read in their config, which they take with -c, else config.ini here (settings.ini_file)
SIM_CONFIG_NEEDS = "(the loads, [simulation])"
SIM_CONFIG_HELP = f"PySEB config {SIM_CONFIG_NEEDS} (default: {DEFAULT_CONFIG}, if here)"


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def limit(text: str) -> float:
    """argparse `type` of --max-switches and --max-import-wh: a number 0 or more, checked before any replay runs (a
    negative one, a typo, was found only after all of them, by no setting meeting it)."""
    value = decimal_option(text)  # (ASCII digits: float() read '1_0' as 10)
    if not value >= 0:  # (nan too)
        raise argparse.ArgumentTypeError(f"{text}: a number 0 or more (a day's mean)")
    return value


def refuse_unknown(parser: argparse.ArgumentParser, command: str, unknown: list[str]) -> None:
    """Refuse, exit 2, the arguments `unknown` a command does not take, with its own usage (the top one's names none of
    its options); a tune's values given apart (`--set evaluate.margin=10, 20`, a space after the comma) told how --set
    takes them."""
    hint = ""
    if command == "tune" and any(not argument.startswith("-") for argument in unknown):
        hint = " (--set takes its values joined by commas, without spaces (--set evaluate.margin=0,10,20))"
    parser.error(f"unrecognized arguments: {' '.join(unknown)}{hint}")


def add_tune_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `tune` command's options."""
    tune = sub.add_parser("tune", help="replay days over a grid of control settings; the best under limits",
                          description="Replay your days over a grid of control settings (the export setpoint, "
                                      "the relays' dwell and hysteresis, or any key given with --set), print the "
                                      "trade-off table and the best setting within your limits, with the config "
                                      "lines to paste.")
    tune.add_argument("days", type=Path, nargs="+", metavar="DAY",
                      help="recorded days (pyseb-DAY.csv.gz; a folder: all its days; a date YYYY-MM-DD: its "
                           "parts in the config's [record] dir) or traces (CSV time,production_w,house_w)")
    tune.add_argument("-c", "--config", type=Path, help=SIM_CONFIG_HELP)
    tune.add_argument("--set", dest="sets", action="append", default=[], metavar="SECTION.KEY=V1,V2,...",
                      help="one axis of the grid (repeatable; a load's section is its name); "
                           "default: a small grid of the controller's settings")
    tune.add_argument("--max-switches", type=limit, metavar="N",
                      help="limit: switches per day of any relay (mean over the days)")
    tune.add_argument("--max-import-wh", type=limit, metavar="WH",
                      help="limit: import caused by the loads, Wh per day (mean over the days)")
    tune.add_argument("--period", type=decimal_option, metavar="S",
                      help="meter period, s (default [simulation] period, 2)")
    tune.add_argument("-j", "--jobs", type=whole_option, default=default_jobs(),
                      help="processes (default and at most: every core)")
    tune.set_defaults(own_parser=tune)  # (an argument it does not take refused with its usage: simulation.__main__)


def run_tune(args: argparse.Namespace) -> int:
    """Replay the days over the grid and print the trade-off table, the best setting and its lines."""
    from settings.problems import ConfigError
    from simulation.config import assumptions_note, read_sim_config
    from simulation.recorded import MIN_REPLAYED_DECISIONS
    from simulation.replay_inputs import ReplayError
    from simulation.report import dated_or_given
    from simulation.response import loads_glitch_notes
    from simulation.trace import TraceError
    from simulation.tune import day_groups, day_read, day_window, run_grid
    from simulation.tune_choice import (
        best,
        config_lines,
        fewer_switches_note,
        format_table,
        least_reached,
        less_import_note,
        outcome,
    )
    from simulation.tune_days import DayReads, resolve_days
    from simulation.tune_grid import (
        TuneError,
        build_grid,
        config_values,
        current_setting,
        points,
        shown_values,
        write_variants,
    )
    from values.shown import counted

    began = time.perf_counter()
    if args.jobs < 1:
        raise TuneError("--jobs must be at least 1")
    cores = default_jobs()
    jobs = min(args.jobs, cores)  # (more processes only share the cores, each holding a replay's memory)
    axes = build_grid(args.config, args.sets)
    grid = points(axes)
    with tempfile.TemporaryDirectory(prefix="pyseb-tune-") as work:
        # The first setting alone, before the plan line: the days' daylight is found with it. The others after it
        # (a large grid's files took a while, with nothing said).
        variants = _first_variant(args.config, axes, grid, Path(work))
        step_s, = _check_periods(args.config, axes, grid[:1], variants, args.period)
        # (each recorded day read once, for the checks and its daylight)
        # (its notes name the user's config, not the temporary copy of the grid's first setting)
        reads = DayReads(day_read(variants[0], step_s, args.config),
                         (ConfigError, ReplayError, TraceError),  # (the daylight's errors, said in its turn)
                         min_decisions=MIN_REPLAYED_DECISIONS)
        # (a date: all its parts that can be read, each read once, by `reads`)
        dated = [dated_or_given(day, args.config, reads) for day in args.days]
        args.days = [part for parts, _ in dated for part in parts]
        # (a folder: its days; a pattern no shell expanded: its files; a file given twice, one day in two folders: once)
        files, folders, left_out = resolve_days(args.days, reads)
        groups, split_notes = day_groups(files)
        # (a day recorded in parts: its window from the parts kept in their one read)
        windows = [day_window(variants[0], day, step_s, [reads.kept((path,)) for path in day], args.config)
                   for day in groups]
        reads.forget_kept()  # (the parts kept for it: not for the replays, which read their days themselves)
        days = len(windows)
        for note in folders:  # (what a folder gave, before the plan: it was among the days, after them)
            print(note)
        print(f"tune: {counted(len(grid), 'setting')} x {counted(days, 'day')} = "
              f"{counted(len(grid) * days, 'replay')} on {counted(min(jobs, len(grid) * days), 'process')}; "
              f"{'the day replayed over its' if days == 1 else 'days replayed over their'} daylight:")
        if jobs < args.jobs:
            print(f"  --jobs {args.jobs}: this machine gives PySEB {counted(cores, 'core')}; more processes would "
                  f"only share {'it' if cores == 1 else 'them'}: {counted(cores, 'process')}")
        variants += write_variants(args.config, axes, grid[1:], Path(work), number_from=2)
        _check_periods(args.config, axes, grid[1:], variants[1:], args.period)
        for window in windows:
            print(f"  {window.label}: {window.said()}")
        for note in (*(note for _, notes in dated for note in notes), *left_out, *split_notes):
            print(f"  {note}")
        for note in (note for window in windows for note in window.notes):
            print(f"  {note}")
        simulated = read_sim_config(variants[0])
        assumed = assumptions_note(simulated)  # (what the config does not say of the loads: the figures' bias)
        for note in [*loads_glitch_notes(simulated.loads), *([assumed] if assumed else [])]:
            print(f"  {note}")
        summaries = run_grid(variants, windows, args.period, jobs)
    relays = _relays(args.config)
    outcomes = [outcome(setting, rows, relays, days) for setting, rows in zip(grid, summaries, strict=True)]
    current = current_setting(args.config, axes)
    chosen = best(outcomes, args.max_switches, args.max_import_wh, current)
    print()
    print(format_table(axes, outcomes, chosen))
    limits = ", ".join(text for text in (
        None if args.max_switches is None else f"at most {args.max_switches:g} switches a day per relay",
        None if args.max_import_wh is None else f"at most {args.max_import_wh:g} Wh of caused import a day",
    ) if text) or "no limit given"
    print(f"\n(per day, over {counted(days, 'day')}; capture = (loads - caused import) / oracle; {limits})")
    elapsed = time.perf_counter() - began
    if all(result.capture_pct is None for result in outcomes):
        print("\nno surplus in these days (no sun, or all of it used by the house): nothing to tune on them")
        print(f"\n(tuned in {elapsed:.1f} s)")
        return 1
    if chosen is None:
        reached = least_reached(outcomes, args.max_switches, args.max_import_wh)
        print(f"\nno setting meets the limits ({limits}); loosen them or widen the grid"
              + (f" ({reached})" if reached else ""))
        print(f"\n(tuned in {elapsed:.1f} s)")
        return 1
    own = [shown_values(values) for values in config_values(args.config, axes)]
    if len(grid) == 1:
        # Nothing was compared: "best" and the lines to paste would recommend what was merely asked.
        print(f"\none setting ({', '.join(f'{axis.label}={value}' for axis, value in zip(axes, grid[0], strict=True))}"
              "): its figures above, compared with nothing; give an axis two values or more, your config's own "
              f"among them ({', '.join(f'{axis.label}: {now}' for axis, now in zip(axes, own, strict=True))}), "
              "to compare")
        print(f"\n(tuned in {elapsed:.1f} s)")
        return 0
    for note in (less_import_note(axes, outcomes, chosen, args.max_import_wh, args.max_switches),
                 fewer_switches_note(axes, outcomes, chosen, args.max_switches, args.max_import_wh)):
        if note:
            print(f"\n{note}")
    if chosen.setting == current:
        print(f"\nbest: capture {chosen.capture_pct:.2f} %, caused import {chosen.caused_import_wh:.0f} Wh a day, "
              "with the settings your config has now: nothing to change (no setting of the grid does better)")
        print(f"\n(tuned in {elapsed:.1f} s)")
        return 0
    print(f"\nbest: capture {chosen.capture_pct:.2f} %, caused import {chosen.caused_import_wh:.0f} Wh a day; "
          "set these keys in your config, each in the section named above it (in the section your config "
          "has, not a second copy of it):\n")
    print(config_lines(axes, chosen.setting, current))
    kept = [axis.label for axis, value, now in zip(axes, chosen.setting, current, strict=True) if value == now]
    if kept:
        print(f"\n(the best keeps your config's {', '.join(kept)}: nothing to change there)")
    for axis, value, now, mine in zip(axes, chosen.setting, current, own, strict=True):
        if len(axis.values) == 1 and value != now:
            print(f"\n({axis.label} was {value} in every replay, given one value: not compared with your config's "
                  f"{mine})")
    print(f"\n(tuned in {elapsed:.1f} s)")
    return 0


def _first_variant(config: Path, axes: Sequence[Axis], grid: Sequence[tuple[str, ...]], work: Path) -> list[Path]:
    """The config file of the grid's first setting (write_variants); when it cannot be written, TuneError naming
    every setting's problems, as when the grid was written at once (one setting's alone hid the others')."""
    from simulation.tune_grid import TuneError, write_variants

    try:
        return write_variants(config, axes, grid[:1], work)
    except TuneError:
        write_variants(config, axes, grid, work)  # (raises for the first setting, and names the others' problems)
        raise


def _check_periods(config: Path, axes: Sequence[Axis], grid: Sequence[tuple[str, ...]], variants: Sequence[Path],
                   period_s: float | None) -> list[float]:
    """The meter period against every setting of the grid, before any replay (TuneError naming the setting): a
    meter_timeout of the grid under the period was found by the replays of that setting, after the others had run.
    A period the user's own `config` refuses for the same reason is said alone: `--period 20` against a meter_timeout
    of 10 s blamed the grid's first setting (`evaluate.margin=0`), which has nothing to do with it. The settings'
    periods are returned: the days' daylight is found with the first one's (not checked again)."""
    from settings.problems import ConfigError
    from simulation.config import read_sim_config
    from simulation.replay_inputs import ReplayError, meter_period
    from simulation.tune_grid import TuneError

    periods: list[float] = []
    for setting, variant in zip(grid, variants, strict=True):
        try:
            periods.append(meter_period(read_sim_config(variant), period_s))
        except ReplayError as exc:
            try:
                meter_period(read_sim_config(config), period_s)
            except ReplayError as own:
                if str(own) == str(exc):  # (the setting is not at fault: a grid of meter_timeout 5 and 30 s is)
                    raise TuneError(str(own)) from None
            except ConfigError:
                pass  # (a config only the grid's settings make whole: the setting is named below)
            named = ", ".join(f"{axis.label}={value}" for axis, value in zip(axes, setting, strict=True))
            raise TuneError(f"the grid's setting {named}: {exc}") from None
    return periods


def _relays(config: Path) -> list[str]:
    from simulation.config import read_sim_config

    return [spec.name for spec in read_sim_config(config).loads if spec.relay]
