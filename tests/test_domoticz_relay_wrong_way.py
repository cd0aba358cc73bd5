"""A relay's orders to Domoticz that can never switch it the right way are refused at the start and by --check: a
json_on that switches the device Off (a switchlight's or a switchscene's "switchcmd": "Off"), a json_off that switches
it On, or a command that switches nothing (getdeviceinfo, getsceneinfo: Domoticz publishes the device's info;
addlogmessage, sendnotification). They were taken: the relay ran the wrong way (on while PySEB counted it off and gave
the surplus to the others, off while it counted its watts drawn), or never switched. A Toggle, which switches the right
way only while the device is where PySEB believes it, is warned of."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import config_error, seed_config

ON = 'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }'
OFF = 'json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }'


def order_warnings(path: Path) -> list[str]:
    return [w.removeprefix(f"{path}: ") for w in load_settings(path).warnings if "] json_o" in w]


# (one key swapped alone makes it the other's to the letter, refused as such: "reads as json_on")
@pytest.mark.parametrize(("edit", "key", "said"), [
    # (a Python plugin's device takes the other letters: still the wrong way)
    ((ON, ON.replace('"On"', '"off"')), "json_on", "Domoticz switches the device Off"),
    ((ON, 'json_on = {"command": "switchscene", "idx": 4, "switchcmd": "Off"}'), "json_on",
     "Domoticz switches the device Off"),
    ((OFF, 'json_off = {"command": "switchscene", "idx": 4, "switchcmd": "On"}'), "json_off",
     "Domoticz switches the device On"),
])
def test_an_order_that_switches_the_other_way_is_refused(tmp_path: Path, edit: tuple[str, str], key: str,
                                                         said: str) -> None:
    error = config_error(seed_config(tmp_path, edit))
    assert f"[resille] {key}: " in error and said in error, error
    meant = "On" if key == "json_on" else "Off"
    assert "the relay would switch the wrong way" in error and f'write "switchcmd": "{meant}" in {key}' in error


def test_swapped_orders_are_both_refused(tmp_path: Path) -> None:
    error = config_error(seed_config(tmp_path, (ON, ON.replace('"On"', '"Off"')), (OFF, OFF.replace('"Off"', '"On"'))))
    on = ("[resille] json_on: '{\"command\": \"switchlight\", \"idx\": 359, \"switchcmd\": \"Off\" }': switchcmd "
          "'Off' in json_on: Domoticz switches the device Off when PySEB switches the relay on: the relay would switch "
          'the wrong way; write "switchcmd": "On" in json_on (and "Off" in json_off)')
    off = ("[resille] json_off: '{\"command\": \"switchlight\", \"idx\": 359, \"switchcmd\": \"On\" }': switchcmd "
           "'On' in json_off: Domoticz switches the device On when PySEB switches the relay off")
    assert on in error and off in error, error


@pytest.mark.parametrize(("order", "does"), [
    ('{"command": "getdeviceinfo", "idx": 359}', "asks for the device's state"),
    ('{"command": "getsceneinfo", "idx": 4}', "asks for the scene's state"),
    ('{"command": "addlogmessage", "message": "on"}', "writes a line in Domoticz's log"),
    ('{"command": "sendnotification", "subject": "on", "body": "x"}', "sends a notification"),
])
@pytest.mark.parametrize("key", ["json_on", "json_off"])
def test_a_command_that_switches_nothing_is_refused(tmp_path: Path, order: str, does: str, key: str) -> None:
    edit = (ON, f"json_on = {order}") if key == "json_on" else (OFF, f"json_off = {order}")
    error = config_error(seed_config(tmp_path, edit))
    assert f"[resille] {key}: " in error and does in error, error
    assert "switches nothing: the relay would never switch" in error and '"command": "switchlight"' in error


@pytest.mark.parametrize("key", ["json_on", "json_off"])
def test_a_toggle_is_warned_of(tmp_path: Path, key: str) -> None:
    line = ON if key == "json_on" else OFF
    path = seed_config(tmp_path, (line, line.replace('"On"', '"Toggle"').replace('"Off"', '"Toggle"')))
    said = order_warnings(path)
    assert len(said) == 1 and said[0].startswith(f"[resille] {key}: "), said
    assert "Toggle" in said[0] and "the wrong way" in said[0], said


@pytest.mark.parametrize("level", ['"100"', "100", '"50"'])
def test_a_level_written_as_text_is_taken_as_every_domoticz_reads_it(tmp_path: Path, level: str) -> None:
    # hardware/MQTT.cpp has read a text level with atoi since it took commands (4d975888f, 2015-06-14, "Implemented:
    # MQTT commands to switch light, switch scene and set user variable"; in every release since, 2020.2 to
    # 2025.1): "level": "100" switches as "level": 100 does, in any Domoticz a user runs. Nothing to warn of.
    path = seed_config(tmp_path, (ON, f'json_on = {{"command": "switchlight", "idx": 359, "switchcmd": "Set Level", '
                                      f'"level": {level}}}'))
    assert order_warnings(path) == []
