"""`python3 -m calibration fit|sweep|lag`: the command line of the calibration tools.

Exit codes: 0 done; 1 a sweep stopped early (what was measured is kept: `--resume` continues it);
2 bad input (file, option, config) or a refusal, with one clear message and no traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from calibration.fit import METHODS, CalibrationError, read_calibration_csv
from calibration.points import write_calibration_table
from settings.version import PYSEB_VERSION
from shell.deps import dependency_problem
from shell.output_file import overwritten_input
from shell.plot_file import plot_file
from shell.stdout_gone import silence_stdout
from values.number_options import decimal_option, whole_option

__all__ = ["fit_table_path", "main", "run_fit"]

EXIT_OK, EXIT_STOPPED, EXIT_USAGE = 0, 1, 2
PROG = "python3 -m calibration"


def fit_table_path(csv_path: Path) -> Path:
    """Where `fit` writes its table: next to the input, `<name>_fit.csv`."""
    return csv_path.with_name(f"{csv_path.stem}_fit.csv")


def run_fit(args: argparse.Namespace) -> int:
    """The `fit` command: fit, write `<name>_fit.csv` and, if asked, the plot, then print the report.

    Everything is written before anything is printed, so a reader that goes away (`| head`) cannot
    leave the job half done.
    """
    from calibration.report import (  # (numpy: imported once main has said whether it is there)
        fit_figures,
        format_report,
        seed_poly_figures,
        table_percents,
        timed_fit,
        used_points,
    )

    source = Path(args.file)
    if args.output and overwritten_input(Path(args.output), [source]):
        print(f"error: --output {args.output} is the sweep being fitted: name another file", file=sys.stderr)
        return EXIT_USAGE
    try:
        points = read_calibration_csv(source)
        curve, fit_ms = timed_fit(points, args.method, args.degree, args.min_power)
    except CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    figures = fit_figures(points, curve, fit_ms)
    seed = seed_poly_figures(points, used_points(points, curve))
    report = format_report(points, curve, figures, seed)
    table = Path(args.output) if args.output else fit_table_path(source)
    percents = table_percents(0.5)
    try:
        write_calibration_table(table, percents, curve.watts_at(percents))  # type: ignore[arg-type]
    except OSError as exc:
        print(f"error: cannot write {table}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    report.append(f"fitted table: {table}")
    if args.plot:
        from calibration.plot import PlotUnavailable, plot_fit

        try:
            plot_fit(points, curve, args.plot)
        except PlotUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except OSError as exc:
            print(f"error: cannot write {args.plot}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        report.append(f"plot: {args.plot}")
    print("\n".join(report), flush=True)
    return EXIT_OK


def _non_negative(text: str) -> float:
    """argparse `type` of --min-power: a number 0 or more (nan passed `value < 0`, and no reading is above nan)."""
    value = decimal_option(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text}: a number 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of both commands."""
    from calibration.lag_cli import add_lag_arguments
    from calibration.sweep_options import add_sweep_arguments

    parser = argparse.ArgumentParser(prog=PROG, description="Calibration of a triac variator: fit a sweep, or run "
                                                            "one; and how soon the house meter shows its steps (lag).")
    parser.add_argument("--version", action="version", version=f"PySEB {PYSEB_VERSION}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{fit,sweep,lag}")
    fit = commands.add_parser("fit", help="fit a calibration CSV and compare with the seed's polynomial",
                              description="Fit a percent;watts calibration CSV, print the figures, write "
                                          "<name>_fit.csv next to it (0..100 % by 0.5).")
    fit.add_argument("file", help="the calibration CSV (percent;watts)")
    fit.add_argument("--method", choices=METHODS, default="robust", help="fit method (default: robust)")
    fit.add_argument("--degree", type=whole_option, default=5,
                     help="polynomial degree for --method poly (default: 5)")
    fit.add_argument("--min-power", type=_non_negative, default=0.0, metavar="W",
                     help="refuse a sweep with no reading above this many watts (default: 0)")
    fit.add_argument("--output", metavar="CSV", help="where to write the fitted table (default: "
                                                     "<name>_fit.csv next to the input)")
    fit.add_argument("--plot", type=plot_file, metavar="PNG", help="also draw the fit into this PNG (needs matplotlib)")
    sweep = commands.add_parser("sweep", help="measure a load's response over MQTT (100 %% -> 0 %%)",
                                description="Sweep a variator from 100 % to 0 %, averaging the load's own "
                                            "meter, into calibration/power_calibration_<NAME>.csv.")
    add_sweep_arguments(sweep)
    lag = commands.add_parser("lag", help="measure how soon the house meter shows a variator's step (for settle)",
                              description="Step a variator between two percents at known times after a house "
                                          "reading and print how much of each step the later house readings show, "
                                          "with what it means for [evaluate] settle (docs/calibration.md).")
    add_lag_arguments(lag)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python3 -m calibration`; returns the exit code."""
    args = build_parser().parse_args(argv)
    # Each command asks for numpy, as it did (the fit's figures; the sweep and lag read a config, whose curve may be a
    # poly fit's), the sweep and lag for paho-mqtt too (they talk to the broker); --help and argparse's refusals
    # need neither. Checked before anything imports them, so that a missing one is one line, as the daemon says it.
    problem = dependency_problem(("numpy",) if args.command == "fit" else ("numpy", "paho-mqtt"))
    if problem is not None:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "fit":
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        try:
            return run_fit(args)
        except BrokenPipeError:
            silence_stdout()
            return EXIT_OK  # only the report was left to print, and nobody reads it

    if args.command == "lag":
        from calibration.lag_cli import run_lag

        return run_lag(args)
    from calibration.sweep_cli import run_sweep

    return run_sweep(args)
