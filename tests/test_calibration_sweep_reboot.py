"""A variator that reboots for longer than a step's readings: the load draws nothing while it is away, as under a
thermostat cut. Before the sweep says "thermostat", it asks the variator its status (PROTOCOL.md: a real cut leaves it
answering at the commanded percent; a reboot brings it back at its default with boot_detected, after a time off the
network): rebooted, the step is commanded and measured again, a bounded number of times."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    assert sweep(write_config(tmp_path, broker.port), csv, "--settle", "3", "--readings", "6") == 1
    err = capsys.readouterr().err
    assert "the load's thermostat has probably cut it (a hot tank)" in err, err
    assert "boot loop" not in err
    assert [m.text for m in delivered(probe).on(CMD)].count("70.0") == 2  # (measured again once)
    log = (tmp_path / "c.log").read_text()
    assert "the variator answers at 70.0 % (after 2." in log and "s, as it did before)" in log, log[-3000:]
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0]
