"""Config loading: every problem of a file at once, the seed's keys, the CLI's exit codes."""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import load_settings
from settings.problems import ConfigError
from tests.configs import LINEAR_CSV, NO_BROKER_PORT, seed_sample_text, write_config
from values.venv import python_command

ROOT = Path(__file__).resolve().parent.parent


def test_sample_config_is_valid(tmp_path: Path) -> None:
    # (a copy, alone: in the checkout, a user's own curve beside their config.ini, where the sweep writes it, is named
    # by the warning instead, and this failed for an owner who ran `make test` there)
    path = tmp_path / "config.ini.sample"
    shutil.copy(ROOT / "config.ini.sample", path)
    settings = load_settings(path)
    assert [e.name for e in settings.equipments] == ["ecs", "radiator"]
    assert settings.mqtt.topic_mode == "regul/mode"
    assert settings.mqtt.topic_availability == "regul/availability"
    # (its curve is an example, another heater's: said, the only warning)
    assert [w.split(": ", 1)[1] for w in settings.warnings] == [
        f"[ecs] calibration: {ROOT / 'calibration' / 'power_calibration_ECS-04.csv'} is an example PySEB ships, the "
        f"sweep of another heater: measure this load's own ({shlex.quote(python_command())} -m calibration sweep -c "
        f"{path} --equipment ecs) and name it here"]


def sample_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """config.ini.sample copied as a user does (its example curve beside it), each (old, new) line replaced."""
    tmp_path.mkdir(exist_ok=True)
    text = (ROOT / "config.ini.sample").read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / "calibration").mkdir()
    shutil.copy(ROOT / "calibration" / "power_calibration_ECS-04.csv", tmp_path / "calibration")
    path = tmp_path / "config.ini"
    path.write_text(text)
    return path


def test_a_copy_of_the_sample_given_its_own_topic_regul_has_its_own_topics(tmp_path: Path) -> None:
    # The sample wrote every topic out: a second PySEB given its own topic_regul (as the docs advise) kept regul/mode
    # and regul/status, shared with the first (a force reached both), without a word.
    settings = load_settings(sample_copy(tmp_path, ("topic_regul = regul", "topic_regul = pv2")))
    mqtt = settings.mqtt
    assert (mqtt.topic_status, mqtt.topic_mode, mqtt.topic_availability, mqtt.topic_report) == (
        "pv2/status", "pv2/mode", "pv2/availability", "pv2/report")


def test_a_topic_left_at_the_default_root_under_another_topic_regul_is_warned(tmp_path: Path) -> None:
    # (a copy of the older sample, every topic written out)
    settings = load_settings(sample_copy(tmp_path, ("topic_regul = regul", "topic_regul = pv2"),
                                         (";topic_mode = regul/mode", "topic_mode = regul/mode")))
    assert settings.mqtt.topic_mode == "regul/mode" and settings.mqtt.topic_status == "pv2/status"
    assert [w.split(": ", 1)[1] for w in settings.warnings if "topic_mode" in w] == [
        "[mqtt] topic_mode: 'regul/mode' is not under topic_regul ('pv2'): remove the line to have pv2/mode, or set it "
        "to what you mean (a copy of an older config.ini.sample wrote every topic out)"]
    # (a root under regul/, its topics written out under it: meant)
    settings = load_settings(sample_copy(tmp_path / "b", ("topic_regul = regul", "topic_regul = regul/garage"),
                                         (";topic_mode = regul/mode", "topic_mode = regul/garage/mode")))
    assert not [w for w in settings.warnings if "topic_regul" in w], settings.warnings


def test_a_copy_of_the_sample_with_its_relay_on_domoticz_publishes_it_not_retained(tmp_path: Path) -> None:
    # The sample's `retain = true` made a Domoticz relay's commands retained: Domoticz took a retained On again at
    # each of its reconnects.
    on = '{"command": "switchlight", "idx": 359, "switchcmd": "On"}'
    settings = load_settings(sample_copy(tmp_path, ("topic_set_power = cmnd/radiator/POWER",
                                                    "topic_set_power = domoticz/in"),
                                         ("json_on = ON", f"json_on = {on}"),
                                         ("json_off = OFF", f"json_off = {on.replace('On', 'Off')}")))
    radiator = next(load for load in settings.equipments if load.name == "radiator")
    assert not radiator.current_command().retain


