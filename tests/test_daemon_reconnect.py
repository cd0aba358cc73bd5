"""What the daemon publishes again when the link comes back: a broker restarted without its retained messages
(no persistence, as in a stock Docker mosquitto; or a power cut before its autosave) lost them all."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pytest

import shell.daemon
from settings.config import load_settings
from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected
from shell.lock import InstanceLock
from shell.mqtt_link import PublishQueueFull
from shell.status_drops import StatusDrops
from tests.configs import reading, write_config

START = datetime(2026, 6, 1, 23, 50, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
CONS, PROD, REPORT = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/report"


class Wall:
    """The wall clock the daemon's status publishes read, set by the test."""

    def __init__(self) -> None:
        self.now = START

    def time(self) -> float:
        return self.now

    def __getattr__(self, name: str) -> object:  # (the rest of the time module, as it is)
        return getattr(time, name)


def status_at(built: Daemon, wall: Wall, at: float, size: int) -> None:
    wall.now = at
    built._publish(built.status_topic, "x" * size)


def reconnected_at(built: Daemon, wall: Wall, at: float) -> None:
    """A reconnect at `at`: its status (the regulator's own, some 2.3 kB for these two loads) goes then."""
    wall.now = at
    built._on_connected(Connected(at, first=False))


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> Wall:
    clock = Wall()
    monkeypatch.setattr(shell.daemon, "time", clock)
    return clock


@pytest.fixture
def daemon(tmp_path: Path, wall: Wall, monkeypatch: pytest.MonkeyPatch) -> tuple[Daemon, list[tuple[str, bytes, bool]]]:
    # (a port no broker listens on: the daemon's steps are called one by one, and nothing connects)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9))
    built = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    sent: list[tuple[str, bytes, bool]] = []
    qos_of: dict[str, int] = {}

    def publish(topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> mqtt.MQTTMessageInfo:
        sent.append((topic, payload if isinstance(payload, bytes) else payload.encode(), retain))
        qos_of[topic] = qos
        return mqtt.MQTTMessageInfo(len(sent))  # (sent on a live link: its rc is success)

    monkeypatch.setattr(built.link, "publish", publish)
    built.qos_of = qos_of  # type: ignore[attr-defined]
    built._on_connected(Connected(START, first=True))
    return built, sent


def test_a_reconnect_publishes_the_last_daily_report_again(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]]) -> None:
    built, sent = daemon
    for k in range(320):  # 23:50 to 00:00:40: the day's report is published just after midnight
        now = START + 2 * k
        built.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in built.reg.loads)), now)
        built.reg.handle(PROD, reading(2000), now + 1)
        built.reg.tick(now + 1)
    reports = [(payload, retain) for topic, payload, retain in sent if topic == REPORT]
    assert len(reports) == 1 and reports[0][1] is True
    sent.clear()
    built._on_connected(Connected(START + 700, first=False))  # the broker restarted, its retained report gone
    assert [(payload, retain) for topic, payload, retain in sent if topic == REPORT] == reports


def test_the_status_goes_at_qos_0_the_rest_at_qos_1(daemon: tuple[Daemon, list[tuple[str, bytes, bool]]]) -> None:
    # The status is replaced by the next one: at QoS 1 paho kept one across an outage and sent it again at every
    # reconnect (a broker refusing it as too big dropped the link at once each time).
    built, sent = daemon
    for k in range(5):
        now = START + 2 * k
        built.reg.handle(CONS, reading(300 + sum(load.current_power_w for load in built.reg.loads)), now)
        built.reg.handle(PROD, reading(2000), now + 1)
        built.reg.tick(now + 1.5)
    qos_of = built.qos_of  # type: ignore[attr-defined]
    assert qos_of["regul/status"] == 0
    assert {qos_of[topic] for topic in qos_of if topic != "regul/status"} == {1}


def test_a_reconnect_before_any_report_publishes_none(daemon: tuple[Daemon, list[tuple[str, bytes, bool]]]) -> None:
    built, sent = daemon
    built._on_connected(Connected(START + 10, first=False))
    assert not [topic for topic, _, _ in sent if topic == REPORT]


