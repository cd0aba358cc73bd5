"""SIGHUP while PySEB starts (the imports, the config, the curves' fits: seconds on a Pi Zero), before the daemon's
own handlers exist. Without a terminal (systemd, cron) it is logrotate's postrotate asking to reopen the log (its
timer, Persistent=, fires at boot, as PySEB starts): Python's default killed PySEB there, a death by SIGHUP that
systemd's Restart=on-failure counts as clean, and nothing regulated until someone noticed. In a terminal it is the
terminal closing: the start stops as after a Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from localbroker import PrivateBroker
from shell.lock import InstanceLock
from shell.stop_signals import STOP_SIGNALS
from tests.configs import reading, write_config
from tests.daemon_process import ROOT, in_a_session_of_its_own
from tests.mqtt_probe import MqttProbe

RADIATOR, AVAIL = "cmnd/radiator/POWER", "regul/availability"

# regulation.py, with a SIGHUP to itself in the middle of its start (where the imports and the fits take their time).
_HUNG_UP_WHILE_STARTING = """
import os, signal, sys
import regulation
real_start = regulation._start
def hung_up_start(*args):
    os.kill(os.getpid(), signal.SIGHUP)
    return real_start(*args)
regulation._start = hung_up_start
sys.exit(regulation.main(sys.argv[1:]))
"""


def start(config: Path, log_path: Path, terminal_fd: int | None) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as log:
        return subprocess.Popen([sys.executable, "-c", _HUNG_UP_WHILE_STARTING, "-c", str(config)], stdout=log,
                                stderr=subprocess.STDOUT, cwd=ROOT, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                                preexec_fn=in_a_session_of_its_own(terminal_fd),
                                pass_fds=() if terminal_fd is None else (terminal_fd,))


def test_a_sighup_while_starting_without_a_terminal_reopens_the_log_and_regulates(
        tmp_path: Path, broker: PrivateBroker, probe: MqttProbe) -> None:
    config = write_config(tmp_path, ("radiator",), port=broker.port, period=0.2, meter_timeout=3, status_time=0.5)
    config.write_text(config.read_text() + "\n[logging]\nfile = pyseb.log\n")
    proc = start(config, tmp_path / "out.log", None)
    try:
        try:
            probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        except TimeoutError:
            raise AssertionError(f"exit {proc.poll()}: {(tmp_path / 'out.log').read_text()[-2000:]}") from None
        probe.publish("smeter/pzem/CONSOMMATION", reading(300))
        probe.publish("smeter/pzem/PRODUCTION", reading(1800))
        probe.wait_for(RADIATOR, lambda m: m.text == "ON")
        proc.terminate()
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert "SIGHUP received" in (tmp_path / "pyseb.log").read_text()


def test_a_sighup_while_starting_in_a_terminal_stops_the_start(tmp_path: Path, broker: PrivateBroker) -> None:
    config = write_config(tmp_path, ("radiator",), port=broker.port)
    master, terminal_fd = os.openpty()
    try:
        proc = start(config, tmp_path / "out.log", terminal_fd)
        os.close(terminal_fd)
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
    out = (tmp_path / "out.log").read_text()
    assert code == 130, out
    assert "interrupted while starting: nothing was connected or commanded" in out and "Traceback" not in out


# regulation.py, with a signal to itself once the start is done (the Daemon built) and before Daemon.run has begun:
# there its handlers did not exist, and a hangup or a Ctrl-C ended in a KeyboardInterrupt traceback outside main's
# try, the instance lock still held.
_SIGNALLED_ONCE_STARTED = """
import os, signal, sys
import regulation, shell.daemon
signum = getattr(signal, sys.argv.pop())
real_run = shell.daemon.Daemon.run
def signalled_run(self, *args):
    os.kill(os.getpid(), signum)
    return real_run(self, *args)
shell.daemon.Daemon.run = signalled_run
sys.exit(regulation.main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("signal_name", "in_a_terminal", "code"), [
    ("SIGHUP", True, 130), ("SIGINT", True, 130), ("SIGINT", False, 130),
    ("SIGTERM", False, 0),  # (as a daemon stopped by systemd: a clean stop, not a failure)
])
def test_a_stop_signal_between_the_start_and_the_run_stops_the_start(tmp_path: Path, signal_name: str,
                                                                     in_a_terminal: bool, code: int) -> None:
    config = write_config(tmp_path, ("radiator",))  # (port 9: a start that went on would not connect either)
    master, terminal_fd = os.openpty() if in_a_terminal else (None, None)
    try:
        with open(tmp_path / "out.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-c", _SIGNALLED_ONCE_STARTED, "-c", str(config), signal_name],
                                    stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                    env=dict(os.environ, PYTHONUNBUFFERED="1"),
                                    preexec_fn=in_a_session_of_its_own(terminal_fd),
                                    pass_fds=() if terminal_fd is None else (terminal_fd,))
        if terminal_fd is not None:
            os.close(terminal_fd)
        try:
            exit_code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    finally:
        if master is not None:
            os.close(master)
    out = (tmp_path / "out.log").read_text()
    assert exit_code == code, out
    assert "interrupted while starting: nothing was connected or commanded" in out and "Traceback" not in out
    assert "connect" not in out.replace("nothing was connected", ""), out  # (the link never started)


