"""A tank's hourly re-check in the status document (`full_recheck`: when due, its probe while one runs) and across a
restart (due when the saved status said, an hour after the save at the latest); which loads a restore schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from field.full_tank_recheck import FullTankRecheck
from tests.field_house import ECS_CMD, field_config
from tests.field_tank import FOUND, METERED, T, full_an_hour, metered, sun, thermostat_cut
from tests.harness import Harness


def entry(h: Harness, name: str, now: float) -> dict[str, Any]:
    return next(e for e in h.reg.status(now)["equipments"] if e["name"] == name)


def restart(tmp_path: Path, doc: dict[str, Any], now: float) -> Harness:
    again = Harness(field_config(tmp_path, ecs=METERED))
    assert again.reg.restore(json.loads(json.dumps(doc)), now) == []
    return again


def test_the_status_shows_a_re_check_due_and_its_probe(tmp_path: Path) -> None:
    # Until 2026-12-07 the heater probed read `"overed": true` at 140 W, nothing said why.
    h = metered(tmp_path)
    assert entry(h, "ecs", T)["full_recheck"] is None
    assert "full_recheck" not in entry(h, "radiator", T)  # (no detector)
    full_an_hour(h)
    assert entry(h, "ecs", FOUND + 3596)["full_recheck"] == {"due_at": FOUND + 3600, "probe_since": None,
                                                             "probe_w": None}
    sun(h, FOUND + 3600, FOUND + 3600)
    shown = entry(h, "ecs", FOUND + 3602)
    assert shown["overed"] and shown["current_power"] == 140
    assert shown["full_recheck"] == {"due_at": FOUND + 3600, "probe_since": FOUND + 3601, "probe_w": 140}


def test_a_restart_keeps_the_re_check_s_time(tmp_path: Path) -> None:
    # Restored, a full tank was re-checked an hour after the save: a restart just before its re-check put it off an
    # hour.
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    doc = h.reg.status(FOUND + 3000)
    again = restart(tmp_path, doc, FOUND + 3010)
    assert again.load("ecs").overed
    assert entry(again, "ecs", FOUND + 3010)["full_recheck"]["due_at"] == FOUND + 3600
    sun(again, FOUND + 3011, FOUND + 3611)
    assert again.load("ecs").overed and any(c not in ("0", "status") for c in again.on(ECS_CMD))  # (probed)


def test_a_status_without_the_field_is_re_checked_an_hour_after_its_save(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    doc = h.reg.status(FOUND + 3000)
    for saved in doc["equipments"]:
        saved.pop("full_recheck", None)  # (a file from before 2026-12-07)
    again = restart(tmp_path, doc, FOUND + 3010)
    assert entry(again, "ecs", FOUND + 3010)["full_recheck"]["due_at"] == FOUND + 3000 + 3600


def test_a_saved_re_check_time_past_the_hour_after_the_save_is_not_taken(tmp_path: Path) -> None:
    h = metered(tmp_path)
    thermostat_cut(h, T + 1)
    doc = h.reg.status(FOUND + 3000)
    next(e for e in doc["equipments"] if e["name"] == "ecs")["full_recheck"]["due_at"] = FOUND + 86400
    again = restart(tmp_path, doc, FOUND + 3010)
    assert entry(again, "ecs", FOUND + 3010)["full_recheck"]["due_at"] == FOUND + 3000 + 3600


def test_a_relay_saved_full_schedules_no_re_check(tmp_path: Path) -> None:
    # (no detector, never probed: its re-check had every tick walk the loads for nothing)
    h = metered(tmp_path)
    doc = h.reg.status(T + 10)
    next(e for e in doc["equipments"] if e["name"] == "radiator")["overed"] = True
    again = restart(tmp_path, doc, T + 20)
    assert again.load("radiator").overed
    recheck = again.reg.field.tanks._recheck
    assert recheck.due_at("radiator") is None and not recheck.waiting


def test_a_probe_ended_with_no_verdict_keeps_a_found_time_of_0() -> None:
    # (`found_at(name) or now` took a found time of 0.0 for none: the re-check put off an hour from the force)
    recheck = FullTankRecheck(settle_s=1.0)
    recheck.found_full("ecs", 0.0)
    recheck.note_export(500.0, 3600.0)
    assert recheck.due("ecs", 140.0, 3600.0) == 500.0
    recheck.start("ecs", 140.0, 3600.0)
    assert recheck.abandon("ecs")
    assert recheck.found_at("ecs") == 0.0 and recheck.due_at("ecs") == 3600.0
    assert recheck.due("ecs", 140.0, 3601.0) == 500.0  # (at the next chance)
