"""The live demo: a private broker, virtual devices, the real daemon, a real day in accelerated time.

Everything it starts (broker, daemon, MQTT clients) it stops, by PID for the processes, also on Ctrl-C,
SIGTERM and errors.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from localbroker import PrivateBroker, die_with_parent
from localbroker.leftovers import claim_dir, mark_users, remove_stale
from settings.config import load_settings
from settings.problems import ConfigError
from shell.stop_signals import STOP_SIGNALS, hangups_as_interrupt
from simulation.config import SimConfig, read_sim_config
from simulation.demo_config import (
    DEMO_CONFIG_NAME,
    DEMO_TEMPLATE,
    MIN_METER_TIMEOUT_S,
    played_zone,
    write_demo_config,
    zone_note,
)
from simulation.demo_log import DecisionLines, describe_house
from simulation.devices import DeviceClient, MeterDevice, RelayDevice, StatusMonitor, VariatorDevice
from simulation.house import SimHouse
from simulation.live import LiveLines
from simulation.metrics import format_summary, summarize
from simulation.pzem import PzemMeter
from simulation.record import Belief, Recorder
from simulation.replay_inputs import SNAP_S, ReplayError, clock_option, load_trace

__all__ = ["DEFAULT_TRACE", "SPEED_RANGE", "DemoError", "DemoOptions", "run_demo"]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRACE = Path(__file__).resolve().parent / "traces" / "serf-east-2022-03-19.csv"
WORK_PREFIX = "pyseb-demo-"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
# Simulated seconds per wall second. The daemon's durations are divided by the speed: faster than 100, its
# decisions' spacing (1 s) falls under the 0.01 s it accepts; much slower, the relays' dwell (600 s) outgrows the
# day it accepts. Checked before anything starts: the daemon refused the demo's own config after the broker was up.
SPEED_RANGE = (0.1, 100.0)
# How long after the last reading the daemon's last lines are read: its decision on it is logged within milliseconds,
# its cut of the meters gone silent (the demo over, not to be shown) no sooner than meter_timeout after their last
# readings, MIN_METER_TIMEOUT_S at the least.
LAST_LINES_WAIT_S = MIN_METER_TIMEOUT_S / 2


class DemoError(RuntimeError):
    """The demo could not run (broker, daemon or devices)."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What `python3 -m simulation demo` was asked."""

    minutes: float = 30.0  # simulated minutes
    speed: float = 30.0  # simulated seconds per wall second
    start: str = "12:10"
    trace: Path = DEFAULT_TRACE
    template: Path = DEMO_TEMPLATE
    keep: bool = False  # keep the work directory (the daemon's config, log, status file and recorded decisions)


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT_S)


class _Teardown(ExitStack):
    """An ExitStack whose unwinding no SIGTERM or Ctrl-C cuts short.

    The daemon and the broker run in their own sessions: a signal that stopped the cleanup halfway
    would orphan them. The cleanup is bounded (STOP_TIMEOUT_S per step), so waiting for it is safe.
    """

    def __exit__(self, *exc_details: Any) -> bool | None:
        def already_stopping(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name + (" (Ctrl-C)" if signum == signal.SIGINT else "")
            log.warning("%s ignored: still stopping the broker and the daemon the demo started (%g s at most each)",
                        name, STOP_TIMEOUT_S)

        previous = {sig: signal.signal(sig, already_stopping) for sig in STOP_SIGNALS}
        try:
            return super().__exit__(*exc_details)
        finally:
            for sig, handler in previous.items():
                # None: a handler not installed from Python; the default is the closest there is.
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no daemon log)"
    return "\n".join("    " + line for line in text[-lines:])


def _start(stack: ExitStack, device: DeviceClient) -> None:
    device.start()
    stack.callback(device.stop)