def test_a_copy_of_the_sample_sending_the_grid_alone_to_domoticz_is_taken(tmp_path: Path) -> None:
    # (its send_grid and send_injection lines, written out, asked for both: idx_injection was then required)
    settings = load_settings(sample_copy(tmp_path, ("idx_grid = 0", "idx_grid = 651")))
    assert settings.field.domoticz.idx_grid == 651 and settings.field.domoticz.idx_injection == 0


def test_a_copy_of_the_sample_with_the_seed_s_selector_warns_of_its_level_0(tmp_path: Path) -> None:
    # (the sample's ecs_mode_levels line, written out, was taken for the user's choice: the warning was never said)
    settings = load_settings(sample_copy(tmp_path, ("idx_ecs_mode = 0", "idx_ecs_mode = 42"),
                                         ("topic_regul = regul", "topic_regul = regul\ntopic_ecsMode = domoticz/out")))
    assert any("ecs_mode_levels: not set: the default" in w for w in settings.warnings), settings.warnings


@pytest.mark.parametrize(("lines", "said"), [
    # (linear.csv: 20 W a percent; 50 % draws 1000 W)
    ("min_percent = 50\nmax_power = 500", "[ecs] min_percent: min_percent (50 %) draws 1000 W, above the load's max "
                                           "(500 W): it could never be switched on"),
    ("max_power = 300", "[ecs] max_power: its calibration conducts from 400 W, above the load's max (300 W): it could "
                        "never be switched on"),
])
def test_a_variable_load_that_could_never_be_on_is_refused(tmp_path: Path, lines: str, said: str) -> None:
    # Every command, the regulation's and the fallback's (its night said forced "at 500 W ... 14 h"), was "0": the
    # heater was never on, and --check said OK.
    config = write_config(tmp_path, ("ecs",))
    text = config.read_text().replace("min_percent = 4", lines)
    if "300" in lines:
        (tmp_path / "linear.csv").write_text("".join(f"{p};0\n" for p in range(20))
                                             + "".join(f"{p};{20.0 * p}\n" for p in range(20, 101)))
    config.write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert said in str(refused.value), str(refused.value)


def test_all_problems_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "bad.ini"
    path.write_text("""
[mqtt]
port = eighty
[evaluate]
margin = -5
period = fast
timezone = Mars/Olympus
[equipments]
ecs = variable
heater = constant
pump = boiler
ghost = constant
[ecs]
topic_set_power = regul/vload/ECS/cmd
calibration = nowhere.csv
[heater]
json_on = 1
""")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    text = info.value.render()
    for fragment in ("[mqtt] port", "[evaluate] margin", "[evaluate] period", "[evaluate] timezone",
                     "[ecs] calibration", "[heater] max_power: is required", "[heater] topic_set_power",
                     "[equipments] pump: unknown type 'boiler'", "[ghost]: section [ghost]"):
        assert fragment in text, fragment
    assert str(path) in text
    assert len(info.value.problems) == 9


def test_user_class_must_subclass_equipment(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text("[equipments]\nx = collections:OrderedDict\n[x]\ntopic_set_power = a\n")
    with pytest.raises(ConfigError, match="not a subclass of equipments.Equipment"):
        load_settings(path)


def test_user_class_is_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "myloads.py").write_text(
        "from equipments.constant import ConstantEquipment\n"
        "class Pool(ConstantEquipment):\n    KIND = 'pool'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "c.ini"
    path.write_text("[equipments]\npool = myloads:Pool\n[pool]\ntopic_set_power = a\nmax_power = 750\n")
    settings = load_settings(path)
    assert settings.equipments[0].KIND == "pool" and settings.equipments[0].max_power_w == 750


def test_unknown_keys_warn_with_a_hint(tmp_path: Path) -> None:
    path = write_config(tmp_path, ("radiator",), extra="")
    text = path.read_text().replace("margin = 20", "margni = 20")
    path.write_text(text)
    settings = load_settings(path)
    assert any("margni" in w and "did you mean margin" in w for w in settings.warnings)


@pytest.mark.parametrize(("section", "line", "home"), [
    # the heater's force switch put with the other Domoticz keys: it did nothing, "unknown key" said not why
    ("domoticz", "domoticz_idx_force = 359", "[ecs], [radiator]"),
    ("mqtt", "idx_grid = 651", "[domoticz]"),
    ("evaluate", "level = DEBUG", "[logging]"),
    ("radiator", "margin = 20", "[evaluate]"),
])
def test_a_key_in_the_wrong_section_says_where_it_goes(tmp_path: Path, section: str, line: str, home: str) -> None:
    path = write_config(tmp_path)
    text = path.read_text()
    path.write_text(text.replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1) if f"[{section}]\n" in text
                    else text + f"\n[{section}]\n{line}\n")
    key = line.split(" =")[0]
    warned = [w for w in load_settings(path).warnings if f"[{section}] {key}:" in w]
    assert len(warned) == 1 and f"not a key of [{section}], ignored: it goes in {home}" in warned[0]


