"""What a restart's config no longer has, and the loads it left on. A load taken out of the config while PySEB had it
on: a stop commands every load off, but after a power cut or a kill the device is still on (a relay's retained ON on
the broker too), and the restart, not knowing the load, left it on with nobody regulating it. The status file says how
to switch it off; the start does, once. A force made with a switch the config no longer has is not restored.
An off the broker never acknowledged, left in the file's pending_offs: test_status_restore_pending_offs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.field_house import field_config
from tests.harness import NOON, Harness
from tests.removed_load_status import ECS_CMD, RADIATOR, saved_with, started


def test_a_relay_forced_on_then_removed_is_commanded_off_at_the_start(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    assert doc["equipments"][1]["off_command"] == {"topic": RADIATOR, "payload": "OFF", "retain": True}
    h, warnings = started(tmp_path, doc)
    assert h.sent[0] == (RADIATOR, "OFF", True)  # retained, as its ON was; before the loads' own commands
    assert h.on(RADIATOR) == ["OFF"]
    assert any("radiator is no longer configured but was left on ('ON' on cmnd/radiator/POWER): commanded "
               "off ('OFF') at the start" in w for w in warnings), warnings


def test_a_variator_left_on_then_removed_is_commanded_to_0(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"ecs","power":1000}')
    h, _ = started(tmp_path, doc, loads=("radiator",))
    assert h.on(ECS_CMD) == ["0"] and (ECS_CMD, "0", False) in h.sent


def test_a_removed_load_saved_off_is_commanded_off_all_the_same(tmp_path: Path) -> None:
    # A load's command does not save the file at once: saved off, it may have been switched on since (then a kill),
    # or the stop's off may not have reached a broker that was down. An off to a device already off costs nothing.
    h, warnings = started(tmp_path, saved_with(tmp_path, None))
    assert h.on(RADIATOR) == ["OFF"] and h.sent[0] == (RADIATOR, "OFF", True)
    assert any("radiator is no longer configured but was saved off, maybe before its last command "
               "(cmnd/radiator/POWER): commanded off ('OFF') at the start" in w for w in warnings), warnings


@pytest.mark.parametrize(("drawn_w", "said"), [
    (596, "status has a load 'resille' that is not configured: its saved state (its energies, a force, a full tank, "
          "learned watts) is dropped; it drew 596 W when the file was saved, and the file does not say how to switch "
          "it off: if it is still on, switch it off yourself"),
    (0, "status has a load 'resille' that is not configured: its saved state (its energies, a force, a full tank, "
        "learned watts) is dropped"),
])
def test_a_load_of_the_seed_s_file_drawing_and_no_longer_configured_is_said_maybe_left_on(
        tmp_path: Path, drawn_w: int, said: str) -> None:
    # The seed's status file says no off command: its resille at 596 W (the seed's own kill left it on), taken out of
    # [equipments] at the migration, was "ignored" without a word of it being on, with nobody regulating it.
    seed_file = {  # (the entries of the seed's status.ini.example.json)
        "date": int(NOON), "equipments": [{"current_power": 0, "energy": 5222.0, "forced": False, "name": "ecs",
                                           "overed": True},
                                          {"current_power": drawn_w, "energy": 0.0, "forced": False,
                                           "name": "resille", "overed": False}]}
    h, warnings = started(tmp_path, seed_file)
    assert said in warnings, warnings
    assert h.reg.pending_offs() == []  # (nothing known to send)


def test_a_renamed_load_is_commanded_by_its_new_name_only(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    h, warnings = started(tmp_path, doc, loads=("ecs", "radiator"), renamed=True)
    assert h.on(RADIATOR) == ["OFF"]  # the heater's own start command, once
    assert not any("left on" in w for w in warnings)


def test_a_renamed_load_now_not_retained_is_not_sent_its_old_retained_off(tmp_path: Path) -> None:
    # The same device under a new name, its commands no longer retained: its old off, retained, sent first stayed on
    # the broker (the heater's own OFF, not retained, does not replace it), an order the relay took at each of its
    # reboots while PySEB had it on.
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace("radiator", "heater")
                      .replace("topic_set_power = cmnd/heater/POWER",
                               "topic_set_power = cmnd/radiator/POWER\nretain = false"))
    h = Harness(config)
    warnings = h.reg.restore(doc, NOON + 60)
    h.reg.start(NOON + 60)
    assert [s for s in h.sent if s[0] == RADIATOR] == [(RADIATOR, "OFF", False)]
    assert not any("left on" in w for w in warnings), warnings


def test_a_file_without_the_off_command_or_with_a_bad_one_commands_nothing(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    del doc["equipments"][1]["off_command"]  # a file saved by an older PySEB
    h, _ = started(tmp_path, doc)
    assert h.on(RADIATOR) == []
    for bad in ({"topic": "cmnd/#", "payload": "OFF", "retain": True}, {"topic": RADIATOR, "payload": 0},
                "OFF", {"topic": "", "payload": "OFF", "retain": False}):
        doc["equipments"][1]["off_command"] = bad
        h, warnings = started(tmp_path, doc)
        assert [t for t, _, _ in h.sent if t not in (ECS_CMD, "regul/status")] == []
        assert any("left on" in w and "not usable" in w for w in warnings), (bad, warnings)


# A force made with a switch the restart's config no longer has (Home Assistant's discovery turned off, a Domoticz
# force switch taken out): it was restored, forced until unforced, with nothing left to switch it off but a regul/mode
# command its owner never used: the radiator on, from the grid, for good.
HA_ON = "[homeassistant]\ndiscovery = true\n"


def _force_by_switch(h: Harness, owner: str) -> None:
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    h.meters(300, 0, NOON + 1)
    if owner == "homeassistant":
        h.reg.handle("regul/ha/load_radiator_force/set", b"ON", NOON + 2)
    else:  # Domoticz's answer to PySEB's request, then the user's On
        h.reg.handle("domoticz/out", b'{"idx": 360, "nvalue": 0, "switchType": "On/Off", "name": "F"}', NOON + 2)
        h.reg.handle("domoticz/out", b'{"idx": 360, "nvalue": 1, "switchType": "On/Off", "name": "F"}', NOON + 3)


@pytest.mark.parametrize("owner", ["homeassistant", "domoticz"])
def test_a_force_by_a_switch_the_config_no_longer_has_is_not_restored(tmp_path: Path, owner: str,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    with_switch = HA_ON if owner == "homeassistant" else ""
    radiator_switch = "" if owner == "homeassistant" else "domoticz_idx_force = 360\n"
    h = Harness(field_config(tmp_path, radiator=radiator_switch, extra=with_switch))
    _force_by_switch(h, owner)
    assert h.load("radiator").forced_by == owner and h.last(RADIATOR) == "ON"
    saved = json.loads(json.dumps(h.reg.status(NOON + 4)))
    # Restarted with the same switch: the force holds, as ever.
    kept = Harness(field_config(tmp_path, radiator=radiator_switch, extra=with_switch))
    with caplog.at_level(logging.INFO, logger="status.restore"):
        assert kept.reg.restore(saved, NOON + 60) == []
    assert kept.load("radiator").forced_by == owner
    assert "radiator: forced state restored (1000 W, until unforced)" in caplog.messages, caplog.messages
    # Restarted without it: not restored, said; and only that (the log said it restored, then that it did not).
    caplog.clear()
    again = Harness(field_config(tmp_path))
    with caplog.at_level(logging.INFO, logger="status.restore"):
        warnings = again.reg.restore(saved, NOON + 60)
    assert not [m for m in caplog.messages if "radiator: forced state restored" in m], caplog.messages
    switch = "Home Assistant's force switch" if owner == "homeassistant" else "its Domoticz force switch"
    assert f"radiator: its saved force was made with {switch}, which this configuration does not have: " \
           "not restored" in warnings, warnings
    again.reg.start(NOON + 60)
    assert not again.load("radiator").is_forced() and again.on(RADIATOR) == ["OFF"]


@pytest.mark.parametrize("owner", ["homeassistant", "domoticz"])
def test_a_force_off_by_a_switch_the_config_no_longer_has_is_not_restored_from_a_file_far_ahead(
        tmp_path: Path, owner: str, caplog: pytest.LogCaptureFixture) -> None:
    # A file dated days ahead of the clock (a Pi booted before NTP) gives its forces to 0 W alone: they were restored
    # whoever made them, so one made with a switch since taken out held the load off for good (nothing but a
    # regul/mode unforce would end it), where the normal restore drops it with a warning (above).
    with_switch = HA_ON if owner == "homeassistant" else ""
    radiator_switch = "" if owner == "homeassistant" else "domoticz_idx_force = 360\n"
    h = Harness(field_config(tmp_path, radiator=radiator_switch, extra=with_switch))
    _force_by_switch(h, owner)
    saved = json.loads(json.dumps(h.reg.status(NOON + 4)))
    next(e for e in saved["equipments"] if e["name"] == "radiator")["forced_power"] = 0.0  # (what it would give)
    saved["date"] += 3 * 86400
    # Restarted with the same switch: the force to 0 W holds, as ever.
    kept = Harness(field_config(tmp_path, radiator=radiator_switch, extra=with_switch))
    kept.reg.restore(saved, NOON + 60, set_aside=lambda why, outcome: None)
    assert kept.load("radiator").forced_by == owner and kept.load("radiator").forced_power_w == 0
    # Restarted without it: not restored, and the file's warning says why.
    again = Harness(field_config(tmp_path))
    asides: list[str] = []
    with caplog.at_level(logging.INFO, logger="status.restore"):
        again.reg.restore(saved, NOON + 60, set_aside=lambda why, outcome: asides.append(f"{why}: {outcome}"))
    assert not [m for m in caplog.messages if "radiator: forced state restored" in m], caplog.messages
    switch = "Home Assistant's force switch" if owner == "homeassistant" else "its Domoticz force switch"
    assert len(asides) == 1 and "no force or mode that keeps a load off in it, nothing restored; not restored: " \
        f"radiator's force to 0 W (made with {switch}, which this configuration does not have)" in asides[0], asides
    assert asides[0].endswith(": clean start"), asides
    again.reg.start(NOON + 60)
    assert not again.load("radiator").is_forced()


def test_a_removed_load_saved_twice_is_commanded_off_once(tmp_path: Path) -> None:
    # (a file edited by hand, or a copy of the entry: the first for a load, as for a configured one)
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    doc["equipments"].append(dict(doc["equipments"][1], name="Radiator"))
    h, warnings = started(tmp_path, doc)
    assert h.on(RADIATOR) == ["OFF"]
    assert "status has 'radiator' twice: the second entry ignored" in warnings, warnings


def test_a_restore_that_fails_still_switches_off_what_it_found_left_on_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The removed loads' offs are queued as their entries are read; a failure later in the restore ends in a clean
    # start, which must not take them back (the safe direction: a load left on with nobody regulating it), nor
    # say 'clean start' as if nothing at all came of the file.
    import status.restore

    def failing(*_: object) -> None:
        raise RuntimeError("boom")

    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    monkeypatch.setattr(status.restore, "_restore_mains_seen", failing)
    h, warnings = started(tmp_path, doc)
    assert h.sent[0] == (RADIATOR, "OFF", True) and h.on(RADIATOR) == ["OFF"]
    assert warnings == [
        "status file could not be restored (RuntimeError: boom): a clean start but for the off command of radiator, "
        "no longer configured",
        "radiator is no longer configured but was left on ('ON' on cmnd/radiator/POWER): commanded off ('OFF') at "
        "the start"], warnings
    assert h.load("ecs").energy_wh == 0.0


def test_a_file_far_ahead_still_switches_off_a_removed_load_and_says_so(tmp_path: Path) -> None:
    # A file dated days ahead of the clock is kept aside (a clean start but for what keeps a load off): a load it
    # shows left on that the config no longer has is commanded off all the same, and the outcome says so.
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    doc["date"] += 3 * 86400
    asides: list[str] = []
    h = Harness(write_config(tmp_path, ("ecs",)))
    said = h.reg.restore(doc, NOON + 60, set_aside=lambda why, outcome: asides.append(outcome))
    h.reg.start(NOON + 60)
    assert h.sent[0] == (RADIATOR, "OFF", True)
    assert asides == ["a clean start but for the off command of radiator, no longer configured"], asides
    assert len(said) == 1 and said[0].startswith("radiator is no longer configured but was left on"), said


def test_a_mode_set_from_a_control_the_config_no_longer_has_is_said_not_restored(tmp_path: Path) -> None:
    # The heater set off from Home Assistant before going away, then discovery turned off: the mode came back as the
    # default without a word, and the fallback heated from the grid at night. As a force by a switch gone: said.
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), extra=HA_ON))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle("regul/ha/water_heater_mode/set", b"off", NOON + 2)
    saved = json.loads(json.dumps(h.reg.status(NOON + 4)))
    assert saved["water_heater"]["mode"] == "off"
    again = Harness(write_config(tmp_path, ("ecs", "radiator")))
    warnings = again.reg.restore(saved, NOON + 60)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == "solar+fallback"
    assert "ecs: its saved water-heater mode off is not restored: nothing in this configuration sets the mode (no " \
           "Home Assistant discovery, no Domoticz idx_ecs_mode): solar+fallback ([domoticz] ecs_mode_default)" \
           in warnings, warnings
    # The default mode saved: nothing lost, nothing said.
    same = json.loads(json.dumps(again.reg.status(NOON + 70)))
    assert not any("mode" in w for w in Harness(write_config(tmp_path, ("ecs", "radiator"))).reg.restore(same,
                                                                                                    NOON + 80))


def test_a_default_mode_changed_in_the_config_is_no_mode_lost(tmp_path: Path) -> None:
    # The mode saved was the config's own default (mode_source "default"), nothing outside set it: an owner who
    # changed ecs_mode_default was warned that a mode of theirs was not restored.
    h = Harness(write_config(tmp_path, ("ecs", "radiator")))
    h.reg.start(NOON)
    saved = json.loads(json.dumps(h.reg.status(NOON + 4)))
    assert (saved["water_heater"]["mode"], saved["water_heater"]["mode_source"]) == ("solar+fallback", "default")
    again = Harness(write_config(tmp_path, ("ecs", "radiator"), extra="[domoticz]\necs_mode_default = solar\n"))
    warnings = again.reg.restore(saved, NOON + 60)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == "solar"
    assert not any("mode" in w for w in warnings), warnings


def test_a_default_mode_saved_gives_way_to_the_config_s_new_default_where_the_mode_can_be_set(tmp_path: Path) -> None:
    # With Home Assistant's mode select, the saved default (nobody chose it) was restored over the owner's new
    # ecs_mode_default: the change to the config never took effect. A mode chosen in HA is still restored.
    h = Harness(write_config(tmp_path, ("ecs", "radiator"), extra=HA_ON))
    h.reg.start(NOON)
    saved = json.loads(json.dumps(h.reg.status(NOON + 4)))
    assert saved["water_heater"]["mode_source"] == "default"
    changed = HA_ON + "[domoticz]\necs_mode_default = solar\n"
    again = Harness(write_config(tmp_path, ("ecs", "radiator"), extra=changed))
    again.reg.restore(saved, NOON + 60)
    assert again.reg.field.heater is not None and again.reg.field.heater.mode.value == "solar"
    chosen = {**saved, "water_heater": {**saved["water_heater"], "mode": "off", "mode_source": "homeassistant"}}
    third = Harness(write_config(tmp_path, ("ecs", "radiator"), extra=changed))
    third.reg.restore(chosen, NOON + 60)
    assert third.reg.field.heater is not None and third.reg.field.heater.mode.value == "off"


def test_a_force_by_the_water_heater_mode_on_a_load_no_longer_the_water_heater_is_not_restored(tmp_path: Path) -> None:
    # The mode forced on `ecs` (Home Assistant's select), then `[fallback] water_heater = ecs2` and a restart: only a
    # change of the water heater's mode ends such a force, and `ecs` is no longer governed by it: it stayed at full
    # power, from the grid all night, until someone unforced it.
    second = "\n[ecs2]\ntopic_set_power = regul/vload/ECS2/cmd\ncalibration = linear.csv\nmin_power = 150\n"

    def config(fallback: str) -> Path:
        path = field_config(tmp_path, extra=f"{HA_ON}{second}{fallback}")
        path.write_text(path.read_text().replace("radiator = constant", "radiator = constant\necs2 = variable"))
        return path

    h = Harness(config(""))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle("regul/ha/water_heater_mode/set", b"forced", NOON + 5)
    h.reg.tick(NOON + 6)
    assert h.load("ecs").forced_by == "mode"
    saved = json.loads(json.dumps(h.reg.status(NOON + 10)))
    kept = Harness(config(""))  # (the same water heater: the force holds, as ever)
    kept.reg.restore(saved, NOON + 60)
    assert kept.load("ecs").forced_by == "mode"
    moved = Harness(config("\n[fallback]\nwater_heater = ecs2\n"))
    warnings = moved.reg.restore(saved, NOON + 60)
    assert ("ecs: its saved force was made by the water-heater mode, and it is no longer the water heater: not "
            "restored") in warnings, warnings
    moved.reg.start(NOON + 60)
    moved.reg.tick(NOON + 61)
    assert not moved.load("ecs").is_forced() and moved.on(ECS_CMD) == ["0"]


def test_a_load_whose_command_moved_is_sent_its_old_off_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # The radiator kept its name, its relay moved to another device (a Shelly for the Tasmota): after a kill with it
    # on, the start commanded the new topic only, and the old relay stayed on (its ON retained, taken again at each of
    # its reboots), switched by nobody.
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace(f"topic_set_power = {RADIATOR}",
                                                 "topic_set_power = shellies/radiator/relay/0/command"))
    h = Harness(config)
    warnings = h.reg.restore(doc, NOON + 60)
    h.reg.start(NOON + 60)
    assert h.sent[0] == (RADIATOR, "OFF", True) and h.on(RADIATOR) == ["OFF"]  # the old one, first, retained as saved
    assert h.on("shellies/radiator/relay/0/command") == ["ON"]  # (its own start command: its force, restored)
    assert "radiator (its old device, maybe left on): commanded off, 'OFF' on cmnd/radiator/POWER" in caplog.text
    assert warnings == ["radiator: its off command was 'OFF' on cmnd/radiator/POWER, now 'OFF' on "
                        "shellies/radiator/relay/0/command: the old one commanded at the start too (the device it "
                        "switched may have been left on)"]
    # Left pending by a daemon whose broker never acknowledged it (a removed load's are so), the next start sends it
    # again, said of the old device.
    saved = json.loads(json.dumps(h.reg.status(NOON + 61)))
    saved["pending_offs"] = [{"name": "radiator", "off_command": doc["equipments"][1]["off_command"], "starts": 1,
                              "since": NOON + 60}]
    again = Harness(config)
    warnings = again.reg.restore(saved, NOON + 120)
    again.reg.start(NOON + 120)
    assert again.on(RADIATOR) == ["OFF"]
    assert any(w.startswith("radiator (its old device): its off ('OFF' on cmnd/radiator/POWER) was not acknowledged")
               for w in warnings), warnings


def test_a_load_with_the_same_off_is_not_sent_another(tmp_path: Path) -> None:
    # Its command unchanged: its own start command switches its device, nothing more.
    h, warnings = started(tmp_path, saved_with(tmp_path, None), loads=("ecs", "radiator"))
    assert h.on(RADIATOR) == ["OFF"] and warnings == []


def test_an_old_off_that_is_a_configured_on_now_is_not_sent(tmp_path: Path) -> None:
    # A normally-closed relay: its json_on and json_off swapped since. Its old off ("OFF") is its on now: sent, it
    # switched the radiator on at every such start, retained.
    doc = saved_with(tmp_path, None)
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace("json_on = ON\njson_off = OFF", "json_on = OFF\njson_off = ON"))
    h = Harness(config)
    assert h.reg.restore(doc, NOON + 60) == []
    h.reg.start(NOON + 60)
    assert h.on(RADIATOR) == ["ON"]  # (its own off, once)


@pytest.mark.parametrize(("json_on", "json_off", "sent"), [("on", "off", ["off"]), ("off", "on", ["on"])],
                         ids=["the same in lower case", "normally closed, in lower case"])
def test_an_old_off_in_another_case_is_the_same_order(tmp_path: Path, json_on: str, json_off: str,
                                                      sent: list[str]) -> None:
    # Tasmota takes `on` as `ON`: the config's payloads rewritten in lower case are the same orders. The old `OFF` was
    # sent again beside the new `off`, said as an old device left on; after a normally-closed relay's swap (`json_on =
    # off`), it switched the radiator on at the start, retained.
    doc = saved_with(tmp_path, None)
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace("json_on = ON\njson_off = OFF",
                                                 f"json_on = {json_on}\njson_off = {json_off}"))
    h = Harness(config)
    assert h.reg.restore(doc, NOON + 60) == []
    h.reg.start(NOON + 60)
    assert h.on(RADIATOR) == sent  # (its own off, once)


def test_an_old_json_off_with_other_spacing_is_the_same_order(tmp_path: Path) -> None:
    # Domoticz's JSON orders: the same keys and values, spaced or ordered otherwise, are the same order.
    doc = saved_with(tmp_path, None)
    doc["equipments"][1]["off_command"] = {"topic": RADIATOR, "payload": '{"idx":7,"switchcmd":"Off"}', "retain": False}
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace("json_on = ON\njson_off = OFF", 'json_on = {"idx": 7, "switchcmd": '
                                                 '"On"}\njson_off = {"switchcmd": "Off", "idx": 7}'))
    h = Harness(config)
    assert h.reg.restore(doc, NOON + 60) == []
    h.reg.start(NOON + 60)
    assert h.on(RADIATOR) == ['{"switchcmd": "Off", "idx": 7}']


def test_a_clean_start_names_a_moved_load_s_old_device(tmp_path: Path) -> None:
    # A file dated far ahead: a clean start but for the offs, said of the old device, not "no longer configured".
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace(f"topic_set_power = {RADIATOR}",
                                                 "topic_set_power = shellies/radiator/relay/0/command"))
    warnings = Harness(config).reg.restore(doc, NOON - 30 * 86400)
    assert warnings[0].endswith("a clean start but for the off command of radiator's old device"), warnings[0]
