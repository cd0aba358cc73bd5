"""Home Assistant discovery in-process: the configs (HA's documented keys), the state document, and the
controls going through regul/mode's validation and the heater-mode selector's."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import reading, write_config
from tests.field_house import ECS_CMD, RADIATOR
from tests.ha_schema import recorder_sum, render, render_last_reset, schema_problems
from tests.harness import CONS, NOON, PROD, Harness

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)

HA = "[homeassistant]\ndiscovery = true\n"
STATE = "regul/ha/state"
PARIS = ZoneInfo("Europe/Paris")  # the test configs' [evaluate] timezone
ENERGIES = ("production_energy", "load_ecs_energy", "load_radiator_energy")


def harness(tmp_path: Path, extra: str = HA, loads: tuple[str, ...] = ("ecs", "radiator")) -> Harness:
    h = Harness(write_config(tmp_path, loads, extra=extra))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    return h


def configs(h: Harness) -> dict[str, dict]:
    """Discovery topic -> config, the last one published on each (retained)."""
    found: dict[str, dict] = {}
    for topic, payload, retain in h.sent:
        if topic.startswith("homeassistant/") and topic.endswith("/config"):
            assert retain, topic
            found[topic] = json.loads(payload)
    return found


def by_id(h: Harness) -> dict[str, dict]:
    return {topic.split("/")[3]: config for topic, config in configs(h).items()}


def state(h: Harness) -> dict:
    retained = [p for t, p, r in h.sent if t == STATE and r]
    assert retained, "no retained state published"
    return dict(json.loads(retained[-1]))


def states(h: Harness) -> list[dict]:
    """Every retained state document, oldest first: what HA's recorder saw."""
    return [json.loads(p) for t, p, r in h.sent if t == STATE and r]


def paris(year: int, month: int, day: int, hour: int, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).timestamp()


def command(h: Harness, object_id: str, payload: str, now: float = NOON + 10) -> None:
    h.reg.handle(by_id(h)[object_id]["command_topic"], payload.encode(), now)


def test_off_by_default_nothing_under_homeassistant(tmp_path: Path) -> None:
    h = harness(tmp_path, extra="")
    h.meters(300, 2000, NOON + 1)
    assert not [t for t, _, _ in h.sent if t.startswith(("homeassistant", "regul/ha"))]
    # (only the configs an earlier run with discovery on may have left, to remove them)
    assert [t for t in h.reg.subscriptions() if t.startswith(("homeassistant", "regul/ha"))] == [
        "homeassistant/+/pyseb_test/+/config"]


def test_every_config_follows_the_documented_schema(tmp_path: Path) -> None:
    h = harness(tmp_path)
    found = configs(h)
    components = sorted({topic.split("/")[1] for topic in found})
    assert components == ["binary_sensor", "number", "select", "sensor", "switch"]
    for topic, config in found.items():
        assert schema_problems(topic.split("/")[1], config) == [], topic
        assert config["availability_topic"] == "regul/availability"
        # (the client id pyseb-test: not the default instance, named after its node id)
        assert config["device"]["name"] == "PySEB test" and config["device"]["identifiers"] == ["pyseb_pyseb_test"]
        assert topic.split("/")[2] == "pyseb_test"  # node id: [mqtt] client_id, as an id
    ids = [config["unique_id"] for config in found.values()]
    assert len(ids) == len(set(ids))
    names = set(by_id(h))
    assert {"grid_power", "production_power", "consumption_power", "production_energy", "last_decision",
            "suspended_reason", "consumption_stale", "production_stale", "water_heater_mode"} <= names
    for load in ("ecs", "radiator"):
        assert {f"load_{load}_{what}" for what in ("power", "energy", "force", "force_duration")} <= names
    assert "load_ecs_full" in names and "load_radiator_full" not in names  # only a load with a tank detector
    # A force power only for a load whose power can be set: a relay forced on draws its watts.
    assert by_id(h)["load_ecs_force_power"]["max"] == 2000 and "load_radiator_force_power" not in names
    assert by_id(h)["load_ecs_energy"]["state_class"] == "total"
    assert by_id(h)["water_heater_mode"]["options"] == ["off", "solar", "solar+fallback", "forced"]


