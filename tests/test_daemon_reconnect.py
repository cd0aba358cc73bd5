"""What the daemon publishes again when the link comes back: a broker restarted without its retained messages
(no persistence, as in a stock Docker mosquitto; or a power cut before its autosave) lost them all."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from settings.config import load_settings
from shell.daemon import Daemon
from shell.lock import InstanceLock
from shell.mqtt_link import Connected, Disconnected
from tests.configs import reading, write_config

START = datetime(2026, 6, 1, 23, 50, tzinfo=ZoneInfo("Europe/Paris")).timestamp()
CONS, PROD, REPORT = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/report"


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Daemon, list[tuple[str, bytes, bool]]]:
    # (a port no broker listens on: the daemon's steps are called one by one, and nothing connects)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9))
    built = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    sent: list[tuple[str, bytes, bool]] = []
    qos_of: dict[str, int] = {}

    def publish(topic: str, payload: str | bytes, retain: bool = False, qos: int = 1) -> None:
        sent.append((topic, payload if isinstance(payload, bytes) else payload.encode(), retain))
        qos_of[topic] = qos

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

    def refuse(topic: str, payload: str | bytes, retain: bool = False) -> None:
        raise ValueError("Invalid topic.")

    monkeypatch.setattr(built.link, "publish", refuse)
    built._on_connected(Connected(START + 10, first=False))
    assert "the last daily report could not be published again: Invalid topic." in caplog.text


def test_the_too_big_hint_needs_two_drops_in_a_row_after_a_status(
        daemon: tuple[Daemon, list[tuple[str, bytes, bool]]], caplog: pytest.LogCaptureFixture) -> None:
    # One drop 0.5 s after a status is as likely a broker restarted: it was told to raise its max_packet_size.
    built, _ = daemon
    built.status_bytes, built.status_sent_at = 2531, START + 100
    built._on_disconnected(Disconnected(START + 100.5, "the broker closed it", connected_for_s=60.0))
    assert "too big" not in caplog.text
    built._on_connected(Connected(START + 101.5, first=False))
    built.status_sent_at = START + 102
    built._on_disconnected(Disconnected(START + 102.3, "the broker closed it", connected_for_s=0.8))
    assert "just after PySEB published its status (2531 bytes): a broker that refuses a message as too big" \
        in caplog.text
    built._on_connected(Connected(START + 103.3, first=False))
    built._on_disconnected(Disconnected(START + 200, "the broker closed it", connected_for_s=96.7))
    assert caplog.text.count("too big") == 1  # (a drop long after a status ends the row)
