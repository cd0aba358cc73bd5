"""What paho holds for a connection, dropped at its connect (paho_compat.drop_kept, MqttLink._on_connect): paho's own
bookkeeping after many such drops (its in-flight places), a paho whose internals changed (the drop given up, said
once, the link working), a stop asked while a connect is under way (its offs not dropped)."""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell import paho_compat
from shell.link_events import Connected, Disconnected
from shell.mqtt_link import MqttLink
from tests.configs import write_config
from tests.link_proxy import LinkProxy
from tests.mqtt_probe import MqttProbe

HELD = "test/held"
REPO = Path(__file__).resolve().parent.parent


def link_for(config: Path) -> tuple[MqttLink, queue.SimpleQueue[object]]:
    events: queue.SimpleQueue[object] = queue.SimpleQueue()
    return MqttLink(load_settings(config).mqtt, events, lambda: []), events


def next_of(events: queue.SimpleQueue[object], kind: type, timeout_s: float = 15.0) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        if isinstance(event, kind):
            return event


def test_many_reconnects_each_dropping_what_paho_held_leave_its_in_flight_places_free(
        tmp_path: Path, broker: PrivateBroker, proxy: LinkProxy, probe: MqttProbe) -> None:
    # Each cycle: 30 messages into a dead link (paho's 20 in flight, 10 queued behind them), the link lost, 5 more
    # made with no connection; all dropped at the connect. A dropped message still counted in flight by paho (20
    # places) would hold its place for good: after an outage or two every new message queued behind acknowledgements
    # that cannot come, no command delivered again (paho 2.x and 1.6 alike: their reconnect counts from 0, and those
    # dropped are never counted; a guard for that).
    link, events = link_for(write_config(tmp_path, ("small",), port=proxy.port))
    link.takeover.IN_A_ROW = 100  # (connections a moment long, one after another: no takeover's backoff here)
    try:
        assert link.start() is None
        assert isinstance(next_of(events, Connected), Connected)
        for cycle in range(4):
            link.publish("test/mark", str(cycle)).wait_for_publish(5)  # (`online` acknowledged before it)
            proxy.freeze()
            for k in range(30):
                link.publish(HELD, f"{cycle}-{k}")
            proxy.back()  # (the dead sockets closed: paho finds the link lost at once)
            next_of(events, Disconnected)
            for k in range(5):  # (queued behind the 20 paho still counts in flight, or kept for the connection)
                link.publish(HELD, f"{cycle}-down-{k}")
            connected = next_of(events, Connected)
            assert isinstance(connected, Connected) and connected.dropped == (HELD,) * 35
        infos = [link.publish("test/after", str(k)) for k in range(40)]  # (twice paho's in-flight bound)
        for info in infos:
            info.wait_for_publish(5)
            assert info.is_published()
        probe.wait_for("test/after", lambda m: m.text == "39")
        assert probe.on(HELD) == []  # (none sent late)
        assert link.client._inflight_messages == 0  # (every one acknowledged)
    finally:
        link.stop(timeout_s=1)


def test_a_stop_asked_while_the_connect_is_handled_keeps_its_offs(tmp_path: Path) -> None:
    # The connect's callback (paho's thread; here a thread of the test's, paho's queue locked by the test meanwhile)
    # took `stopping` as not set, then the stop handed its off to paho before the drop ran: an off paho did not send
    # at once (queued behind the 20 it has in flight; here, with no connection, held) was dropped with the rest, and
    # the broker back within the stop's wait never got it. A window of microseconds: the flag now read under the lock.
    link, events = link_for(write_config(tmp_path, ("small",)))
    client = link.client
    with client._out_message_mutex:  # (the drop waits for it: the stop comes in between)
        connect = threading.Thread(target=link._on_connect, args=(client, None), name="test-connect")
        connect.start()
        time.sleep(0.3)
        link.stopping()
        assert link.publish("regul/cload/small", "0").rc == mqtt.MQTT_ERR_NO_CONN  # (kept for the connection)
    connect.join(5)
    connected = next_of(events, Connected, 5)
    assert isinstance(connected, Connected) and connected.dropped == ()
    assert [m.topic for m in client._out_messages.values()][:1] == ["regul/cload/small"]


@pytest.fixture
def said_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paho_compat, "_internals_said", False)


def test_a_paho_without_the_internals_the_drop_reads_drops_nothing_and_says_so_once(
        said_afresh: None, caplog: pytest.LogCaptureFixture) -> None:
    # A paho of tomorrow (its private queue renamed): the AttributeError broke the connect's callback, fatal, the
    # daemon stopped at every connect. Now the drop is given up: paho sends what it held late (as before the drop),
    # said once.
    client = paho_compat.new_client("pyseb-test")
    client.publish("regul/cload/small", "1", qos=1)  # (no connection: held)
    del client._out_messages
    caplog.set_level(logging.WARNING)
    assert paho_compat.drop_kept(client) == []
    assert paho_compat.drop_kept(client) == []
    said = [r for r in caplog.records if "not dropped at the reconnect" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "_out_messages" in said[0].getMessage()


def test_a_paho_whose_lock_changed_drops_nothing(said_afresh: None, caplog: pytest.LogCaptureFixture) -> None:
    client = paho_compat.new_client("pyseb-test")
    client.publish("regul/cload/small", "1", qos=1)
    client._out_message_mutex = None  # type: ignore[assignment]
    assert paho_compat.drop_kept(client) == []
    assert "not dropped at the reconnect" in caplog.text


def test_a_paho_without_the_message_state_names_still_imports_and_drops_nothing() -> None:
    # paho's mqtt_ms_* names, read when the module was imported: a paho without them, and PySEB did not start at all.
    code = ("import logging; logging.basicConfig(level=logging.WARNING)\n"
            "import paho.mqtt.client as m\n"
            "del m.mqtt_ms_queued\n"
            "from shell import paho_compat\n"
            "c = paho_compat.new_client('pyseb-test')\n"
            "c.publish('regul/cload/small', '1', qos=1)\n"
            "print(paho_compat.drop_kept(c))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert "not dropped at the reconnect" in done.stderr and "mqtt_ms_queued" in done.stderr
