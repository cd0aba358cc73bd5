"""What Domoticz answers at the connect (a selector's level, a switch's state) against what changed while the
answer was awaited: a mode chosen in Home Assistant since is newer than the level the answer shows, and wins; a
user's flip of a force switch just before Domoticz read the request leaves the load and the switch agreeing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.configs import write_config
from tests.field_domoticz import DZ_IN, DZ_OUT, ECHOED, RADIATOR_SWITCH, SELECTOR_IDX, selector, switch
from tests.field_house import RADIATOR, field_config
from tests.harness import NOON, Harness

HA_MODE = "regul/ha/water_heater_mode/set"


def set_levels(h: Harness, since: int = 0) -> list[int]:
    return [json.loads(p)["level"] for t, p, _ in h.sent[since:] if t == DZ_IN and "Set Level" in p]


def selector_connected(tmp_path: Path, extra: str) -> Harness:
    h = Harness(write_config(tmp_path, extra=f"[homeassistant]\ndiscovery = true\n[domoticz]\n"
                                               f"idx_ecs_mode = {SELECTOR_IDX}\n" + extra.replace("[domoticz]\n", "")))
    h.reg.start(NOON)
    h.reg.on_connected(NOON)
    return h


def mode(h: Harness, now: float) -> str:
    return str(h.reg.status(now)["water_heater"]["mode"])


@pytest.mark.parametrize("extra", ["", ECHOED], ids=["prevent-loop", "echoed"])
def test_a_mode_chosen_in_home_assistant_before_the_answer_is_not_undone_by_it(tmp_path: Path, extra: str) -> None:
    # Domoticz reads the request before HA's Set Level: its answer shows the old level (20), and was taken as the
    # user's choice: the heater went back to solar+fallback, under Prevent Loop for good while the selector showed off.
    h = selector_connected(tmp_path, extra)
    h.reg.handle(HA_MODE, b"off", NOON + 2)
    assert set_levels(h) == [0]
    h.reg.handle(DZ_OUT, selector(20), NOON + 3)  # the answer, read before the Set Level
    assert mode(h, NOON + 3) == "off"
    if extra:
        h.reg.handle(DZ_OUT, selector(0), NOON + 3.1)  # the echo of HA's level
    assert mode(h, NOON + 4) == "off"
    h.reg.handle(DZ_OUT, selector(10), NOON + 30)  # then a user's choice in Domoticz: obeyed
    assert mode(h, NOON + 30) == "solar"


def test_a_late_answer_shows_an_older_level_than_home_assistant_s_and_is_set_again(tmp_path: Path) -> None:
    # Domoticz joined the broker late: the request and HA's Set Level were lost. Its answer to the request sent again
    # shows the level from before; HA's newer choice holds, and the selector is moved to it again.
    h = selector_connected(tmp_path, "")
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    h.reg.tick(NOON + 61)  # asked again
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, selector(20), NOON + 62)
    assert mode(h, NOON + 62) == "forced" and set_levels(h, mark) == [30]


def test_answers_to_requests_sent_again_do_not_undo_home_assistant_s_mode(tmp_path: Path) -> None:
    # A Domoticz stalled at boot reads the requests queued since the connect at once: each answer shows the level
    # from before HA's choice; the second was taken for the user's choice.
    h = selector_connected(tmp_path, "")
    h.reg.tick(NOON + 61)  # asked again
    h.reg.handle(HA_MODE, b"solar", NOON + 100)
    h.reg.handle(DZ_OUT, selector(20), NOON + 300)
    # (3 s later: within the burst of answers, past COPY_WINDOW_S, which drops the same bytes at once as a copy of
    # the update on another of Domoticz's topics whatever the burst: 0.01 s later passed without the burst's rule)
    h.reg.handle(DZ_OUT, selector(20), NOON + 303)
    assert mode(h, NOON + 304) == "solar"


def test_without_a_choice_elsewhere_the_answer_sets_the_mode(tmp_path: Path) -> None:
    h = selector_connected(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(30), NOON + 1)
    assert mode(h, NOON + 1) == "forced" and set_levels(h) == []


# --- a user's flip before the answer -----------------------------------------------------------------------------

def flipped_before_the_answer(tmp_path: Path, extra: str) -> Harness:
    """Domoticz reads the request after the user's On: the On's update comes first, then the answer showing On."""
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=extra))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 0.5)  # the user's On
    return h


@pytest.mark.parametrize("extra", ["", ECHOED], ids=["prevent-loop", "echoed"])
def test_a_flip_before_the_answer_leaves_the_load_and_the_switch_agreeing(tmp_path: Path, extra: str) -> None:
    # The user's On came first and was taken for the answer: set back to Off. Domoticz's answer then showed On and
    # forced the radiator, but Domoticz applied PySEB's Off after it: under Prevent Loop the switch showed Off for good
    # while the radiator stayed forced "until switched off".
    h = flipped_before_the_answer(tmp_path, extra)
    shown = [json.loads(p)["switchcmd"] for t, p, _ in h.sent if t == DZ_IN and "switchlight" in p]
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 3)  # the answer: On (read after the user's On)
    if extra:
        for cmd in shown:  # the echoes of what PySEB showed after the answer was read
            h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, cmd == "On"), NOON + 3.1)
    shown = [json.loads(p)["switchcmd"] for t, p, _ in h.sent if t == DZ_IN and "switchlight" in p]
    switch_on = shown[-1] == "On" if shown else True  # Domoticz applies PySEB's updates after the user's On
    assert h.load("radiator").is_forced() == switch_on
    assert (h.last(RADIATOR) == "ON") == switch_on
    if not extra:  # the user's On, shown again after PySEB's Off that Domoticz applied after its answer
        assert h.load("radiator").forced_by == "domoticz" and shown[-2:] == ["Off", "On"]


# --- a mode the selector was not seen to show, at a later connect --------------------------------------------------

def test_a_mode_no_level_maps_to_is_not_undone_at_the_next_reconnect(tmp_path: Path) -> None:
    # The seed's three-level selector (no level for forced): HA's forced left it at its level 20, and the answer at
    # the next reconnect (a broker blip) handed 20 back as an order: the heater back to solar+fallback.
    h = selector_connected(tmp_path, "ecs_mode_levels = 0:off, 10:solar, 20:solar+fallback\n")
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)  # the answer at the connect
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    assert mode(h, NOON + 10) == "forced" and set_levels(h) == []  # (no level to show it)
    h.reg.on_disconnected(NOON + 100)
    h.reg.on_connected(NOON + 110)
    h.reg.handle(DZ_OUT, selector(20), NOON + 111)  # the answer: the level from before
    assert mode(h, NOON + 111) == "forced"
    h.reg.handle(DZ_OUT, selector(10), NOON + 200)  # a user's choice on the selector: obeyed
    assert mode(h, NOON + 200) == "solar"
    h.reg.on_disconnected(NOON + 300)
    h.reg.on_connected(NOON + 310)
    h.reg.handle(DZ_OUT, selector(20), NOON + 311)  # the selector's own again: the answer sets the mode
    assert mode(h, NOON + 311) == "solar+fallback"


def test_a_set_level_lost_is_shown_again_at_the_next_reconnect_until_the_selector_shows_it(tmp_path: Path) -> None:
    # HA's off sent as Set Level 0 while Domoticz was down (lost): the next connect's answer showed 20, taken as an
    # order (solar+fallback: the fallback heating from the grid at night).
    h = selector_connected(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    h.reg.handle(HA_MODE, b"off", NOON + 10)
    assert set_levels(h) == [0]  # (lost)
    h.reg.on_disconnected(NOON + 100)
    h.reg.on_connected(NOON + 3600)
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, selector(20), NOON + 3601)
    assert mode(h, NOON + 3601) == "off" and set_levels(h, mark) == [0]  # kept, and shown again
    h.reg.on_disconnected(NOON + 3700)
    h.reg.on_connected(NOON + 3710)
    h.reg.handle(DZ_OUT, selector(0), NOON + 3711)  # the selector shows it now
    h.reg.on_disconnected(NOON + 3800)
    h.reg.on_connected(NOON + 3810)
    h.reg.handle(DZ_OUT, selector(10), NOON + 3811)  # set in Domoticz while PySEB was away: its level again
    assert mode(h, NOON + 3811) == "solar"


# --- the same across a restart of PySEB ----------------------------------------------------------------------------

def restarted(tmp_path: Path, h: Harness, saved_at: float, now: float) -> Harness:
    """A new PySEB on the same config, restored from `h`'s status file saved at `saved_at`, connected at `now`."""
    saved = json.loads(json.dumps(h.reg.status(saved_at)))
    again = Harness(h.config)
    again.reg.restore(saved, now)
    again.reg.start(now)
    again.reg.on_connected(now)
    return again


