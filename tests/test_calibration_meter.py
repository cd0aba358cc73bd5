"""The sweep's reading of the load's PZEM meter and of the variator, with PROTOCOL.md's exact bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration.meter import answered, echo_percent, meter_watts, variator_booted
from calibration.sweep_config import load_sweep_target
from calibration.sweep_readings import StepReadings
from tests.sweep_support import CMD, NAN_READING, READ_ERROR, write_config

READING = (b'{ "voltage": 231.40, "current": 1.23, "power": 276.00, "energy": 1234.00, '
           b'"frequency": 50.00, "powerfactor": 0.98, "ppm_err": 0}')


def test_a_reading_gives_its_power() -> None:
    assert meter_watts(READING) == 276.0


def test_another_key_can_be_configured() -> None:
    assert meter_watts(READING, "current") == 1.23


def test_a_meter_s_watts_alone_or_inside_an_object_are_read_as_the_daemon_reads_them() -> None:
    assert meter_watts(b"812.50") == 812.5  # (a Shelly gen 1's relay/0/power)
    assert meter_watts(b'{"Time": "x", "ENERGY": {"Power": 640}}', "ENERGY.Power") == 640.0  # (a Tasmota plug's)


@pytest.mark.parametrize("payload", [
    b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}',
    b'{ "voltage": nan, "current": nan, "power": nan, "energy": nan, "frequency": nan, '
    b'"powerfactor": nan, "ppm_err": 0}',
    b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567}',
    b'{"voltage": 231.40}',
    b'{"power": "276 W"}',
    b'{"power": true}',
    b'{"power": -5.00}',
    b"",
    b"\xff\xfe",
    b"[1, 2]",
    b"true",  # (a bare JSON value that is no number)
])
def test_readings_without_usable_watts_give_none(payload: bytes) -> None:
    assert meter_watts(payload) is None


def test_nan_elsewhere_does_not_hide_the_power() -> None:
    payload = b'{ "voltage": 231.40, "current": 1.23, "power": 276.00, "powerfactor": nan, "ppm_err": 0}'
    assert meter_watts(payload) == 276.0


def test_variator_boot_is_recognised() -> None:
    assert variator_booted(b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}')
    assert not variator_booted(b'{"percent": 42.50, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}')
    assert not variator_booted(b'{"type": "vload", "id": "ECS", "ip": "10.3.141.20, "OTA": "not implemented"}')


def _echo(percent: str, msg: str = "setpower") -> bytes:
    return f'{{"percent": {percent}, "power": 0, "mode": 0, "state": "ON", "msg": "{msg}"}}'.encode()


def test_an_echo_says_the_percent_the_variator_runs_at() -> None:
    assert echo_percent(_echo("42.50")) == 42.5
    assert echo_percent(_echo("0.00", "boot_detected")) is None  # (a reboot: said otherwise)
    assert echo_percent(b'{"power": 0}') is None  # (no percent: nothing to judge)


def test_an_echo_answers_the_oldest_unanswered_command_at_its_whole_percent() -> None:
    assert answered(42.0, [42.5]) == 1  # (the firmware runs 42.5 % as 42 %)
    assert answered(80.0, [50.0]) == 0  # another client's
    assert answered(50.0, [50.5, 40.0]) == 1  # the step before's answer, crossing the new command on the broker
    assert answered(40.0, [50.0, 40.0]) == 2  # (the one before it is answered too: its answer was lost)
    # Answered already: a variator stuck at 100 % answering the next command with 100 % answers no command (within
    # 5 s of it, it was taken for the answer to the one before, and 100 %'s watts went in as the step's).
    assert answered(100.0, [95.0]) == 0


def test_a_sweeps_meter_read_at_the_wrong_field_is_named_whichever_reading_came_first(tmp_path: Path) -> None:
    # The stop's advice is the first unusable reading's: a PZEM's nan reading first, it named no field (a flaky test).
    section = f"topic_set_power = {CMD}\ntopic_read_power = smeter/pzem/ECS\njson_read_power = ENERGY.Power\n"
    readings = StepReadings(load_sweep_target(write_config(tmp_path, 1, section), "ecs"), meter_timeout_s=30.0)
    for payload in (NAN_READING, READ_ERROR, READING):
        assert readings.take(payload, 50.0) is None
    assert readings.silent_reason() == ("the meter on smeter/pzem/ECS gave no usable reading for 30 s (no "
                                        "'ENERGY.Power' field; its watts look to be at power: set [ecs] "
                                        "json_read_power = power)")
