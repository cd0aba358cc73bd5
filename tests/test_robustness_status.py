"""A status file that parses but holds nonsense (a date in the year 3e12, infinite deadlines, NaN
energies, wrong types) never crashes the start: the part is ignored with a warning and starts clean,
and the status built afterwards is valid JSON (no NaN, no infinity)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest

from status.store import load_status, save_status
from tests.field_house import field_config
from tests.harness import NOON, Harness

DEADLINE = "\n[fallback]\nmin_energy_wh = 3000\n"
# A JSON integer too large for a float, which float() refuses with OverflowError (1e400 reads as inf).
HUGE = pytest.param(10**400, id="int-1e400")


def harness(tmp_path: Path) -> Harness:
    """The water heater (ecs) with both fallback rules, and a radiator."""
    return Harness(field_config(tmp_path, extra=DEADLINE))


def saved(h: Harness, now: float) -> dict[str, Any]:
    """A good status document, as the regulator saves it (through JSON)."""
    h.reg.tick(now)
    return json.loads(json.dumps(h.reg.status(now)))


def published_json(h: Harness, now: float) -> dict[str, Any]:
    """The status at `now` as the daemon publishes it: allow_nan=False fails on any NaN or infinity."""
    h.reg.tick(now)
    return json.loads(json.dumps(h.reg.status(now), allow_nan=False))


def restore(h: Harness, doc: Any, now: float) -> list[str]:
    warnings = h.reg.restore(doc, now)
    assert all(isinstance(w, str) for w in warnings)
    return warnings


@pytest.mark.parametrize("date", [1e20, -1e20, 1e400, HUGE, pytest.param(-(10**400), id="int--1e400"),
                                  float("nan"), -1, 4_200_000_000, "2023-11-14", None])
def test_implausible_date_means_no_restore_not_a_crash(tmp_path: Path, date: Any) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["date"] = date
    doc["equipments"][0]["energy"] = 1234.0
    warnings = restore(h, doc, NOON)
    assert any("no valid 'date'" in w for w in warnings)
    status = published_json(h, NOON)
    assert status["equipments"][0]["energy"] == 0


def test_a_date_before_2000_is_a_clock_not_set_its_energies_not_restored(tmp_path: Path) -> None:
    # (0: 1970, a Pi's clock before NTP; only what keeps a load off is taken from such a file: see
    # test_status_restore_daemon)
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["date"] = 0
    doc["equipments"][0]["energy"] = 1234.0
    warnings = restore(h, doc, NOON)
    assert warnings[0].startswith("status file is dated 1970-01-01 01:00, before 2000: saved by a clock not set yet")
    assert published_json(h, NOON)["equipments"][0]["energy"] == 0


@pytest.mark.parametrize("force_end", [1e20, 1e400, HUGE, -1e20, float("nan"), "soon", NOON + 30 * 86400])
def test_implausible_force_end_means_no_force(tmp_path: Path, force_end: Any) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][1].update(forced=True, forced_power=1000.0, force_end=force_end, forced_by="user")
    warnings = restore(h, doc, NOON)
    assert any("radiator" in w for w in warnings)
    status = published_json(h, NOON)
    radiator = status["equipments"][1]
    assert radiator["forced"] is False and radiator["force_end"] is None
    assert h.last("cmnd/radiator/POWER") == "OFF"


def test_plausible_force_end_is_still_restored(tmp_path: Path) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][1].update(forced=True, forced_power=1000.0, force_end=NOON + 600, forced_by="user")
    restore(h, doc, NOON)
    assert published_json(h, NOON)["equipments"][1]["forced"] is True
    assert h.last("cmnd/radiator/POWER") == "ON"


def test_a_restored_force_is_the_only_command_its_relay_gets_at_the_start(tmp_path: Path) -> None:
    # Not 0 then the force: that clicks a forced-on contactor off and on at every restart (and every turn
    # of a crash loop). The loads without a force still get their 0.
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][1].update(forced=True, forced_power=1000.0, force_end=None, forced_by="user")
    restore(h, doc, NOON)
    h.reg.tick(NOON)
    assert h.on("cmnd/radiator/POWER") == ["ON"]
    assert h.on("regul/vload/ECS/cmd") == ["0"]


@pytest.mark.parametrize("cycle_end", [1e400, 1e20, -5.0, float("nan"), "tomorrow"])
def test_implausible_deadline_cycle_end_is_ignored(tmp_path: Path, cycle_end: Any) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["water_heater"]["deadline_rule"]["cycle_end"] = cycle_end
    restore(h, doc, NOON)
    rule = published_json(h, NOON)["water_heater"]["deadline_rule"]
    assert rule["deadline"] == "2023-11-15T07:00:00+01:00"  # the next 07:00, found afresh


def test_far_but_plausible_deadline_is_recomputed_not_waited_for(tmp_path: Path) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["water_heater"]["deadline_rule"]["cycle_end"] = 4_000_000_000.0  # 2096: the rule would sleep till then
    restore(h, doc, NOON)
    rule = published_json(h, NOON)["water_heater"]["deadline_rule"]
    assert rule["deadline"] == "2023-11-15T07:00:00+01:00"


def test_deadline_status_never_raises_on_a_state_it_cannot_show(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.reg.tick(NOON)
    rule = h.reg.field.heater.deadline  # type: ignore[union-attr]
    rule.start_at = 1e20  # a bug or an old file: the document must still be built
    assert rule.status()["start_at"] is None


def test_nan_and_infinite_energies_are_ignored(tmp_path: Path) -> None:
    text = json.dumps(saved(harness(tmp_path), NOON - 60))
    doc = json.loads(text)
    doc["production_energy"] = "__INF__"
    doc["production_energy_yesterday"] = -50.0
    doc["equipments"][0].update(energy="__NAN__", energy_yesterday=2000.0)
    doc["equipments"][1].update(energy=-1.0, energy_yesterday="__NINF__")
    doc["water_heater"]["seed_rule"].update(today_wh="__NAN__", yesterday_wh="__INF__", checked_until=1e20)
    doc["water_heater"]["deadline_rule"]["delivered_wh"] = "__NAN__"
    raw = json.dumps(doc).replace('"__NAN__"', "NaN").replace('"__INF__"', "Infinity") \
        .replace('"__NINF__"', "-Infinity")
    path = tmp_path / "status.json"
    path.write_text(raw)
    loaded = load_status(path)  # Python's json reads NaN and Infinity
    assert loaded is not None and math.isnan(loaded["equipments"][0]["energy"])
    h = harness(tmp_path)
    warnings = restore(h, loaded, NOON)
    assert any("ecs: saved energy 'nan' is not a plausible energy" in w for w in warnings)
    assert any("production_energy_yesterday" in w for w in warnings)  # negative
    status = published_json(h, NOON)
    ecs, radiator = status["equipments"]
    assert ecs["energy"] == 0 and ecs["energy_yesterday"] == 2000
    assert radiator["energy"] == 0 and radiator["energy_yesterday"] == 0
    assert status["production_energy"] == 0 and status["production_energy_yesterday"] == 0
    assert status["water_heater"]["seed_rule"]["today_wh"] == 0
    assert status["water_heater"]["deadline_rule"]["delivered_wh"] == 0
    assert status["ECS_energy_yesterday"] == 0


@pytest.mark.parametrize("bad", [pytest.param(int("9" * 400), id="int-400-digits"),
                                 pytest.param("9" * 400, id="text-400-digits")])
def test_a_long_saved_value_is_quoted_bounded(tmp_path: Path, bad: Any, caplog: pytest.LogCaptureFixture) -> None:
    # A hand edit or a disk error: a saved figure of 400 digits was quoted whole in each of its warnings (and log
    # lines), as the status file held it. Each line shows its start and its length, as a message's value is shown.
    doc = saved(harness(tmp_path), NOON - 60)
    doc["ECS_energy_yesterday"] = doc["production_energy"] = bad
    doc["equipments"][0].update(energy=bad, energy_yesterday=bad, overed=True, full_until=bad)
    doc["equipments"][1].update(forced=True, forced_power=1000.0, force_end=bad, forced_by="user")
    doc["water_heater"]["seed_rule"].update(today_wh=bad, checked_until=bad)
    doc["water_heater"]["deadline_rule"].update(delivered_wh=bad, cycle_end=bad, done=True, full_met_at=bad)
    learned = {**doc["equipments"][1], "forced": False, "learned_power": bad}
    forced = {**doc["equipments"][1], "force_end": None, "forced_power": bad}
    with caplog.at_level(logging.WARNING):
        warnings = [warning for variant in (doc, {**doc, "equipments": [doc["equipments"][0], learned]},
                                            {**doc, "equipments": [doc["equipments"][0], forced]},
                                            {**doc, "water_heater": {**doc["water_heater"], "name": bad}},
                                            {**doc, "date": bad})
                    for warning in restore(harness(tmp_path), variant, NOON)]
    said = [line for line in [*warnings, *caplog.messages] if "99999" in line]
    for what in ("ECS_energy_yesterday", "saved energy", "saved energy_yesterday", "production_energy", "full_until",
                 "force_end", "saved today_wh", "checked_until", "delivered_wh", "cycle_end", "full_met_at",
                 "learned power", "forced power", "fallback state is for", "no valid 'date'"):
        assert any(what in line for line in said), what
    assert all("characters)" in line and len(line) < 250 for line in said), max(said, key=len)


def test_seed_top_level_nan_is_ignored(tmp_path: Path) -> None:
    # The seed's status.ini (no schema_version): its ECS_energy_yesterday goes to the fallback's count.
    h = harness(tmp_path)
    doc = {"date": int(NOON - 60), "ECS_energy_yesterday": float("nan"),
           "equipments": [{"name": "ecs", "energy": 100.0}]}
    restore(h, doc, NOON)
    assert published_json(h, NOON)["ECS_energy_yesterday"] == 0


def test_force_saved_above_a_lowered_max_comes_back_at_the_max(tmp_path: Path) -> None:
    # As a force command above the max: held at the max (a recalibration lowered it while stopped).
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][0].update(forced=True, forced_power=2400.0, force_end=NOON + 600, forced_by="user")
    warnings = restore(h, doc, NOON)
    assert "ecs: saved forced power 2400 W is above the load's max: forced at 2000 W" in warnings
    ecs = published_json(h, NOON)["equipments"][0]
    assert ecs["forced"] is True and ecs["forced_power"] == 2000 and ecs["force_end"] == NOON + 600


def test_a_relay_saved_forced_at_part_of_its_watts_comes_back_on_at_its_watts(tmp_path: Path) -> None:
    # (an older version kept the 300 W asked of a 1000 W radiator, which drew 1000 W)
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][1].update(forced=True, forced_power=300.0, force_end=None, forced_by="user")
    assert restore(h, doc, NOON) == []
    radiator = published_json(h, NOON)["equipments"][1]
    assert radiator["forced"] is True and radiator["forced_power"] == 1000


@pytest.mark.parametrize("doc", [
    [], "status", {"date": NOON, "equipments": "none"},
    {"date": NOON, "equipments": [None, 5, {"name": 5}, {"name": "ecs", "energy": {"a": 1}, "forced": True,
                                                          "forced_power": "max", "overed": "yes"}]},
    {"date": NOON, "equipments": [{"name": "ecs"}, {"name": "ecs", "energy": 5.0}]},
    {"date": NOON, "equipments": [], "water_heater": "ecs"},
    {"date": NOON, "equipments": [], "water_heater": {"name": "ecs", "mode": 5, "seed_rule": [1],
                                                      "deadline_rule": {"cycle_end": [], "forcing": "x"}}},
    {"date": NOON, "equipments": [], "water_heater": {"name": "ecs", "seed_rule": {"window_start": "x"}}},
    {"date": NOON, "equipments": [{"name": "radiator", "forced": True, "forced_power": 1e400}]},
    {"date": NOON, "equipments": [{"name": "radiator", "forced": True, "forced_power": 10**400,
                                   "energy": 10**400}]},
], ids=["list", "text", "equipments-text", "bad-entries", "twice", "heater-text", "heater-types",
        "seed-types", "inf-power", "huge-int-power"])
def test_wrong_shapes_never_raise(tmp_path: Path, doc: Any) -> None:
    h = harness(tmp_path)
    restore(h, doc, NOON)
    published_json(h, NOON)


def test_deeply_nested_parts_are_dropped(tmp_path: Path) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    nested: Any = 1.0
    for _ in range(500):
        nested = [nested]
    doc["water_heater"]["seed_rule"]["today_wh"] = nested
    warnings = restore(h, doc, NOON)
    assert any("nested too deep" in w for w in warnings)
    published_json(h, NOON)


def test_an_unexpected_error_in_one_part_means_a_clean_start_for_that_part(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][0].update(energy=700.0)
    doc["equipments"][1].update(energy=500.0, forced=True, forced_power=1000.0, force_end=None)

    def broken_field_restore(*args: Any) -> list[str]:
        raise KeyError("something no one thought of")

    monkeypatch.setattr(h.reg.field, "restore", broken_field_restore)
    real_max = h.load("radiator").max_force_power_w
    monkeypatch.setattr(h.load("radiator"), "max_force_power_w", lambda: 1 / 0)
    warnings = restore(h, doc, NOON)
    assert any("water-heater and full-tank state could not be restored" in w for w in warnings)
    assert any(w.startswith("radiator: saved state could not be restored") for w in warnings)
    monkeypatch.setattr(h.load("radiator"), "max_force_power_w", real_max)
    status = published_json(h, NOON)
    ecs, radiator = status["equipments"]
    assert ecs["energy"] == 700  # the rest restored
    assert radiator["energy"] == 0 and radiator["forced"] is False  # that load: clean


def test_an_unexpected_error_anywhere_means_a_clean_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    h = harness(tmp_path)
    doc = saved(harness(tmp_path), NOON - 60)
    doc["equipments"][0].update(energy=700.0)

    real_tz = h.reg.tz
    monkeypatch.setattr(h.reg, "tz", "Europe/Paris")  # not a tzinfo: every date conversion raises TypeError
    warnings = restore(h, doc, NOON)
    assert warnings and "clean start" in warnings[-1] and "TypeError" in warnings[-1]
    monkeypatch.setattr(h.reg, "tz", real_tz)
    assert published_json(h, NOON)["equipments"][0]["energy"] == 0


def test_document_never_holds_nan_even_if_the_state_does(tmp_path: Path) -> None:
    # Whatever sets it (a bug, a future restore path), the status stays publishable.
    h = harness(tmp_path)
    h.reg.tick(NOON)
    radiator = h.load("radiator")
    radiator.energy_wh = float("nan")
    radiator.energy_yesterday_wh = float("inf")
    h.reg.production_energy.yesterday_wh = float("-inf")
    radiator.forced_power_w, radiator.force_end_at = 1000.0, 1e20
    h.reg.field.heater.seed.yesterday_wh = float("nan")  # type: ignore[union-attr]
    status = json.loads(json.dumps(h.reg.status(NOON), allow_nan=False))
    entry = status["equipments"][1]
    assert entry["energy"] is None and entry["energy_yesterday"] is None
    assert entry["forced_until"] is None and entry["force_end"] == 1e20  # finite: shown, not converted
    assert status["production_energy_yesterday"] is None and status["ECS_energy_yesterday"] is None


def test_the_published_status_never_holds_nan_even_if_a_part_does(tmp_path: Path) -> None:
    # The publication builds the document without checking the field features' parts and the day so far, and
    # builds it again checked only when the JSON encoder refuses it: a NaN there is null in what goes out.
    h = harness(tmp_path)
    h.reg.tick(NOON)
    h.reg.field.heater.seed.today_wh = float("nan")  # type: ignore[union-attr]
    h.reg.daily._pv = float("inf")
    h.reg.publish_status(NOON + 1)
    published = h.statuses()[-1]
    assert published["water_heater"]["seed_rule"]["today_wh"] is None
    assert published["report_today"]["pv_wh"] is None
    assert h.reg.last_status is not None and h.reg.last_status["report_today"]["pv_wh"] is None
    # A state without any: the very document `status` builds, checked, goes out.
    h.reg.field.heater.seed.today_wh = 12.0  # type: ignore[union-attr]
    h.reg.daily._pv = 0.0
    h.reg.publish_status(NOON + 2)
    assert h.statuses()[-1] == json.loads(json.dumps(h.reg.status(NOON + 2), allow_nan=False))


def test_good_file_round_trip_still_restores_everything(tmp_path: Path) -> None:
    first = harness(tmp_path)
    doc = saved(first, NOON - 60)
    doc["equipments"][0].update(energy=1500.0, energy_yesterday=2500.0)
    doc["production_energy"] = 4321.0
    save_status(tmp_path / "status.json", doc)
    second = harness(tmp_path)
    warnings = restore(second, load_status(tmp_path / "status.json"), NOON)
    assert not [w for w in warnings if "ignored" in w or "plausible" in w]
    status = published_json(second, NOON)
    assert status["equipments"][0]["energy"] == 1500 and status["production_energy"] == 4321
