"""The status file: atomic saves (a kill mid-save never leaves a bad file), defensive loads, restore
by name, and the saver thread."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from status.saver import StatusSaver
from status.store import load_status, save_status
from tests.configs import write_config
from tests.harness import MODE, NOON, Harness

ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")
SEED_STATUS = ROOT / "tests" / "data" / "seed-status.ini.example.json"  # the seed's status file

WRITER = """
import sys
sys.path.insert(0, {root!r})
from pathlib import Path
from status.store import save_status
path = Path({path!r})
i = 0
print("ready", flush=True)
while True:
    i += 1
    save_status(path, {{"equipments": [], "i": i, "pad": "x" * 200000}})
"""


def test_save_then_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    save_status(path, {"date": int(NOON), "equipments": [{"name": "a"}], "schema_version": 1})
    assert load_status(path) == {"date": int(NOON), "equipments": [{"name": "a"}], "schema_version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temp file left behind


def test_kill_during_save_never_leaves_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    complete_rounds = 0
    last_i = 0
    for round_ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER.format(root=str(ROOT), path=str(path))],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.03 * round_)
        if round_ == 4:
            # The last round waits for a first save of its own, so the test never passes on "no file ever".
            deadline = time.monotonic() + 10
            while not path.exists() and time.monotonic() < deadline:
                time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if path.exists():
            doc = json.loads(path.read_text())  # complete JSON, whatever moment the kill came
            assert doc["equipments"] == [] and doc["i"] >= 1 and len(doc["pad"]) == 200000
            complete_rounds += 1
            last_i = doc["i"]
        # Whatever the moment of the kill, a temp file may be left, never a second status file.
        assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".tmp")] in ([], ["status.json"])
    assert complete_rounds >= 1 and last_i >= 1, "no round got as far as a complete save: nothing was tested"


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe", b"[]", b'{"foo": 1}',
                                     b'{"schema_version": 9, "equipments": []}',
                                     b'{"date": "2023-11-14 12:00:00", "equipments": []}'])
def test_corrupt_or_foreign_file_means_clean_start(tmp_path: Path, content: bytes,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "status.json"
    path.write_bytes(content)
    assert load_status(path) is None
    assert "clean start" in caplog.text


def test_a_schema_version_written_as_text_is_named_as_such(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A hand edit's "1": the warning read "has schema_version 1, this PySEB reads 1".
    path = tmp_path / "status.json"
    path.write_text('{"schema_version": "1", "date": 1700000000, "equipments": []}')
    assert load_status(path) is None
    assert "has schema_version '1', this PySEB reads the number 1" in caplog.text


def test_a_seed_status_file_saved_by_a_windows_editor_is_read(tmp_path: Path) -> None:
    # The seed's status.ini fixed in Notepad (a UTF-8 BOM ahead, CRLF line ends) was "corrupt (Unexpected UTF-8
    # BOM)": kept aside, the day's energies and the heater's yesterday lost. The config reader took such a file.
    path = tmp_path / "status.ini"
    path.write_bytes(b"\xef\xbb\xbf" + SEED_STATUS.read_text().replace("\n", "\r\n").encode("utf-8"))
    assert load_status(path, keep_aside=True) == json.loads(SEED_STATUS.read_text())
    assert [p.name for p in tmp_path.iterdir()] == ["status.ini"]


def test_the_seed_s_first_ini_status_file_is_named_as_such(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Coturex's status.ini of October 2022 was an INI file; it was said to be "corrupt (Expecting value: line 1
    # column 2 (char 1))", as if the disk had damaged it.
    path = tmp_path / "status.ini"
    path.write_text("[init]\necs_energy_today = 0\necs_energy_yesterday = 0\ncloud_forecast = 0\n\n[ECS]\n"
                    "overloaded = False\nenergy = 0\n")
    assert load_status(path, keep_aside=True) is None
    assert "is the INI status of the seed's first versions (2022), not JSON: not read" in caplog.text
    assert [p.name for p in tmp_path.iterdir()][0].startswith("status.ini.bad-")


def _older_asides(folder: Path, stamps: list[str]) -> None:
    for stamp in stamps:
        (folder / f"status.ini.bad-{stamp}").write_text("{}")


def test_only_the_newest_five_kept_aside_files_stay(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Every unusable status file was kept aside for good: a fault met at many starts (a dying SD card, a script
    # writing the file) filled the folder with them, and none was ever removed.
    _older_asides(tmp_path, ["20200101-000000", "20200102-000000", "20200103-000000", "20200103-000000-2",
                             "20200103-000000-10", "20200104-000000", "20191231-235959"])
    others = ["status.ini.bak", "status.ini.bad-old", "other.ini.bad-20190101-000000", "status.ini"]
    for name in others:
        (tmp_path / name).write_text("not json")
    (tmp_path / "status.ini.bad-20180101-000000").symlink_to("status.ini.bak")  # (a link an owner made: left alone)
    assert load_status(tmp_path / "status.ini", keep_aside=True) is None
    assert (tmp_path / "status.ini.bad-20180101-000000").is_symlink()
    kept = {p.name for p in tmp_path.glob("status.ini.bad-2*")} - {"status.ini.bad-20180101-000000"}
    older = {f"status.ini.bad-{stamp}" for stamp in ("20200103-000000", "20200103-000000-2", "20200103-000000-10",
                                                     "20200104-000000")}
    assert len(kept) == 5 and kept > older, kept  # the four newest before it (-10 after -2), and the one just set aside
    assert all((tmp_path / name).exists() for name in others[:3])  # (not ours, or not of this file)
    assert ("removed 3 older status file(s) kept aside beside status.ini (the newest 5 are kept): "
            "status.ini.bad-20200102-000000, status.ini.bad-20200101-000000, status.ini.bad-20191231-235959"
            in caplog.text), caplog.text


def test_the_file_just_kept_aside_stays_whatever_the_clock(tmp_path: Path) -> None:
    # A Pi has no clock chip: it boots hours or days behind, and the file kept aside then is named before the others.
    _older_asides(tmp_path, [f"2099010{n}-000000" for n in range(1, 8)])
    (tmp_path / "status.ini").write_text("not json")
    assert load_status(tmp_path / "status.ini", keep_aside=True) is None
    kept = sorted(p.name for p in tmp_path.glob("status.ini.bad-*"))
    assert len(kept) == 5 and kept[-4:] == [f"status.ini.bad-2099010{n}-000000" for n in range(4, 8)], kept


def test_missing_file_means_clean_start(tmp_path: Path) -> None:
    assert load_status(tmp_path / "nope.json") is None


def test_restore_by_name_same_day(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    doc = {
        "schema_version": 1, "date": int(NOON - 3600), "production_energy": 4321.0,
        "equipments": [  # saved in another order than the config's: restored by name
            {"name": "radiator", "energy": 500.0, "forced": True, "forced_power": 1000.0,
             "force_end": NOON + 600, "overed": False},
            {"name": "ecs", "energy": 1200.0, "energy_yesterday": 3000.0, "forced": False, "overed": True},
            {"name": "gone", "energy": 1.0},
        ],
    }
    warnings = h.reg.restore(doc, NOON)
    assert any("gone" in w for w in warnings)
    h.reg.tick(NOON)
    status = h.reg.status(NOON)
    ecs, radiator = status["equipments"]
    assert ecs["energy"] == 1200 and ecs["energy_yesterday"] == 3000 and ecs["overed"] is True
    assert radiator["energy"] == 500 and radiator["forced"] is True and radiator["force_end"] == NOON + 600
    assert status["production_energy"] == 4321
    # every load commanded to 0 first, but the forced one: straight to its force (no off-then-on click)
    assert [p for t, p, _ in h.sent[:2]] == ["0", "ON"]
    h.reg.tick(NOON + 601)
    assert h.last("cmnd/radiator/POWER") == "OFF"


def test_restore_from_yesterday_keeps_only_yesterday(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore({"date": int(NOON - 86400), "equipments": [{"name": "ecs", "energy": 2500.0,
                                                               "overed": True}]}, NOON)
    entry = h.reg.status(NOON)["equipments"][0]
    assert entry["energy"] == 0 and entry["energy_yesterday"] == 2500 and entry["overed"] is False


def test_seed_status_file_is_read(tmp_path: Path) -> None:
    seed_doc = json.loads(SEED_STATUS.read_text())
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    now = float(seed_doc["date"]) + 60  # the same evening
    h.reg.restore(seed_doc, now)
    entry = h.reg.status(now)["equipments"][0]
    assert entry["energy"] == 5222 and entry["overed"] is True
    assert entry["energy_yesterday"] == 11000  # the seed's top-level ECS_energy_yesterday


def test_a_status_file_s_load_names_match_in_any_case(tmp_path: Path) -> None:
    # A Coturex status file says "ECS": the config's names are lower-cased as read (ECS = water_heater is ecs).
    seed_doc = json.loads(SEED_STATUS.read_text())
    seed_doc["equipments"][0]["name"] = "ECS"
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    now = float(seed_doc["date"]) + 60
    assert not [w for w in h.reg.restore(seed_doc, now) if "ECS" in w]
    assert h.reg.status(now)["equipments"][0]["energy"] == 5222


def test_saved_force_survives_a_restart(tmp_path: Path) -> None:
    config = write_config(tmp_path, ("radiator",))
    first = Harness(config)
    first.meters(100, 100, NOON)
    first.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000,"duration":3600}', NOON + 1)
    save_status(tmp_path / "status.json", first.reg.status(NOON + 10))
    second = Harness(config)
    second.reg.restore(load_status(tmp_path / "status.json") or {}, NOON + 100)
    second.reg.tick(NOON + 100)
    assert second.last("cmnd/radiator/POWER") == "ON"
    assert second.load("radiator").force_end_at == pytest.approx(NOON + 3601)


def test_a_restored_force_that_ends_before_the_broker_answers_never_switches_the_load_on(tmp_path: Path) -> None:
    # The status file is restored at the start, the forces applied at the first connect: a broker that answered
    # only after the force's end (mosquitto slow to start at boot, down for a while) saw the relay switched on at
    # the connect, then off at the next tick, a click of the contactor the user had not asked for.
    config = write_config(tmp_path, ("radiator",))
    first = Harness(config)
    first.meters(100, 100, NOON)
    first.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000,"duration":600}', NOON + 1)
    saved = json.loads(json.dumps(first.reg.status(NOON + 10)))
    second = Harness(config)
    assert second.reg.restore(saved, NOON + 100) == []  # 501 s left at the restore
    second.reg.start(NOON + 900)  # connected 800 s later
    second.reg.tick(NOON + 900.5)
    assert second.on("cmnd/radiator/POWER") == ["OFF"]
    assert not second.load("radiator").is_forced()
    assert second.reg.status(NOON + 901)["equipments"][0]["forced"] is False


@pytest.mark.parametrize(("days_later", "duration", "restored"), [
    (0, None, True),  # until unforced, saved today
    (1, None, True),  # until unforced, saved yesterday: a day change is no reason to drop an order
    (6, None, True),
    (10, None, False),  # until unforced, saved before a long stop: not back on, from the grid, at the restart
    (1, 3 * 86400, True),  # a timed force whose end is still ahead
    (4, 3 * 86400, False),  # and one whose end passed while stopped
])
def test_a_force_until_unforced_comes_back_unless_the_file_is_over_a_week_old(
        tmp_path: Path, days_later: int, duration: int | None, restored: bool) -> None:
    config = write_config(tmp_path, ("radiator",))
    first = Harness(config)
    first.meters(100, 100, NOON)
    timed = "" if duration is None else f', "duration": {duration}'
    first.reg.handle(MODE, f'{{"command":"force","name":"radiator","power":1000{timed}}}'.encode(), NOON + 1)
    saved = json.loads(json.dumps(first.reg.status(NOON + 10)))
    second = Harness(config)
    warnings = second.reg.restore(saved, NOON + 100 + days_later * 86400)
    second.reg.tick(NOON + 100 + days_later * 86400)
    assert second.load("radiator").is_forced() is restored
    assert second.last("cmnd/radiator/POWER") == ("ON" if restored else "OFF")
    assert any("forced until unforced in a status file saved 10 days ago" in w for w in warnings) is \
        (duration is None and not restored)


def test_a_vacation_force_survives_a_restart_just_after_midnight(tmp_path: Path) -> None:
    # A 0 W force until unforced keeps the heater (and the fallback's night force from the grid) off while away;
    # a restart at 00:01 dropped it, as from a file not saved today, and the heater went back to the regulation.
    config = write_config(tmp_path, ("ecs",))
    first = Harness(config)
    before_midnight = datetime(2026, 6, 1, 23, 59, tzinfo=PARIS).timestamp()
    first.meters(300, 0, before_midnight - 60)
    first.reg.handle(MODE, b'{"command":"force","name":"ecs","power":0}', before_midnight - 30)
    saved = json.loads(json.dumps(first.reg.status(before_midnight)))
    second = Harness(config)
    after_midnight = before_midnight + 120
    assert second.reg.restore(saved, after_midnight) == []
    second.reg.tick(after_midnight)
    ecs = second.load("ecs")
    assert ecs.is_forced() and ecs.forced_power_w == 0 and ecs.force_end_at is None
    assert second.reg.status(after_midnight)["equipments"][0]["forced"] is True


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
    open_before = len(os.listdir("/proc/self/fd"))  # (Linux, as a Pi)
    for n in range(1, 6):
        save_status(path, {"n": n})
    assert json.loads(path.read_text()) == {"n": 5}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]
    assert len(os.listdir("/proc/self/fd")) == open_before


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
