"""Command line: `python3 -m simulation replay|tune|report|demo ...`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from settings.version import PYSEB_VERSION
from shell.deps import dependency_problem
from simulation.log_clock import ReplayClock
from simulation.replay_cli import add_replay_parser, outputs_have_folders, run_replay
from simulation.report_cli import add_report_parser
from simulation.tune_cli import SIM_CONFIG_NEEDS, add_tune_parser, refuse_unknown
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
    add_replay_parser(sub)
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
        outputs_have_folders(args.own_parser, args)
    from shell.stop_signals import hangups_as_interrupt

    try:
        # (`kill` and a closed terminal stop as Ctrl-C does: a tune's workers and its temporary folder were left)
        with hangups_as_interrupt():
            return _run(parser, args)
    except KeyboardInterrupt:
        # (also while numpy is imported, seconds on a Pi Zero: it was a traceback ending in one of numpy's modules)
        print("\ninterrupted: everything started was stopped", file=sys.stderr)
        return 130


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
            return run_replay(args, CLOCK)
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
