"""A variator that reboots for longer than a step's readings: the load draws nothing while it is away, as under a
thermostat cut. Before the sweep says "thermostat", it asks the variator its status (PROTOCOL.md: a real cut leaves it
answering at the commanded percent; a reboot brings it back at its default with boot_detected, after a time off the
network): rebooted, the step is commanded and measured again, a bounded number of times."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from calibration.sweep_plan import MAX_REMEASURES
from localbroker import PrivateBroker
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import CMD, SimulatedLoad, delivered, load_watts, partial, rows, sweep, write_config

pytestmark = [pytest.mark.debian, pytest.mark.usefixtures("sweep_locks")]  # (their variator locks: not in /tmp)


def test_a_reboot_longer_than_a_step_is_measured_again_not_taken_for_a_thermostat_cut(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Away 1.5 s (a step's readings take 0.1 s here): the step at 70 % read 0 W and the sweep stopped, "the load's
    # thermostat has probably cut it", the owner sent to wait for the tank to cool.
    load.reboot_during_percent = 70.0
    csv = tmp_path / "c.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 0, capsys.readouterr().err
    assert load.boots == 1
    measured = dict(rows(csv))
    assert list(measured) == [100.0 - 10 * k for k in range(11)]
    assert measured[70.0] == pytest.approx(load_watts(70.0), abs=1.0)
    texts = [m.text for m in delivered(probe).on(CMD)]
    assert texts.count("70.0") >= 2 and "status" in texts
    log = (tmp_path / "c.log").read_text()
    assert "the variator rebooted (boot_detected) during the step at 70.0 %" in log, log[-3000:]
    out = capsys.readouterr().out
    assert "measured again: the variator rebooted" in out, out
    assert "note: the variator rebooted or was away during 1 step (70 %)" in out, out


def test_a_variator_that_keeps_rebooting_stops_the_sweep_saying_so(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    load.reboot_during_percent, load.reboot_times, load.reboot_s = 70.0, 10, 0.5  # (a boot loop)
    csv = tmp_path / "c.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 1
    err = capsys.readouterr().err
    assert "has probably cut it" not in err, err
    assert "the variator rebooted (boot_detected) during the step at 70.0 %, 4 times in a row" in err, err
    assert load.boots == 4  # (measured again 3 times, then stopped)
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0]
    assert delivered(probe).on(CMD)[-1].text == "0.0"


def test_a_variator_still_away_is_not_taken_for_a_thermostat_cut(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("calibration.sweep_reboot.REBOOT_WAIT_S", 2.5)
    monkeypatch.setattr("calibration.sweep.Sweeper.END_ANSWER_WAIT_S", 0.5)
    load.reboot_during_percent, load.reboot_s = 70.0, 20.0
    csv = tmp_path / "c.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 1
    err = capsys.readouterr().err
    assert "has probably cut it" not in err, err
    assert ("the variator did not answer its status request for 2.5 s after the readings at 70.0 % fell to 0.0 W: "
            "rebooting, or off the network") in err, err
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0]


def test_a_thermostat_cut_behind_a_variator_slow_to_answer_is_a_cut_not_a_boot_loop(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A real cut, the variator answering its status 2.5 s late (a busy Wi-Fi; no boot_detected, at the step's percent):
    # taken for "away" each time, the hot tank was measured again 3 times, then the sweep stopped blaming a boot loop
    # ("its power supply or its firmware ...; its readings of nothing are no thermostat cut"). Measured again once
    # (safe), its late answer at the step's percent again is a cut.
    load.cut_during_percent, load.status_delay_s = 70.0, 2.5
    csv = tmp_path / "c.csv"
    # (the re-measure waits the first settle: longer than the answers' lateness, the late answers to the first check's
    # asks come before the second check's)
    assert sweep(write_config(tmp_path, broker.port), csv, "--first-settle", "3", "--settle", "3", "--readings",
                 "6") == 1
    err = capsys.readouterr().err
    assert "the load's thermostat has probably cut it (a hot tank)" in err, err
    assert "boot loop" not in err
    assert [m.text for m in delivered(probe).on(CMD)].count("70.0") == 2  # (measured again once)
    log = (tmp_path / "c.log").read_text()
    assert "the variator answers at 70.0 % (after 2." in log and "s, as it did before)" in log, log[-3000:]
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0]


def test_broker_restarts_while_the_variator_is_asked_are_no_boot_loop(
        broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A thermostat cut at 70 %; each time the sweep asks the variator its status, the broker restarts before the
    # variator answers. Each reconnect was counted as one of the step's 3 re-measures: the 4th stopped the sweep, "the
    # connection to the broker dropped ..., 4 times in a row: its power supply or its firmware (a boot loop?)". Now
    # each is measured again as after a reconnect during the step, and the answer at 70 % at last says a cut. (A 4th
    # stops the sweep, blaming the broker: tests/test_calibration_sweep_reboot_check.py.)
    restarts = MAX_REMEASURES
    load.cut_during_percent = 70.0
    load.client.reconnect_delay_set(min_delay=1, max_delay=1)
    load.client.on_connect = lambda client, *_: client.subscribe(CMD, qos=1)  # (as the firmware does at each connect)
    armed, asked, commanded, done = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    armed.set()
    on_message = load.client.on_message

    def heard(client: Any, userdata: Any, message: Any) -> None:
        if message.payload == b"status" and armed.is_set():
            armed.clear()
            asked.set()
            return  # (the broker goes before the variator answers)
        if message.payload == b"70.0":
            commanded.set()
        on_message(client, userdata, message)

    load.client.on_message = heard

    def outages() -> None:
        for left in reversed(range(restarts)):
            if not asked.wait(30) or done.is_set():
                return
            asked.clear()
            commanded.clear()
            broker.stop()  # (by its PID)
            time.sleep(1.0)
            broker.start()
            if not commanded.wait(30):  # (the step commanded again: the next status asked is the next check's)
                return
            if left:
                armed.set()
        done.wait(60)  # (the broker goes with the thread that started it)

    thread = threading.Thread(target=outages, name="outages")
    thread.start()
    try:
        code = sweep(write_config(tmp_path, broker.port), tmp_path / "c.csv", "--meter-timeout", "4")
    finally:
        done.set()
        asked.set()
        thread.join(30)
    err = capsys.readouterr().err
    log = (tmp_path / "c.log").read_text()
    shown = "\n".join(line for line in log.splitlines() if "unusable" not in line)[-4000:]
    assert code == 1 and "the load's thermostat has probably cut it (a hot tank)" in err, shown
    assert "boot loop" not in err and "measured again (1/3)" not in log, shown
    assert log.count("the connection to the broker dropped during the step at 70.0 %, while the variator was asked "
                     "its status: command sent again at 70.0 %, the step measured again") == restarts, shown
    assert [p for p, _ in rows(partial(tmp_path / "c.csv"))] == [100.0, 90.0, 80.0]


def test_a_broker_restarting_during_a_steps_readings_again_and_again_stops_the_sweep(
        broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Each time the variator takes the step's 70 %, the broker restarts (within the step's settle): each reconnect
    # restarted the step, uncounted, forever. The 4th stops the sweep, blaming the broker, the steps done kept.
    load.client.reconnect_delay_set(min_delay=1, max_delay=1)
    load.client.on_connect = lambda client, *_: client.subscribe(CMD, qos=1)
    commanded, done = threading.Event(), threading.Event()
    on_message = load.client.on_message

    def heard(client: Any, userdata: Any, message: Any) -> None:
        if message.payload == b"70.0":
            commanded.set()
        on_message(client, userdata, message)

    load.client.on_message = heard

    def outages() -> None:
        for _ in range(MAX_REMEASURES + 1):
            if not commanded.wait(30) or done.is_set():
                return
            commanded.clear()
            broker.stop()  # (by its PID)
            time.sleep(1.0)
            broker.start()
        done.wait(60)  # (the broker goes with the thread that started it)

    thread = threading.Thread(target=outages, name="outages")
    thread.start()
    try:
        code = sweep(write_config(tmp_path, broker.port), tmp_path / "c.csv", "--first-settle", "4",
                     "--meter-timeout", "4")
    finally:
        done.set()
        commanded.set()
        thread.join(30)
    err = capsys.readouterr().err
    shown = (tmp_path / "c.log").read_text()[-3000:]
    assert code == 1, shown
    assert ("the connection to the broker dropped during the step at 70.0 %, 4 times (during its readings or while the "
            "variator was asked its status): the broker or the network is unstable") in err, err
    assert "boot loop" not in err and "Continue with: " in err and "--resume" in err, err
    assert [p for p, _ in rows(partial(tmp_path / "c.csv"))] == [100.0, 90.0, 80.0]