def test_a_mode_no_level_maps_to_survives_a_restart(tmp_path: Path) -> None:
    # HA's forced on the seed's three levels, kept at a reconnect, was lost at a restart: the selector's answer, its
    # level from before (20), set solar+fallback. Kept as at a reconnect now; a user's change on the selector obeyed.
    h = selector_connected(tmp_path, "ecs_mode_levels = 0:off, 10:solar, 20:solar+fallback\n")
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    again = restarted(tmp_path, h, NOON + 20, NOON + 60)
    again.reg.handle(DZ_OUT, selector(20), NOON + 61)  # the answer: the level from before
    assert mode(again, NOON + 61) == "forced" and again.load("ecs").forced_by == "mode"
    assert h.reg.status(NOON + 20)["water_heater"]["mode_unshown"] is True  # (what the file says)
    third = restarted(tmp_path, again, NOON + 70, NOON + 100)  # (and at the restart after: still not shown)
    third.reg.handle(DZ_OUT, selector(20), NOON + 101)
    assert mode(third, NOON + 101) == "forced"
    third.reg.handle(DZ_OUT, selector(10), NOON + 200)  # a user's choice on the selector: obeyed
    assert mode(third, NOON + 200) == "solar" and "mode_unshown" not in third.reg.status(NOON + 200)["water_heater"]