@pytest.mark.parametrize(("section", "line", "said"), [
    # Coturex's configs of early November 2022 had the relay's own meter under [resille]: "it goes in [ecs]" would have
    # made it the heater's full-tank meter
    ("radiator", "topic_read_power = smeter/pzem/RESILLE", "not a key of a constant load, ignored: a key of "
                                                           "variable loads (as [ecs])"),
    ("ecs", "min_on_s = 600", "not a key of a variable load, ignored: a key of constant and unknown loads (as [plug], "
                              "[radiator])"),
])
def test_a_key_of_another_kind_of_load_says_so(tmp_path: Path, section: str, line: str, said: str) -> None:
    path = write_config(tmp_path, ("ecs", "radiator", "plug"))
    path.write_text(path.read_text().replace(f"[{section}]\n", f"[{section}]\n{line}\n", 1))
    key = line.split(" =")[0]
    warned = [w for w in load_settings(path).warnings if f"[{section}] {key}:" in w]
    assert len(warned) == 1 and said in warned[0], warned


def test_a_misspelt_section_warns_with_a_hint(tmp_path: Path) -> None:
    # The README promises the hint for sections too: [evalute]'s keys are all ignored, and a load's section
    # misspelt is what makes its "section missing" error.
    path = write_config(tmp_path, ("radiator",), extra="\n[fallbak]\nseed_rule = false\n")
    path.write_text(path.read_text().replace("[evaluate]", "[evalute]"))
    warnings = load_settings(path).warnings
    assert any("[evalute]" in w and "did you mean [evaluate]?" in w for w in warnings)
    assert any("[fallbak]" in w and "did you mean [fallback]?" in w for w in warnings)
    path.write_text(path.read_text().replace("[radiator]", "[radiatr]"))
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "[radiatr]: section ignored" in info.value.render() and "did you mean [radiator]?" in info.value.render()


