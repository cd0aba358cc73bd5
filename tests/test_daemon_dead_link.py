"""A link dead but not yet known to be (a Pi's Wi-Fi gone without a word: no FIN, no RST), through a relay that stops
forwarding (tests/link_proxy.py): paho says connected until its keepalive finds the link dead (within 2 x keepalive),
takes every message meanwhile and delivers none. What reaches the broker once the link is back: each load's command in
effect, not the commands made on the dead link sent late. The daemon's steps one by one, on a real broker."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from localbroker import PrivateBroker
from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected
from tests.configs import reading
from tests.daemon_events import next_event
from tests.harness import CONS, PROD
from tests.link_proxy import LinkProxy
from tests.mqtt_probe import MqttProbe
from tests.test_daemon_removed_off import daemon_with_the_radiator_on, retained_on_the_radiator

SMALL = "regul/cload/small"
MARK = "test/mark"
PARIS = ZoneInfo("Europe/Paris")  # (tests/configs.py's [evaluate] timezone)


def at_noon() -> Callable[[], float]:
    """The wall clock moved to today's noon in the config's zone (Paris), running on: run on the real one across its
    midnight (from 23:59:30), the day rolled between the test's steps, and the daily report, published into the dead
    link, was a third message paho held (`3 messages ... (on regul/cload/small, regul/report)`), not the two counted."""
    shift_s = datetime.now(PARIS).replace(hour=12, minute=0, second=0, microsecond=0).timestamp() - time.time()
    return lambda: time.time() + shift_s


@pytest.fixture
def clock() -> Callable[[], float]:
    return at_noon()


@pytest.fixture
def daemon(tmp_path: Path, proxy: LinkProxy, clock: Callable[[], float]) -> Iterator[Daemon]:
    """A daemon with one relay (small), its link through the proxy, paho's keepalive at its least (5 s: the dead link
    found within 10 s); its status file has the radiator (no longer configured) left on, its off retained; on
    `clock`."""
    yield from daemon_with_the_radiator_on(tmp_path, proxy.port, "keepalive = 5", clock)


def surplus(daemon: Daemon, now: float) -> None:
    """The meters' readings of a surplus (1000 W produced, 100 W used): small switched on."""
    for at in (now, now + 3):
        daemon.reg.handle(CONS, reading(100), at)
        daemon.reg.handle(PROD, reading(1000), at + 0.01)


def on_then_off_on_a_dead_link(daemon: Daemon, proxy: LinkProxy, probe: MqttProbe, now: float) -> None:
    """Connected, small off; the link goes dead; the last readings (before it died) switch small on, its ON written
    into the dead socket; the meters silent, the stale guard switches it off, into it too; paho finds the link dead."""
    daemon.link.start()
    daemon._on_connected(next_event(daemon, Connected))
    daemon.link.publish(MARK, "up").wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == "up")
    proxy.freeze()
    surplus(daemon, now)
    assert daemon.reg.loads_by_name["small"].current_power_w > 0
    daemon.reg.tick(now + 60)  # stale: small commanded 0 W
    assert daemon.reg.loads_by_name["small"].current_power_w == 0
    assert daemon.link.client.is_connected()  # (paho does not know yet)
    daemon._on_disconnected(next_event(daemon, Disconnected, timeout_s=30))


def test_a_command_made_on_a_link_dead_but_not_known_to_be_is_not_sent_late_at_the_reconnect(
        daemon: Daemon, proxy: LinkProxy, probe: MqttProbe, caplog: pytest.LogCaptureFixture,
        clock: Callable[[], float]) -> None:
    # paho kept the ON and the OFF (QoS 1, not acknowledged) and sent both again right after the broker's CONNACK, the
    # daemon's command in effect after them: the relay switched on for a moment a minute after the evidence for it,
    # its off-dwell skipped (a heater's variator: its raise, the house importing meanwhile).
    caplog.set_level(logging.INFO)
    on_then_off_on_a_dead_link(daemon, proxy, probe, clock())
    before = len(probe.on(SMALL))
    proxy.back()
    daemon._on_connected(next_event(daemon, Connected, timeout_s=30))
    daemon.link.publish(MARK, "end").wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == "end")
    assert [m.text for m in probe.on(SMALL)[before:]] == ["0"]  # the command in effect, once
    assert "1 message paho held unacknowledged on the lost connection dropped, not sent late (on " \
           "regul/cload/small)" not in caplog.text  # (two: the ON and the OFF)
    assert "2 messages paho held unacknowledged on the lost connection dropped, not sent late (on " \
           "regul/cload/small): what is in effect replaces them" in caplog.text


