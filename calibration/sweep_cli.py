"""`python3 -m calibration sweep`: its files, logging, signals and what it says at the end; its options are in
calibration.sweep_options, the work in calibration.sweep."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path

from calibration.sweep import Sweeper, SweepError, format_percent
from calibration.sweep_config import SweepConfigError, load_sweep_target, other_curve_note
from calibration.sweep_files import SweepFiles
from calibration.sweep_options import command_again, sweep_plan, unusable_plan
from calibration.sweep_remeasures import remeasured_notes
from calibration.sweep_target import SweepTarget
from equipments.variable_curve import find_calibration
from settings.ini_file import NoConfigHere, given_or_default_config
from shell.deps import python_command
from shell.logsetup import LogFile
from shell.output_file import overwritten_input
from shell.stdout_gone import say
from shell.stop_signals import stopping_on_signals

__all__ = ["default_csv_path", "run_sweep"]

EXIT_OK, EXIT_STOPPED, EXIT_USAGE = 0, 1, 2


def default_csv_path(config_dir: Path, name: str) -> Path:
    """`calibration/power_calibration_<NAME>.csv` next to the config file (where the daemon looks)."""
    return config_dir / "calibration" / f"power_calibration_{name}.csv"


def _regulators_file(target: SweepTarget, csv_path: Path, default_path: Path) -> bool:
    """Whether `csv_path` is a curve the regulator loads for the load: the sweep's default file, or the one the daemon
    finds (the load's `calibration`, or the seed's ./power_calibration_<name>.csv). Only the default was checked: a
    `calibration = my_curve.csv` swept `--output my_curve.csv --overwrite --stop 60` had its working curve moved aside
    for a 100..60 % one, and the daemon refused to build the load at its next start."""
    loaded = find_calibration(target.name, target.calibration, target.config_dir)
    written = csv_path.resolve()
    return written == default_path.resolve() or (loaded is not None and written == loaded.resolve())


def _clashing_files(config: Path, csv_path: Path, partial: Path, log_path: Path) -> str | None:
    """Why the sweep's files would write over one another or over the config file, or None. The log is appended
    to and the CSV replaces what is there: `--log config.ini` filled the daemon's config with log lines (it then
    would not start), `--log` naming the CSV put them into the calibration, `--output config.ini --overwrite`
    made the config a CSV."""
    if overwritten_input(csv_path, [config]) or overwritten_input(partial, [config]):
        return f"--output {csv_path}: that is the config file {config}: name the sweep's CSV"
    for other, what in ((config, "the config file"), (csv_path, "the sweep's CSV"),
                        (partial, "the sweep's partial file")):
        if overwritten_input(log_path, [other]):
            return f"the log {log_path} is {what}: name another file with --log"
    return None


def _os_error_line(exc: OSError, what: str) -> str:
    """One line for a file that cannot be written, naming it."""
    where = exc.filename if exc.filename is not None else what
    return f"error: cannot write {where}: {exc.strerror or exc}"


def _setup_logging(log_path: Path) -> LogFile:
    if not log_path.parent.is_dir():  # (LogFile makes its folder: a --log in a missing one is a typo, refused)
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(log_path))
    # The daemon's log file, never rotated: a line it cannot write (a full disk) is counted, said once, not a
    # "--- Logging error ---" traceback per line. (Warnings reach standard error through the console handler.)
    handler = LogFile(log_path, max_bytes=0, backup_count=0, errors_to_stderr=False)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    package = logging.getLogger("calibration")
    package.setLevel(logging.DEBUG)
    package.addHandler(handler)
    if not logging.getLogger().handlers:
        # The terminal shows the progress lines (printed) and only warnings from the log.
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", handlers=[console])
    return handler


def _close_log(handler: LogFile) -> None:
    """Close the sweep's log: what it could not write (a full disk) is one warning line, not an OSError from the
    close's flush."""
    lost = [f"{handler.not_written} lines could not be written to it"] if handler.not_written else []
    try:
        handler.close()
    except OSError as exc:
        lost.append(f"its last lines were lost at the close ({exc.strerror or exc})")
    if lost:
        print(f"warning: the log {handler.baseFilename}: {'; '.join(lost)}", file=sys.stderr)


