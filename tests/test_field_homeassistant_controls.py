"""Home Assistant discovery in-process: the controls going through regul/mode's validation and the heater-mode
selector's (force power and duration, bad commands refused, the mode moving the Domoticz selector), and what of
them a restart restores."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.field_homeassistant import HA, by_id, command, harness, state
from tests.field_house import ECS_CMD, RADIATOR
from tests.harness import NOON, Harness

pytestmark = pytest.mark.debian  # also run on Debian 12's paho-mqtt and numpy (make test-paho16)


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


def test_a_duration_leaving_under_a_second_ends_the_force(tmp_path: Path) -> None:
    # (the time left, 0.3 s, was refused as a force in regul/mode's seconds, and the 60-minute force ran on)
    h = harness(tmp_path)
    command(h, "load_ecs_force_duration", "60")
    command(h, "load_ecs_force", "ON", NOON + 20)
    command(h, "load_ecs_force_duration", "30.005", NOON + 20 + 1800)
    assert not h.load("ecs").is_forced() and state(h)["load_ecs_force"] == "OFF"


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
            del entry["ha_force_power_at_max"]  # (set in HA, at a max since lowered)
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
    # (in HA's unit, minutes, with HA's way to force until off: regul/mode's '<= 604800 s (7 days), got 1.2e+06;
    # leave it out' spoke of seconds and of a key HA has not)
    ("load_ecs_force_duration", "20000", "<= 10080 minutes (7 days; 0 = until off), got 20000"),
    ("load_ecs_force_duration", "-5", ">= 0 minutes"),
    ("load_ecs_force_duration", "0.01", "0 (until off) or 1 s (0.0167 minutes) or more, got 0.01"),  # (not seconds)
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


def test_mode_restored_after_a_restart_when_ha_sets_it(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "water_heater_mode", "solar")
    saved = h.reg.status(NOON + 20)
    again = Harness(h.config)
    again.reg.restore(saved, NOON + 60)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == "solar"


@pytest.mark.parametrize("bad", ["turbo", "OFF", 3, ["off"], None, "x" * 300])
def test_a_saved_mode_that_is_no_mode_is_said_and_the_rest_restored(tmp_path: Path, bad: object) -> None:
    # A hand edit, a damaged file, a later version's mode: dropped without a word, the heater set off while away came
    # back on its default mode and nothing said why.
    h = harness(tmp_path)
    command(h, "water_heater_mode", "off")
    h.reg.handle("regul/mode", b'{"command": "force", "name": "radiator", "power": 0}', NOON + 10)
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    saved["water_heater"]["mode"] = bad
    again = Harness(h.config)
    warnings = again.reg.restore(saved, NOON + 60)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == "solar+fallback"
    said = [w for w in warnings if "mode" in w]
    assert len(said) == 1 and said[0].startswith("ecs: its saved water-heater mode ") and len(said[0]) < 250
    assert said[0].endswith(" is no mode (one of off, solar, solar+fallback, forced): not restored: solar+fallback "
                            "([domoticz] ecs_mode_default)")
    radiator = again.load("radiator")  # (the rest of the file restored)
    assert radiator.forced_power_w == 0 and radiator.force_end_at is None


def test_a_saved_mode_that_is_no_mode_is_said_where_nothing_sets_the_mode_too(tmp_path: Path) -> None:
    # (no Home Assistant, no Domoticz selector: a mode is not restored whatever it is, and one that is none is said
    # as a valid one left is)
    h = harness(tmp_path)
    command(h, "water_heater_mode", "off")
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    saved["water_heater"]["mode"] = "turbo"
    plain = tmp_path / "plain"
    plain.mkdir()
    again = Harness(write_config(plain))
    assert [w for w in again.reg.restore(saved, NOON + 60) if "mode" in w] == [
        "ecs: its saved water-heater mode 'turbo' is no mode (one of off, solar, solar+fallback, forced): not "
        "restored: solar+fallback ([domoticz] ecs_mode_default)"]


@pytest.mark.parametrize(("days_later", "mode"), [(1, "off"), (3, "off"), (10, "solar+fallback")])
def test_a_mode_set_before_a_long_stop_survives_it(tmp_path: Path, days_later: int, mode: str) -> None:
    # The heater set off from Home Assistant while away, then the Pi down two days (a power cut no one saw): the mode
    # came back from a file saved today or yesterday only, so the default mode's fallback heated from the grid every
    # night of the rest of the holiday. A mode is an order, kept as a force until unforced is (up to 7 days).
    h = harness(tmp_path)
    command(h, "water_heater_mode", "off")
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    again = Harness(h.config)
    warnings = again.reg.restore(saved, NOON + 60 + days_later * 86400)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == mode
    # (past the 7 days the off is dropped, as a force until unforced is, and said as the force is: it was not)
    assert [w for w in warnings if "mode" in w] == ([] if mode == "off" else [
        "ecs: its saved water-heater mode off is not restored: the file is over 7 days old: solar+fallback "
        "([domoticz] ecs_mode_default)"])


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


def test_force_settings_survive_a_file_far_ahead_with_its_force_to_0_w(tmp_path: Path) -> None:
    # Only what keeps a load off is restored from a file dated days ahead: the settings went back to their defaults,
    # the force power number showed the heater's max while HA's force held it at 0 W, and a change of the force's
    # duration re-forced the heater at that max, from the grid.
    h = harness(tmp_path)
    command(h, "load_ecs_force_power", "0", NOON + 1)
    command(h, "load_ecs_force", "ON", NOON + 2)
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    now = NOON + 20 - 3 * 86400
    again = Harness(h.config)
    again.reg.restore(saved, now, set_aside=lambda why, outcome: None)
    again.reg.start(now)
    again.reg.on_connected(now)
    ecs = again.load("ecs")
    assert ecs.forced_power_w == 0 and ecs.forced_by == "homeassistant"
    assert state(again)["load_ecs_force_power"] == 0
    command(again, "load_ecs_force_duration", "60", now + 10)
    assert ecs.forced_power_w == 0 and again.last(ECS_CMD) != "100"


def test_a_damaged_entry_in_a_file_far_ahead_does_not_stop_the_start(tmp_path: Path) -> None:
    # A load's name that is no text (a list) raised TypeError in the settings' restore, which a file dated days
    # ahead reaches outside any guard: the daemon stopped at each start until the clock passed the file's date.
    h = harness(tmp_path)
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    saved["equipments"].append({"name": ["ecs"], "ha_force_power": 5})
    for now in (NOON + 60, NOON + 20 - 3 * 86400):  # dated normally, then days ahead
        again = Harness(h.config)
        again.reg.restore(saved, now, set_aside=lambda why, outcome: None)
        again.reg.start(now)
        again.reg.on_connected(now)
        assert state(again)["load_ecs_force_power"] == 2000  # (the settings' default: the entry is no load's)


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
            del entry["ha_force_power_at_max"]  # (as set in HA, then damaged)
    again = Harness(h.config)
    warnings = again.reg.restore(saved, NOON + 60)
    assert len(warnings) == 1 and "ecs: saved Home Assistant force settings" in warnings[0] and why in warnings[0]
    again.reg.start(NOON + 60)
    again.reg.on_connected(NOON + 60)
    assert state(again)["load_ecs_force_power"] == 2000 and state(again)["load_ecs_force_duration"] == 0


def test_no_force_settings_in_the_status_without_home_assistant(tmp_path: Path) -> None:
    h = harness(tmp_path, extra="")
    assert all("ha_force_power" not in entry for entry in h.reg.status(NOON + 20)["equipments"])


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


def test_a_force_power_left_at_the_max_follows_a_raised_max(tmp_path: Path) -> None:
    # Never set in HA, the force power is the heater's max, 2000 W. Its calibration then says 3000 W: the number was
    # restored at 2000 W as if chosen, and HA's force ran the heater at 66 % with no word. A power set below the max is
    # the user's, kept.
    h = harness(tmp_path)
    saved = json.loads(json.dumps(h.reg.status(NOON + 20)))
    ecs = next(entry for entry in saved["equipments"] if entry["name"] == "ecs")
    assert ecs["ha_force_power"] == 2000 and ecs["ha_force_power_at_max"] is True
    (h.config.parent / "linear.csv").write_text("".join(f"{p};{30.0 * p}\n" for p in range(0, 101, 5)))
    again = Harness(h.config)
    assert again.reg.restore(saved, NOON + 60) == []
    again.reg.start(NOON + 60)
    again.reg.on_connected(NOON + 60)
    assert state(again)["load_ecs_force_power"] == 3000
    ecs["ha_force_power"] = 1500
    del ecs["ha_force_power_at_max"]
    third = Harness(h.config)
    assert third.reg.restore(saved, NOON + 60) == []
    third.reg.start(NOON + 60)
    third.reg.on_connected(NOON + 60)
    assert state(third)["load_ecs_force_power"] == 1500
