"""What a Domoticz force switch is, asked at each connect (getdeviceinfo), wired into the regulator: the answer is
what the switch shows, not a user's order; a selector is set by level; a switch never answered for, or that is no
switch, is named once."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.field_domoticz import DZ_IN, DZ_OUT, ECS_SWITCH, RADIATOR_SWITCH, asked, selector, switch, switchlights
from tests.field_house import RADIATOR, field_config
from tests.harness import MODE, NOON, Harness


def domoticz_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name.startswith(("integrations.domoticz", "field.domoticz"))]


@pytest.fixture
def asking(tmp_path: Path) -> Harness:
    """Two force switches on a Domoticz at its default (Prevent Loop): connected, Domoticz not answered yet."""
    h = Harness(field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                             radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    return h


def test_connect_asks_domoticz_what_each_force_switch_is_before_showing_anything(asking: Harness) -> None:
    assert [json.loads(p) for p in asking.on(DZ_IN)] == [asked(ECS_SWITCH), asked(RADIATOR_SWITCH)]


def test_the_answer_is_what_the_switch_shows_not_a_users_order(asking: Harness,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    # The radiator's switch still On from before a restart (a user's On, then PySEB stopped): Domoticz's answer
    # looks exactly like a user's On, and must not force the radiator; the switch is set to what PySEB does.
    caplog.set_level(logging.INFO)
    h, mark = asking, len(asking.sent)
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)
    assert not h.load("radiator").is_forced() and "by its Domoticz switch" not in caplog.text
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Off"}]
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)  # then a user's On: obeyed
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"
    h.reg.tick(NOON + 100)
    assert "has not answered" not in caplog.text


def test_a_selector_force_switch_is_set_by_level_from_the_start(tmp_path: Path) -> None:
    # PySEB did not know a force switch was a selector until a user's update of it: it showed Off at connect, then
    # "On" for a regul/mode force, which Domoticz takes to the selector's last level, level 0 if never set above.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    mark = len(h.sent)
    h.reg.on_connected(NOON)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 0.05)  # before the answer
    h.reg.handle(DZ_OUT, selector(0, idx=RADIATOR_SWITCH), NOON + 0.1)  # the answer: a selector at level 0
    assert h.load("radiator").forced_by == "user"  # (the answer's level 0 unforced nothing)
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Set Level",
                                      "level": 10}]


def test_an_answer_on_at_level_0_while_forced_sets_the_selector_at_a_level_once(tmp_path: Path) -> None:
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 0.05)
    mark = len(h.sent)
    answer = json.loads(selector(0, idx=RADIATOR_SWITCH))
    answer.update(nvalue=1)  # (an On that found no level to go to)
    h.reg.handle(DZ_OUT, json.dumps(answer).encode(), NOON + 0.1)
    assert h.load("radiator").forced_by == "user"
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Set Level",
                                      "level": 10}]


def test_a_force_switch_domoticz_never_answers_for_is_named_once(asking: Harness,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    # A domoticz_idx_force that is no device in Domoticz: only Domoticz's log said so ("unknown idx received").
    h = asking
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)  # only the heater's switch answers
    h.reg.tick(NOON + 59)
    mark = len(h.sent)
    assert not domoticz_warnings(caplog)
    h.reg.tick(NOON + 61)
    h.reg.tick(NOON + 200)
    assert domoticz_warnings(caplog) == [
        "[radiator] domoticz_idx_force = 360: Domoticz has not answered for this force switch in 60 s: no device "
        "with this idx (or one not in use), or Domoticz does not read domoticz/in; radiator's forced state is "
        "shown on it as on an On/Off switch"]
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Off"}]
    # The switch's first update since the connect, however late, is what it is (an On left from before the restart,
    # from a Domoticz slow at boot), not a user's order; the next one is.
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 300)
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 400)
    assert h.load("radiator").forced_by == "domoticz"


def test_a_force_switch_that_is_no_switch_is_named_and_never_switched(asking: Harness,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    # The idx of a blind (or a sensor): PySEB's force of the radiator was "shown" on it, opening the blind.
    h = asking
    blind = {"idx": RADIATOR_SWITCH, "name": "Volet_salon", "nvalue": 1, "dtype": "Light/Switch", "stype": "Switch",
             "switchType": "Blinds", "svalue1": "0"}
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, json.dumps(blind).encode(), NOON + 0.1)
    assert domoticz_warnings(caplog) == [
        "[radiator] domoticz_idx_force = 360: Domoticz's device idx 360 ('Volet_salon') is no switch PySEB can use: "
        "switchType 'Blinds' is not an On/Off switch or a selector; it forces nothing, and radiator's forced state "
        "is not shown on it"]
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 1)
    h.reg.tick(NOON + 100)
    assert h.load("radiator").is_forced() and switchlights(h, mark) == []
    assert len(domoticz_warnings(caplog)) == 1


def test_a_reconnect_asks_again_and_a_forced_load_is_shown(asking: Harness) -> None:
    h = asking
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)
    h.reg.on_disconnected(NOON + 5)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 10)  # while the link is down
    mark = len(h.sent)
    h.reg.on_connected(NOON + 20)
    assert [json.loads(p) for t, p, _ in h.sent[mark:] if t == DZ_IN] == [asked(ECS_SWITCH), asked(RADIATOR_SWITCH)]
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 20.1)  # the switch says Off: the load stays forced
    assert h.load("ecs").forced_by == "user"
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": ECS_SWITCH, "switchcmd": "On"}]


def test_an_off_on_the_switch_that_forced_its_load_is_taken_from_the_answer(asking: Harness,
                                                                             caplog: pytest.LogCaptureFixture) -> None:
    # The radiator forced by its switch, then switched Off by its owner while PySEB was away (stopped, or the broker
    # down): the answer shows Off. It was shown On again, the radiator kept forced from the grid; the owner's Off is
    # now taken (the safe direction; an On in an answer still forces nothing, above).
    caplog.set_level(logging.INFO)
    h = asking
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)  # the owner's On: forced by the switch
    assert h.load("radiator").forced_by == "domoticz"
    h.reg.on_disconnected(NOON + 40)
    h.reg.on_connected(NOON + 600)
    mark, statuses = len(h.sent), len(h.statuses())
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 600.1)  # switched Off meanwhile
    assert not h.load("radiator").is_forced() and switchlights(h, mark) == []
    # (news: at once, but for the connect's own status a moment before: MIN_SPACING_S after it, by the timers)
    h.reg.tick(NOON + 601.0)
    shown = h.statuses()[statuses:]
    assert shown and shown[0]["date"] == NOON + 601
    assert not next(load for load in shown[0]["equipments"] if load["name"] == "radiator")["forced"]
    assert "radiator unforced: its Domoticz switch idx" in caplog.text
