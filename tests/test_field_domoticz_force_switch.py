"""The Domoticz link's per-load force switch wired into the regulator, in-process: with a Domoticz that echoes
every update (no loop, the forced state right) and with one that echoes none (its default, Prevent Loop)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from field.domoticz import MAX_COPY_TOPICS
from tests.field_domoticz import (
    DZ_IN,
    DZ_OUT,
    ECHOED,
    ECS_SWITCH,
    RADIATOR_SWITCH,
    EchoingDomoticz,
    asked,
    selector,
    switch,
    switchlights,
    user_on_then_unforced,
)
from tests.field_house import ECS_CMD, RADIATOR, field_config, ticks
from tests.harness import MODE, NOON, Harness


@pytest.fixture(params=[ECHOED, ""], ids=["prevent_loop_false", "default"])
def switched(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Harness, EchoingDomoticz]:
    """A Domoticz that echoes (PROTOCOL.md's), told so or left at the default (prevent_loop = true, which expects
    no echo): a seed user's echoing Domoticz left at the default must work the same, each echo showing a state
    the load is already in."""
    path = field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                        radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=request.param)
    h = Harness(path)
    dz = EchoingDomoticz(h)
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)  # asks what every switch is and shows
    assert [json.loads(p) for p in h.on(DZ_IN)] == [asked(ECS_SWITCH), asked(RADIATOR_SWITCH)]
    dz.deliver(NOON + 0.2)
    assert dz.switch_messages() == []  # both answered Off: they show the loads' state already
    return h, dz


def test_a_regulator_force_shows_once_and_its_echo_changes_nothing(switched: tuple[Harness, EchoingDomoticz]) -> None:
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 1)
    assert dz.switch_messages(mark) == [{"command": "switchlight", "idx": ECS_SWITCH, "switchcmd": "On"}]
    dz.deliver(NOON + 1.3)
    ticks(h, NOON + 2, NOON + 5, step_s=0.5)
    dz.deliver(NOON + 5)
    assert h.load("ecs").forced_power_w == 1000 and len(dz.switch_messages(mark)) == 1


def test_force_then_unforce_at_once(switched: tuple[Harness, EchoingDomoticz]) -> None:
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 1)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "ecs"}', NOON + 1.5)
    dz.deliver(NOON + 1.8)  # both echoes come back after the unforce
    assert not h.load("ecs").is_forced() and len(dz.switch_messages(mark)) == 2


def test_an_echo_published_on_two_topics_is_one_echo(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Domoticz's publish topic "Flat + Floor/Room" sends each update on domoticz/out and domoticz/out/<floor>/<room>:
    # the second copy of the On's echo was taken for a user's On while the Off's echo was awaited, and the radiator
    # was forced "by its Domoticz switch" and switched on again, for a moment, after its unforce.
    caplog.set_level(logging.INFO)
    path = field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=ECHOED)
    h = Harness(path)
    dz = EchoingDomoticz(h, copies_on=("domoticz/out/Home/Bathroom",))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    dz.deliver(NOON + 0.2)
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 1)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 1.5)
    dz.deliver(NOON + 1.8)
    assert [p for t, p, _ in h.sent[mark:] if t == RADIATOR] == ["ON", "OFF"]
    assert not h.load("radiator").is_forced() and "by its Domoticz switch" not in caplog.text
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)  # a user's On, in two copies too: obeyed
    h.reg.handle("domoticz/out/Home/Bathroom", switch(RADIATOR_SWITCH, True), NOON + 30)
    assert h.load("radiator").forced_by == "domoticz"


@pytest.mark.parametrize("junk", [b"", b"offline", b'{"idx": "x"}', b"\xff", switch(999, False)])
def test_junk_between_two_copies_of_an_update_does_not_make_the_second_an_order(tmp_path: Path,
                                                                                junk: bytes) -> None:
    # Found by the fuzz: the answer's first copy was remembered, junk on domoticz/out (another client's) replaced it,
    # and the answer's second copy on the publish scheme's other topic was taken for a user's On: the radiator forced
    # from the grid by a switch nobody touched. Another device's update between the copies did the same.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)  # the answer: an On left from before
    h.reg.handle(DZ_OUT, junk, NOON + 0.2)
    h.reg.handle("domoticz/out/Home/Bathroom", switch(RADIATOR_SWITCH, True), NOON + 0.3)  # its second copy
    assert not h.load("radiator").is_forced()


def test_the_same_user_on_again_after_an_unforce_elsewhere_is_obeyed(tmp_path: Path) -> None:
    # A Domoticz under its default "Prevent Loop" echoes nothing, and one without "LastUpdate" in its updates
    # (before 2020) sends the very same bytes for each On: the second On, after an unforce from regul/mode, is a
    # user's order, not a copy of the first on another topic of the publish scheme.
    h = user_on_then_unforced(tmp_path)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 60)
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_the_same_user_on_again_within_seconds_of_an_unforce_elsewhere_is_obeyed(tmp_path: Path) -> None:
    # The same, quicker: the user's On, an unforce from regul/mode half a second later (PySEB shows Off on the
    # switch, never echoed under Prevent Loop), the user's On again a second after: in the same bytes within 2 s of
    # the first, it was dropped as a copy of it, the switch On and the load not forced.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)  # Domoticz's answer
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)
    h.reg.handle(MODE, b'{"command": "unforce", "name": "radiator"}', NOON + 30.5)
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 31.5)
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_a_user_switch_forces_and_unforces_and_nothing_is_sent_back(
        switched: tuple[Harness, EchoingDomoticz], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 30)
    assert h.last(RADIATOR) == "ON" and h.load("radiator").forced_by == "domoticz"
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 40)
    assert h.last(RADIATOR) == "OFF" and not h.load("radiator").is_forced()
    assert dz.switch_messages(mark) == []
    # One line for each change made in Domoticz (a second, "force switch idx 360: radiator forced from Domoticz",
    # said the same thing), besides the load's own line of its watts.
    said = [r.getMessage() for r in caplog.records
            if r.levelno >= logging.INFO and "idx 360" in r.getMessage() and "->" not in r.getMessage()]
    assert said == ["radiator forced to 1000 W by its Domoticz switch idx 360 (until switched off)",
                    "radiator unforced by its Domoticz switch idx 360"]


def test_expiry_and_fallback_forces_show_on_the_switch(switched: tuple[Harness, EchoingDomoticz]) -> None:
    h, dz = switched
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 5}', NOON + 1)
    dz.deliver(NOON + 1.2)
    ticks(h, NOON + 2, NOON + 7, step_s=0.5)
    dz.deliver(NOON + 7.2)
    assert [m["switchcmd"] for m in dz.switch_messages(mark)] == ["On", "Off"]
    assert not h.load("radiator").is_forced()


# --- a Domoticz with its default "Prevent Loop: Yes": PySEB's own updates are not echoed ------------------------

@pytest.fixture
def unechoed(tmp_path: Path) -> Harness:
    """Force switches on a Domoticz as installed (its MQTT hardware's "Prevent Loop" at Yes, the default, and the
    value every older install was migrated to): a switchlight from domoticz/in comes back on domoticz/out never."""
    h = Harness(field_config(tmp_path, ecs=f"domoticz_idx_force = {ECS_SWITCH}\n",
                             radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 0.1)  # Domoticz's answers (even under Prevent Loop)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)
    return h


def test_a_users_off_unforces_what_the_regulator_forced_without_echoes(unechoed: Harness) -> None:
    # The switch was shown On for a regul/mode force (not echoed). The user then switches it Off in Domoticz: that Off
    # was taken for the echo of an Off shown at connect, and the heater stayed forced.
    h = unechoed
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000}', NOON + 1)
    assert h.load("ecs").is_forced()
    h.reg.handle(DZ_OUT, switch(ECS_SWITCH, False), NOON + 60)
    assert not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"


def test_a_users_on_forces_after_a_regulator_force_came_and_went_without_echoes(unechoed: Harness) -> None:
    h = unechoed
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 10)  # the user's On, then Off: both obeyed
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 20)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 5}', NOON + 30)
    ticks(h, NOON + 31, NOON + 40, step_s=1)  # expired: On then Off shown on the switch, not echoed
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 60)  # the user's On, taken for an echo
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_a_selector_force_switch_shown_on_at_level_0_is_moved_to_a_level(tmp_path: Path) -> None:
    # A selector force switch never set above level 0, before PySEB has seen an update of it (Domoticz's answer at
    # connect lost): the "On" PySEB shows for a regul/mode force lands at level 0 (Domoticz takes an On to its
    # LastLevel), and its echo unforced the load.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=ECHOED))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.tick(NOON + 61)  # no answer: shown Off, as an On/Off switch
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 61.1)  # (that Off, echoed)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 62)
    mark = len(h.sent)
    echo = json.loads(selector(0))
    echo.update(idx=RADIATOR_SWITCH, nvalue=1)  # the On, at the selector's LastLevel 0
    h.reg.handle(DZ_OUT, json.dumps(echo).encode(), NOON + 62.2)
    assert h.load("radiator").forced_power_w == 1000 and h.last(RADIATOR) == "ON"
    assert [json.loads(p) for t, p, _ in h.sent[mark:] if t == DZ_IN] == [  # shown at a level, as a selector is
        {"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Set Level", "level": 10}]
    mark = len(h.sent)
    echo.update(nvalue=2, svalue1="10")
    h.reg.handle(DZ_OUT, json.dumps(echo).encode(), NOON + 62.4)  # its echo: nothing more
    assert h.load("radiator").is_forced() and [p for t, p, _ in h.sent[mark:] if "switchlight" in p] == []


def test_an_order_crossing_a_state_shown_is_shown_again(unechoed: Harness, caplog: pytest.LogCaptureFixture) -> None:
    # A timed force ends: PySEB shows Off on the switch; before Domoticz read it, a timer (a scene, a user) switched it
    # On. PySEB took the On (forced until switched off), then Domoticz applied the Off, and under Prevent Loop nothing
    # told: the radiator forced from the grid with no end, its switch showing Off. The On is shown again.
    caplog.set_level(logging.INFO)
    h = unechoed
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 60}', NOON + 10)
    h.reg.tick(NOON + 70)  # the force ends: Off shown on the switch, in flight
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 70.05)
    assert h.load("radiator").forced_by == "domoticz"
    assert [m["switchcmd"] for m in switchlights(h, mark)] == ["On"]
    assert "radiator: its Domoticz switch idx 360 changed just after PySEB showed the load's state on it" in caplog.text
    # Not for an order long after (the switch shows what PySEB showed by then): nothing sent.
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 200)
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 300)
    assert h.load("radiator").forced_by == "domoticz" and switchlights(h, mark) == []


def test_a_domoticz_that_echoes_though_said_not_to_ends_on_the_last_state(tmp_path: Path) -> None:
    # prevent_loop at its default, a Domoticz that echoes all the same: the state shown again for a crossing, echoed,
    # must not be answered again (the two would flip the load for ever).
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 0.1)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000, "duration": 60}', NOON + 10)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 10.1)  # (its echo)
    h.reg.tick(NOON + 70)  # Off shown
    sent_before = len(switchlights(h, 0))
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 70.05)  # a crossing On: On shown again
    for k in range(6):  # what an echoing Domoticz sends back: each message PySEB sent, in order
        for message in switchlights(h, 0)[sent_before:]:
            h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, message["switchcmd"] == "On"), NOON + 70.1 + k)
        sent_before = len(switchlights(h, 0))
    assert len(switchlights(h, 0)) - sent_before == 0  # (the exchange ended)
    assert h.load("radiator").is_forced() == (switchlights(h, 0)[-1]["switchcmd"] == "On")


def test_a_user_s_click_soon_after_an_answer_set_back_is_no_copy_of_it(tmp_path: Path) -> None:
    # At a connect Domoticz answers On (left from before) for a load not forced: PySEB sets the switch back Off. The
    # user, seeing it go Off, switches it On again within 2 s: in the same bytes as the answer (a Domoticz without
    # LastUpdate), it was dropped as a copy of it, the switch On and the load not forced. Copies of the answer itself
    # (its other topics, at once) are still copies.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)  # the answer: On, set back Off
    assert [m["switchcmd"] for m in switchlights(h, mark)] == ["Off"]
    h.reg.handle(f"{DZ_OUT}/by_name", switch(RADIATOR_SWITCH, True), NOON + 0.11)  # (its copy: no order)
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 1.5)  # the user's On
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_the_copies_of_an_answer_set_back_stay_copies_on_a_busy_broker(tmp_path: Path) -> None:
    # A copy is told from a new update by its topic: the copies of one update come each on another topic of the publish
    # scheme, a user's next click on the same topics again. (A window of 0.5 s for them took copies 0.3 s apart for an
    # order: the radiator forced from the grid by the answer's copy.)
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)  # the answer: On, set back Off
    h.reg.handle(f"{DZ_OUT}/floor/room", switch(RADIATOR_SWITCH, True), NOON + 0.4)
    h.reg.handle(f"{DZ_OUT}/by_name", switch(RADIATOR_SWITCH, True), NOON + 0.7)
    assert not h.load("radiator").is_forced()
    # (a click's copy, come before its first: a new update, on a topic the last one came on)
    h.reg.handle(f"{DZ_OUT}/floor/room", switch(RADIATOR_SWITCH, True), NOON + 1.2)
    assert h.load("radiator").forced_by == "domoticz"


def test_two_gateways_publishing_each_update_twice_on_one_topic_are_copies(tmp_path: Path) -> None:
    # Two MQTT gateways of one Domoticz on the broker publish each update twice on domoticz/out, at once: the second,
    # on a topic the update already came on, was taken for a new update (the answer's copy an order: the radiator
    # forced from the grid).
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)  # the answer: On, set back Off
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.1)  # (the other gateway's)
    assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 1.5)  # the user's On, after the set-back
    assert h.load("radiator").forced_by == "domoticz"


def test_a_flood_of_copies_on_ever_new_topics_keeps_a_few_of_them(tmp_path: Path) -> None:
    # Review: each copy of an update on a topic it had not come on was kept with it, and each copy restarts the window:
    # one update sent again and again under topic_out on ever new subtopics (anyone on the broker can) grew that set
    # for as long as it lasted, 100 bytes a copy. Now a publish scheme's few topics are kept; the copies stay copies.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    for n in range(5000):
        h.reg.handle(f"{DZ_OUT}/room{n}", switch(RADIATOR_SWITCH, True), NOON + 0.1 + 0.01 * n)
    assert not h.load("radiator").is_forced()
    assert len(h.reg.field.domoticz._last_out[RADIATOR_SWITCH][2]) <= MAX_COPY_TOPICS
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 60)  # the user's On, later
    assert h.load("radiator").forced_by == "domoticz"
