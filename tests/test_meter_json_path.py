"""A meter's watts inside an object of its reading, named by a dotted path (`[mqtt] json_power`, a load's
`json_read_power`): a Tasmota plug's `tele/<device>/SENSOR` holds them at `ENERGY.Power`. A PZEM's flat `power` is read
as before."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import write_config
from tests.field_house import ECS_METER, field_config
from tests.field_tank import METERED, T
from tests.harness import CONS, PROD, Harness
from values.readings import MeterProblem, MeterReading, Voltage, parse_meter_payload

_times = itertools.count()


def tasmota(power_w: float) -> bytes:
    """A Tasmota energy plug's SENSOR message (its Time moves: no two alike)."""
    return (f'{{"Time":"2024-06-01T11:{next(_times) % 60:02d}:00","ENERGY":{{"TotalStartTime":"2024-01-01T00:00:00",'
            f'"Total":12.345,"Yesterday":1.2,"Today":0.8,"Period":3,"Power":{power_w:g},"ApparentPower":{power_w:g},'
            f'"ReactivePower":0,"Factor":1.00,"Voltage":231,"Current":{power_w / 231:.3f}}}}}').encode()


def test_the_watts_inside_an_object_are_read_by_their_path() -> None:
    assert parse_meter_payload(tasmota(1680), "ENERGY.Power", 100.0, 30000.0) == MeterReading(1680.0, 100.0)
    deep = b'{"StatusSNS": {"ENERGY": {"Power": 42}}}'  # (its STATUS 10 answer)
    assert parse_meter_payload(deep, "StatusSNS.ENERGY.Power", 1.0, 30000.0) == MeterReading(42.0, 1.0)


@pytest.mark.parametrize("payload", [
    b'{"ENERGY": {"Voltage": 231}}',  # (no Power inside)
    b'{"Time": "x"}',  # (no ENERGY)
    b'{"ENERGY": 5}',  # (ENERGY not an object)
    b'{"ENERGY": [1, 2]}',
])
def test_a_path_the_reading_lacks_is_a_missing_power(payload: bytes) -> None:
    result = parse_meter_payload(payload, "ENERGY.Power", 1.0, 30000.0)
    assert isinstance(result, MeterProblem) and result.kind == "missing_power"
    assert "'ENERGY.Power'" in result.detail


def test_the_quirks_of_a_value_found_by_its_path_are_the_same() -> None:
    for payload, kind in ((b'{"ENERGY": {"Power": -5}}', "negative_power"), (b'{"ENERGY": {"Power": NaN}}', "nan"),
                          (b'{"ENERGY": {"Power": [10, 20]}}', "bad_power")):
        result = parse_meter_payload(payload, "ENERGY.Power", 1.0, 30000.0)
        assert isinstance(result, MeterProblem) and result.kind == kind


def test_a_channel_of_a_device_of_several_is_read_by_its_index() -> None:
    # A Tasmota device of two channels (a Shelly 2.5, a Sonoff Dual R3) lists a value per channel: refused as "not a
    # number", with no way to name one.
    two = b'{"Time": "x", "ENERGY": {"Power": [12, 1680], "Voltage": [231, 0]}}'
    assert parse_meter_payload(two, "ENERGY.Power.1", 1.0, 30000.0) == MeterReading(1680.0, 1.0)
    assert parse_meter_payload(two, "ENERGY.Power.0", 1.0, 30000.0) == MeterReading(12.0, 1.0)
    refused = parse_meter_payload(two, "ENERGY.Power.1", 1.0, 30000.0, Voltage.REQUIRED)  # (its own channel's volts)
    assert isinstance(refused, MeterProblem) and refused.kind == "no_mains"
    assert parse_meter_payload(two, "ENERGY.Power.0", 1.0, 30000.0, Voltage.READ) == MeterReading(12.0, 1.0, 231.0)
    shared = b'{"ENERGY": {"Power": [12, 1680], "Voltage": 229}}'  # (one voltage for both)
    assert parse_meter_payload(shared, "ENERGY.Power.1", 1.0, 30000.0, Voltage.READ) == MeterReading(1680.0, 1.0, 229.0)
    listed = parse_meter_payload(two, "ENERGY.Power", 1.0, 30000.0)
    assert isinstance(listed, MeterProblem) and listed.kind == "bad_power"
    assert listed.detail == ("'ENERGY.Power' is a list, a number per channel (give one: ENERGY.Power.0 for the "
                             "first): [12, 1680]")
    for path in ("ENERGY.Power.2", "ENERGY.Power.-1", "ENERGY.Power.1.0", "ENERGY.Power.\u00b2", "ENERGY.Voltage.x"):
        result = parse_meter_payload(two, path, 1.0, 30000.0)
        assert isinstance(result, MeterProblem) and result.kind == "missing_power", path
    nested = parse_meter_payload(b'{"P": [[1, 2], 5]}', "P.0", 1.0, 30000.0)  # (no channel of a channel to give)
    assert isinstance(nested, MeterProblem) and nested.detail == "'P.0' is not a number: [1, 2]"
    # (an object's key made of digits is its key; a list of objects is indexed on the way)
    assert parse_meter_payload(b'{"P": {"0": 5}}', "P.0", 1.0, 30000.0) == MeterReading(5.0, 1.0)
    assert parse_meter_payload(b'{"ch": [{"p": 1}, {"p": 2}]}', "ch.1.p", 1.0, 30000.0) == MeterReading(2.0, 1.0)


