"""A device's topic names its firmware: a Tasmota meter's telemetry read with the seed's flat `power` (every reading
dropped, the meters silent at the first start), a relay sent payloads its firmware does not take (the seed's Domoticz
JSON on a Tasmota relay's cmnd/<device>/POWER: it never switched, PySEB believing it on). --check said OK."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings.config import load_settings
from tests.configs import write_config

SEED_ON = '{"command": "switchlight", "idx": 359, "switchcmd": "On" }'
SEED_OFF = '{"command": "switchlight", "idx": 359, "switchcmd": "Off" }'


def _warnings(tmp_path: Path, old: str, new: str, loads: tuple[str, ...] = ("ecs", "radiator")) -> list[str]:
    path = write_config(tmp_path, loads=loads)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    return list(load_settings(path).warnings)


def test_a_tasmota_meter_read_at_the_top_is_warned(tmp_path: Path) -> None:
    warned = _warnings(tmp_path, "topic_prod = smeter/pzem/PRODUCTION", "topic_prod = tele/pzem_pv/SENSOR")
    said = [w for w in warned if "json_power" in w]
    assert len(said) == 1
    assert "[mqtt] json_power: 'power' is read at the top of each reading, and [mqtt] topic_prod " \
           "'tele/pzem_pv/SENSOR' is a Tasmota device's telemetry, whose watts are at ENERGY.Power" in said[0]
    assert said[0].endswith("set json_power = ENERGY.Power")
    # Set as it says: nothing to say.
    assert not [w for w in _warnings(tmp_path, "topic_prod = smeter/pzem/PRODUCTION",
                                     "topic_prod = tele/pzem_pv/SENSOR\njson_power = ENERGY.Power")
                if "json_power" in w]


def test_a_load_s_own_tasmota_meter_read_at_the_top_is_warned(tmp_path: Path) -> None:
    warned = _warnings(tmp_path, "min_percent = 4\n", "min_percent = 4\ntopic_read_power = tele/ecs_plug/SENSOR\n")
    assert [w for w in warned if "[ecs] json_read_power: 'power' is read at the top" in w
            and w.endswith("set json_read_power = ENERGY.Power")]


def test_the_seed_s_domoticz_payloads_on_a_tasmota_relay_are_warned(tmp_path: Path) -> None:
    warned = _warnings(tmp_path, "json_on = ON\njson_off = OFF", f"json_on = {SEED_ON}\njson_off = {SEED_OFF}")
    said = [w for w in warned if "[radiator] json_" in w]
    assert len(said) == 1  # (one line a relay)
    assert f"[radiator] json_on: '{SEED_ON}' is a Domoticz command" in said[0]
    assert "sent to 'cmnd/radiator/POWER', it switches nothing. For a Tasmota relay (cmnd/<device>/POWER): json_on = " \
           "ON, json_off = OFF" in said[0]
    # On Domoticz's input, where the seed sent them: nothing to say.
    assert not [w for w in _warnings(tmp_path, "topic_set_power = cmnd/radiator/POWER\njson_on = ON\njson_off = OFF",
                                     f"topic_set_power = domoticz/in\njson_on = {SEED_ON}\njson_off = {SEED_OFF}")
                if "[radiator] json_" in w]


@pytest.mark.parametrize(("topic", "on", "off", "warned"), [
    ("cmnd/radiator/POWER", "marche", "arret", "'cmnd/radiator/POWER' is a Tasmota relay's POWER command, which takes "
                                               "ON or OFF (1 or 0): 'marche' switches nothing; write json_on = ON"),
    ("cmnd/radiator/POWER2", "ON", "STOP", "'STOP' switches nothing; write json_off = OFF"),
    # (Tasmota's commands are of any case: Power1 is POWER1)
    ("cmnd/radiator/Power1", "marche", "arret", "'marche' switches nothing; write json_on = ON"),
    ("shellies/radiator/relay/0/command", "1", "0", "a Shelly relay's command topic, which takes on or off: '1' "
                                                    "switches nothing; write json_on = on"),
])
def test_a_word_the_relay_s_firmware_does_not_take_is_warned(tmp_path: Path, topic: str, on: str, off: str,
                                                              warned: str) -> None:
    said = [w for w in _warnings(tmp_path, "topic_set_power = cmnd/radiator/POWER\njson_on = ON\njson_off = OFF",
                                 f"topic_set_power = {topic}\njson_on = {on}\njson_off = {off}")
            if "[radiator] json_" in w]
    assert len(said) == 1 and warned in said[0]


@pytest.mark.parametrize(("topic", "on", "off"), [
    ("cmnd/radiator/POWER", "ON", "OFF"), ("cmnd/radiator/POWER", "1", "0"), ("cmnd/radiator/POWER1", "on", "off"),
    ("shellies/radiator/relay/0/command", "on", "off"), ("regul/cload/radiator", "marche", "arret"),
])
def test_the_words_a_firmware_takes_are_not(tmp_path: Path, topic: str, on: str, off: str) -> None:
    assert not [w for w in _warnings(tmp_path, "topic_set_power = cmnd/radiator/POWER\njson_on = ON\njson_off = OFF",
                                     f"topic_set_power = {topic}\njson_on = {on}\njson_off = {off}")
                if "[radiator] json_" in w]


def test_a_payload_with_a_note_after_it_is_said_as_that_slip_alone(tmp_path: Path) -> None:
    # (`ON # tasmota`: the slip's warning says what to write; a second line on the same value said nothing more)
    said = [w for w in _warnings(tmp_path, "json_on = ON\n", "json_on = ON # tasmota\n") if "[radiator] json_on" in w]
    assert len(said) == 1 and "' #' starts no comment" in said[0]


@pytest.mark.parametrize("key", ["topic_cons", "topic_prod"])
def test_a_tasmota_meter_under_a_meter_timeout_under_five_teleperiods_is_warned(tmp_path: Path, key: str) -> None:
    # A Tasmota energy meter reads every TelePeriod (10 s at least), and with PowerDelta set nothing while the power is
    # steady: at the default meter_timeout, 10 s, each gap cut every load (a TelePeriod 10 read a few ms late too),
    # said "silent" 300 times an hour. --check, and the start, say what to set before the first cut.
    old = "topic_cons = smeter/pzem/CONSOMMATION" if key == "topic_cons" else "topic_prod = smeter/pzem/PRODUCTION"
    new = f"{key} = tele/house_meter/SENSOR\njson_power = ENERGY.Power"
    said = [w for w in _warnings(tmp_path, old, new) if "meter_timeout" in w]
    assert len(said) == 1
    assert said[0].endswith(
        f"[evaluate] meter_timeout: 10 s is under five readings of the Tasmota energy meter on [mqtt] {key} "
        "'tele/house_meter/SENSOR', which reads once every TelePeriod (10 s at least, 300 s by default) and, with "
        "PowerDelta set, at each change of power over the delta, nothing while the power is steady: each of its gaps "
        "over meter_timeout stops the regulation (every load not forced to 0 W) until its next reading. Set "
        "TelePeriod 10 and PowerDelta 0 on the device (a reading every 10 s), and meter_timeout = 50 (five of its "
        "readings)")
    # Set as it says: nothing to say. (A PZEM's topic, the other configs': nothing either.)
    path = write_config(tmp_path, meter_timeout=50)
    path.write_text(path.read_text().replace(old, new))
    assert not [w for w in load_settings(path).warnings if "meter_timeout" in w]
    assert not [w for w in load_settings(write_config(tmp_path)).warnings if "meter_timeout" in w]
