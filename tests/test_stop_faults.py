"""The daemon's threads and its stop under faults: a status save that raises, a disk that blocks, the whole
stop within systemd's TimeoutStopSec."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import status.saver as saver_module
from localbroker import PrivateBroker
from status.saver import StatusSaver
from status.store import save_status
from tests.configs import reading, write_config
from tests.mqtt_probe import MqttProbe


def test_a_save_that_raises_a_bug_keeps_the_saver_thread_and_the_stop_going(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A bug in a save (a value json cannot write, keys it cannot sort) killed the saver thread with a bare thread
    # traceback: no save for the rest of the run, and the stop's own save raised out of the daemon's stop (no
    # recorder flush, no "offline", a traceback).
    path = tmp_path / "s.json"
    calls: list[int] = []
    saved = threading.Event()

    def save(target: Path, document: dict[str, Any]) -> None:
        calls.append(document["n"])
        if document["n"] == 1:
            raise TypeError("'<' not supported between instances of 'int' and 'str'")
        save_status(target, document)
        saved.set()

    monkeypatch.setattr(saver_module, "save_status", save)
    failed = threading.Event()
    monkeypatch.setattr(threading, "excepthook", lambda args: failed.set())
    saver = StatusSaver(path, interval_s=0.05)
    saver.start()
    try:
        saver.offer({"equipments": [], "n": 1})
        while not calls:
            saver._wake.wait(0.05)
        saver.offer({"equipments": [], "n": 2})
        assert saved.wait(10), "the saver thread did not save again after a save that raised"
    finally:
        stopped = saver.stop()
    assert not failed.is_set()
    assert stopped is True and json.loads(path.read_text()) == {"equipments": [], "n": 2}
    assert "internal error saving the status" in caplog.text and "TypeError" in caplog.text


def test_the_stop_s_save_that_raises_a_bug_is_logged_not_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    def save(target: Path, document: dict[str, Any]) -> None:
        raise TypeError("Object of type int64 is not JSON serializable")

    monkeypatch.setattr(saver_module, "save_status", save)
    saver = StatusSaver(tmp_path / "s.json", interval_s=3600)
    saver.start()
    saver.offer({"equipments": [], "n": 1})
    with caplog.at_level(logging.ERROR):
        assert saver.stop() is False
    assert "internal error saving the status" in caplog.text and "int64" in caplog.text


def _stopped_with_news(path: Path) -> StatusSaver:
    """A saver stopped (its snapshot n=1 saved by the stop), then offered n=2 for a save_again."""
    saver = StatusSaver(path, interval_s=3600)
    saver.start()
    saver.offer({"equipments": [], "n": 1})
    assert saver.stop() is True
    saver.offer({"equipments": [], "n": 2})
    return saver


def test_the_save_again_after_the_stop_shares_the_stop_s_bound(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # The daemon's second save (an off acknowledged during the link's stop) waits what is left of STOP_WAIT_S: the
    # stop's waits, added up below, count one saver's wait.
    path = tmp_path / "s.json"
    saver = _stopped_with_news(path)
    assert saver.save_again() is True and json.loads(path.read_text())["n"] == 2
    saver.offer({"equipments": [], "n": 3})
    monkeypatch.setattr(saver_module, "STOP_WAIT_S", 0.0)  # (the stop's saves took it all)
    assert saver.save_again() is False and json.loads(path.read_text())["n"] == 2
    assert "status not saved again to" in caplog.text and "for saving are spent" in caplog.text


def test_what_the_stop_s_save_waited_is_not_waited_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    # The stop's save took the whole STOP_WAIT_S (a slow card; the saver's steady clock, faked, says so): nothing is
    # left for the second save. Counted afresh, it waited STOP_WAIT_S again, past the bound the stop's sum counts.
    readings = [100.0, 100.0 + saver_module.STOP_WAIT_S]  # (the stop's join: its start, its end; then the same)
    monkeypatch.setattr(saver_module, "time",
                        SimpleNamespace(monotonic=lambda: readings.pop(0) if len(readings) > 1 else readings[0]))
    path = tmp_path / "s.json"
    saver = _stopped_with_news(path)
    assert saver.save_again() is False and json.loads(path.read_text())["n"] == 1
    assert "for saving are spent" in caplog.text


def test_the_stop_s_save_of_a_saver_never_started_is_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # A stop before the regulation started, a file set aside to save (daemon_life_cycle's _save_what_was_set_aside):
    # the saver's thread not started, its save was written on the main thread, and waited for a card that had stopped
    # answering as long as it took, past systemd's TimeoutStopSec.
    release = threading.Event()
    real_fsync = os.fsync

    def stuck_fsync(fd: int) -> None:
        release.wait(10)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", stuck_fsync)
    monkeypatch.setattr(saver_module, "STOP_WAIT_S", 0.3)
    saver = StatusSaver(tmp_path / "s.json", interval_s=3600)
    saver.offer({"equipments": [], "n": 1})
    stopped = threading.Event()
    stopper = threading.Thread(target=lambda: (saver.stop(), stopped.set()), daemon=True)
    stopper.start()
    try:
        assert stopped.wait(3), "the stop waited for the blocked disk"
    finally:
        release.set()
    assert "status not saved to" in caplog.text and "has not finished saving" in caplog.text


# --- the daemon's stop on a disk that blocks ---------------------------------------------------------------

CONS, PROD, RADIATOR, AVAIL = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "cmnd/radiator/POWER", \
    "regul/availability"


def test_a_disk_that_blocks_at_the_stop_does_not_hold_it(tmp_path: Path, broker: PrivateBroker, probe: MqttProbe,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    # An SD card that stops answering (a long erase, a failing card) when the stop comes: the stop's status save
    # was written on the main thread and waited for the disk as long as it took. systemd killed PySEB at
    # TimeoutStopSec, before its recorder's last batch and its "offline", and marked the unit failed.
    import recording.writer as writer_module
    from settings.config import load_settings
    from shell.daemon import Daemon, StopRequest
    from shell.lock import InstanceLock

    monkeypatch.setattr(saver_module, "STOP_WAIT_S", 0.5)
    monkeypatch.setattr(writer_module, "STOP_WAIT_S", 0.5)
    settings = load_settings(write_config(tmp_path, ("radiator",), port=broker.port, period=0.2, meter_timeout=30,
                                          extra="\n[record]\nflush_interval = 3600\n"))
    daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
    daemon.lock.acquire()
    runner = threading.Thread(target=daemon.run, name="test-daemon-main")
    runner.start()
    release = threading.Event()
    blocked = threading.Event()
    real_fsync = os.fsync
    try:
        probe.wait_for(AVAIL, lambda m: m.text == "online", timeout_s=15)
        for _ in range(50):  # a surplus: the radiator on
            probe.publish(CONS, reading(300))
            probe.publish(PROD, reading(1800))
            if any(m.text == "ON" for m in probe.on(RADIATOR)):
                break
            release.wait(0.2)
        probe.wait_for(RADIATOR, lambda m: m.text == "ON", timeout_s=5)
        after = probe.mark()

        def stuck_fsync(fd: int) -> None:  # the card stops answering
            blocked.set()
            release.wait(120)
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", stuck_fsync)
        daemon.events.put(StopRequest("SIGTERM"))
        runner.join(60)
        stopped_while_blocked = not runner.is_alive()
    finally:
        release.set()  # the card answers again: the threads it held end
        runner.join(60)
    assert stopped_while_blocked, "the stop waited for the blocked disk"
    assert blocked.is_set()
    probe.wait_for(RADIATOR, lambda m: m.text == "OFF", timeout_s=10, after=after)
    probe.wait_for(AVAIL, lambda m: m.text == "offline", timeout_s=10, after=after)
    assert "status not saved to" in caplog.text and "stopped" in caplog.text


def test_the_stop_s_waits_add_up_to_less_than_systemd_s_timeout() -> None:
    # Each wait was bounded (but paho's thread's), but they were 2 + 10 + 10 + 10 + 10 + 5 s in turn: past
    # systemd's 20 s, which kills the stop's last steps and marks the unit failed.
    import re

    import recording.writer as writer_module
    from shell import forecast_fetch, log_writer
    from shell.link_stop import NETWORK_THREAD_WAIT_S, OFFLINE_WAIT_S

    unit = (Path(__file__).resolve().parent.parent / "contrib" / "pyseb.service").read_text()
    found = re.search(r"^TimeoutStopSec=(\d+)$", unit, re.MULTILINE)
    assert found is not None
    # (the log's last lines too: written by the main thread, a stalled card held the stop at its first line, without
    # bound; now on the log writer's thread, waited for at the end, within its own bound)
    waits = (forecast_fetch.STOP_WAIT_S + saver_module.STOP_WAIT_S + writer_module.STOP_WAIT_S + OFFLINE_WAIT_S
             + NETWORK_THREAD_WAIT_S + log_writer.STOP_WAIT_S)
    assert waits + 2.0 <= float(found.group(1))  # (the rest of the stop, the interpreter's exit: well within 2 s)


# --- a bug on the stop's path ------------------------------------------------------------------------------

def test_a_bug_in_the_day_roll_at_the_stop_still_commands_every_load_to_0(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A stop just after midnight rolls the day first: a bug there raised out of the stop before the loads were
    # commanded off, the radiator left on with nothing regulating it.
    from tests.field_house import RADIATOR as RADIATOR_TOPIC
    from tests.field_house import House, at, field_config
    from tests.harness import Harness

    h = Harness(field_config(tmp_path))
    start = at(2026, 6, 1, 23, 50)
    h.reg.start(start)
    house = House(h, start, production_w=4000.0)
    house.run(120)
    assert h.last(RADIATOR_TOPIC) == "ON"

    def broken(now: float) -> None:
        raise KeyError("report")

    monkeypatch.setattr(h.reg, "_roll_day", broken)
    h.reg.shutdown(at(2026, 6, 2, 0, 0, 30))
    assert h.last(RADIATOR_TOPIC) == "OFF" and all(load.current_power_w == 0 for load in h.reg.loads)
    assert "internal error" in caplog.text and "KeyError" in caplog.text


def test_a_bug_in_one_load_at_the_stop_still_commands_the_others_to_0(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from tests.field_house import RADIATOR as RADIATOR_TOPIC
    from tests.field_house import House, at, field_config
    from tests.harness import Harness

    h = Harness(field_config(tmp_path))
    start = at(2026, 6, 1, 12)
    h.reg.start(start)
    House(h, start, production_w=4000.0).run(120)
    assert h.last(RADIATOR_TOPIC) == "ON"

    def broken(*args: object) -> None:
        raise AttributeError("curve")

    monkeypatch.setattr(h.load("ecs"), "set_power", broken)  # (the first in priority order)
    h.reg.shutdown(start + 200)
    assert h.last(RADIATOR_TOPIC) == "OFF"
    assert "internal error commanding ecs off at the stop" in caplog.text


# --- the MQTT link's stop while paho's thread is in a connection attempt ------------------------------------

def test_a_name_resolution_that_hangs_does_not_hold_the_link_s_stop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # The broker named by a host name, the network (its DNS) gone: paho's thread retries in the background, each
    # attempt's name resolution waiting for the resolver's timeouts (10 to 40 s). The stop waited for it, past
    # systemd's TimeoutStopSec.
    import queue
    import socket

    import shell.link_stop as stop_module
    from settings.config import load_settings
    from shell.mqtt_link import MqttLink

    config = write_config(tmp_path, ("radiator",), port=1)
    config.write_text(config.read_text().replace("host = 127.0.0.1", "host = broker.example.invalid"))
    settings = load_settings(config)
    release, first, retrying = threading.Event(), threading.Event(), threading.Event()

    def getaddrinfo(*args: object, **kwargs: object) -> list[Any]:
        if first.is_set():  # paho's retries: the resolver does not answer
            retrying.set()
            release.wait(120)
        first.set()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(stop_module, "NETWORK_THREAD_WAIT_S", 0.5)
    link = MqttLink(settings.mqtt, queue.SimpleQueue(), lambda: [])
    assert link.start() is not None
    stopper = threading.Thread(target=link.stop, name="test-link-stop")
    try:
        assert retrying.wait(30)
        stopper.start()
        stopper.join(60)
        stopped_while_resolving = not stopper.is_alive()
    finally:
        release.set()
        if stopper.ident is not None:
            stopper.join(60)
        link.client.loop_stop()
    assert stopped_while_resolving, "the link's stop waited for the name resolution"
    assert "the MQTT network thread has not ended" in caplog.text
