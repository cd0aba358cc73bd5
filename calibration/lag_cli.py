"""`python3 -m calibration lag`: options, checks, signals and the report; the work is in calibration.lag."""

from __future__ import annotations

import argparse
import logging
import math
import sys

from calibration.lag import LagMeasure, LagPlan, LagStopped
from calibration.lag_figures import LagFigures, lag_figures, settle_advice
from calibration.sweep_config import SweepConfigError, load_sweep_target
from calibration.sweep_link import SweepError, format_percent
from calibration.sweep_options import (
    add_availability_arguments,
    availability_wait_problems,
    over_two_decimals,
    refuse_not_finite,
    too_long,
)
from settings.ini_file import DEFAULT_CONFIG, NoConfigHere, given_or_default_config
from shell.stdout_gone import say
from shell.stop_signals import stopping_on_signals
from values.number_options import decimal_option, whole_option
from values.shown import counted

__all__ = ["add_lag_arguments", "format_lag_report", "run_lag"]

EXIT_OK, EXIT_STOPPED, EXIT_USAGE = 0, 1, 2
MIN_TRIALS = 4  # fewer kept trials say too little: the report says so rather than advise
BINS_A_PACE = 8  # the report's table: the readings by time from the command, in bins of this share of the pace


def add_lag_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the `lag` command."""
    d = LagPlan()
    parser.add_argument("-c", "--config", help=f"the daemon's config file (INI; default: {DEFAULT_CONFIG}, if here)")
    parser.add_argument("--equipment", required=True, metavar="NAME",
                        help="the variable load's section in the config (its topic_set_power)")
    parser.add_argument("--trials", type=whole_option, default=d.trials, metavar="N",
                        help=f"steps, up and down in turn (default {d.trials}; each takes about "
                             f"{d.hold_readings + 2} house readings)")
    parser.add_argument("--low", type=decimal_option, default=d.low_percent, metavar="PCT",
                        help=f"the low percent, where the load is left at the end (default {d.low_percent:g})")
    parser.add_argument("--high", type=decimal_option, default=d.high_percent, metavar="PCT",
                        help=f"the high percent (default {d.high_percent:g})")
    parser.add_argument("--hold", type=whole_option, default=d.hold_readings, metavar="N",
                        help=f"house readings after each step before the next (default {d.hold_readings}, at "
                             "least 3; the last two make the step's level)")
    parser.add_argument("--meter-timeout", type=decimal_option, default=d.meter_timeout_s, metavar="S",
                        help=f"stop when the house meter gives no usable reading for this long "
                             f"(default {d.meter_timeout_s:g})")
    add_availability_arguments(parser, d.availability_wait_s, "measure")


def _plan(args: argparse.Namespace) -> LagPlan:
    refuse_not_finite((("--low", args.low), ("--high", args.high), ("--meter-timeout", args.meter_timeout),
                       ("--availability-wait", args.availability_wait)))
    problems: list[str] = []
    if not 0.0 <= args.low < args.high <= 100.0:
        problems.append(f"--low {args.low:g} and --high {args.high:g}: need 0 <= low < high <= 100")
    for flag, value in over_two_decimals((("--low", args.low), ("--high", args.high))):
        problems.append(f"{flag} {value:g}: the variator is sent a percent with two decimals at most; it acts on "
                        "whole percents anyway (--low 10, --high 60)")
    if args.trials < 2:
        problems.append(f"--trials {args.trials}: need at least 2 (one step up, one down)")
    if args.hold < 3:
        problems.append(f"--hold {args.hold}: need at least 3 (the last two readings make a step's level, and one "
                        "before them must show it)")
    if args.meter_timeout <= 0.0:
        problems.append(f"--meter-timeout {args.meter_timeout:g}: must be positive")
    problems += availability_wait_problems(args.availability_wait)
    problems += too_long((("--meter-timeout", args.meter_timeout), ("--availability-wait", args.availability_wait)))
    if problems:
        raise SweepConfigError("\n".join(problems))
    return LagPlan(trials=args.trials, low_percent=args.low, high_percent=args.high, hold_readings=args.hold,
                   meter_timeout_s=args.meter_timeout, availability_wait_s=args.availability_wait)


def format_lag_report(figures: LagFigures, settle_s: float, pace_s: float) -> list[str]:
    """The report: the trials left out and why, the share of a step shown by time from the command, the advice."""
    lines = [f"left out: trial {figures.trials.index(t) + 1} ({t.why})" for t in figures.trials if t.why is not None]
    kept = figures.kept
    if len(kept) < MIN_TRIALS:
        lines.append(f"{counted(len(kept), 'trial')} kept of {len(figures.trials)}: too few to say how soon the house "
                     f"meter shows a command (at least {MIN_TRIALS}); measure again when the house is quieter, with "
                     "more --trials")
        return lines
    lines.append(f"share of a step the house meter showed, by time from the command ({len(kept)} trials kept):")
    samples = figures.samples()
    bin_s = pace_s / BINS_A_PACE
    # A row a bin up to the bin after the first reading that showed a command in full, then one row for the rest
    last = int((figures.shown_from_s if figures.shown_from_s is not None else samples[-1][0]) // bin_s) + 1
    for index in range(last + 1):
        low_s, high_s = index * bin_s, (index + 1) * bin_s if index < last else math.inf
        shares = [share for delay, share in samples if low_s <= delay < high_s]
        if shares:
            span = f"{low_s:5.2f}-{high_s:5.2f} s" if index < last else f"{low_s:5.2f} s on  "
            count = f"{len(shares):3} reading{'s' if len(shares) > 1 else ' '}"
            lines.append(f"  {span}: {count}, lowest {round(min(shares) * 100):4d} %, highest "
                         f"{round(max(shares) * 100):4d} %")
    return lines + settle_advice(figures, settle_s, pace_s)


def run_lag(args: argparse.Namespace) -> int:
    """The `lag` command; returns the exit code (0 done, 1 stopped early, 2 refused or bad input)."""
    try:
        config = given_or_default_config(args.config, "the lag measure", "(the broker, the meters, the load)")
        plan = _plan(args)
        target = load_sweep_target(config, args.equipment, house_meter=True)
        for warning in target.config_warnings:
            print(f"warning: {warning}", file=sys.stderr)
        measure = LagMeasure(target, plan, progress=say, ignore_availability=args.ignore_availability)
    except (NoConfigHere, SweepConfigError, SweepError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")

    stopped: str | None = None
    with stopping_on_signals(measure.stop):  # (the load back at the low percent, however it ends)
        say(f"lag of the house meter {target.topic_read_power}: [{target.name}] stepped between "
            f"{format_percent(plan.low_percent)} and {format_percent(plan.high_percent)} % on "
            f"{target.topic_set_power}, {plan.trials} times; keep the house quiet meanwhile (no kettle, no oven); "
            "Ctrl-C stops")
        try:
            measure.run()
        except SweepError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except LagStopped as exc:
            stopped = str(exc)
    low = format_percent(plan.low_percent)
    where = measure.where_it_ended()  # (at the low percent only once the variator's status said so)
    if measure.left_at_percent is not None:
        where = f"the load may still be at {format_percent(measure.left_at_percent)} %"
        print(f"warning: {where}: the broker did not confirm the low percent; set it with: "
              f"{target.mosquitto_pub('-t', target.topic_set_power, '-m', low)}", file=sys.stderr)
    if measure.trials and measure.pace_s is not None:
        assert target.settle_s is not None  # (read with the house meter)
        for line in format_lag_report(lag_figures(measure.trials), target.settle_s, measure.pace_s):
            say(line)
    if stopped is not None:
        print(f"stopped: {stopped}; {where}", file=sys.stderr)
        return EXIT_STOPPED
    say(f"done; {where}")
    return EXIT_OK if measure.left_at_percent is None else EXIT_STOPPED
