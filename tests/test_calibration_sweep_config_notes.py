"""The sweep's config reading, beyond the broker: the daemon's warnings shown, a relay refused however it is
written, the seed's NONE for "not set"."""

from __future__ import annotations

from pathlib import Path

import pytest

from calibration.cli import main
from calibration.sweep_config import SweepConfigError, load_sweep_target

LOAD = "[ecs]\ntopic_set_power = regul/vload/ECS/cmd\ntopic_read_power = smeter/pzem/ECS\n"
# (port 9: nothing listens there, and the tests below never get as far as connecting)
SEED_EVALUATE = "[evaluate]\nmargin = 50\nperiod = 10\ncheck_at = 1\nfrozen_meter = true\n"


def _config(tmp_path: Path, mqtt: str, rest: str = LOAD) -> Path:
    path = tmp_path / "config.ini"
    path.write_text(f"[mqtt]\nport = 9\n{mqtt}\n{SEED_EVALUATE}\n{rest}")
    return path


def test_the_daemons_warnings_about_mqtt_are_given_and_not_the_evaluate_keys_a_sweep_skips(tmp_path: Path) -> None:
    config = _config(tmp_path, "brokr_ip = 10.0.0.2\ntopic_ecsmode = domoticz/out/ecs\n")
    notes = load_sweep_target(config, "ecs").config_warnings
    assert any("[mqtt] brokr_ip: unknown key, ignored" in note and "broker_ip" in note for note in notes)
    # (the daemon's word for a key it no longer reads, not "unknown key": in its one line of them, last, as the
    # daemon says it at its start, where the sweep gave the seed's topic_ecsMode a line of its own)
    assert notes[-1] == (f"{config}: 1 key that PySEB does not use, ignored: [mqtt] topic_ecsmode; delete it to "
                         f"silence this (why, for each: python3 regulation.py -c {config} --check, and "
                         "docs/migrating-from-the-seed.md)")
    assert not [note for note in notes if "topic_ecsmode: ignored" in note]
    # [evaluate]'s other keys are the daemon's, only not read by a sweep: no "unknown key" for them
    assert not [note for note in notes if "[evaluate]" in note]


def test_the_keys_pyseb_does_not_use_are_said_as_the_daemon_says_them(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # A seed user's [mqtt] (Coturex's topic_ecsMode): the daemon names it in its one line of such keys.
    from settings.config import load_settings

    curve = Path(__file__).resolve().parent.parent / "calibration" / "power_calibration_ECS-04.csv"
    config = _config(tmp_path, "topic_ecsMode = domoticz/out/ECS\n",
                     f"[equipments]\necs = variable\n{LOAD}calibration = {curve}\n")
    [daemon_s] = [w for w in load_settings(config, daemon_files=False).warnings if "does not use" in w]
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", str(config)]) == 2
    err = capsys.readouterr().err
    [sweep_s] = [line for line in err.splitlines() if "topic_ecsmode" in line]
    # (the same line, but where each one's reason is: the sweep has no --check of its own)
    assert sweep_s == "warning: " + daemon_s.replace("--check", f"python3 regulation.py -c {config} --check")


def test_the_warnings_come_with_a_refusal_too(tmp_path: Path) -> None:
    config = _config(tmp_path, "brokr_ip = 10.0.0.2\n", "[ecs]\ntopic_set_power = regul/vload/ECS/cmd\n")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "ecs")
    said = str(refused.value)
    assert "topic_read_power is missing" in said and "[mqtt] brokr_ip: unknown key" in said
    # (the keys PySEB does not use in one line there too, their reasons in the daemon's check of the file: the sweep
    # has no --check, and its problems, a meter to read, need not be the daemon's)
    refused_too = _config(tmp_path, "topic_ecsmode = domoticz/out/ecs\n",
                          "[ecs]\ntopic_set_power = regul/vload/ECS/cmd\n")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(refused_too, "ecs")
    assert str(refused.value).splitlines()[-1] == (
        f"warning: {refused_too}: 1 key that PySEB does not use, ignored: [mqtt] topic_ecsmode; delete it to silence "
        f"this (why, for each: python3 regulation.py -c {refused_too} --check, and docs/migrating-from-the-seed.md)")


