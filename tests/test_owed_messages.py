"""The retained messages paho's full queue refused on the availability and report topics, owed and sent once paho has
room (shell/owed_messages.py, MqttLink.send_owed): once, never twice, never across a connection. paho's answers
stood in for (a link never started): the broker side is in test_daemon_outage_backlog.py."""

from __future__ import annotations

from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from settings.config import load_settings
from shell.event_queue import EventQueue
from shell.mqtt_link import MqttLink, PublishFailed
from tests.configs import write_config

REPORT, AVAIL = "regul/report", "regul/availability"

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt 1.6.1 (make test-paho16)


class PahoAnswers:
    """paho's publish, refusing every message while `full` (its queue at PAHO_QUEUE_MAX); what it took."""

    def __init__(self) -> None:
        self.full = False
        self.taken: list[tuple[str, str | bytes, bool]] = []

    def publish(self, topic: str, payload: str | bytes, qos: int = 0, retain: bool = False) -> mqtt.MQTTMessageInfo:
        info = mqtt.MQTTMessageInfo(len(self.taken) + 1)
        info.rc = mqtt.MQTT_ERR_QUEUE_SIZE if self.full else mqtt.MQTT_ERR_SUCCESS
        if not self.full:
            self.taken.append((topic, payload, retain))
        return info


@pytest.fixture
def link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[MqttLink, PahoAnswers]:
    built = MqttLink(load_settings(write_config(tmp_path, ("small",))).mqtt, EventQueue(lambda event: None, ()), list)
    paho = PahoAnswers()
    monkeypatch.setattr(built.client, "publish", paho.publish)
    return built, paho


def refused_report(link: MqttLink, paho: PahoAnswers, payload: str) -> None:
    paho.full = True
    with pytest.raises(PublishFailed):
        link.publish(REPORT, payload, retain=True)
    paho.full = False


def test_a_refused_report_is_sent_at_the_first_tick_with_room_once(link: tuple[MqttLink, PahoAnswers]) -> None:
    built, paho = link
    refused_report(built, paho, '{"date": "2026-06-01"}')
    paho.full = True
    assert built.send_owed() == []  # (still full: kept)
    paho.full = False
    assert built.send_owed() == [REPORT]
    assert built.send_owed() == []
    assert paho.taken == [(REPORT, '{"date": "2026-06-01"}', True)]


def test_a_refused_report_is_not_sent_after_a_newer_one_went(link: tuple[MqttLink, PahoAnswers]) -> None:
    # (the reconnect's republish_report, or the next midnight's: the broker's retained report is already the newest)
    built, paho = link
    refused_report(built, paho, '{"date": "2026-06-01"}')
    built.publish(REPORT, '{"date": "2026-06-02"}', retain=True)
    assert built.send_owed() == []
    assert [payload for _, payload, _ in paho.taken] == ['{"date": "2026-06-02"}']


def test_what_is_owed_goes_with_its_connection(link: tuple[MqttLink, PahoAnswers]) -> None:
    # Sent at a tick while the link is down, paho kept it for the reconnect, which republishes the report (and
    # publishes `online`) itself: twice.
    built, paho = link
    refused_report(built, paho, '{"date": "2026-06-01"}')
    built._on_disconnect(built.client, "the broker or the network closed it")
    assert built.send_owed() == [] and paho.taken == []
    refused_report(built, paho, '{"date": "2026-06-01"}')
    built._on_connect(built.client, None)  # (a reconnect paho's thread saw before the main loop saw the drop)
    assert built.send_owed() == []
    assert [topic for topic, _, _ in paho.taken] == [AVAIL]  # (the connect's own `online`)


def test_online_refused_at_the_connect_is_owed_until_offline_replaces_it(link: tuple[MqttLink, PahoAnswers]) -> None:
    built, paho = link
    paho.full = True
    built._on_connect(built.client, None)
    paho.full = False
    built.publish(AVAIL, "offline", retain=True)  # (the stop's)
    assert built.send_owed() == []
    assert paho.taken == [(AVAIL, "offline", True)]
