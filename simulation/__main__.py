"""Command line: `python3 -m simulation replay|tune|report|demo ...`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from settings.version import PYSEB_VERSION
from shell.deps import dependency_problem
from shell.output_file import overwritten_input
from shell.plot_file import missing_folder, output_file_folder_later, plot_file_folder_later
from simulation.log_clock import ReplayClock
from simulation.report_cli import add_report_parser
from simulation.tune_cli import SIM_CONFIG_HELP, SIM_CONFIG_NEEDS, add_tune_parser, refuse_unknown
from values.number_options import decimal_option

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that --plot imports and that log their own workings at DEBUG (matplotlib's font search: 150 lines,
# stamped with the replayed day's time as if the regulator said them): -v and -vv are PySEB's log, so below
# WARNING their lines are left out.
QUIET_LIBRARIES = ("matplotlib", "PIL")
CLOCK = ReplayClock()  # the replayed regulator's time (None until a replay runs: the wall clock's)

# What each command needs installed (pip names): only the live demo talks to a broker. Checked before
# anything imports them, so that a missing one is one line, as the daemon says it (shell/deps.py).
NEEDS = {"replay": ("numpy",), "tune": ("numpy",), "report": ("numpy",), "demo": ("numpy", "paho-mqtt")}
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m simulation",
                                     description="PySEB's simulated house: replay a real or recorded day, tune the "
                                                 "settings on your days, report a recorded day, or a live demo.")
    parser.add_argument("--version", action="version", version=f"PySEB {PYSEB_VERSION}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="replay: show the decision core's log (-v: its decisions, -vv: their reasoning)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{replay,tune,report,demo}")
    rep = sub.add_parser("replay", help="replay a trace through the decision core, in simulated time",
                         description="Replay a day's trace (production and house watts) or a recorded day through "
                                     "the decision core in simulated time, then print the day's figures against an "
                                     "oracle.")
    rep.add_argument("trace", type=Path, help="CSV time,production_w,house_w (one day, regular step), "
                                              "or a recorded day pyseb-DAY.csv.gz, or its date YYYY-MM-DD "
                                              "(found in the config's [record] dir)")
    rep.add_argument("-c", "--config", type=Path, help=SIM_CONFIG_HELP)
    rep.add_argument("--from", dest="start", metavar="HH:MM",
                     help="start time of day (default: trace start; a minute before it or less: its start)")
    rep.add_argument("--to", dest="end", metavar="HH:MM",
                     help="end time of day (default: trace end; a minute after it or less: its end)")
    rep.add_argument("--period", type=decimal_option, metavar="S",
                     help="meter period, s (default [simulation] period, 2)")
    # (their folder judged once --record is known: it makes its folder, and a --log beside the day is fine)
    rep.add_argument("--plot", type=plot_file_folder_later, metavar="PNG", help="draw the day (needs matplotlib)")
    rep.add_argument("--log", type=output_file_folder_later, metavar="CSV", help="write one row per period")
    # Also after the subcommand, where the replay's other options are (SUPPRESS: absent, it leaves the
    # top-level count alone).
    rep.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                     help="show the decision core's log, stamped with the replayed time (-v: its decisions, "
                          "-vv: their reasoning)")
    rep.add_argument("--record", type=Path, metavar="DIR",
                     help="record the replay's decisions as the daemon does (pyseb-DAY.csv.gz in DIR)")
    rep.set_defaults(own_parser=rep)  # (for a refusal of what needs the whole command line, as each command's)
    add_tune_parser(sub)
    add_report_parser(sub)
    demo = sub.add_parser("demo", help="live demo: private broker, virtual devices, the real daemon",
                          description="A live demo: a private mosquitto, virtual meters and loads (a water heater "
                                      "behind a variator, a radiator on a relay, a towel dryer of unknown power) "
                                      "and the real daemon, sped up; prints a table per simulated minute and the "
                                      "daemon's own decisions.")
    demo.add_argument("--minutes", type=decimal_option, default=30.0,
                      help="simulated minutes to run (default 30)")
    demo.add_argument("--speed", type=decimal_option, default=30.0,
                      help="simulated seconds per second, 0.1 to 100 (default 30)")
    demo.add_argument("--start", default="12:10", metavar="HH:MM", help="time of day to start (default 12:10)")
    demo.add_argument("--trace", type=Path, help="trace to play (default: a real day)")
    demo.add_argument("--keep", action="store_true", help="keep the daemon's config, log, status file and recorded "
                      "decisions (default: removed at the end)")
    demo.set_defaults(own_parser=demo)
    return parser


def _curves_read(config: Path) -> list[Path]:
    """The calibration curves a replay of `config` reads (each variable load's belief and real response): a --log
    named like one wrote its rows over a measured sweep. Empty when the config cannot be read: the replay says why."""
    from settings.problems import ConfigError
    from simulation.config import read_sim_config

    try:
        loads = read_sim_config(config).loads
    except (ConfigError, OSError, ValueError):
        return []
    return [path for spec in loads for path in (spec.calibration_path, spec.response_path) if path is not None]


def config_warnings(config: Path) -> list[str]:
    """The daemon's warnings of the config a replay or a tune runs, a line each as its start says them, the keys PySEB
    does not use in one line pointing at the daemon's --check of the file (the simulator has none); empty when the
    daemon refuses the config (the replay's error says its problems, with these warnings). Unsaid, a misspelt key
    (`[evaluate] setle = 1.3`) was replayed, and tuned, at its default in silence. Not the warnings on the files only
    the running daemon opens (certificates, status, log), which a replay does not look at either."""
    from settings.config import load_settings
    from settings.problems import ConfigError, unused_why_elsewhere, warning_lines

    disabled = logging.root.manager.disable
    # (the curves' fit lines at INFO: said by the regulator the replay builds, at the replayed time; -v had them twice)
    logging.disable(logging.INFO)
    try:
        settings = load_settings(config, daemon_files=False)
    except (ConfigError, OSError, ValueError):
        return []  # (said by the command in its turn, as ever)
    finally:
        logging.disable(disabled)
    return warning_lines(str(config), settings.found_warnings, unused_why_elsewhere(str(config)))


def _replay(args: argparse.Namespace) -> int:
    from recording.days import DAY_FILE
    from simulation.config import assumptions_note
    from simulation.metrics import format_summary, write_log
    from simulation.plot import plot_day
    from simulation.recorded import RecordingFactory
    from simulation.replay import real_regulator, replay
    from simulation.replay_inputs import when_said
    from simulation.report import dated_or_given
    from simulation.response import loads_glitch_notes

    # (a date: all its parts, replayed as one, as tune does; one that cannot be read left out, said)
    parts, left_out = dated_or_given(args.trace, args.config)
    args.trace = parts[0] if len(parts) == 1 else tuple(parts)
    # (--plot ends in an image format: never a trace or a config)
    clobbered = overwritten_input(args.log, (*parts, args.config, *_curves_read(args.config))) \
        if args.log is not None else None
    if clobbered is not None:
        print(f"error: --log {args.log} is the replay's own input {clobbered}: name another file", file=sys.stderr)
        return EXIT_USAGE
    # (the same file as --plot: the picture replaced the log; a day file in the --record folder: the log replaced the
    # day just recorded, and `report` found none there)
    if args.log is not None and args.plot and overwritten_input(args.log, (args.plot,)) is not None:
        print(f"error: --log {args.log} and --plot {args.plot} are the same file: name two", file=sys.stderr)
        return EXIT_USAGE
    if args.log is not None and args.record and overwritten_input(args.log.parent, (args.record,)) is not None \
            and DAY_FILE.match(args.log.name):
        print(f"error: --log {args.log} would be taken for a recorded day in the --record folder {args.record}: "
              "name it otherwise, or put it elsewhere", file=sys.stderr)
        return EXIT_USAGE
    began = time.perf_counter()
    recording = RecordingFactory(args.record, real_regulator) if args.record else None
    try:
        result = replay(args.config, args.trace, args.start, args.end, args.period,
                        make_regulator=CLOCK.watching(recording or real_regulator), starting=CLOCK.starting)
    except (KeyboardInterrupt, Exception):
        if recording is not None and recording.last_recorded_s is not None:
            # (a Ctrl-C, or a bug: what was replayed is kept, readable; the error is said as ever)
            print(f"\n{recording.cut_short()}", file=sys.stderr)
        raise
    # Written before anything is printed: a print that fails (`... | head -3`: the reader gone) lost the last batch,
    # up to an hour of the day.
    recorded = recording.finish() if recording is not None else []
    elapsed = time.perf_counter() - began
    trace = result.trace
    rows = (f"rows of {result.rows[0].period_s:g} s (half the meters' period: [simulation] actuation = at_once)"
            if result.config.actuation == "at_once" else f"a period of {result.rows[0].period_s:g} s")
    # (a --from or --to with its seconds when they are not :00: `--from 12:00:30` was said "12:00"; a recorded day's own
    # span to the minute, as ever: its first decision comes a second or so after the minute, 21:00:01)
    start_said = when_said(trace, result.start_s) if args.start else trace.hhmm(result.start_s)
    end_said = when_said(trace, result.end_s) if args.end else trace.hhmm(result.end_s)
    print(f"Replay of {trace.path} with {args.config}: {start_said} to {end_said}, {rows}")
    assumed = assumptions_note(result.config)
    if assumed:
        print(assumed)
    print(format_summary(result.summary))
    for note in (*left_out, *trace.notes):
        print(f"\n{note}")
    for note in loads_glitch_notes(result.config.loads):
        print(f"\n{note}")
    print(f"\n(replayed in {elapsed:.2f} s)")
    if args.log:
        write_log(args.log, result.names, result.rows, trace.tz)
        print(f"log: {args.log}")
    if args.plot:
        title = f"{' + '.join(part.name for part in parts)} replayed with {args.config.name}"
        plot_day(args.plot, result.names, result.rows, result.summary, title, trace.tz)
        print(f"plot: {args.plot}")
    if recording is not None:
        print("recorded: " + (", ".join(str(path) for path in recorded) or "nothing"))
        if recording.lost_records:  # (a full disk mid-replay: hours missing from a file said recorded, exit 0)
            print(f"error: {recording.lost_records} of the replay's decisions could not be written in {args.record} "
                  "(the recorder's warning above says why): the recording lacks them", file=sys.stderr)
            return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from simulation.demo import DEFAULT_TRACE, DemoError, DemoOptions, run_demo  # (paho-mqtt: the demo's alone)

    try:
        run_demo(DemoOptions(args.minutes, args.speed, args.start, args.trace or DEFAULT_TRACE, keep=args.keep))
    except DemoError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    return 0


def _not_a_quiet_library(record: logging.LogRecord) -> bool:
    return record.levelno >= logging.WARNING or record.name.partition(".")[0] not in QUIET_LIBRARIES


def main(argv: list[str] | None = None) -> int:
    """Run the command line; the exit code (2 for a user's error, 130 on Ctrl-C)."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # (refused by the command's own parser: its usage names its options, the top one's none of them)
        refuse_unknown(args.own_parser, args.command, unknown)
    if args.command == "replay":
        _outputs_have_folders(args.own_parser, args)
    from shell.stop_signals import hangups_as_interrupt

    try:
        # (`kill` and a closed terminal stop as Ctrl-C does: a tune's workers and its temporary folder were left)
        with hangups_as_interrupt():
            return _run(parser, args)
    except KeyboardInterrupt:
        # (also while numpy is imported, seconds on a Pi Zero: it was a traceback ending in one of numpy's modules)
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        return 130


def _outputs_have_folders(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, as argparse refuses a bad value (exit 2), a replay's --log or --plot whose folder does not exist, unless
    it is the --record folder, which the replay makes (`--record june --log june/steps.csv` was refused for a folder
    the same command was about to make)."""
    record = args.record.resolve() if args.record is not None else None
    for option, path in (("--log", args.log), ("--plot", args.plot)):
        missing = missing_folder(path) if path is not None else None
        if missing is not None and path.parent.resolve() != record:
            parser.error(f"argument {option}: {missing}")


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    problem = dependency_problem(NEEDS[args.command])
    if problem is not None:
        print(f"{parser.prog}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    # (only now: each of these imports numpy, and the demo paho-mqtt)
    from calibration import CalibrationError
    from localbroker import BrokerError
    from recording.format import RecordError
    from settings.ini_file import NoConfigHere, given_or_default_config
    from settings.problems import ConfigError, unused_why_refused_elsewhere
    from simulation.metrics import LogError
    from simulation.plot import PlotUnavailable
    from simulation.replay_inputs import ReplayError
    from simulation.report_cli import run_report
    from simulation.trace import TraceError
    from simulation.tune_cli import run_tune
    from simulation.tune_grid import TuneError

    user_errors = (ConfigError, TraceError, CalibrationError, ReplayError, LogError, PlotUnavailable, TuneError,
                   RecordError, NoConfigHere)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    handler = logging.StreamHandler()
    handler.setFormatter(CLOCK.formatter(LOG_FORMAT))  # a replay's lines at the replayed day's time
    handler.addFilter(_not_a_quiet_library)
    logging.basicConfig(level=level, handlers=[handler])
    try:
        if args.command in ("replay", "tune"):
            args.config = given_or_default_config(args.config, args.command, SIM_CONFIG_NEEDS)
            # (first, once: a typo there may explain a refusal below; a tune's variants of the config say nothing)
            for warning in config_warnings(args.config):
                print(f"warning: {warning}", file=sys.stderr)
        if args.command == "replay":
            return _replay(args)
        if args.command == "tune":
            return run_tune(args)
        if args.command == "report":
            return run_report(args)
        return _demo(args)
    except ConfigError as exc:
        # (the keys PySEB does not use pointing at the daemon's check of the file: the simulator has no --check)
        print(f"error: {exc.render(unused_why_refused_elsewhere(exc.path))}", file=sys.stderr)
        return 2
    except user_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (BrokerError, TimeoutError) as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Output piped into `head`: not an error of the user's; keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
