"""The shell's fault handling, unit by unit: the flood limiter, the broker-down report, the takeover guard,
a paho callback that raises, a publish that fails, a stop on a link dead or down. The status file's stale
temporaries and a corrupt file kept aside: test_shell_faults_status_file."""

from __future__ import annotations

import logging
import os
import queue
import signal
import time
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell.daemon_link_down import LinkReport
from shell.link_events import LinkFault
from shell.loglimit import MAX_KINDS, FloodLimiter
from shell.mqtt_link import MqttLink, TakeoverGuard
from tests.configs import write_config
from tests.field_house import field_config
from tests.harness import MODE, NOON, Harness
from tests.log_flood import Clock, lines_let_through

RADIATOR = "cmnd/radiator/POWER"


def record(msg: str, level: int = logging.WARNING, name: str = "core.x", **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord(name, level, __file__, 1, msg, ("arg",), None)
    rec.__dict__.update(extra)
    return rec


# --- the flood limiter ------------------------------------------------------------------------------------

def test_a_flood_of_one_kind_is_bounded_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = FloodLimiter(burst=5, window_s=60, clock=clock)
    passed = sum(limiter.filter(record("mode command refused: %s")) for _ in range(5000))
    assert passed == 5 and limiter.held_back == 4995
    assert limiter.filter(record("another kind: %s"))  # one kind's flood does not silence another
    with caplog.at_level(logging.WARNING, logger="shell.loglimit"):
        limiter.flush()
        assert "held back" not in caplog.text  # the window is still open
        clock.now = 60
        limiter.flush()
    assert "4995 more log lines like 'mode command refused: %s'" in caplog.text
    assert limiter.filter(record("mode command refused: %s"))  # a new window


def test_past_the_limit_of_kinds_a_key_no_longer_makes_a_kind(caplog: pytest.LogCaptureFixture) -> None:
    # A key a stranger can vary (a device id from a message) makes each line a new kind: past MAX_KINDS they all went
    # through, every other kind's limit with them. Past it, the key is dropped: one window per template.
    clock = Clock()
    limiter = FloodLimiter(burst=5, window_s=60, clock=clock)
    passed = sum(limiter.filter(record("boot of %s", limit_key=f"id-{i}")) for i in range(MAX_KINDS + 1000))
    assert passed == MAX_KINDS + 5 and limiter.held_back == 995
    assert sum(limiter.filter(record("mode command refused: %s")) for _ in range(100)) == 5  # its own window still
    with caplog.at_level(logging.WARNING, logger="shell.loglimit"):
        clock.now = 60
        limiter.flush()
    assert "995 more log lines like 'boot of %s' (core.x)" in caplog.text
    assert limiter.filter(record("boot of %s", limit_key="id-new"))  # the windows ended: room again


def test_a_window_that_ended_while_the_kinds_are_full_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    # Left in place once ended, with the kinds full, each further line of its kind added its summary again: 100 lines,
    # 100 copies of "15 more log lines like ...".
    clock = Clock()
    limiter = FloodLimiter(burst=5, window_s=60, clock=clock)
    for _ in range(20):
        limiter.filter(record("retained on %s", limit_key="K"))
    for i in range(MAX_KINDS):
        limiter.filter(record("boot of %s", limit_key=f"id-{i}"))
    clock.now = 61
    for _ in range(100):
        limiter.filter(record("retained on %s", limit_key="K"))
    with caplog.at_level(logging.WARNING, logger="shell.loglimit"):
        limiter.flush()
    assert caplog.text.count("15 more log lines like 'retained on %s'") == 1


def test_the_key_separates_topics_and_marks_info_lines() -> None:
    limiter = FloodLimiter(burst=2, window_s=60, clock=Clock())
    boot = "%s meter booted"
    assert [limiter.filter(record(boot, logging.INFO, limit_key="a")) for _ in range(3)] == [True, True, False]
    assert limiter.filter(record(boot, logging.INFO, limit_key="b"))
    assert all(limiter.filter(record("ecs: %s", logging.INFO)) for _ in range(100))  # decisions: never limited


def test_each_record_is_judged_once_for_every_handler() -> None:
    limiter = FloodLimiter(burst=1, window_s=60, clock=Clock())
    rec = record("x %s")
    assert limiter.filter(rec) and limiter.filter(rec)  # the file handler sees what the stream handler saw
    assert not limiter.filter(record("x %s"))


def test_a_window_ended_without_a_flush_is_reported_at_the_next_one(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    limiter = FloodLimiter(burst=1, window_s=10, clock=clock)
    for _ in range(3):
        limiter.filter(record("x %s"))
    clock.now = 11
    assert limiter.filter(record("x %s"))  # a new window opens
    with caplog.at_level(logging.WARNING):
        limiter.flush()
    assert "2 more log lines like 'x %s'" in caplog.text


# --- the broker-down report and the takeover guard -------------------------------------------------------

def test_unforces_of_a_load_not_forced_are_bounded_in_the_log(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    # An unforce of a load that is not forced changes nothing, and anyone on the broker can send it: its INFO line was
    # let through every time (a flood of 5000 was 5000 lines), as the README says no line caused from outside is.
    h = Harness(write_config(tmp_path, ("radiator", "small")))

    def send() -> None:
        for i in range(100):
            h.reg.handle(MODE, b'{"command": "unforce", "name": "small"}', NOON + i)
            h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + i)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if "small is not forced: unforce ignored" in line]) == 5
    assert len([line for line in passed if "radiator is not forced: unforce ignored" in line]) == 5  # (per load)


