"""A meter's first refused reading says what to change when a config or a wiring causes it: the JSON field of a
Tasmota device's watts (json_power = ENERGY.Power), a meter that reads below 0 W (both ways: on the grid's side of the
inverter, or its clamp the wrong way round). Before, the warning said only "no 'power' field" or "'power' is
negative"."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.configs import reading, with_mqtt_lines, write_config
from tests.field_house import ECS_METER
from tests.field_tank import T, metered
from tests.harness import CONS, NOON, PROD, Harness
from tests.test_meter_json_path import tasmota
from values.readings import watts_field_hint


def _dropped(caplog: pytest.LogCaptureFixture, topic: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.getMessage().startswith(f"dropped message on {topic}:")]


def test_where_the_watts_look_to_be() -> None:
    assert watts_field_hint(tasmota(1680), "power") == "ENERGY.Power"
    assert watts_field_hint(reading(276), "ENERGY.Power") == "power"  # (a PZEM's, the Tasmota path given)
    assert watts_field_hint(b'{"ENERGY": {"Power": [12, 0]}}', "power") == "ENERGY.Power.0"
    assert watts_field_hint(b'{"StatusSNS": {"ENERGY": {"Power": "42"}}}', "power") == "StatusSNS.ENERGY.Power"
    for payload in (b'{"ENERGY": {"Voltage": 231}}', b'{"Power": "off"}', b"[1, 2]", b"nan", b"\xff",
                    b'{"a": {"b": {"c": {"power": 1}}}}'):  # (the last: deeper than three objects)
        assert watts_field_hint(payload, "power") is None


def test_a_pzem_reading_of_nan_names_power_as_its_good_readings_do() -> None:
    # PROTOCOL.md: a PZEM prints a NaN as a bare `nan`, which the parser reads and the hint did not: the first reading
    # refused being a nan one (one in seven of the simulated meter's), the sweep's stop said no field to set.
    nan_reading = (b'{ "voltage": nan, "current": nan, "power": nan, "energy": nan, "frequency": nan, '
                   b'"powerfactor": nan, "ppm_err": 0}')
    assert watts_field_hint(nan_reading, "ENERGY.Power") == "power"


def test_a_tasmota_reading_read_with_the_seed_s_field_names_the_path(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    harness = Harness(write_config(tmp_path))
    harness.reg.start(NOON)
    with caplog.at_level(logging.WARNING):
        harness.reg.handle(CONS, tasmota(800), NOON + 1)
        harness.reg.handle(CONS, tasmota(810), NOON + 3)
    assert _dropped(caplog, CONS) == [f"dropped message on {CONS}: no 'power' field; its watts look to be at "
                                      "ENERGY.Power: set [mqtt] json_power = ENERGY.Power (further ones of this kind "
                                      "are logged at DEBUG)"]
    assert harness.reg.consumption.last_refusal == "no 'power' field"  # (the stale reason keeps the short detail)


def test_a_pzem_reading_read_with_tasmota_s_path_names_power(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    harness = Harness(with_mqtt_lines(write_config(tmp_path), "json_power = ENERGY.Power"))
    harness.reg.start(NOON)
    with caplog.at_level(logging.WARNING):
        harness.reg.handle(PROD, reading(1500), NOON + 1)
    assert "no 'ENERGY.Power' field; its watts look to be at power: set [mqtt] json_power = power" \
        in _dropped(caplog, PROD)[0]
    with caplog.at_level(logging.WARNING):
        harness.reg.handle(CONS, json.dumps({"watts": 300}).encode(), NOON + 2)
    assert "set [mqtt] json_power to the reading's field of watts" in _dropped(caplog, CONS)[0]


def test_a_meter_reading_below_0_says_where_it_is_wrong(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    harness = Harness(write_config(tmp_path))
    harness.reg.start(NOON)
    with caplog.at_level(logging.WARNING):
        harness.reg.handle(PROD, reading(-2500), NOON + 1)
        harness.reg.handle(CONS, reading(-2200), NOON + 2)
    production, = _dropped(caplog, PROD)
    assert "'power' is negative (-2500); the production meter reads both ways and its clamp is the wrong way round" \
        in production
    house, = _dropped(caplog, CONS)
    assert "'power' is negative (-2200); the house meter reads both ways" in house
    assert "it is on the grid's side, reading the export, or its clamp is the wrong way round" in house


def test_a_load_s_own_tasmota_meter_read_with_the_seed_s_field_names_the_path(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The heater's own meter (a Tasmota plug) read at the default `power`: its readings dropped with "no 'power'
    # field" and nothing more, where the house meter's same mistake names the path.
    h = metered(tmp_path)
    with caplog.at_level(logging.WARNING):
        h.reg.handle(ECS_METER, tasmota(1680), T + 1)
        h.reg.handle(ECS_METER, tasmota(1690), T + 3)
    dropped = [r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING and "dropped a reading of its own meter" in r.getMessage()]
    assert dropped == ["ecs: dropped a reading of its own meter: no 'power' field; its watts look to be at "
                       "ENERGY.Power: set [ecs] json_read_power = ENERGY.Power"]
