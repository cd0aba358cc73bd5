"""Restores the status file cannot be trusted for as it stands: one dated ahead of the clock (a Raspberry Pi has no
clock chip: it boots with the time it last saved, behind, until NTP sets it), restored as today's, or, far ahead,
kept aside with only what keeps loads off restored. The daemon's side and a restore that fails:
test_status_restore_daemon; the day's energies' cycle start: test_status_restore_cycle."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from status.restore import CLOCK_BEHIND_MAX_S
from tests.configs import write_config
from tests.harness import MODE, NOON, Harness
from tests.saved_status import REPORT, at, energies, saved_day


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


def test_a_timed_force_from_a_file_ahead_of_the_clock_keeps_the_time_it_had_left(tmp_path: Path) -> None:
    # Taken as saved now, a file up to 12 h ahead (a Pi without a clock chip, before NTP) kept a timed force's end on
    # its own clock: a 1-hour boost saved at 12:00, restored with the clock at 02:00, ran 11 h from the grid.
    doc = saved_day(tmp_path, at(2, 12, 0))
    forced(doc, "radiator", 1000.0, end_at=at(2, 13, 0))
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    booted = at(2, 2, 0)
    warnings = h.reg.restore(doc, booted)
    assert len(warnings) == 1 and "ahead of the system clock" in warnings[0]
    h.reg.start(booted)
    radiator = h.load("radiator")
    assert radiator.is_forced() and radiator.forced_power_w == 1000 and radiator.force_end_at == at(2, 3, 0)
    h.reg.tick(at(2, 3, 0) + 1)
    assert not radiator.is_forced()


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


def restarted_before_ntp(doc: dict[str, Any], config: Path, booted_at: float) -> tuple[Harness, dict[str, Any]]:
    """A start at `booted_at` on `doc`, and the file it saves 5 min later."""
    h = Harness(config)
    h.reg.restore(doc, booted_at, set_aside=lambda why, outcome: None)
    h.reg.start(booted_at)
    return h, json.loads(json.dumps(h.reg.status(booted_at + 300)))


def test_a_timed_force_off_survives_starts_on_a_clock_not_set_yet(tmp_path: Path) -> None:
    # A 0 W force for 2 h, then the Pi (no clock chip, no fake-hwclock) booted on 1970 twice before NTP: the first start
    # kept the force from the file dated far ahead, its end its own time, and saved its file dated 1970. The second
    # judged that end from the 1970 date, "19675 days ahead, more than a force may last": dropped, the load on.
    config = write_config(tmp_path, ("ecs", "radiator"))
    doc = saved_day(tmp_path, NOON)
    forced(doc, "radiator", 0.0, end_at=NOON + 7200)
    for booted_at in (3600.0, 120.0, 60.0):  # (1970-01-01 02:00, then 01:02, 01:01 in Paris)
        h, doc = restarted_before_ntp(doc, config, booted_at)
        radiator = h.load("radiator")
        assert radiator.forced_power_w == 0 and radiator.force_end_at == NOON + 7200, booted_at
        assert doc["date"] < 946_684_800 and doc["equipments"][1]["force_end"] == NOON + 7200
    h.reg.tick(NOON + 7200 + 1)  # NTP sets the clock: the force ends at its own time
    assert not radiator.is_forced()
    h, _ = restarted_before_ntp(doc, config, NOON + 7200 + 60)  # (a start after it: over, not restored)
    assert not h.load("radiator").is_forced()
    h, _ = restarted_before_ntp(doc, config, NOON - 30 * 86400)  # (the clock set, a month before that end: damaged)
    assert not h.load("radiator").is_forced()


# (1970-01-01 02:00 in Paris: no clock chip; 2000-01-01 02:00: a clock chip reset, its clock after 2000 but far behind)
@pytest.mark.parametrize("booted_at", [3600.0, 946_692_000.0])
def test_a_timed_force_off_from_a_file_dated_right_ends_at_its_own_time_across_ntp_s_jump(tmp_path: Path,
                                                                                         booted_at: float) -> None:
    # Restored on a clock far behind from a file dated right, a 0 W force's end is a real time, kept so to end when NTP
    # brings the clock to it. NTP's jump moved it by the jump too (as an end taken on the clock before it is moved):
    # kept off 56 years (23 from a clock chip reset to 2000), the heater never heated again until unforced.
    config = write_config(tmp_path, ("ecs", "radiator"))
    doc = saved_day(tmp_path, NOON)
    forced(doc, "radiator", 0.0, end_at=NOON + 7200)
    h, _ = restarted_before_ntp(doc, config, booted_at)
    h.reg.tick(booted_at + 60)
    h.reg.clock_stepped_forward(NOON + 600 - (booted_at + 60))
    h.reg.tick(NOON + 600)
    radiator = h.load("radiator")
    assert radiator.forced_power_w == 0 and radiator.force_end_at == NOON + 7200
    h.reg.tick(NOON + 7200 + 1)
    assert not radiator.is_forced()


def test_a_timed_force_off_made_on_a_clock_not_set_yet_keeps_its_time_left(tmp_path: Path) -> None:
    # Forced off for 2 h on the 1970 clock, the file saved 10 min later, the Pi booted on 1970 again: its end, before
    # 2000, was no plausible time, dropped, the load on. It keeps the time it had left at the save, from the start.
    config = write_config(tmp_path, ("ecs", "radiator"))
    first = Harness(config)
    first.reg.handle(MODE, b'{"command":"force","name":"radiator","power":0,"duration":7200}', 3600.0)
    doc = json.loads(json.dumps(first.reg.status(3600.0 + 600)))
    h, _ = restarted_before_ntp(doc, config, 30.0)
    assert h.load("radiator").forced_power_w == 0 and h.load("radiator").force_end_at == 30.0 + 6600
    h.reg.tick(30.0 + 6600 + 1)
    assert not h.load("radiator").is_forced()
    ended = dict(doc, date=3600.0 + 7200 + 60)  # (saved after its end: over)
    assert not restarted_before_ntp(ended, config, 30.0)[0].load("radiator").is_forced()
    for watts in (b"1000", b"0"):  # (a force on is never restored from such a file, nor one made to last too long)
        longer = Harness(config)
        longer.reg.handle(MODE, b'{"command":"force","name":"radiator","power":%s,"duration":7200}' % watts, 3600.0)
        saved = json.loads(json.dumps(longer.reg.status(3600.0 + 600)))
        if watts == b"0":
            saved["equipments"][1]["force_end"] = 3600.0 + 30 * 86400
        assert not restarted_before_ntp(saved, config, 30.0)[0].load("radiator").is_forced()


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


def test_a_timed_force_restored_by_a_clock_behind_says_the_time_it_has_left(tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    # A file dated 2 h ahead (a Pi booting before NTP): the force keeps the hour it had left, moved onto the clock, but
    # the log said "forced state restored (1000 W, -3606 s left)", counted from the file's date.
    first = Harness(write_config(tmp_path))
    first.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 3600}', NOON)
    document = json.loads(json.dumps(first.reg.status(NOON + 10)))
    again = Harness(write_config(tmp_path))
    caplog.set_level(logging.INFO)
    again.reg.restore(document, NOON + 10 - 7200)
    assert "radiator: forced state restored (1000 W, 3590 s left)" in caplog.messages, caplog.messages