def test_a_set_level_lost_is_shown_again_after_a_restart(tmp_path: Path) -> None:
    h = selector_connected(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    h.reg.handle(HA_MODE, b"off", NOON + 10)  # its Set Level 0 lost: Domoticz down
    again = restarted(tmp_path, h, NOON + 20, NOON + 3600)
    mark = len(again.sent)
    again.reg.handle(DZ_OUT, selector(20), NOON + 3601)
    assert mode(again, NOON + 3601) == "off" and set_levels(again, mark) == [0]  # kept, and shown again


def test_a_mode_shown_on_the_selector_takes_its_answer_after_a_restart(tmp_path: Path) -> None:
    # The selector showed HA's mode (its echo): it is the selector's own, its answer sets the mode, as before (a
    # level changed in Domoticz while PySEB was stopped is obeyed).
    h = selector_connected(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    h.reg.handle(HA_MODE, b"off", NOON + 10)
    h.reg.on_disconnected(NOON + 11)
    h.reg.on_connected(NOON + 12)
    h.reg.handle(DZ_OUT, selector(0), NOON + 13)  # the answer shows it
    assert "mode_unshown" not in h.reg.status(NOON + 20)["water_heater"]
    again = restarted(tmp_path, h, NOON + 20, NOON + 60)
    again.reg.handle(DZ_OUT, selector(10), NOON + 61)
    assert mode(again, NOON + 61) == "solar"


def test_a_mode_no_level_maps_to_is_not_restored_from_a_file_too_old(tmp_path: Path) -> None:
    # Restored only where the mode itself is: from a file under 7 days old, as a force until unforced.
    h = selector_connected(tmp_path, "ecs_mode_levels = 0:off, 10:solar, 20:solar+fallback\n")
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    again = restarted(tmp_path, h, NOON + 20, NOON + 8 * 86400)
    again.reg.handle(DZ_OUT, selector(20), NOON + 8 * 86400 + 1)
    assert mode(again, NOON + 8 * 86400 + 1) == "solar+fallback"


def test_a_mode_from_a_file_over_7_days_old_is_not_said_lost_with_a_selector(tmp_path: Path) -> None:
    # The selector sets its mode again at the connect: "not restored: the file is over 7 days old" was wrong there.
    h = selector_connected(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(0), NOON + 1)  # the answer: off
    assert mode(h, NOON + 1) == "off"
    saved = json.loads(json.dumps(h.reg.status(NOON + 2)))
    again = Harness(h.config)
    later = NOON + 10 * 86400
    assert not [w for w in again.reg.restore(saved, later) if "mode" in w]
    again.reg.start(later)
    again.reg.on_connected(later)
    again.reg.handle(DZ_OUT, selector(0), later + 1)
    assert mode(again, later + 1) == "off"