def test_a_pyseb_section_in_another_case_is_refused(tmp_path: Path) -> None:
    # [Fallback] seed_rule = false was dropped: the fallback stayed on and heated the water from the grid.
    path = write_config(tmp_path, ("radiator",), extra="\n[Fallback]\nseed_rule = false\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert "[Fallback]: PySEB's section names are lower case: name it [fallback]" in info.value.render()


def test_a_load_s_section_in_another_case_beside_its_own_is_refused(tmp_path: Path) -> None:
    # [RADIATOR] min_on_s = 30 beside [radiator] was taken for a listed load that failed to build: its keys were
    # ignored without a word, --check said OK.
    path = write_config(tmp_path, ("radiator",), extra="\n[RADIATOR]\nmin_on_s = 30\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.render().count("problem") == 1 and (
        "[RADIATOR]: load names are read in lower case: [RADIATOR] is not load radiator's section, and all its keys "
        "would be ignored; put them in [radiator]") in info.value.render()


def test_the_export_setpoint_defaults_to_the_algorithm_s(tmp_path: Path) -> None:
    # Unset, `margin` is 0 W under the closed loop (its dither_import bounds the whole percents' import) and
    # 10 W under Hébert's rule; set, it is what the config says under both.
    path = write_config(tmp_path, ("radiator",), extra="", algorithm="closed_loop")
    text = path.read_text()
    path.write_text(text.replace("margin = 20\n", ""))
    assert load_settings(path).evaluate.margin_w == 0
    assert load_settings(path).evaluate.dither_import_w == 5
    path.write_text(text.replace("margin = 20\n", "").replace("algorithm = closed_loop", "algorithm = hebert"))
    assert load_settings(path).evaluate.margin_w == 10
    path.write_text(text.replace("algorithm = closed_loop", "algorithm = hebert"))
    assert load_settings(path).evaluate.margin_w == 20
    path.write_text(text.replace("margin = 20\n", "margin = 20\ndither_import = 0\n"))
    assert load_settings(path).evaluate.margin_w == 20 and load_settings(path).evaluate.dither_import_w == 0
    # The seed's None means not set, with a warning that says the default; an empty value is refused.
    path.write_text(text.replace("margin = 20\n", "margin = None\n"))
    settings = load_settings(path)
    assert settings.evaluate.margin_w == 0
    assert any("margin: None means not set: using the default 0 under closed_loop, 10 under hebert" in w
               for w in settings.warnings)
    path.write_text(text.replace("margin = 20\n", "margin =\n"))
    with pytest.raises(ConfigError, match=r"\[evaluate\] margin: is empty: give a value, or delete the line"):
        load_settings(path)


def test_seed_config_loads(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text(seed_sample_text())
    # The seed kept calibration files beside the program: ./power_calibration_<name>.csv
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    settings = load_settings(tmp_path / "config.ini")
    assert settings.mqtt.host == "10.3.141.1"
    assert settings.mqtt.topic_mode == "regul/mode"  # topic_force = None: the default
    assert settings.evaluate.period_s == 3
    assert [(e.name, e.KIND) for e in settings.equipments] == [("ecs", "variable"), ("resille", "constant")]
    resille = settings.equipments[1]
    assert resille.command_for(596)[0].payload == '{"command": "switchlight", "idx": 359, "switchcmd": "On" }'
    assert settings.logging.file == tmp_path / "pv.log"
    # (the keys PySEB does not use named in one warning, each with its reason in `unused`: test_seed_start_warnings)
    warned = "\n".join((*settings.warnings, *settings.unused))
    assert "[soufflant_a]" in warned and "[debug] simulation" in warned
    assert "[evaluate] ecs_full_capacity: ignored" in warned  # the seed never used it either
    # ... said by the keys that hold the threshold, the seed's that the file has first (low_nrj_two_days, named
    # there before, is no key: the seasons' keys end in _spring, _summer...)
    assert "two-day threshold ([evaluate] low_ecs_energy_two_days, or [fallback] low_nrj_two_days_<season>)" in warned
    # The sample's `key = xxxxxxx` is its placeholder, not a key: no fetch (a real key is fetched again, below).
    assert "[openweathermap] key: only x's: this looks like the seed sample's placeholder" in warned
    assert "no forecast will be fetched" in warned
    assert settings.field.forecast.owm is None


def test_a_seed_key_s_problem_names_it_as_the_file_writes_it(tmp_path: Path) -> None:
    # Checks made after the reading named PySEB's option: `[mqtt] host: 'my broker' is not a host name` for a file
    # that says broker_ip, `[logging] file` for a file without [logging], and a wildcard in PySEB's own mode topic was
    # told to "give the device's own topic".
    text = seed_sample_text()
    for line, bad in (("broker_ip = 10.3.141.1", "broker_ip = my broker"),
                      ("topic_force= None", "topic_force= regul/+/x"),
                      ("log_file = pv.log", "log_file = /etc/passwd/pv.log")):
        assert line in text, line
        text = text.replace(line, bad, 1)
    (tmp_path / "config.ini").write_text(text)
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path / "config.ini")
    said = str(raised.value)
    assert "[mqtt] broker_ip: 'my broker' is not a host name" in said, said
    assert "[debug] log_file: /etc/passwd is not a directory" in said, said
    assert ("[mqtt] topic_force: 'regul/+/x' has a wildcard (+ or #): PySEB reads it as one topic (matched exactly), "
            "give the one topic it is to read, without + or #") in said, said
    named = ("[mqtt] host", "[logging] file", "[mqtt] topic_mode")  # (options the file does not have)
    assert not any(f"config.ini: {key}:" in said for key in named), said


def test_a_seed_key_left_none_is_not_named_for_the_value_made_without_it(tmp_path: Path) -> None:
    # topic_force= None (the seed sample's): topic_mode comes from topic_regul, and its wildcard was said of
    # "[mqtt] topic_force", a line that holds None.
    text = seed_sample_text()
    assert "topic_force= None" in text and "topic_regul= regul" in text
    (tmp_path / "config.ini").write_text(text.replace("topic_regul= regul", "topic_regul= regul/+", 1))
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path / "config.ini")
    assert "[mqtt] topic_mode: 'regul/+/mode' has a wildcard" in str(raised.value), str(raised.value)
    assert "topic_force:" not in str(raised.value)


