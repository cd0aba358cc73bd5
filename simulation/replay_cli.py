"""The `replay` command of `python3 -m simulation`: a day's trace, or a recorded day, through the decision core in
simulated time, its figures against an oracle."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from shell.output_file import overwritten_input
from shell.plot_file import missing_folder, output_file_folder_later, plot_file_folder_later
from simulation.tune_cli import SIM_CONFIG_HELP
from values.number_options import decimal_option

if TYPE_CHECKING:
    from simulation.log_clock import ReplayClock

__all__ = ["add_replay_parser", "outputs_have_folders", "run_replay"]

EXIT_USAGE = 2


def add_replay_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `replay` command's parser, under `python3 -m simulation`'s."""
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


def outputs_have_folders(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, as argparse refuses a bad value (exit 2), a replay's --log or --plot whose folder does not exist, unless
    it is the --record folder, which the replay makes (`--record june --log june/steps.csv` was refused for a folder
    the same command was about to make)."""
    record = args.record.resolve() if args.record is not None else None
    for option, path in (("--log", args.log), ("--plot", args.plot)):
        missing = missing_folder(path) if path is not None else None
        if missing is not None and path.parent.resolve() != record:
            parser.error(f"argument {option}: {missing}")


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


def run_replay(args: argparse.Namespace, clock: ReplayClock) -> int:
    """Replay the day given and print its figures (its log, plot and recording as asked); 2 for a user's error."""
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
                        make_regulator=clock.watching(recording or real_regulator), starting=clock.starting)
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