def test_a_channel_of_ever_so_many_digits_is_no_field() -> None:
    # (int() refuses a number of over 4300 digits with a ValueError: that path raised out of the parser at every
    # reading, which never raises)
    two = b'{"ENERGY": {"Power": [12, 1680]}}'
    for path in ("ENERGY.Power." + "1" * 5000, "ENERGY.Power." + "0" * 4999 + "1"):
        result = parse_meter_payload(two, path, 1.0, 30000.0)
        assert isinstance(result, MeterProblem) and result.kind == "missing_power"


@pytest.mark.parametrize(("payload", "field"), [
    (b'{"ENERGY": {"Power": []}}', "ENERGY.Power"),  # (no channel at all)
    (b'{"ENERGY": {"Power": [[12, 0]]}}', "ENERGY.Power.0"),  # (a list in a list: ENERGY.Power.0.0 is no field)
    (b'{"ENERGY.Power": [12, 0]}', "ENERGY.Power"),  # (a key with a dot: ENERGY.Power.0 looks for an ENERGY object)
    (b'{"ENERGY": {"Power": ["on", "off"]}}', "ENERGY.Power"),  # (no number in it: no channel of watts)
])
def test_a_list_is_given_a_channel_only_where_one_reads(payload: bytes, field: str) -> None:
    result = parse_meter_payload(payload, field, 1.0, 30000.0)
    assert isinstance(result, MeterProblem) and result.kind == "bad_power"
    assert "per channel" not in result.detail and "is not a number" in result.detail
    advised = f"{field}.0"
    assert not isinstance(parse_meter_payload(payload, advised, 1.0, 30000.0), MeterReading)


def test_a_key_with_a_dot_in_it_is_read_first() -> None:
    flat = b'{"ENERGY.Power": 7, "ENERGY": {"Power": 9}}'
    assert parse_meter_payload(flat, "ENERGY.Power", 1.0, 30000.0) == MeterReading(7.0, 1.0)


def test_the_voltage_is_read_beside_the_watts() -> None:
    inside = b'{"Time": "x", "ENERGY": {"power": 500, "voltage": 12}}'
    refused = parse_meter_payload(inside, "ENERGY.power", 1.0, 30000.0, Voltage.REQUIRED)
    assert isinstance(refused, MeterProblem) and refused.kind == "no_mains"
    # Tasmota writes it Voltage: a PZEM-004T under Tasmota whose voltage wire came off reads 0 V
    assert parse_meter_payload(tasmota(500), "ENERGY.Power", 1.0, 30000.0, Voltage.REQUIRED) == MeterReading(500.0, 1.0)
    unplugged = tasmota(500).replace(b'"Voltage":231', b'"Voltage":0')
    refused = parse_meter_payload(unplugged, "ENERGY.Power", 1.0, 30000.0, Voltage.REQUIRED)
    assert isinstance(refused, MeterProblem) and refused.kind == "no_mains"
    assert parse_meter_payload(tasmota(500), "ENERGY.Power", 1.0, 30000.0, Voltage.READ) == \
        MeterReading(500.0, 1.0, 231.0)


