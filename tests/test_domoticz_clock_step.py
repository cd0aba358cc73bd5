"""The Domoticz link when the wall clock steps back (NTP correcting a clock that was ahead, a clock set by hand):
the time of its last 0 and of its last update from Domoticz, now in the future, must not hold back the keepalive
nor take a user's update for a copy for the whole step."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.field_domoticz import DZ_IN, DZ_OUT, RADIATOR_SWITCH, switch, user_on_then_unforced
from tests.field_house import RADIATOR, field_config
from tests.harness import NOON, Harness

GRID_IDX = 651
SENSORS = f"[domoticz]\nidx_grid = {GRID_IDX}\nkeepalive_s = 1800\n"


def grid_zeros(h: Harness) -> int:
    return sum(1 for t, p, _ in h.sent if t == DZ_IN and f'"idx": {GRID_IDX},' in p and '"svalue": "0"' in p)


def test_the_grid_keepalive_goes_on_after_the_clock_stepped_back(tmp_path: Path) -> None:
    # The grid at 0 all along (a 0 at the first decision, then one every 30 min). The clock steps back an hour: the
    # last 0, dated an hour ahead, held the keepalive for an hour and a half, and Domoticz marked the sensor timed out.
    h = Harness(field_config(tmp_path, extra=SENSORS))
    now = NOON
    h.meters(2000, 2000, now)
    assert grid_zeros(h) == 1
    now -= 3600  # the clock steps back an hour
    for _ in range(1830 // 3):  # 30.5 minutes of real time, readings every 3 s
        now += 3
        h.meters(2000, 2000, now)
        h.reg.tick(now)
    # One at the step (the last one's time is no longer known), one 30 minutes later: none was sent in 90 minutes.
    assert grid_zeros(h) == 3


def test_a_user_s_on_after_the_clock_stepped_back_is_no_copy(tmp_path: Path) -> None:
    # A Domoticz without "LastUpdate" sends the same bytes for each On. A user's On, an unforce from regul/mode, the
    # clock stepped back an hour, and the user's On again: dated before the first one, it was taken for its copy (on
    # another topic of the publish scheme) and ignored.
    h = user_on_then_unforced(tmp_path)
    later = NOON + 60 - 3600  # a minute later, on a clock stepped back an hour
    h.reg.tick(later)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), later)
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_domoticz_s_answer_after_ntp_set_the_clock_is_still_its_answer(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # A Pi connects on the time it last saved; NTP sets the clock an hour ahead a second later, before Domoticz
    # answered what the force switch shows. Its 60 s wait had run out at once: "has not answered" said for nothing,
    # and the answer, an On left from before the restart, then taken for a user's order: the radiator forced on
    # until switched off, from the grid.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    now = NOON + 1 + 3600
    h.reg.clock_stepped_forward(3600)  # (the daemon, which sees the jump)
    h.reg.tick(now)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), now + 0.5)  # the answer
    assert not h.load("radiator").is_forced() and h.last(RADIATOR) != "ON"
    assert "has not answered" not in caplog.text
    h.reg.tick(now + 120)
    assert "has not answered" not in caplog.text


def test_the_answer_s_wait_after_the_clock_stepped_back_is_its_own_length(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    # A clock an hour ahead at the connect (a clock module's wrong time), set back by NTP a few seconds later; the
    # request was lost (Domoticz not subscribed yet). Dated an hour ahead, the wait ran an hour and a minute: no word
    # that Domoticz had not answered, no request sent again, and PySEB's own forces not shown on the switch.
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n"))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    now = NOON + 5 - 3600  # the clock set back an hour
    mark = len(h.sent)
    for _ in range(70):
        h.reg.tick(now)
        now += 1
    assert "has not answered" in caplog.text
    assert [p for t, p, _ in h.sent[mark:] if t == DZ_IN and "getdeviceinfo" in p]  # asked again
