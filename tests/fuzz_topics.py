"""The topics of a config with every feature on, a valid message of each, the ways to break one (tests.
test_fuzz_every_topic's junk), and a generous guess at what may be a valid message of a topic."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from integrations.domoticz_control import EcsMode
from tests.configs import reading
from tests.field_house import ECS_METER, field_config
from tests.harness import CONS, MODE, PROD

SELECTOR, ECS_SWITCH, RADIATOR_SWITCH = 338, 359, 360
LOADS = ("ecs", "radiator", "plug")
FORECAST = "forecast/tomorrow"
STATUS = "regul/status"
HA_SET = "regul/ha/{}/set"

# A valid message of each topic (PROTOCOL.md's bytes), the seed of its mutations.
VALID: dict[str, bytes] = {
    CONS: reading(500.0),
    PROD: reading(2500.0),
    ECS_METER: reading(1000.0),
    MODE: b'{"command": "force", "name": "ecs", "power": 1500, "duration": 3600}',
    "regul/vload/ECS": b'{"percent": 42.50, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}',
    "regul/vload": (b'{"type": "vload", "id": "ECS", "fw_version": "1.1b", "PCB": "white", "chip_id": "1234567", '
                    b'"ip": "10.3.141.20", "OTA": "mqtt"}'),
    "smeter/pzem": (b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": '
                    b'v3, "srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}'),
    "domoticz/out": (b'{"Battery": 255, "RSSI": 12, "dtype": "Light/Switch", "id": "00014051", "idx": 338, "name": '
                     b'"Automate_Cumulus", "nvalue": 2, "stype": "Selector Switch", "svalue1": "20", "switchType": '
                     b'"Selector", "unit": 1, "LastUpdate": "2023-01-01 12:00:00"}'),
    "domoticz/out/Force_radiator": (b'{"dtype": "Light/Switch", "idx": 360, "name": "Force_radiator", "nvalue": 1, '
                                    b'"stype": "Switch", "switchType": "On/Off", "unit": 1}'),
    "homeassistant/status": b"online",
    "homeassistant/switch/pyseb_test/load_gone_force/config": b'{"name": "gone force", "unique_id": "x"}',
    HA_SET.format("load_ecs_force"): b"ON",
    HA_SET.format("load_radiator_force"): b"OFF",
    HA_SET.format("load_plug_force"): b"ON",
    HA_SET.format("load_ecs_force_power"): b"1500",
    HA_SET.format("load_ecs_force_duration"): b"60",
    HA_SET.format("load_radiator_force_duration"): b"30.5",
    HA_SET.format("load_plug_force_duration"): b"0",
    HA_SET.format("water_heater_mode"): b"solar",
    FORECAST: b'{"date": "2023-11-15", "clouds_percent": 35, "pv_wh": 12000}',
    STATUS: b'{"schema_version": 1, "client_id": "another", "state": "regulating", "equipments": []}',
}
TOPICS = sorted(VALID)


def config(directory: Path) -> Path:
    """Every feature on (the daemon's default rule, the closed loop)."""
    return field_config(directory, loads=LOADS, algorithm="closed_loop",
                        ecs=f"topic_read_power = {ECS_METER}\ndomoticz_idx_force = {ECS_SWITCH}\n",
                        radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n",
                        extra=f"\n[domoticz]\nidx_ecs_mode = {SELECTOR}\n\n[homeassistant]\ndiscovery = true\n"
                              f"\n[forecast]\ntopic = {FORECAST}\n")


# --- junk ---------------------------------------------------------------------------------------------------------
# Raw JSON literals a value is replaced by: the non-JSON ones Python's json takes (NaN, Infinity), the ones it
# refuses (nan as the PZEM prints it, 1e999 is inf), an int no float holds, and plain wrong types.
LITERALS = ["NaN", "-NaN", "nan", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 400, "-0", "0x10", "1e", "1.",
            "null", "true", "false", '""', '" "', "[]", "{}", '[1500]', '{"power": 1500}', '"\\u0000"', '"1_000"',
            '"\\uff11\\uff12"', '"nan"', '"inf"', '"-1"', '"1e999"', '"ON "', '"on"', "-1", "-0.001", "30000.5",
            "1e308", '"' + "x" * 5000 + '"']
deep = st.integers(1, 60_000).flatmap(lambda n: st.sampled_from([b"[" * n, b'{"a":' * n, b"[" * n + b"]" * n,
                                                                 b'{"power": ' + b"[" * n]))


def _json_doc(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return None


def _replace_value(payload: bytes, key_pick: int, literal: str) -> bytes:
    doc = _json_doc(payload)
    if not isinstance(doc, dict) or not doc:
        return literal.encode()
    key = sorted(doc)[key_pick % len(doc)]
    doc[key] = "\x00MARK\x00"
    return json.dumps(doc).replace('"\\u0000MARK\\u0000"', literal).encode()


def mutations(valid: bytes) -> st.SearchStrategy[bytes]:
    """`valid` broken in one of the ways a payload can be."""
    n = len(valid)
    at = st.integers(0, max(0, n - 1))
    return st.one_of(
        at.map(lambda i: valid[:i]),  # cut short
        st.tuples(at, st.integers(0, 255)).map(lambda p: valid[:p[0]] + bytes([p[1]]) + valid[p[0] + 1:]),
        st.tuples(at, st.binary(min_size=1, max_size=8)).map(lambda p: valid[:p[0]] + p[1] + valid[p[0]:]),
        st.tuples(st.integers(0, 50), st.sampled_from(LITERALS)).map(lambda p: _replace_value(valid, *p)),
        st.just(b"\xef\xbb\xbf" + valid),  # a UTF-8 mark
        st.just(valid.replace(b" ", b"\r\n") + b"\r\n"),
        st.just(valid.decode().encode("utf-16")),
        st.just(valid.decode().replace(":", ": \u00e9").encode("latin-1", "replace")),  # not UTF-8
        st.just(b"[" + valid + b"]"),
        st.just(b'{"doc": ' + valid + b"}"),
        st.just(valid * 2),
        st.just(valid + b"\x00"),
        st.just(valid.upper()),
        st.just(b" " * 70_000 + valid),  # over every parser's size limit
    )


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) |
                           st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
anything = st.one_of(st.binary(max_size=120), st.text(max_size=80).map(str.encode), deep,
                     json_values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
                     st.sampled_from(LITERALS).map(str.encode))


@st.composite
def junk_messages(draw: st.DrawFn) -> tuple[str, bytes]:
    topic = draw(st.sampled_from(TOPICS))
    return topic, draw(st.one_of(anything, mutations(VALID[topic])))


# --- what may be a valid message: sent to both regulators ---------------------------------------------------------
def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _reading(_: Any, payload: bytes) -> bool:
    # (the PZEM prints a NaN value as a bare nan, C's printf a negative one as -nan: the reader takes either, in any
    # case, in a field that is not the power; a bare `nan` only: not inside a string or a word)
    doc = _json_doc(re.sub(rb'(?<![\w"])-?nan(?![\w"])', b"NaN", payload, flags=re.IGNORECASE))
    # (a bare number is a reading of its watts: a Shelly gen 1's relay/0/power)
    power = _number(doc.get("power")) if isinstance(doc, dict) else _number(doc) if type(doc) in (int, float) else None
    return power is not None and 0 <= power <= 30_000


def _mode(doc: Any, _: bytes) -> bool:
    return isinstance(doc, dict) and str(doc.get("command")).strip().lower() in ("force", "unforce")


def _domoticz(doc: Any, _: bytes) -> bool:
    return isinstance(doc, dict) and doc.get("idx") in (SELECTOR, ECS_SWITCH, RADIATOR_SWITCH)


def _boot(_: Any, payload: bytes) -> bool:
    return re.search(rb"(?i)boot|\bid\b|ECS|CONSOMMATION|PRODUCTION", payload) is not None


def _variator_status(_: Any, payload: bytes) -> bool:
    return re.search(rb'percent|"state"|boot_detected', payload) is not None


def _text_is(values: Callable[[str], bool]) -> Callable[[Any, bytes], bool]:
    return lambda _, payload: values(payload.decode("utf-8", "replace").strip())


def _forecast(doc: Any, _: bytes) -> bool:
    return isinstance(doc, dict) and "date" in doc


POSSIBLY_VALID: dict[str, Callable[[Any, bytes], bool]] = {
    CONS: _reading, PROD: _reading, ECS_METER: _reading, MODE: _mode,
    "regul/vload/ECS": _variator_status, "regul/vload": _boot, "smeter/pzem": _boot,
    "domoticz/out": _domoticz, "domoticz/out/Force_radiator": _domoticz, FORECAST: _forecast,
    "homeassistant/status": _text_is(lambda t: t == "online"),  # (HA's birth: discovery sent again, once in 30 s)
    HA_SET.format("water_heater_mode"): _text_is(lambda t: t.lower() in {m.value for m in EcsMode}),
}
for _control in ("load_ecs_force", "load_radiator_force", "load_plug_force"):
    POSSIBLY_VALID[HA_SET.format(_control)] = _text_is(lambda t: t.upper() in ("ON", "OFF"))
for _control in ("load_ecs_force_power", "load_ecs_force_duration", "load_radiator_force_duration",
                 "load_plug_force_duration"):
    POSSIBLY_VALID[HA_SET.format(_control)] = _text_is(lambda t: _number(t) is not None)


def possibly_valid(topic: str, payload: bytes) -> bool:
    """Whether `payload` may be a message `topic` acts on (a generous guess: what it says is junk, is)."""
    oracle = POSSIBLY_VALID.get(topic)
    return oracle is not None and oracle(_json_doc(payload), payload)
