"""The sweep through short outages: the variator's module off the Wi-Fi as the sweep ends (its end percent sent again
until it says it runs at it), the broker back within --meter-timeout (the meter's timeout runs from the reconnect).
Also the command lines a user is given or gives: the resume hint of a sweep without answers, an --output that is a
folder."""

from __future__ import annotations

import shlex
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from calibration.cli import main
from localbroker import PrivateBroker
from tests.mqtt_probe import MqttProbe
from tests.sweep_support import CMD, FAST, SimulatedLoad, delivered, partial, rows, sweep, write_config

pytestmark = [pytest.mark.debian, pytest.mark.usefixtures("sweep_locks")]  # (their variator locks: not in /tmp)


def _when_two_steps_are_kept(csv: Path) -> None:
    deadline = time.monotonic() + 30
    while not (partial(csv).exists() and len(partial(csv).read_text().splitlines()) >= 2):
        assert time.monotonic() < deadline, "the sweep measured no two steps"
        time.sleep(0.01)


def test_a_variator_off_the_wifi_as_the_sweep_ends_gets_the_end_percent_once_back(
        broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Its module (and the meter on it) dropped off the Wi-Fi: the meter's silence stopped the sweep, whose one end
    # percent the broker took and could not deliver (the module's session is clean); back 6 s later, it subscribed
    # again and ran on at 80 %, the sweep saying only "sent, not confirmed".
    def subscribe_again(client: Any, *_: Any) -> None:  # (as the firmware does at each connect)
        client.subscribe(CMD, qos=1)

    load.client.on_connect = subscribe_again
    csv = tmp_path / "c.csv"

    def blip() -> None:
        _when_two_steps_are_kept(csv)
        load.client.loop_stop()
        load.client.socket().close()  # (no DISCONNECT: a link dropped)
        time.sleep(6.0)
        load.client.reconnect()
        load.client.loop_start()

    thread = threading.Thread(target=blip, name="wifi-blip")
    thread.start()
    try:
        code = sweep(write_config(tmp_path, broker.port), csv, "--meter-timeout", "3")
    finally:
        thread.join(30)
    err = capsys.readouterr().err
    assert code == 1 and "gave no usable reading for 3 s" in err
    assert "The load is at 0.0 %" in err, err
    assert load.percent == 0.0
    assert "the variator has not confirmed the end percent, 0.0 %, on regul/vload/ECS: sent again every 2 s" in \
        (tmp_path / "c.log").read_text()


def test_a_variator_still_away_at_the_end_is_said_with_the_command_to_set_it(
        broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("calibration.sweep.Sweeper.END_ANSWER_WAIT_S", 3.0)
    monkeypatch.setattr("calibration.sweep_measure.ANSWER_WAIT_S", 3.0)
    load.deaf_from_percent = 70.0  # off the network from the 70 % command on: nothing taken, nothing answered
    code = sweep(write_config(tmp_path, broker.port), tmp_path / "c.csv")
    err = capsys.readouterr().err
    assert code == 1 and load.percent == 80.0
    assert (f"The end percent, 0.0 %, was sent, not confirmed by the variator (no status at 0.0 % on "
            f"regul/vload/ECS): if it was off the network, it may run on once back at the last percent it took (the "
            f"last sent: 70.0 %); set it then with: mosquitto_pub -h 127.0.0.1 -p {broker.port} -t "
            f"regul/vload/ECS/cmd -m 0.0") in err


def test_a_broker_back_within_the_meter_timeout_does_not_stop_the_sweep(
        broker: PrivateBroker, load: SimulatedLoad, tmp_path: Path) -> None:
    # The meter's timeout ran from its last reading before the loss, and its module needs its own reconnect: a broker
    # back within --meter-timeout stopped the sweep, blaming the meter ("gave no usable reading for 4 s").
    load.client.reconnect_delay_set(min_delay=2, max_delay=2)  # (an ESP8266's retry loop)
    load.client.on_connect = lambda client, *_: client.subscribe(CMD, qos=1)
    csv = tmp_path / "c.csv"
    done = threading.Event()

    def outage() -> None:
        _when_two_steps_are_kept(csv)
        broker.stop()
        time.sleep(2.5)
        broker.start()
        done.wait(60)  # (the broker goes with the thread that started it)

    thread = threading.Thread(target=outage, name="outage")
    thread.start()
    try:
        code = sweep(write_config(tmp_path, broker.port), csv, "--meter-timeout", "4")
    finally:
        done.set()
        thread.join(30)
    assert code == 0, (tmp_path / "c.log").read_text()[-2000:]
    assert [p for p, _ in rows(csv)] == [100.0 - 10 * k for k in range(11)]


def test_the_resume_hint_of_a_sweep_without_answers_says_so(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Run as printed, without --no-answers, the resume stopped at its first command: no answer within 10 s.
    load.mute = True
    load.silent_from_percent = 50.0
    assert sweep(write_config(tmp_path, broker.port), tmp_path / "c.csv", "--no-answers") == 1
    hint = capsys.readouterr().err.split("Continue with: ", 1)[1].splitlines()[0]
    assert "--no-answers" in shlex.split(hint) and hint.endswith("--resume")


@pytest.mark.parametrize("overwrite", [(), ("--overwrite",)])
def test_an_output_that_is_a_folder_is_refused(broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               overwrite: tuple[str, ...]) -> None:
    # With --overwrite, the sweep ran and its end moved the folder (the daemon's curves in it) aside as a .bak, a file
    # of its name in its place; without, it was refused as "cannot read (Is a directory)".
    folder = tmp_path / "calibration"
    folder.mkdir()
    (folder / "power_calibration_ecs.csv").write_text("100;2300\n0;1\n")
    config = write_config(tmp_path, broker.port)
    for output in (str(folder), f"{folder}/"):
        code = main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", output, *FAST, *overwrite])
        assert code == 2
        assert f"--output {output}: a folder; name the file to write, e.g. {folder}/power_calibration_ecs.csv" in \
            capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibration", "config.ini"]
    assert [p.name for p in folder.iterdir()] == ["power_calibration_ecs.csv"]
    assert not [m for m in probe.messages if m.topic == CMD]


def test_the_end_percent_is_not_sent_again_over_a_regulator_come_online(
        broker: PrivateBroker, probe: MqttProbe, load: SimulatedLoad, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Stopped by the regulator coming online, with the variator's answer to the end percent lost, the sweep sent it
    # again every 2 s for 30 s, against the regulator's own commands.
    probe.publish("regul/availability", "offline", retain=True)
    load.deaf_from_percent = 0.0  # (the end percent's answer lost)

    def regulator_starts() -> None:
        probe.wait_for(CMD, lambda m: m.text == "80.0", timeout_s=30)
        probe.publish("regul/availability", "online", retain=True)

    starter = threading.Thread(target=regulator_starts, name="regulator-starts")
    starter.start()
    try:
        assert sweep(write_config(tmp_path, broker.port), tmp_path / "c.csv") == 1
    finally:
        starter.join(35)
    time.sleep(2.5)  # (a resend would have come by now)
    assert [m.text for m in delivered(probe).on(CMD)].count("0.0") == 1
    assert "the regulator is online: it commands the variator now" in (tmp_path / "c.log").read_text()
    err = capsys.readouterr().err
    assert "the regulator, online, commands the variator now" in err and "mosquitto_pub" not in err, err
