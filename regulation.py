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
        _print_check(args.config, settings)
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
        for note in _fallback_notes(settings):
            log.info("%s", note)
        from shell.daemon import Daemon

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


def _print_check(config: str, settings: Any) -> None:
    loads = ", ".join(f"{e.name} ({e.KIND}, {e.max_power_w:.0f} W)" for e in settings.equipments)
    mq, st, lg = settings.mqtt, settings.status, settings.logging
    # (the warnings went to standard error above: a user reading only this line must know they are there; a
    # log level of ERROR hid them, and says how to see them)
    count = len(settings.warnings)
    plural = "s" if count > 1 else ""
    warned = "" if not count else (f" ({count} warning{plural} above)" if log.isEnabledFor(logging.WARNING)
                                   else f" ({count} warning{plural}, hidden by the log level: --log-level WARNING)")
    print(f"{config}: OK{warned}; loads in priority order: {loads}")
    ev = settings.evaluate
    # (a migrated config's margin is the setpoint the loop keeps: the user sees it here, with its default)
    if ev.algorithm == "closed_loop":
        from equipments.constant import RelayEquipment

        relays = [e for e in settings.equipments if isinstance(e, RelayEquipment)]
        if len(relays) < len(settings.equipments):
            print(f"  regulation:  closed loop: export setpoint {ev.margin_w:g} W (margin), variable loads' whole "
                  f"percents importing {ev.dither_import_w:g} W at most (dither_import)")
        else:
            # (with no variator nothing gives a cloud back but a relay's switch: the default dwell then costs a
            # changeable day a third of its capture against Hébert's rule, and the owner must hear of it here)
            dwell = ", ".join(f"{e.name} {e.min_on_s:g}/{e.min_off_s:g} s" for e in relays)
            print(f"  regulation:  closed loop: export setpoint {ev.margin_w:g} W (margin); relays only: their dwell "
                  f"(min_on_s/min_off_s: {dwell}) spares them and costs capture and import on changeable days "
                  "(docs/control.md, \"A house with relays only\")")
    else:
        print(f"  regulation:  Hébert's rule: margin {ev.margin_w:g} W, balance threshold {ev.balance_threshold_w:g} W")
    print(f"  clock:       {_clock_said(settings)}")
    # (which CAs the broker's certificate is checked against: no ca_file is the system's, a broker with a public one)
    trusted = mq.ca_file or "the system's CA certificates"
    tls = f" (TLS against {trusted})" if mq.tls else ""
    print(f"  broker:      {mq.host}:{mq.port}{tls} as {mq.client_id!r}")
    from settings.tls_check import broker_notes

    for note in broker_notes(mq.host, mq.port, mq.tls):
        print(f"  broker note: {note}")
    # (what the daemon listens to, above all: a misspelt topic key is only a warning, and the default topic kept)
    print(f"  meters:      house {mq.topic_cons}, production {mq.topic_prod} (the watts under {mq.json_power!r})")
    # (and what it takes commands on and tells its state on: a seed's topic_force = regul/force is the mode topic, and
    # an automation still publishing on the other met silence)
    print(f"  topics:      mode {mq.topic_mode} (force, unforce), status {mq.topic_status}")
    print(f"  status file: {st.file}{_made_at_start(st.file)}{'' if st.persistent else _not_persistent(settings)}")
    log_file = f"{lg.file}{_made_at_start(lg.file)}" if lg.file else "none: standard error (the journal under systemd)"
    print(f"  log file:    {log_file}")
    from settings.check_notes import link_notes

    for note in link_notes(settings):
        print(f"  {note}")
    for load in settings.equipments:
        # (variable loads only have a detector; a seed config naming a third PZEM the house lacks must learn
        # here that the house meter stands in while that meter is silent)
        how = getattr(load, "full_detection", "absent")
        if how == "meter":
            print(f"  full tank ({load.name}): by its own meter {load.topic_read_power}; from the house meter "
                  "while that meter gives no reading")
        elif how == "inferred":
            print(f"  full tank ({load.name}): inferred from the house meter")
        elif how is None:
            print(f"  full tank ({load.name}): not detected (full_detect = off)")
    for note in _fallback_notes(settings):
        print(f"  {note}")
    if settings.unused:
        # (the start names them in one warning; each one's reason is here, where a user looks for it)
        count = len(settings.unused)
        what, them = ("1 of the file's keys or sections", "it") if count == 1 else \
            (f"{count} of the file's keys and sections", "them")
        print(f"  not used:    {what}, ignored (delete {them} to silence the warning that names {them}):")
        for unused in settings.unused:
            print(f"    {unused.removeprefix(f'{settings.path}: ')}")


def _clock_said(settings: Any) -> str:
    # (a Pi image left on UTC rolled the day and ran the 01:00 check an hour or two off what a French owner expected,
    # and nothing said which zone PySEB reads its hours in)
    import os
    from datetime import datetime

    from values.local_time import offset_hhmm

    now = datetime.now().astimezone(settings.tzinfo)  # (tzinfo None: this machine's zone)
    there = f"now {now:%H:%M} there (UTC{offset_hhmm(now.utcoffset())})"
    hours = "midnight and the daily hours (check_at...) in"
    if settings.evaluate.timezone:
        return f"{hours} {settings.evaluate.timezone} ([evaluate] timezone), {there}"
    said = f"{hours} this machine's zone, {now.tzname()}, {there}; to name one, [evaluate] timezone (Europe/Paris...)"
    # (the zone said was this shell's TZ, which a service started by systemd does not have: it reads /etc/localtime)
    shell_tz = os.environ.get("TZ")
    if shell_tz:
        said += f"; read with this shell's TZ={shell_tz}, which a service started by systemd does not have"
    return said


def _not_persistent(settings: Any) -> str:
    # (both ways: "not saved" alone left a user to think the file they had was still read at start, its day's energy
    # and forces restored; the key as written, the seed's [debug] one too)
    key = "[status] persistent" if settings.parser.has_option("status", "persistent") else "[debug] use_persistent"
    return f" (not read at start, nor saved: {key} = false)"


def _made_at_start(file: Path) -> str:
    # (the daemon makes the folder of the status file, its lock's, and of the log: the check says it will)
    return "" if file.parent.is_dir() else f" (its folder {file.parent} does not exist yet: made at start)"


def _fallback_notes(settings: Any) -> tuple[str, ...]:
    # What the fallback rules may take from the grid: the seed's is on by default, and a night's 7 kWh from the
    # grid must not be the first a user hears of it.
    from field.fallback_notes import fallback_notes

    return fallback_notes(settings.field, settings.equipments)


if __name__ == "__main__":
    sys.exit(main())
