"""A seed user's own config.ini, edited as users do (notes after values, Coturex's later keys and sections), and the
seed's status file: what --check says about each, and what the status keeps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import problems_of, seed_config, write_config
from tests.field_house import at, field_config, ticks
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("written", "advice"), [
    ("resille = constant   # the greenhouse mat\n", "' #' starts no comment"),
    ('resille = "constant"\n', "INI values take no quotes"),
])
def test_a_load_type_with_a_note_or_quotes_says_why_it_is_unknown(tmp_path: Path, written: str, advice: str) -> None:
    # Every other key told the ' #' note or the quotes with its error; a load's type said only "unknown type".
    path = seed_config(tmp_path, ("resille = constant\n", written))
    [problem] = problems_of(path)
    assert "[equipments] resille: unknown type" in problem and advice in problem


def test_a_plain_unknown_type_gets_no_slip_advice(tmp_path: Path) -> None:
    [problem] = problems_of(seed_config(tmp_path, ("resille = constant\n", "resille = boiler\n")))
    assert "unknown type 'boiler'" in problem and "#" not in problem and "quotes" not in problem


def test_coturex_s_simul_fallback_is_named_as_the_seed_s(tmp_path: Path) -> None:
    # Coturex's dry run had simul_fallback beside simul_prod: it was "unknown key, ignored", as if a typo.
    path = seed_config(tmp_path, ("simul_prod = 2000\n", "simul_prod = 2000\nsimul_fallback = None\n"))
    unused = load_settings(path).unused
    assert any(w.endswith("[debug] simul_fallback: ignored: use the simulator instead") for w in unused)


def test_coturex_s_cloud_forecast_section_says_what_replaces_it(tmp_path: Path) -> None:
    # Coturex's last version read its forecast (wttr.in) from [cloudForecast]: "did you mean [forecast]?" pointed at
    # the MQTT forecast alone, as if the section were misspelt.
    section = "[cloudForecast]\nkey = xxx\nlocation = Chambery\n\n"
    path = seed_config(tmp_path, ("[openweathermap]\n", section + "[openweathermap]\n"))
    [warning] = [w for w in load_settings(path).warnings if "cloudForecast" in w]
    assert "did you mean" not in warning
    assert "[openweathermap] key, location" in warning and "[forecast] topic" in warning


def seed_status(saved_at: float, clouds: object) -> dict:
    """The seed's status.ini (Coturex's shape), saved at `saved_at` with its CLOUD_forecast."""
    return {"CLOUD_forecast": clouds, "ECS_energy_yesterday": 11000, "date": int(saved_at),
            "date_str": "2024-01-10 20:50:26", "production_energy": 7652,
            "equipments": [{"current_power": 0, "energy": 5222.0, "forced": False, "name": "ecs", "overed": False}],
            "grid": 0, "injection": -1658, "power_consumption": 342, "power_equipments": 0, "power_house": 342,
            "power_production": 2000}


def test_the_seed_s_cloud_forecast_survives_the_move(tmp_path: Path) -> None:
    # The seed read CLOUD_forecast back from status.ini and published it until its next check; PySEB published
    # null after the move (and after every restart) until 01:00: a dashboard's cloud panel went blank.
    h = Harness(field_config(tmp_path, loads=("ecs",)))
    assert h.reg.restore(seed_status(at(2024, 1, 10, 20, 50), 99), at(2024, 1, 10, 21)) == []
    doc = h.reg.status(at(2024, 1, 10, 21, 1))
    assert doc["CLOUD_forecast"] == 99
    assert doc["forecast"]["used"] == {"date": "2024-01-10", "clouds_percent": 99, "source": "seed status file",
                                       "time": "2024-01-10T20:50:00+01:00", "cause": None}


@pytest.mark.parametrize("clouds", [None, "null", -404, -1, 250, True, "99"])
def test_a_seed_cloud_forecast_that_is_no_cover_is_not_restored(tmp_path: Path, clouds: object) -> None:
    # (Coturex's -404 and -1 were its fetch's errors, written to the file before the 100 % replaced them)
    h = Harness(field_config(tmp_path))
    h.reg.restore(seed_status(at(2024, 1, 10, 20, 50), clouds), at(2024, 1, 10, 21))
    doc = h.reg.status(at(2024, 1, 10, 21, 1))
    assert doc["CLOUD_forecast"] is None and doc["forecast"]["used"] is None


def test_the_last_check_s_forecast_survives_a_restart(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n"))
    ticks(h, at(2024, 1, 9, 22), at(2024, 1, 10, 23, 1))  # a check, without a forecast: the seed's 100 %
    saved = h.reg.status(at(2024, 1, 10, 23, 30))
    assert saved["CLOUD_forecast"] == 100
    again = Harness(h.config)
    again.reg.restore(json.loads(json.dumps(saved)), at(2024, 1, 10, 23, 31))
    doc = again.reg.status(at(2024, 1, 10, 23, 32))
    assert doc["CLOUD_forecast"] == 100 and doc["forecast"]["used"] == saved["forecast"]["used"]


def test_a_last_check_days_old_is_not_shown_as_the_last(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, evaluate="check_at = 23\n"))
    ticks(h, at(2024, 1, 9, 22), at(2024, 1, 10, 23, 1))
    saved = h.reg.status(at(2024, 1, 10, 23, 30))
    again = Harness(h.config)
    again.reg.restore(json.loads(json.dumps(saved)), at(2024, 1, 20, 12))
    assert again.reg.status(at(2024, 1, 20, 12, 1))["CLOUD_forecast"] is None


@pytest.mark.parametrize(("used", "said"), [
    ("sunny", "not an object"),
    ({"date": "2024-01-11", "clouds_percent": 250, "source": "mqtt", "time": None, "cause": None}, "0 to 100"),
    ({"date": "2024-01-11", "clouds_percent": 20, "source": "wttr.in", "time": None, "cause": None}, "source"),
    ({"date": "tomorrow", "clouds_percent": 20, "source": "mqtt", "time": None, "cause": None}, "tomorrow"),
])
def test_a_bad_saved_last_check_is_warned_and_left_out(tmp_path: Path, used: object, said: str) -> None:
    h = Harness(field_config(tmp_path, loads=("ecs",)))
    saved = {"schema_version": 1, "date": int(at(2024, 1, 10, 22)), "equipments": [], "forecast": {"used": used}}
    warnings = [w for w in h.reg.restore(saved, at(2024, 1, 10, 22, 1)) if "forecast" in w]
    assert len(warnings) == 1 and warnings[0].startswith("status file's forecast.used ignored: ")
    assert said in warnings[0]
    assert h.reg.status(at(2024, 1, 10, 22, 2))["CLOUD_forecast"] is None


def coturex_mode_config(tmp_path: Path, mode_topic: str, topic_out: str = "") -> Path:
    """The seed's sample with Coturex's mode selector: [mqtt] topic_ecsMode and [domoticz] idx_ecs_mode."""
    return seed_config(tmp_path, ("topic_force= None\n", f"topic_force= None\ntopic_ecsMode = {mode_topic}\n"),
                       ("idx_grid = 651\n", f"idx_grid = 651\nidx_ecs_mode = 338\n{topic_out}"))


def test_a_seed_mode_topic_under_topic_out_needs_nothing_more(tmp_path: Path) -> None:
    settings = load_settings(coturex_mode_config(tmp_path, "domoticz/out/Automate_Cumulus"))
    assert not [w for w in settings.warnings if "[mqtt] topic_ecsmode:" in w]  # (nothing to do: named as unused)
    assert "[mqtt] topic_ecsmode; " in settings.warnings[-1]
    assert [w for w in settings.unused if "[mqtt] topic_ecsmode:" in w] == [
        f"{tmp_path / 'config.ini'}: [mqtt] topic_ecsmode: ignored: the mode selector is read on [domoticz] "
        "topic_out (and its subtopics) by idx_ecs_mode"]


def test_a_seed_selector_left_unread_keeps_the_other_warnings_in_place(tmp_path: Path) -> None:
    # The selector's warning took the place of the generic "topic_ecsMode ignored" by rebuilding the list of warnings
    # (one out, one at the end); the unknown keys, placed afterwards by their index in it ("it goes in [domoticz]"),
    # then overwrote the warning after theirs: [evaluate] idx_injection was said twice and ecs_full_capacity not at all.
    path = coturex_mode_config(tmp_path, "None")
    path.write_text(path.read_text().replace("margin = 20\n", "margin = 20\nidx_injection = 648\n"))
    settings = load_settings(path)
    assert [w for w in settings.warnings if "idx_injection" in w] == [
        f"{path}: [evaluate] idx_injection: not a key of [evaluate], ignored: it goes in [domoticz]"]
    assert [w for w in settings.warnings if "[domoticz] idx_ecs_mode: ignored: the seed never read" in w]
    assert "[evaluate] ecs_full_capacity, balance_threshold; " in settings.warnings[-1]
    assert any(w.startswith(f"{path}: [evaluate] ecs_full_capacity: ignored: ") for w in settings.unused)


def test_a_seed_mode_topic_outside_topic_out_says_what_to_set(tmp_path: Path) -> None:
    # A Domoticz publishing on dz/out: the seed read the selector there, PySEB on domoticz/out, where nothing comes;
    # the mode stayed at its default, said only by a warning 60 s after each connect that Domoticz did not answer.
    warnings = load_settings(coturex_mode_config(tmp_path, "dz/out/Automate_Cumulus")).warnings
    [said] = [w for w in warnings if "topic_out" in w and "dz/out/Automate_Cumulus" in w]
    assert "[mqtt] topic_ecsmode" in said and "set [domoticz] topic_out" in said


def test_a_seed_mode_topic_under_the_topic_out_set_is_not_warned(tmp_path: Path) -> None:
    path = coturex_mode_config(tmp_path, "dz/out/Automate_Cumulus", "topic_out = dz/out\ntopic_in = dz/in\n")
    assert not [w for w in load_settings(path).warnings if "set [domoticz] topic_out" in w]


@pytest.mark.parametrize(("mode_topic", "advice"), [
    # Domoticz's flat format: every device on its out topic itself, which is then the topic_out to set.
    ("dz/out", "set [domoticz] topic_out = dz/out "),
    # One subtopic per device (Coturex's domoticz/out/Automate_Cumulus): its out topic is above it.
    ("dz/out/Automate_Cumulus", "set [domoticz] topic_out = dz/out "),
    ("dz/out/Maison/Cave/Automate_Cumulus", "set [domoticz] topic_out = dz/out "),
])
def test_a_seed_mode_topic_outside_topic_out_names_domoticz_s_out_topic(tmp_path: Path, mode_topic: str,
                                                                         advice: str) -> None:
    # A flat `topic_ecsMode = dz/out` was told "set topic_out = dz", above Domoticz's out topic; and the older
    # "ignored: read on topic_out" came with the advice, two warnings saying different things of one key.
    warnings = load_settings(coturex_mode_config(tmp_path, mode_topic)).warnings
    [said] = [w for w in warnings if "[mqtt] topic_ecsmode:" in w]
    assert advice in said and "ignored:" not in said


def test_a_seed_mode_topic_of_no_out_level_gives_both_shapes(tmp_path: Path) -> None:
    # Domoticz's out topic renamed to one with no "out" level: the topic itself (flat) or the one above (a subtopic
    # per device), both named.
    warnings = load_settings(coturex_mode_config(tmp_path, "maison/dz/Automate_Cumulus")).warnings
    [said] = [w for w in warnings if "[mqtt] topic_ecsmode:" in w]
    assert "maison/dz/Automate_Cumulus if Domoticz publishes every device there" in said
    assert "maison/dz if it publishes each device on a subtopic" in said


LEVEL_0 = ("[domoticz] ecs_mode_levels: not set: the default (0:off, 10:solar, 20:solar+fallback, 30:forced) makes "
           "level 0 of the selector idx 338 (the seed's, your [mqtt] topic_ecsMode) off, the heater commanded to 0 W, "
           "surplus or not; in the seed it only cancelled the fallback")


def mode_selector_config(tmp_path: Path, mode_topic: str, domoticz: str) -> Path:
    """The seed's sample with `mode_topic` in [mqtt] and `domoticz` in [domoticz] (coturex_mode_config, each part
    given or left out)."""
    return seed_config(tmp_path, ("topic_force= None\n", f"topic_force= None\n{mode_topic}"),
                       ("[domoticz]\n", f"[domoticz]\n{domoticz}"))


def test_the_seed_s_selector_under_the_default_levels_is_warned_of_its_level_0(tmp_path: Path) -> None:
    # The migration page says in bold that level 0 now turns the heater off (it only cancelled the fallback in the
    # seed); the check, which a migrating user runs, said nothing.
    path = coturex_mode_config(tmp_path, "domoticz/out")
    warned = [w for w in load_settings(path).warnings if "ecs_mode_levels" in w]
    assert len(warned) == 1 and LEVEL_0 in warned[0], warned
    assert warned[0].endswith("To keep the seed's meaning, set ecs_mode_levels = 0:solar, 10:solar, "
                              "20:solar+fallback, 30:forced (to keep PySEB's, write the default out)")
    result = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "-c", str(path), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert LEVEL_0 in result.stderr


@pytest.mark.parametrize(("mode_topic", "domoticz"), [
    ("topic_ecsMode = domoticz/out\n", "idx_ecs_mode = 338\necs_mode_levels = 0:solar, 10:solar, 20:solar+fallback\n"),
    # (written out, even as the default: chosen, not left)
    ("topic_ecsMode = domoticz/out\n", "idx_ecs_mode = 338\necs_mode_levels = 0:off, 10:solar, 20:solar+fallback, "
                                     "30:forced\n"),
    ("", "idx_ecs_mode = 338\n"),  # a PySEB config's selector: its levels are PySEB's from the start
    ("topic_ecsMode = domoticz/out\n", ""),  # no idx: the selector is not read (said by the topic's own warning)
])
def test_the_level_0_warning_only_for_the_seed_s_selector_left_at_the_default(tmp_path: Path, mode_topic: str,
                                                                              domoticz: str) -> None:
    warnings = load_settings(mode_selector_config(tmp_path, mode_topic, domoticz)).warnings
    assert not [w for w in warnings if "ecs_mode_levels" in w], warnings


@pytest.mark.parametrize("unset", ["None", "NONE"])
def test_the_seed_s_selector_turned_off_by_a_none_topic_stays_unread(tmp_path: Path, unset: str) -> None:
    # Coturex's sample with `topic_ecsMode = None`: the seed subscribed to the topic "None" and never read the selector,
    # whatever idx_ecs_mode said (the sample's 338, maybe another device of this Domoticz). PySEB read idx 338 on
    # domoticz/out: a selector left at level 0 held the heater at 0 W, sun or not, with no warning (found by a bug hunt
    # of the seed's behaviour). Not read, as in the seed, and said.
    settings = load_settings(mode_selector_config(tmp_path, f"topic_ecsMode = {unset}\n", "idx_ecs_mode = 338\n"))
    assert settings.field.domoticz.idx_ecs_mode == 0
    [said] = [w for w in settings.warnings if "idx_ecs_mode" in w]
    assert said.endswith(f"[domoticz] idx_ecs_mode: ignored: the seed never read the mode selector idx 338 with "
                         f"[mqtt] topic_ecsMode = {unset}, nor does PySEB; to have PySEB read it on [domoticz] "
                         "topic_out, delete topic_ecsMode (and see ecs_mode_levels: the default makes level 0 off), or "
                         "delete idx_ecs_mode if no selector of yours sets the heater's mode"), said
    assert not [w for w in settings.warnings if "[domoticz] ecs_mode_levels:" in w or "[mqtt] topic_ecsmode" in w]
    h = Harness(mode_selector_config(tmp_path, f"topic_ecsMode = {unset}\n", "idx_ecs_mode = 338\n"))
    h.reg.tick(at(2023, 11, 14, 12))
    h.reg.on_connected(at(2023, 11, 14, 12))
    assert not [p for t, p, _ in h.sent if t == "domoticz/in" and "getdeviceinfo" in p]  # (the selector not asked)


def test_an_unknown_load_s_power_stays_a_number(tmp_path: Path) -> None:
    # Hébert's status had 'current_power': 'unknown' for a power never set, never written (its start set every load
    # to 0 W, and an unknown load switched on kept that). PySEB writes a number, which its Home Assistant sensor,
    # power_equipments and the replay read as watts: 0 off; on, the watts measured or, before, those asked. A seed
    # file holding 'unknown' there restores all the same (current_power is not read back).
    h = Harness(write_config(tmp_path, ("ecs", "plug")))
    saved = seed_status(at(2024, 1, 10, 20, 50), 99)
    saved["equipments"].append({"current_power": "unknown", "energy": 0.0, "forced": False, "name": "plug"})
    assert h.reg.restore(saved, at(2024, 1, 10, 21)) == []
    doc = h.reg.status(at(2024, 1, 10, 21, 1))
    [plug] = [entry for entry in doc["equipments"] if entry["name"] == "plug"]
    assert plug["current_power"] == 0.0 and plug["learned_power"] is None
    assert isinstance(doc["power_equipments"], float)


def _energies(h: Harness, now: float) -> tuple[object, object, object, object]:
    doc = h.reg.status(now)
    [ecs] = [entry for entry in doc["equipments"] if entry["name"] == "ecs"]
    return doc["production_energy"], doc["production_energy_yesterday"], ecs["energy"], ecs["energy_yesterday"]


def test_a_seed_file_saved_before_its_check_holds_the_day_before_s_energies(tmp_path: Path) -> None:
    # The seed reset its production and its heater's energy at its check (01:00), not at midnight: a file of 00:30
    # held all of the day before's sun, restored as today's (and booked by Home Assistant a second time).
    h = Harness(field_config(tmp_path, loads=("ecs",)))
    [warning] = h.reg.restore(seed_status(at(2024, 1, 10, 0, 30), 99), at(2024, 1, 10, 0, 40))
    assert "saved before its daily check (01:00)" in warning and "yesterday's" in warning
    assert _energies(h, at(2024, 1, 10, 0, 41)) == (0.0, 7652.0, 0.0, 5222.0)


def test_a_seed_file_of_the_day_before_saved_before_its_check_keeps_no_energy(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, loads=("ecs",)))
    h.reg.restore(seed_status(at(2024, 1, 9, 0, 30), 99), at(2024, 1, 10, 8))
    assert _energies(h, at(2024, 1, 10, 8, 1)) == (0.0, 0.0, 0.0, 0.0)


@pytest.mark.parametrize(("check_at", "saved"), [
    ("1", at(2024, 1, 10, 1, 30)),
    ("0", at(2024, 1, 10, 0, 30)),
    ("20", at(2024, 1, 10, 16)),  # an evening check's counts began the evening before: the day's sun
])
def test_a_seed_file_saved_after_its_check_holds_today_s_energies(tmp_path: Path, check_at: str, saved: float) -> None:
    h = Harness(field_config(tmp_path, loads=("ecs",), evaluate=f"check_at = {check_at}\n"))
    assert h.reg.restore(seed_status(saved, 99), saved + 600) == []
    assert _energies(h, saved + 660) == (7652.0, 0.0, 5222.0, 11000.0)


@pytest.mark.parametrize(("saved", "started"), [
    (at(2024, 1, 10, 20, 50), at(2024, 1, 10, 23, 50)),
    (at(2024, 1, 10, 20, 50), at(2024, 1, 11, 0, 10)),  # the flag was lost by a start after midnight
    (at(2024, 1, 11, 0, 20), at(2024, 1, 11, 0, 30)),
])
def test_the_seed_s_full_flag_of_the_window_spares_the_night_force(tmp_path: Path, saved: float,
                                                                    started: float) -> None:
    # The seed's check at 01:00 forced nothing when its flag said the tank had been full since its 09:00 clear;
    # restored only from a file of the same day, the flag saved at 20:50 was lost by a start at 00:10, and the check
    # forced a tank the seed had seen full, from the grid.
    doc = seed_status(saved, 99)
    doc["equipments"][0].update(energy=2000.0, overed=True)
    doc["ECS_energy_yesterday"] = 3000  # a short two days: the seed would force, were the tank not full
    h = Harness(field_config(tmp_path, loads=("ecs",)))
    h.reg.restore(doc, started)
    ticks(h, started, at(2024, 1, 11, 1, 30))
    assert h.load("ecs").forced_power_w is None


def test_a_seed_s_full_flag_from_before_the_window_forces_as_the_seed_did(tmp_path: Path) -> None:
    # Saved at 02:00 with the flag up since before the 01:00 check (the seed cleared it at 09:00 only): not this
    # window's; the next night's check, its energy short, forces.
    doc = seed_status(at(2024, 1, 10, 2, 0), 99)
    doc["equipments"][0].update(energy=100.0, overed=True)
    doc["ECS_energy_yesterday"] = 3000
    h = Harness(field_config(tmp_path, loads=("ecs",)))
    h.reg.restore(doc, at(2024, 1, 10, 2, 10))
    assert h.reg.field.heater is not None and h.reg.field.heater.seed is not None
    assert h.reg.field.heater.seed.full_in_window is False
