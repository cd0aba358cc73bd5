#!/usr/bin/env python3
"""PySEB, the Python Solar Energy Balancer: gives the PV surplus to resistive loads in priority order.

    python3 regulation.py -c config.ini            run the daemon
    python3 regulation.py -c config.ini --check    validate the config and exit

In-process use (tests, the simulator, benchmarks): `from regulation import Regulator`.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from settings.version import DEFAULT_CONFIG, PYSEB_NAME, PYSEB_VERSION
from shell.stop_signals import StartHangup, StoppedWhileStarting

if TYPE_CHECKING:
    from core.regulator import Regulator
    from shell.daemon import Daemon

__all__ = ["Regulator", "main"]
__version__ = PYSEB_VERSION

EXIT_CONFIG = 2  # a bad config, or a missing run-time package
EXIT_ALREADY_RUNNING = 3
EXIT_INTERRUPTED = 130  # Ctrl-C while starting (128 + SIGINT, as a shell says it)

log = logging.getLogger("regulation")


def __getattr__(name: str) -> Any:
    # `from regulation import Regulator` imports the whole regulator (numpy too, once it fits a poly curve): only
    # when asked, so that --help, --version and the dependency check run without it.
    if name == "Regulator":
        from core.regulator import Regulator
        return Regulator
    raise AttributeError(f"module 'regulation' has no attribute {name!r}")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    # (installed by pip, the command is `pyseb`: its usage line says so; anywhere else, the script's name)
    prog = PYSEB_NAME if Path(sys.argv[0]).name == PYSEB_NAME else "regulation.py"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", default=DEFAULT_CONFIG, help=f"config file (default: {DEFAULT_CONFIG})")
    parser.add_argument("--check", action="store_true", help="validate the config and exit (0 = good)")
    # (Python's logging names, WARN and FATAL its own older ones, as settings.options reads [logging] level: that
    # module is imported after the Python's check, which must run on a Python too old for settings/)
    parser.add_argument("--log-level", type=str.upper,
                        choices=("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL", "FATAL"),
                        help="override [logging] level")
    parser.add_argument("--version", action="version", version=f"PySEB {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code."""
    args = _parse_args(argv)
    hangup = StartHangup()  # (Python's default for SIGHUP kills: a logrotate's while starting stopped PySEB)
    if threading.current_thread() is threading.main_thread():
        hangup.catch()
    # Until the Daemon is built, its stop handlers do not exist: on a Pi Zero the imports and the curves' fits take
    # seconds, and a Ctrl-C there was a KeyboardInterrupt traceback. _start installs them as soon as it is built;
    # one caught before Daemon.run begins stops it there. Nothing is connected or published before, so the
    # interrupted start has nothing to undo but the lock.
    try:
        daemon = _start(args)
    except KeyboardInterrupt:
        return _interrupted_start()
    if isinstance(daemon, int):
        return daemon
    try:
        return daemon.run(hangup)
    except StoppedWhileStarting as stop:
        # (SIGTERM, systemd's stop, ends as a daemon's stop does: 0, not a failure of the unit)
        return _interrupted_start(0 if stop.signal_name == "SIGTERM" else EXIT_INTERRUPTED)
    finally:
        from shell.log_writer import wait_log_written

        wait_log_written()  # (the log complete when main returns: a caller in this process reads it)


def _interrupted_start(code: int = EXIT_INTERRUPTED) -> int:
    from shell.log_writer import wait_log_written

    wait_log_written()  # (the start's lines first, as they came)
    print("regulation.py: interrupted while starting: nothing was connected or commanded", file=sys.stderr)
    return code


