"""One malformed message never raises: deeply nested JSON (json raises RecursionError, not ValueError)
and oversized payloads are dropped or refused by every parser, on every topic the regulator reads."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from equipments.modes import ModeCommandError, parse_mode_command
from integrations.domoticz import parse_domoticz_out
from settings.config import load_settings
from tests.configs import reading, write_config
from tests.field_house import field_config
from tests.harness import CONS, MODE, NOON, PROD, Harness
from values.boots import boot_message_id, is_boot_detected
from values.readings import MAX_PAYLOAD_BYTES, MeterProblem, MeterReading, parse_meter_payload

# Under the size limit, yet far deeper than the parser's recursion limit: only the RecursionError catch
# stops this one. The second is over the limit (the reviewer's example).
DEEP = b"[" * 50_000
HUGE_DEEP = b"[" * 100_000
# Valid JSON with a good power value, but larger than any device message.
BIG = json.dumps({"power": 100.0, "pad": "x" * (MAX_PAYLOAD_BYTES + 1)}).encode()
MALFORMED = [pytest.param(DEEP, id="deep"), pytest.param(HUGE_DEEP, id="huge-deep"),
             pytest.param(b'{"power": ' * 20_000, id="deep-object"), pytest.param(BIG, id="big")]


def test_deep_payload_is_under_the_size_limit_so_the_recursion_catch_is_what_is_tested() -> None:
    assert len(DEEP) < MAX_PAYLOAD_BYTES
    with pytest.raises(RecursionError):
        json.loads(DEEP)


@pytest.mark.parametrize("payload", MALFORMED)
def test_meter_parser_drops_it(payload: bytes) -> None:
    result = parse_meter_payload(payload, "power", 0.0, 30000.0)
    assert isinstance(result, MeterProblem)


def test_oversized_meter_payload_is_refused_before_parsing() -> None:
    result = parse_meter_payload(BIG, "power", 0.0, 30000.0)
    assert isinstance(result, MeterProblem) and result.kind == "too_big"
    assert isinstance(parse_meter_payload(reading(100), "power", 0.0, 30000.0), MeterReading)


@pytest.mark.parametrize("payload", MALFORMED)
def test_mode_command_is_refused(payload: bytes, tmp_path: Path) -> None:
    loads = {e.name: e for e in load_settings(field_config(tmp_path)).equipments}
    with pytest.raises(ModeCommandError):
        parse_mode_command(payload, loads)


@pytest.mark.parametrize("payload", MALFORMED)
def test_boot_parsers_see_no_boot(payload: bytes) -> None:
    assert boot_message_id(payload) is None
    assert is_boot_detected(payload) is False


def test_big_boot_detected_is_not_read() -> None:
    big = json.dumps({"msg": "boot_detected", "pad": "x" * MAX_PAYLOAD_BYTES}).encode()
    assert is_boot_detected(big) is False
    assert is_boot_detected(b'{"msg": "boot_detected"}') is True


@pytest.mark.parametrize("payload", MALFORMED)
def test_domoticz_out_is_dropped_with_a_warning(payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert parse_domoticz_out(payload) is None
    assert "dropped" in caplog.text


@pytest.mark.parametrize("payload", [DEEP, HUGE_DEEP, BIG], ids=["deep", "huge-deep", "big"])
def test_regulator_survives_it_on_every_topic_it_reads(tmp_path: Path, payload: bytes) -> None:
    # Every kind of topic: both meters, the mode topic, the variator's status and boot topics, the
    # meters' boot topic, the water heater's own meter, Domoticz's out topic (a selector configured).
    config = field_config(tmp_path, ecs="topic_read_power = regul/vload/ECS/meter\n",
                          extra="\n[domoticz]\nidx_ecs_mode = 338\n")
    h = Harness(config)
    topics = [t.replace("#", "sub") for t in h.reg.subscriptions()]
    assert {"smeter/pzem/CONSOMMATION", "regul/mode", "regul/vload/ECS", "regul/vload",
            "regul/vload/ECS/meter", "domoticz/out/sub"} <= set(topics)
    now = NOON
    for topic in topics:
        now += 1
        h.reg.handle(topic, payload, now)  # must not raise
        h.reg.tick(now)
    # Still regulating: good readings are used as before.
    h.meters(200, 3000, now + 5)
    assert h.reg.status(now + 5)["power_production"] == 3000


@pytest.mark.parametrize("payload", [b"", b" \n"])
def test_an_empty_mode_message_clears_a_retained_command_quietly(payload: bytes, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    # `mosquitto_pub -r -n -t regul/mode` (the README's way to clear a retained command) delivers an empty
    # message: it asks nothing, and was logged as "mode command refused: not JSON: b''".
    h = Harness(field_config(tmp_path))
    h.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000}', NOON)
    assert h.load("radiator").is_forced()
    caplog.set_level(logging.DEBUG)
    h.reg.handle(MODE, payload, NOON + 1)
    assert h.load("radiator").is_forced()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "a retained command cleared" in caplog.text


LONG = "A" * 60_000  # a string as long as a message may be: a buggy flow's HTML page, a stranger's junk
LONG_VALUES = [
    (CONS, b'{"power": "%s"}' % LONG.encode()),
    (CONS, b'{"power": ["%s"]}' % LONG.encode()),
    (MODE, b'{"command": "%s", "name": "radiator"}' % LONG.encode()),
    (MODE, b'{"command": "force", "name": "%s", "power": 100}' % LONG.encode()),
    (MODE, b'{"command": "force", "name": "radiator", "power": "%s"}' % LONG.encode()),
    (MODE, b'{"command": "force", "name": "radiator", "power": 100, "duration": ["%s"]}' % LONG.encode()),
]


@pytest.mark.parametrize(("topic", "payload"), LONG_VALUES, ids=["meter-text", "meter-list", "mode-command",
                                                                 "mode-name", "mode-power", "mode-duration"])
def test_a_long_value_in_a_refused_message_is_shown_cut(tmp_path: Path, topic: str, payload: bytes,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    # The flood limiter lets 5 lines of a kind through a minute: each as long as the message (60 KB), the 3 MB of
    # the default rotating log were gone in minutes, and the status document carried the 60 KB in its stale reason.
    h = Harness(write_config(tmp_path, ("radiator", "small")))
    caplog.set_level(logging.DEBUG)
    h.meters(300, 1800, NOON)
    for i in range(6):
        h.reg.handle(topic, payload, NOON + 2 * i + 1)
        h.reg.handle(PROD, reading(1800), NOON + 2 * i + 1.5)
    h.reg.tick(NOON + 12)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage() or "dropped" in r.getMessage()]
    assert refused and all(len(line) < 300 for line in refused), max(map(len, refused))
    assert "AAAA" in refused[0]  # (the start of the value is shown)
    assert len(json.dumps(h.reg.status(NOON + 12))) < 10_000


@pytest.mark.parametrize("payload", [
    b'{"idx": 338, "nvalue": ["%s"]}' % LONG.encode(),
    b'{"idx": 338, "svalue1": ["%s"]}' % LONG.encode(),
], ids=["nvalue", "svalue1"])
def test_a_long_value_in_a_domoticz_update_is_shown_cut(payload: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert parse_domoticz_out(payload) is None
    assert caplog.records and all(len(r.getMessage()) < 300 for r in caplog.records)


@pytest.mark.parametrize("update", [
    {"idx": 338, "nvalue": 1, "switchType": LONG},
    {"idx": 338, "nvalue": 1, "switchType": "Selector", "svalue1": LONG},
], ids=["switch-type", "svalue1"])
def test_a_long_value_in_a_domoticz_switch_is_shown_cut(update: dict[str, object]) -> None:
    device = parse_domoticz_out(json.dumps(update).encode())
    assert device is not None
    on, why = device.switch_state()
    assert on is None and why is not None and len(why) < 300
