"""Restores the status file cannot be trusted for as it stands: one dated ahead of the clock (a Raspberry Pi has no
clock chip: it boots with the time it last saved, behind, until NTP sets it), and one the restore itself fails on
(a bug, not a bad file). Nothing the file holds is lost: it is restored, or kept aside for the user."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import status.restore
from settings.config import load_settings
from shell.daemon import Daemon, StopRequest
from shell.lock import InstanceLock
from status.restore import CLOCK_BEHIND_MAX_S
from status.store import save_status
from tests.configs import write_config
from tests.harness import MODE, NOON, Harness

PARIS = ZoneInfo("Europe/Paris")
REPORT = "regul/report"


def at(day: int, hour: int, minute: int = 0) -> float:
    """A time in December 2026, Paris."""
    return datetime(2026, 12, day, hour, minute, tzinfo=PARIS).timestamp()


def saved_day(tmp_path: Path, saved_at: float) -> dict[str, Any]:
    """A status file saved at `saved_at`: the heater drew 1500 Wh that day (4000 Wh the day before), the PV made
    3000 Wh, the radiator is forced on until unforced; as the regulator saves it (through JSON)."""
    first = Harness(write_config(tmp_path, ("ecs", "radiator")))
    first.meters(300, 2000, saved_at - 120)
    first.reg.handle(MODE, b'{"command":"force","name":"radiator","power":1000}', saved_at - 60)
    doc = json.loads(json.dumps(first.reg.status(saved_at)))
    doc["equipments"][0].update(energy=1500.0, energy_yesterday=4000.0)
    doc["production_energy"], doc["production_energy_yesterday"] = 3000.0, 9000.0
    return doc


def energies(h: Harness, now: float) -> tuple[float, float, float, float]:
    status = h.reg.status(now)
    ecs = status["equipments"][0]
    return ecs["energy"], ecs["energy_yesterday"], status["production_energy"], status["production_energy_yesterday"]


def test_a_file_saved_just_after_midnight_by_a_clock_now_behind_is_today_s(tmp_path: Path) -> None:
    # Saved at 00:05; the Pi rebooted with the clock it saved last (23:30 the day before): the file looked dated
    # tomorrow, nothing of the day was restored, and the next save replaced it with zeros.
    doc = saved_day(tmp_path, at(2, 0, 5))
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    booted_at = at(1, 23, 30)
    warnings = h.reg.restore(doc, booted_at)
    assert len(warnings) == 1 and "35 min ahead of the system clock" in warnings[0]
    assert "clock is behind" in warnings[0] and "taken as saved now" in warnings[0]
    h.reg.tick(booted_at)
    assert energies(h, booted_at) == (1500, 4000, 3000, 9000)
    assert h.load("radiator").is_forced()
    # NTP sets the clock (00:20): the day it steps over is no new day, the file's day was today all along.
    synced_at = at(2, 0, 20)
    h.reg.tick(synced_at)
    assert energies(h, synced_at) == (1500, 4000, 3000, 9000)
    assert h.on(REPORT) == []  # no report of a "day" that was the clock's lag
    # The real midnight rolls the day as ever.
    h.reg.tick(at(3, 0, 0) + 1)
    assert energies(h, at(3, 0, 0) + 1)[1] == 1500


def resumed_behind(tmp_path: Path) -> dict[str, Any]:
    """The file of a Pi that booted at 23:30 by its clock, 35 min behind, on a file saved at 00:05 (half an hour of
    the new day counted): what it saved at 23:45 by the clock still behind, the day's figures those of the 2nd."""
    doc = saved_day(tmp_path, at(2, 0, 5))
    doc["report_today"].update(covered_h=0.5, pv_wh=100.0)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, at(1, 23, 30))
    h.reg.tick(at(1, 23, 30))
    return json.loads(json.dumps(h.reg.status(at(1, 23, 45))))


def test_a_file_saved_by_a_clock_behind_is_today_s_after_ntp_crossed_midnight(tmp_path: Path) -> None:
    # NTP set the clock (00:40), and PySEB restarted (another power cut) before its next save: the file, dated 23:45
    # the day before, read as yesterday's. Today's energies became yesterday's (yesterday's were lost), and half an
    # hour of today was published, retained, as the day before's report, over the whole day's.
    doc = resumed_behind(tmp_path)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    assert h.reg.restore(doc, at(2, 0, 40)) == []
    h.reg.tick(at(2, 0, 40))
    assert energies(h, at(2, 0, 40)) == (1500, 4000, 3000, 9000)
    assert h.on(REPORT) == []
    assert h.reg.daily.so_far("2026-12-02").covered_h == 0.5  # the day so far, resumed
    h.reg.tick(at(3, 0, 0) + 1)  # the real midnight reports the whole day
    assert [json.loads(r)["date"] for r in h.on(REPORT)] == ["2026-12-02"]