def test_the_fake_ha_refuses_a_category_or_a_precision_ha_would_not_take() -> None:
    good = {"name": "x", "unique_id": "x", "state_topic": "s", "device": {"identifiers": ["d"], "name": "D"}}
    assert schema_problems("sensor", {**good, "entity_category": "diagnostic"}) == []
    assert schema_problems("sensor", {**good, "entity_category": "config"}) == ["entity_category 'config' for a sensor"]
    assert schema_problems("binary_sensor", {**good, "entity_category": "config"}) != []  # read-only too
    assert schema_problems("sensor", {**good, "entity_category": "system"}) != []
    control = {**good, "command_topic": "c", "min": 0, "max": 1}
    assert schema_problems("number", {**control, "entity_category": "config"}) == []
    assert schema_problems("number", {**control, "entity_category": "settings"}) != []
    assert schema_problems("sensor", {**good, "suggested_display_precision": 0}) == []
    for bad in (-1, 0.5, "0", True):
        assert schema_problems("sensor", {**good, "suggested_display_precision": bad}) != [], bad


def test_settings_and_diagnostics_are_set_apart_from_the_main_entities(tmp_path: Path) -> None:
    # HA shows `config` and `diagnostic` entities on cards of their own on the device page, and leaves them off
    # auto-generated dashboards: the force settings, and what explains the regulation rather than shows the house.
    found = by_id(harness(tmp_path))
    categories = {object_id: config.get("entity_category") for object_id, config in found.items()}
    settings = {"load_ecs_force_power", "load_ecs_force_duration", "load_radiator_force_duration"}
    diagnostics = {"last_decision", "suspended_reason", "consumption_stale", "production_stale"}
    assert {i for i, c in categories.items() if c == "config"} == settings
    assert {i for i, c in categories.items() if c == "diagnostic"} == diagnostics
    main = set(categories) - settings - diagnostics
    assert {"grid_power", "production_energy", "load_ecs_force", "load_ecs_power", "load_ecs_energy", "load_ecs_full",
            "water_heater_mode"} <= main
    assert all(categories[i] is None for i in main)


def test_watts_and_watt_hours_are_shown_whole(tmp_path: Path) -> None:
    # Without a suggested precision HA shows the state as sent: 1234.5678 W.
    found = configs(harness(tmp_path))
    sensors = {topic.split("/")[3]: config for topic, config in found.items()
               if topic.split("/")[1] == "sensor" and config.get("unit_of_measurement") in ("W", "Wh")}
    assert {"grid_power", "production_energy", "load_ecs_power", "load_radiator_energy"} <= set(sensors)
    assert {i: c.get("suggested_display_precision") for i, c in sensors.items()} == dict.fromkeys(sensors, 0)


