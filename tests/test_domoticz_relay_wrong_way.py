"""A relay's orders to Domoticz that can never switch it the right way are refused at the start and by --check: a
json_on that switches the device Off (a switchlight's or a switchscene's "switchcmd": "Off") while its json_off switches
that device Off too, a json_off that switches it On as its json_on does, or a command that switches nothing
(getdeviceinfo, getsceneinfo: Domoticz publishes the device's info; addlogmessage, sendnotification). They were taken:
the relay never switched one way, or never at all. A Toggle, which switches the right way only while the device is
where PySEB believes it, is warned of; so are swapped orders on one device (json_on Off, json_off On), taken as a
normally-closed relay's, as a Tasmota's json_on = OFF is. An order to another device than the other's (a scene, which
Domoticz only switches On) is not judged by its word."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import config_error, seed_config

ON = 'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }'
OFF = 'json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }'


def order_warnings(path: Path) -> list[str]:
    return [w.removeprefix(f"{path}: ") for w in load_settings(path).warnings if "] json_o" in w]


# (one key swapped alone makes it the other's to the letter, refused as such: "reads as json_on"; both orders on one
# device that switch it the same way in other letters or in other words are refused here)
SCENE_ON = '{"command": "switchscene", "idx": 4, "switchcmd": "On"}'
SCENE_OFF = '{"command": "switchscene", "idx": 4, "switchcmd": "Off"}'
PASSCODE = ', "passcode": ""}'  # (the same order, not the same payload: the other's to the letter is refused apart)


@pytest.mark.parametrize(("edits", "key", "said"), [
    # (a Python plugin's device takes the other letters: still the wrong way)
    (((ON, ON.replace('"On"', '"off"')),), "json_on", "Domoticz switches the device Off"),
    (((ON, f"json_on = {SCENE_OFF}"), (OFF, "json_off = " + SCENE_OFF.replace("}", PASSCODE))),
     "json_on", "Domoticz switches the device Off"),
    (((ON, "json_on = " + SCENE_ON.replace("}", PASSCODE)), (OFF, f"json_off = {SCENE_ON}")),
     "json_off", "Domoticz switches the device On"),
])
def test_an_order_that_switches_the_other_way_is_refused(tmp_path: Path, edits: tuple[tuple[str, str], ...], key: str,
                                                         said: str) -> None:
    error = config_error(seed_config(tmp_path, *edits))
    assert f"[resille] {key}: " in error and said in error, error
    meant = "On" if key == "json_on" else "Off"
    assert "the relay would switch the wrong way" in error and f'write "switchcmd": "{meant}" in {key}' in error


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


def test_swapped_orders_on_one_device_are_a_normally_closed_relay_taken_and_warned_of(tmp_path: Path) -> None:
    # A normally-closed relay (or a pilot wire's diode module: the heater runs while the device is Off) is switched on
    # by Domoticz's Off: the same swap a Tasmota relay's json_on = OFF makes, which is taken. Refused, such a config
    # that ran stopped at the start with no way to write it.
    path = seed_config(tmp_path, (ON, ON.replace('"On"', '"Off"')), (OFF, OFF.replace('"Off"', '"On"')))
    said = order_warnings(path)
    assert len(said) == 1 and said[0].startswith("[resille] json_on: "), said
    assert "normally-closed relay" in said[0] and "swap them" in said[0], said


@pytest.mark.parametrize(("on", "off"), [
    # (a Domoticz scene can only be switched On: MainWorker::SwitchScene, "A Scene can only be turned On"; a relay on
    # scenes has one for on, one for off)
    (SCENE_ON, '{"command": "switchscene", "idx": 5, "switchcmd": "On"}'),
    # (an order to another device: what its On does, Domoticz's events and scripts say, not PySEB)
    ('{"command": "switchlight", "idx": 359, "switchcmd": "On"}',
     '{"command": "switchlight", "idx": 360, "switchcmd": "On"}'),
    ('{"command": "switchlight", "idx": 359, "switchcmd": "On"}',
     '{"command": "switchscene", "idx": 5, "switchcmd": "On"}'),
])
def test_an_order_to_another_device_is_not_judged_by_its_word(tmp_path: Path, on: str, off: str) -> None:
    path = seed_config(tmp_path, (ON, f"json_on = {on}"), (OFF, f"json_off = {off}"))
    assert order_warnings(path) == []


@pytest.mark.parametrize(("on", "off"), [
    # (a Python plugin's device, which takes the words as written: its letters warned of, and the swap)
    ('{"command": "switchlight", "idx": 359, "switchcmd": "off"}',
     '{"command": "switchlight", "idx": 359, "switchcmd": "on"}'),
    # (an idx with decimals: read as 359, the same device)
    ('{"command": "switchlight", "idx": 359.5, "switchcmd": "Off"}',
     '{"command": "switchlight", "idx": 359, "switchcmd": "On"}'),
])
def test_swapped_orders_are_warned_of_beside_another_doubt_on_json_on(tmp_path: Path, on: str, off: str) -> None:
    # Refused before normally-closed relays were taken; a warning of json_on's letters or idx alone left a swap made
    # by mistake unsaid, the relay running the wrong way.
    path = seed_config(tmp_path, (ON, f"json_on = {on}"), (OFF, f"json_off = {off}"))
    said = [w for w in order_warnings(path) if w.startswith("[resille] json_on: ")]
    assert len(said) == 2 and "normally-closed relay" in said[1], said
