"""What the sweep does when things go wrong at the devices: reboots and reconnects during the warm-up, a
thermostat cut or a frozen meter, a variator whose output is off or that does not run at the percent, a meter in
kilowatts, another client's command, readings above max_meter_power. A kill, unwritable files and a broker that
crashes: test_calibration_sweep_crash."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from shell import paho_compat
from tests.mqtt_probe import MqttProbe, Received
from tests.sweep_support import CMD, SimulatedLoad, delivered, load_watts, partial, rows, sweep, write_config

# (their variator locks: not in /tmp) Also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16), as they were
# when test_calibration_sweep_crash's were in this file (see its reason).
pytestmark = [pytest.mark.debian, pytest.mark.usefixtures("sweep_locks")]

WARM_UP_S = 1.5  # --first-settle in these tests; a later step settles 0.2 s (FAST)


def _commands(probe: MqttProbe) -> list[Received]:
    return delivered(probe).on(CMD)


def test_a_reboot_during_the_warm_up_does_not_cut_it_short(broker: PrivateBroker, probe: MqttProbe,
                                                           load: SimulatedLoad, tmp_path: Path) -> None:
    load.boot_at_percent = 20.0  # the variator reboots on the first command
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv, "--first-settle", str(WARM_UP_S), "--start", "20") == 0
    commands = _commands(probe)
    assert [m.text for m in commands] == ["20.0", "20.0", "10.0", "0.0", "0.0"]
    assert commands[2].at - commands[0].at >= WARM_UP_S - 0.05  # not the later steps' 0.2 s


def test_after_a_reconnect_the_step_warms_up_again(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                                   tmp_path: Path) -> None:
    csv = tmp_path / "power_calibration_ecs.csv"
    config = write_config(tmp_path, broker.port)
    kicked = threading.Event()

    def take_over_the_sweeps_client_id() -> None:
        probe.wait_for(CMD, lambda m: m.text == "80.0", timeout_s=30)
        # The same client id: the broker drops the sweep's connection (and sends its will); paho reconnects.
        kicker = paho_compat.new_client(f"pyseb-calibration-ecs-{os.getpid()}")
        kicker.connect(broker.host, broker.port)
        kicker.loop_start()
        deadline = time.monotonic() + 10
        while not kicker.is_connected() and time.monotonic() < deadline:
            time.sleep(0.01)
        kicker.disconnect()
        kicker.loop_stop()
        kicked.set()

    thread = threading.Thread(target=take_over_the_sweeps_client_id, name="kicker")
    thread.start()
    try:
        assert sweep(config, csv, "--first-settle", str(WARM_UP_S), "--meter-timeout", "10", "--start", "80") == 0
    finally:
        thread.join(35)
    assert kicked.is_set()
    commands = _commands(probe)
    # 80 %, the will the broker sent when it dropped the sweep, 80 % again, then the rest of the sweep.
    assert [m.text for m in commands] == ["80.0", "0.0", "80.0", "70.0", "60.0", "50.0", "40.0", "30.0", "20.0",
                                          "10.0", "0.0", "0.0"]
    assert commands[3].at - commands[2].at >= WARM_UP_S - 0.05  # the first settle again, not 0.2 s
    assert "reconnected: command sent again at 80.0 %" in csv.with_suffix(".log").read_text()
    assert [p for p, _ in rows(csv)] == [80.0 - 10 * k for k in range(9)]


@pytest.mark.parametrize("fault,said", [
    ("cut_from_percent", ["the readings fell from 1826 W at 70 % to 1.0 W at 60 %: the load's thermostat has "
                          "probably cut it"]),
    # PROTOCOL.md: a PZEM whose sensor loop hangs publishes its last reading again and again. Counted, the
    # sweep measured 70 % 's watts down to 0 % and made that the calibration (which the daemon refuses).
    ("frozen_from_percent", ["the meter on smeter/pzem/ECS sent the very same message", "it looks frozen",
                             "'reboot' on smeter/pzem/ECS/cmd"]),
])
def test_a_thermostat_cut_or_a_frozen_meter_stops_the_sweep(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], fault: str, said: list[str]) -> None:
    setattr(load, fault, 60.0)
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 1
    err = capsys.readouterr().err
    assert all(words in err for words in said) and "--resume" in err
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0, 70.0]  # the step at fault is not kept
    assert not csv.exists()
    assert _commands(probe)[-1].text == "0.0"


def test_a_thermostat_cut_during_a_step_keeps_none_of_it(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Cut after its first readings, the step's average (half on, half off) passed the step-to-step check: the sweep
    # stopped at the next step saying "the step is not kept", with the mixed one at the end of the .partial.csv, which
    # a resume carried into the CSV.
    load.cut_during_percent = 70.0
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv, "--settle", "0", "--readings", "6") == 1
    err = capsys.readouterr().err
    assert "the readings fell from 1826 W to 1.0 W during the step at 70 %: the load's thermostat" in err, err
    assert [p for p, _ in rows(partial(csv))] == [100.0, 90.0, 80.0]
    assert _commands(probe)[-1].text == "0.0"


@pytest.mark.parametrize(("off_from", "kept"), [(60.0, [100.0, 90.0, 80.0, 70.0]), (100.0, [])])
def test_a_variator_whose_output_is_off_stops_the_sweep_saying_so(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], off_from: float, kept: list[float]) -> None:
    # An `off` sent to the variator gates its output, its percent unchanged (PROTOCOL.md): every percent draws
    # nothing, and its status says "state": "OFF". The sweep heard it and said only that the thermostat had cut
    # the load, or was open (a hot tank).
    load.off_from_percent = off_from
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 1
    err = capsys.readouterr().err
    assert 'the variator reports its output off ("state": "OFF" on regul/vload/ECS' in err, err
    # (with the broker's host and port: without, mosquitto_pub goes to localhost:1883, maybe another broker)
    assert f"mosquitto_pub -h 127.0.0.1 -p {broker.port} -t regul/vload/ECS/cmd -m on" in err, err
    assert "thermostat" not in err
    assert [p for p, _ in rows(partial(csv))] == kept if kept else not partial(csv).exists() or not rows(partial(csv))
    assert not csv.exists()
    assert _commands(probe)[-1].text == "0.0"


@pytest.mark.parametrize("start", ["100", "60"])
def test_a_meter_in_kilowatts_stops_the_first_step_saying_so(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], start: str) -> None:
    # 2.3 for 2300 W: the sweep said only that the thermostat was open (a hot tank) and to sweep when it heats; at
    # 60 % (1.6 kW: above the off level) it measured the whole curve in kW, which the fit then refused.
    load.kilowatts = True
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv, "--start", start) == 1
    err = capsys.readouterr().err
    assert "kilowatts" in err and "watts" in err, err
    shown = f"{load_watts(float(start)) / 1000:.1f}"
    assert f"({shown} for {float(shown) * 1000:.0f} W)" in err, err
    assert not csv.exists() and (not partial(csv).exists() or rows(partial(csv)) == [])
    assert _commands(probe)[-1].text == "0.0"


def test_a_command_from_another_client_mid_step_is_not_measured(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path) -> None:
    # The variator echoes the percent it runs at: 80 % set by another client (a retained percent it takes again at a
    # reconnect, an automation) while the sweep measured 50 % went into the CSV as 50 %'s watts (2080 W for 1150).
    csv = tmp_path / "power_calibration_ecs.csv"
    intruded = threading.Event()

    def another_client() -> None:
        probe.wait_for(CMD, lambda m: m.text == "50.0", timeout_s=30)
        probe.publish(CMD, "80.0")
        intruded.set()

    thread = threading.Thread(target=another_client, name="another-client")
    thread.start()
    try:
        assert sweep(write_config(tmp_path, broker.port), csv, "--settle", "1", "--meter-timeout", "5") == 0
    finally:
        thread.join(35)
    assert intruded.is_set()
    for percent, watts in rows(csv):
        assert watts == pytest.approx(load_watts(percent), abs=0.006), percent
    texts = [m.text for m in _commands(probe)]
    assert texts[texts.index("50.0"):texts.index("40.0")] == ["50.0", "80.0", "50.0"]  # ours sent again
    assert "the variator reports 80 % where the sweep commands 50.0 %" in csv.with_suffix(".log").read_text()


def test_a_variator_that_does_not_run_at_the_percent_stops_the_sweep(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A firmware that runs 100 % as 95 % (and says so): measured as 100 %, or sent again and again, forever.
    load.max_percent = 95.0
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv, "--meter-timeout", "5") == 1
    err = capsys.readouterr().err
    assert "the variator reports 95 % where the sweep commands 100.0 %, again once sent again" in err, err
    assert "--start" in err and f"clear it with mosquitto_pub -h 127.0.0.1 -p {broker.port} -r -n -t {CMD})" in err
    assert [m.text for m in _commands(probe)] == ["100.0", "100.0", "0.0"]
    assert not csv.exists() and (not partial(csv).exists() or rows(partial(csv)) == [])


def test_frozen_meter_false_takes_repeated_messages(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                                    tmp_path: Path) -> None:
    # The daemon's [evaluate] frozen_meter = false, for a meter whose messages hold nothing but a power.
    load.frozen_from_percent = 60.0
    config = write_config(tmp_path, broker.port)
    config.write_text(config.read_text() + "\n[evaluate]\nfrozen_meter = false\n")
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(config, csv) == 0
    assert [p for p, _ in rows(csv)] == [100.0 - 10 * k for k in range(11)]


def test_a_reading_above_max_meter_power_is_not_averaged_in(broker: PrivateBroker, probe: MqttProbe,
                                                            load: SimulatedLoad, tmp_path: Path) -> None:
    # The daemon refuses a reading above [evaluate] max_meter_power (a PZEM glitch); the sweep averaged it in, and
    # one 99999 W reading in a step of 4 made it 25 kW.
    load.glitch_w = 99999.0
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 0
    for percent, watts in rows(csv):
        assert watts == pytest.approx(load_watts(percent), abs=0.006)


def test_a_glitch_under_max_meter_power_does_not_move_its_step(broker: PrivateBroker, probe: MqttProbe,
                                                                load: SimulatedLoad, tmp_path: Path) -> None:
    # A step's figure was its readings' mean: one 5 kW glitch (under max_meter_power's 30 kW) among four readings of
    # 1500 W made it 2375 W. Their median is the load's.
    load.glitch_w, load.glitch_every = 5000.0, 11
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port), csv) == 0
    for percent, watts in rows(csv):
        assert watts == pytest.approx(load_watts(percent), abs=0.006)


def test_a_load_above_max_meter_power_stops_the_sweep_saying_so(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Every reading refused, as the daemon would refuse them: said, not "gave no usable reading".
    config = write_config(tmp_path, broker.port)
    config.write_text(config.read_text() + "\n[evaluate]\nmax_meter_power = 2000\n")
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(config, csv) == 1
    err = capsys.readouterr().err
    assert "above [evaluate] max_meter_power (2000 W)" in err and "2300 W" in err
    assert not partial(csv).exists() or rows(partial(csv)) == []


def test_a_meter_read_at_the_wrong_field_stops_the_sweep_naming_the_right_one(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # The heater's own PZEM (its watts at `power`) read at Tasmota's path: every reading unusable, and the stop said
    # only "gave no usable reading"; the daemon's house meter names the field its readings hold.
    section = f"topic_set_power = {CMD}\ntopic_read_power = smeter/pzem/ECS\njson_read_power = ENERGY.Power\n"
    csv = tmp_path / "power_calibration_ecs.csv"
    assert sweep(write_config(tmp_path, broker.port, section), csv) == 1
    err = capsys.readouterr().err
    assert "gave no usable reading" in err and "no 'ENERGY.Power' field; its watts look to be at power: set [ecs] " \
        "json_read_power = power" in err, err