def test_a_file_saved_by_a_clock_behind_is_today_s_while_the_clock_is_still_behind(tmp_path: Path) -> None:
    # Restarted before NTP (23:50 by the clock): the file is dated before the clock, its figures of the day after.
    doc = resumed_behind(tmp_path)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    assert h.reg.restore(doc, at(1, 23, 50)) == []
    h.reg.tick(at(1, 23, 50))
    assert energies(h, at(1, 23, 50)) == (1500, 4000, 3000, 9000)
    h.reg.tick(at(2, 0, 30))  # NTP: the clock steps over a midnight that is no new day
    assert energies(h, at(2, 0, 30)) == (1500, 4000, 3000, 9000) and h.on(REPORT) == []
    h.reg.tick(at(3, 0, 0) + 1)
    assert [json.loads(r)["date"] for r in h.on(REPORT)] == ["2026-12-02"]


def test_a_file_saved_after_midnight_before_the_day_rolled_is_yesterday_s(tmp_path: Path) -> None:
    # The saver's snapshot taken at 00:00:05, before the main loop's timers rolled the day: the file, dated today,
    # held the past day's energies and figures, restored as today's (the heater's energy today a day too high, the
    # past day never reported).
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    for second in range(0, 60, 5):  # (a minute of decisions: the day's report has something to say)
        h.meters(300, 2000, at(1, 23, 59) + second)
    h.load("ecs").energy_wh = 1500.0  # (and the last seconds on the surplus)
    doc = json.loads(json.dumps(h.reg.status(at(2, 0, 0) + 5)))
    assert doc["report_today"]["date"] == "2026-12-01"
    again = Harness(write_config(tmp_path, ("ecs", "radiator")))
    assert again.reg.restore(doc, at(2, 0, 10)) == []
    again.reg.tick(at(2, 0, 10))
    drawn_wh = doc["equipments"][0]["energy"]
    assert drawn_wh > 1500 and energies(again, at(2, 0, 10))[:2] == (0, drawn_wh)
    assert [json.loads(r)["date"] for r in again.on(REPORT)] == ["2026-12-01"]


def test_a_file_ahead_of_the_clock_the_same_day_says_the_clock_is_behind(tmp_path: Path) -> None:
    doc = saved_day(tmp_path, at(2, 14, 0))
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    warnings = h.reg.restore(doc, at(2, 13, 0))
    assert len(warnings) == 1 and "60 min ahead of the system clock" in warnings[0]
    assert energies(h, at(2, 13, 0)) == (1500, 4000, 3000, 9000)


def test_a_file_seconds_ahead_is_no_news(tmp_path: Path) -> None:
    # (NTP stepping the clock back a little after a save)
    doc = saved_day(tmp_path, at(2, 14, 0))
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    assert h.reg.restore(doc, at(2, 14, 0) - 20) == []
    assert energies(h, at(2, 14, 0)) == (1500, 4000, 3000, 9000)


def test_a_file_far_ahead_of_the_clock_is_not_restored_and_is_kept_aside(tmp_path: Path) -> None:
    # Two days ahead is no lag a boot leaves (or the clock is way off): taken as today's, its energies would be
    # counted days long and its force restored from a time that is not known. Nothing applied, the file kept.
    doc = saved_day(tmp_path, NOON + CLOCK_BEHIND_MAX_S + 3600)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    asides: list[str] = []
    assert h.reg.restore(doc, NOON, set_aside=lambda why, outcome: asides.append(f"{why}: {outcome}")) == []
    assert len(asides) == 1 and "13 h ahead of the system clock" in asides[0]
    assert "no force or mode that keeps a load off" in asides[0]
    assert "not restored: radiator's force (1000 W)" in asides[0]
    h.reg.tick(NOON)
    assert energies(h, NOON) == (0, 0, 0, 0) and not h.load("radiator").is_forced()
    plain = Harness(write_config(tmp_path, ("ecs", "radiator")))
    warnings = plain.reg.restore(doc, NOON)  # (no one to keep it aside: said, clean start)
    assert len(warnings) == 1 and "13 h ahead" in warnings[0] and warnings[0].endswith("clean start")


