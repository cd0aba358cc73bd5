"""The status file's saver thread and the file system under it: the latest snapshot written, an order saved at
once, a slow save never landing after a newer one, a stop that gives up on a save, the file's mode and owner, a
full disk or a refused chmod said once."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from status.saver import StatusSaver
from status.store import save_status


def test_saver_thread_writes_latest_snapshot(tmp_path: Path) -> None:
    saver = StatusSaver(tmp_path / "s.json", interval_s=0.05)
    saver.start()
    saver.offer({"equipments": [], "n": 1})
    deadline = time.monotonic() + 5
    while not (tmp_path / "s.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    saver.offer({"equipments": [], "n": 2})
    saver.stop()
    assert json.loads((tmp_path / "s.json").read_text()) == {"equipments": [], "n": 2}


def test_a_status_file_that_is_a_symlink_stays_one(tmp_path: Path) -> None:
    # A Pi with its SD card spared (log2ram, a read-only root) links status.ini to a folder on another disk. The
    # save's rename replaced the link by a plain file, and the data went back to the card from then on.
    (tmp_path / "data").mkdir()
    real, link = tmp_path / "data" / "status.json", tmp_path / "status.json"
    link.symlink_to(real)  # (dangling until the first save: a first start)
    saver = StatusSaver(link, interval_s=3600)
    saver.start()
    saver.offer({"equipments": [], "n": 1})
    saver.stop()
    assert link.is_symlink() and json.loads(real.read_text()) == {"equipments": [], "n": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "status.json"]


def test_an_order_is_saved_at_once_the_rest_at_status_time(tmp_path: Path) -> None:
    # Saved only every status_time (15 min), an unforce was lost to a power cut, and the force it ended came back
    # on at the restart.
    path = tmp_path / "s.json"
    saver = StatusSaver(path, interval_s=3600)
    saver.start()
    try:
        def entry(forced: bool, energy: float) -> dict[str, Any]:
            return {"name": "radiator", "energy": energy, "forced": forced, "forced_power": 1000 if forced else None}

        def on_disk_within(seconds: float, expected: dict[str, Any]) -> bool:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                if path.exists() and json.loads(path.read_text()) == expected:
                    return True
                time.sleep(0.01)
            return False

        saver.offer({"equipments": [entry(True, 1.0)]})  # the state at start: on disk already (restored)
        assert not on_disk_within(0.3, {"equipments": [entry(True, 1.0)]})
        unforced = {"equipments": [entry(False, 2.0)]}
        saver.offer(unforced)
        assert on_disk_within(5, unforced)
        saver.offer({"equipments": [entry(False, 3.0)]})  # energies only: at status_time
        assert not on_disk_within(0.3, {"equipments": [entry(False, 3.0)]})
        mode = {"equipments": [entry(False, 3.0)], "water_heater": {"mode": "forced"}}
        saver.offer(mode)
        assert on_disk_within(5, mode)
        # Midnight rolled (the report of the day before published): saved at once, else a restart from the file of
        # before midnight sends that day's report again, cut at the last save.
        rolled = {**mode, "report_today": {"date": "2026-06-02"}}
        saver.offer({**mode, "report_today": {"date": "2026-06-01"}})
        assert on_disk_within(5, {**mode, "report_today": {"date": "2026-06-01"}})
        saver.offer(rolled)
        assert on_disk_within(5, rolled)
    finally:
        saver.stop()


@pytest.mark.parametrize("on_disk", [{"equipments": [{"name": "radiator", "forced": True, "forced_power": 1000}]}, {}],
                         ids=["forced on disk", "no file"])
def test_an_order_before_the_first_status_is_saved_at_once(tmp_path: Path, on_disk: dict[str, Any]) -> None:
    # Primed with the file's orders at the start: an unforce sent before the first status (the first meter reading)
    # was taken for the state on disk, saved only at status_time, and a power cut brought the force back on.
    path = tmp_path / "s.json"
    saver = StatusSaver(path, interval_s=3600)
    saver.prime(on_disk)
    saver.start()
    try:
        unforced = {"equipments": [{"name": "radiator", "forced": False, "forced_power": None}]}
        saver.offer(unforced)
        deadline = time.monotonic() + 5
        while not (path.exists() and json.loads(path.read_text()) == unforced) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert json.loads(path.read_text()) == unforced
    finally:
        saver.stop()


def slow_first_save(monkeypatch: pytest.MonkeyPatch, seconds: float) -> threading.Event:
    """The first save takes `seconds` (a slow SD card) before it writes; the event says it has begun."""
    import status.saver as saver_module

    begun, calls = threading.Event(), []

    def save(path: Path, doc: dict[str, Any]) -> None:
        calls.append(doc)
        if len(calls) == 1:
            begun.set()
            time.sleep(seconds)
        save_status(path, doc)

    monkeypatch.setattr(saver_module, "save_status", save)
    return begun


def test_a_slow_save_of_an_older_status_never_lands_after_a_newer_one(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    begun = slow_first_save(monkeypatch, 0.5)
    saver = StatusSaver(tmp_path / "s.json", interval_s=3600)
    saver.offer({"equipments": [], "n": 1})
    slow = threading.Thread(target=saver.save_now)  # the saver thread's periodic save, on a slow card
    slow.start()
    assert begun.wait(5)
    saver.offer({"equipments": [], "n": 2})
    assert saver.save_now()  # the stop's save, on the main thread: after the slow one, never before it
    slow.join(5)
    assert json.loads((tmp_path / "s.json").read_text()) == {"equipments": [], "n": 2}


def test_a_stop_gives_up_on_a_save_that_does_not_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    import status.saver as saver_module

    monkeypatch.setattr(saver_module, "STOP_WAIT_S", 0.2)
    begun = slow_first_save(monkeypatch, 1.5)
    saver = StatusSaver(tmp_path / "s.json", interval_s=0.01)
    saver.offer({"equipments": [], "n": 1})
    saver.start()
    assert begun.wait(5)
    saver.offer({"equipments": [], "n": 2})
    began = time.monotonic()
    assert saver.stop() is False
    assert time.monotonic() - began < 1.0
    assert "status not saved to" in caplog.text and "has not finished saving" in caplog.text
    saver._thread.join(5)  # (the slow save ends; its thread with it)


def test_a_new_status_file_is_0644_and_an_existing_one_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    save_status(path, {"a": 1})
    assert path.stat().st_mode & 0o777 == 0o644  # a dashboard running as another user reads it
    save_status(path, {"a": 2})
    assert path.stat().st_mode & 0o777 == 0o644  # not 0600 after the first rewrite
    path.chmod(0o640)
    save_status(path, {"a": 3})
    assert path.stat().st_mode & 0o777 == 0o640 and json.loads(path.read_text()) == {"a": 3}


def test_a_full_disk_is_said_once_the_file_kept_and_the_saves_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    # A full SD card: every save (each status_time, each order) was an ERROR of its own, and the one that worked
    # again said nothing above DEBUG: a user could not tell whether the status was being saved again.
    import errno
    import os

    import status.store as store_module

    path = tmp_path / "status.json"
    saver = StatusSaver(path, interval_s=3600)
    saver.offer({"equipments": [], "n": 1})
    assert saver.save_now()
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_module.os, "fsync", full)
    with caplog.at_level(logging.DEBUG, logger="status.saver"):
        for n in range(2, 6):
            saver.offer({"equipments": [], "n": n})
            assert not saver.save_now()
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and "No space left on device" in said[0].getMessage(), caplog.text
    assert json.loads(path.read_text()) == {"equipments": [], "n": 1}  # the last good file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]  # no temporary file left
    monkeypatch.setattr(store_module.os, "fsync", real_fsync)  # room again
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="status.saver"):
        saver.offer({"equipments": [], "n": 6})
        assert saver.save_now()
    assert "status saved again to" in caplog.text and "4 saves failed" in caplog.text, caplog.text
    assert json.loads(path.read_text()) == {"equipments": [], "n": 6}


def test_a_save_that_fails_at_the_stop_is_said_even_after_earlier_failures(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # (the stop's save is the last chance: its failure is always said, not at DEBUG like a repeated periodic one)
    import errno

    import status.saver as saver_module

    def full(path: Path, document: dict[str, Any]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(saver_module, "save_status", full)
    saver = StatusSaver(tmp_path / "status.json", interval_s=3600)
    saver.offer({"equipments": [], "n": 1})
    assert not saver.save_now()
    saver.offer({"equipments": [], "n": 2})
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="status.saver"):
        assert saver.stop() is False
    assert "status not saved at the stop" in caplog.text and "No space left on device" in caplog.text, caplog.text


def test_a_file_system_that_refuses_chmod_still_gets_the_status_and_keeps_no_descriptor(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A status file on a share or stick that refuses a mode or owner change (NFS's root_squash for a root run,
    # some FUSE file systems): each save failed there (the status was never saved again), and each left the
    # temporary file's descriptor open, until the daemon ran out of them (its MQTT link with it).
    import errno
    import os

    import status.store as store_module

    path = tmp_path / "status.json"
    save_status(path, {"n": 0})

    def refused(fd: int, mode: int) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(store_module.os, "fchmod", refused)

    def open_here() -> list[str]:
        # The descriptors open on files of this folder (Linux, as a Pi): the process's count moved with what other
        # tests' threads closed meanwhile (13 against 17 after the daemon's tests).
        names = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                names.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:  # (closed since it was listed)
                continue
        return [name for name in names if name.startswith(str(tmp_path))]

    for n in range(1, 6):
        save_status(path, {"n": n})
    assert json.loads(path.read_text()) == {"n": 5}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]
    assert open_here() == []


def test_an_owner_change_refused_keeps_the_file_s_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A root run keeps the user's file theirs (chown); refused (root_squash), the save goes on and keeps the file's
    # mode: a status file kept private (0600) was made readable by all (0644) at the first save so.
    import errno
    import os

    import status.store as store_module

    path = tmp_path / "status.json"
    save_status(path, {"n": 0})
    path.chmod(0o600)

    def refused(fd: int, uid: int, gid: int) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    real_stat = os.stat

    def owned_by_a_user(target: Any, *args: Any, **kwargs: Any) -> Any:  # (the file as a user's, whoever runs this)
        found = real_stat(target, *args, **kwargs)
        return os.stat_result((found.st_mode, found.st_ino, found.st_dev, found.st_nlink, 1000, 1000,
                               *tuple(found)[6:]))

    monkeypatch.setattr(store_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(store_module.os, "stat", owned_by_a_user)
    monkeypatch.setattr(store_module.os, "fchown", refused)
    save_status(path, {"n": 1})
    assert json.loads(path.read_text()) == {"n": 1} and path.stat().st_mode & 0o777 == 0o600


def test_a_stop_just_as_the_thread_wakes_is_not_lost(tmp_path: Path) -> None:
    # The stop landing between the thread's look at it and its clear of the wake: the wake was cleared, the thread
    # slept status_time, and the stop gave up waiting for its save ("the disk has not finished saving").
    saver = StatusSaver(tmp_path / "s.json", interval_s=3600)

    class StopAtTheClear(threading.Event):
        armed = False

        def clear(self) -> None:
            if StopAtTheClear.armed:
                StopAtTheClear.armed = False
                saver._stop.set()  # (stop() itself, its first two steps, on the main thread at that very moment)
                self.set()
            super().clear()

    saver._wake = StopAtTheClear()
    saver.prime({})
    saver.start()
    StopAtTheClear.armed = True
    saver.offer({"equipments": [{"name": "ecs", "forced": True}], "n": 1})  # an order: the thread wakes
    saver._thread.join(timeout=3)  # (the stop's own steps came at the clear: the thread saves and ends at once)
    assert not saver._thread.is_alive() and saver._saved_at_stop
    assert json.loads((tmp_path / "s.json").read_text())["n"] == 1
    saver._wake.set()  # (old code: the thread asleep for the hour, woken to end the test)


def test_an_order_whose_save_failed_is_tried_again_soon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by a bug hunt: an unforce whose save at once failed (a card full for a moment) waited for status_time
    # (15 min) though the next snapshots had the same orders: a power cut then brought the ended force back on.
    import status.saver as saver_module
    path = tmp_path / "s.json"
    failures = [OSError(28, "No space left on device")]

    def flaky(where: Path, document: dict[str, Any]) -> None:
        if failures:
            raise failures.pop()
        save_status(where, document)

    monkeypatch.setattr(saver_module, "save_status", flaky)
    monkeypatch.setattr(StatusSaver, "FIRST_RETRY_S", 0.05)
    saver = StatusSaver(path, interval_s=3600)
    saver.prime({"equipments": [{"name": "radiator", "forced": True}]})
    saver.start()
    try:
        saver.offer({"equipments": [{"name": "radiator", "forced": False}], "n": 1})
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not failures and json.loads(path.read_text())["equipments"][0]["forced"] is False
    finally:
        saver.stop()


def test_save_soon_writes_the_last_snapshot_at_once(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    saver = StatusSaver(path, interval_s=3600)
    saver.prime({"equipments": []})
    saver.start()
    try:
        saver.offer({"equipments": [], "date": 1})  # (the same orders: waits for status_time)
        time.sleep(0.1)
        assert not path.exists()
        saver.save_soon()
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert json.loads(path.read_text()) == {"equipments": [], "date": 1}
    finally:
        saver.stop()


def test_the_retries_of_a_failed_save_space_out_up_to_status_time() -> None:
    from status.saver import retry_wait_s
    assert [retry_wait_s(n, 5.0, 900.0) for n in range(1, 10)] == [5, 10, 20, 40, 80, 160, 320, 640, 900]
    assert retry_wait_s(1000, 5.0, 900.0) == 900.0  # (a long outage: no overflow)
    assert retry_wait_s(1, 5.0, 2.0) == 2.0  # (a status_time shorter than the first retry)


def test_a_failed_save_says_what_is_really_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    # A folder made where the status file was (a mkdir by mistake, a backup restored there): each save failed, said
    # "(the file there is the last saved one)", though no file was there to restart from, nor would PySEB start.
    path = tmp_path / "status.json"
    saver = StatusSaver(path, interval_s=3600)
    saver.offer({"equipments": [], "n": 1})
    assert saver.save_now()
    path.unlink()
    path.mkdir()
    saver.offer({"equipments": [], "n": 2})
    with caplog.at_level(logging.ERROR, logger="status.saver"):
        assert not saver.save_now()
    assert "a folder is there, not the status file" in caplog.text, caplog.text
    assert "the last saved one" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="status.saver"):
        assert saver.stop() is False  # (the stop's save, failed likewise)
    assert "status not saved at the stop" in caplog.text and "a folder is there" in caplog.text, caplog.text
    path.rmdir()  # (and a file removed, a save failing for another reason: no file to restart from)
    import errno

    import status.saver as saver_module

    def full(path: Path, document: dict[str, Any]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(saver_module, "save_status", full)
    caplog.clear()
    other = StatusSaver(path, interval_s=3600)
    other.offer({"equipments": [], "n": 3})
    with caplog.at_level(logging.ERROR, logger="status.saver"):
        assert not other.save_now()
    assert "no status file is there now" in caplog.text and "the last saved one" not in caplog.text, caplog.text