def test_forces_sent_again_and_again_are_bounded_in_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 1000 identical forces on regul/mode made 1000 INFO lines: a line caused from outside, unbounded.
    h = Harness(write_config(tmp_path, ("radiator", "small")))

    def send() -> None:
        for i in range(100):
            h.reg.handle(MODE, b'{"command": "force", "name": "small", "power": 300, "duration": 600}', NOON + i)
            h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 5000}', NOON + i)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if line.startswith("forcing small to 300 W for 600 s")]) == 5
    assert len([line for line in passed if line.startswith("forcing radiator to 1000 W, its max")]) == 5  # (per load)


@pytest.mark.parametrize("algorithm", ["closed_loop", "hebert"])
def test_forces_and_unforces_in_a_burst_are_bounded_in_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                             algorithm: str) -> None:
    # A force and an unforce in turn (an automation's slider, anyone on the broker): the forces were bounded, every
    # "no longer forced" line let through; then the loads' own lines the forces caused (their switches, a relay handed
    # to the regulation, a plug believed at the power asked): 4000 lines for 1000 pairs on two loads.
    h = Harness(write_config(tmp_path, ("radiator", "plug", "ecs"), algorithm=algorithm))

    def send() -> None:
        for i in range(100):
            for name, power in (("radiator", 1000), ("plug", 900), ("ecs", 1000)):
                h.reg.handle(MODE, b'{"command": "force", "name": "%s", "power": %d}' % (name.encode(), power),
                             NOON + i)
                h.reg.handle(MODE, b'{"command": "unforce", "name": "%s"}' % name.encode(), NOON + i + 0.5)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if line.startswith("forcing radiator")]) == 5
    assert len([line for line in passed if line.startswith("radiator is no longer forced")]) == 5
    for name in ("radiator", "plug", "ecs"):  # (each kind of line five times at most: none let through a hundred)
        assert len([line for line in passed if line.startswith(name)]) <= 25, [line for line in passed
                                                                                if line.startswith(name)]


