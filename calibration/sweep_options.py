"""The sweep's command-line options (`python3 -m calibration sweep`): declared, checked into a SweepPlan, and written
back as the command that starts the same sweep again or resumes it. Apart from the command itself
(calibration.sweep_cli) because it is one job, the options and their limits, which the house meter's lag measure
(calibration.lag_cli) shares: the availability's wait, the longest wait, a percent's two decimals."""

from __future__ import annotations

import argparse
import math
import shlex

from calibration.fit import MAX_LOWEST_PERCENT, MIN_HIGHEST_PERCENT
from calibration.points import MIN_POINTS
from calibration.sweep import SweepPlan
from calibration.sweep_config import SweepConfigError
from settings.ini_file import DEFAULT_CONFIG
from shell.deps import python_command
from values.number_options import decimal_option, whole_option


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the `sweep` command."""
    d = SweepPlan()
    parser.add_argument("-c", "--config", help=f"the daemon's config file (INI; default: {DEFAULT_CONFIG}, if here)")
    parser.add_argument("--equipment", required=True, metavar="NAME",
                        help="the load's section in the config (its topic_set_power, topic_read_power)")
    parser.add_argument("--output", metavar="CSV", help="default: calibration/power_calibration_<NAME>.csv "
                                                        "next to the config file; measured into <CSV "
                                                        "name>.partial.csv until complete")
    parser.add_argument("--log", metavar="FILE", help="default: the CSV's name with .log")
    parser.add_argument("--resume", action="store_true", help="continue after the last finished step")
    parser.add_argument("--overwrite", action="store_true",
                        help="measure again although the CSV exists (the old one is kept as "
                             "<CSV>.<time>.bak once the new sweep completes)")
    parser.add_argument("--start", type=decimal_option, default=d.start_percent, metavar="PCT",
                        help=f"first percent (default {d.start_percent:g})")
    parser.add_argument("--stop", type=decimal_option, default=d.stop_percent, metavar="PCT",
                        help=f"last percent (default {d.stop_percent:g})")
    parser.add_argument("--step", type=decimal_option, default=d.step_percent, metavar="PCT",
                        help=f"percent step (default {d.step_percent:g})")
    parser.add_argument("--first-settle", type=decimal_option, default=d.first_settle_s, metavar="S",
                        help=f"seconds at the first step before measuring (default {d.first_settle_s:g})")
    parser.add_argument("--settle", type=decimal_option, default=d.settle_s, metavar="S",
                        help=f"seconds after each later step before measuring (default {d.settle_s:g})")
    parser.add_argument("--readings", type=whole_option, default=d.readings_per_step, metavar="N",
                        help=f"usable meter readings per step, their median kept (default {d.readings_per_step})")
    parser.add_argument("--end-percent", type=decimal_option, default=d.end_percent, metavar="PCT",
                        help=f"where the load is left when the sweep ends or stops (default {d.end_percent:g})")
    parser.add_argument("--no-answers", action="store_true",
                        help="the variator's firmware publishes no status after a command: sweep without its answers "
                             "(nothing then confirms a step nor the end percent)")
    parser.add_argument("--meter-timeout", type=decimal_option, default=d.meter_timeout_s, metavar="S",
                        help=f"stop when the meter gives no usable reading for this long "
                             f"(default {d.meter_timeout_s:g})")
    add_availability_arguments(parser, d.availability_wait_s, "sweep")


def add_availability_arguments(parser: argparse.ArgumentParser, wait_s: float, verb: str) -> None:
    """The options of a tool that refuses to drive the variator while the regulator is online (`verb`: what it does
    then, `sweep` or `measure`)."""
    parser.add_argument("--availability-wait", type=decimal_option, default=wait_s, metavar="S",
                        help=f"how long to wait for the regulator's retained availability (default {wait_s:g}, at "
                             f"least {MIN_AVAILABILITY_WAIT_S:g})")
    parser.add_argument("--ignore-availability", action="store_true",
                        help=f"{verb} even if the regulator's availability says online (a stale message)")


# The least --availability-wait: the broker's retained availability comes within it (milliseconds on a LAN). At 0 none
# was read, and the tool drove a variator the running regulator commands (then said "the regulator came online", which
# it had been all along).
MIN_AVAILABILITY_WAIT_S = 0.1


def availability_wait_problems(wait_s: float) -> list[str]:
    """The problem of an --availability-wait too short to read the regulator's retained availability in."""
    if wait_s >= MIN_AVAILABILITY_WAIT_S:
        return []
    return [f"--availability-wait {wait_s:g}: must be at least {MIN_AVAILABILITY_WAIT_S:g} s (the regulator's "
            "retained availability is read in that time); to drive the variator whatever it says, "
            "--ignore-availability"]


# The longest wait an option may ask (a day): Python's waits take no more than some 292 years, and a larger one was a
# traceback (OverflowError) where a refusal, exit 2, was promised; a day is more than any sweep needs.
MAX_WAIT_S = 86400.0


def too_long(flags: tuple[tuple[str, float], ...]) -> list[str]:
    """A problem for each (flag, seconds) over MAX_WAIT_S."""
    return [f"{flag} {value:g}: must be at most {MAX_WAIT_S:g} s (a day)" for flag, value in flags
            if value > MAX_WAIT_S]


