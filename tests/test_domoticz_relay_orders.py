"""A relay switched through Domoticz (topic_set_power = domoticz/in, the seed's `resille`): an order Domoticz reads but
never acts on is refused at the start and by --check, as one that is not JSON is. Domoticz reads the idx as a number
(a "359" in quotes is "Invalid data received!"; none is idx 0, "unknown idx received!") and a switchlight's switchcmd
in its own words, as written ("On", "Off": "on" is refused or switches nothing): the relay never switched while PySEB
believed its 596 W drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import config_error, seed_config

ON = 'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On" }'
OFF = 'json_off = {"command": "switchlight", "idx": 359, "switchcmd": "Off" }'


@pytest.mark.parametrize(("edit", "key", "said"), [
    ((ON, ON.replace("359", '"359"')), "json_on", "its idx '359' is text: Domoticz reads a number"),
    ((OFF, OFF.replace("359", '"359"')), "json_off", "its idx '359' is text: Domoticz reads a number"),
    ((ON, ON.replace('"idx": 359, ', "")), "json_on", "no idx: Domoticz reads idx 0"),
    ((OFF, OFF.replace("359", "0")), "json_off", "its idx 0 is no device"),
    ((OFF, OFF.replace("359", "0.5")), "json_off", "its idx 0.5 is no device"),  # (read as 0)
    # (Python's json reads these, and int() of them raised out of the config's reading)
    ((OFF, OFF.replace("359", "NaN")), "json_off", "its idx nan is no device"),
    ((OFF, OFF.replace("359", "-Infinity")), "json_off", "its idx -inf is no device"),
    ((OFF, OFF.replace("359", "1e300")), "json_off", "its idx 1e+300 is no device"),
    ((OFF, OFF.replace("359", '"dz359"')), "json_off", "its idx 'dz359' is text: Domoticz reads a number, else"),
    ((OFF, OFF.replace(', "switchcmd": "Off"', "")), "json_off", "no switchcmd"),
])
def test_a_relay_order_domoticz_never_acts_on_is_refused(tmp_path: Path, edit: tuple[str, str], key: str,
                                                         said: str) -> None:
    error = config_error(seed_config(tmp_path, edit))
    assert f"[resille] {key}: " in error and said in error, error
    assert "the relay would never switch" in error


@pytest.mark.parametrize("edit", [
    (ON, ON),  # the seed's own
    (ON, ON.replace("359", "359.0")),  # (Domoticz reads a whole number written with a point)
    (ON, 'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "Set Level", "level": 100}'),
    (ON, 'json_on = {"command": "switchscene", "idx": 4, "switchcmd": "On"}'),  # a Domoticz group
    (ON, 'json_on = {"idx": 359, "nvalue": 1}'),  # (udevice: Domoticz's command when none is given)
])
def test_orders_domoticz_acts_on_are_accepted(tmp_path: Path, edit: tuple[str, str]) -> None:
    load_settings(seed_config(tmp_path, edit))


def test_a_force_switch_that_is_the_relay_s_device_written_with_a_point_is_refused(tmp_path: Path) -> None:
    # Domoticz reads "idx": 359.0 as 359 (accepted above): the force switch on it would take the relay's own orders
    # for a user's, as with "idx": 359.
    path = seed_config(tmp_path, (ON, ON.replace("359", "359.0")), (OFF, OFF.replace("359", "359.0")),
                       ("[resille]\n", "[resille]\ndomoticz_idx_force = 359\n"))
    said = "[resille] domoticz_idx_force: idx 359 is the Domoticz device this load is switched with"
    assert said in config_error(path)


def order_warnings(path: Path) -> list[str]:
    return [w.removeprefix(f"{path}: ") for w in load_settings(path).warnings if "json_o" in w]


def test_a_switchlight_s_on_in_other_letters_is_warned_not_refused(tmp_path: Path) -> None:
    # Domoticz's switchlight hands its switchcmd as written to a Python plugin's onCommand (main/mainworker.cpp,
    # SwitchLightInt): the Zigbee2MQTT plugin sends {"state": command.upper()}, and "on" switches its relay. Refused,
    # such a working config stopped the daemon at its start; its other devices (GetLightCommand) read only "On".
    path = seed_config(tmp_path, (ON, ON.replace('"On"', '"on"')))
    said = order_warnings(path)
    assert len(said) == 1 and said[0].startswith("[resille] json_on: ") and "switchcmd 'on'" in said[0], said
    assert "Python plugin" in said[0] and '"switchcmd": "On"' in said[0]


def test_a_switchscene_s_on_in_other_letters_stays_refused(tmp_path: Path) -> None:
    # (hardware/MQTT.cpp drops a switchscene whose switchcmd is not On, Off or Toggle as written)
    path = seed_config(tmp_path, (ON, 'json_on = {"command": "switchscene", "idx": 4, "switchcmd": "on"}'))
    assert "[resille] json_on: " in config_error(path) and "switchcmd 'on'" in config_error(path)


def test_a_switchscene_set_level_is_refused(tmp_path: Path) -> None:
    # (a group or scene takes On, Off or Toggle only: MQTT.cpp drops any other switchcmd)
    path = seed_config(tmp_path, (ON, 'json_on = {"command": "switchscene", "idx": 4, "switchcmd": "Set Level"}'))
    error = config_error(path)
    assert "[resille] json_on: " in error and "a switchscene takes On, Off or Toggle" in error, error


def test_an_idx_with_decimals_is_read_as_its_whole_part(tmp_path: Path) -> None:
    # Domoticz reads "idx": 359.5 as 359 (jsoncpp's asInt64 drops the decimals): the relay switches, warned of; and it
    # counts as 359 in the one-device-one-role checks
    path = seed_config(tmp_path, (OFF, OFF.replace("359", "359.5")))
    said = order_warnings(path)
    assert len(said) == 1 and "drops them and reads it as 359" in said[0] and '"idx": 359' in said[0], said
    path = seed_config(tmp_path, (ON, ON.replace("359", "359.5")), (OFF, OFF.replace("359", "359.5")),
                       ("[resille]\n", "[resille]\ndomoticz_idx_force = 359\n"))
    assert "[resille] domoticz_idx_force: idx 359 is the Domoticz device this load is switched with" in \
        config_error(path)


@pytest.mark.parametrize("order", [
    'json_on = {"command": "switchlight", "idx": 359, "switchcmd": "On", }',  # (a key removed, its comma left)
    'json_on = {"command": "switchlight", /* the water heater */ "idx": 359, "switchcmd": "On"}',
])
def test_an_order_domoticz_s_json_reader_takes_is_not_refused(tmp_path: Path, order: str) -> None:
    # Domoticz's jsoncpp reads with its defaults: a trailing comma and comments are taken, and the relay switches;
    # refused as "not a JSON object", a working seed config stopped the daemon at its start. Warned of, and its idx
    # still counts in the one-device-one-role checks.
    path = seed_config(tmp_path, (ON, order))
    said = order_warnings(path)
    assert len(said) == 1 and said[0].startswith("[resille] json_on: ") and "Domoticz takes it" in said[0], said
    path = seed_config(tmp_path, (ON, order), ("[resille]\n", "[resille]\ndomoticz_idx_force = 359\n"))
    assert "[resille] domoticz_idx_force: idx 359 is the Domoticz device" in config_error(path)


def test_a_lenient_order_is_still_checked(tmp_path: Path) -> None:
    path = seed_config(tmp_path, (ON, 'json_on = {"command": "switchlight", "idx": "359", "switchcmd": "On",}'))
    assert "its idx '359' is text" in config_error(path)
