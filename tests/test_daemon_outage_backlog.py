"""What reaches the broker after an outage: each load's command in effect, the last daily report, once; not the
backlog of what the regulator published meanwhile (paho keeps every QoS 1 message made while the link is down, without
a bound, and sends them all at the reconnect: a night force's on then its off, a Domoticz switch flipped on then off,
a timed force's end, the report twice). The daemon's steps one by one, on a real broker stopped and started again, its
clock simulated (a night's timers in seconds)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import shell.mqtt_link
import shell.paho_compat
from core.daily_report import DailyReport
from localbroker import PrivateBroker
from settings.config import load_settings
from shell.daemon import Daemon
from shell.event_queue import EventQueue
from shell.link_events import Connected, Disconnected
from shell.lock import InstanceLock
from shell.mqtt_link import MqttLink, PublishFailed
from tests.configs import reading, write_config
from tests.daemon_events import next_event
from tests.field_domoticz import DZ_IN, ECS_SWITCH
from tests.field_house import ECS_CMD, ECS_STATUS, RADIATOR, at, field_config
from tests.harness import CONS, MODE, PROD
from tests.mqtt_probe import MqttProbe

REPORT, MARK, STATUS = "regul/report", "test/mark", "regul/status"


@pytest.fixture
def daemon(tmp_path: Path, broker: PrivateBroker) -> Iterator[Daemon]:
    """A daemon with the water heater (its Domoticz force switch, the fallback's night force by default) and a relay,
    on the broker."""
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                        extra="[domoticz]\nidx_grid = 5\nidx_injection = 6\n")
    with daemon_on(path, broker) as built:
        yield built


@contextmanager
def daemon_on(path: Path, broker: PrivateBroker) -> Iterator[Daemon]:
    """The daemon of the config at `path` (its port 9 made `broker`'s), built, not run: the test drives its clock."""
    path.write_text(path.read_text().replace("port = 9\n", f"port = {broker.port}\n"))
    lock = InstanceLock(path.parent / "test.lock")
    lock.acquire()
    built = Daemon(load_settings(path), lock)
    try:
        yield built
    finally:
        if lock._fd is not None:  # (not stopped by the test)
            built._shutdown()


def ticks(daemon: Daemon, start: float, end: float, step_s: float = 10.0) -> float:
    now = start
    while now <= end:
        daemon.reg.tick(now)
        now += step_s
    return now


def evening_then_outage(daemon: Daemon, broker: PrivateBroker) -> float:
    """A grey day: the regulator runs on silent meters from 00:30, decides on readings for 10 min at 22:00 (a day
    with something to report), the radiator forced for 30 min at 22:10; the broker goes at 22:10 and the link's
    thread is held (paho retries on its own: the probe must be in before it is back). The outage's night, on ticks:
    the radiator's force ends, midnight's report, the fallback's force of the heater at 01:00 (on its Domoticz switch
    too) ended when its variator does not answer (the link is down). Returns the time the broker is back."""
    daemon.link.start()
    next_event(daemon, Connected)
    daemon._on_connected(Connected(at(2024, 1, 10, 0, 30), first=True))
    now = ticks(daemon, at(2024, 1, 10, 0, 30), at(2024, 1, 10, 22, 0), 60.0)
    for _ in range(300):
        daemon.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in daemon.reg.loads)), now)
        daemon.reg.handle(PROD, reading(100), now + 0.01)
        daemon.reg.tick(now + 0.5)
        now += 2
    daemon.reg.handle(ECS_STATUS, b'{"percent": 0, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}', now)
    daemon.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000,"duration":1800}', now + 1)
    assert daemon.reg.loads_by_name["radiator"].current_power_w == 1000
    # (the evening's messages, made in a moment of the test's time, all acknowledged first: QoS 1, in order)
    daemon.link.publish(MARK, "before").wait_for_publish(5)
    broker.stop()
    down = next_event(daemon, Disconnected)
    daemon.link.client.loop_stop()
    daemon._on_disconnected(Disconnected(now + 2, down.reason, down.connected_for_s))
    back_at = ticks(daemon, now + 2, at(2024, 1, 11, 6, 0), 10.0)
    assert daemon.reg.counted_day == "2024-01-11"
    assert all(load.current_power_w == 0 for load in daemon.reg.loads)
    return back_at


def back(daemon: Daemon, broker: PrivateBroker, back_at: float) -> MqttProbe:
    """The broker started again (without its retained messages), a probe on every topic, then the link: what the
    daemon sends at the reconnect, up to a mark it publishes last (QoS 1 on one link: in order)."""
    broker.start()
    probe = MqttProbe(broker.host, broker.port)
    daemon.link.client.loop_start()
    next_event(daemon, Connected)
    daemon._on_connected(Connected(back_at, first=False))
    daemon.link.publish(MARK, "end")
    probe.wait_for(MARK, lambda m: m.text == "end")
    return probe


