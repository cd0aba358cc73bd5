"""A main loop held up (a log file on a stuck SD card) finds a backlog of messages stamped when paho received
them, minutes before the timers it has run since. Handed on as they were, a reading of minutes ago was decided
on as news, and the core took every stamp for a clock stepped back: each load's energy counter counted the
hold-up a second time from it. The daemon drops the old readings and hands the rest over as received now."""

from __future__ import annotations

import json
import logging
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell.clock_watch import steady_s
from shell.daemon import EXIT_LINK_FAULT, Daemon
from shell.daemon_messages import QUEUED_TOO_LONG_S
from shell.event_queue import MAX_WAITING_BYTES, MAX_WAITING_MESSAGES, Dropped
from shell.link_events import Connected, LinkFault, Message
from shell.lock import InstanceLock
from shell.mqtt_link import MqttLink
from tests.configs import reading, write_config
from tests.mqtt_probe import MqttProbe

CONS, PROD = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION"


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    # (a port no broker listens on: the daemon is never run, only its message step, and nothing connects)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9, algorithm="closed_loop"))
    built = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    built._started = True  # (as after the first connection)
    return built


def waited(wall_at: float) -> float:
    """The steady clock's stamp of a message received at `wall_at` on the wall clock (that far back)."""
    return steady_s() - (time.time() - wall_at)