def forced(doc: dict[str, Any], name: str, power_w: float, end_at: float | None = None) -> None:
    """Make the saved entry of `name` a force at `power_w`, until unforced or until `end_at`."""
    entry = next(entry for entry in doc["equipments"] if entry["name"] == name)
    entry.update(forced=True, forced_power=power_w, force_end=end_at, forced_by="user")


def test_a_file_far_ahead_of_the_clock_still_keeps_the_loads_forced_off(tmp_path: Path) -> None:
    # A vacation's "keep the heater off" (0 W until unforced) in a file the Pi, booted at its image's date before NTP,
    # saw days ahead: nothing was restored and the heater ran again on the surplus while the owner was away. A force
    # to 0 W is safe whatever the date: it alone is restored; a force on is not (from a time that is not known).
    saved_at = NOON + 3 * 86400
    doc = saved_day(tmp_path, saved_at)
    forced(doc, "ecs", 0.0)
    forced(doc, "radiator", 1000.0)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    asides: list[str] = []
    assert h.reg.restore(doc, NOON, set_aside=lambda why, outcome: asides.append(f"{why}: {outcome}")) == []
    assert len(asides) == 1 and "3.0 days ahead of the system clock" in asides[0]
    assert "restored only what keeps a load off: ecs (0 W until unforced)" in asides[0]
    assert asides[0].endswith(": a clean start but for what keeps a load off")  # (not "clean start": the force is kept)
    assert "not restored: radiator's force (1000 W)" in asides[0] and "energies" in asides[0]
    h.reg.start(NOON)
    assert h.load("ecs").is_forced() and h.load("ecs").forced_power_w == 0
    assert not h.load("radiator").is_forced()
    h.reg.tick(NOON)
    assert energies(h, NOON) == (0, 0, 0, 0)
    assert h.reg.status(NOON)["equipments"][0]["forced"] is True  # (the first save keeps it: it survives a restart)


def test_a_file_far_ahead_names_an_odd_force_power_cut_and_said_so(tmp_path: Path) -> None:
    # (a hand-edited file: the power a text of a hundred characters; the warning shows its start, and its length)
    doc = saved_day(tmp_path, NOON + 3 * 86400)
    forced(doc, "radiator", "9" * 100)  # type: ignore[arg-type]
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    asides: list[str] = []
    h.reg.restore(doc, NOON, set_aside=lambda why, outcome: asides.append(f"{why}: {outcome}"))
    assert len(asides) == 1 and "radiator's force ('9999999999999999999... (102 characters) W)" in asides[0]


def test_a_timed_force_off_from_a_file_far_ahead_ends_at_its_own_time(tmp_path: Path) -> None:
    saved_at = NOON + CLOCK_BEHIND_MAX_S + 3600
    doc = saved_day(tmp_path, saved_at)
    forced(doc, "radiator", 0.0, end_at=saved_at + 7200)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    warnings = h.reg.restore(doc, NOON)  # (no one to keep it aside: said, in the warning)
    assert len(warnings) == 1 and "radiator (0 W until " in warnings[0]
    h.reg.start(NOON)
    radiator = h.load("radiator")
    assert radiator.is_forced() and radiator.forced_power_w == 0 and radiator.force_end_at == saved_at + 7200


def test_a_force_off_already_over_or_too_long_is_not_restored_from_a_file_far_ahead(tmp_path: Path) -> None:
    saved_at = NOON + 2 * 86400
    doc = saved_day(tmp_path, saved_at)
    forced(doc, "ecs", 0.0, end_at=NOON - 60)  # (ended before even the clock's now)
    forced(doc, "radiator", 0.0, end_at=saved_at + 30 * 86400)  # (longer than any force may last: a damaged file)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    asides: list[str] = []
    h.reg.restore(doc, NOON, set_aside=lambda why, outcome: asides.append(f"{why}: {outcome}"))
    h.reg.start(NOON)
    assert not h.load("ecs").is_forced() and not h.load("radiator").is_forced()
    assert len(asides) == 1 and "no force or mode that keeps a load off" in asides[0]