def test_state_document_feeds_every_entity(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.meters(300, 1300, NOON + 1)
    h.meters(300 + 980, 1300, NOON + 4)  # balanced: no command, the status waits for its interval (1 s here)
    h.reg.tick(NOON + 5.1)
    st = state(h)
    values = {object_id: render(config, st) for object_id, config in by_id(h).items()}
    assert values["grid_power"] == -20.0 and values["production_power"] == 1300.0
    assert values["load_ecs_power"] == 980.0 and values["load_radiator_power"] == 0.0
    assert values["load_ecs_force"] == "OFF" and values["load_ecs_force_power"] == 2000
    assert values["load_ecs_force_duration"] == 0 and values["water_heater_mode"] == "solar+fallback"
    assert values["consumption_stale"] == "OFF" and values["suspended_reason"] == "none"
    assert values["last_decision"] == "balanced"
    h.reg.tick(NOON + 30)  # the meters fell silent
    st = state(h)
    assert st["consumption_stale"] == "ON" and "silent" in st["suspended_reason"]


def test_a_silent_meter_shows_stale_from_the_moment_the_regulation_is_suspended(tmp_path: Path) -> None:
    # The status published at the cut-over says age 10.0 s for the 10 s timeout, and no other follows while
    # the meters stay silent: that one must already say stale, or an HA alert on it never fires.
    h = harness(tmp_path)
    h.meters(300, 1300, NOON + 1)
    for t in range(2, 120):
        h.reg.tick(NOON + t)
    st = state(h)
    assert "silent" in st["suspended_reason"]
    assert st["consumption_stale"] == "ON" and st["production_stale"] == "ON"


def test_a_mode_chosen_in_home_assistant_moves_the_domoticz_selector_and_survives_a_restart(tmp_path: Path) -> None:
    # Domoticz hands back its selector's level at every connect: left at 20, it would undo HA's "off".
    cfg = write_config(tmp_path, extra=HA + "[domoticz]\nidx_ecs_mode = 338\n")
    selector = b'{"idx": 338, "nvalue": 2, "svalue1": "%d", "switchType": "Selector", "name": "Automate_Cumulus"}'
    h = Harness(cfg)
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle("domoticz/out", selector % 20, NOON + 1)  # its answer to getdeviceinfo: solar+fallback
    h.reg.handle("regul/ha/water_heater_mode/set", b"off", NOON + 2)
    assert json.loads(h.last("domoticz/in") or "{}") == {"command": "switchlight", "idx": 338,
                                                          "switchcmd": "Set Level", "level": 0}
    h.reg.handle("domoticz/out", selector % 0, NOON + 2.5)  # the selector's echo: the same mode, nothing moves
    assert h.reg.status(NOON + 3)["water_heater"]["mode"] == "off"
    saved = json.loads(json.dumps(h.reg.status(NOON + 3)))
    g = Harness(cfg)
    g.reg.restore(saved, NOON + 60)
    g.reg.start(NOON + 60)
    g.reg.on_connected(NOON + 60)
    g.reg.handle("domoticz/out", selector % 0, NOON + 61)  # the level Domoticz now shows
    assert g.reg.status(NOON + 62)["water_heater"]["mode"] == "off"


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


def test_force_switch_power_and_duration(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "load_ecs_force_power", "500")
    command(h, "load_ecs_force_duration", "30")
    assert state(h)["load_ecs_force_power"] == 500 and state(h)["load_ecs_force_duration"] == 30
    assert not h.load("ecs").is_forced()  # a setting, until the switch is on
    command(h, "load_ecs_force", "ON", NOON + 20)
    ecs = h.load("ecs")
    assert ecs.forced_power_w == 500 and ecs.force_end_at == NOON + 20 + 1800 and ecs.forced_by == "homeassistant"
    assert h.last(ECS_CMD) == "25"  # 500 W on the linear 20 W/% curve
    assert state(h)["load_ecs_force"] == "ON"
    command(h, "load_ecs_force_power", "1000", NOON + 30)  # while on: applied at once
    assert ecs.forced_power_w == 1000 and h.last(ECS_CMD) == "50"
    command(h, "load_radiator_force", "ON")
    assert h.last(RADIATOR) == "ON" and h.load("radiator").force_end_at is None
    command(h, "load_ecs_force", "OFF", NOON + 40)
    assert not ecs.is_forced() and state(h)["load_ecs_force"] == "OFF"


def test_a_duration_in_part_minutes_is_shown_as_set(tmp_path: Path) -> None:
    # HA checks a number's min and max, not its step: an automation's 0.5 min was taken (a 30 s force) while the
    # number showed round(0.5) = 0, "until off"; 2.5 showed 2.
    h = harness(tmp_path)
    command(h, "load_ecs_force_duration", "0.5")
    assert state(h)["load_ecs_force_duration"] == 0.5
    command(h, "load_ecs_force", "ON", NOON + 20)
    assert h.load("ecs").force_end_at == NOON + 20 + 30
    command(h, "load_ecs_force_duration", "2.5", NOON + 21)
    assert state(h)["load_ecs_force_duration"] == 2.5
    command(h, "load_ecs_force_duration", "30", NOON + 22)
    assert json.dumps(state(h)["load_ecs_force_duration"]) == "30"  # a whole number stays one


def test_a_setting_changed_during_a_timed_force_keeps_its_end(tmp_path: Path) -> None:
    # A 60-minute boost whose power was changed at its 50th minute ran 60 minutes more from then, 110 minutes in
    # all, from the grid: the force is counted from the switch's On, whatever setting changes meanwhile.
    h = harness(tmp_path)
    command(h, "load_ecs_force_duration", "60")
    command(h, "load_ecs_force", "ON", NOON + 20)
    ecs = h.load("ecs")
    command(h, "load_ecs_force_power", "1000", NOON + 20 + 3000)
    assert ecs.forced_power_w == 1000 and ecs.force_end_at == NOON + 20 + 3600
    command(h, "load_ecs_force_duration", "90", NOON + 20 + 3300)  # longer: 90 minutes from the On
    assert ecs.forced_power_w == 1000 and ecs.force_end_at == NOON + 20 + 5400
    command(h, "load_ecs_force_duration", "0", NOON + 20 + 3400)  # 0: until the switch is turned off
    assert ecs.is_forced() and ecs.force_end_at is None
    command(h, "load_ecs_force_duration", "30", NOON + 20 + 3500)  # from an open force: 30 minutes from now
    assert ecs.force_end_at == NOON + 20 + 3500 + 1800
    command(h, "load_ecs_force_duration", "45", NOON + 20 + 3600)  # was on since NOON + 20 + 3500 - ...
    assert ecs.force_end_at == NOON + 20 + 3500 + 2700
    command(h, "load_ecs_force_duration", "1", NOON + 20 + 3700)  # shorter than it has run: over now
    assert not ecs.is_forced() and h.last(ECS_CMD) == "0" and state(h)["load_ecs_force"] == "OFF"
    assert state(h)["load_ecs_force_duration"] == 1


def test_force_power_above_the_max_is_held_at_the_max(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # As on regul/mode: the seeds' 2400 W nameplate on a 2000 W load is the max, said in one line.
    h = harness(tmp_path)
    with caplog.at_level(logging.INFO):
        command(h, "load_ecs_force_power", "2400")
    assert state(h)["load_ecs_force_power"] == 2000
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == \
        ["Home Assistant force power 2400 W for ecs is above its max: 2000 W kept"]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        command(h, "load_ecs_force", "ON", NOON + 20)
    assert h.load("ecs").forced_power_w == 2000 and h.last(ECS_CMD) == "100"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # said once, at the setting


def test_the_number_s_own_max_is_taken_without_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A calibrated max of 2298.6 W is announced as a whole 2299 W: setting the number at its top (HA's slider end)
    # warned "force power 2299 W for ecs is above its max: 2299 W kept" at each setting, about the value HA offers.
    path = write_config(tmp_path, extra=HA)
    (tmp_path / "linear.csv").write_text("".join(f"{p};{22.986 * p}\n" for p in range(0, 101, 5)))
    h = Harness(path)
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    top = by_id(h)["load_ecs_force_power"]["max"]
    assert top == 2299
    with caplog.at_level(logging.INFO):
        command(h, "load_ecs_force_power", str(top))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert state(h)["load_ecs_force_power"] == top
    command(h, "load_ecs_force", "ON", NOON + 20)
    assert h.load("ecs").forced_power_w == pytest.approx(2298.6)  # the load's own max, not above it
    with caplog.at_level(logging.INFO):
        command(h, "load_ecs_force_power", "2300", NOON + 30)  # above what the number offers: said
    assert "above its max: 2299 W kept" in caplog.text


def test_saved_force_power_above_a_lowered_max_is_held_at_the_max(tmp_path: Path) -> None:
    h = harness(tmp_path)
    saved = h.reg.status(NOON + 20)
    for entry in saved["equipments"]:
        if entry["name"] == "ecs":
            entry["ha_force_power"], entry["ha_force_duration_min"] = 2400, 30
    again = Harness(h.config)
    assert again.reg.restore(saved, NOON + 60) == \
        ["ecs: saved Home Assistant force power 2400 W is above the load's max: 2000 W kept"]
    again.reg.start(NOON + 60)
    again.reg.on_connected(NOON + 60)
    assert state(again)["load_ecs_force_power"] == 2000 and state(again)["load_ecs_force_duration"] == 30


@pytest.mark.parametrize("object_id,payload,why", [
    ("load_ecs_force_power", "-1", "power must be >= 0 W"),
    ("load_ecs_force_power", "nan", "finite"),
    ("load_ecs_force_power", "lots", "not a number: 'lots'"),
    ("load_ecs_force_power", "1_000", "not a number: '1_000'"),  # (float() takes it: ASCII decimals only)
    ("load_ecs_force_duration", "\uff13\uff10", "not a number"),
    ("load_ecs_force_duration", "20000", "duration must be"),
    ("load_ecs_force_duration", "-5", ">= 0 minutes"),
    ("load_ecs_force_duration", "inf", "finite"),
    ("load_ecs_force_duration", "nan", "minutes, a finite number, got nan"),
    ("load_ecs_force", "maybe", "expected ON or OFF"),
    ("water_heater_mode", "boost", "not a mode"),
    ("load_ecs_force", "ON" * 40, "too large"),
])
def test_bad_commands_are_refused_and_change_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                     object_id: str, payload: str, why: str) -> None:
    h = harness(tmp_path)
    h.meters(300, 300, NOON + 1)
    before = (state(h), h.reg.status(NOON + 2)["equipments"], len(h.on(ECS_CMD)))
    with caplog.at_level(logging.WARNING):
        command(h, object_id, payload, NOON + 2)
    assert why in caplog.text and "refused" in caplog.text
    assert (state(h), h.reg.status(NOON + 2)["equipments"], len(h.on(ECS_CMD))) == before


def test_heater_mode_select(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "water_heater_mode", "forced")
    assert h.load("ecs").is_forced() and h.load("ecs").forced_by == "mode"
    assert state(h)["water_heater_mode"] == "forced"
    command(h, "water_heater_mode", "off", NOON + 20)
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    doc = h.reg.status(NOON + 21)["water_heater"]
    assert doc["mode"] == "off" and doc["mode_source"] == "homeassistant"
    h.meters(300, 3000, NOON + 30)
    assert h.load("ecs").current_power_w == 0  # off: not given the surplus


def test_birth_message_sends_discovery_again(tmp_path: Path) -> None:
    h = harness(tmp_path)
    count = len(configs(h))
    h.sent.clear()
    h.reg.handle("homeassistant/status", b"offline", NOON + 5)
    assert configs(h) == {}
    h.reg.handle("homeassistant/status", b"online", NOON + 6)
    assert len(configs(h)) == count and state(h)
    # Anyone on the broker can send "online": each one sent every config again (a 19-fold echo). Once in 30 s.
    h.sent.clear()
    for second in range(7, 30):
        h.reg.handle("homeassistant/status", b"online", NOON + second)
    assert configs(h) == {}
    h.reg.handle("homeassistant/status", b"online", NOON + 40)
    assert len(configs(h)) == count


def test_with_another_discovery_prefix_ha_s_birth_message_is_still_heard(tmp_path: Path) -> None:
    # HA sends its birth message on homeassistant/status whatever its discovery prefix (its own default, a
    # separate setting): with prefix = ha/discovery PySEB listened on ha/discovery/status only, and never heard HA
    # restart. Both are heard (a user may have moved the birth topic with the prefix).
    h = harness(tmp_path, extra=HA + "prefix = ha/discovery\n")
    assert {"homeassistant/status", "ha/discovery/status"} <= set(h.reg.subscriptions())
    assert not {"homeassistant/status", "ha/discovery/status"} & h.reg.live_only_topics()
    count = len(configs_under(h, "ha/discovery"))
    h.sent.clear()
    h.reg.handle("homeassistant/status", b"online", NOON + 6)
    assert len(configs_under(h, "ha/discovery")) == count and state(h)
    h.sent.clear()
    h.reg.handle("ha/discovery/status", b"online", NOON + 50)
    assert len(configs_under(h, "ha/discovery")) == count


def configs_under(h: Harness, prefix: str) -> list[str]:
    return [t for t, _, r in h.sent if t.startswith(f"{prefix}/") and t.endswith("/config") and r]


@pytest.mark.parametrize("prefix", ["homeassistant", "ha/discovery"])
def test_a_removed_loads_configs_are_deleted(tmp_path: Path, prefix: str) -> None:
    # HA takes any topic as its discovery prefix ("ha/discovery"): the configs retained under one of several
    # levels were never recognised as ours, and a load removed from config.ini stayed in HA for good.
    h = harness(tmp_path, extra=HA + f"prefix = {prefix}\n", loads=("ecs",))
    assert f"{prefix}/+/pyseb_test/+/config" in h.reg.subscriptions()
    old = f"{prefix}/switch/pyseb_test/load_radiator_force/config"
    h.sent.clear()
    h.reg.handle(old, b'{"name": "radiator force"}', NOON + 1)  # retained from an earlier run
    assert h.sent == [(old, "", True)]
    h.sent.clear()
    h.reg.handle(f"{prefix}/switch/pyseb_test/load_ecs_force/config", b'{"name": "x"}', NOON + 2)  # still ours
    h.reg.handle(old, b"", NOON + 3)  # our own deletion coming back
    h.reg.handle(f"{prefix}/switch/other_node/load_radiator_force/config", b"{}", NOON + 4)
    assert h.sent == []


def test_retained_commands_are_not_news(tmp_path: Path) -> None:
    h = harness(tmp_path)
    live_only = h.reg.live_only_topics()
    controls = [c["command_topic"] for c in by_id(h).values() if "command_topic" in c]
    assert len(controls) == 6 and set(controls) <= live_only
    assert "homeassistant/status" not in live_only


def test_mode_restored_after_a_restart_when_ha_sets_it(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "water_heater_mode", "solar")
    saved = h.reg.status(NOON + 20)
    again = Harness(h.config)
    again.reg.restore(saved, NOON + 60)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == "solar"


@pytest.mark.parametrize(("days_later", "mode"), [(1, "off"), (3, "off"), (10, "solar+fallback")])
def test_a_mode_set_before_a_long_stop_survives_it(tmp_path: Path, days_later: int, mode: str) -> None:
    # The heater set off from Home Assistant while away, then the Pi down two days (a power cut no one saw): the mode
    # came back from a file saved today or yesterday only, so the default mode's fallback heated from the grid every
    # night of the rest of the holiday. A mode is an order, kept as a force until unforced is (up to 7 days).
    h = harness(tmp_path)
    command(h, "water_heater_mode", "off")
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    again = Harness(h.config)
    again.reg.restore(saved, NOON + 60 + days_later * 86400)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == mode


@pytest.mark.parametrize("mode", ["off", "solar"])
def test_a_file_far_ahead_of_the_clock_keeps_the_mode_off_only(tmp_path: Path, mode: str) -> None:
    # A file the Pi, booted at its image's date before NTP, saw days ahead: only what keeps a load off is restored
    # from it. The mode off (set from Home Assistant while away) was lost with the rest: the default mode's fallback
    # then heated from the grid at night. Any other mode is not an order to keep a load off: the file is kept aside.
    h = harness(tmp_path)
    command(h, "water_heater_mode", mode)
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    again = Harness(h.config)
    asides: list[str] = []
    assert again.reg.restore(saved, NOON + 20 - 3 * 86400, set_aside=lambda why, outcome: asides.append(outcome)) == []
    assert again.reg.field.heater is not None
    assert again.reg.field.heater.mode.value == ("off" if mode == "off" else "solar+fallback")
    assert asides == ["a clean start but for what keeps a load off" if mode == "off" else "clean start"]


def test_force_settings_survive_a_restart(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "load_ecs_force_power", "500")
    command(h, "load_ecs_force_duration", "30")
    saved = h.reg.status(NOON + 20)
    again = Harness(h.config)
    assert again.reg.restore(saved, NOON + 3 * 86400) == []  # settings, not the day's state: any age
    again.reg.start(NOON + 3 * 86400)
    again.reg.on_connected(NOON + 3 * 86400)
    assert state(again)["load_ecs_force_power"] == 500 and state(again)["load_ecs_force_duration"] == 30
    assert "load_radiator_force_power" not in state(again)  # a relay: on or off, no power to set
    command(again, "load_ecs_force", "ON", NOON + 3 * 86400 + 10)
    assert again.load("ecs").forced_power_w == 500


def test_a_relays_saved_force_power_is_not_restored(tmp_path: Path) -> None:
    # An older version offered a force power for relays: its 0 W would force the radiator off while HA
    # showed the force on, with no number left to change it.
    h = harness(tmp_path)
    saved = h.reg.status(NOON + 20)
    entry = next(e for e in saved["equipments"] if e["name"] == "radiator")
    entry["ha_force_power"], entry["ha_force_duration_min"] = 0, 30
    again = Harness(h.config)
    assert again.reg.restore(saved, NOON + 60) == []
    again.reg.start(NOON + 60)
    again.reg.on_connected(NOON + 60)
    command(again, "load_radiator_force", "ON", NOON + 70)
    assert again.load("radiator").is_on and again.load("radiator").forced_power_w == 1000
    assert state(again)["load_radiator_force_duration"] == 30  # (the duration is kept)


@pytest.mark.parametrize(("power", "duration", "why"), [
    (-5, 30, "power must be >= 0 W"), ("500", -1, ">= 0 minutes"), (True, 30, "not a number"),
    (None, 30, "not a number: None"),
    (500, float("nan"), "minutes, a finite number, got nan"),
    pytest.param(10**400, 30, "power must be a finite number", id="int-1e400"),
    # (a hand edit: float() read "1_000" as 1000, and full-width digits; the daemon's payloads refuse both)
    ("1_000", 30, "not a number: '1_000'"), (500, "\uff13\uff10", "not a number: '\uff13\uff10'"),
])
def test_bad_saved_force_settings_are_left_at_their_default(tmp_path: Path, power: object, duration: object,
                                                            why: str) -> None:
    h = harness(tmp_path)
    saved = h.reg.status(NOON + 20)
    for entry in saved["equipments"]:
        if entry["name"] == "ecs":
            entry["ha_force_power"], entry["ha_force_duration_min"] = power, duration
    again = Harness(h.config)
    warnings = again.reg.restore(saved, NOON + 60)
    assert len(warnings) == 1 and "ecs: saved Home Assistant force settings" in warnings[0] and why in warnings[0]
    again.reg.start(NOON + 60)
    again.reg.on_connected(NOON + 60)
    assert state(again)["load_ecs_force_power"] == 2000 and state(again)["load_ecs_force_duration"] == 0


def test_no_force_settings_in_the_status_without_home_assistant(tmp_path: Path) -> None:
    h = harness(tmp_path, extra="")
    assert all("ha_force_power" not in entry for entry in h.reg.status(NOON + 20)["equipments"])


def test_config_problems(tmp_path: Path) -> None:
    path = write_config(tmp_path, extra=HA + "prefix = home/#\n")
    with pytest.raises(ConfigError, match=r"\[homeassistant\] prefix"):
        load_settings(path)


def _with_loads(tmp_path: Path, sections: str, names: tuple[str, ...]) -> Path:
    """The harness's config with constant loads `names` (their `sections`) listed after the radiator."""
    path = write_config(tmp_path, extra=HA + sections)
    path.write_text(path.read_text().replace("radiator = constant", "\n".join(("radiator = constant",
                                                                              *(f"{n} = constant" for n in names)))))
    return path


def test_two_loads_with_one_home_assistant_id_warn_and_the_second_is_left_out(tmp_path: Path) -> None:
    # Refused, such a config left a house unregulated after an upgrade (exit 2, which systemd does not restart):
    # the regulation runs, the second load has no entities, and the warning says what to rename.
    two = ("\n[heater-2]\nmax_power = 500\ntopic_set_power = cmnd/h2/POWER\n"
           "\n[heater_2]\nmax_power = 500\ntopic_set_power = cmnd/h3/POWER\n")
    path = _with_loads(tmp_path, two, ("heater-2", "heater_2"))
    settings = load_settings(path)
    assert [w for w in settings.warnings if "Home Assistant" in w] == [
        f"{path}: [heater_2]: its Home Assistant entities are left out: their id 'heater_2' is load 'heater-2''s "
        "too; rename one of the two loads"]
    h = Harness(path)
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    assert not [c for c in configs(h).values() if c["name"].startswith("heater_2")]
    assert by_id(h)["load_heater_2_power"]["name"] == "heater-2 power"
    path.write_text(path.read_text().replace("discovery = true", "discovery = false"))
    assert not [w for w in load_settings(path).warnings if "Home Assistant" in w]  # ids matter only with discovery


def test_a_load_named_like_another_s_force_warns_and_its_power_sensor_is_left_out(tmp_path: Path) -> None:
    # ecs_force's power sensor and ecs's force power number were both load_ecs_force_power: one unique id (HA kept
    # whichever came first and dropped the other) and one state key (both showed the same figure). Refused, the
    # daemon did not start at all (exit 2): an upgrade left the house unregulated.
    path = _with_loads(tmp_path, "\n[ecs_force]\nmax_power = 500\ntopic_set_power = cmnd/ef/POWER\n", ("ecs_force",))
    settings = load_settings(path)
    assert [w for w in settings.warnings if "Home Assistant" in w] == [
        f"{path}: [ecs_force]: its Home Assistant entity 'ecs_force power' is left out: its id "
        "'load_ecs_force_power' is that of 'ecs force power' (load 'ecs'); rename one of the two loads"]
    h = Harness(path)
    h.reg.start(NOON)
    # An older version's retained config of the sensor left out: removed, as any config no longer announced.
    h.reg.handle("homeassistant/sensor/pyseb_test/load_ecs_force_power/config", b'{"name": "ecs_force power"}', NOON)
    assert h.sent[-1] == ("homeassistant/sensor/pyseb_test/load_ecs_force_power/config", "", True)
    h.sent.clear()
    h.reg.on_connected(NOON)
    found = configs(h)
    assert "homeassistant/number/pyseb_test/load_ecs_force_power/config" in found
    assert "homeassistant/sensor/pyseb_test/load_ecs_force_power/config" not in found
    assert by_id(h)["load_ecs_force_force"]["name"] == "ecs_force force"  # its other entities are there
    h.meters(300, 3000, NOON + 1)
    assert state(h)["load_ecs_force_power"] == 2000  # ecs's force power (its max), not ecs_force's draw
    assert state(h)["load_ecs_force_energy"] == 0  # its other keys are there
    # A relay has no force power number: radiator_force beside radiator is no clash.
    path.write_text(path.read_text().replace("ecs_force", "radiator_force"))
    assert not [w for w in load_settings(path).warnings if "Home Assistant" in w]


def test_node_id_from_the_option(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, extra=HA + "node_id = My House!\n"))
    assert settings.field.homeassistant.node_id == "my_house"


def test_readings_unaffected(tmp_path: Path) -> None:
    h = harness(tmp_path)
    h.reg.handle(CONS, reading(300), NOON + 1)
    h.reg.handle(PROD, reading(1300), NOON + 1.01)
    assert h.last(ECS_CMD) == "49"


def test_a_birth_message_after_a_clock_step_back_sends_discovery(tmp_path: Path) -> None:
    h = harness(tmp_path)
    count = len(configs(h))
    h.reg.handle("homeassistant/status", b"online", NOON + 6)
    h.sent.clear()
    h.reg.handle("homeassistant/status", b"online", NOON + 6 - 3600 + 1200)  # stepped back an hour, 20 min on
    assert len(configs(h)) == count


def test_on_to_a_load_already_forced_keeps_its_running_force(tmp_path: Path) -> None:
    # switch.turn_on from an automation (every hour, "make sure the boost is on"), a voice assistant or a dashboard
    # sent again to a load whose switch already showed ON started the force again: a 60-minute boost turned on again
    # at its 50th minute ran 110 minutes from the grid, and a force made on regul/mode was replaced by HA's
    # settings. As the Domoticz force switch does (and OFF to a load not forced), ON to a forced load changes nothing.
    h = harness(tmp_path)
    command(h, "load_ecs_force_duration", "60")
    command(h, "load_ecs_force", "ON", NOON + 20)
    ecs = h.load("ecs")
    command(h, "load_ecs_force", "ON", NOON + 20 + 3000)
    assert ecs.is_forced() and ecs.force_end_at == NOON + 20 + 3600
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 30)
    radiator = h.load("radiator")
    command(h, "load_radiator_force", "ON", NOON + 40)
    assert radiator.forced_by != "homeassistant" and radiator.force_end_at is None
    assert state(h)["load_radiator_force"] == "ON"


