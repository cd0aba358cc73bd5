"""A removed load's off the broker had not acknowledged when PySEB stopped (a kill, a power cut while the broker was
down): the status file saved since no longer has the load, only its off in `pending_offs` (status.document). The
start sends it; one not usable is dropped and said; one never acknowledged is counted at each start and given up
after enough starts and days."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.configs import write_config
from tests.harness import NOON, Harness
from tests.removed_load_status import ECS_CMD, RADIATOR, saved_with, started

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
    from status.restore_offs import PENDING_OFF_MAX_AGE_S, PENDING_OFF_MAX_STARTS

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
    from status.restore_offs import PENDING_OFF_MAX_STARTS

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
    # (the start's time on the set clock; a former start's: its clock is not this one's)
    assert h.reg.removed_off_starts("radiator", RADIATOR) == (1, NOON + 60 + step_s)
    assert h.reg.removed_off_starts("lamp", "cmnd/lamp/POWER") == (3, NOON - 86400)


def test_an_acknowledged_off_s_count_is_not_kept(tmp_path: Path) -> None:
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    h = Harness(write_config(tmp_path, ("ecs",)))
    h.reg.restore(doc, NOON + 60)
    pending = h.reg.take_switch_offs_at_start(lambda: pending)
    h.reg.start(NOON + 60)
    assert h.reg.status(NOON + 61)["pending_offs"] == pending_radiator(starts=1, since=NOON + 60)
    pending = []  # the broker acknowledged it
    assert "pending_offs" not in h.reg.status(NOON + 62)
    assert h.reg.removed_off_starts("radiator", RADIATOR) is None


def test_a_load_moved_twice_sends_both_old_devices_off(tmp_path: Path) -> None:
    # The radiator moved from cmnd/old/POWER to cmnd/radiator/POWER (its old device's off left pending: the broker
    # down), then on to cmnd/new/POWER while on: the restore queued the off of cmnd/radiator/POWER, and dropped the
    # pending one of cmnd/old/POWER as the same name's, that device left on for good, without a word.
    doc = saved_with(tmp_path, b'{"command":"force","name":"radiator","power":1000}')
    doc["pending_offs"] = [{"name": "radiator", "off_command": {"topic": "cmnd/old/POWER", "payload": "OFF",
                                                                "retain": True}, "starts": 2, "since": NOON - 3600}]
    config = write_config(tmp_path, ("ecs", "radiator"))
    config.write_text(config.read_text().replace(RADIATOR, "cmnd/new/POWER"))
    h = Harness(config)
    warnings = h.reg.restore(doc, NOON + 60)
    offs = h.reg.take_switch_offs_at_start(lambda: offs)  # (as the daemon: sent, not acknowledged yet)
    h.reg.start(NOON + 60)
    assert sorted((off.topic, off.payload) for _, off in offs) == [("cmnd/old/POWER", "OFF"), (RADIATOR, "OFF")]
    assert any("its off ('OFF' on cmnd/old/POWER) was not acknowledged" in w for w in warnings), warnings
    # Both kept, each with its own count, until the broker acknowledges them.
    pending = {entry["off_command"]["topic"]: (entry["starts"], entry["since"])
               for entry in h.reg.status(NOON + 61)["pending_offs"]}
    assert pending == {"cmnd/old/POWER": (3, NOON - 3600), RADIATOR: (1, NOON + 60)}, pending
    # Without the daemon, the start sends them itself.
    h = Harness(config)
    h.reg.restore(doc, NOON + 60)
    h.reg.start(NOON + 60)
    assert ("cmnd/old/POWER", "OFF", True) in h.sent and (RADIATOR, "OFF", True) in h.sent, h.sent
