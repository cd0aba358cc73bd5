"""The status file restored by name: the same day's figures, only yesterday's from a file of yesterday, the
seed's file, names in any case, and forces (timed, until unforced, a vacation's) across a restart."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from status.store import load_status, save_status
from tests.configs import SEED_STATUS, write_config
from tests.harness import MODE, NOON, Harness

PARIS = ZoneInfo("Europe/Paris")


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
