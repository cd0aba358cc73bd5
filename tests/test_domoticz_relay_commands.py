"""A relay's order to Domoticz's input read for its command and its level as Domoticz reads them: a command it does not
know, or in other letters ("SwitchLight"), it logs as "Unknown command received" and drops (hardware/MQTT.cpp compares
it as written): refused, as the relay never switches; a json_on's Set Level with no level, or level 0, switches the
device Off (main/mainworker.cpp, SwitchLightInt): warned of, with what to write (not refused: a blind's Set Level with
no level goes to its last level, a selector's level 0 runs that level's actions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import config_error, seed_config

ON = 'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }'
OFF = 'json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }'


def order_warnings(path: Path) -> list[str]:
    return [w.removeprefix(f"{path}: ") for w in load_settings(path).warnings if "] json_o" in w]


@pytest.mark.parametrize(("edit", "key", "said"), [
    ((ON, ON.replace('"switchlight"', '"SwitchLight"')), "json_on",
     "command 'SwitchLight': Domoticz reads 'switchlight', in those letters"),
    ((OFF, OFF.replace('"switchlight"', '" switchlight"')), "json_off",
     "command ' switchlight': Domoticz reads 'switchlight', in those letters"),
    ((OFF, OFF.replace('"switchlight"', '"UDevice"')), "json_off", "Domoticz reads 'udevice'"),
    ((ON, ON.replace('"switchlight"', '"switch"')), "json_on", "command 'switch' is none Domoticz's input knows"),
    ((ON, ON.replace('"switchlight"', '""')), "json_on", "command '' is none Domoticz's input knows"),
    ((ON, ON.replace('"switchlight"', "1")), "json_on", "command 1 is none Domoticz's input knows"),
    ((ON, ON.replace('"switchlight"', '["switchlight"]')), "json_on", "command ['switchlight'] is none"),
])
def test_a_command_domoticz_does_not_know_is_refused(tmp_path: Path, edit: tuple[str, str], key: str,
                                                      said: str) -> None:
    error = config_error(seed_config(tmp_path, edit))
    assert f"[resille] {key}: " in error and said in error, error
    assert "Unknown command received" in error and "the relay would never switch" in error


@pytest.mark.parametrize("command", ["udevice", "switchlight", "switchscene", "setuservariable", "customevent",
                                     "null"])
def test_the_commands_domoticz_knows_are_taken(tmp_path: Path, command: str) -> None:
    # (null: an order without a command, Domoticz's udevice; customevent and setuservariable may start a script)
    order = {"udevice": '{"command": "udevice", "idx": 359, "nvalue": 1}',
             "switchscene": '{"command": "switchscene", "idx": 4, "switchcmd": "On"}',
             "setuservariable": '{"command": "setuservariable", "idx": 2, "value": "1"}',
             "customevent": '{"command": "customevent", "event": "heater_on"}',
             "null": '{"command": null, "idx": 359, "nvalue": 1}'}.get(command, ON.split(" = ")[1])
    path = seed_config(tmp_path, (ON, f"json_on = {order}"))
    assert order_warnings(path) == []


@pytest.mark.parametrize("level", ["", ', "level": 0', ', "level": "0"', ', "level": -5', ', "level": 0.5',
                                   ', "level": null', ', "level": "high"'])
def test_a_json_on_set_level_without_a_level_is_warned(tmp_path: Path, level: str) -> None:
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "Set Level"'
                                      f'{level}}}'))
    said = order_warnings(path)
    assert len(said) == 1 and said[0].startswith("[resille] json_on: "), said
    assert "Domoticz switches the device Off" in said[0] and '"switchcmd": "On"' in said[0], said


@pytest.mark.parametrize("level", [', "level": 100', ', "level": "100"', ', "level": 40.7', ', "level": true'])
def test_a_json_on_set_level_with_a_level_is_taken(tmp_path: Path, level: str) -> None:
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "Set Level"'
                                      f'{level}}}'))
    assert order_warnings(path) == []


def test_a_json_off_set_level_0_is_taken(tmp_path: Path) -> None:
    # (the Off it means)
    path = seed_config(tmp_path, (OFF, 'json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Set Level", '
                                       '"level": 0}'))
    assert order_warnings(path) == []


@pytest.mark.parametrize("level", ['[100]', '{"v": 1}', "3000000000"])
def test_a_level_domoticz_cannot_read_is_refused(tmp_path: Path, level: str) -> None:
    # (jsoncpp's asInt throws on a list, an object or a number out of 32 bits: "Invalid/Unhandled data received!")
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "Set Level", '
                                      f'"level": {level}}}'))
    error = config_error(path)
    assert "[resille] json_on: " in error and "is no level Domoticz reads" in error, error


@pytest.mark.parametrize("command", ["[]", "{}"])
def test_an_empty_list_or_object_for_a_command_is_none_as_domoticz_reads_it(tmp_path: Path, command: str) -> None:
    # (jsoncpp's empty() is true for null, [] and {}: MQTT.cpp keeps its udevice, and updates the device)
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": {command}, "idx": 359, "nvalue": 1}}'))
    assert order_warnings(path) == []


@pytest.mark.parametrize("level", ["[]", "{}"])
def test_an_empty_list_or_object_for_a_level_is_none_as_domoticz_reads_it(tmp_path: Path, level: str) -> None:
    # (no level, -1, as when none: an On switches; a Set Level with it is Domoticz's Off, warned of)
    on = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "On", '
                                    f'"level": {level}}}'))
    assert order_warnings(on) == []
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "Set Level", '
                                      f'"level": {level}}}'))
    said = order_warnings(path)
    assert len(said) == 1 and "a Set Level with no level" in said[0], said


@pytest.mark.parametrize("level", ["2147483647.5", "-2147483648.5"])
def test_a_level_with_decimals_past_32_bits_is_refused(tmp_path: Path, level: str) -> None:
    # (jsoncpp's asInt of a double: "double out of Int range" past INT_MIN..INT_MAX, decimals and all)
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "Set Level", '
                                      f'"level": {level}}}'))
    error = config_error(path)
    assert "[resille] json_on: " in error and "is no level Domoticz reads" in error, error