def _wait_ready(daemon: subprocess.Popen[bytes], monitor: StatusMonitor, house: SimHouse, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    # Online on the availability topic, or its first commands (every load to 0) reached the devices.
    while not (monitor.online.is_set() or house.pending_commands()):
        if daemon.poll() is not None:
            raise DemoError(f"the daemon exited at start (code {daemon.returncode}):\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise DemoError(f"the daemon did not come online within {READY_TIMEOUT_S:g} s:\n{_tail(log)}")
        time.sleep(0.05)


def _sleep_until(deadline: float) -> None:
    left = deadline - time.monotonic()
    if left > 0:
        time.sleep(left)


def _print_decisions(decisions: DecisionLines, out: TextIO) -> None:
    for line in decisions.new():
        print(f"         daemon: {line}", file=out, flush=True)


def _say_kept(work: Path, out: TextIO) -> bool:
    """Say where the daemon's files are, in the folder `work` that --keep keeps."""
    config_path = work / DEMO_CONFIG_NAME
    try:
        record = load_settings(config_path).record
    except (ConfigError, OSError):  # (a demo cut short before its daemon was started: nothing of its in there)
        print(f"\nKept (--keep): remove {work} when done.", file=out, flush=True)
        return True
    # (on the daemon's own clock: a few minutes of today's date, the house sped up in them)
    records = f"; its recorded decisions: {record.dir} (today's date, by its clock)" if record.enabled else ""
    print(f"\nThe daemon's log: {work / 'daemon.log'}; its status file: {work / 'status.json'} (saved at its stop)"
          f"{records}; its config: {config_path}. Kept (--keep): remove {work} when done.", file=out, flush=True)
    return True


def _devices(config: SimConfig, house: SimHouse, host: str, port: int) -> list[DeviceClient]:
    devices: list[DeviceClient] = []
    for spec in config.loads:
        if spec.type == "variable":
            devices.append(VariatorDevice(host, port, spec.topic, house.receive))
        else:
            assert spec.payload_on is not None and spec.payload_off is not None
            devices.append(RelayDevice(host, port, spec.name, spec.topic, spec.payload_on, spec.payload_off,
                                       house.receive))
    return devices


def run_demo(options: DemoOptions, out: TextIO = sys.stdout) -> None:
    """Run the demo, printing live lines and the summary to `out`; raise DemoError when it cannot."""
    low, high = SPEED_RANGE
    if not low <= options.speed <= high:
        raise ReplayError(f"--speed {options.speed:g}: the demo runs from {low:g} to {high:g} simulated seconds per "
                          f"second (default 30)")
    if not (math.isfinite(options.minutes) and options.minutes > 0):
        raise ReplayError(f"--minutes {options.minutes:g}: a number of simulated minutes > 0 (default 30)")
    template = read_sim_config(options.template)
    house_zone = template.timezone
    zone = played_zone(options.trace, template)  # (a day recorded in another zone: played at its own offset)
    if zone is not None:
        template = replace(template, timezone=zone)
    trace = load_trace(options.trace, template)
    # (on the trace's second day when before its start: a trace from 20:00 to 20:00, --start 06:00 is the morning
    # after, as for replay's --from; it was refused as going past the trace)
    start_s = clock_option(trace, "--start", options.start, trace.start_s - SNAP_S)
    if start_s is None:
        raise ReplayError("--start: empty; give a time of day, HH:MM")
    if trace.start_s - SNAP_S <= start_s < trace.start_s:
        start_s = trace.start_s  # (a minute before it or less: its start, as for replay's --from)
    period_s = template.period_s
    count = int(options.minutes * 60 / period_s)
    if count < 1:  # (the broker and the daemon were started for nothing: "0 periods ... capture n/a", exit 0)
        raise ReplayError(f"--minutes {options.minutes:g}: less than one reading of the meters "
                          f"({period_s:g} s of the house); give {math.ceil(period_s / 60 * 1000) / 1000:g} or more")
    if start_s < trace.start_s or start_s + count * period_s > trace.end_s + 1e-6:
        raise ReplayError(f"--start {options.start} and --minutes {options.minutes:g} go past the trace "
                          f"({trace.hhmm(trace.start_s)} to {trace.hhmm(trace.end_s)})")
    # A demo killed outright (SIGKILL) ran no cleanup: its folder goes at the next start. One kept (--keep) is not
    # marked, so never removed.
    remove_stale(WORK_PREFIX)
    work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX)) if options.keep else claim_dir(WORK_PREFIX)
    # The SIGTERM handler is installed first and removed last: a SIGTERM during the cleanup meets
    # _Teardown's handler, never the default one that would kill the demo mid-cleanup.
    # (what stops the demo as Ctrl-C does: `kill <demo pid>`, and a closed terminal or a dropped ssh session: the
    # daemon, in its own session, was left running for ever, its folders behind)
    said_kept: list[bool] = []  # (the folder kept said once: at the end, or after the cleanup of a demo cut short)
    with hangups_as_interrupt(), _Teardown() as stack:
        if not options.keep:
            stack.callback(shutil.rmtree, work, True)
        else:  # (first in, so last out: said after the daemon's stop saved its status; a Ctrl-C said nothing of it)
            stack.callback(lambda: said_kept or _say_kept(work, out))
        broker = PrivateBroker()
        stack.callback(broker.cleanup)
        broker.start()
        config_path = write_demo_config(options.template, work, broker.host, broker.port, options.speed, zone)
        config = read_sim_config(config_path)
        house = SimHouse.from_config(config)
        belief = Belief(house.names)
        monitor = StatusMonitor(broker.host, broker.port, config.topic_status, config.topic_availability,
                                belief.offer)
        _start(stack, monitor)
        # (their boot messages say how often they read: the demo's meters, sped up, read far more often than 2 s)
        cons = MeterDevice(broker.host, broker.port, config.topic_cons, period_s / options.speed)
        prod = MeterDevice(broker.host, broker.port, config.topic_prod, period_s / options.speed)
        for device in [cons, prod, *_devices(config, house, broker.host, broker.port)]:
            _start(stack, device)
        log_path = work / "daemon.log"
        with open(log_path, "wb") as log_file:
            daemon = subprocess.Popen([sys.executable, str(ROOT / "regulation.py"), "-c", str(config_path)],
                                      cwd=work, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                                      start_new_session=True, preexec_fn=die_with_parent)
        stack.callback(_stop_process, daemon)
        if not options.keep:
            mark_users(work, [os.getpid(), daemon.pid])
        print(f"PySEB demo: broker pid {broker.pid} on {broker.host}:{broker.port}, daemon pid {daemon.pid}, "
              f"work dir {work}", file=out, flush=True)
        print(describe_house(config.loads), file=out, flush=True)
        if zone is not None:
            print(zone_note(options.trace, house_zone, zone, start_s), file=out, flush=True)
        print(f"{trace.said(start_s)} + {options.minutes:g} simulated minutes at x{options.speed:g} "
              f"(about {options.minutes * 60 / options.speed:.0f} s); Ctrl-C stops everything.", file=out,
              flush=True)
        _wait_ready(daemon, monitor, house, log_path)
        house.schedule_draws(trace, start_s, start_s + count * period_s)
        recorder = Recorder(house.names, house.oracle_loads(), period_s)
        live = LiveLines(house, trace, period_s, out)
        decisions = DecisionLines(log_path, config_path)
        meters = (PzemMeter(config.json_power), PzemMeter(config.json_power))
        wall_period = period_s / options.speed
        wall0 = time.monotonic()
        for k in range(count):
            now = start_s + k * period_s
            _sleep_until(wall0 + k * wall_period)
            commanded = belief.watts()
            real = house.step(period_s, now)
            consumption = float(trace.house_at(now)) + sum(real)
            production = float(trace.production_at(now + period_s / 2))
            recorder.add(now, production, consumption, house.levels(), commanded, real)
            cons.send(meters[0].reading(consumption, period_s))
            _sleep_until(wall0 + (k + 0.5) * wall_period)
            prod.send(meters[1].reading(production, period_s))
            if live.due(now + period_s):
                live.print(now + period_s, recorder)
                _print_decisions(decisions, out)
                if daemon.poll() is not None:
                    raise DemoError(f"the daemon stopped (code {daemon.returncode}):\n{_tail(log_path)}")
        # The daemon's lines on the last readings, logged after the last minute's read: they were never shown.
        time.sleep(LAST_LINES_WAIT_S)
        _print_decisions(decisions, out)
        rows = recorder.rows()
        summary = summarize(house.names, rows)
        print(f"\nSummary of {trace.said(start_s)} to {trace.said(start_s + count * period_s)} "
              f"(live, {monitor.statuses} status documents from the daemon):", file=out)
        print(format_summary(summary), file=out, flush=True)
        if options.keep:
            said_kept.append(_say_kept(work, out))
        else:
            print(f"\nThe daemon's log, status file and recorded decisions were in {work}, removed at the end; "
                  "--keep keeps them.", file=out, flush=True)
