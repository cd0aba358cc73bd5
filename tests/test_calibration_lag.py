"""`python3 -m calibration lag` over a real mosquitto, against a house whose meter shows the heater late (or not)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calibration.cli import main
from calibration.lag import LagMeasure, LagPlan, LagStopped
from calibration.sweep_config import SweepConfigError, load_sweep_target
from calibration.sweep_link import SweepError
from localbroker import PrivateBroker
from tests.lag_support import CMD, HOUSE, LaggingHouse, write_lag_config
from tests.mqtt_probe import MqttProbe

pytestmark = pytest.mark.usefixtures("sweep_locks")  # (their variator locks: not in /tmp)
FAST = ["--equipment", "ecs", "--trials", "10", "--availability-wait", "0.2", "--meter-timeout", "2"]


@pytest.fixture
def houses(broker: PrivateBroker) -> Iterator[list[LaggingHouse]]:
    """The houses a test builds, closed after it."""
    built: list[LaggingHouse] = []
    yield built
    for house in built:
        house.close()


def _lag(config: Path, *extra: str) -> int:
    return main(["lag", "-c", str(config), *FAST, *extra])


def _bounds(out: str) -> tuple[float, float]:
    """The two delays the advice gives: last not shown, first shown."""
    found = re.search(r"in full (?:only )?from (\d+\.\d+)-(\d+\.\d+) s after it", out)
    assert found, out
    return float(found[1]), float(found[2])


def test_a_meter_late_by_140_ms_is_measured_so_and_a_shorter_settle_is_refused(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    house = LaggingHouse(broker, period_s=0.4, lag_s=0.14)
    houses.append(house)
    config = write_lag_config(tmp_path, broker.port, settle_s=0.05)
    assert _lag(config) == 0
    out = capsys.readouterr().out
    assert re.search(r"the house meter reads every 0\.(39|40|41) s", out), out
    not_shown, shown = _bounds(out)
    # The truth lies between the two; the delays wander by a few milliseconds (threads, the broker; more on a
    # loaded machine, whence the slack)
    assert 0.06 <= not_shown <= 0.22 and 0.12 <= shown <= 0.4, out
    advised = re.search(r"settle = 0\.05 is too short, .* set settle = (\d\.\d)\b", out)
    assert advised and shown <= float(advised[1]) <= 0.4, out
    # Half a reading (0.2 s) after a command, the readings showed it (0.14 s late): the replay's meter needs little lag
    replay = re.search(r"meter_lag_s = (\d(?:\.\d+)?), period = 0\.4;", out)
    assert replay and float(replay[1]) <= 0.1, out
    # Up and down in turn, and left at the low percent
    assert house.commands[0] == "0.0" and house.commands[1:3] == ["100.0", "0.0"] and house.percent == 0.0
    assert out.rstrip().endswith("done; the load is at 0.0 %")


def test_the_low_percent_unanswered_at_the_end_is_said_sent_not_reached(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # "done; the load is at 0.0 %" on the broker's acknowledgement alone: a variator offline, or stuck at 100 %, was
    # said at 0.0 %. As the sweep's end: at the low percent only once the variator's status says so.
    monkeypatch.setattr(LagMeasure, "END_ANSWER_WAIT_S", 0.3)  # (the wait for an answer that never comes)
    house = LaggingHouse(broker, period_s=0.2)
    house.answers = False
    houses.append(house)
    assert _lag(write_lag_config(tmp_path, broker.port), "--trials", "2") == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("done; the end percent, 0.0 %, was sent, not confirmed by the variator (no status at "
                                 "0.0 % on regul/vload/ECS)"), out
    assert "the load is at" not in out and house.reaches(0.0)


def test_a_meter_that_shows_at_once_keeps_the_settle(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    houses.append(LaggingHouse(broker, period_s=0.2, lag_s=0.0))
    config = write_lag_config(tmp_path, broker.port, settle_s=1.0)
    assert _lag(config, "--low", "10", "--high", "60") == 0
    out = capsys.readouterr().out
    # (a reading the house published while the command was on its way through the broker, a few milliseconds, shows
    # none of it though it came after it: as with a real meter, said as a lag of that much, the settle still enough)
    in_flight = re.search(r"a reading showed a command in full from 0\.0[0-2]-0\.\d\d s after it", out)
    assert "every reading after a command showed at least 90% of it" in out or in_flight, out
    assert "[evaluate] settle = 1 is enough" in out and "left out" not in out
    assert houses[0].percent == 10.0


def test_a_meter_that_averages_shows_part_of_a_step_before_it_shows_it_in_full(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    houses.append(LaggingHouse(broker, period_s=0.4, lag_s=0.0, window_s=0.6))
    config = write_lag_config(tmp_path, broker.port, settle_s=1.0)
    assert _lag(config, "--trials", "12") == 0
    out = capsys.readouterr().out
    assert "left out" not in out, out
    not_shown, shown = _bounds(out)
    # A reading d s after a command shows d / 0.6 of it: 90 % at 0.54 s
    assert 0.3 <= not_shown <= 0.6 and 0.5 <= shown <= 0.8, out
    assert "settle = 1 is enough" in out
    # Half a reading (0.2 s) after a command, a third of it: the replay's meter_lag_s, 0.2 x (1 - 1/3)
    replay = re.search(r"meter_lag_s = (0\.\d+), period = 0\.4; this meter's readings half a reading after a command "
                       r"showed (\d+)% of it", out)
    assert replay and 0.09 <= float(replay[1]) <= 0.17 and 15 <= int(replay[2]) <= 55, out


def test_a_lag_measure_waits_for_no_sweep_of_the_same_variator(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from calibration.sweep_files import hold_variator

    houses.append(LaggingHouse(broker, period_s=0.2))
    config = write_lag_config(tmp_path, broker.port)
    sweeping = hold_variator(load_sweep_target(config, "ecs", house_meter=True), tmp_path / "ecs.partial.csv")
    try:
        assert _lag(config) == 2
    finally:
        sweeping.release()
    err = capsys.readouterr().err
    assert f"another sweep (pid {os.getpid()}) is driving {CMD}, measuring into {tmp_path / 'ecs.partial.csv'}" in err
    assert houses[0].commands == []
    # And a sweep started during a lag measure is told so
    measuring = hold_variator(load_sweep_target(config, "ecs", house_meter=True))
    try:
        with pytest.raises(SweepError, match=rf"another lag measure \(pid {os.getpid()}\) is driving {CMD}: let it"):
            hold_variator(load_sweep_target(config, "ecs", house_meter=True), tmp_path / "x.partial.csv")
    finally:
        measuring.release()


def _lag_interrupted(config: Path, wait: Callable[[], None], *extra: str) -> int:
    """_lag, with a Ctrl-C (SIGINT: the handler the measure installed, measure.stop) once `wait` returns on a thread
    of its own."""
    def interrupt() -> None:
        wait()
        os.kill(os.getpid(), signal.SIGINT)

    # (SIGINT as a terminal gives it: a pytest started in the background starts with it ignored)
    outside = signal.signal(signal.SIGINT, signal.default_int_handler)
    thread = threading.Thread(target=interrupt, name="ctrl-c")
    thread.start()
    try:
        return _lag(config, *extra)
    finally:
        thread.join(35)
        signal.signal(signal.SIGINT, outside)


def test_ctrl_c_during_the_trials_leaves_the_load_low_and_reports_the_trials_done(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    house = LaggingHouse(broker, period_s=0.2)
    houses.append(house)

    def until_the_third_step() -> None:
        deadline = time.monotonic() + 30
        while house.commands.count("100.0") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)

    code = _lag_interrupted(write_lag_config(tmp_path, broker.port), until_the_third_step, "--trials", "16")
    captured = capsys.readouterr()
    assert code == 1 and "stopped: interrupted (SIGINT); the load is at 0.0 %" in captured.err
    assert house.reaches(0.0) and house.commands.count("100.0") == 2
    # The two trials done are reported: too few to advise
    assert "[ 2/16]" in captured.out and "[ 3/16]" not in captured.out
    assert "2 trials kept of 2: too few" in captured.out


def test_ctrl_c_before_any_command_says_nothing_was_sent(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    houses.append(LaggingHouse(broker, period_s=0.2))
    config = write_lag_config(tmp_path, broker.port)
    # (during the 3 s wait for the regulator's availability)
    code = _lag_interrupted(config, lambda: time.sleep(0.5), "--availability-wait", "3")
    assert code == 1
    assert "stopped: interrupted (SIGINT); nothing was sent to the variator" in capsys.readouterr().err
    assert houses[0].commands == []


def test_a_measure_stopped_before_it_commanded_has_not_commanded(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path) -> None:
    houses.append(LaggingHouse(broker, period_s=0.2))
    measure = LagMeasure(load_sweep_target(write_lag_config(tmp_path, broker.port), "ecs", house_meter=True),
                         LagPlan(availability_wait_s=0.2))
    measure.stop("asked at once")
    with pytest.raises(LagStopped, match="asked at once"):
        measure.run()
    assert not measure.commanded and houses[0].commands == []


def test_the_lag_measure_refuses_to_run_while_the_regulator_is_online(
        broker: PrivateBroker, houses: list[LaggingHouse], probe: MqttProbe, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    houses.append(LaggingHouse(broker, period_s=0.2))
    probe.publish("regul/availability", "online", retain=True)
    config = write_lag_config(tmp_path, broker.port)
    assert _lag(config) == 2
    err = capsys.readouterr().err
    assert "the regulator is online" in err and "would fight the lag measure for the variator" in err
    assert houses[0].commands == []  # (nothing sent)


def test_a_silent_house_meter_stops_the_measure_and_leaves_the_load_low(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    house = LaggingHouse(broker, period_s=0.2)
    house.silent = True
    houses.append(house)
    config = write_lag_config(tmp_path, broker.port)
    assert _lag(config, "--meter-timeout", "0.6") == 1
    captured = capsys.readouterr()
    assert f"stopped: the house meter on {HOUSE} gave no usable reading for 0.6 s; the load is at 0.0 %" in captured.err
    assert set(house.commands) == {"0.0"} and house.percent == 0.0  # (at the start, and again at the end)
    assert "share of a step" not in captured.out  # (no trial: no figures)


def test_a_house_meter_read_at_the_wrong_field_stops_the_measure_naming_the_right_one(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A PZEM (its watts at `power`) read at Tasmota's path: the stop said only "gave no usable reading"; the daemon
    # names the field its readings hold.
    houses.append(LaggingHouse(broker, period_s=0.2))
    config = write_lag_config(tmp_path, broker.port)
    config.write_text(config.read_text().replace("topic_regul = regul\n", "topic_regul = regul\njson_power = "
                                                 "ENERGY.Power\n"))
    assert _lag(config, "--meter-timeout", "0.6") == 1
    err = capsys.readouterr().err
    assert f"the house meter on {HOUSE} gave no usable reading for 0.6 s (no 'ENERGY.Power' field; its watts look " \
        "to be at power: set [mqtt] json_power = power)" in err, err


def test_a_heater_that_draws_nothing_stops_the_measure_after_a_step_up_and_one_down(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    house = LaggingHouse(broker, period_s=0.2)
    house.thermostat_open = True
    houses.append(house)
    assert _lag(write_lag_config(tmp_path, broker.port)) == 1
    captured = capsys.readouterr()
    assert ("stopped: the heater drew nothing at 100.0 % (the house meter did not move by 200 W): its thermostat is "
            "open (a hot tank?)") in captured.err
    assert house.commands[:3] == ["0.0", "100.0", "0.0"] and "100.0" not in house.commands[3:]
    # What the two trials were is said (left out, too few to advise)
    assert "left out: trial 1 (no step (+0 W" in captured.out and "0 trials kept of 2: too few" in captured.out


def test_a_house_meter_in_kilowatts_is_named_when_no_step_shows(
        broker: PrivateBroker, houses: list[LaggingHouse], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 0.3 kW then 2.3 kW: a step of 2 "W", under the 200 W that makes a step: the unit named first, the thermostat
    # after.
    house = LaggingHouse(broker, period_s=0.2)
    house.kilowatts = True
    houses.append(house)
    assert _lag(write_lag_config(tmp_path, broker.port)) == 1
    err = capsys.readouterr().err
    assert "stopped: the house meter read 0.3 to 2.3 W throughout, the heater at 0.0 % and 100.0 % alike: too little " \
           "for a house; does it report kilowatts (2.3 for 2300 W)? The lag measure, as the daemon, reads watts" in err
    assert "reads watts: set the meter to report watts. (If it does, the heater drew nothing: its thermostat open" \
        in err and house.reaches(0.0)


@pytest.mark.parametrize(("extra", "said"), [
    (["--low", "60", "--high", "40"], "--low 60 and --high 40: need 0 <= low < high <= 100"),
    (["--trials", "1"], "--trials 1: need at least 2"),
    (["--hold", "2"], "--hold 2: need at least 3"),
    (["--meter-timeout", "0"], "--meter-timeout 0: must be positive"),
    (["--high", "nan"], "--high nan: not a finite number"),
    # (as the sweep refuses them: --low 10.125 was driven at 10.12 %, not a word of it)
    (["--low", "10.125"], "--low 10.125: the variator is sent a percent with two decimals at most; it acts on whole "
                          "percents anyway"),
    (["--high", "60.001"], "--high 60.001: the variator is sent a percent with two decimals at most"),
    # (past Python's longest wait, a traceback, OverflowError, where a refusal was promised)
    (["--meter-timeout", "1e10"], "--meter-timeout 1e+10: must be at most 86400 s (a day)"),
    (["--availability-wait", "86401"], "--availability-wait 86401: must be at most 86400 s (a day)"),
    # (0 read no retained availability: the tool drove a variator the running regulator commands)
    (["--availability-wait", "0"], "--availability-wait 0: must be at least 0.1 s (the regulator's retained "
                                   "availability is read in that time); to drive the variator whatever it says, "
                                   "--ignore-availability"),
])
def test_bad_options_are_refused_before_any_connection(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       extra: list[str], said: str) -> None:
    config = write_lag_config(tmp_path, 1)  # (port 1: nothing listens; a connection would fail otherwise)
    assert _lag(config, *extra) == 2
    assert said in capsys.readouterr().err


def test_the_house_meter_target_reads_topic_cons_and_settle_and_needs_no_meter_of_the_load(tmp_path: Path) -> None:
    config = write_lag_config(tmp_path, 1883, settle_s=1.5, extra="json_read_power = watts\n")
    target = load_sweep_target(config, "ecs", house_meter=True)
    assert (target.topic_read_power, target.json_read_power, target.settle_s) == (HOUSE, "power", 1.5)
    assert target.topic_set_power == CMD
    with pytest.raises(SweepConfigError, match="topic_read_power is missing"):
        load_sweep_target(config, "ecs")  # (a sweep needs the load's own meter)
    config.write_text(config.read_text().replace(f"topic_cons = {HOUSE}", "topic_cons = smeter/+/CONS\n"
                                                                          "json_power = watts"))
    with pytest.raises(SweepConfigError, match=r"\[mqtt\] topic_cons: 'smeter/\+/CONS' holds a wildcard"):
        load_sweep_target(config, "ecs", house_meter=True)


def test_a_bad_settle_in_the_config_is_refused_as_the_daemon_refuses_it(tmp_path: Path) -> None:
    config = write_lag_config(tmp_path, 1883, settle_s=99)
    with pytest.raises(SweepConfigError, match="settle"):
        load_sweep_target(config, "ecs", house_meter=True)
    assert load_sweep_target(write_lag_config(tmp_path, 1883, settle_s=99,
                                              extra="topic_read_power = smeter/pzem/ECS\n"), "ecs").settle_s is None
