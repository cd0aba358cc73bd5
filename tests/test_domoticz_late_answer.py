"""Domoticz answering late, after PySEB's 60 s wait ran out (a Pi where Domoticz starts with PySEB and takes
minutes): its first update of a device after the connect is still what the device is, never a user's order; the
request is sent again until it is answered, so a Domoticz that missed it answers once it is up."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.field_domoticz import (
    DOMOTICZ,
    DZ_IN,
    DZ_OUT,
    ECHOED,
    RADIATOR_SWITCH,
    SELECTOR_IDX,
    asked,
    selector,
    switch,
    switchlights,
)
from tests.field_house import RADIATOR, field_config
from tests.harness import MODE, NOON, Harness


def requests(h: Harness, since: int = 0) -> list[dict]:
    return [json.loads(p) for t, p, _ in h.sent[since:] if t == DZ_IN and "getdeviceinfo" in p]


def span(start_s: int, stop_s: int, step_s: int) -> list[float]:
    """Times from NOON + start_s to NOON + stop_s (excluded), every step_s."""
    return [NOON + s for s in range(start_s, stop_s, step_s)]


def connected(tmp_path: Path, extra: str = "") -> Harness:
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=extra))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    return h


@pytest.mark.parametrize("extra", ["", ECHOED], ids=["prevent-loop", "echoed"])
def test_a_late_answer_is_what_the_switch_shows_not_a_users_order(tmp_path: Path, extra: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Domoticz, slow at boot, answers 5 min after the request: the radiator's switch still On from before the
    # restart. Taken for a user's On (the wait had run out), it forced the radiator on from the grid until someone
    # switched it off, and under Prevent Loop the switch then showed Off (the Off PySEB showed at the wait's end).
    caplog.set_level(logging.INFO)
    h = connected(tmp_path, extra)
    h.reg.tick(NOON + 61)
    assert "has not answered" in caplog.text
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 300)  # the answer
    assert not h.load("radiator").is_forced() and h.last(RADIATOR) != "ON"
    assert "by its Domoticz switch" not in caplog.text
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "Off"}]
    if extra:  # the echoes of both Offs: not a change
        h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 300.1)
        h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 303)
        assert not h.load("radiator").is_forced()
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 400)  # then a user's On: obeyed
    assert h.load("radiator").forced_by == "domoticz" and h.last(RADIATOR) == "ON"


def test_a_late_answer_off_unforces_nothing(tmp_path: Path) -> None:
    # A regul/mode force during the wait: shown On when the wait ran out; Domoticz's late answer, Off (from before
    # it read the On), is what the switch showed, not a user's Off: the force holds and the switch is set On again.
    h = connected(tmp_path)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 10)
    h.reg.tick(NOON + 61)
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 300)
    assert h.load("radiator").forced_by == "user"
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "On"}]


def test_the_request_is_sent_again_until_answered(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Domoticz connected to the broker after PySEB's request (lost: Domoticz was not subscribed yet). Asked again
    # at the end of each wait, doubled each time, it answers once up; the warning is said once per connect.
    h = connected(tmp_path)
    assert requests(h) == [asked(RADIATOR_SWITCH)]
    times = [NOON + s for s in range(0, 4000, 5)]
    sent_at = []
    for now in times:
        mark = len(h.sent)
        h.reg.tick(now)
        if requests(h, mark):
            sent_at.append(now - NOON)
    assert sent_at == [60, 180, 420, 900, 1860, 3780]
    assert caplog.text.count("has not answered") == 1
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 3781)  # the answer, On from before
    assert not h.load("radiator").is_forced()
    mark = len(h.sent)
    for now in span(3800, 20000, 60):
        h.reg.tick(now)
    assert requests(h, mark) == []  # answered: not asked again


def test_a_force_shown_while_asked_again(tmp_path: Path) -> None:
    # No answer (a wrong idx): the switch shows PySEB's forces as before, though the request is sent again.
    h = connected(tmp_path)
    h.reg.tick(NOON + 61)
    mark = len(h.sent)
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 100)
    h.reg.tick(NOON + 101)
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "On"}]


def test_a_reconnect_starts_the_wait_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = connected(tmp_path)
    for now in span(0, 1000, 10):
        h.reg.tick(now)
    h.reg.on_disconnected(NOON + 1000)
    mark = len(h.sent)
    for now in span(1000, 1200, 10):
        h.reg.tick(now)
    assert requests(h, mark) == []  # not asked while the link is down
    h.reg.on_connected(NOON + 1200)
    for now in span(1200, 1400, 10):
        h.reg.tick(now)
    assert [r.levelno for r in caplog.records if "has not answered" in r.getMessage()] == [logging.WARNING] * 2
    assert len(requests(h, mark)) == 3  # at the connect, 60 s and 180 s later


def test_the_mode_selector_is_asked_again_and_its_late_answer_sets_the_mode(tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    # The selector's level is the mode the user chose (not an order of the moment): a late answer sets it, as a
    # timely one does. Asked again, a Domoticz that missed the request gives it once up.
    h = Harness(field_config(tmp_path, extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    for now in span(0, 200, 5):
        h.reg.tick(now)
    assert requests(h) == [asked(SELECTOR_IDX)] * 3 and caplog.text.count("has not answered") == 1
    h.reg.handle(DZ_OUT, selector(10), NOON + 200)
    assert h.reg.status(NOON + 200)["water_heater"]["mode"] == "solar"
    mark = len(h.sent)
    for now in span(200, 2000, 10):
        h.reg.tick(now)
    assert requests(h, mark) == []


def test_the_answers_to_requests_sent_again_are_answers_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Domoticz connected but stalled (busy at boot) reads the requests queued since the connect at once, in order with
    # what PySEB showed in between: each answer shows the state of the moment it was read. The answer to a request
    # sent again, an Off shown before a regul/mode force, was taken for a user's Off and unforced the radiator.
    caplog.set_level(logging.INFO)
    h = connected(tmp_path)
    h.reg.tick(NOON + 61)  # Off shown, asked again
    h.reg.handle(MODE, b'{"command": "force", "name": "radiator", "power": 1000}', NOON + 100)  # On shown
    h.reg.tick(NOON + 181)  # asked again
    mark = len(h.sent)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 300)  # read before the Off: On from before
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 300.01)  # read after the Off
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 300.02)  # read after the On
    assert h.load("radiator").forced_by == "user" and "by its Domoticz switch" not in caplog.text
    assert switchlights(h, mark) == [{"command": "switchlight", "idx": RADIATOR_SWITCH, "switchcmd": "On"}]
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 400)  # then a user's Off: obeyed
    assert not h.load("radiator").is_forced()


def test_a_user_s_change_after_the_answer_acts_though_requests_were_lost(tmp_path: Path) -> None:
    # Domoticz connected to the broker a minute after PySEB: the first request was lost, the second one answered at
    # once. A user's On soon after is an order (the lost request has no answer to come).
    h = connected(tmp_path)
    h.reg.tick(NOON + 61)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 61.05)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 70)
    assert h.load("radiator").forced_by == "domoticz"


def answered_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.INFO and "answered at last" in r.getMessage()]


def test_a_late_answer_closes_the_warning_in_the_log(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A Domoticz slow at boot answers 5 min after the request. The log said at WARNING it had not answered, "no device
    # with this idx": the switch's answer was then only at DEBUG, the selector's none at all when it showed the mode
    # already in effect, and the warning stood as the last word on a link that works.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.tick(NOON + 61)
    assert caplog.text.count("has not answered") == 2
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 300)
    h.reg.handle(DZ_OUT, selector(20), NOON + 300.5)  # the default mode, solar+fallback: no change to log
    assert answered_lines(caplog) == [
        f"[radiator] domoticz_idx_force = {RADIATOR_SWITCH}: Domoticz answered at last, 300 s after the connect",
        f"[domoticz] idx_ecs_mode = {SELECTOR_IDX}: Domoticz answered at last, 300 s after the connect"]
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, True), NOON + 400)  # a user's change since: no answer
    h.reg.handle(DZ_OUT, selector(10), NOON + 401)
    assert len(answered_lines(caplog)) == 2


def test_a_timely_answer_says_nothing_more(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 1)
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    h.reg.tick(NOON + 61)
    assert answered_lines(caplog) == [] and "has not answered" not in caplog.text


def test_a_late_answer_is_said_once_and_timed_across_a_clock_step(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    # The clock set an hour forward (NTP, just after the connect) is no hour of waiting; the second answer (to the
    # request sent again) is an answer too, not a second "at last".
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, radiator=f"domoticz_idx_force = {RADIATOR_SWITCH}\n", extra=DOMOTICZ))
    h.reg.tick(NOON)
    h.reg.on_connected(NOON)
    h.reg.tick(NOON + 61)
    h.reg.clock_stepped_forward(3600)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 3600 + 300)
    h.reg.handle(DZ_OUT, switch(RADIATOR_SWITCH, False), NOON + 3600 + 303)  # (past COPY_WINDOW_S: no copy)
    assert [line for line in answered_lines(caplog) if "domoticz_idx_force" in line] == [
        f"[radiator] domoticz_idx_force = {RADIATOR_SWITCH}: Domoticz answered at last, 300 s after the connect"]
