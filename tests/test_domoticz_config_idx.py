"""One Domoticz device, one role: the pairs the config check did not see (the mode selector that is a load's relay
device, two loads switched with one device) are warned of, in --check and at the start, naming both keys; a meter
publishing to a device PySEB uses (its pzem_idx1, set in the meter) is named when its boot message says so."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from field.features import FieldFeatures
from settings.config import load_settings
from tests.configs import write_config
from tests.harness import NOON, Harness
from tests.log_flood import lines_let_through


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


# --- a meter's own Domoticz idx: in its boot message only ---------------------------------------------------------

BOOT = (b'{ "type": pzem, "id": CONSOMMATION, "fw_version": 1.3a, "chip_id": 1234567, "pzem_version": v3, '
        b'"srate": 2000, "pzem_idx1": 651, "pzem_idx2": 652, "DomoPubTimer": 0, "ip": 10.3.141.21}')


def test_a_meter_that_publishes_to_a_sensor_s_idx_is_named_at_its_boot(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # The seed's sample config (idx_grid = 651) with PROTOCOL.md's meter (pzem_idx1 = 651): the meter publishes its
    # power to Domoticz idx 651 itself, and PySEB its grid import, the sensor showing both by turns. PySEB's config
    # cannot say it: the meter's idx is set in the meter, and said in its boot message.
    h = Harness(write_config(tmp_path, extra="[domoticz]\nidx_grid = 651\nidx_injection = 648\n"))
    h.reg.tick(NOON)
    h.reg.handle("smeter/pzem", BOOT, NOON + 1)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "pzem_idx" in r.getMessage()]
    assert said == ["[domoticz] idx_grid = 651 is also the pzem_idx1 of meter CONSOMMATION (its boot message on "
                    "smeter/pzem): the meter publishes its own readings to that Domoticz device, which shows both by "
                    "turns; give idx_grid another device, or the meter another pzem_idx1"]


def test_boots_with_ever_new_meter_ids_do_not_flood_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Each id was a new kind for the flood limiter (its key held the id), and each line held the id whole (64 KiB):
    # 100 such messages rotated the whole log away in a second.
    h = Harness(write_config(tmp_path, extra="[domoticz]\nidx_grid = 651\nidx_injection = 648\n"))
    h.reg.tick(NOON)

    def send() -> None:
        for i in range(200):
            boot = BOOT.replace(b"CONSOMMATION", b"M%03d" % i + b"A" * 60000)
            h.reg.handle("smeter/pzem", boot, NOON + 1 + i)

    said = [line for line in lines_let_through(caplog, send) if "pzem_idx1" in line]
    assert len(said) == 5 and all(len(line) < 500 for line in said)


def test_a_meter_on_its_own_idx_says_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(write_config(tmp_path, extra="[domoticz]\nidx_grid = 700\nidx_injection = 648\n"))
    h.reg.tick(NOON)
    h.reg.handle("smeter/pzem", BOOT, NOON + 1)
    assert "pzem_idx" not in caplog.text


def test_a_mode_selector_idx_with_no_water_heater_is_no_clash(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    # No water heater, no mode selector (the Domoticz link leaves idx_ecs_mode alone): a meter publishing to that
    # idx clashes with nothing PySEB does, and a warning about it would send the user after a harmless idx.
    settings = load_settings(write_config(tmp_path, extra="[domoticz]\nidx_ecs_mode = 651\n"))
    no_heater = dataclasses.replace(settings.field, water_heater=None)
    for field_settings, warned in ((settings.field, True), (no_heater, False)):
        caplog.clear()
        features = FieldFeatures(field_settings, settings.equipments, lambda *_: None, None, 7000.0, settings.mqtt)
        assert (features.domoticz.selector is not None) is warned
        features.meter_idx.on_boot("smeter/pzem", BOOT)
        assert ("idx_ecs_mode = 651 is also the pzem_idx1" in caplog.text) is warned
