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
from pathlib import Path

from core.regulator import Regulator
from settings.problems import ConfigError

__all__ = ["Regulator", "main"]
__version__ = "0.1.0"

EXIT_CONFIG = 2
EXIT_ALREADY_RUNNING = 3

log = logging.getLogger("regulation")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="regulation.py", description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", default="config.ini", help="config file (default: config.ini)")
    parser.add_argument("--check", action="store_true", help="validate the config and exit (0 = good)")
    parser.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="override [logging] level")
    parser.add_argument("--version", action="version", version=f"PySEB {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit code."""
    from settings.config import load_settings
    from shell.daemon import Daemon
    from shell.lock import AlreadyRunning, InstanceLock
    from shell.loglimit import FloodLimiter
    from shell.logsetup import setup_logging

    args = _parse_args(argv)
    setup_logging(args.log_level or "INFO")
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    for warning in settings.warnings:
        log.warning("%s", warning, extra={"limit_key": warning})
    if args.check:
        loads = ", ".join(f"{e.name} ({e.KIND}, {e.max_power_w:.0f} W)" for e in settings.equipments)
        print(f"{args.config}: OK; loads in priority order: {loads}")
        return 0
    lock = InstanceLock(Path(str(settings.status.file) + ".lock"))
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"regulation.py: {exc}; not starting", file=sys.stderr)
        return EXIT_ALREADY_RUNNING
    lg = settings.logging
    limiter = FloodLimiter()  # anyone on the broker can send junk: its warnings must not flood the log
    setup_logging(args.log_level or lg.level, lg.file, lg.max_bytes, lg.backup_count, limiter)
    log.info("PySEB %s starting with %s", __version__, args.config)
    return Daemon(settings, lock, limiter).run()


if __name__ == "__main__":
    sys.exit(main())
