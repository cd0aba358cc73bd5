"""The off command of a load the config no longer has, sent once at the start (status.restore_offs), against a broker
that is not there yet or goes away as it is sent: delivered once the broker is back, and the log says which. The
stop's offs with the broker gone: the loads left on named."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localbroker import PrivateBroker
from settings.config import load_settings
from shell.daemon import Daemon
from shell.link_events import Connected, Disconnected
from shell.lock import InstanceLock
from tests.configs import with_mqtt_lines, write_config
from tests.daemon_events import next_event
from tests.daemon_process import DaemonProcess
from tests.harness import CONS, NOON, PROD, Harness, reading
from tests.mqtt_probe import MqttProbe

RADIATOR = "cmnd/radiator/POWER"


def status_with_the_radiator_on(directory: Path, retain: bool = False) -> dict[str, Any]:
    """A status file saved with the radiator forced on, its off not retained (a plain Tasmota relay) unless
    `retain`."""
    (directory / "first").mkdir()
    run = Harness(write_config(directory / "first", ("radiator", "small")))
    run.meters(300, 0, NOON)
    run.reg.handle("regul/mode", b'{"command":"force","name":"radiator","power":1000}', NOON + 1)
    doc: dict[str, Any] = json.loads(json.dumps(run.reg.status(NOON + 2)))
    radiator = next(entry for entry in doc["equipments"] if entry["name"] == "radiator")
    radiator["off_command"]["retain"] = retain
    return doc


@pytest.mark.mqtt  # (its broker is its own, started late: not the fixture's, which marks a test so)
def test_the_off_of_a_removed_load_reaches_a_broker_that_was_not_up_at_the_start(tmp_path: Path) -> None:
    broker = PrivateBroker()  # (its port only: started later)
    try:
        config = write_config(tmp_path, ("small",), port=broker.port, status_time=0.5)
        (tmp_path / "status.json").write_text(json.dumps(status_with_the_radiator_on(tmp_path)))
        daemon = DaemonProcess(config)
        try:
            assert daemon.wait_for("cannot connect to the broker", 15), daemon.output
            time.sleep(1.5)  # (paho's retries: at 0 s, then 3 s: the probe subscribes in between)
            broker.start()
            probe = MqttProbe(broker.host, broker.port, topics=(RADIATOR,))
            try:
                assert probe.wait_for(RADIATOR, timeout_s=15).text == "OFF"
                time.sleep(0.5)
                assert [m.text for m in probe.on(RADIATOR)] == ["OFF"]
            finally:
                probe.close()
            assert daemon.wait_for("radiator (no longer configured, left on): off sent, 'OFF' on cmnd/radiator/POWER",
                                   5), daemon.output
        finally:
            assert daemon.terminate() == 0
        assert "could not send off" not in daemon.output
        # (its first connection, after a start the broker was not up for, is no return: "again" said it was)
        assert re.search(r"connected to the broker after \d+ s \(\d+ failed attempts?\)", daemon.output), daemon.output
        assert "connected to the broker again" not in daemon.output
    finally:
        broker.cleanup()


# --- the daemon's steps one by one, on a real link to a broker that goes away ----------------------------------------

@pytest.fixture
def daemon(tmp_path: Path, broker: PrivateBroker, request: pytest.FixtureRequest) -> Iterator[Daemon]:
    """A daemon whose status file has the radiator (no longer configured) left on, its off retained: a probe made
    after the fact tells whether a broker restarted without persistence has had it since. Indirectly parametrised:
    more [mqtt] lines."""
    yield from daemon_with_the_radiator_on(tmp_path, broker.port, getattr(request, "param", ""))


def daemon_with_the_radiator_on(tmp_path: Path, port: int, mqtt_lines: str,
                                clock: Callable[[], float] = time.time) -> Iterator[Daemon]:
    """The fixtures' daemon (one relay, small), restored from a status file with the radiator, no longer configured,
    left on, its off retained; `mqtt_lines`: more [mqtt] lines; `clock`: the wall clock its restore and its link's
    events read. Shut down after the test unless it stopped it."""
    config = with_mqtt_lines(write_config(tmp_path, ("small",), port=port), mqtt_lines)
    (tmp_path / "status.json").write_text(json.dumps(status_with_the_radiator_on(tmp_path, retain=True)))
    lock = InstanceLock(tmp_path / "test.lock")
    lock.acquire()
    built = Daemon(load_settings(config), lock)
    built.link._clock = clock  # (Connected's and Disconnected's times)
    built.restore_saved_status(clock())
    try:
        yield built
    finally:
        if lock._fd is not None:  # (not stopped by the test)
            built._shutdown()


def retained_on_the_radiator(broker: PrivateBroker) -> list[str]:
    probe = MqttProbe(broker.host, broker.port, topics=(RADIATOR,))
    try:
        time.sleep(0.3)
        return [m.text for m in probe.on(RADIATOR)]
    finally:
        probe.close()


def taken_late(daemon: Daemon, broker: PrivateBroker) -> None:
    """The link connects, then drops before the main loop takes the connection (and sends the off)."""
    daemon.link.start()
    connected = next_event(daemon, Connected)
    broker.stop()
    next_event(daemon, Disconnected)
    daemon._on_connected(connected)


def test_an_off_sent_while_the_link_is_down_is_said_queued_and_reaches_the_broker_once_it_is_back(
        daemon: Daemon, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    taken_late(daemon, broker)
    assert "radiator (no longer configured, left on): off queued ('OFF' on cmnd/radiator/POWER): the broker " \
           "is unreachable, it is sent when the broker is back" in caplog.text
    assert "off sent" not in caplog.text
    broker.start()  # (without the retained messages of before: no persistence)
    daemon._on_connected(next_event(daemon, Connected))
    assert retained_on_the_radiator(broker) == ["OFF"]
    assert "radiator (no longer configured, left on): off sent now that the broker is back ('OFF' on " \
           "cmnd/radiator/POWER)" in caplog.text
    # Once sent, not again: another restart of the broker (its retained OFF lost) gets none.
    broker.stop()
    next_event(daemon, Disconnected)
    broker.start()
    daemon._on_connected(next_event(daemon, Connected))
    assert retained_on_the_radiator(broker) == []
    assert caplog.text.count("off sent") == 1


def test_a_stop_before_the_broker_is_back_without_a_status_file_says_the_off_was_not_sent(
        daemon: Daemon, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    taken_late(daemon, broker)
    daemon.saver = None  # ([status] persistent = false: nothing keeps it for the next start)
    caplog.clear()
    daemon._shutdown()
    assert "could not send off to radiator (no longer configured, left on): broker unreachable, 'OFF' on " \
           "cmnd/radiator/POWER not acknowledged: it may still be on, switch it off yourself" in caplog.text


# --- the stop's own offs (every load to 0 W), with the broker gone ------------------------------------------------

def test_a_stop_with_the_broker_gone_names_the_loads_left_on(daemon: Daemon, broker: PrivateBroker,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    daemon.link.start()
    daemon._on_connected(next_event(daemon, Connected))
    probe = MqttProbe(broker.host, broker.port, topics=("regul/cload/small",))
    try:
        daemon.reg.handle("regul/mode", b'{"command":"force","name":"small","power":300}', time.time())
        probe.wait_for("regul/cload/small", lambda m: m.text == "1")  # (the radiator's off, before it, acknowledged)
    finally:
        probe.close()
    broker.stop()
    next_event(daemon, Disconnected)
    caplog.clear()
    daemon._shutdown()
    assert "stopping with the broker link down: could not send off to small: broker unreachable; the stop " \
           "commands (every load to 0 W) were not delivered" in caplog.text
    assert "could not send off to radiator" not in caplog.text  # (its off was acknowledged)


def test_a_stop_with_the_broker_gone_names_the_loads_on_when_it_went(daemon: Daemon, broker: PrivateBroker,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    # The meters fall silent with the link: the stale guard commands every load 0 W, an off that cannot leave either,
    # and the stop named none of those the regulation had on (its own view: all at 0 W), while the relay stayed on.
    daemon.link.start()
    daemon._on_connected(next_event(daemon, Connected))
    now = time.time()
    for at in (now, now + 3):
        daemon.reg.handle(CONS, reading(100), at)
        daemon.reg.handle(PROD, reading(1000), at + 0.01)
    assert [load.name for load in daemon.reg.loads if load.current_power_w > 0] == ["small"]
    broker.stop()
    daemon._on_disconnected(next_event(daemon, Disconnected))
    daemon.reg.tick(now + 60)  # the meters silent: stale
    assert [load.name for load in daemon.reg.loads if load.current_power_w > 0] == []
    caplog.clear()
    daemon._shutdown()
    assert "stopping with the broker link down: could not send off to small: broker unreachable" in caplog.text


def small_on_then_the_meters_silent(daemon: Daemon, broker: PrivateBroker) -> float:
    """The daemon connected, small switched on by a surplus (its ON acknowledged); the time the readings were."""
    daemon.link.start()
    daemon._on_connected(next_event(daemon, Connected))
    probe = MqttProbe(broker.host, broker.port, topics=("regul/cload/small",))
    try:
        now = time.time()
        for at in (now, now + 3):
            daemon.reg.handle(CONS, reading(100), at)
            daemon.reg.handle(PROD, reading(1000), at + 0.01)
        probe.wait_for("regul/cload/small", lambda m: m.text == "1")
    finally:
        probe.close()
    assert [load.name for load in daemon.reg.loads if load.current_power_w > 0] == ["small"]
    return now


def test_a_stop_on_a_link_dead_but_not_known_to_be_names_the_loads_the_stale_guard_switched_off(
        daemon: Daemon, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    # The broker frozen (a Wi-Fi gone without a word alike): paho still says connected, the meters fall silent, the
    # stale guard's offs go into a socket that delivers nothing. The stop named no load (the regulation's view: all at
    # 0 W) while the relay stayed on.
    now = small_on_then_the_meters_silent(daemon, broker)
    assert broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        daemon.reg.tick(now + 60)  # stale: small commanded 0 W
        assert [load.name for load in daemon.reg.loads if load.current_power_w > 0] == []
        caplog.clear()
        daemon._shutdown()
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert "within 4 s: may not have sent off to small: broker unreachable; the stop commands (every load to 0 W) " \
           "may not have been delivered" in caplog.text


def test_an_off_delivered_after_a_reconnect_is_not_named_at_the_stop(
        daemon: Daemon, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    now = small_on_then_the_meters_silent(daemon, broker)
    broker.stop()
    daemon._on_disconnected(next_event(daemon, Disconnected))
    daemon.reg.tick(now + 60)  # stale: small's off queued for the reconnect
    broker.start()
    daemon._on_connected(next_event(daemon, Connected))  # (its commands sent again)
    probe = MqttProbe(broker.host, broker.port, topics=("regul/cload/small",))
    try:
        daemon.reg.resend_commands("the probe's turn")  # (one the probe is subscribed for: the reconnect's went by)
        probe.wait_for("regul/cload/small", lambda m: m.text == "0")
    finally:
        probe.close()
    caplog.clear()
    daemon._shutdown()
    assert "could not send off" not in caplog.text and "may not have sent off" not in caplog.text
    assert "acknowledge" not in caplog.text


@pytest.mark.parametrize("daemon", ["keepalive = 5"], indirect=True)
def test_a_frozen_broker_found_dead_by_the_keepalive_gets_the_off_at_the_reconnect(
        daemon: Daemon, broker: PrivateBroker, caplog: pytest.LogCaptureFixture) -> None:
    # The stale guard's off went into a socket that delivered nothing; paho finds the link dead (within 2 x keepalive):
    # named by a stop until then (as after a link closed), sent again at the reconnect (the daemon's re-sends: paho's
    # own copy dropped there), then named no more.
    now = small_on_then_the_meters_silent(daemon, broker)
    assert broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        daemon.reg.tick(now + 60)  # stale: small commanded 0 W, into the dead socket
        daemon._on_disconnected(next_event(daemon, Disconnected, timeout_s=30))
        assert daemon.unacknowledged_offs.pending() == ["small"]  # (what a stop now names: "could not send off")
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    probe = MqttProbe(broker.host, broker.port, topics=("regul/cload/small",))
    try:
        daemon._on_connected(next_event(daemon, Connected, timeout_s=30))  # (its commands sent again)
        probe.wait_for("regul/cload/small", lambda m: m.text == "0" and not m.retain)
    finally:
        probe.close()
    deadline = time.monotonic() + 5
    while daemon.unacknowledged_offs.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    caplog.clear()
    daemon._shutdown()
    assert "could not send off" not in caplog.text and "may not have sent off" not in caplog.text, caplog.text


# --- an off not acknowledged when PySEB stops: kept in the status file, sent by the next start ---------------------

def test_an_off_not_acknowledged_at_the_stop_stays_in_the_status_file_and_the_next_start_sends_it(
        daemon: Daemon, broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    since = daemon.reg.removed_off_starts("radiator", RADIATOR)
    assert since is not None
    pending = [{"name": "radiator", "off_command": {"topic": RADIATOR, "payload": "OFF", "retain": True},
                "starts": 1, "since": since[1]}]
    taken_late(daemon, broker)
    assert daemon.reg.status(time.time())["pending_offs"] == pending  # (in every status saved while it waits)
    daemon._shutdown()
    saved = json.loads((tmp_path / "status.json").read_text())
    assert saved["pending_offs"] == pending and [e["name"] for e in saved["equipments"]] == ["small"]
    assert "radiator (no longer configured, left on): its off 'OFF' on cmnd/radiator/POWER was not acknowledged " \
           "by the broker: kept in the status file, sent again at the next start" in caplog.text
    assert "could not send off to radiator" not in caplog.text
    # The next start, the broker back (without the retained messages of before: no persistence).
    broker.start()
    lock = InstanceLock(tmp_path / "test.lock")
    lock.acquire()
    again = Daemon(load_settings(write_config(tmp_path, ("small",), port=broker.port)), lock)
    try:
        again.restore_saved_status(time.time())
        again.link.start()
        again._on_connected(next_event(again, Connected))
        assert retained_on_the_radiator(broker) == ["OFF"]
        deadline = time.monotonic() + 5
        while "pending_offs" in again.reg.status(time.time()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "pending_offs" not in again.reg.status(time.time())  # acknowledged: no longer kept
    finally:
        again._shutdown()
    assert "pending_offs" not in json.loads((tmp_path / "status.json").read_text())


def test_an_off_acknowledged_during_the_stops_wait_is_not_left_in_the_status_file(
        daemon: Daemon, broker: PrivateBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # A SIGTERM just after the start: the status is saved with the off not acknowledged yet, then the link's stop
    # waits for the broker's acknowledgement of `offline`, the off's coming first. The file saved before kept the
    # off, and the next start sent it again.
    assert broker.pid is not None
    daemon.link.start()
    connected = next_event(daemon, Connected)
    os.kill(broker.pid, signal.SIGSTOP)  # (the link open, nothing acknowledged yet)
    try:
        daemon._on_connected(connected)
        assert daemon.reg.status(time.time())["pending_offs"]
        assert daemon.saver is not None
        stop_saver = daemon.saver.stop

        def saved_then_broker_back() -> bool:
            saved = stop_saver()
            os.kill(broker.pid, signal.SIGCONT)  # type: ignore[arg-type]  # (the broker answers during the wait)
            return saved

        monkeypatch.setattr(daemon.saver, "stop", saved_then_broker_back)
        daemon._shutdown()
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    assert "was not acknowledged" not in caplog.text and "could not send off" not in caplog.text
    assert "pending_offs" not in json.loads((tmp_path / "status.json").read_text())


def test_a_disk_that_blocks_at_the_second_save_does_not_hold_the_stop(
        daemon: Daemon, broker: PrivateBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    # The save again after an off acknowledged during the link's stop was written on the main thread with no bound:
    # an SD card that stopped answering just then held the stop until systemd killed PySEB at TimeoutStopSec.
    import threading

    import status.saver as saver_module

    monkeypatch.setattr(saver_module, "STOP_WAIT_S", 0.5)
    assert broker.pid is not None and daemon.saver is not None
    daemon.saver.start()
    daemon.link.start()
    connected = next_event(daemon, Connected)
    os.kill(broker.pid, signal.SIGSTOP)  # (the link open, nothing acknowledged yet)
    release, blocked = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def stuck_fsync(fd: int) -> None:  # the card stops answering
        blocked.set()
        release.wait(120)
        real_fsync(fd)

    stop_saver = daemon.saver.stop

    def saved_then_broker_back_and_disk_stuck() -> bool:
        saved = stop_saver()
        monkeypatch.setattr(os, "fsync", stuck_fsync)
        os.kill(broker.pid, signal.SIGCONT)  # type: ignore[arg-type]  # (the broker answers during the wait)
        return saved

    stopper = threading.Thread(target=daemon._shutdown, name="test-daemon-stop")
    try:
        daemon._on_connected(connected)
        assert daemon.reg.status(time.time())["pending_offs"]
        monkeypatch.setattr(daemon.saver, "stop", saved_then_broker_back_and_disk_stuck)
        stopper.start()
        stopper.join(60)
        stopped_while_blocked = not stopper.is_alive()
    finally:
        os.kill(broker.pid, signal.SIGCONT)
        release.set()  # the card answers again: the save it held ends
        if stopper.ident is not None:
            stopper.join(60)
    assert stopped_while_blocked, "the stop waited for the blocked disk"
    assert blocked.is_set()
    assert "status not saved again to" in caplog.text
    assert "radiator: the broker acknowledged its off during the stop, but the status file still has it: sent " \
           "again at the next start" in caplog.text
    assert json.loads((tmp_path / "status.json").read_text())["pending_offs"]  # (the stop's first save)


def test_an_off_acknowledged_during_the_stop_is_told_by_load_and_topic() -> None:
    # A load moved twice: its two old devices' offs pending under one name. One acknowledged during the stop (the
    # other not) was not told, the name still pending: the file kept it, and the next start sent it again.
    from types import SimpleNamespace

    from equipments.base import Command
    from shell.daemon_life_cycle import DaemonLifeCycle

    def off(topic: str) -> dict[str, object]:
        return {"name": "radiator", "off_command": {"topic": topic, "payload": "OFF", "retain": True}}

    still = Command("cmnd/old/POWER", "OFF", True)
    life = SimpleNamespace(_offered={"pending_offs": [off("cmnd/old/POWER"), off(RADIATOR)]},
                           reg=SimpleNamespace(pending_offs=lambda: [("radiator", still)]))
    assert DaemonLifeCycle._offs_acknowledged_since_saved(life) == ["radiator"]  # type: ignore[arg-type]
    life.reg = SimpleNamespace(pending_offs=lambda: [("radiator", still), ("radiator", Command(RADIATOR, "OFF", True))])
    assert DaemonLifeCycle._offs_acknowledged_since_saved(life) == []  # type: ignore[arg-type]
