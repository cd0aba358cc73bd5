"""SIGHUP while PySEB starts (the imports, the config, the curves' fits: seconds on a Pi Zero), before the daemon's
own handlers exist. Without a terminal (systemd, cron) it is logrotate's postrotate asking to reopen the log (its
timer, Persistent=, fires at boot, as PySEB starts): Python's default killed PySEB there, a death by SIGHUP that
systemd's Restart=on-failure counts as clean, and nothing regulated until someone noticed. In a terminal it is the
terminal closing: the start stops as after a Ctrl-C."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from localbroker import PrivateBroker
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
