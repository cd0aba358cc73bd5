"""The grid and injection sensors after a reconnect: a flow's 0 is sent once when it stops (then every keepalive_s, 30
min), and one sent while Domoticz is away is lost (its link to the broker takes no session: nothing is kept for it). A
broker restarted: PySEB is back at once, Domoticz tries again only every 30 s (hardware/MQTT.cpp), so a flow that
stopped meanwhile showed its last import or export in Domoticz for up to 30 min. After each connect of PySEB's link,
both flows' values are sent once more, RESEND_AFTER_CONNECT_S later."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.domoticz import RESEND_AFTER_CONNECT_S, GridPublisher
from localbroker import PrivateBroker
from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected
from tests.configs import reading
from tests.daemon_events import next_event
from tests.field_domoticz import DZ_IN
from tests.field_house import field_config
from tests.harness import NOON, Harness
from tests.mqtt_probe import MqttProbe
from tests.test_daemon_outage_backlog import daemon_on

SENSORS = "[domoticz]\nidx_grid = 5\nidx_injection = 6\n"


def sensors(sent: list[tuple[str, str, bool]], mark: int = 0) -> list[tuple[int, str]]:
    """(idx, svalue) of each sensor update sent since `mark`."""
    docs = [json.loads(payload) for topic, payload, _ in sent[mark:] if topic == DZ_IN]
    return [(doc["idx"], doc["svalue"]) for doc in docs if "svalue" in doc]


def test_the_publisher_sends_a_flow_s_0_again_once_a_while_after_a_connect() -> None:
    pub = GridPublisher("domoticz/in", 5, 6)
    assert len(pub.update(400, 0, 0.0)) == 2  # (the first values, the injection's 0 too)
    pub.connected(100.0)
    assert [json.loads(p)["svalue"] for _, p in pub.update(0, 0, 101.0)] == ["0"]  # the import stops: its single 0
    assert pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S - 1) == []
    again = pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S)
    assert [json.loads(p)["svalue"] for _, p in again] == ["0", "0"]  # both flows, once
    assert pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S + 3) == []
    # (the keepalive counts from it)
    assert pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S + 1799) == []
    assert len(pub.update(0, 0, 100.0 + RESEND_AFTER_CONNECT_S + 1800)) == 2


def test_a_flow_that_is_not_0_is_sent_as_it_is_and_nothing_more() -> None:
    pub = GridPublisher("domoticz/in", 5, 6, send_injection=False)
    pub.update(400, 0, 0.0)
    pub.connected(10.0)
    assert [json.loads(p)["svalue"] for t in (40.0, 70.0, 73.0) for _, p in pub.update(380, 0, t)] == \
        ["380", "380", "380"]  # (at every decision, as before)
    assert [json.loads(p)["svalue"] for _, p in pub.update(0, 0, 200.0)] == ["0"]  # its stop: the single 0
    assert pub.update(0, 0, 203.0) == []  # (the resend was used up at 70)


def test_a_clock_stepped_back_after_the_connect_does_not_hold_the_resend() -> None:
    pub = GridPublisher("domoticz/in", 5, 0)
    pub.update(0, 0, 5000.0)
    pub.connected(5000.0)
    assert len(pub.update(0, 0, 5000.0 - 3600)) == 1  # (dated an hour ahead: sent, as the keepalive is)


def reconnected_while_importing(tmp_path: Path) -> tuple[Harness, int]:
    """A regulator whose grid imports 400 W (sent to Domoticz), its link down at NOON + 10 and back at NOON + 20: the
    harness and the count of messages sent by then."""
    h = Harness(field_config(tmp_path, extra=SENSORS))
    h.reg.on_connected(NOON)
    h.meters(2400, 2000, NOON + 1)
    assert (5, "400") in sensors(h.sent)
    h.reg.on_disconnected(NOON + 10)
    h.reg.on_connected(NOON + 20)
    return h, len(h.sent)


def test_the_regulator_sends_a_0_lost_at_a_reconnect_again_60_s_later(tmp_path: Path) -> None:
    # The grid imports 400 W; the broker restarts; PySEB reconnects at once and the import stops right then: its single
    # 0 goes while Domoticz is not back yet (lost). A minute later both sensors' 0 are sent again.
    h, mark = reconnected_while_importing(tmp_path)
    for k in range(30):  # readings every 3 s, the import gone
        h.meters(2000, 2000, NOON + 21 + 3 * k)
    # its stop, then both 60 s after the start's connect (kept by the reconnect), and 60 s after the reconnect's (the
    # start's may go while Domoticz is not back: test_domoticz_sensors_flapping)
    assert sensors(h.sent, mark) == [(5, "0"), (5, "0"), (6, "0"), (5, "0"), (6, "0")]


# --- on a real broker, restarted ------------------------------------------------------------------------------------

@pytest.fixture
def daemon(tmp_path: Path, broker: PrivateBroker) -> Iterator[Daemon]:
    with daemon_on(field_config(tmp_path, extra=SENSORS), broker) as built:
        yield built


def test_domoticz_back_after_a_broker_restart_gets_the_0_of_a_flow_that_stopped_before_it(
        daemon: Daemon, broker: PrivateBroker) -> None:
    daemon.link.start()
    next_event(daemon, Connected)
    daemon._on_connected(Connected(NOON, first=True))
    daemon.reg.handle("smeter/pzem/CONSOMMATION", reading(2400), NOON + 1)
    daemon.reg.handle("smeter/pzem/PRODUCTION", reading(2000), NOON + 1.01)
    broker.stop()
    down = next_event(daemon, Disconnected)
    daemon._on_disconnected(Disconnected(NOON + 2, down.reason, down.connected_for_s))
    broker.start()
    back = next_event(daemon, Connected)
    daemon._on_connected(Connected(NOON + 10, first=back.first))
    # The import stops before Domoticz is back (it tries every 30 s): its single 0 reaches no one.
    daemon.reg.handle("smeter/pzem/CONSOMMATION", reading(2000), NOON + 11)
    daemon.reg.handle("smeter/pzem/PRODUCTION", reading(2000), NOON + 11.01)
    daemon.link.publish("test/mark", "lost").wait_for_publish(5)
    domoticz = MqttProbe(broker.host, broker.port, topics=(DZ_IN, "test/mark"))  # Domoticz back, 30 s later
    try:
        for k in range(20):
            now = NOON + 40 + 3 * k
            daemon.reg.handle("smeter/pzem/CONSOMMATION", reading(2000), now)
            daemon.reg.handle("smeter/pzem/PRODUCTION", reading(2000), now + 0.01)
        daemon.link.publish("test/mark", "end")
        domoticz.wait_for("test/mark", lambda m: m.text == "end")
        got = [json.loads(m.payload) for m in domoticz.on(DZ_IN)]
        # (the start's resend, 60 s after it, and the reconnect's, 60 s after that)
        assert [(doc["idx"], doc["svalue"]) for doc in got] == [(5, "0"), (6, "0")] * 2
    finally:
        domoticz.close()


def test_a_flapping_link_gets_a_resend_a_minute_after_its_first_connect_not_one_per_connect() -> None:
    # (connects at 0, 20, 45 and 70 s: a resend at 60 s, the first connect's, kept by the two within it; the connect
    # after it, at 70 s, its own at 130 s. Set anew at each connect, it went at 130 s only, and a link dropping every
    # 30 s never sent it: test_domoticz_sensors_flapping)
    pub = GridPublisher("domoticz/in", 5, 6)
    sent = []
    for t in range(0, 400, 5):
        if t in (0, 20, 45, 70):
            pub.connected(float(t))
        if messages := pub.update(0, 0, float(t)):
            sent.append((t, len(messages)))
    assert sent == [(0, 2), (60, 2), (130, 2)]