@pytest.mark.usefixtures("restored_root_logger")
@pytest.mark.parametrize("where", ["once _start returned", "as Daemon.run begins"])
def test_a_ctrl_c_between_the_start_and_the_run_frees_the_lock(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               where: str) -> None:
    import regulation
    import shell.daemon

    real_start, real_run = regulation._start, shell.daemon.Daemon.run

    def signalled_start(args: Any) -> Any:
        daemon = real_start(args)
        os.kill(os.getpid(), signal.SIGINT)
        return daemon

    def signalled_run(self: Any, *args: Any) -> int:
        os.kill(os.getpid(), signal.SIGINT)
        return real_run(self, *args)

    handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    # SIGINT as a terminal gives it: pytest run in the background (`pytest &`, nohup, a CI runner) starts with it
    # ignored, which the daemon keeps (a background job's Ctrl-C is not its own): this start never stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.MonkeyPatch.context() as patch:
            if where == "once _start returned":
                patch.setattr(regulation, "_start", signalled_start)
            else:
                patch.setattr(shell.daemon.Daemon, "run", signalled_run)
            code = regulation.main(["-c", str(write_config(tmp_path))])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert code == 130
    assert "interrupted while starting" in capsys.readouterr().err
    lock = InstanceLock(tmp_path / "status.json.lock")
    lock.acquire()  # (not AlreadyRunning: the interrupted start let it go)
    lock.release()


def test_a_stop_signal_during_the_restore_stops_before_the_link_starts(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # run() looked for a stop only as it began: a SIGTERM while it restored the saved status (a slow SD card, a big
    # file) was seen by the main loop only, after the link had connected (`online` published, then `offline`, the
    # stop commands of a regulation never started). It stops there now, as before the run: nothing connected.
    from settings.config import load_settings
    from shell.daemon import Daemon
    from shell.stop_signals import StoppedWhileStarting

    config = write_config(tmp_path, ("radiator",))
    daemon = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
    daemon.lock.acquire()
    daemon._catching = True  # (the test's process keeps its own handlers: the signal is handed over below)
    real_restore = daemon.restore_saved_status

    def signalled_restore(now: float) -> None:
        daemon._on_signal(signal.SIGTERM, None)
        real_restore(now)

    def link_start() -> None:
        raise AssertionError("the link started")

    monkeypatch.setattr(daemon, "restore_saved_status", signalled_restore)
    monkeypatch.setattr(daemon.link, "start", link_start)
    with pytest.raises(StoppedWhileStarting) as stopped:
        daemon.run()
    assert stopped.value.signal_name == "SIGTERM"
    lock = InstanceLock(tmp_path / "test.lock")
    lock.acquire()  # (not AlreadyRunning: the stopped start let it go)
    lock.release()


def test_a_stop_during_the_restore_of_a_file_set_aside_saves_what_keeps_loads_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A file dated ahead (a Pi booted with its clock behind) is set aside, what keeps a load off restored from it in
    # memory. A stop during that restore (seconds on a Pi Zero) raised before the save the stop of a start makes for
    # it: the next start found no file and started clean, the radiator's force at 0 W gone.
    import json
    import time

    from settings.config import load_settings
    from shell.daemon import Daemon
    from shell.stop_signals import StoppedWhileStarting

    config = write_config(tmp_path, ("radiator",))
    status = tmp_path / "status.json"
    dated = int(time.time() + 2 * 86400)
    status.write_text(json.dumps({"schema_version": 1, "date": dated, "equipments": [
        {"name": "radiator", "type": "constant", "current_power": 0.0, "energy": 10.0, "command": "OFF",
         "forced": True, "forced_power": 0.0, "force_end": None, "forced_by": "user"}]}))
    daemon = Daemon(load_settings(config), InstanceLock(tmp_path / "test.lock"))
    daemon.lock.acquire()
    daemon._catching = True  # (the test's process keeps its own handlers: the signal is handed over below)
    real_restore = daemon.restore_saved_status

    def signalled_restore(now: float) -> None:
        real_restore(now)
        daemon._on_signal(signal.SIGTERM, None)  # (as the restore ends)

    def link_start() -> None:
        raise AssertionError("the link started")

    monkeypatch.setattr(daemon, "restore_saved_status", signalled_restore)
    monkeypatch.setattr(daemon.link, "start", link_start)
    with pytest.raises(StoppedWhileStarting):
        daemon.run()
    assert len(list(tmp_path.glob("status.json.bad-*"))) == 1
    saved = json.loads(status.read_text())
    assert saved["date"] == dated
    kept = next(entry for entry in saved["equipments"] if entry["name"] == "radiator")
    assert kept["forced"] and kept["forced_power"] == 0.0 and kept["force_end"] is None
