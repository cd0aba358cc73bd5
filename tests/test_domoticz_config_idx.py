"""One Domoticz device, one role: the pairs the config check did not see (the mode selector that is a load's relay
device, two loads switched with one device) are warned of, in --check and at the start, naming both keys."""

from __future__ import annotations

from pathlib import Path

from settings.config import load_settings
from tests.configs import write_config


def relay_json(idx: int, on: str = "On", off: str = "Off") -> str:
    return (f'json_on = {{"command": "switchlight", "idx": {idx}, "switchcmd": "{on}"}}\n'
            f'json_off = {{"command": "switchlight", "idx": {idx}, "switchcmd": "{off}"}}\n')


def config(tmp_path: Path, radiator_idx: int, plug_idx: int, extra: str = "") -> Path:
    path = write_config(tmp_path, ("ecs", "radiator", "plug"), extra=extra)
    text = path.read_text().replace("json_on = ON\njson_off = OFF\n", relay_json(radiator_idx))
    text = text.replace("json_on = on\njson_off = off\n", relay_json(plug_idx))
    for topic in ("cmnd/radiator/POWER", "shellies/plug/relay/0/command"):  # both Domoticz switches, as the seed's
        text = text.replace(f"topic_set_power = {topic}\n", "topic_set_power = domoticz/in\n")
    path.write_text(text)
    return path


def idx_warnings(path: Path) -> list[str]:
    return [w.removeprefix(f"{path}: ") for w in load_settings(path).warnings if "idx" in w]


def test_a_mode_selector_that_is_a_load_s_relay_device_is_warned_of(tmp_path: Path) -> None:
    # Switching the radiator sent On/Off to the selector (On: its last level, Off: level 0, the mode "off"), and
    # each level the user chose switched the radiator.
    path = config(tmp_path, 42, 43, "[domoticz]\nidx_ecs_mode = 42\n")
    assert idx_warnings(path) == [
        "[domoticz] idx_ecs_mode: idx 42 is also the device radiator is switched with ([radiator] json_on/json_off): "
        "switching radiator moves the selector (On: to its last level, Off: to level 0) and the selector's levels "
        "switch radiator"]


def test_two_loads_switched_with_one_device_are_warned_of(tmp_path: Path) -> None:
    path = config(tmp_path, 42, 42)
    assert idx_warnings(path) == [
        "[plug] json_on: idx 42 is also the device radiator is switched with ([radiator] json_on/json_off): "
        "switching one load switches both"]


def test_distinct_devices_say_nothing(tmp_path: Path) -> None:
    path = config(tmp_path, 42, 43, "[domoticz]\nidx_ecs_mode = 44\nidx_grid = 45\nidx_injection = 46\n")
    assert idx_warnings(path) == []