def handed(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """The (topic, time) of each message the daemon hands to the regulator."""
    calls: list[tuple[str, float]] = []
    monkeypatch.setattr(daemon.reg, "handle", lambda topic, payload, now: calls.append((topic, now)))
    return calls


def test_a_reading_that_waited_in_the_queue_is_dropped(daemon: Daemon, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    calls = handed(daemon, monkeypatch)
    now = time.time()
    daemon._on_message(Message(CONS, reading(300.0), waited(now - 150.0), False))
    daemon._on_message(Message(PROD, reading(300.0), waited(now - 2 * QUEUED_TOO_LONG_S), False))
    assert calls == []
    assert any("waited 150 s in the queue" in r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING)
    daemon._on_message(Message(CONS, reading(300.0), waited(now - 1.0), False))  # (a second's wait: usual)
    assert calls == [(CONS, pytest.approx(now - 1.0, abs=0.1))]


def test_an_order_that_waited_is_handled_as_received_now(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = handed(daemon, monkeypatch)
    before = time.time()
    daemon._on_message(Message(daemon.reg.settings.mqtt.topic_mode, b"auto", waited(before - 150.0), False))
    assert len(calls) == 1 and calls[0][0] == daemon.reg.settings.mqtt.topic_mode
    assert before <= calls[0][1] <= time.time()  # never a time before the timers the loop has run since


def test_the_hold_up_s_energy_is_counted_once(daemon: Daemon) -> None:
    # PV 3000 W, the house 300 W: the heater takes the surplus. Then the loop is held up 150 s; its timers run at
    # the end of it (the heater's energy counted up to then; the house meter silent for them: loads off), and
    # the backlog's readings, stamped inside the hold-up, come out of the queue. Taken for a clock stepped
    # back, they had the heater regulated again at their times, and its energy counted over the hold-up again.
    reg = daemon.reg
    heater = reg.loads[0]
    start = time.time() - 200.0
    at = start
    for _ in range(20):
        at += 2.0
        reg.handle(PROD, reading(3000.0), at - 0.01)
        reg.handle(CONS, reading(300.0 + heater.current_power_w), at)
    drawing_w, before_wh = heater.current_power_w, heater.energy_wh
    assert drawing_w > 1000
    reg.tick(at + 150.0)  # (the stale guard's, at the end of the hold-up)
    assert heater.current_power_w == 0
    held_wh = heater.energy_wh - before_wh
    assert held_wh == pytest.approx(drawing_w * 150.0 / 3600.0, abs=2.0)  # (from its last decision)
    for k in range(1, 75):
        daemon._on_message(Message(PROD, reading(3000.0), waited(at + 2.0 * k - 0.01), False))
        daemon._on_message(Message(CONS, reading(300.0 + heater.current_power_w), waited(at + 2.0 * k), False))
    assert heater.energy_wh - before_wh == pytest.approx(held_wh, abs=1.0)


def test_a_stop_signal_is_not_held_behind_a_backlog(daemon: Daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    # The stop request was queued behind every message waiting: a flood on the broker (or a main loop held up)
    # made SIGTERM wait for all of them, past systemd's TimeoutStopSec, and the kill left the loads as commanded.
    calls = handed(daemon, monkeypatch)
    for k in range(1000):
        daemon.events.put(Message(daemon.reg.settings.mqtt.topic_mode, b"junk %d" % k, steady_s(), False))
    daemon._on_signal(signal.SIGTERM, None)
    daemon._loop()  # (returns at the stop)
    assert calls == []


def test_the_messages_waiting_for_the_main_loop_are_bounded(daemon: Daemon) -> None:
    # Every message paho received was queued for the main loop, however far behind it was: a flood on the broker
    # faster than a Pi Zero handles messages grew the queue, and the daemon's memory, for as long as it lasted.
    link = daemon.link
    for k in range(MAX_WAITING_MESSAGES + 500):
        link._on_message(link.client, None, SimpleNamespace(topic=CONS, payload=b"junk %d" % k, retain=False))
    assert daemon.events.qsize() == MAX_WAITING_MESSAGES
    assert daemon.events.take_dropped() == Dropped(readings=500, last_reading_topic=CONS)
    assert daemon.events.take_dropped() == Dropped()


def test_messages_dropped_for_a_backlog_are_said(daemon: Daemon, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    # The real path: paho's thread hands the link more messages than may wait, the main loop's timer pass says so.
    link = daemon.link
    for k in range(MAX_WAITING_MESSAGES + 500):
        link._on_message(link.client, None, SimpleNamespace(topic=CONS, payload=b"junk %d" % k, retain=False))
    # (the first message handled asks the stop: the loop's first pass then runs its timers, the next one stops)
    monkeypatch.setattr(daemon.reg, "handle", lambda topic, payload, now: daemon._on_signal(signal.SIGTERM, None))
    daemon._loop()
    assert (f"500 MQTT messages dropped (the last on {CONS}): the queue for the main loop was full "
            f"({MAX_WAITING_MESSAGES} messages or 8 MiB waiting)") in caplog.text
    assert daemon.events.take_dropped() == Dropped()  # said once

def deliver(link: MqttLink, topic: str, payload: bytes) -> None:
    """`payload` on `topic` as paho's thread hands it to the link."""
    link._on_message(link.client, None, SimpleNamespace(topic=topic, payload=payload, retain=False))


def test_a_flood_of_readings_loses_no_command_nor_boot_notice(daemon: Daemon, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    # The queue full, the newest message was dropped whatever it was: under a flood of meter readings, a user's
    # force on regul/mode and a variator's boot_detected (its command then never sent again) were lost, while
    # the readings of seconds ago they queued behind were handled. The oldest readings make room for them now.
    link, mode = daemon.link, daemon.reg.settings.mqtt.topic_mode
    force = b'{"command": "force", "name": "ecs", "power": 1500, "duration": 3600}'
    boot = b'{"percent": 0, "power": 0, "mode": 0, "state": "ON", "msg": "boot_detected"}'
    for k in range(MAX_WAITING_MESSAGES):
        deliver(link, CONS, reading(300.0 + k))
    deliver(link, mode, force)
    deliver(link, "regul/vload/ECS", boot)
    for k in range(500):
        deliver(link, PROD, reading(1000.0 + k))
    calls: list[tuple[str, bytes]] = []

    def handle(topic: str, payload: bytes, now: float) -> None:
        calls.append((topic, payload))
        if len(calls) == MAX_WAITING_MESSAGES:
            daemon._on_signal(signal.SIGTERM, None)

    monkeypatch.setattr(daemon.reg, "handle", handle)
    daemon._loop()
    assert (mode, force) in calls and ("regul/vload/ECS", boot) in calls
    powers = [json.loads(payload)["power"] for topic, payload in calls if topic in (CONS, PROD)]
    assert powers[0] == 300.0 + 502 and powers[-1] == 1499.0  # (the oldest 502 readings made room for 500 and two)
    assert "502 MQTT messages dropped (the last on smeter/pzem/CONSOMMATION)" in caplog.text


@pytest.mark.parametrize("behind", [0, 1000])
def test_a_fatal_link_fault_met_at_a_stop_keeps_its_exit_code(daemon: Daemon, behind: int,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # The stop check put the stop request in place of the event just taken from the queue: a fatal fault of the
    # link (on_connect could not subscribe: a deaf daemon) taken in the same pass as a SIGTERM, or waiting behind a
    # backlog when it came, was never seen, and the daemon exited 0, which systemd's Restart=on-failure leaves
    # stopped. The stop is not delayed: the loop returns at once, with the fault's exit code.
    caplog.set_level(logging.INFO)
    now = time.time()
    for k in range(behind):
        daemon.events.put(Message(daemon.reg.settings.mqtt.topic_mode, b"junk %d" % k, steady_s(), False))
    daemon.events.put(LinkFault(now, "on_connect", "Traceback ...\nValueError: Invalid subscription filter.\n", True))
    daemon._on_signal(signal.SIGTERM, None)
    daemon._loop()  # (returns at the stop)
    assert daemon._exit_code == EXIT_LINK_FAULT
    assert "Invalid subscription filter." in caplog.text and "SIGTERM received: stopping" in caplog.text


def test_orders_dropped_for_a_queue_full_of_orders_are_said(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    # Someone flooding regul/mode: no reading waits to make room, and the bound holds anyway. The loss is said
    # apart from dropped readings: orders may be among what was lost.
    link, mode = daemon.link, daemon.reg.settings.mqtt.topic_mode
    for k in range(MAX_WAITING_MESSAGES + 3):
        deliver(link, mode, b"junk %d" % k)
    assert daemon.events.qsize() == MAX_WAITING_MESSAGES
    daemon._say_dropped()
    assert (f"3 MQTT messages dropped (the last on {mode}), not meter readings: the queue for the main loop was full "
            f"({MAX_WAITING_MESSAGES} messages or 8 MiB waiting), too few of them readings to make room") in caplog.text


@pytest.mark.parametrize("behind", [0, 1000])
def test_a_connection_met_at_a_stop_is_said(tmp_path: Path, behind: int, caplog: pytest.LogCaptureFixture) -> None:
    # The link publishes `online` and queues Connected; the main loop says `connected; subscribed` when it takes it.
    # A stop signal is seen before anything queued: a SIGTERM right after `online` (a user who saw PySEB come up,
    # a test) skipped the connection, and the log never said PySEB had connected. It is said, the regulation not
    # started for a stop (no load commanded), and the stop not delayed.
    caplog.set_level(logging.INFO)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    published: list[str] = []
    daemon.link.publish = lambda topic, payload, retain=False: published.append(topic)  # type: ignore[method-assign,assignment,return-value]
    now = time.time()
    daemon.events.put(Connected(now, True))
    for k in range(behind):
        daemon.events.put(Message(settings.mqtt.topic_mode, b"junk %d" % k, steady_s(), False))
    daemon._on_signal(signal.SIGTERM, None)
    daemon._loop()  # (returns at the stop)
    said = [r.getMessage() for r in caplog.records if r.name == "shell.daemon"]
    assert said[0].startswith("connected; subscribed to smeter/pzem/CONSOMMATION")
    assert said[1:] == ["SIGTERM received: stopping"]
    assert not daemon._started and published == []


def test_a_message_too_big_for_the_queue_is_dropped_and_said(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    # Bigger than every message waiting may be together: never queued, whatever its topic, and said apart (it is not
    # a flood: one message no handler would take, PySEB reading none over 64 KiB).
    link, mode = daemon.link, daemon.reg.settings.mqtt.topic_mode
    deliver(link, CONS, reading(300.0))
    deliver(link, mode, b"x" * MAX_WAITING_BYTES)
    assert daemon.events.qsize() == 1
    daemon._say_dropped()
    assert (f"1 MQTT messages dropped (the last on {mode}): each bigger than the 8 MiB all the messages waiting for "
            "the main loop may hold (PySEB reads none over 64 KiB)") in caplog.text


def test_big_messages_through_a_broker_are_bounded_by_their_bytes(tmp_path: Path, broker: PrivateBroker,
                                                                  probe: MqttProbe, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    # A broker passes messages of up to 256 MB (mosquitto's default): the queue, bounded by count only, held 2000 of
    # them whole while the main loop was held up, a Pi Zero's memory gone. The main loop held up here (not run yet),
    # twelve readings of 1 MiB come, then a user's order: the bytes waiting stay within the budget, the oldest
    # readings make room, and the order is handled.
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=broker.port))
    built = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    mode, force = settings.mqtt.topic_mode, b'{"command": "force", "name": "ecs", "power": 1500, "duration": 3600}'
    built.link.start()
    try:
        probe.wait_for(settings.mqtt.topic_availability, lambda m: m.payload == b"online")
        mib = 1024 * 1024
        for k in range(12):
            probe.publish(CONS, (b"%d" % k).ljust(mib, b" "))
        probe.publish(mode, force)
        deadline = time.monotonic() + 20.0
        while built.events.qsize() < 1 + 7 + 1 and time.monotonic() < deadline:  # connected, 7 readings, the order
            assert built.events.waiting_bytes() <= MAX_WAITING_BYTES
            time.sleep(0.05)
        assert built.events.waiting_bytes() == 7 * (mib + len(CONS)) + len(mode) + len(force) <= MAX_WAITING_BYTES
        calls: list[tuple[str, bytes]] = []

        def handle(topic: str, payload: bytes, now: float) -> None:
            calls.append((topic, payload.rstrip()))  # (a reading: its number)
            if topic == mode:
                built._on_signal(signal.SIGTERM, None)

        monkeypatch.setattr(built.reg, "handle", handle)
        built._loop()
    finally:
        built.link.stop()
    assert calls == [*((CONS, b"%d" % k) for k in range(5, 12)), (mode, force)]
    assert f"5 MQTT messages dropped (the last on {CONS}): the queue for the main loop was full" in caplog.text