def _start(args: argparse.Namespace) -> int | Daemon:
    """Everything before the daemon runs: the exit code when it is not to run (--check, a bad config, another
    PySEB), else the Daemon. Interrupted once the instance lock is taken, it releases the lock."""
    from shell.deps import dependency_problem, python_problem
    from shell.logsetup import refusal_text

    problem = python_problem()
    if problem is None:
        # (numpy only for a variable load's poly fit: the robust one is plain Python. Imported after the
        # Python's check, which must run on a Python too old for settings/. One check for all: paho-mqtt's first,
        # then numpy's, said one at a time)
        from settings.load_building import packages_needed

        problem = dependency_problem(("paho-mqtt", *packages_needed(args.config)))
    if problem is not None:
        print(refusal_text(f"regulation.py: {problem}"), file=sys.stderr)
        return EXIT_CONFIG

    from settings.config import load_settings
    from settings.daemon_files import instance_lock_path
    from settings.problems import ConfigError
    from shell.lock import AlreadyRunning, InstanceLock
    from shell.loglimit import FloodLimiter
    from shell.logsetup import hold_logging, setup_logging

    # Nothing is printed before the instance lock is ours: a cron start refused every 10 minutes must
    # leave one line, not the config's warnings and calibration lines each time.
    held = hold_logging(args.log_level or "INFO")
    # The first line of a run, made now and logged once the log is set up: stamped before the lines held while the
    # config is read (the curves' fits), it comes first in time order too; logged after them, it came first with a
    # later time than the lines under it.
    starting = log.makeRecord(log.name, logging.INFO, __file__, 0, "PySEB %s starting with %s",
                              (__version__, args.config), None)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        setup_logging(args.log_level or "INFO", stderr=True)
        held.replay()
        print(refusal_text(exc.render()), file=sys.stderr)
        return EXIT_CONFIG
    if args.check:
        # (stamped in [evaluate] timezone as the daemon's lines are: the check's own summary says the time there)
        setup_logging(args.log_level or settings.logging.level, stderr=True, tz=settings.tzinfo)
        held.replay()
        for warning in settings.warnings:
            log.warning("%s", warning)
        from shell.check_print import print_check

        print_check(args.config, settings)
        return 0
    lock = InstanceLock(instance_lock_path(settings.status.file))
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(refusal_text(f"regulation.py: {exc}; not starting{_outside_the_service(exc.pid)}"), file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    except OSError as exc:
        why = ("a run as another user may have left it: remove it (no PySEB running) or run as that user"
               if lock.path.exists() else "its directory (that of [status] file) must be writable")
        print(refusal_text(f"regulation.py: cannot open the lock {lock.path}: {exc.strerror}; {why}"), file=sys.stderr)
        return EXIT_CONFIG
    try:
        lg = settings.logging
        limiter = FloodLimiter()  # anyone on the broker can send junk: its warnings must not flood the log
        try:
            # (written on a thread of their own: a stalled SD card held the main loop in each line's write, the loads
            # left as they were; see shell/log_writer.py)
            setup_logging(args.log_level or lg.level, lg.file, lg.max_bytes, lg.backup_count, limiter=limiter,
                          tz=settings.tzinfo, on_a_thread=True)
        except OSError as exc:
            # (the config's check judges the file by its folder's modes, which a file system may belie: root on
            # /proc, a share's faked modes. It was a traceback, exit 1, that the unit restarted every 10 s for ever)
            lock.release()
            setup_logging(args.log_level or lg.level, stderr=True, tz=settings.tzinfo)
            held.replay(first=starting)
            print(refusal_text(f"regulation.py: cannot open the log file {lg.file} ([logging] file): "
                               f"{exc.strerror or exc}; make it writable by this user, or leave [logging] file empty "
                               "(standard error, the journal under systemd)"), file=sys.stderr)
            return EXIT_CONFIG
        held.replay(first=starting)
        for warning in settings.warnings:
            log.warning("%s", warning, extra={"limit_key": warning})
        for unused in settings.unused:  # (named in one warning above; each one's reason here, and in --check)
            log.debug("%s", unused)
        from shell.check_print import fallback_notes_of
        from shell.daemon import Daemon

        for note in fallback_notes_of(settings):
            log.info("%s", note)

        daemon = Daemon(settings, lock, limiter)
        daemon.catch_stop_signals()  # (from here a Ctrl-C or a hangup is queued for the run, no longer raised)
        return daemon
    except KeyboardInterrupt:
        lock.release()
        raise


def _outside_the_service(pid: str) -> str:
    # Under the unit the other PySEB is none of the unit's (systemd runs one): a seed user's cron lines, left in place,
    # took the lock first at boot, and the unit, not restarted on exit 3, stayed failed while PySEB ran outside it
    # (systemctl stop did not stop it, the journal had none of its log).
    from shell.logsetup import stderr_is_the_journal
    from values.root_command import as_root

    if not stderr_is_the_journal():
        return ""
    stop = "stop it" if pid == "?" else f"stop it (kill {pid})"
    return (f": it was started outside this service (a cron line, a terminal, nohup): {stop}, remove its cron lines, "
            f"then: {as_root('systemctl restart pyseb')}")


if __name__ == "__main__":
    sys.exit(main())
