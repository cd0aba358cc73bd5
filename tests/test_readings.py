"""Meter payloads with the exact bytes of PROTOCOL.md, quirks included."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from values.readings import MeterProblem, MeterReading, Voltage, _json_value, parse_meter_payload

GOOD = (b'{ "voltage": 231.40, "current": 1.23, "power": 276.00, "energy": 1234.00, "frequency": 50.00, '
        b'"powerfactor": 0.98, "ppm_err": 0}')
READ_ERROR = b'{ "PZEM_READ_ERROR": 3, "pzem_read ": 120, "ppm_err": 1}'
NAN = (b'{ "voltage": nan, "current": nan, "power": nan, "energy": nan, "frequency": nan, '
       b'"powerfactor": nan, "ppm_err": 0}')
BOOT = (b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
        b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}')


def parse(payload: bytes) -> MeterReading | MeterProblem:
    return parse_meter_payload(payload, "power", 100.0, 30000.0)


def test_good_reading() -> None:
    assert parse(GOOD) == MeterReading(276.0, 100.0)


@pytest.mark.parametrize(("payload", "kind"), [
    (READ_ERROR, "read_error"),
    (NAN, "nan"),
    (b'{"power": NaN}', "nan"),
    (BOOT, "boot"),
    (b"hello", "not_json"),
    (b"", "not_json"),
    (b"\xff\xfe", "not_utf8"),
    (b"[1, 2]", "not_object"),
    (b'{"voltage": 230.0}', "missing_power"),
    (b'{"power": "nan"}', "nan"),
    (b'{"power": "2 76"}', "bad_power"),
    (b'{"power": true}', "bad_power"),
    (b'{"power": -5.00}', "negative_power"),
    (b'{"power": 1e9}', "huge_power"),
    (b'{"power": Infinity}', "nan"),
    (b'{"power": ' + b"9" * 400 + b"}", "nan"),  # an int too large for a float: float() raises OverflowError
])
def test_quirks_are_problems_not_readings(payload: bytes, kind: str) -> None:
    result = parse(payload)
    assert isinstance(result, MeterProblem)
    assert result.kind == kind


@pytest.mark.parametrize(("payload", "watts"), [
    (b'{"power": "276"}', 276.0),
    (b'{"power": " 1800 "}', 1800.0),
    (b'{"power": "+0"}', 0.0),
    (b'{"power": "276.50"}', 276.5),  # (the seed's int() refused it: nothing is gained by refusing it)
])
def test_a_number_written_as_text_is_read_as_the_seed_read_it(payload: bytes, watts: float) -> None:
    # The seed read a meter's power with int(j['power']): "276" was 276 W, and a meter (or a bridge) that quotes
    # its whole watts regulated. Refused, such a meter was stale from the first second and nothing ever ran.
    assert parse(payload) == MeterReading(watts, 100.0)


@pytest.mark.parametrize("text", ["1_000", "\uff11\uff12", "\u0661\u0662", "1\u00a0", "\u2003276", "0x10", "1,5"])
def test_a_number_written_as_text_is_ascii_decimal_only(text: str) -> None:
    # Python's float() also takes "1_000", full-width and Arabic-Indic digits and Unicode spaces: no meter or
    # script sends them, and a power read from them was more than PROTOCOL.md promises. Refused as not a number.
    result = parse(json.dumps({"power": text}).encode())
    assert isinstance(result, MeterProblem) and result.kind == "bad_power", result


def test_a_negative_whole_number_written_as_text_is_still_refused() -> None:
    result = parse(b'{"power": "-5"}')
    assert isinstance(result, MeterProblem) and result.kind == "negative_power"


def test_other_field_name() -> None:
    assert parse_meter_payload(b'{"p": 12.5}', "p", 1.0, 30000.0) == MeterReading(12.5, 1.0)


def test_nan_in_another_field_does_not_hide_the_power() -> None:
    payload = b'{ "voltage": 231.40, "current": 0.00, "power": 0.00, "powerfactor": nan, "ppm_err": 0}'
    assert parse(payload) == MeterReading(0.0, 100.0)


def _loads_outcome(decode: Any, text: str) -> object:
    try:
        return ("value", repr(decode(text)))  # (repr: a NaN is not equal to itself)
    except ValueError:
        return "ValueError"
    except RecursionError:
        return "RecursionError"


_WHITESPACE = st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\ufeff", max_size=3)
_JSONISH = st.text(alphabet='{}[]":,. -+eE0123456789nultrfasNIy\\\t\n\r \ufeff', max_size=40)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


@given(_WHITESPACE, st.one_of(_JSONISH, _VALUES.map(json.dumps)), _WHITESPACE)
def test_a_reading_is_decoded_as_json_loads_decodes_it(before: str, body: str, after: str) -> None:
    # The meter's own decoding (json's raw_decode between the JSON whitespace) takes and refuses what
    # json.loads does, whitespace and junk around a value included.
    text = before + body + after
    assert _loads_outcome(_json_value, text) == _loads_outcome(json.loads, text)


NO_MAINS = (b'{ "voltage": 0.00, "current": 0.00, "power": 0.00, "energy": 1234.00, "frequency": 0.00, '
            b'"powerfactor": 0.00, "ppm_err": 0}')


@pytest.mark.parametrize("payload", [NO_MAINS, b'{"voltage": 12.5, "power": 3}', b'{"voltage": -1, "power": 0}',
                                     b'{"voltage": "0.00", "power": 0}'])
def test_a_reading_without_mains_is_refused_where_mains_are_needed(payload: bytes) -> None:
    problem = parse_meter_payload(payload, "power", 100.0, 30000.0, Voltage.REQUIRED)
    assert isinstance(problem, MeterProblem) and problem.kind == "no_mains" and " V: " in problem.detail
    assert isinstance(parse(payload), MeterReading)  # a DC production meter at night: taken


@pytest.mark.parametrize("payload", [GOOD, b'{"power": 0}', b'{"voltage": nan, "power": 0}',
                                     b'{"voltage": "off", "power": 0}', b'{"voltage": 50, "power": 0}'])
def test_a_reading_judged_on_its_power_when_its_voltage_says_nothing(payload: bytes) -> None:
    # No voltage field, NaN or not a number there: nothing to judge on; 50 V and up is a mains (PZEM-004T: 80..260 V).
    assert isinstance(parse_meter_payload(payload, "power", 100.0, 30000.0, Voltage.REQUIRED), MeterReading)


def test_a_reading_gives_its_voltage_when_asked_and_is_never_refused_on_it_then() -> None:
    assert parse_meter_payload(GOOD, "power", 100.0, 30000.0, Voltage.READ).voltage_v == 231.4  # type: ignore[union-attr]
    assert parse_meter_payload(NO_MAINS, "power", 100.0, 30000.0, Voltage.READ) == MeterReading(0.0, 100.0)
    assert parse(GOOD) == MeterReading(276.0, 100.0) and parse(GOOD).voltage_v is None  # type: ignore[union-attr]
