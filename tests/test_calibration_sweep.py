"""The MQTT sweep against a real (private) mosquitto, a simulated variator and the load's simulated meter.

The simulated devices speak PROTOCOL.md's messages: the variator takes the percent as text and answers
with its status JSON; the meter publishes `"power": 276.00`-style readings, with read errors and `nan`
mixed in. Timings are shortened by the sweep's own options. What the sweep refuses before it starts (config,
options, plans, files, a resume) and the hints it gives: test_calibration_sweep_options.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from calibration.cli import main
from localbroker import PrivateBroker
from shell.deps import python_command
from tests.daemon_process import stop_signals_at_their_default
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import (
    AVAILABILITY,
    CMD,
    FAST,
    ROOT,
    SimulatedLoad,
    delivered,
    load_watts,
    partial,
    rows,
    sweep,
    write_config,
)

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)


def test_a_full_sweep_measures_every_step(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load.boot_at_percent = 70.0  # the variator reboots once: the step is commanded again, not skewed
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 0
    got = rows(csv)
    assert [p for p, _ in got] == [100.0 - 10 * k for k in range(11)]
    for percent, watts in got:  # read errors and nan readings were not averaged in
        assert watts == pytest.approx(load_watts(percent), abs=0.006)
    commands = [m.text for m in delivered(probe).on(CMD)]
    assert commands == ["100.0", "90.0", "80.0", "70.0", "70.0", "60.0", "50.0", "40.0", "30.0", "20.0",
                        "10.0", "0.0", "0.0"]  # the last: the end percent
    out = capsys.readouterr().out
    assert "[ 11/11]    0.0 % ->     0.00 W" in out and "ETA 0 s" in out
    assert "unusable readings skipped" in out
    log = csv.with_suffix(".log").read_text()
    assert "variator rebooted: command sent again at 70.0 %" in log


def test_a_silent_meter_stops_the_sweep_then_resume_finishes_it(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, broker.port)
    csv = tmp_path / "power_calibration_ecs.csv"
    load.silent_from_percent = 50.0
    assert sweep(config, csv, "--end-percent", "5") == 1
    assert not csv.exists()  # the daemon loads that name first: an interrupted sweep never lands there
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0, 70.0, 60.0]
    assert delivered(probe).on(CMD)[-1].text == "5.0"  # left at the end percent
    err = capsys.readouterr().err
    assert "gave no usable reading for 1 s" in err and "--resume" in err and "down to 60.0 %" in err
    assert f"kept in {partial(csv)}" in err
    # The hint resumes the same sweep: the same file and plan (the test's --step 10, --end-percent 5...).
    hint = shlex.split(err.split("Continue with: ")[1].splitlines()[0])
    assert hint[:4] == [python_command(), "-m", "calibration", "sweep"] and hint[-1] == "--resume"
    assert hint[hint.index("--output") + 1] == str(csv)
    assert hint[hint.index("--step") + 1] == "10.0"
    assert "--start" not in hint  # (the default: 100 %)

    mark = probe.mark()
    load.speak_again()
    assert main(hint[3:]) == 0
    assert not partial(csv).exists()
    got = rows(csv)
    assert [p for p, _ in got] == [100.0 - 10 * k for k in range(11)]
    for percent, watts in got:
        assert watts == pytest.approx(load_watts(percent), abs=0.006)
    assert [m.text for m in delivered(probe).messages[mark:] if m.topic == CMD][0] == "50.0"  # no repeat


def test_resume_of_a_finished_sweep_does_nothing(broker: PrivateBroker, probe: MqttProbe, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "done.csv"
    csv.write_text("".join(f"{100 - 10 * k}.0;{load_watts(100 - 10 * k):.2f}\n" for k in range(11)))
    assert sweep(write_config(tmp_path, broker.port), csv, "--resume") == 0
    assert "nothing left to measure" in capsys.readouterr().out
    assert delivered(probe).on(CMD) == []


def test_an_online_regulator_is_not_fought(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe.publish(AVAILABILITY, "online", retain=True)
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 2
    assert "the regulator is online (regul/availability = online)" in capsys.readouterr().err
    assert delivered(probe).on(CMD) == []
    assert not csv.exists() and not partial(csv).exists()  # an empty CSV there would stop the daemon


def test_a_regulator_coming_online_mid_sweep_stops_it(broker: PrivateBroker, probe: MqttProbe,
                                                      load: SimulatedLoad, tmp_path: Path) -> None:
    probe.publish(AVAILABILITY, "offline", retain=True)
    csv = tmp_path / "power_calibration_ecs.csv"
    done = threading.Event()

    def regulator_starts() -> None:
        probe.wait_for(CMD, lambda m: m.text == "80.0", timeout_s=30)
        probe.publish(AVAILABILITY, "online", retain=True)
        done.set()

    starter = threading.Thread(target=regulator_starts, name="regulator-starts")
    starter.start()
    try:
        assert sweep(write_config(tmp_path, broker.port), csv) == 1
    finally:
        starter.join(35)
    assert done.is_set()
    assert delivered(probe).on(CMD)[-1].text == "0.0"
    assert [p for p, _ in rows(partial(csv))][:2] == [100.0, 90.0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_stop_signal_keeps_the_finished_steps_and_leaves_the_load_at_the_end_percent(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path, signum: signal.Signals) -> None:
    # SIGHUP: what a dropped ssh session sends to a sweep run in its terminal.
    csv = tmp_path / "power_calibration_ecs.csv"
    command = [sys.executable, "-m", "calibration", "sweep", "-c", str(write_config(tmp_path, broker.port)),
               "--equipment", "ecs", "--output", str(csv), *FAST]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=stop_signals_at_their_default)
    try:
        probe.wait_for(CMD, lambda m: m.text == "80.0", timeout_s=60)
        mark = probe.mark()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    assert f"interrupted ({signum.name})" in err and "Traceback" not in err
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0] and not csv.exists()
    assert [m.text for m in delivered(probe).messages[mark:] if m.topic == CMD] == ["0.0"]
    assert "ETA" in out


def test_a_sweep_whose_reader_goes_away_measures_on(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                                    tmp_path: Path) -> None:
    # `python3 -m calibration sweep ... | head -2`: the progress lines then have nobody to read them. The
    # sweep stopped on the broken pipe, blaming its .partial.csv ("cannot write ...: Broken pipe").
    csv = tmp_path / "power_calibration_ecs.csv"
    command = [sys.executable, "-m", "calibration", "sweep", "-c", str(write_config(tmp_path, broker.port)),
               "--equipment", "ecs", "--output", str(csv), *FAST]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # the first line, then the reader is gone
        proc.stdout.close()
        err = proc.stderr.read() if proc.stderr is not None else ""
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "Broken pipe" not in err and "Traceback" not in err
    assert [p for p, _ in rows(csv)] == [100.0 - 10 * k for k in range(11)]
    assert delivered(probe).on(CMD)[-1].text == "0.0"


def test_an_existing_sweep_is_not_overwritten_silently(broker: PrivateBroker, probe: MqttProbe, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "power_calibration_ecs.csv"
    csv.write_text("100.0;2300.00\n99.5;2290.00\n")
    assert sweep(write_config(tmp_path, broker.port), csv) == 2
    assert "already holds 2 steps (down to 99.5 %): --resume continues it" in capsys.readouterr().err
    assert csv.read_text() == "100.0;2300.00\n99.5;2290.00\n"
    assert delivered(probe).on(CMD) == []


def test_overwrite_keeps_the_old_sweep_as_bak(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "ecs_sweep.csv"  # (a partial sweep: not into the file the regulator loads)
    csv.write_text("100.0;2300.00\n99.5;2290.00\n")
    assert sweep(write_config(tmp_path, broker.port), csv, "--overwrite", "--start", "20") == 0
    assert [p for p, _ in rows(csv)] == [20.0, 10.0, 0.0]
    (backup,) = tmp_path.glob("ecs_sweep.csv.*.bak")
    assert backup.read_text() == "100.0;2300.00\n99.5;2290.00\n"
    assert f"the previous one is kept as {backup}" in capsys.readouterr().out