def test_the_sweep_command_shows_the_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "brokr_ip = 10.0.0.2\n")
    # Refused after the config is read (its CSV would be the config file): the warnings are said first
    assert main(["sweep", "-c", str(config), "--equipment", "ecs", "--output", str(config)]) == 2
    err = capsys.readouterr().err
    assert "warning: " in err and "[mqtt] brokr_ip: unknown key" in err
    assert err.index("[mqtt] brokr_ip") < err.index("that is the config file")


@pytest.mark.parametrize("relay_lines", [
    "json_on = None\njson_off = None\n",  # the seed's spare [soufflant_a], its payloads left at the defaults
    "json_on =\n",
    "min_on_s = 600\n",
    "retain = true\n",
])
def test_an_unlisted_section_with_a_relays_keys_is_refused_whatever_its_payloads(tmp_path: Path,
                                                                                 relay_lines: str) -> None:
    config = _config(tmp_path, "", f"{LOAD}\n[soufflant_a]\nmax_power = 500\ntopic_set_power = cmnd/blower/POWER\n"
                                   f"topic_read_power = smeter/pzem/S\n{relay_lines}")
    with pytest.raises(SweepConfigError) as refused:
        load_sweep_target(config, "soufflant_a")
    said = str(refused.value)
    assert "[soufflant_a]" in said and "relay" in said and "sweep a variable load" in said


def test_an_unlisted_section_commanded_on_domoticz_in_is_refused(tmp_path: Path) -> None:
    # Domoticz's input takes switch commands (its JSON), never a variator's percents
    config = _config(tmp_path, "", f"{LOAD}\n[soufflant_a]\ntopic_set_power = domoticz/in\n"
                                   "topic_read_power = smeter/pzem/S\n")
    with pytest.raises(SweepConfigError, match=r"\[soufflant_a\] topic_set_power = domoticz/in"):
        load_sweep_target(config, "soufflant_a")


def test_an_unlisted_variator_section_is_still_swept(tmp_path: Path) -> None:
    # (a new heater calibrated before it is listed in [equipments])
    config = _config(tmp_path, "", "[ecs2]\nmin_percent = 4\ntopic_set_power = regul/vload/ECS2/cmd\n"
                                   "topic_read_power = smeter/pzem/ECS2\n")
    assert load_sweep_target(config, "ecs2").topic_set_power == "regul/vload/ECS2/cmd"


@pytest.mark.parametrize("unset", ["None", "none", "NONE", ""])
def test_the_seeds_none_in_any_case_is_not_set(tmp_path: Path, unset: str) -> None:
    # The daemon reads NONE as "not set" (settings.options.is_unset_word): the sweep took it for a topic
    config = _config(tmp_path, "", f"{LOAD}topic_status = {unset}\ncalibration = {unset}\n")
    target = load_sweep_target(config, "ecs")
    assert (target.topic_status, target.calibration) == (None, None)


def test_a_tasmota_meter_read_at_the_top_is_warned_as_the_daemon_warns_it(tmp_path: Path) -> None:
    # The daemon's --check warns of it ([ecs] json_read_power ... set json_read_power = ENERGY.Power); the sweep,
    # which reads that meter alone, said nothing, and stopped on "no usable reading".
    config = _config(tmp_path, "", LOAD.replace("smeter/pzem/ECS", "tele/ecs_plug/SENSOR"))
    notes = load_sweep_target(config, "ecs").config_warnings
    assert [note for note in notes if "[ecs] json_read_power: 'power' is read at the top of each reading, and "
            "topic_read_power 'tele/ecs_plug/SENSOR' is a Tasmota device's telemetry" in note
            and note.endswith("set json_read_power = ENERGY.Power")], notes
    assert not [note for note in load_sweep_target(_config(tmp_path, "", LOAD), "ecs").config_warnings
                if "json_read_power" in note]
