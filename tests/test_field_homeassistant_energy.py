"""Home Assistant discovery in-process: the energy sensors, totals whose cycle (last_reset) starts when the
counting did and moves at the day roll, across restarts and a clock behind, never counted twice by HA's recorder."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.field_homeassistant import ENERGIES, HA, PARIS, by_id, command, harness, paris, state, states
from tests.ha_schema import recorder_sum, render_last_reset, schema_problems
from tests.harness import NOON, Harness

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)


def test_energy_today_restarts_at_midnight(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "load_ecs_force_power", "1000", NOON)
    command(h, "load_ecs_force", "ON", NOON)
    for minute in range(1, 61):
        h.reg.tick(NOON + 60 * minute)
    command(h, "load_ecs_force_power", "1000", NOON + 3601)  # any change publishes a status, and the state
    assert state(h)["load_ecs_energy"] == pytest.approx(1000, abs=1)
    midnight = NOON + 12 * 3600
    for minute in range(1, 60 * 11 + 2):
        h.reg.tick(NOON + 3600 + 60 * minute)
    command(h, "load_ecs_force_power", "1000", midnight + 61)
    assert state(h)["load_ecs_energy"] == pytest.approx(1000 / 60, abs=1)  # since midnight only


def test_energy_sensors_are_totals_whose_cycle_starts_when_the_counting_did(tmp_path: Path) -> None:
    # total_increasing: HA's recorder takes any drop below 90 % of the last state for a new meter cycle. total with
    # a last_reset: a new cycle is a new last_reset, a drop under the same one is a decrease. Started at noon with
    # no status file, PySEB counts the day's energies from noon: the cycle's start.
    h = harness(tmp_path)
    h.meters(300, 1300, NOON + 1)
    for object_id in ENERGIES:
        config = by_id(h)[object_id]
        assert (config["device_class"], config["state_class"]) == ("energy", "total")
        assert config["last_reset_value_template"] == "{{ value_json['energy_last_reset'] }}"
        assert schema_problems("sensor", config) == []
        assert render_last_reset(config, state(h)) == datetime(2023, 11, 14, 12, tzinfo=PARIS)
    assert state(h)["energy_last_reset"] == "2023-11-14T12:00:00+01:00"  # ISO 8601 with its offset


def test_a_restore_below_what_home_assistant_saw_is_not_counted_twice(tmp_path: Path) -> None:
    # The heater forced at 2000 W, the status file saved at 13:15 (2500 Wh), a power cut at 13:30 (3000 Wh seen by
    # HA): restored at 13:31 with 2500 Wh. As total_increasing the recorder took the drop for a new cycle and
    # counted the 2500 Wh again: the Energy dashboard showed 5500 Wh for a heater that drew 3000 Wh.
    cfg = write_config(tmp_path, ("ecs", "radiator"), extra=HA)
    first = Harness(cfg)
    first.reg.start(NOON)
    first.reg.on_connected(NOON)
    first.reg.handle("regul/mode", b'{"command":"force","name":"ecs","power":2000}', NOON)
    saved: dict = {}
    for minute in range(1, 91):
        first.meters(2300, 0, NOON + 60 * minute)
        if minute == 75:
            saved = json.loads(json.dumps(first.reg.status(NOON + 60 * minute)))
    assert state(first)["load_ecs_energy"] == pytest.approx(3000, abs=40)
    second = Harness(cfg)
    second.reg.restore(saved, NOON + 91 * 60)
    second.reg.start(NOON + 91 * 60)
    second.reg.on_connected(NOON + 91 * 60)
    for minute in range(92, 95):
        second.meters(2300, 0, NOON + 60 * minute)
    seen = states(first) + states(second)
    day_wh = seen[-1]["load_ecs_energy"]
    assert day_wh == pytest.approx(2500 + 3 * 2000 / 60, abs=40)  # PySEB's count: the lost quarter hour is lost
    assert recorder_sum(by_id(second)["load_ecs_energy"], seen) == pytest.approx(day_wh - seen[0]["load_ecs_energy"])
    as_before = {**by_id(second)["load_ecs_energy"], "state_class": "total_increasing"}
    del as_before["last_reset_value_template"]
    assert recorder_sum(as_before, seen) == pytest.approx(3000 + day_wh, abs=60)  # what HA did before: twice


# (started at 23:00 with no status file: the first cycle is counted from the start, the next from the midnight)
@pytest.mark.parametrize(("day", "before", "after"), [
    ((2023, 11, 14), "2023-11-14T23:00:00+01:00", "2023-11-15T00:00:00+01:00"),
    ((2026, 3, 28), "2026-03-28T23:00:00+01:00", "2026-03-29T00:00:00+01:00"),  # into a 23-hour day
    ((2026, 3, 29), "2026-03-29T23:00:00+02:00", "2026-03-30T00:00:00+02:00"),  # out of it: summer time
    ((2026, 10, 25), "2026-10-25T23:00:00+01:00", "2026-10-26T00:00:00+01:00"),  # out of a 25-hour day
])
def test_the_last_reset_moves_with_the_energies_at_the_day_roll(tmp_path: Path, day: tuple[int, int, int],
                                                                 before: str, after: str) -> None:
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), extra=HA))
    start = paris(*day, 23, 0)
    h.reg.start(start)
    h.reg.on_connected(start)
    h.reg.handle("regul/mode", b'{"command":"force","name":"ecs","power":1000}', start)
    for minute in range(1, 121):
        h.meters(1300, 0, start + 60 * minute)
    seen = states(h)
    resets = [s["energy_last_reset"] for s in seen]
    assert resets[0] == before and resets[-1] == after and set(resets) == {before, after}
    rolled = resets.index(after)
    # In one document with the energies' own reset: HA's recorder counts the new cycle from 0, so a last_reset
    # ahead of the energies would count the past day's again, one behind would take the new day's 0 as a decrease.
    assert seen[rolled - 1]["load_ecs_energy"] == pytest.approx(1000, abs=20)
    assert seen[rolled]["load_ecs_energy"] < 20
    assert recorder_sum(by_id(h)["load_ecs_energy"], seen) == pytest.approx(2000 - seen[0]["load_ecs_energy"], abs=20)


def forced_ecs_from(h: Harness, started_at: float, doc: dict | None = None) -> None:
    """`h` started at `started_at` (restoring `doc` if given), the heater forced at 1000 W."""
    if doc is not None:
        h.reg.restore(doc, started_at)
    h.reg.start(started_at)
    h.reg.on_connected(started_at)
    h.reg.handle("regul/mode", b'{"command":"force","name":"ecs","power":1000}', started_at)


def metered(h: Harness, start_at: float, minutes: int, save_at_minute: int | None = None) -> dict:
    """The meters every minute for `minutes` after `start_at` (the heater drawing 1000 W); the status as saved at
    `save_at_minute` (through JSON), or at the last minute."""
    saved: dict = {}
    for minute in range(1, minutes + 1):
        h.meters(1300, 0, start_at + 60 * minute)
        if minute == (save_at_minute or minutes):
            saved = json.loads(json.dumps(h.reg.status(start_at + 60 * minute)))
    return saved


def another_day_s(doc: dict) -> dict:
    """`doc` as saved the day before at the same time."""
    report = {**doc["report_today"], "date": (date.fromisoformat(doc["report_today"]["date"]) - timedelta(days=1))
              .isoformat()}
    return {**doc, "date": doc["date"] - 86400, "report_today": report}


@pytest.mark.parametrize("restored", [
    "nothing",  # [status] persistent = false (any config edit's restart), no file yet, an unreadable one set aside
    "the day before's",  # a file left from the day before: the day's energies start from 0
    "far ahead",  # a file dated days ahead of the clock: set aside, a clean start
])
def test_a_start_without_the_day_s_energies_is_a_new_cycle_from_the_start(tmp_path: Path, restored: str) -> None:
    # PySEB counted since 08:00 (4000 Wh by noon) and restarts at 12:01 without the morning's figures: its energies
    # restart from 0. Under the day's midnight as last_reset, HA's recorder took the drop for a decrease and
    # subtracted the morning's 4000 Wh from the day (with persistent = false, at every restart).
    cfg = write_config(tmp_path, ("ecs", "radiator"), extra=HA)
    first = Harness(cfg)
    forced_ecs_from(first, paris(2026, 12, 1, 8))
    saved = metered(first, paris(2026, 12, 1, 8), 240)
    assert state(first)["energy_last_reset"] == "2026-12-01T08:00:00+01:00"
    doc = {"nothing": None, "the day before's": another_day_s(saved),
           "far ahead": {**saved, "date": saved["date"] + 3 * 86400}}[restored]
    second = Harness(cfg)
    forced_ecs_from(second, paris(2026, 12, 1, 12, 1), doc)
    metered(second, paris(2026, 12, 1, 12, 1), 59)
    assert state(second)["load_ecs_energy"] == pytest.approx(1000 - 1000 / 60, abs=20)  # since 12:01 only
    assert {s["energy_last_reset"] for s in states(second)} == {"2026-12-01T12:01:00+01:00"}
    seen = states(first) + states(second)
    drawn_wh = states(first)[-1]["load_ecs_energy"] - seen[0]["load_ecs_energy"] + seen[-1]["load_ecs_energy"]
    assert drawn_wh == pytest.approx(5000, abs=60)
    assert recorder_sum(by_id(second)["load_ecs_energy"], seen) == pytest.approx(drawn_wh)  # the morning kept


def test_a_restore_keeps_the_cycle_start_the_file_had(tmp_path: Path) -> None:
    # Started at 10:00 with no file: counted since 10:00; saved at 11:45 (1750 Wh), a crash at 12:00 (2000 Wh seen by
    # HA), restored at 12:01. The restored day is the same cycle (a decrease by the lost quarter hour), not a new
    # one from 12:01 that HA would count again from 0 (1750 Wh twice).
    cfg = write_config(tmp_path, ("ecs", "radiator"), extra=HA)
    first = Harness(cfg)
    forced_ecs_from(first, paris(2026, 12, 1, 10))
    saved = metered(first, paris(2026, 12, 1, 10), 120, save_at_minute=105)
    assert saved["energy_counted_since"] == "2026-12-01T10:00:00+01:00"  # in the status document, so in the file
    second = Harness(cfg)
    assert second.reg.restore(saved, paris(2026, 12, 1, 12, 1)) == []
    forced_ecs_from(second, paris(2026, 12, 1, 12, 1))
    metered(second, paris(2026, 12, 1, 12, 1), 3)
    seen = states(first) + states(second)
    assert {s["energy_last_reset"] for s in seen} == {"2026-12-01T10:00:00+01:00"}
    assert seen[-1]["load_ecs_energy"] == pytest.approx(1750 + 4 * 1000 / 60, abs=20)  # the quarter hour is lost
    assert recorder_sum(by_id(second)["load_ecs_energy"], seen) == pytest.approx(
        seen[-1]["load_ecs_energy"] - seen[0]["load_ecs_energy"])  # a decrease: the day counted once
    # ... until the day roll: the next cycle is the new day's, from its midnight
    second.reg.tick(paris(2026, 12, 2, 0, 1))
    assert state(second)["energy_last_reset"] == "2026-12-02T00:00:00+01:00"
    assert state(second)["load_ecs_energy"] < 20


def test_the_last_reset_is_the_counted_day_s_while_the_clock_is_behind(tmp_path: Path) -> None:
    # A Pi booted at 23:30 by its clock (35 min behind) on a file saved at 00:05: the energies are the 2nd's. A
    # last_reset of the clock's day, the 1st, would move to the 2nd when NTP steps the clock over midnight, a new
    # cycle for HA that counted the day's energy so far again.
    cfg = write_config(tmp_path, ("ecs", "radiator"), extra=HA)
    first = Harness(cfg)
    first.reg.start(paris(2026, 12, 1, 23, 0))
    first.meters(300, 2000, paris(2026, 12, 2, 0, 3))
    saved = json.loads(json.dumps(first.reg.status(paris(2026, 12, 2, 0, 5))))
    h = Harness(cfg)
    booted_at = paris(2026, 12, 1, 23, 30)
    h.reg.restore(saved, booted_at)
    h.reg.start(booted_at)
    h.reg.on_connected(booted_at)
    h.meters(300, 2000, booted_at + 60)
    assert h.reg.counted_day == "2026-12-02"
    assert state(h)["energy_last_reset"] == "2026-12-02T00:00:00+01:00"
    h.meters(300, 2000, paris(2026, 12, 2, 0, 20))  # NTP: the same day
    assert {s["energy_last_reset"] for s in states(h)} == {"2026-12-02T00:00:00+01:00"}
