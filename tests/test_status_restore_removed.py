"""What a restart's config no longer has, and the loads it left on. A load taken out of the config while PySEB had it
on: a stop commands every load off, but after a power cut or a kill the device is still on (a relay's retained ON on
the broker too), and the restart, not knowing the load, left it on with nobody regulating it. The status file says how
to switch it off; the start does, once. A force made with a switch the config no longer has is not restored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.configs import write_config
from tests.field_house import field_config
from tests.harness import MODE, NOON, Harness

RADIATOR, ECS_CMD = "cmnd/radiator/POWER", "regul/vload/ECS/cmd"


def saved_with(tmp_path: Path, command: bytes | None) -> dict[str, Any]:
    """The status file of a run with the heater and the radiator, after `command` on regul/mode, as saved (JSON)."""
    first = Harness(write_config(tmp_path, ("ecs", "radiator")))
    first.meters(300, 0, NOON)
    if command is not None:
        first.reg.handle(MODE, command, NOON + 1)
    return json.loads(json.dumps(first.reg.status(NOON + 2)))


def started(tmp_path: Path, doc: dict[str, Any], loads: tuple[str, ...] = ("ecs",),
            renamed: bool = False) -> tuple[Harness, list[str]]:
    config = write_config(tmp_path, loads)
    if renamed:  # the radiator's device under another name
        config.write_text(config.read_text().replace("radiator", "heater").replace("cmnd/heater/", "cmnd/radiator/"))
    h = Harness(config)
    warnings = h.reg.restore(doc, NOON + 60)
    h.reg.start(NOON + 60)
    return h, warnings


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
def test_a_force_by_a_switch_the_config_no_longer_has_is_not_restored(tmp_path: Path, owner: str) -> None:
    with_switch = HA_ON if owner == "homeassistant" else ""
    radiator_switch = "" if owner == "homeassistant" else "domoticz_idx_force = 360\n"
    h = Harness(field_config(tmp_path, radiator=radiator_switch, extra=with_switch))
    _force_by_switch(h, owner)
    assert h.load("radiator").forced_by == owner and h.last(RADIATOR) == "ON"
    saved = json.loads(json.dumps(h.reg.status(NOON + 4)))
    # Restarted with the same switch: the force holds, as ever.
    kept = Harness(field_config(tmp_path, radiator=radiator_switch, extra=with_switch))
    assert kept.reg.restore(saved, NOON + 60) == []
    assert kept.load("radiator").forced_by == owner
    # Restarted without it: not restored, said.
    again = Harness(field_config(tmp_path))
    warnings = again.reg.restore(saved, NOON + 60)
    switch = "Home Assistant's force switch" if owner == "homeassistant" else "its Domoticz force switch"
    assert f"radiator: its saved force was made with {switch}, which this configuration does not have: " \
           "not restored" in warnings, warnings
    again.reg.start(NOON + 60)
    assert not again.load("radiator").is_forced() and again.on(RADIATOR) == ["OFF"]


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


# A removed load's off the broker had not acknowledged when PySEB stopped (a kill, a power cut while the broker was
# down): the status file saved since no longer has the load, only its off in `pending_offs` (status.document).
PUMP = "cmnd/pump/POWER"


def test_the_pending_offs_of_a_file_are_sent_at_the_start_and_a_malformed_one_dropped_with_a_warning(
        tmp_path: Path) -> None:
    doc = saved_with(tmp_path, None)
    doc["equipments"] = doc["equipments"][:1]  # (the heater only: the radiator was already gone from that run's config)
    doc["pending_offs"] = [
        {"name": "radiator", "off_command": {"topic": RADIATOR, "payload": "OFF", "retain": True}},
        {"name": "lamp", "off_command": {"topic": "cmnd/#", "payload": "OFF", "retain": False}},  # a wildcard
        {"name": "fan", "off_command": {"topic": "cmnd/fan/POWER", "payload": 0, "retain": False}},
        {"off_command": {"topic": "cmnd/nameless/POWER", "payload": "OFF", "retain": False}},
        "OFF",
        {"name": "pump", "off_command": {"topic": PUMP, "payload": "0", "retain": False}},
    ]
    h, warnings = started(tmp_path, doc)
    assert h.sent[:2] == [(RADIATOR, "OFF", True), (PUMP, "0", False)]  # before the loads' own commands
    assert [t for t, _, _ in h.sent[2:] if t not in (ECS_CMD, "regul/status")] == []
    assert "radiator (no longer configured): its off ('OFF' on cmnd/radiator/POWER) was not acknowledged by the " \
           "broker before PySEB stopped: commanded off at the start" in warnings, warnings
    dropped = [w for w in warnings if w.startswith("status file's pending off ")]
    assert len(dropped) == 4 and all("is not usable: dropped; if its load was left on, switch it off yourself" in w
                                     for w in dropped), warnings
    assert any("'lamp'" in w for w in dropped) and any("'fan'" in w for w in dropped), dropped


def test_pending_offs_that_are_no_list_or_a_configured_loads_own_off_command_nothing(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, None)
    doc["equipments"] = doc["equipments"][:1]
    doc["pending_offs"] = {"name": "radiator"}
    h, warnings = started(tmp_path, doc)
    assert h.on(RADIATOR) == []
    assert "status file's pending_offs {'name': 'radiator'} is not a list: ignored" in warnings, warnings
    # The radiator configured again: its own start command switches it, once.
    doc["pending_offs"] = [{"name": "radiator", "off_command": {"topic": RADIATOR, "payload": "OFF", "retain": True}}]
    h, warnings = started(tmp_path, doc, loads=("ecs", "radiator"))
    assert h.on(RADIATOR) == ["OFF"]
    assert not any("acknowledged" in w for w in warnings), warnings


def test_the_status_lists_an_off_still_to_be_sent_and_not_once_the_start_sent_it(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60)
    pending = [{"name": "radiator", "off_command": {"topic": RADIATOR, "payload": "OFF", "retain": True},
                "starts": 1, "since": NOON + 60}]  # (the starts that sent it, since when: given up after enough)
    assert h.reg.status(NOON + 60)["pending_offs"] == pending
    h.reg.start(NOON + 60)  # (published by the regulator itself, no acknowledgement known: as before, not kept)
    assert "pending_offs" not in h.reg.status(NOON + 61)


def test_a_file_far_ahead_still_sends_its_pending_offs(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, None)
    doc["equipments"] = doc["equipments"][:1]
    doc["pending_offs"] = [{"name": "radiator", "off_command": {"topic": RADIATOR, "payload": "OFF", "retain": True}}]
    doc["date"] += 3 * 86400
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60, set_aside=lambda why, outcome: None)
    h.reg.start(NOON + 60)
    assert h.sent[0] == (RADIATOR, "OFF", True)


def test_a_file_far_ahead_says_each_off_it_drops(tmp_path: Path) -> None:
    # Kept aside, a file dated far ahead still gives the offs it holds; one that is not usable, in pending_offs or in
    # a removed load's entry, was dropped without a word (the normal restore says it): the device maybe left on.
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    doc["equipments"][1]["off_command"] = {"topic": "cmnd/#", "payload": "OFF", "retain": True}
    doc["pending_offs"] = [{"name": "lamp", "off_command": {"topic": "cmnd/lamp/POWER", "payload": 0, "retain": False}}]
    doc["date"] += 3 * 86400
    h = Harness(write_config(tmp_path, ("ecs",)))
    said = h.reg.restore(doc, NOON + 60, set_aside=lambda why, outcome: None)
    h.reg.start(NOON + 60)
    assert h.on(RADIATOR) == [] and h.on("cmnd/lamp/POWER") == []
    assert any("'radiator'" in line and "is not usable: if it was left on, switch it off yourself" in line
               for line in said), said
    assert any("'lamp'" in line and "is not usable: dropped; if its load was left on, switch it off yourself" in line
               for line in said), said


def test_a_file_far_ahead_says_pending_offs_it_cannot_read(tmp_path: Path) -> None:
    # (pending_offs not a list: every off in it dropped, said by the normal restore; kept aside, without a word)
    doc = saved_with(tmp_path, None)
    doc["pending_offs"] = {"name": "lamp", "off_command": {"topic": "cmnd/lamp/POWER", "payload": "OFF"}}
    doc["date"] += 3 * 86400
    h = Harness(write_config(tmp_path, ("ecs",)))
    said = h.reg.restore(doc, NOON + 60, set_aside=lambda why, outcome: None)
    assert any("status file's pending_offs" in line and "is not a list: ignored" in line for line in said), said


def test_a_restore_that_fails_still_says_the_offs_it_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a clean start but for the offs found: one dropped was said only among the warnings the failure threw away)
    import status.restore

    def failing(*_: object) -> None:
        raise RuntimeError("boom")

    doc = saved_with(tmp_path, None)
    doc["pending_offs"] = [{"name": "lamp", "off_command": {"topic": "cmnd/lamp/POWER", "payload": 0, "retain": False}}]
    monkeypatch.setattr(status.restore, "_restore_mains_seen", failing)
    _, warnings = started(tmp_path, doc)
    assert warnings[0].startswith("status file could not be restored (RuntimeError: boom): "), warnings
    assert any("'lamp'" in w and "is not usable: dropped; if its load was left on, switch it off yourself" in w
               for w in warnings[1:]), warnings


def pending_radiator(**tried: Any) -> list[dict[str, Any]]:
    return [{"name": "radiator", "off_command": {"topic": RADIATOR, "payload": "OFF", "retain": True}, **tried}]


def test_a_pending_off_is_counted_at_each_start_and_given_up_after_enough_starts_and_days(tmp_path: Path) -> None:
    # An off the broker never acknowledges (its ACL refuses the topic, a broker that drops the link at it) stayed in
    # pending_offs and was sent again at every start, for ever.
    from status.restore_load import PENDING_OFF_MAX_AGE_S, PENDING_OFF_MAX_STARTS

    doc = saved_with(tmp_path, None)
    doc["equipments"] = doc["equipments"][:1]
    # First left pending by the start that found the radiator removed: its count begins there.
    doc_fresh = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc_fresh, NOON + 60)
    assert h.reg.status(NOON + 70)["pending_offs"] == pending_radiator(starts=1, since=NOON + 60)
    # Each start that sends it again counts, from when it was first sent.
    doc["pending_offs"] = pending_radiator(starts=2, since=NOON - 86400)
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60)
    assert h.reg.status(NOON + 70)["pending_offs"] == pending_radiator(starts=3, since=NOON - 86400)
    # Many starts within a few days (a broker down for a while, a daemon restarted often): still sent.
    doc["pending_offs"] = pending_radiator(starts=PENDING_OFF_MAX_STARTS + 10, since=NOON - 86400)
    h, warnings = started(tmp_path, doc)
    assert h.on(RADIATOR) == ["OFF"]
    # Long ago, at few starts (PySEB stopped for weeks): still sent.
    doc["pending_offs"] = pending_radiator(starts=1, since=NOON - 30 * 86400)
    h, warnings = started(tmp_path, doc)
    assert h.on(RADIATOR) == ["OFF"]
    # Both: given up, said with the load and the topic, no longer kept.
    since = NOON + 60 - PENDING_OFF_MAX_AGE_S
    doc["pending_offs"] = pending_radiator(starts=PENDING_OFF_MAX_STARTS, since=since)
    h, warnings = started(tmp_path, doc)
    assert h.on(RADIATOR) == []
    assert "pending_offs" not in h.reg.status(NOON + 61)
    assert any(w.startswith(f"radiator (no longer configured): its off ('OFF' on {RADIATOR}) was sent at "
                            f"{PENDING_OFF_MAX_STARTS} starts since ") and "never acknowledged" in w
               and "given up" in w and "switch it off yourself" in w for w in warnings), warnings


def test_a_pending_off_with_a_bad_count_or_date_is_sent_and_counted_afresh(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, None)
    doc["equipments"] = doc["equipments"][:1]
    doc["pending_offs"] = pending_radiator(starts="many", since=-5)  # (a file of before the count: neither)
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60)
    assert h.reg.status(NOON + 70)["pending_offs"] == pending_radiator(starts=2, since=NOON + 60)


def test_a_pending_off_dated_after_its_file_counts_its_days_from_this_start(tmp_path: Path) -> None:
    # A first start on a clock far ahead (a wrong clock chip), set right since: its `since` lay in the future, and
    # the off was never given up however long the broker refused it (or, a clock behind, too early).
    from status.restore_load import PENDING_OFF_MAX_STARTS

    doc = saved_with(tmp_path, None)  # (dated NOON + 2)
    doc["equipments"] = doc["equipments"][:1]
    for since in (NOON + 30, NOON + 400 * 86400):  # after the file's date; after the restore's clock too
        doc["pending_offs"] = pending_radiator(starts=PENDING_OFF_MAX_STARTS, since=since)
        h = Harness(write_config(tmp_path, ("ecs",)))
        h.reg.restore(doc, NOON + 60)
        assert h.reg.status(NOON + 70)["pending_offs"] == pending_radiator(starts=PENDING_OFF_MAX_STARTS + 1,
                                                                           since=NOON + 60)


def test_a_clock_jump_forward_moves_the_since_of_an_off_first_sent_by_this_start(tmp_path: Path) -> None:
    # A Pi booted days behind (no clock chip, fake-hwclock), PySEB started, then NTP set the clock: the first start's
    # `since` was the clock's before the jump, and the next start found the 7 days past at once.
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    doc["pending_offs"] = [{"name": "lamp", "off_command": {"topic": "cmnd/lamp/POWER", "payload": "0",
                                                           "retain": False}, "starts": 2, "since": NOON - 86400}]
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60)
    offs = h.reg.take_switch_offs_at_start(lambda: offs)  # (as the daemon: both not acknowledged yet)
    h.reg.start(NOON + 60)
    step_s = 10 * 86400.0
    h.reg.clock_stepped_forward(step_s)
    assert h.reg.removed_off_starts("radiator") == (1, NOON + 60 + step_s)  # (the start's time on the set clock)
    assert h.reg.removed_off_starts("lamp") == (3, NOON - 86400)  # (a former start's: its clock is not this one's)


def test_an_acknowledged_off_s_count_is_not_kept(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60)
    pending = h.reg.take_switch_offs_at_start(lambda: pending)
    h.reg.start(NOON + 60)
    assert h.reg.status(NOON + 61)["pending_offs"] == pending_radiator(starts=1, since=NOON + 60)
    pending = []  # the broker acknowledged it
    assert "pending_offs" not in h.reg.status(NOON + 62)
    assert h.reg.removed_off_starts("radiator") is None