def run_sweep(args: argparse.Namespace) -> int:
    """The `sweep` command; returns the exit code (0 done, 1 stopped early, 2 refused or bad input)."""
    try:
        config = given_or_default_config(args.config, "the sweep", "(the broker, the load's topics)")
        plan = sweep_plan(args)
        target = load_sweep_target(config, args.equipment)
        if args.no_answers:
            target = replace(target, answers=False)
        for warning in target.config_warnings:  # (before any refusal below: a typo there may explain it)
            print(f"warning: {warning}", file=sys.stderr)
        default_path = default_csv_path(target.config_dir, target.name)
        csv_path = Path(args.output) if args.output else default_path
        if args.output and (csv_path.is_dir() or args.output.endswith(("/", os.sep))):
            # (Path drops a trailing /: with --overwrite, the folder, the daemon's curves in it, was moved aside as a
            # .bak at the end, and a file of its name took its place)
            raise SweepConfigError(f"--output {args.output}: a folder; name the file to write, e.g. "
                                   f"{csv_path / default_path.name}")
        if _regulators_file(target, csv_path, default_path) and (problem := unusable_plan(plan)):
            # With --overwrite, the working calibration would be moved aside for one the regulator refuses.
            raise SweepConfigError(f"{problem}: this sweep would write {csv_path}, where the regulator looks for "
                                   f"its calibration, a curve it refuses. To measure part of the curve, give "
                                   f"another file with --output")
        files = SweepFiles(csv_path, resume=args.resume, overwrite=args.overwrite)
        log_path = Path(args.log) if args.log else csv_path.with_suffix(".log")
        if (clash := _clashing_files(config, csv_path, files.partial, log_path)) is not None:
            raise SweepConfigError(clash)
        sweeper = Sweeper(target, plan, files, ignore_availability=args.ignore_availability,
                          progress=say)  # (a sweep piped to `head` goes on measuring)
        sweeper.prepare()  # refusals about the files come before any connection
    except (NoConfigHere, SweepConfigError, SweepError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        handler = _setup_logging(log_path)
    except OSError as exc:
        print(_os_error_line(exc, str(log_path)), file=sys.stderr)
        return EXIT_USAGE

    # (SIGHUP too: a sweep run over ssh whose session drops must leave the load at the end percent)
    with stopping_on_signals(sweeper.stop):
        if target.command_topic_note is not None:
            say(f"warning: [{target.name}] {target.command_topic_note}")
        unheard = ("a variator offline, or commands on a topic it does not listen on, go unnoticed, and the end "
                   "percent is not confirmed")
        if not target.answers:
            say(f"warning: --no-answers: the variator's answers are not waited for: {unheard}")
        elif target.topic_variator_status is None:
            say(f"warning: [{target.name}] has no status topic to hear the variator's answers on (topic_set_power "
                f"{target.topic_set_power!r} does not end in /cmd, and no topic_status is set): {unheard}; set "
                f"topic_status to the topic it answers on")
        say(f"sweep of [{target.name}]: {target.topic_set_power} <- percent, {target.topic_read_power} -> watts; "
            f"writing {files.partial}, which becomes {csv_path} once complete (log: {log_path}); Ctrl-C stops "
            f"and keeps what is measured")
        try:
            outcome = sweeper.run()
        except SweepError as exc:
            print(f"error: {exc}", file=sys.stderr)
            _say_where_the_load_is(sweeper, target, plan.end_percent)
            return EXIT_USAGE
        except OSError as exc:
            # The load is already back at the end percent (Sweeper.run's finally); what was measured stays.
            print(_os_error_line(exc, str(files.partial)), file=sys.stderr)
            _say_where_the_load_is(sweeper, target, plan.end_percent)
            return EXIT_USAGE
        finally:
            logging.getLogger("calibration").removeHandler(handler)
            _close_log(handler)
    for remeasured in remeasured_notes(sweeper.remeasured):  # (apart from the outcome's lines: worth a look)
        say(remeasured)
    where = sweeper.where_it_ended()
    if _say_where_the_load_is(sweeper, target, plan.end_percent):
        measured = (f"complete: {csv_path}" if outcome.completed
                    else f"stopped ({outcome.reason}); nothing measured yet; once the broker is back, start again "
                         f"with: {command_again(args, resume=False)}" if outcome.last_percent is None
                    else f"stopped ({outcome.reason}); {outcome.rows_written} steps measured in this run are "
                         f"kept in {files.partial} (down to {format_percent(outcome.last_percent)} %); once the "
                         f"broker is back, continue with: {command_again(args, resume=True)}")
        print(f"the sweep is {measured}", file=sys.stderr)
        return EXIT_STOPPED
    if outcome.completed:
        kept = f"; the previous one is kept as {outcome.backup}" if outcome.backup else ""
        done = f"done: {csv_path} ({outcome.rows_written} steps measured in this run{kept}); {where}"
        if (problem := unusable_plan(plan)) is not None:
            # (no "fit it" nor "set calibration =": the fit refuses such a file, and so would the regulator)
            say(f"{done}. A partial measure, not a calibration the regulator takes: {problem}")
            return EXIT_OK
        note = other_curve_note(target, csv_path, config)
        say(f"{done}. Fit it with: {shlex.quote(python_command())} -m calibration fit {shlex.quote(str(csv_path))}"
            + (f"\nnote: {note}" if note else ""))
        return EXIT_OK
    where_said = where[0].upper() + where[1:]  # (its own sentence after "stopped: ...": once, for either line)
    if outcome.last_percent is None:
        print(f"stopped: {outcome.reason}. {where_said}; nothing measured yet; start again with: "
              f"{command_again(args, resume=False)}", file=sys.stderr)
        return EXIT_STOPPED
    print(f"stopped: {outcome.reason}. {where_said}; {outcome.rows_written} steps measured in this "
          f"run are kept in {files.partial} (down to {format_percent(outcome.last_percent)} %). "
          f"Continue with: {command_again(args, resume=True)}", file=sys.stderr)
    return EXIT_STOPPED


def _say_where_the_load_is(sweeper: Sweeper, target: SweepTarget, end_percent: float) -> bool:
    """When the broker never confirmed the end percent, say where the load may be and how to set it back
    (standard error); True then. A broker that crashed sends no will (mosquitto stopped cleanly sends it, to the
    clients still connected only): the variator may keep its percent."""
    left_at = sweeper.left_at_percent
    if left_at is None:
        return False
    end = format_percent(end_percent)
    print(f"warning: the load may still be at {format_percent(left_at)} %: the broker {target.host}:{target.port} "
          f"did not confirm the end percent, {end} %, and a broker that crashed sends no will, and one stopped "
          f"cleanly only to a variator connected then. Once it is back, set it with: "
          f"{target.mosquitto_pub('-t', target.topic_set_power, '-m', end)}", file=sys.stderr)
    return True
