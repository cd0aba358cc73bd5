"""A seed or Coturex config brought as it is: the seed's None, a variator topic without /cmd, Coturex's
later keys, the older [equipment] format, one line per problem, and relays driven through domoticz/in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import LINEAR_CSV, config_error, problems_of, seed_config, seed_sample_text, write_config
from values.venv import python_command

ROOT = Path(__file__).resolve().parent.parent


def test_spare_load_with_none_topic_is_refused_when_listed(tmp_path: Path) -> None:
    # The seed's spare [soufflant_a] has topic_set_power = None: listed, it must not publish to topic "None".
    path = seed_config(tmp_path, ("resille = constant\n", "resille = constant\nsoufflant_a = constant\n"))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert "[soufflant_a] topic_set_power: is required, got None" in problems[0]
    assert "not set" in problems[0]


def test_cli_check_refuses_spare_load_with_none_topic(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("resille = constant\n", "resille = constant\nsoufflant_a = constant\n"))
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "--check", "-c", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode != 0
    assert "[soufflant_a] topic_set_power: is required" in done.stderr
    assert "OK" not in done.stdout


def test_none_for_a_key_with_a_default_takes_the_default_with_a_warning(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=("radiator",))
    path.write_text(path.read_text().replace("json_on = ON", "json_on = None") + "\n[fallback]\nseed_rule = None\n")
    settings = load_settings(path)
    assert settings.equipments[0].command_for(1000)[0].payload == "1"  # the default, not the text "None"
    assert any("[radiator] json_on: None means not set: using the default '1'" in w for w in settings.warnings)
    # (a switch's default as the file writes it: true, not Python's True)
    assert any(w.endswith("[fallback] seed_rule: None means not set: using the default true")
               for w in settings.warnings), settings.warnings


def test_zero_max_power_is_one_problem(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=("radiator",))
    path.write_text(path.read_text().replace("max_power = 1000", "max_power = 0"))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert "[radiator] max_power: must be >= 1, got 0.0" in problems[0]
    assert "is required" not in problems[0]


def test_missing_required_key_is_still_reported(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=("radiator",))
    path.write_text(path.read_text().replace("max_power = 1000\n", ""))
    assert [p for p in problems_of(path) if "[radiator] max_power: is required" in p]


def test_variable_topic_without_cmd_is_warned(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=("ecs",))
    path.write_text(path.read_text().replace("regul/vload/ECS/cmd", "regul/vload/ECS"))
    warned = "\n".join(load_settings(path).warnings)
    assert "[ecs] topic_set_power: 'regul/vload/ECS' is the shape of a variator's STATUS topic" in warned
    assert "topic_set_power = regul/vload/ECS/cmd" in warned


def test_variable_topic_of_another_shape_without_cmd_is_warned(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=("ecs",))
    path.write_text(path.read_text().replace("regul/vload/ECS/cmd", "home/dimmer/set"))
    warned = "\n".join(load_settings(path).warnings)
    assert "[ecs] topic_set_power: 'home/dimmer/set' does not end in /cmd" in warned


def test_variable_topic_with_cmd_is_not_warned(tmp_path: Path) -> None:
    assert not [w for w in load_settings(write_config(tmp_path, loads=("ecs",))).warnings if "/cmd" in w]


def test_variable_topic_equal_to_its_status_topic_is_an_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=("ecs",))
    path.write_text(path.read_text().replace("topic_set_power = regul/vload/ECS/cmd",
                                             "topic_set_power = regul/vload/ECS\ntopic_status = regul/vload/ECS"))
    problems = problems_of(path)
    assert [p for p in problems if "[ecs] topic_set_power: 'regul/vload/ECS' is also this load's topic_status" in p]


def test_a_heater_meter_on_the_variator_s_status_topic_is_an_error(tmp_path: Path) -> None:
    # The variator's answers say "power": 0 always: read as the heater's meter, its tank was "full" all day.
    path = seed_config(tmp_path, ("topic_read_power = smeter/pzem/ECS", "topic_read_power = regul/vload/ECS"))
    assert [p for p in problems_of(path) if "[ecs] topic_read_power: 'regul/vload/ECS' is this load's topic_status, "
            "the variator's own answers" in p]


def test_good_forecast_is_read_as_clear_sky_clouds_percent(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("check_at = 1\n", "check_at = 1\ngood_forecast = 30\n"))
    settings = load_settings(path)
    assert settings.field.fallback.seed.clear_sky_clouds_percent == 30
    warned = "\n".join(settings.warnings)
    assert "[evaluate] good_forecast: read as [fallback] clear_sky_clouds_percent = 30" in warned


def test_good_forecast_gives_way_to_the_new_key(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("check_at = 1\n", "check_at = 1\ngood_forecast = 30\n"))
    path.write_text(path.read_text() + "\n[fallback]\nclear_sky_clouds_percent = 15\n")
    settings = load_settings(path)
    assert settings.field.fallback.seed.clear_sky_clouds_percent == 15
    assert any("[evaluate] good_forecast: ignored: [fallback] clear_sky_clouds_percent is given too" in w
               for w in settings.warnings)


def test_good_forecast_out_of_range_is_an_error(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("check_at = 1\n", "check_at = 1\ngood_forecast = 300\n"))
    assert [p for p in problems_of(path) if "[evaluate] good_forecast: must be <= 101" in p]


def test_coturex_keys_get_a_pointer(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("check_at = 1\n", "check_at = 1\necs_measure_correction = 0.95\n"))
    path.write_text(path.read_text().replace("[ecs]\n", "[ecs]\nfull = 0\nmorning = 7\n"))
    settings = load_settings(path)
    warned = "\n".join((*settings.warnings, *settings.unused))
    assert "unknown key" not in warned
    # (each named in the one warning of the keys PySEB does not use, its reason in `unused`)
    assert "[evaluate] ecs_measure_correction, ecs_full_capacity, balance_threshold; " in settings.warnings[-1]
    assert "[ecs] full, morning; " in settings.warnings[-1]
    assert "[evaluate] ecs_measure_correction: ignored: PySEB does not correct" in warned
    assert "[ecs] full: ignored: a full tank is detected by itself (full_detect" in warned
    assert "[ecs] morning: ignored: the low-energy fallback replaces it" in warned


def test_old_equipment_format_is_explained_with_the_error(tmp_path: Path) -> None:
    path = seed_config(tmp_path)
    text = path.read_text()
    start = text.index("[equipments]")
    end = text.index("[ecs]")
    path.write_text(text[:start] + "[equipment]\neq_1_name = ecs\neq_1_type = water_heater\n\n" + text[end:])
    problems = problems_of(path)
    line = next(p for p in problems if "[equipments]: no load listed" in p)
    assert "[equipment] (eq_1_* keys, an older format) is not read" in line


def test_coturex_power_type_sections_are_explained_with_the_error(tmp_path: Path) -> None:
    # Coturex's fork for a few days of 2022 (27 Oct - 1 Nov) had a section per load typed by power_type, no
    # [equipments]: refused as "no load listed" and "[ECS]: section ignored", with no word of power_type.
    path = seed_config(tmp_path)
    text = path.read_text()
    start = text.index("[equipments]")
    end = text.index("[ecs]")
    text = text[:start] + text[end:].replace("[ecs]\n", "[ECS]\npower_type = variable\njson_set_power = None\n", 1)
    path.write_text(text + "\n[Resille]\npower_type = constant\nmax_power = 596\ntopic_set_power = cmnd/r/POWER\n")
    line = next(p for p in problems_of(path) if "[equipments]: no load listed" in p)
    assert ("sections typed by power_type ([ECS], [Resille]: an older format of Coturex's fork) are not read: list "
            "them in [equipments] (ecs = variable, resille = constant), name each section alike in lower case, and "
            "drop power_type and json_set_power") in line


def test_no_load_listed_without_old_section_says_only_that(tmp_path: Path) -> None:
    path = write_config(tmp_path, loads=())
    line = next(p for p in problems_of(path) if "[equipments]: no load listed" in p)
    assert "[equipment]" not in line


def test_relay_on_domoticz_in_is_not_retained_by_default(tmp_path: Path) -> None:
    settings = load_settings(seed_config(tmp_path))
    resille = settings.equipments[1]
    assert resille.topic_set_power == "domoticz/in"
    assert resille.command_for(596)[0].retain is False


def test_relay_retain_given_is_kept_on_domoticz_in(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("max_power = 596\n", "max_power = 596\nretain = true\n"))
    assert load_settings(path).equipments[1].command_for(596)[0].retain is True


def test_relay_elsewhere_is_retained_by_default(tmp_path: Path) -> None:
    settings = load_settings(write_config(tmp_path, loads=("radiator",)))
    assert settings.equipments[0].command_for(1000)[0].retain is True
    path = write_config(tmp_path, loads=("radiator",), extra="retain = false\n")
    assert load_settings(path).equipments[0].command_for(1000)[0].retain is False


def test_shared_seed_sample_loads(tmp_path: Path) -> None:
    # The sample users actually hold, as shipped with the seed (spare section unlisted): still fine.
    (tmp_path / "config.ini").write_text(seed_sample_text())
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    assert [e.name for e in load_settings(tmp_path / "config.ini").equipments] == ["ecs", "resille"]


def test_a_seed_dry_run_is_refused(tmp_path: Path) -> None:
    # The seed's `simulation = true` put its commands under simu/: the devices were never driven. Ignored, the
    # same file drove the real heater and relays.
    path = seed_config(tmp_path, ("simulation = false", "simulation = true"))
    assert [p for p in problems_of(path) if "[debug] simulation: true was the seed's dry run (no device driven); "
            "PySEB has none and would drive the real loads" in p]
    done = subprocess.run([sys.executable, str(ROOT / "regulation.py"), "--check", "-c", str(path)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2 and "make demo" in done.stderr


def test_a_seed_s_simulation_false_is_warned_with_what_silences_it(tmp_path: Path) -> None:
    # Set to false as the refusal of true says, it was warned at every start ("false: ignored") without a word of what
    # ends the warning: delete the line.
    settings = load_settings(seed_config(tmp_path, ("simulation = false", "simulation = false")))
    assert [w for w in settings.unused if "[debug] simulation: false: ignored, PySEB drives the loads" in w
            and "delete the line" in w]
    # (named at a start with the other keys PySEB does not use, with what silences that line)
    assert "[debug] simulation, simul_prod" in settings.warnings[-1] and "delete them to silence this" in \
        settings.warnings[-1]


def test_send_injection_in_evaluate_and_in_domoticz_is_warned(tmp_path: Path) -> None:
    # The oldest seed's [evaluate] send_injection left beside [domoticz]'s: two copies, the one in [evaluate] unused
    # without a word (host and broker_ip, topic_mode and topic_force warned "given as both").
    path = seed_config(tmp_path, ("[evaluate]\n", "[evaluate]\nsend_injection = false\n"))
    settings = load_settings(path)
    assert settings.field.domoticz.send_injection is True
    assert [w for w in settings.warnings if w.endswith("[domoticz] send_injection: given as both [domoticz] "
                                                       "send_injection and [evaluate] send_injection (the oldest "
                                                       "seed's place); using [domoticz]'s")]


@pytest.mark.parametrize(("words", "expected"), [(("OK", "NOK", "ok"), (True, False, True)),
                                                 (("TRUE", "False", "nok"), (True, False, False))])
def test_the_seed_s_set_and_unset_words(tmp_path: Path, words: tuple[str, str, str],
                                        expected: tuple[bool, bool, bool]) -> None:
    # Coturex reads true/ok and false/nok in any case.
    path = seed_config(tmp_path, ("send_domoticz = True\n", f"send_domoticz = {words[0]}\n"))
    text = path.read_text().replace("send_grid = true", f"send_grid = {words[1]}")
    path.write_text(text.replace("use_persistent = true", f"use_persistent = {words[2]}"))
    settings = load_settings(path)
    assert (settings.field.domoticz.send, settings.field.domoticz.send_grid, settings.status.persistent) == expected


def test_none_in_any_case_is_not_set(tmp_path: Path) -> None:
    # Coturex's NONE: `topic_force = NONE` was taken for the topic "NONE", and forced mode never heard.
    settings = load_settings(seed_config(tmp_path, ("topic_force= None", "topic_force= NONE")))
    assert settings.mqtt.topic_mode == "regul/mode"


def test_none_in_the_seed_s_debug_simulation_is_not_set(tmp_path: Path) -> None:
    # The seed's None in [debug] simulation was refused, "expected true or false", where the seed ran: no dry run.
    settings = load_settings(seed_config(tmp_path, ("simulation = false", "simulation = None")))
    assert settings.status.persistent is True


@pytest.mark.parametrize(("old", "new", "section_key"), [
    ("send_domoticz = True", "send_domoticz = None", "[domoticz] send_domoticz"),
    ("send_grid = true", "send_grid = None", "[domoticz] send_grid"),
    ("send_injection = true", "send_injection = NONE", "[domoticz] send_injection"),
    ("send_injection = true\n", "", "[evaluate] send_injection"),  # (the oldest seed's place, below)
    ("use_persistent = true", "use_persistent = None", "[debug] use_persistent"),
])
def test_none_in_the_seed_s_on_off_keys_is_false_as_the_seed_read_it(
        tmp_path: Path, old: str, new: str, section_key: str) -> None:
    # The seed read its on/off keys as `value in ("true", "True", "TRUE", "ok", "OK")`: its None (one of its "unset"
    # words, with false and nok) turned them off. Taken as "not set", the default (true) sent grid and injection to
    # Domoticz's idx, or saved and restored the status, where the seed had done neither.
    path = seed_config(tmp_path, (old, new))
    if section_key.startswith("[evaluate]"):
        path.write_text(path.read_text().replace("[evaluate]\n", "[evaluate]\nsend_injection = None\n"))
    settings = load_settings(path)
    domoticz = settings.field.domoticz
    on = {"[domoticz] send_domoticz": domoticz.send, "[domoticz] send_grid": domoticz.send_grid,
          "[domoticz] send_injection": domoticz.send_injection, "[evaluate] send_injection": domoticz.send_injection,
          "[debug] use_persistent": settings.status.persistent}
    assert on[section_key] is False
    assert all(value is True for key, value in on.items() if key[-14:] != section_key[-14:]), on
    said = [w for w in settings.warnings if section_key in w]
    word = new.split(" = ")[-1] if new else "None"
    assert len(said) == 1 and said[0].endswith(f"{section_key}: {word} is false here, as the seed read it (it took "
                                               "every word but true and ok for false): write false"), said


def test_the_seed_s_none_in_use_persistent_agrees_with_status_persistent_false(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("use_persistent = true", "use_persistent = None"))
    path.write_text(path.read_text() + "\n[status]\npersistent = false\n")
    settings = load_settings(path)
    assert settings.status.persistent is False
    assert not [w for w in settings.warnings if "use_persistent" in w], settings.warnings


def test_choices_in_any_case(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("[evaluate]\n", "[evaluate]\nalgorithm = Hebert\n"))
    path.write_text(path.read_text() + "\n[logging]\nlevel = info\n")
    settings = load_settings(path)
    assert (settings.evaluate.algorithm, settings.logging.level) == ("hebert", "INFO")


def test_a_bad_boolean_in_the_seed_s_evaluate_send_injection_is_refused(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("send_injection = true\n", ""))
    path.write_text(path.read_text().replace("[evaluate]\n", "[evaluate]\nsend_injection = maybe\n"))
    assert [p for p in problems_of(path) if "[evaluate] send_injection: expected true or false, got 'maybe'" in p]


def test_a_load_section_in_upper_case_is_named_in_the_error(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("ecs = water_heater", "ECS = water_heater"))
    path.write_text(path.read_text().replace("[ecs]", "[ECS]"))
    assert [p for p in problems_of(path) if "section [ecs] for load 'ecs' is missing ([ECS] differs only in case" in p]


@pytest.mark.parametrize("name", ["ballon ecs", "towel,1", "x/y", "plus+", "é"])
def test_a_load_name_that_would_break_the_recorded_days_is_refused(tmp_path: Path, name: str) -> None:
    path = seed_config(tmp_path, ("resille = constant", f"{name} = constant"))
    path.write_text(path.read_text().replace("[resille]", f"[{name}]"))
    wanted = f"[equipments] {name}: a load's name takes letters without accents (a-z), digits, _ and -"
    assert [p for p in problems_of(path) if wanted in p]


def test_a_seed_load_name_with_an_accent_is_told_what_to_write(tmp_path: Path) -> None:
    # The seed took "séchoir"; the refusal said "a load's name takes letters", and é is one.
    path = seed_config(tmp_path, ("resille = constant", "séchoir = constant"))
    path.write_text(path.read_text().replace("[resille]", "[séchoir]"))
    assert [p for p in problems_of(path) if "[equipments] séchoir: a load's name takes letters without accents (a-z), "
            "digits, _ and - only" in p and "rename it and its section (sechoir)" in p]


@pytest.mark.parametrize("name", ["record", "Domoticz", "simulation"])
def test_a_load_named_like_a_pyseb_section_is_refused(tmp_path: Path, name: str) -> None:
    # A load named record: its section was read twice, as the load's options and as the recorder's, without a
    # word (the recorder's keys in the load's section, the load's in the recorder's).
    path = seed_config(tmp_path, ("resille = constant", f"{name} = constant"))
    path.write_text(path.read_text().replace("[resille]", f"[{name}]"))
    assert [p for p in problems_of(path)
            if f"[equipments] {name.lower()}: a load cannot be named like PySEB's own section [{name.lower()}]" in p]

def test_a_payload_cut_by_an_inline_comment_is_said(tmp_path: Path) -> None:
    # The seed's parser had no inline comments: Tasmota's `Backlog Power1 ON ; Power2 ON` was cut without a word.
    path = seed_config(tmp_path, ('json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }',
                                  "json_on = Backlog Power1 ON ; Power2 ON"),
                       ('json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }',
                        "json_off = Backlog Power1 OFF"),
                       ("[resille]\nmax_power = 596\ntopic_set_power = domoticz/in",
                        "[resille]\nmax_power = 596\ntopic_set_power = cmnd/resille/Backlog"))  # (a Tasmota's)
    warned = "\n".join(load_settings(path).warnings)
    assert ("[resille] json_on: 'Backlog Power1 ON ; Power2 ON' is read as 'Backlog Power1 ON': ' ;' starts a "
            "comment") in warned
    assert "[mqtt]" not in warned  # (topics keep their notes: `topic = ... ; tasmota` is no cut to tell)


@pytest.mark.parametrize(("edit", "key"), [
    (('"switchcmd": "On" }', '"switchcmd": "On" '), "json_on"),  # (its closing brace lost)
    (('json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }',
      'json_off = {"command": "switchlight",\n"idx": 359, "switchcmd": "Off" }'), "json_off"),  # (a line not indented)
])
def test_a_relay_order_to_domoticz_that_is_not_json_is_refused(tmp_path: Path, edit: tuple[str, str],
                                                                key: str) -> None:
    # Domoticz's input drops it: the relay never switched while PySEB believed its 596 W drawn (the seed's too).
    said = config_error(seed_config(tmp_path, edit))
    assert f"[resille] {key}: " in said and "is not a JSON object, which Domoticz's input (domoticz/in) drops" in said


def test_a_password_cut_by_an_inline_comment_is_said_without_showing_it(tmp_path: Path) -> None:
    path = seed_config(tmp_path, ("port = 1883 \n", "port = 1883 \nusername = pi\npassword = s3cr3t ;tail\n"))
    warned = "\n".join(load_settings(path).warnings)
    assert "[mqtt] password: it is cut at ' ;'" in warned and "s3cr3t" not in warned


def test_a_seed_variable_load_after_the_first_written_as_a_relay_is_told_to_be_constant(tmp_path: Path) -> None:
    # Coturex's regulation.py built every `variable` load after the first (its water_heater) as a relay
    # (ConstantPowerEquipment: max_power, json_on, json_off). The error must say what the seed did with it and what
    # to write; it is its relay's payloads that say so, before its missing calibration file (the only refusal once,
    # and none with a curve there: tests/test_seed_relay_as_variable.py).
    path = seed_config(tmp_path, ("resille = constant\n", "resille = variable\n"))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert "[equipments] resille: listed as variable, but [resille] json_on is a relay's" in problems[0]
    assert "the seed ran a variable load after the first as a relay" in problems[0]
    assert "resille = constant" in problems[0]
    assert "calibration" not in problems[0]


def test_a_variable_load_without_relay_keys_gets_no_relay_hint(tmp_path: Path) -> None:
    # (its command topic a variator's too: domoticz/in alone tells a relay)
    path = seed_config(tmp_path, ("resille = constant\n", "resille = variable\n"),
                       ("topic_set_power = domoticz/in\n", "topic_set_power = regul/vload/resille/cmd\n"))
    path.write_text(path.read_text().replace("json_on = {", "# json_on = {").replace("json_off = {", "# json_off = {"))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    assert "no calibration file" in problems[0] and "as a relay" not in problems[0]


def test_a_seed_config_copied_without_its_curve_says_what_to_do(tmp_path: Path) -> None:
    # The seed's config.ini copied alone (its power_calibration_ecs.csv left beside the seed): the check said where
    # it looked, not what to do about it.
    path = seed_config(tmp_path)
    (tmp_path / "power_calibration_ecs.csv").unlink()
    (problem,) = [p for p in problems_of(path) if "[ecs] calibration" in p]
    assert problem.endswith(
        f"[ecs] calibration: no calibration file: looked for {tmp_path}/calibration/power_calibration_ecs.csv and "
        f"{tmp_path}/power_calibration_ecs.csv; put the variator's curve there (the seed's power_calibration_ecs.csv), "
        f"name it in calibration = <path>, or measure one: {python_command()} -m calibration sweep (its --help; "
        f"docs/calibration.md in PySEB's source; the example curves PySEB ships are in {ROOT / 'calibration'})")


def test_a_missing_curve_names_the_sweep_with_the_python_that_reads_the_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A make install (.venv) or a virtualenv of one's own: the check said `python3 -m calibration sweep`, the system's
    # Python, which lacks the packages (the example curve's warning already named the right one).
    path = seed_config(tmp_path)
    (tmp_path / "power_calibration_ecs.csv").unlink()
    monkeypatch.setattr(sys, "prefix", "/home/pi/pyseb-venv")
    monkeypatch.setattr(sys, "base_prefix", "/usr")
    monkeypatch.setattr(sys, "executable", "/home/pi/pyseb-venv/bin/python")
    (problem,) = [p for p in problems_of(path) if "[ecs] calibration" in p]
    assert "measure one: /home/pi/pyseb-venv/bin/python -m calibration sweep (its --help; " in problem


def test_a_named_curve_not_found_says_what_to_do(tmp_path: Path) -> None:
    # A named curve not found: the check said only "calibration file not found". (config.ini.sample's, copied out of
    # a `pip install .`, is found: tests/test_example_curves.py)
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace("calibration = linear.csv", "calibration = calibration/ECS-04.csv"))
    (problem,) = [p for p in problems_of(path) if "[ecs] calibration" in p]
    assert problem.endswith(
        f"[ecs] calibration: {tmp_path}/calibration/ECS-04.csv: calibration file not found; name your curve in "
        f"calibration = <path>, or measure one: {python_command()} -m calibration sweep (its --help; "
        f"docs/calibration.md in PySEB's source; the example curves PySEB ships are in {ROOT / 'calibration'})")


@pytest.mark.parametrize(("seed_word", "warned"), [("false", True), ("maybe", True), ("yes", False)])
def test_use_persistent_beside_status_persistent(tmp_path: Path, seed_word: str, warned: bool) -> None:
    # A seed file merged into a new one: [status] persistent wins, and the seed's use_persistent = false was dropped
    # without a word (the status saved and restored all the same).
    path = seed_config(tmp_path, ("use_persistent = true", f"use_persistent = {seed_word}"))
    path.write_text(path.read_text() + "\n[status]\npersistent = true\n")
    settings = load_settings(path)
    assert settings.status.persistent is True
    said = [w for w in settings.warnings if "[debug] use_persistent:" in w]
    assert said == ([f"{path}: [debug] use_persistent: ignored: [status] persistent = true is set too, and wins "
                     "(delete one of the two lines)"] if warned else []), said