def test_a_report_that_cannot_be_published_again_does_not_stop_the_daemon(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    built, _ = daemon
    built.reg._last_report = '{"date": "2026-06-01"}'

    def refuse(topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> None:
        raise ValueError("Invalid topic.")

    monkeypatch.setattr(built.link, "publish", refuse)
    built._on_connected(Connected(START + 10, first=False))
    # (not owed: only a full queue's refusal is, shell/owed_messages.py; the next reconnect publishes it again)
    assert "the last daily report could not be published again (Invalid topic.): tried again at the next reconnect" \
        in caplog.text
    assert "sent as soon as the link takes it" not in caplog.text


def test_a_report_paho_s_full_queue_refuses_at_a_reconnect_is_said_owed(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    built, _ = daemon
    built.reg._last_report = '{"date": "2026-06-01"}'

    def full(topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> None:
        raise PublishQueueFull(mqtt.error_string(mqtt.MQTT_ERR_QUEUE_SIZE))  # (as MqttLink.publish raises it)

    monkeypatch.setattr(built.link, "publish", full)
    built._on_connected(Connected(START + 10, first=False))
    assert "the last daily report could not be published again (Message queue full.): sent as soon as the link " \
           "takes it" in caplog.text


CLOSED = "the broker or the network closed it"  # (paho_compat.CONNECTION_CLOSED: what a broker's drop is said as)


def test_the_too_big_hint_is_not_said_when_a_status_as_big_went_through(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # Two broker restarts, each a fraction of a second after a status: "a broker that refuses a message as too big",
    # of statuses no bigger than many the broker had taken.
    built, _ = daemon
    status_at(built, wall, START + 10, 2600)
    status_at(built, wall, START + 20, 2600)  # (the first went through: the link stayed up)
    status_at(built, wall, START + 100, 2531)
    built._on_disconnected(Disconnected(START + 100.5, CLOSED, connected_for_s=100.0))
    reconnected_at(built, wall, START + 101.5)
    status_at(built, wall, START + 102, 2531)
    built._on_disconnected(Disconnected(START + 102.3, CLOSED, connected_for_s=0.8))
    assert "too big" not in caplog.text


def test_the_too_big_hint_needs_its_drops_in_a_row_with_no_status_through_between(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # A drop right after a status on Monday, another on Friday: "in a row", as no drop came between.
    built, _ = daemon
    status_at(built, wall, START + 100, 2531)
    built._on_disconnected(Disconnected(START + 100.5, CLOSED, connected_for_s=100.0))
    reconnected_at(built, wall, START + 101.5)
    status_at(built, wall, START + 110, 2400)
    status_at(built, wall, START + 120, 2400)
    status_at(built, wall, START + 4 * 86400, 2540)
    built._on_disconnected(Disconnected(START + 4 * 86400 + 0.4, CLOSED, connected_for_s=4 * 86400.0))
    assert "too big" not in caplog.text


def test_the_too_big_hint_is_not_said_of_drops_the_broker_did_not_make(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # (the broker drops a client whose message is over its limit: it closes the connection, at once; a keepalive
    # that ran out is the network or a broker gone silent)
    built, _ = daemon
    for k in range(2):
        status_at(built, wall, START + 100 * k, 3000)
        built._on_disconnected(Disconnected(START + 100 * k + 0.3, "Keep alive timeout", connected_for_s=90.0))
        reconnected_at(built, wall, START + 100 * k + 1.3)
    assert "too big" not in caplog.text


def test_the_too_big_hint_is_said_of_drops_at_each_status_none_as_big_through(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    built, _ = daemon
    status_at(built, wall, START + 10, 2400)
    status_at(built, wall, START + 20, 2400)  # (2400 bytes went through; the start's status, smaller, too)
    status_at(built, wall, START + 100, 2531)
    built._on_disconnected(Disconnected(START + 100.05, CLOSED, connected_for_s=100.0))
    assert "too big" not in caplog.text  # (one is as likely a broker restarted)
    reconnected_at(built, wall, START + 101.05)
    status_at(built, wall, START + 101.1, 2531)
    built._on_disconnected(Disconnected(START + 101.15, CLOSED, connected_for_s=0.1))
    assert ("just after PySEB published its status (2531 bytes): a broker that refuses a message as too big "
            '("oversize packet" in its log) drops the link so; raise its max_packet_size; until it fits, PySEB '
            "publishes no status bigger than the largest the broker took (2400 bytes), and tries one again in 1 min, "
            "then every 60 min") \
        in caplog.text


def test_the_too_big_hint_needs_two_drops_in_a_row_after_a_status(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # One drop 0.5 s after a status is as likely a broker restarted: it was told to raise its max_packet_size.
    built, _ = daemon
    status_at(built, wall, START + 100, 2531)
    built._on_disconnected(Disconnected(START + 100.5, CLOSED, connected_for_s=60.0))
    assert "too big" not in caplog.text
    reconnected_at(built, wall, START + 101.5)
    status_at(built, wall, START + 102, 2531)
    built._on_disconnected(Disconnected(START + 102.3, CLOSED, connected_for_s=0.8))
    assert "just after PySEB published its status (2531 bytes): a broker that refuses a message as too big" \
        in caplog.text
    reconnected_at(built, wall, START + 103.3)
    status_at(built, wall, START + 103.5, 2531)
    built._on_disconnected(Disconnected(START + 200, CLOSED, connected_for_s=96.7))
    assert caplog.text.count("too big") == 1  # (a drop long after a status ends the row)


def test_the_too_big_hint_is_said_when_the_drop_that_begins_the_hold_is_a_takeover_s(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # The drop that makes two in a row came as the third short connection in a row (the takeover's backoff): the hold
    # began with only the takeover's warning said, its "or ... too big" as likely as a second client; nothing said the
    # status was held back, nor when it is tried again.
    built, _ = daemon
    status_at(built, wall, START + 100, 2531)
    built._on_disconnected(Disconnected(START + 100.5, CLOSED, connected_for_s=0.6))
    reconnected_at(built, wall, START + 101.5)
    status_at(built, wall, START + 102, 2531)
    built._on_disconnected(Disconnected(START + 102.3, CLOSED, connected_for_s=0.8, taken_over=3, backoff_s=30.0))
    assert built.status_drops.holding
    assert "another client is probably connected with client_id" in caplog.text
    # (a sentence of its own: "Next attempt in 30 s, just after PySEB published its status" read as the attempt's time)
    assert ("Next attempt in 30 s. This drop came just after PySEB published its status (2531 bytes): a broker that "
            'refuses a message as too big ("oversize packet" in its log) drops the link so; raise its max_packet_size; '
            "until it fits, PySEB publishes no status bigger than the largest the broker took ("
            f"{built.status_drops.passed_bytes} bytes), and tries one again in 1 min, then every 60 min"
            ) in caplog.text


def test_a_status_paho_did_not_send_is_no_evidence_either_way() -> None:
    drops = StatusDrops()
    drops.sent(5000, 100.0, live=False)  # (the link down: paho dropped it)
    assert drops.dropped(100.2, closed_by_broker=True) is None and drops.in_a_row == 0
    drops.sent(5000, 200.0, live=False)
    drops.sent(3000, 300.0, live=True)
    assert drops.passed_bytes == 0  # (not taken for one that went through)
    assert drops.dropped(300.1, closed_by_broker=True) == 3000 and drops.in_a_row == 1


def statuses(sent: list[tuple[str, bytes, bool]]) -> list[int]:
    return [len(payload) for topic, payload, _ in sent if topic == "regul/status"]


def test_a_status_too_big_for_the_broker_is_held_back_tried_again_then_hourly_until_it_fits(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # Published at every connect, a status over the broker's limit had it drop each connection at once: nothing was
    # regulated. Held back once the drops point at its size (the connect's own status too); one bigger than the
    # broker took is tried again a minute on, then every hour; one that goes through lifts the hold.
    caplog.set_level(logging.INFO, logger="shell.daemon")
    built, sent = daemon
    built.status_drops = StatusDrops()  # (the start's status, some 2.3 kB as the connect's, forgotten)
    status_at(built, wall, START + 10, 2000)  # (went through)
    status_at(built, wall, START + 100, 2531)
    built._on_disconnected(Disconnected(START + 100.05, CLOSED, connected_for_s=100.0))
    reconnected_at(built, wall, START + 101.05)
    status_at(built, wall, START + 101.1, 2531)
    built._on_disconnected(Disconnected(START + 101.15, CLOSED, connected_for_s=0.1))
    assert "until it fits, PySEB publishes no status bigger than the largest the broker took (2000 bytes), and " \
           "tries one again in 1 min, then every 60 min" in caplog.text
    del sent[:]
    reconnected_at(built, wall, START + 102.15)  # (its own status, some 2.3 kB: held back)
    status_at(built, wall, START + 110, 2531)
    status_at(built, wall, START + 120, 2000)
    assert statuses(sent) == [2000]  # (the commands went: the link holds)
    assert [topic for topic, _, _ in sent if topic != "regul/status"]  # (the reconnect's commands)
    status_at(built, wall, START + 101.15 + 60, 2531)  # a minute on: tried
    status_at(built, wall, START + 101.16 + 60, 2531)
    assert statuses(sent) == [2000, 2531]
    built._on_disconnected(Disconnected(START + 101.2 + 60, CLOSED, connected_for_s=59.0))
    assert "just after PySEB tried its status again (2531 bytes), held back as too big for the broker: still too " \
           "big, held back again (raise its max_packet_size: \"oversize packet\" in its log); tried again in 60 min" \
           in caplog.text
    reconnected_at(built, wall, START + 102.2 + 60)
    status_at(built, wall, START + 101.15 + 60 + 1800, 2531)  # (half an hour on: held back)
    assert statuses(sent) == [2000, 2531]
    status_at(built, wall, START + 101.15 + 60 + 3600, 2531)  # an hour after the first try: tried
    status_at(built, wall, START + 101.16 + 60 + 3600, 2531)
    assert statuses(sent) == [2000, 2531, 2531]
    built._on_disconnected(Disconnected(START + 101.2 + 60 + 3600, CLOSED, connected_for_s=3599.0))
    assert caplog.text.count("still too big, held back again") == 2
    reconnected_at(built, wall, START + 102.2 + 60 + 3600)
    assert statuses(sent) == [2000, 2531, 2531]
    status_at(built, wall, START + 102.2 + 60 + 7200, 2540)  # the broker's limit raised meanwhile: it goes through
    status_at(built, wall, START + 110 + 60 + 7200, 2560)
    assert statuses(sent) == [2000, 2531, 2531, 2540, 2560]
    assert "the broker took PySEB's status (2540 bytes), held back as too big since: published again" in caplog.text


def test_two_drops_at_the_start_right_after_a_status_hold_it_back_a_minute_not_an_hour(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # At a run's start nothing has gone through yet: a broker restarted twice (or a second client with our client
    # id), each within a second of a connect's status, pointed at the size and held every status back for an hour.
    caplog.set_level(logging.INFO, logger="shell.daemon")
    built, sent = daemon
    built.status_drops = StatusDrops()  # (the start's status, a second before the first drop: none through yet)
    status_at(built, wall, START + 0.5, 2300)
    built._on_disconnected(Disconnected(START + 0.9, CLOSED, connected_for_s=0.9))
    reconnected_at(built, wall, START + 1.9)  # (its own status: the second drop comes right after it)
    built._on_disconnected(Disconnected(START + 2.3, CLOSED, connected_for_s=0.4))
    assert built.status_drops.holding  # (as a status really too big is: nothing weighs against the two drops)
    del sent[:]
    reconnected_at(built, wall, START + 3.3)  # the broker up for good
    for k in range(1, 20):  # a status every 10 s
        status_at(built, wall, START + 3.3 + 10 * k, 2300)
    assert statuses(sent) == [2300] * 14  # (from a minute on: the try went through, the hold lifted)
    assert "the broker took PySEB's status (2300 bytes), held back as too big since: published again" in caplog.text


def test_a_drop_right_after_a_message_bigger_than_the_status_does_not_point_at_it(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], wall: Wall, caplog: pytest.LogCaptureFixture) -> None:
    # Home Assistant's discovery configs (some 1 kB each) go out at each connect just before the status: one over the
    # broker's limit has it drop the link at every connect, right after the status. A status smaller than a config is
    # not why: held back, it was held for nothing (the drops went on).
    built, sent = daemon
    built.status_drops = StatusDrops()
    for k in range(2):
        at = START + 10 * k
        wall.now = at
        built._publish("homeassistant/sensor/pyseb/ecs_power/config", "c" * 1100, retain=True)
        status_at(built, wall, at + 0.01, 900)
        built._on_disconnected(Disconnected(at + 0.05, CLOSED, connected_for_s=0.05))
    assert "too big" not in caplog.text and not built.status_drops.holding
    status_at(built, wall, START + 20, 900)
    assert statuses(sent)[-1] == 900


def test_a_status_held_back_is_tried_again_within_the_hour_after_the_clock_stepped_back() -> None:
    # Held back at 10:00 (wall time), the next try due at 11:00; the clock then stepped back a day (NTP after a wrong
    # RTC, an owner's date): the try waited for the clock to reach 11:00 again, a day and an hour without a status.
    drops = StatusDrops()
    day = 86400.0
    for at in (1000.0, 1002.0):
        drops.sent(2531, at, live=True)
        drops.dropped(at + 0.05, closed_by_broker=True)
    assert drops.holding
    assert not drops.allows(2531, 1010.0)
    back = 1010.0 - day
    assert not drops.allows(2531, back)  # (held back still: the hour counts from the step)
    assert drops.allows(2531, back + drops.retry_s)
    assert not drops.allows(2531, back + drops.retry_s + 10.0)


def test_a_hold_s_first_try_comes_a_minute_after_a_clock_stepped_back_within_that_minute() -> None:
    # The first try is due a minute after the hold began; the clock stepped back meanwhile (NTP at a Pi's boot, the
    # run's start, as the two drops were): the step was told from the try's due time by the hour of the later tries,
    # and the first try waited for the clock to catch up (a step of half an hour: half an hour more without a
    # status), or an hour after a longer step, where the hint had said "in 1 min".
    for step_s in (1800.0, 86400.0):
        drops = StatusDrops()
        for at in (1000.0, 1002.0):  # (nothing through yet: the run's start)
            drops.sent(2531, at, live=True)
            drops.dropped(at + 0.05, closed_by_broker=True)
        assert drops.holding and not drops.allows(2531, 1010.0)
        back = 1010.0 - step_s
        assert not drops.allows(2531, back)  # (held back still: the minute counts from the step)
        assert drops.allows(2531, back + drops.first_try_s), step_s
        assert not drops.allows(2531, back + drops.first_try_s + 10.0)  # (the next try an hour on)
        assert drops.allows(2531, back + drops.first_try_s + drops.retry_s)


def test_a_status_held_back_that_goes_through_after_the_clock_stepped_back_lifts_the_hold() -> None:
    # A status sent just before the clock stepped back a day stood first among those not known through yet, dated a
    # day ahead: none after it was taken for through until the clock caught up, the hold kept (and the broker's
    # largest taken frozen) a day more, though the try an hour after the step went through.
    drops = StatusDrops()
    day = 86400.0
    drops.sent(2000, 900.0, live=True)
    for at in (1000.0, 1002.0):
        drops.sent(2531, at, live=True)
        drops.dropped(at + 0.05, closed_by_broker=True)
    assert drops.holding and drops.passed_bytes == 2000
    assert drops.allows(2000, 1010.0)
    drops.sent(2000, 1010.0, live=True)
    back = 1010.5 - day
    assert drops.allows(2000, back)
    drops.sent(2000, back, live=True)
    assert drops.allows(2531, back + drops.retry_s)
    drops.sent(2531, back + drops.retry_s, live=True)
    assert drops.allows(2531, back + drops.retry_s + 10.0)  # (it went through: the hold lifted)
    assert drops.take_lifted() == 2531 and not drops.holding


def test_a_hold_s_first_try_comes_a_minute_on_the_next_ones_hourly() -> None:
    drops = StatusDrops()
    for at in (1000.0, 1002.0):  # (nothing through yet: the run's start)
        drops.sent(2531, at, live=True)
        drops.dropped(at + 0.05, closed_by_broker=True)
    assert drops.holding and drops.passed_bytes == 0
    assert not drops.allows(2531, 1002.05 + drops.first_try_s - 1.0)
    first = 1002.05 + drops.first_try_s
    assert drops.allows(2531, first)
    drops.sent(2531, first, live=True)
    assert drops.dropped(first + 0.05, closed_by_broker=True) == 2531  # (still too big: a third drop in a row)
    assert not drops.allows(2531, first + 60.0) and not drops.allows(2531, first + drops.retry_s - 1.0)
    assert drops.allows(2531, first + drops.retry_s)


def test_a_status_sent_with_a_bigger_message_is_not_what_a_drop_points_at() -> None:
    drops = StatusDrops()
    drops.other_sent(1100, 1000.0, live=True)  # (Home Assistant's discovery config, at the connect)
    drops.sent(900, 1000.01, live=True)
    assert drops.dropped(1000.05, closed_by_broker=True) is None and drops.in_a_row == 0
    drops.other_sent(1100, 1001.0, live=False)  # (not sent: no evidence either way)
    drops.other_sent(800, 1001.0, live=True)  # (smaller than the status: the status is the likelier)
    drops.sent(900, 1001.01, live=True)
    assert drops.dropped(1001.05, closed_by_broker=True) == 900 and drops.in_a_row == 1
    drops.other_sent(5000, 1002.0, live=True)
    assert drops.passed_bytes == 0  # (the others that went through are not the status's sizes)
    drops.sent(900, 1010.0, live=True)
    assert drops.allows(900, 1011.5) and drops.passed_bytes == 900


def test_a_try_of_a_status_held_back_that_paho_did_not_send_is_made_again_at_the_next_status() -> None:
    # The try fell while the link was down (paho sends no QoS 0 message then): no try at all, and the status held an
    # hour more, though the broker's limit may have been raised meanwhile (a restart of the broker: the drop).
    drops = StatusDrops()
    for at in (1000.0, 1002.0):
        drops.sent(2531, at, live=True)
        drops.dropped(at + 0.05, closed_by_broker=True)
    try_at = 1002.05 + drops.first_try_s
    assert drops.allows(2531, try_at)
    drops.sent(2531, try_at, live=False)
    assert drops.allows(2531, try_at + 10.0)  # (tried at the next one)
    drops.sent(2531, try_at + 10.0, live=True)
    assert not drops.allows(2531, try_at + 10.5)