def test_a_real_seed_key_is_fetched_again(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text(seed_sample_text().replace("key = xxxxxxx", "key = 0a1b2c3d4e"))
    (tmp_path / "power_calibration_ecs.csv").write_text(LINEAR_CSV)
    settings = load_settings(tmp_path / "config.ini")
    assert "[openweathermap]" not in "\n".join(settings.warnings)
    owm = settings.field.forecast.owm
    assert owm is not None and (owm.key, owm.location) == ("0a1b2c3d4e", "Moscou")


@pytest.mark.parametrize("key", ["x", "XXXXXXX", "xXxX"])
def test_a_key_of_only_x_is_no_key(tmp_path: Path, key: str) -> None:
    path = write_config(tmp_path, extra=f"\n[openweathermap]\nkey = {key}\n")  # no location: no error either
    settings = load_settings(path)
    assert settings.field.forecast.owm is None
    assert sum("[openweathermap] key: only x's" in w for w in settings.warnings) == 1


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "regulation.py"), *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def test_cli_check_ok() -> None:
    result = run_cli("-c", "config.ini.sample", "--check")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_cli_bad_config_exit_2_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.ini"
    path.write_text("[equipments]\nx = constant\n[x]\nmax_power = -3\n")
    result = run_cli("-c", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "[x] max_power" in result.stderr and "[x] topic_set_power: is required" in result.stderr


def test_cli_missing_file_and_version(tmp_path: Path) -> None:
    result = run_cli("-c", str(tmp_path / "none.ini"))
    assert result.returncode == 2 and "file not found" in result.stderr
    assert run_cli("--version").stdout.startswith("PySEB ")


def test_an_unreadable_config_says_whose_it_must_be(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ("cannot parse: [Errno 13] Permission denied": a config copied with sudo is root's, and the service runs as its
    # own user; the tests run as root, whom no mode refuses: the refusal is the file system's answer, faked)
    path = write_config(tmp_path)
    real_read_bytes = Path.read_bytes

    def refused(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refused)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    user = pwd.getpwuid(os.geteuid()).pw_name
    assert f"cannot read it as {user} (permission denied): give it to {user}: sudo chown {user} {path}" \
        in str(raised.value)
    assert "cannot parse" not in str(raised.value)
    # A folder above it that cannot be entered: chown of the file would not help. A uid without a name: the uid.
    real_access = os.access
    monkeypatch.setattr("settings.ini_file.os.access",
                        lambda p, mode: False if Path(p) == tmp_path else real_access(p, mode))

    def no_name(uid: int) -> pwd.struct_passwd:
        raise KeyError(uid)

    monkeypatch.setattr("pwd.getpwuid", no_name)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    uid = os.geteuid()
    assert (f"cannot read it as {uid} (permission denied): {uid} cannot enter the folder {tmp_path}: sudo chmod o+x "
            f"{tmp_path}") in str(raised.value), str(raised.value)


def test_errors_come_with_the_warnings_that_explain_them(tmp_path: Path) -> None:
    # `prot = 1884` is a typo: the port stays 1883, and a required key is missing. Both lines at once: the
    # "did you mean port?" must not wait for the next run, after the error is fixed.
    path = write_config(tmp_path, loads=("radiator",))
    text = path.read_text().replace(f"port = {NO_BROKER_PORT}", "prot = 1884")
    path.write_text(text.replace("max_power = 1000\n", ""))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    report = caught.value.render()
    error = report.index("[radiator] max_power: is required")
    hint = report.index("[mqtt] prot: unknown key, ignored (did you mean port?)")
    assert error < hint  # errors first
    assert f"{path}: 1 warning(s) as well:" in report.splitlines()


@pytest.mark.parametrize("check", [True, False])
def test_cli_shows_the_warnings_with_the_errors(tmp_path: Path, check: bool) -> None:
    path = write_config(tmp_path, loads=("radiator",))
    text = path.read_text().replace(f"port = {NO_BROKER_PORT}", "prot = 1884")
    path.write_text(text.replace("max_power = 1000\n", ""))
    result = run_cli("-c", str(path), *(["--check"] if check else []))
    assert result.returncode == 2
    assert result.stderr.index("max_power: is required") < result.stderr.index("did you mean port?")


def test_a_relay_key_in_evaluate_says_where_it_goes(tmp_path: Path) -> None:
    # The README's table once listed a relay's dwell beside [evaluate]'s keys: there it does nothing, and
    # "unknown key, ignored" did not say where it belongs.
    config = write_config(tmp_path, ("radiator",), algorithm="closed_loop")
    config.write_text(config.read_text().replace("[evaluate]\n", "[evaluate]\nmin_on_s = 300\n"))
    settings = load_settings(config)
    assert settings.equipments[0].min_on_s == 600  # (the default: [evaluate]'s is not read)
    assert any(w.endswith("[evaluate] min_on_s: ignored: a relay's key: set it in each relay's own section "
                          "([radiator], say), not in [evaluate]") for w in settings.warnings)


@pytest.mark.parametrize(("lines", "homes"), [
    ("margin = 30\n", {"margin": "[evaluate]"}),
    ("json_on = ON\nlevel = DEBUG\n", {"json_on": "[radiator]", "level": "[logging]"}),
    ("colour = blue\n", {"colour": None}),
])
def test_a_key_in_default_says_what_default_does_and_where_the_key_goes(tmp_path: Path, lines: str,
                                                                       homes: dict[str, str | None]) -> None:
    # INI's [DEFAULT] is copied into every section: `margin = 30` there was read in [equipments] as a load named
    # margin, "unknown type '30'", which said neither why nor where margin goes.
    path = write_config(tmp_path)
    path.write_text(f"[DEFAULT]\n{lines}" + path.read_text())
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    report = info.value.render()
    assert "unknown type" not in report and not [p for p in info.value.problems if p.section != "DEFAULT"]
    assert len(info.value.problems) == len(homes)
    for key, home in homes.items():
        said = [p.render(str(path)) for p in info.value.problems if p.key == key]
        assert len(said) == 1 and f"[DEFAULT] {key}: [DEFAULT] is copied into every section" in said[0]
        assert (f"move it to {home}" in said[0]) if home else "no section of PySEB takes it" in said[0]
    assert not [w for w in info.value.warnings if "DEFAULT" in w.render("") or "unknown key" in w.message]


def test_a_problem_of_the_whole_file_names_no_section(tmp_path: Path) -> None:
    # (configparser's own refusal has no section of ours to name: it printed "[-]: cannot parse: ...")
    # (a key written twice is now said in its section: tests/test_config_twice.py; a line without = is not)
    path = tmp_path / "twice.ini"
    path.write_text("[evaluate]\ntimezone = Europe/Paris\ntimezone UTC\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    line = str(caught.value).splitlines()[1]
    assert line.startswith(f"  {path}: cannot parse: ") and "'timezone UTC" in line and "[-]" not in line


@pytest.mark.parametrize(("written", "read"), [("warn", "WARNING"), ("Warning", "WARNING"), ("critical", "CRITICAL"),
                                               ("fatal", "CRITICAL"), ("debug", "DEBUG")])
def test_log_level_in_pythons_names(tmp_path: Path, written: str, read: str) -> None:
    # `level = warn` (Python's own older name) and `critical` were refused ("must be one of DEBUG, INFO, WARNING,
    # ERROR").
    settings = load_settings(write_config(tmp_path, extra=f"[logging]\nlevel = {written}\n"))
    assert settings.logging.level == read


def test_log_level_unknown_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[logging\] level: must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, "
                                          r"got 'loud'"):
        load_settings(write_config(tmp_path, extra="[logging]\nlevel = loud\n"))
