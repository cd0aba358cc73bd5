"""The daemon restoring the status file: a file far ahead of the clock, or one the restore itself fails on (a bug,
not a bad file), kept aside with its traceback; a good file restored and left in place; a stop before the start
keeps yesterday's unsent report. Nothing the file holds is lost."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import status.restore
from settings.config import load_settings
from shell.daemon import Daemon, StopRequest
from shell.lock import InstanceLock
from status.store import save_status
from tests.configs import write_config
from tests.harness import MODE, NOON, Harness
from tests.saved_status import REPORT, saved_day


@pytest.fixture
def daemon(tmp_path: Path) -> Daemon:
    # (a port no broker listens on: the daemon is never run, only its start's restore, and nothing connects)
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9))
    return Daemon(settings, InstanceLock(tmp_path / "test.lock"))


def test_the_daemon_keeps_a_file_far_ahead_of_the_clock_aside(tmp_path: Path, daemon: Daemon,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "status.json"
    save_status(path, saved_day(tmp_path, NOON + 3 * 86400))
    content = path.read_text()
    with caplog.at_level(logging.WARNING):
        daemon.restore_saved_status(NOON)
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_text() == content and not path.exists()
    assert "3.0 days ahead of the system clock" in caplog.text and f"kept aside as {kept[0].name}" in caplog.text


def test_an_unexpected_restore_error_keeps_the_file_aside_with_its_traceback(
        tmp_path: Path, daemon: Daemon, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # A bug in the restore, not a bad file: the clean start was right, then the first save replaced the file and
    # the user's day was gone, with no trace of the error but at DEBUG.
    path = tmp_path / "status.json"
    doc = saved_day(tmp_path, NOON - 60)
    doc["report_today"].update(covered_h=3.0, pv_wh=2000.0)  # (the morning's figures, resumed before the bug)
    save_status(path, doc)
    content = path.read_text()

    restore_report = status.restore._restore_report

    def broken_report(*args: Any) -> list[str]:
        restore_report(*args)  # (the day's figures so far resumed, then the bug)
        raise AttributeError("'NoneType' object has no attribute 'date'")

    monkeypatch.setattr(status.restore, "_restore_report", broken_report)
    with caplog.at_level(logging.WARNING):
        daemon.restore_saved_status(NOON)
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_text() == content and not path.exists()
    assert f"could not be restored (AttributeError: 'NoneType' object has no attribute 'date'): kept aside as " \
           f"{kept[0].name}" in caplog.text
    tracebacks = [r for r in caplog.records if r.exc_info is not None]
    assert len(tracebacks) == 1 and tracebacks[0].levelno == logging.ERROR and "broken_report" in caplog.text
    assert energies_of(daemon) == (0, 0)  # a clean start: nothing half restored
    assert not daemon.reg.loads_by_name["radiator"].is_forced()
    assert daemon.reg.daily.so_far("today").covered_h == 0 and daemon.reg.daily.unsent is None


def test_after_a_file_kept_aside_the_first_status_is_saved_at_once(tmp_path: Path, daemon: Daemon,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # A file of today with no force, which the restore fails on: kept aside, nothing on disk. The saver, primed with
    # that file's orders (the first status's too), waited for status_time: a power cut then started with no file.
    first = Harness(tmp_path / "config.ini")
    first.meters(300, 2000, NOON - 180)
    path = tmp_path / "status.json"
    save_status(path, json.loads(json.dumps(first.reg.status(NOON - 60))))
    restore_report = status.restore._restore_report

    def broken_report(*args: Any) -> list[str]:
        restore_report(*args)
        raise AttributeError("a bug")

    monkeypatch.setattr(status.restore, "_restore_report", broken_report)
    daemon.restore_saved_status(NOON)
    assert not path.exists() and len(list(tmp_path.glob("status.json.bad-*"))) == 1
    assert daemon.saver is not None
    daemon.saver.start()
    try:
        daemon.saver.offer(json.loads(json.dumps(daemon.reg.status(NOON + 1))))
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.exists()
    finally:
        daemon.saver.stop()


def energies_of(daemon: Daemon) -> tuple[float, float]:
    ecs = daemon.reg.loads_by_name["ecs"]
    return ecs.energy_wh, daemon.reg.production_energy.energy_wh


def test_the_daemon_restores_a_good_file_and_leaves_it_in_place(tmp_path: Path, daemon: Daemon) -> None:
    path = tmp_path / "status.json"
    save_status(path, saved_day(tmp_path, NOON - 60))
    daemon.restore_saved_status(NOON)
    assert path.exists() and list(tmp_path.glob("status.json.bad-*")) == []
    assert energies_of(daemon) == (1500, 3000)


def test_a_stop_before_the_start_keeps_yesterday_s_unsent_report(tmp_path: Path, daemon: Daemon) -> None:
    # PySEB stopped over midnight: the file holds the day before's report, which no midnight published, held in
    # memory until the start sends it. Stopped before that start (the broker not reached yet), the daemon saved a
    # fresh status of today over the file: the report was in neither, lost.
    path = tmp_path / "status.json"
    doc = saved_day(tmp_path, time.time() - 86400)
    doc["report_today"].update(covered_h=9.0, pv_wh=12000.0)
    save_status(path, doc)
    daemon.events.put(StopRequest("SIGTERM"))  # (arrived before the broker answered)
    runner = threading.Thread(target=daemon.run)  # (not the main thread: no signal handlers installed)
    runner.start()
    runner.join(30)
    assert not runner.is_alive()
    assert daemon.reg.daily.unsent is not None  # restored, never sent: the daemon never started
    again = Harness(write_config(tmp_path, ("ecs", "radiator")))
    again.reg.restore(json.loads(path.read_text()), time.time())
    again.reg.start(time.time())
    assert [json.loads(r)["pv_wh"] for r in again.on(REPORT)] == [12000.0]


def test_a_file_saved_on_a_clock_not_set_yet_still_keeps_its_loads_off(tmp_path: Path, daemon: Daemon,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # A Pi with no clock chip booted on 1970, offline: its file from before, dated far ahead, gave back the 0 W force
    # of the holiday, and its first status was saved dated 1970. The next start before NTP (a power cut) found no valid
    # date there and started clean: the heater kept off while away was back on the regulation, a load no longer
    # configured left on was commanded by nobody.
    booted_at = 3600.0  # 1970-01-01 02:00 in Paris
    first = Harness(tmp_path / "config.ini")
    first.meters(300, 2000, booted_at - 120)
    first.reg.handle(MODE, b'{"command":"force","name":"radiator","power":0}', booted_at - 60)
    doc = json.loads(json.dumps(first.reg.status(booted_at)))
    doc["equipments"].append({**doc["equipments"][1], "name": "plug", "command": "ON", "forced": False,
                              "off_command": {"topic": "cmnd/plug/POWER", "payload": "OFF", "retain": True}})
    path = tmp_path / "status.json"
    save_status(path, doc)
    with caplog.at_level(logging.WARNING):
        daemon.restore_saved_status(booted_at + 2)
    radiator = daemon.reg.loads_by_name["radiator"]
    assert radiator.forced_power_w == 0.0 and radiator.force_end_at is None
    assert [name for name, _ in daemon.reg.take_switch_offs_at_start()] == ["plug"]
    kept = list(tmp_path.glob("status.json.bad-*"))
    assert len(kept) == 1 and not path.exists()
    assert "is dated 1970-01-01 02:00, before 2000: saved by a clock not set yet" in caplog.text
    assert "restored only what keeps a load off: radiator (0 W until unforced)" in caplog.text