def test_after_an_outage_the_broker_gets_each_load_s_command_in_effect_and_the_last_report_once(
        daemon: Daemon, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    back_at = evening_then_outage(daemon, broker)
    probe = back(daemon, broker, back_at)
    try:
        assert [m.text for m in probe.on(ECS_CMD)] == ["0"]  # (not the night force's 100, then its 0)
        assert [m.text for m in probe.on(RADIATOR)] == ["OFF"]
        reports = [json.loads(m.payload) for m in probe.on(REPORT)]
        assert [report["date"] for report in reports] == ["2024-01-10"]
        # Domoticz's switch is asked what it shows (and shown the load's state once it answered), not flipped on then
        # off by the night's backlog.
        sent_to_domoticz = [json.loads(m.payload) for m in probe.on(DZ_IN)]
        assert sent_to_domoticz == [{"command": "getdeviceinfo", "idx": ECS_SWITCH}]
    finally:
        probe.close()
    assert "reconnected: subscriptions renewed, commands and the last daily report re-sent; 4 messages made while " \
           "the broker was unreachable dropped, not queued (on cmnd/radiator/POWER, regul/report, " \
           "regul/vload/ECS/cmd): what is in effect replaces them" in caplog.text


def test_a_reconnect_publishes_the_status_in_effect(daemon: Daemon, broker: PrivateBroker) -> None:
    # The status (QoS 0, not kept by paho) last went out before the outage: a reader of it saw the evening's forced
    # radiator until the next decision or status_interval, however long the meters stayed silent after the reconnect.
    back_at = evening_then_outage(daemon, broker)
    probe = back(daemon, broker, back_at)
    try:
        doc = json.loads(probe.wait_for(STATUS).payload)
        assert doc["date"] == int(back_at)
        assert all(load["current_power"] == 0 for load in doc["equipments"])
    finally:
        probe.close()


def test_a_stop_on_a_link_back_before_the_main_loop_took_it_sends_its_offs(daemon: Daemon,
                                                                          broker: PrivateBroker) -> None:
    # Dropped while the link is known down, the stop's offs were lost on a link paho had back, its Connected event
    # still waiting: `offline` acknowledged, nothing said, the relay left on.
    daemon.link.start()
    next_event(daemon, Connected)
    now = at(2024, 1, 10, 22, 0)
    daemon._on_connected(Connected(now, first=True))
    daemon.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000}', now + 1)  # (until unforced)
    daemon.link.publish(MARK, "before").wait_for_publish(5)
    broker.stop()
    down = next_event(daemon, Disconnected)
    daemon.link.client.loop_stop()
    daemon._on_disconnected(Disconnected(now + 2, down.reason, down.connected_for_s))
    ticks(daemon, now + 2, now + 120, 10.0)
    assert daemon.reg.loads_by_name["radiator"].current_power_w == 1000  # (forced: kept on while suspended)
    broker.start()
    probe = MqttProbe(broker.host, broker.port)
    try:
        daemon.link.client.loop_start()
        next_event(daemon, Connected)  # (taken from the queue, not handled: the stop comes first)
        daemon._shutdown()
        probe.wait_for("regul/availability", lambda m: m.text == "offline")
        assert [m.text for m in probe.on(RADIATOR)] == ["OFF"]
    finally:
        probe.close()


def test_paho_s_queue_is_bounded_and_its_refusal_said_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    # A backstop (the daemon hands paho nothing while it knows the link is down): by default paho kept every QoS 1
    # message for the next connection, without a bound. A link never connected: each is kept, up to the bound.
    monkeypatch.setattr(shell.mqtt_link, "PAHO_QUEUE_MAX", 3)
    link = MqttLink(load_settings(write_config(tmp_path, ("small",))).mqtt, EventQueue(lambda event: None, ()), list)
    for k in range(3):
        link.publish("regul/cload/small", str(k))
    for k in range(3, 6):
        with pytest.raises(PublishFailed):
            link.publish("regul/cload/small", str(k))
    assert caplog.text.count("paho holds 3 messages the broker has not acknowledged (PAHO_QUEUE_MAX): "
                             "regul/cload/small and the next ones are refused until it does") == 1


@pytest.fixture
def small_queue_daemon(tmp_path: Path, broker: PrivateBroker, monkeypatch: pytest.MonkeyPatch) -> Iterator[Daemon]:
    """A daemon with one relay on the broker, not started, paho's queue bounded to 3 messages (PAHO_QUEUE_MAX)."""
    monkeypatch.setattr(shell.mqtt_link, "PAHO_QUEUE_MAX", 3)
    lock = InstanceLock(tmp_path / "test.lock")
    lock.acquire()
    built = Daemon(load_settings(write_config(tmp_path, ("small",), port=broker.port)), lock)
    try:
        yield built
    finally:
        if lock._fd is not None:  # (not stopped by the test)
            built._shutdown()