def test_a_link_back_before_paho_noticed_delivers_what_it_held_in_order(
        daemon: Daemon, proxy: LinkProxy, probe: MqttProbe, clock: Callable[[], float]) -> None:
    # The Wi-Fi back within the keepalive: TCP delivers what the socket held, late but in order, the last command the
    # one in effect (nothing PySEB can take back: it never knew the link was dead).
    daemon.link.start()
    daemon._on_connected(next_event(daemon, Connected))
    daemon.link.publish(MARK, "up").wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == "up")
    before = len(probe.on(SMALL))
    proxy.freeze()
    now = clock()
    surplus(daemon, now)
    daemon.reg.tick(now + 60)  # stale: small commanded 0 W
    proxy.thaw()
    daemon.link.publish(MARK, "end").wait_for_publish(5)
    probe.wait_for(MARK, lambda m: m.text == "end")
    assert [m.text for m in probe.on(SMALL)[before:]] == ["1", "0"]
    assert daemon.reg.loads_by_name["small"].current_power_w == 0


def test_a_removed_load_s_off_sent_on_a_link_dead_but_not_known_to_be_is_sent_again_at_the_reconnect(
        daemon: Daemon, proxy: LinkProxy, broker: PrivateBroker, probe: MqttProbe,
        caplog: pytest.LogCaptureFixture,
        clock: Callable[[], float]) -> None:
    # Sent once a start, it was paho's to send again at the reconnect: dropped there now with the rest, the daemon
    # sends it again itself.
    caplog.set_level(logging.INFO)
    daemon.link.start()
    connected = next_event(daemon, Connected)
    proxy.freeze()
    daemon._on_connected(connected)  # the removed radiator's off, every load's 0 W: into the dead socket
    assert "radiator (no longer configured, left on): off sent, 'OFF' on cmnd/radiator/POWER" in caplog.text
    daemon._on_disconnected(next_event(daemon, Disconnected, timeout_s=30))
    assert daemon.reg.status(clock())["pending_offs"]
    proxy.back()
    daemon._on_connected(next_event(daemon, Connected, timeout_s=30))
    assert "radiator (no longer configured, left on): off sent again (not acknowledged on the lost connection) now " \
           "that the broker is back ('OFF' on cmnd/radiator/POWER)" in caplog.text
    assert retained_on_the_radiator(broker) == ["OFF"]
    probe.wait_for(SMALL, lambda m: m.text == "0")  # (the start's command, lost with the first connection: re-sent)
    deadline = time.monotonic() + 5
    while "pending_offs" in daemon.reg.status(clock()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "pending_offs" not in daemon.reg.status(clock())  # acknowledged: no longer kept
    proxy.freeze()  # (once acknowledged, not sent again at the next reconnect)
    daemon._on_disconnected(next_event(daemon, Disconnected, timeout_s=30))
    proxy.back()
    daemon._on_connected(next_event(daemon, Connected, timeout_s=30))
    assert caplog.text.count("off sent again") == 1


def test_at_a_stop_what_paho_holds_goes_out_at_a_connect(daemon: Daemon, probe: MqttProbe) -> None:
    # The stop hands its offs to paho whatever the link (no main loop sends what is in effect after that): a connect
    # during its wait sends them, not dropped.
    daemon.link.stopping()
    daemon.link.publish(SMALL, "0")  # (no connection yet: kept for it)
    daemon.link.start()
    assert next_event(daemon, Connected).dropped == ()
    probe.wait_for(SMALL, lambda m: m.text == "0")



def test_a_stop_on_a_dead_link_back_within_its_wait_delivers_its_offs(
        daemon: Daemon, proxy: LinkProxy, probe: MqttProbe, caplog: pytest.LogCaptureFixture,
        clock: Callable[[], float]) -> None:
    # The stop's offs go into a dead socket; the link is lost and back during the stop's wait for `offline`: paho
    # sends them again at that connect (not dropped, the daemon stopping), and the broker acknowledges them in time.
    caplog.set_level(logging.INFO)
    daemon.link.start()
    daemon._on_connected(next_event(daemon, Connected))
    surplus(daemon, clock())
    assert daemon.reg.loads_by_name["small"].current_power_w > 0
    probe.wait_for(SMALL, lambda m: m.text == "1")
    proxy.freeze()
    back = threading.Timer(0.5, proxy.back)  # (the dead socket closed: paho reconnects after its 1 s)
    back.start()
    try:
        daemon._shutdown()
    finally:
        back.join()
    probe.wait_for(SMALL, lambda m: m.text == "0")
    probe.wait_for(daemon.link.settings.topic_availability, lambda m: m.text == "offline")
    assert "may not have been delivered" not in caplog.text
    assert "stopping with the broker link down" not in caplog.text
