"""The hourly heartbeat to Domoticz ([domoticz] idx_keep_alive) through the daemon's own publish and link, on a real
mosquitto: a subscriber on domoticz/in sees it at hh:21 of the daemon's clock (simulated: the daemon's steps one by
one, as tests/test_daemon_outage_backlog.py), once an hour; not while the broker is gone, nor late at the reconnect."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from localbroker import PrivateBroker
from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected
from tests.daemon_events import next_event
from tests.field_domoticz import DZ_IN
from tests.field_house import at, field_config
from tests.mqtt_probe import MqttProbe
from tests.test_daemon_outage_backlog import daemon_on, ticks

MARK = "test/mark"


@pytest.fixture
def daemon(tmp_path: Path, broker: PrivateBroker) -> Iterator[Daemon]:
    with daemon_on(field_config(tmp_path, extra="[domoticz]\nidx_keep_alive = 658\n"), broker) as built:
        yield built


def heard(daemon: Daemon, probe: MqttProbe, mark: str) -> list[dict[str, int]]:
    """What the subscriber saw on domoticz/in up to the daemon's `mark` (QoS 1 on one link: in order)."""
    daemon.link.publish(MARK, mark).wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == mark)
    return [json.loads(m.payload) for m in probe.on(DZ_IN)]


def test_a_subscriber_on_domoticz_in_gets_the_heartbeat_every_hour_at_21(daemon: Daemon, broker: PrivateBroker) -> None:
    probe = MqttProbe(broker.host, broker.port, topics=(DZ_IN, MARK))
    try:
        daemon.link.start()
        next_event(daemon, Connected)
        daemon._on_connected(Connected(at(2024, 1, 10, 10, 0), first=True))
        ticks(daemon, at(2024, 1, 10, 10, 0), at(2024, 1, 10, 10, 20, 50))
        assert heard(daemon, probe, "10:20:50") == []
        ticks(daemon, at(2024, 1, 10, 10, 21), at(2024, 1, 10, 11, 20, 50))
        assert heard(daemon, probe, "11:20:50") == [{"idx": 658, "nvalue": 1}]
        assert [m.retain for m in probe.on(DZ_IN)] == [False]
    finally:
        probe.close()
    # The broker goes for the 11:21 one: not sent, nor kept for the reconnect; the next hour's goes.
    broker.stop()
    down = next_event(daemon, Disconnected)
    daemon.link.client.loop_stop()  # (held: the new subscriber must be in before the link is back)
    daemon._on_disconnected(Disconnected(at(2024, 1, 10, 11, 15), down.reason, down.connected_for_s))
    ticks(daemon, at(2024, 1, 10, 11, 15), at(2024, 1, 10, 11, 40))
    broker.start()
    probe = MqttProbe(broker.host, broker.port, topics=(DZ_IN, MARK))
    try:
        daemon.link.client.loop_start()
        next_event(daemon, Connected)
        daemon._on_connected(Connected(at(2024, 1, 10, 11, 40), first=False))
        ticks(daemon, at(2024, 1, 10, 11, 40), at(2024, 1, 10, 12, 20, 50))
        assert heard(daemon, probe, "12:20:50") == []
        ticks(daemon, at(2024, 1, 10, 12, 21), at(2024, 1, 10, 12, 30))
        assert heard(daemon, probe, "12:30") == [{"idx": 658, "nvalue": 1}]
    finally:
        probe.close()