def test_a_load_named_twice_in_a_file_far_ahead_is_read_from_its_first_entry_as_in_any_restore(
        tmp_path: Path) -> None:
    doc = saved_day(tmp_path, NOON + 2 * 86400)
    second = dict(doc["equipments"][0], forced=True, forced_power=0.0, force_end=None, forced_by="user")
    doc["equipments"].append(second)  # (the first entry of ecs is not forced: the second is ignored)
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, NOON, set_aside=lambda why, outcome: None)
    h.reg.start(NOON)
    assert not h.load("ecs").is_forced()


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

MISSING = object()  # a file without energy_counted_since: saved before 2026-12-02, or the seed's status.ini


@pytest.mark.parametrize(("saved", "restored", "warned"), [
    ("2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00+01:00", False),  # started at 10:00 without a file
    ("2026-12-01T09:00:00Z", "2026-12-01T10:00:00+01:00", False),  # the same instant at another offset
    (MISSING, "2026-12-01T00:00:00+01:00", False),
    ("2026-11-30T10:00:00+01:00", "2026-12-01T00:00:00+01:00", True),  # not the day of the file's figures
    ("2026-12-02T00:00:00+01:00", "2026-12-01T00:00:00+01:00", True),
    ("2026-12-01T10:00:00", "2026-12-01T00:00:00+01:00", True),  # no offset: no instant
    ("10:00", "2026-12-01T00:00:00+01:00", True),
    (1_764_579_600, "2026-12-01T00:00:00+01:00", True),  # a number: not what PySEB writes
])
def test_the_day_s_energies_resume_counted_since_the_file_s_cycle_start(tmp_path: Path, saved: Any, restored: str,
                                                                        warned: bool) -> None:
    # Home Assistant's last_reset for the day's energies (energy_last_reset): a restore of the day's figures is the
    # same cycle, not a new one that HA would count again from 0.
    doc = saved_day(tmp_path, at(1, 11, 45))
    if saved is MISSING:
        del doc["energy_counted_since"]
    else:
        doc["energy_counted_since"] = saved
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    warnings = h.reg.restore(doc, at(1, 12, 1))
    h.reg.start(at(1, 12, 1))
    assert h.reg.status(at(1, 12, 2))["energy_counted_since"] == restored
    assert energies(h, at(1, 12, 2))[0] == 1500.0
    said = [w for w in warnings if "energy_counted_since" in w]
    assert bool(said) == warned
    if warned:
        assert "counted since its midnight" in said[0]


def test_a_partial_restore_keeps_the_file_s_cycle_start(tmp_path: Path) -> None:
    # The radiator missing from the file (a load added since): it starts from 0, the others resume. One cycle start
    # for all: the file's, so that the resumed energies are not counted twice by HA (the new load has no past).
    doc = saved_day(tmp_path, at(1, 11, 45))
    doc["energy_counted_since"] = "2026-12-01T10:00:00+01:00"
    doc["equipments"] = doc["equipments"][:1]
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    assert h.reg.restore(doc, at(1, 12, 1)) == ["no saved state for radiator: starting from zero"]
    h.reg.start(at(1, 12, 1))
    assert h.reg.status(at(1, 12, 2))["energy_counted_since"] == "2026-12-01T10:00:00+01:00"


@pytest.mark.parametrize(("restored_at", "since"), [
    (at(2, 8), "2026-12-02T08:00:00+01:00"),  # the day before's figures: today's start from 0 at the start
    (at(1, 12, 1) + 13 * 3600, "2026-12-02T01:01:00+01:00"),
])
def test_a_start_without_the_day_s_figures_counts_since_the_start(tmp_path: Path, restored_at: float,
                                                                  since: str) -> None:
    doc = saved_day(tmp_path, at(1, 11, 45))
    doc["energy_counted_since"] = "2026-12-01T10:00:00+01:00"
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, restored_at)
    h.reg.start(restored_at)
    assert h.reg.status(restored_at + 60)["energy_counted_since"] == since
    assert energies(h, restored_at + 60)[:2] == (0.0, 1500.0)


def test_a_clean_start_after_a_file_far_ahead_counts_since_the_start(tmp_path: Path) -> None:
    doc = saved_day(tmp_path, at(3, 11, 45))
    doc["energy_counted_since"] = "2026-12-03T10:00:00+01:00"
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.restore(doc, at(1, 12, 1))
    h.reg.start(at(1, 12, 1))
    assert h.reg.status(at(1, 12, 2))["energy_counted_since"] == "2026-12-01T12:01:00+01:00"