def ticks_until(built: Daemon, arrived: Callable[[], bool]) -> None:
    """The main loop's ticks sending what is owed, every 50 ms, until `arrived` (5 s at most)."""
    for _ in range(100):
        built._send_owed()
        if arrived():
            return
        time.sleep(0.05)


def test_what_paho_held_for_a_connection_is_dropped_at_it_and_online_taken(
        small_queue_daemon: Daemon, probe: MqttProbe, caplog: pytest.LogCaptureFixture) -> None:
    # paho sends what it kept for the connection right after the CONNACK: the commands of a link dead but not yet known
    # to be, sent late (tests/test_daemon_dead_link.py), and with its queue full `online` refused. Dropped at the
    # connect: what is in effect is sent by the daemon once it takes the connection.
    built = small_queue_daemon
    availability = built.link.settings.topic_availability
    for k in range(3):
        built.link.publish("regul/cload/small", str(k))  # (kept for the connection: the queue full)
    built.link.start()
    connected = next_event(built, Connected)
    assert connected.dropped == ("regul/cload/small",) * 3 and not connected.online_refused
    built._on_connected(connected)
    probe.wait_for(availability, lambda m: m.text == "online")
    built.link.publish(MARK, "end").wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == "end")
    assert [m.text for m in probe.on("regul/cload/small")] == ["0"]  # (the start's: every load to 0 W)
    assert "refused `online`" not in caplog.text


def test_online_refused_by_paho_s_full_queue_at_a_connect_is_sent_once_it_has_room(
        small_queue_daemon: Daemon, probe: MqttProbe, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # paho sends what it kept for the connection after `online` is published: with its queue full (a link dead but not
    # yet known to be, PAHO_QUEUE_MAX messages handed to it), `online` was refused without a word, and the
    # availability topic said `offline` (the broker's will) for as long as that connection lasted. (A backstop since
    # the connect drops what paho kept, but at a stop: the drop off here.)
    monkeypatch.setattr(shell.paho_compat, "drop_kept", lambda client, keep: [])
    built = small_queue_daemon
    availability = built.link.settings.topic_availability
    for k in range(3):
        built.link.publish("regul/cload/small", str(k))  # (kept for the connection: the queue full)
    built.link.start()
    built._on_connected(next_event(built, Connected))
    probe.wait_for("regul/cload/small", lambda m: m.text == "2")
    # (the main loop's ticks, until paho has the broker's acknowledgements)
    ticks_until(built, lambda: any(m.text == "online" for m in probe.on(availability)))
    probe.wait_for(availability, lambda m: m.text == "online", timeout_s=1)
    assert "it refused `online` on regul/availability" in caplog.text


DAY_REPORT = DailyReport("2026-06-01", 24.0, 12000.0, 6000.0, 4000.0, 2000.0, 500.0, 100.0, 300.0, ())


def full_paho_queue(built: Daemon) -> None:
    """paho's queue full on a live link (PAHO_QUEUE_MAX patched to 3): what it holds is acknowledged first, then its
    network thread is held, the broker's acknowledgements of the next 3 unread (a link dead but not yet known to be)."""
    built.link.publish(MARK, "before").wait_for_publish(5)
    built.link.client.loop_stop()
    for k in range(3):
        built.link.publish(MARK, str(k))



def test_a_report_refused_by_paho_s_full_queue_is_sent_once_it_has_room_once(
        small_queue_daemon: Daemon, probe: MqttProbe, caplog: pytest.LogCaptureFixture) -> None:
    # As `online` at a connect: the report refused was sent again only at the next reconnect, the broker's report
    # meanwhile the day before's (hours, on a link that holds). Owed: sent at the ticks once paho has room, once.
    caplog.set_level(logging.INFO, logger="shell.daemon")
    built = small_queue_daemon
    built.link.start()
    built._on_connected(next_event(built, Connected))
    full_paho_queue(built)
    built.reg._publish_report(DAY_REPORT)
    assert "the report of 2026-06-01 could not be published (Message queue full.): sent again as soon as the " \
           "link takes it" in caplog.text
    built._send_owed()  # (paho's queue still full: kept owed)
    built.link.client.loop_start()  # (the acknowledgements read: room)
    ticks_until(built, lambda: bool(probe.on(REPORT)))  # the main loop's ticks
    for _ in range(5):
        built._send_owed()
    built.link.publish(MARK, "after").wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == "after")
    built._shutdown()
    assert [json.loads(m.text)["date"] for m in probe.on(REPORT)] == ["2026-06-01"]
    assert "the daily report published on regul/report: paho has room again" in caplog.text
