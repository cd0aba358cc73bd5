"""What the sweep does when its own run goes wrong: a kill during the regulator check commands nothing, a file or
a log that cannot be written is one line, a broker that crashes (back, staying down, lost mid-sweep, a second
Ctrl-C) ends with the load at the end percent or the command to set it back."""

from __future__ import annotations

import errno
import io
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from calibration.sweep_cli import _close_log
from localbroker import PrivateBroker, free_port
from shell.logsetup import LogFile
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import CMD, FAST, ROOT, SimulatedLoad, delivered, partial, rows, sweep, write_config

# (their variator locks: not in /tmp) Also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16): the tests of a
# broker that crashes start a broker of their own, not the fixture's that marks a test `mqtt`, so they were left out,
# though paho's reconnects after a crash are where 1.6 and 2.x differ.
pytestmark = [pytest.mark.debian, pytest.mark.usefixtures("sweep_locks")]


def test_a_kill_during_the_regulator_check_commands_nothing(broker: PrivateBroker, probe: MqttProbe,
                                                            tmp_path: Path) -> None:
    csv = tmp_path / "power_calibration_ecs.csv"
    log = tmp_path / "sweep.log"
    command = [sys.executable, "-m", "calibration", "sweep", "-c", str(write_config(tmp_path, broker.port)),
               "--equipment", "ecs", "--output", str(csv), "--log", str(log), *FAST, "--availability-wait", "60"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("sweep of [ecs]")  # printed just before it connects
        # Connected, the check logs its start, then waits 60 s: the kill comes during it (a fixed second was on a
        # loaded machine before the connection, or the numpy import, maybe).
        deadline = time.monotonic() + 30
        while "checking the regulator's availability" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text() if log.exists() else ""
            time.sleep(0.05)
        proc.kill()  # SIGKILL: no clean disconnect, the broker fires whatever will the connection holds
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    time.sleep(0.3)  # the broker publishes a will as soon as it sees the socket close
    assert delivered(probe).on(CMD) == []  # (the kill came during the check: its line was waited for)


def test_a_file_that_cannot_be_written_mid_sweep_is_one_line(broker: PrivateBroker, probe: MqttProbe,
                                                             load: SimulatedLoad, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("calibration.sweep.os.fsync", disk_full)
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 2
    err = capsys.readouterr().err
    assert err == f"error: cannot write {partial(csv)}: No space left on device\n"
    assert delivered(probe).on(CMD)[-1].text == "0.0"  # the load is still left at the end percent


def _small_files() -> None:
    """(`preexec_fn`) Files of 4 KiB at most, as on a full disk: a write past that fails (EFBIG), SIGXFSZ ignored."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_a_log_that_cannot_be_written_is_one_line_not_a_traceback_each(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path) -> None:
    # A full disk under the log (every unusable reading is a DEBUG line of it): a "--- Logging error ---" traceback
    # for each line on standard error, and the run ended in an uncaught OSError from the log's close.
    csv = tmp_path / "power_calibration_ecs.csv"
    log = tmp_path / "sweep.log"
    command = [sys.executable, "-m", "calibration", "sweep", "-c", str(write_config(tmp_path, broker.port)),
               "--equipment", "ecs", "--output", str(csv), "--log", str(log), *FAST]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=_small_files,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    assert "Logging error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count(f"cannot write the log file {log}: File too large") == 1, result.stderr
    assert f"warning: the log {log}: " in result.stderr and " lines could not be written to it" in result.stderr
    assert [p for p, _ in rows(csv)] == [100.0 - 10 * k for k in range(11)]  # (the measure goes on)
    assert 0 < log.stat().st_size <= 4096


def test_a_log_whose_close_fails_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Its last lines flushed at the close, on a disk still full: the OSError ended the run, uncaught.
    handler = LogFile(tmp_path / "sweep.log", max_bytes=0, backup_count=0, errors_to_stderr=False)

    class FullDisk(io.StringIO):
        def flush(self) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

    handler.stream.close()
    handler.stream = FullDisk()
    _close_log(handler)
    assert capsys.readouterr().err == (f"warning: the log {tmp_path / 'sweep.log'}: its last lines were lost at the "
                                       f"close (No space left on device)\n")


def test_a_log_in_a_missing_directory_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "no" / "such" / "dir" / "sweep.log"
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, free_port()), csv, "--log", str(log)) == 2
    assert capsys.readouterr().err == f"error: cannot write {log}: No such file or directory\n"


def _crash_at(broker: PrivateBroker, load: SimulatedLoad, percent: float, down_s: float | None, seen: list[str],
              swept: threading.Event) -> threading.Thread:
    """A thread that kills the broker (SIGKILL: no will is sent) once the load is at `percent` (a load that never
    gets there within 30 s is left alone: the sweep then ends as if nothing happened, and the test fails), then, after
    `down_s` (None: never), starts it again on the same port with a subscriber that collects every command sent
    until the sweep is over (`swept`): a copy or a stale percent after the end percent leaves the load there.
    (It took only what had come by the first command: a percent sent after the end percent went unseen.)"""

    def crash() -> None:
        deadline = time.monotonic() + 30
        while load.percent != percent:
            if time.monotonic() > deadline or broker.pid is None:
                return
            time.sleep(0.01)
        os.kill(broker.pid, 9)
        if down_s is None:
            return
        # (the sweep's link retries every 2 s at most: 1, 3, 5, 7, 9 s after the kill; back at 7.5 s, the
        # subscriber is in before the sweep's next try)
        time.sleep(down_s)
        broker.start()
        watcher = MqttProbe(broker.host, broker.port, (CMD, "test/marker"))
        try:
            swept.wait(40)
            seen.extend(m.text for m in delivered(watcher).on(CMD))  # (all the sweep sent before it returned)
        finally:
            watcher.close()

    thread = threading.Thread(target=crash, name="crash")
    thread.start()
    return thread


def _sweep_through_a_crash(tmp_path: Path, down_s: float | None, at_percent: float = 80.0,
                           ) -> tuple[int, list[str], int]:
    """A sweep from 80 % whose broker is killed at `at_percent` (see _crash_at): its exit code, the commands seen
    once the broker is back, the broker's port."""
    with PrivateBroker() as broker:
        load = SimulatedLoad(broker)
        seen: list[str] = []
        swept = threading.Event()
        thread = _crash_at(broker, load, at_percent, down_s, seen, swept)
        try:
            code = sweep(write_config(tmp_path, broker.port), tmp_path / "c.csv", "--start", "80",
                         "--meter-timeout", "2")
        finally:
            swept.set()
            thread.join(40)
            load.close()
    return code, seen, broker.port


def test_a_broker_that_crashes_and_comes_back_gets_the_end_percent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # A broker that crashes sends no will: the variator would stay at 80 %. The sweep waits for the
    # broker (paho reconnects) and sends the end percent again. Back 7.5 s after the crash, within the
    # wait's 10 s here: paho's own backoff (1, 2, 4, 8 s...) would try next 15 s after the crash, too late.
    monkeypatch.setattr("calibration.sweep_link.FINAL_RECONNECT_WAIT_S", 10.0)
    # (the simulated variator does not subscribe again: the end percent sent again for its answer is
    # test_calibration_sweep_outages')
    monkeypatch.setattr("calibration.sweep.Sweeper.END_ANSWER_WAIT_S", 0.0)
    code, seen, _ = _sweep_through_a_crash(tmp_path, 7.5)
    assert code == 1 and seen == ["0.0"]
    assert "the load may still be" not in capsys.readouterr().err


def test_a_broker_that_stays_down_is_said_with_the_command_to_set_the_load_back(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("calibration.sweep_link.FINAL_RECONNECT_WAIT_S", 1.0)
    code, _, port = _sweep_through_a_crash(tmp_path, None)
    err = capsys.readouterr().err
    assert code == 1 and "warning: the load may still be at 80.0 %" in err
    # (said "a broker that went down sends no will": mosquitto stopped cleanly sends it, to the clients still connected)
    assert "a broker that crashed sends no will, and one stopped cleanly only to a variator connected then" in err, err
    assert f"mosquitto_pub -h 127.0.0.1 -p {port} -t {CMD} -m 0.0" in err
    assert f"the sweep is stopped (the connection to the broker 127.0.0.1:{port} was lost" in err
    assert "nothing measured yet" in err


def test_a_broker_lost_mid_sweep_is_said_as_such_with_the_way_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # Said first as 'the meter gave no reading', which sent the user to the meter; and, the broker not back for the
    # end percent, the finished steps' file was named without the command to resume them.
    monkeypatch.setattr("calibration.sweep_link.FINAL_RECONNECT_WAIT_S", 1.0)
    code, _, port = _sweep_through_a_crash(tmp_path, None, at_percent=60.0)
    err = capsys.readouterr().err
    assert code == 1 and "warning: the load may still be at 60.0 %" in err
    assert f"the connection to the broker 127.0.0.1:{port} was lost" in err and "did not come back" in err
    assert "gave no usable reading" not in err
    csv = tmp_path / "c.csv"
    assert [p for p, _ in rows(partial(csv))] == [80.0, 70.0] and not csv.exists()
    assert f"kept in {partial(csv)} (down to 70.0 %)" in err
    hint = err.split("continue with: ")[1].splitlines()[0]
    assert hint.endswith("--resume") and f"--output {csv}" in hint


def test_a_second_ctrl_c_gives_up_the_wait_for_a_broker_that_went_down(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("calibration.sweep_link.FINAL_RECONNECT_WAIT_S", 20.0)
    log = tmp_path / "c.log"

    def interrupt_the_wait() -> None:
        deadline = time.monotonic() + 30
        while "does not answer" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.05)
        if time.monotonic() < deadline:  # (else the assertion below says what went wrong)
            os.kill(os.getpid(), signal.SIGINT)  # the handler the sweep installed: sweeper.stop

    # SIGINT as a terminal gives it: pytest run in the background (`pytest &` from a script, a CI runner) starts
    # with it ignored, and the sweep leaves a signal it was started ignoring alone (stop_signals_to_catch), so
    # this Ctrl-C went nowhere and the wait ran its 20 s out.
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    thread = threading.Thread(target=interrupt_the_wait, name="ctrl-c")
    thread.start()
    try:
        code, _, _ = _sweep_through_a_crash(tmp_path, None)
    finally:
        thread.join(35)
        signal.signal(signal.SIGINT, outside)
    assert code == 1 and "stopped waiting for the broker, as asked" in log.read_text()
    assert "warning: the load may still be at 80.0 %" in capsys.readouterr().err
