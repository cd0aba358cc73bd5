"""The Domoticz link wired into the regulator, in-process: grid and injection sensors after each decision
(the seed's config as users bring it), the water heater's mode selector, and the config's problems. The per-load
force switch: test_field_domoticz_force_switch; what a force switch is, asked at each connect:
test_field_domoticz_asked."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import LINEAR_CSV, seed_sample_text
from tests.field_domoticz import DOMOTICZ, DZ_IN, DZ_OUT, ECS_SWITCH, SELECTOR_IDX, selector
from tests.field_house import ECS_CMD, RADIATOR, at, field_config, ticks
from tests.harness import MODE, NOON, Harness

# --- grid and injection ------------------------------------------------------------------------------------

def test_the_seed_config_publishes_grid_and_injection(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text(seed_sample_text())
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    h = Harness(tmp_path / "config.ini")
    # (ecs_full_capacity: the seed never read it, nor the closed loop balance_threshold; said once, at start.)
    # (the last, the one line naming the keys PySEB does not use: test_seed_start_warnings)
    assert not [w for w in h.reg.settings.warnings[:-1] if ("[evaluate]" in w or "[domoticz]" in w)
                and "period: 3 s holds" not in w]
    assert not [w for w in h.reg.settings.unused if "[domoticz]" in w]
    h.meters(342, 2000, NOON)  # exporting 1658 W before the loads react
    sensors = lambda: [p for p in h.on(DZ_IN) if "svalue" in p]  # noqa: E731 (the resille relay is on DZ_IN too)
    assert sensors() == ['{"idx": 651, "nvalue": 0, "svalue": "0"}', '{"idx": 648, "nvalue": 0, "svalue": "-1658"}']
    h.meters(2000, 2000, NOON + 3)  # the heater took the surplus: grid still 0 (not repeated), injection 0
    assert sensors()[2:] == ['{"idx": 648, "nvalue": 0, "svalue": "0"}']
    h.meters(2500, 2000, NOON + 6)  # importing 500 W
    assert sensors()[3:] == ['{"idx": 651, "nvalue": 0, "svalue": "500"}']
    h.meters(2000, 2000, NOON + 9)
    h.meters(2000, 2000, NOON + 12)  # a single 0 when the import stops, then nothing...
    assert sensors()[4:] == ['{"idx": 651, "nvalue": 0, "svalue": "0"}']
    h.meters(2000, 2000, NOON + 1815)  # ...until the 30-minute keepalive (the meters were silent: the stale
    h.meters(2000, 2000, NOON + 1818)  # guard's commands came after that first reading, the next one decides)
    assert sensors()[5:] == ['{"idx": 651, "nvalue": 0, "svalue": "0"}', '{"idx": 648, "nvalue": 0, "svalue": "0"}']


def test_no_domoticz_traffic_without_its_section(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path))
    h.meters(300, 2000, NOON)
    h.reg.on_connected(NOON)
    assert not [t for t, _, _ in h.sent if t.startswith("domoticz")]
    assert not [t for t in h.reg.subscriptions() if t.startswith("domoticz")]


# --- the mode selector -------------------------------------------------------------------------------------

@pytest.fixture
def moded(tmp_path: Path) -> Harness:
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    assert h.on(DZ_IN) == [json.dumps({"command": "getdeviceinfo", "idx": SELECTOR_IDX})]
    assert "domoticz/out/#" in h.reg.subscriptions()
    return h


def test_mode_off_keeps_the_heater_at_0(moded: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    moded.meters(300, 2000, NOON + 1)
    assert moded.last(ECS_CMD) == "84"
    moded.reg.handle("domoticz/out/Automate_Cumulus", selector(0), NOON + 2)  # a per-device subtopic
    assert moded.last(ECS_CMD) == "0"
    assert "water-heater mode: solar+fallback -> off (Domoticz idx 338 level 0)" in caplog.text
    moded.meters(300, 2000, NOON + 4)
    assert moded.last(ECS_CMD) == "0" and moded.last(RADIATOR) == "ON"  # the surplus goes to the next load
    assert moded.statuses()[-1]["water_heater"]["mode"] == "off"


def test_mode_forced_holds_the_heater_at_max_until_the_mode_changes(moded: Harness) -> None:
    moded.reg.handle(DZ_OUT, selector(30), NOON + 1)
    assert moded.last(ECS_CMD) == "100" and moded.load("ecs").forced_by == "mode"
    moded.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', NOON + 2)
    moded.reg.tick(NOON + 2.5)  # the selector says forced: held again
    assert moded.last(ECS_CMD) == "100"
    moded.reg.handle(DZ_OUT, selector(20), NOON + 3)
    assert moded.last(ECS_CMD) == "0" and not moded.load("ecs").is_forced()
    assert moded.reg.status(NOON + 3)["water_heater"]["mode"] == "solar+fallback"


def test_a_selector_domoticz_never_answers_for_is_named_in_the_log(moded: Harness,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # An idx with no such device in Domoticz (or a Domoticz not reading domoticz/in): the mode stayed the default
    # and the user's selector did nothing, with no word in the log.
    caplog.set_level(logging.INFO)
    moded.reg.tick(NOON + 59)
    assert "idx 338" not in caplog.text
    moded.reg.tick(NOON + 61)
    moded.reg.tick(NOON + 200)
    said = [r.getMessage() for r in caplog.records if "has not answered" in r.getMessage()]
    assert said == ["[domoticz] idx_ecs_mode = 338: Domoticz has not answered for the water-heater mode selector in 60 "
                    "s: no device with this idx, or Domoticz does not read domoticz/in; the mode stays solar+fallback "
                    "until it answers"]
    caplog.clear()
    moded.reg.on_connected(NOON + 300)  # asked again: this time it answers
    moded.reg.handle(DZ_OUT, selector(20), NOON + 301)
    moded.reg.tick(NOON + 400)
    assert "has not answered" not in caplog.text


def test_a_scene_with_the_selector_s_idx_is_not_its_answer(moded: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A scene switched in Domoticz is published on domoticz/out with the scene's idx, which may be the selector's.
    caplog.set_level(logging.INFO)
    scene = {"LastUpdate": "2024-05-01 12:00:00", "Name": "Night", "Status": "On", "Timers": "false",
             "Type": "Scene", "idx": SELECTOR_IDX}
    moded.reg.handle(DZ_OUT, json.dumps(scene).encode(), NOON + 1)
    assert "not a selector" not in caplog.text
    moded.reg.tick(NOON + 61)
    assert "idx_ecs_mode = 338: Domoticz has not answered for the water-heater mode selector" in caplog.text


def test_an_unmapped_level_keeps_the_mode(moded: Harness) -> None:
    moded.reg.handle(DZ_OUT, selector(40), NOON + 1)
    assert moded.reg.status(NOON + 1)["water_heater"]["mode"] == "solar+fallback"


def test_mode_solar_makes_no_fallback_force_across_check_at(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 10, 12))
    h.reg.handle(DZ_OUT, selector(10), at(2024, 1, 10, 12, 0, 30))
    ticks(h, at(2024, 1, 10, 12, 1), at(2024, 1, 11, 2))
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
    assert "7000 Wh missing but the water-heater mode excludes the fallback" in caplog.text
    assert h.reg.status(at(2024, 1, 11, 2))["water_heater"]["mode"] == "solar"


def test_the_mode_is_restored_after_a_restart(moded: Harness, tmp_path: Path) -> None:
    moded.reg.handle(DZ_OUT, selector(10), NOON + 1)
    saved = json.loads(json.dumps(moded.reg.status(NOON + 2)))
    again = Harness(field_config(tmp_path, extra=DOMOTICZ))
    again.reg.restore(saved, NOON + 10)
    assert again.reg.status(NOON + 10)["water_heater"]["mode"] == "solar"
    again.reg.handle(DZ_OUT, selector(10), NOON + 11)  # Domoticz confirms: no change, nothing logged
    assert again.reg.status(NOON + 11)["water_heater"]["mode_source"] == "restored"


def test_a_mode_that_no_longer_allows_a_force_ends_it(moded: Harness, tmp_path: Path) -> None:
    moded.reg.handle(DZ_OUT, selector(30), NOON + 1)
    saved = json.loads(json.dumps(moded.reg.status(NOON + 2)))
    assert saved["equipments"][0]["forced_by"] == "mode"
    again = Harness(field_config(tmp_path))  # the selector was removed from the config
    again.reg.restore(saved, NOON + 10)
    again.reg.tick(NOON + 10)
    assert not again.load("ecs").is_forced() and again.last(ECS_CMD) == "0"


def test_leaving_solar_fallback_ends_the_seed_rule_force(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 1, 1))
    assert h.load("ecs").forced_by == "seed_rule"
    h.reg.handle(DZ_OUT, selector(10), at(2024, 1, 11, 1, 2))
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"


# --- config problems ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("radiator, extra, problem", [
    (f"domoticz_idx_force = {SELECTOR_IDX}\n", DOMOTICZ, "[radiator] domoticz_idx_force: idx 338 is also"),
    (f"domoticz_idx_force = {ECS_SWITCH}\n", "", "is also the force switch of ecs"),
    ('domoticz_idx_force = 42\njson_on = {"command": "switchlight", "idx": 42, "switchcmd": "On"}\n', "",
     "the force switch must be another device"),
    # Another load's relay device: showing ecs's force switched the radiator on and off, and (Prevent Loop at No)
    # the echoes of the radiator's own commands forced and unforced ecs.
    (f'json_on = {{"command": "switchlight", "idx": {ECS_SWITCH}, "switchcmd": "On"}}\n', "",
     f"[ecs] domoticz_idx_force: idx {ECS_SWITCH} is also the device radiator is switched with"),
])
def test_force_switch_config_problems(tmp_path: Path, radiator: str, extra: str, problem: str) -> None:
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n", radiator=radiator, extra=extra)
    path.write_text(path.read_text().replace("json_on = ON\n", "json_on = ON\n" if "json_on" not in radiator else ""))
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_settings(path)


@pytest.mark.parametrize("extra, problem", [
    # the two flows wrote one sensor by turns
    ("idx_grid = 651\nidx_injection = 651\n", "[domoticz] idx_injection: idx 651 is also idx_grid"),
    # the grid's watts written to the heater's force switch at each decision: its nvalue 0 switched it off
    (f"idx_grid = {ECS_SWITCH}\n", f"[domoticz] idx_grid: idx {ECS_SWITCH} is also the force switch of ecs"),
    (f"idx_injection = {SELECTOR_IDX}\nidx_ecs_mode = {SELECTOR_IDX}\n",
     f"[domoticz] idx_injection: idx {SELECTOR_IDX} is also [domoticz] idx_ecs_mode"),
    ("idx_grid = 42\n", "[domoticz] idx_grid: idx 42 is also the device radiator is switched with"),
])
def test_a_sensor_idx_that_is_another_device_is_refused(tmp_path: Path, extra: str, problem: str) -> None:
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n", extra=f"[domoticz]\n{extra}")
    path.write_text(path.read_text().replace("json_on = ON\njson_off = OFF\n", 'json_on = {"command": "switchlight", '
                                             '"idx": 42, "switchcmd": "On"}\njson_off = {"command": "switchlight", '
                                             '"idx": 42, "switchcmd": "Off"}\n'))
    with pytest.raises(ConfigError, match=re.escape(problem)):
        load_settings(path)
    path.write_text(path.read_text().replace("[domoticz]\n", "[domoticz]\nsend_domoticz = false\n"))
    if "idx_ecs_mode" not in extra:
        load_settings(path)  # not sent: no clash


@pytest.mark.parametrize("topics", ["topic_out = domoticz/in\n", "topic_in = domoticz/out\n",
                                    "topic_in = domoticz/out/pyseb\n", "topic_out = domoticz\n"])
def test_domoticz_in_and_out_topics_that_meet_are_refused(tmp_path: Path, topics: str) -> None:
    # PySEB read its own updates back as Domoticz's (a warning for each of its switch's), and never Domoticz's:
    # the force switches and the mode selector did nothing.
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n", extra=f"[domoticz]\n{topics}")
    with pytest.raises(ConfigError, match=r"\[domoticz\] topic_out: .* PySEB would read its own updates"):
        load_settings(path)


def test_domoticz_in_and_out_topics_that_meet_only_warn_when_no_domoticz_device_steers(tmp_path: Path) -> None:
    # Only the grid sensors: topic_out is not read, the two topics meeting is harmless. Refused (exit 2, which
    # systemd does not restart), it left the house unregulated; a warning says why it matters once a device steers.
    path = field_config(tmp_path, extra="[domoticz]\nidx_grid = 651\ntopic_out = domoticz/in\n")
    settings = load_settings(path)
    assert [w for w in settings.warnings if "topic_out" in w] == [
        f"{path}: [domoticz] topic_out: 'domoticz/in' meets topic_in ('domoticz/in'): harmless while no Domoticz "
        "device steers PySEB (no idx_ecs_mode, no domoticz_idx_force), refused with one: PySEB would read its own "
        "updates as Domoticz's, and not Domoticz's; Domoticz reads domoticz/in and publishes on domoticz/out by "
        "default"]
    path.write_text(path.read_text().replace("[domoticz]\n", f"[domoticz]\nidx_ecs_mode = {SELECTOR_IDX}\n"))
    with pytest.raises(ConfigError, match=r"\[domoticz\] topic_out: 'domoticz/in' meets topic_in \('domoticz/in'\): "
                       "PySEB would read its own updates"):
        load_settings(path)