@pytest.mark.parametrize(("value", "message"), [
    ("ENERGY..Power", "has an empty name between its dots"),
    (".Power", "has an empty name between its dots"),
    ("ENERGY.", "has an empty name between its dots"),
    # (a name with spaces around it is no key of the reading: every reading was refused as "no 'ENERGY . Power' field")
    ("ENERGY . Power", "has spaces around a name: write ENERGY.Power"),
    ("ENERGY. Power", "has spaces around a name: write ENERGY.Power"),
])
@pytest.mark.parametrize("where", ["mqtt", "ecs"])
def test_a_path_with_an_empty_name_is_refused(tmp_path: Path, value: str, message: str, where: str) -> None:
    config = write_config(tmp_path)
    text = config.read_text()
    if where == "mqtt":
        text = text.replace("topic_prod = smeter/pzem/PRODUCTION\n",
                            f"topic_prod = smeter/pzem/PRODUCTION\njson_power = {value}\n")
    else:
        text = text.replace("min_percent = 4\n", f"min_percent = 4\ntopic_read_power = {ECS_METER}\n"
                            f"json_read_power = {value}\n")
    config.write_text(text)
    key = "[mqtt] json_power" if where == "mqtt" else "json_read_power"
    with pytest.raises(ConfigError, match=message) as refused:
        load_settings(config)
    assert key in str(refused.value)


def test_a_house_of_tasmota_meters_is_regulated(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("topic_prod = smeter/pzem/PRODUCTION\n",
                                                 "topic_prod = smeter/pzem/PRODUCTION\njson_power = ENERGY.Power\n"))
    h = Harness(config)
    h.reg.handle(CONS, tasmota(300), T)
    h.reg.handle(PROD, tasmota(2000), T + 0.01)
    assert h.load("ecs").current_power_w == pytest.approx(1680)  # (1700 W of surplus, the 20 W margin left)


@pytest.mark.parametrize("channel", [None, 1])
def test_a_heater_s_tasmota_plug_finds_its_tank_full(tmp_path: Path, channel: int | None) -> None:
    # (channel 1: the heater on the second channel of a Tasmota device of two, a pump on the first)
    path = "ENERGY.Power" if channel is None else f"ENERGY.Power.{channel}"
    h = Harness(field_config(tmp_path, ecs=METERED + f"json_read_power = {path}\n"))
    h.meters(300, 2000, T)
    assert h.load("ecs").current_power_w == pytest.approx(1680)
    for i in range(1, 8):  # the thermostat cuts: the plug reads 0 W under the command, five readings in a row
        reading = tasmota(0) if channel is None else tasmota(0).replace(b'"Power":0', b'"Power":[450,0]')
        h.reg.handle(ECS_METER, reading, T + 2 * i - 0.5)
        h.meters(300, 2000, T + 2 * i)
    assert h.load("ecs").overed


@pytest.mark.parametrize(("payload", "watts"), [(b"123.45", 123.45), (b"0", 0.0), (b" 1680 \n", 1680.0)])
def test_a_reading_that_is_its_watts_alone_is_read(payload: bytes, watts: float) -> None:
    # A Shelly gen 1 publishes a relay's watts alone on shellies/<id>/relay/0/power: refused as "not an object".
    assert parse_meter_payload(payload, "power", 1.0, 30000.0) == MeterReading(watts, 1.0)
    assert parse_meter_payload(payload, "ENERGY.Power", 1.0, 30000.0, Voltage.REQUIRED) == MeterReading(watts, 1.0)


@pytest.mark.parametrize(("payload", "kind"), [
    (b"true", "not_object"), (b'"123"', "not_object"), (b"null", "not_object"), (b"[1680]", "not_object"),
    (b"-5", "negative_power"), (b"nan", "nan"), (b"1e9", "huge_power"), (b"9" * 400, "nan"),
])
def test_a_bare_value_that_is_no_reading_is_refused(payload: bytes, kind: str) -> None:
    result = parse_meter_payload(payload, "power", 1.0, 30000.0)
    assert isinstance(result, MeterProblem) and result.kind == kind


def test_a_heater_s_shelly_plug_finds_its_tank_full(tmp_path: Path) -> None:
    # Its watts alone repeat the same bytes at a steady power: with frozen_meter = false (its help says so) each is a
    # reading, not a hung meter's repeat.
    h = Harness(field_config(tmp_path, ecs=METERED, evaluate="frozen_meter = false\n"))
    h.meters(300, 2000, T)
    for i in range(1, 8):  # 0 W under the command: five readings in a row
        h.reg.handle(ECS_METER, b"0.00", T + 2 * i - 0.5)
        h.meters(300, 2000, T + 2 * i)
    assert h.load("ecs").overed