def test_discovery_turned_off_removes_what_an_earlier_run_announced(tmp_path: Path) -> None:
    # A user who had discovery on, then set it off, kept PySEB's entities in HA for good: their configs stayed
    # retained, each entity `online` (the availability topic is PySEB's own) with the last state it was sent.
    (tmp_path / "on").mkdir()
    earlier = harness(tmp_path / "on")
    announced = {t: p for t, p, r in earlier.sent if t.endswith("/config") and r}
    h = harness(tmp_path, extra="")
    h.sent.clear()
    for topic, payload in announced.items():  # retained: they come at the connect
        h.reg.handle(topic, payload.encode(), NOON + 1)
    assert sorted(t for t, p, r in h.sent if p == "" and r) == sorted([*announced, STATE])
    assert len(h.sent) == len(announced) + 1
    h.sent.clear()
    grid = json.loads(announced["homeassistant/sensor/pyseb_test/grid_power/config"])
    another = {**grid, "availability_topic": "garage/availability"}  # another instance given our node id
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", json.dumps(another).encode(), NOON + 2)
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"", NOON + 3)  # our removal coming back
    h.reg.handle("homeassistant/sensor/pyseb_test/x/config", json.dumps(grid).encode(), NOON + 4)  # not its id
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"not json", NOON + 5)
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", b"[" * 10_000, NOON + 5)
    padded = json.dumps({**grid, "pad": "x" * 20_000}).encode()  # no config PySEB sends: not parsed
    h.reg.handle("homeassistant/sensor/pyseb_test/grid_power/config", padded, NOON + 5)
    h.reg.handle("homeassistant/sensor/other/grid_power/config", json.dumps(grid).encode(), NOON + 6)
    assert h.sent == []