def test_each_reason_of_a_refused_mode_command_has_its_own_budget(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    # Limited by the message alone, five refused commands within a minute hid every other refusal until it ended: a
    # user fixing a command by trial and error (not JSON, then a wrong name, then no power) saw nothing of the later
    # ones. Each reason has its own five; a stranger's distinct payloads of one reason still share them.
    h = Harness(write_config(tmp_path, ("radiator", "small")))
    tries = [b"{'command': 'force'}",  # (not JSON again: past its five, held back)
             b'{"command": "force", "name": "heater"}', b'{"command": "force", "name": "small"}',
             b'{"command": "force", "name": "small", "power": -1}', b'{"command": "boost", "name": "small"}']

    def send() -> None:
        for i in range(100):
            h.reg.handle(MODE, b"junk %d" % i, NOON + i)  # (each payload another: not JSON all the same)
        for i, payload in enumerate(tries):
            h.reg.handle(MODE, payload, NOON + 100 + i)

    passed = [line for line in lines_let_through(caplog, send) if line.startswith("mode command refused: ")]
    assert len([line for line in passed if "not JSON: b'junk" in line]) == 5
    assert [line for line in passed if "junk" not in line] == [
        "mode command refused: unknown load 'heater': known are radiator, small",
        "mode command refused: force needs a power (watts) for small: add \"power\": 300 (its max)",
        "mode command refused: power must be >= 0 W for small, got -1",
        "mode command refused: command must be 'force' or 'unforce', got 'boost'"]


def test_a_load_s_own_meter_booting_again_and_again_is_bounded_in_the_log(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(field_config(tmp_path, ecs="topic_read_power = smeter/pzem/ECS\n"))
    boot = (b'{ "type": pzem, "id": ECS, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
            b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}')

    def send() -> None:
        for i in range(100):
            h.reg.handle("smeter/pzem/ECS", boot, NOON + i)  # (on its readings' topic)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if "its own meter booted" in line]) == 5


def test_forecasts_on_mqtt_again_and_again_are_bounded_in_the_log(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(field_config(tmp_path, extra="\n[forecast]\ntopic = forecast/tomorrow\n"))

    def send() -> None:
        for i in range(100):
            h.reg.handle("forecast/tomorrow", b'{"date": "2023-11-15", "clouds_percent": %d}' % (i % 100), NOON + i)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if line.startswith("forecast from mqtt for 2023-11-15")]) == 5
    assert [f.clouds_percent for f in h.reg.field.forecast.mqtt.values()] == [99.0]  # (each one still taken)


def test_a_refusal_is_told_once_then_reminded_slowly() -> None:
    report = LinkReport(reminder_s=600)
    said = [report.down("refused: not authorised", t) for t in range(0, 1300, 2)]
    assert said.count("first") == 1 and said.count("reminder") == 2
    assert report.down("cannot connect", 1300) == "first"  # another reason is news
    assert report.up(1310) == (1310, len(said) + 1)
    assert report.up(1320) is None


# A failed attempt between them: a broker restarted three times, each soon after PySEB reconnected, was taken for
# another client with our id, and the next attempts waited 15, 30, 60 s... while the broker was back.
@pytest.mark.parametrize(("attempt_fails_between", "expected"), [(False, [None, None, 15.0, 30.0, 60.0, 120.0]),
                                                                  (True, [None] * 6)])
def test_a_takeover_is_three_short_connections_in_a_row(attempt_fails_between: bool,
                                                         expected: list[float | None]) -> None:
    guard = TakeoverGuard()
    waits = []
    for i in range(6):
        guard.connected(i * 2.0)
        waits.append(guard.dropped(i * 2.0 + 1)[1])
        if attempt_fails_between:
            guard.attempt_failed()  # the broker down for a moment: the first attempt after the drop failed
    assert waits == expected
    guard.connected(100.0)
    assert guard.dropped(200.0) == (100.0, None) and guard.short_in_a_row == 0  # a long connection: all well
    assert guard.dropped(300.0) == (None, None)  # not connected: a failed attempt, paho's own backoff


def test_the_backoff_is_capped() -> None:
    guard = TakeoverGuard()
    for i in range(30):
        guard.connected(float(i))
        _, wait = guard.dropped(i + 0.5)
    assert wait == TakeoverGuard.MAX_BACKOFF_S


# --- a paho callback that raises -------------------------------------------------------------------------

def test_an_exception_in_on_connect_is_handed_to_the_main_loop(tmp_path: Path, broker: PrivateBroker) -> None:
    settings = load_settings(write_config(tmp_path, ("radiator",), port=broker.port))
    events: queue.SimpleQueue[object] = queue.SimpleQueue()

    def subscriptions() -> list[str]:
        raise ValueError("Invalid subscription filter.")  # what paho raises for subscribe("")

    link = MqttLink(settings.mqtt, events, subscriptions)
    link.start()
    try:
        event = events.get(timeout=10)
        assert isinstance(event, LinkFault) and event.fatal and event.callback == "on_connect"
        assert "Invalid subscription filter." in event.trace
        assert link.client._thread is not None and link.client._thread.is_alive()  # paho's thread lives on
    finally:
        link.stop()


def test_stopping_with_the_broker_down_says_the_stop_commands_were_not_delivered(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The regulator's "all loads commanded to 0 W" is queued for a reconnect that will not come.
    settings = load_settings(write_config(tmp_path, ("radiator",), port=1))  # (never connected)
    link = MqttLink(settings.mqtt, queue.SimpleQueue(), lambda: [])
    link.publish("cmnd/radiator/POWER", "OFF", retain=True)  # queued
    link.stop(timeout_s=0.1)
    assert "stopping with the broker link down: the stop commands (every load to 0 W) were not delivered" \
        in caplog.text


# --- a publish that fails -----------------------------------------------------------------------------------

def test_a_failed_publish_leaves_the_belief_where_the_device_is(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(write_config(tmp_path, ("radiator", "small")))
    broken = {RADIATOR}
    original = h.publish

    def publish(topic: str, payload: str | bytes, retain: bool = False) -> None:
        if topic in broken:
            raise ValueError("Publish topic cannot contain wildcards.")
        original(topic, payload, retain)

    h.reg._publish = publish
    for load in h.reg.loads:
        load.bind(publish)
    with caplog.at_level(logging.ERROR):
        h.meters(300, 1800, NOON)  # surplus for the radiator: its command cannot go out
    radiator = h.load("radiator")
    assert radiator.current_power_w == 0 and not radiator.is_on and h.on(RADIATOR) == []
    assert "could not be published" in caplog.text
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 1)
    assert not radiator.is_forced() and radiator.current_power_w == 0  # the force did not happen
    h.reg.shutdown(NOON + 2)  # no exception on the way out
    assert h.reg.status(NOON + 2)["equipments"][0]["current_power"] == 0


def test_stopping_on_a_link_dead_but_not_known_to_be_says_the_stop_commands_may_be_lost(
        tmp_path: Path, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    # The broker frozen (SIGSTOP): the TCP link stays open, nothing is acknowledged, as on a Wi-Fi gone without a
    # word. The stop commands go out into it; "offline" after them is never acknowledged.
    settings = load_settings(write_config(tmp_path, ("radiator",), port=broker.port))
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    link = MqttLink(settings.mqtt, events, lambda: [])
    link.start()
    assert broker.pid is not None
    try:
        deadline = time.monotonic() + 10
        while not link.client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert link.client.is_connected()
        os.kill(broker.pid, signal.SIGSTOP)
        link.publish("cmnd/radiator/POWER", "OFF", retain=True)
        link.stop(timeout_s=0.5, left_on=("radiator",))
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert ("the broker did not acknowledge PySEB's last message within 0.5 s: may not have sent off to radiator: "
            "broker unreachable; the stop commands (every load to 0 W) may not have been delivered") in caplog.text
    assert "stopping with the broker link down" not in caplog.text  # (connected as far as paho knew)


def test_a_clean_stop_says_nothing_of_the_kind(tmp_path: Path, broker: PrivateBroker,
                                              caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(write_config(tmp_path, ("radiator",), port=broker.port))
    link = MqttLink(settings.mqtt, queue.SimpleQueue(), lambda: [])
    link.start()
    deadline = time.monotonic() + 10
    while not link.client.is_connected() and time.monotonic() < deadline:
        time.sleep(0.02)
    link.publish("cmnd/radiator/POWER", "OFF", retain=True)
    link.stop(timeout_s=5)
    assert "acknowledge" not in caplog.text and "link down" not in caplog.text