def over_two_decimals(flags: tuple[tuple[str, float], ...]) -> list[tuple[str, float]]:
    """The (flag, percent) of `flags` with more than two decimals: the variator is sent a percent as format_percent
    writes it, to two decimals (--step 0.125 sent 99.88 for 99.875 %, and the sweep wrote it so: a resume measured
    99.875 % again; the lag measure's --low 10.125 drove 10.12 %, not a word of it). Refused by both tools."""
    return [(flag, value) for flag, value in flags if abs(value * 100.0 - round(value * 100.0)) > 1e-6]


def refuse_not_finite(flags: tuple[tuple[str, float], ...]) -> None:
    """SweepConfigError naming each (flag, value) of `flags` that is not a finite number: nan and inf pass every
    comparison of a plan's checks the wrong way, refused before the variator is driven."""
    problems = [f"{flag} {value:g}: not a finite number" for flag, value in flags if not math.isfinite(value)]
    if problems:
        raise SweepConfigError("\n".join(problems))


def sweep_plan(args: argparse.Namespace) -> SweepPlan:
    refuse_not_finite((("--start", args.start), ("--stop", args.stop), ("--step", args.step),
                       ("--end-percent", args.end_percent), ("--first-settle", args.first_settle),
                       ("--settle", args.settle), ("--availability-wait", args.availability_wait),
                       ("--meter-timeout", args.meter_timeout)))
    problems: list[str] = []
    if not 0.0 <= args.stop < args.start <= 100.0:
        problems.append(f"--start {args.start:g} and --stop {args.stop:g}: need 0 <= stop < start <= 100")
    if not 0.0 < args.step <= 100.0:
        problems.append(f"--step {args.step:g}: need 0 < step <= 100")
    if not 0.0 <= args.end_percent <= 100.0:
        problems.append(f"--end-percent {args.end_percent:g}: need 0..100")
    for flag, value in over_two_decimals((("--start", args.start), ("--stop", args.stop), ("--step", args.step),
                                          ("--end-percent", args.end_percent))):
        problems.append(f"{flag} {value:g}: the variator is sent, and the CSV keeps, a percent with two decimals "
                        f"at most; it acts on whole percents anyway (--step 1, or the seed's 0.5)")
    if args.readings < 1:
        problems.append(f"--readings {args.readings}: need at least 1")
    for flag, value in (("--first-settle", args.first_settle), ("--settle", args.settle)):
        if value < 0.0:
            problems.append(f"{flag} {value:g}: must not be negative")
    problems += availability_wait_problems(args.availability_wait)
    if args.meter_timeout <= 0.0:
        problems.append(f"--meter-timeout {args.meter_timeout:g}: must be positive")
    problems += too_long((("--first-settle", args.first_settle), ("--settle", args.settle),
                          ("--availability-wait", args.availability_wait), ("--meter-timeout", args.meter_timeout)))
    if args.resume and args.overwrite:
        problems.append("--resume and --overwrite: choose one")
    if problems:
        raise SweepConfigError("\n".join(problems))
    return SweepPlan(start_percent=args.start, stop_percent=args.stop, step_percent=args.step,
                     first_settle_s=args.first_settle, settle_s=args.settle, readings_per_step=args.readings,
                     end_percent=args.end_percent, meter_timeout_s=args.meter_timeout,
                     availability_wait_s=args.availability_wait)


def unusable_plan(plan: SweepPlan) -> str | None:
    """Why the sweep `plan` cannot make a calibration the regulator takes (None: it can)."""
    percents = plan.percents()
    if min(percents) > MAX_LOWEST_PERCENT or max(percents) < MIN_HIGHEST_PERCENT:
        return (f"--start {plan.start_percent:g} --stop {plan.stop_percent:g}: a calibration must run from "
                f"{MAX_LOWEST_PERCENT:g} % or less to {MIN_HIGHEST_PERCENT:g} % or more")
    if len(percents) < MIN_POINTS:
        return f"--step {plan.step_percent:g}: {len(percents)} steps, a calibration needs at least {MIN_POINTS}"
    return None


def command_again(args: argparse.Namespace, resume: bool) -> str:
    """The command that starts this sweep again, or resumes it: the same file and the same plan, each value
    as given (a resume with another --start, --step or --output would measure other steps, or into another
    file)."""
    d = SweepPlan()
    # (-c as given: without it, the config.ini of the current folder, where the command is given again)
    words = [python_command(), "-m", "calibration", "sweep", *(["-c", args.config] if args.config else []),
             "--equipment", args.equipment]
    for flag, value in (("--output", args.output), ("--log", args.log)):
        if value:  # (an empty one is the default: given as such, the empty word was dropped, and --output took --log)
            words += [flag, value]
    for flag, value, default in (("--start", args.start, d.start_percent), ("--stop", args.stop, d.stop_percent),
                                 ("--step", args.step, d.step_percent),
                                 ("--first-settle", args.first_settle, d.first_settle_s),
                                 ("--settle", args.settle, d.settle_s),
                                 ("--readings", args.readings, d.readings_per_step),
                                 ("--end-percent", args.end_percent, d.end_percent),
                                 ("--meter-timeout", args.meter_timeout, d.meter_timeout_s),
                                 ("--availability-wait", args.availability_wait, d.availability_wait_s)):
        if value != default:  # (--start too: a resume measures the plan's steps after the last one done)
            words += [flag, repr(value)]
    for flag in ("--ignore-availability", "--no-answers"):  # (without --no-answers, a resume stopped at 10 s)
        if getattr(args, flag[2:].replace("-", "_")):
            words.append(flag)
    words.append("--resume" if resume else "--overwrite" if args.overwrite else "")
    return shlex.join(word for word in words if word)
