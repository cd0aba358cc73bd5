"""A mode chosen in Home Assistant and another chosen on the Domoticz selector at the same moment cross: the user's
update, made before Domoticz acted on the level PySEB sent for Home Assistant's, comes after it. The user's mode is
in effect, the last one read; the selector must show it too, or (Prevent Loop) its answer at the next connect sets
the other mode again without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.field_domoticz import DZ_OUT, ECHOED, selector
from tests.harness import NOON, Harness
from tests.test_domoticz_answer_order import HA_MODE, mode, selector_connected, set_levels


def answered(tmp_path: Path, extra: str) -> Harness:
    """The mode selector answered at level 20 (solar+fallback) at the connect."""
    h = selector_connected(tmp_path, extra)
    h.reg.handle(DZ_OUT, selector(20), NOON + 1)
    return h


def test_a_users_choice_crossing_home_assistant_s_is_shown_on_the_selector(tmp_path: Path) -> None:
    h = answered(tmp_path, "")
    h.reg.handle(HA_MODE, b"forced", NOON + 10)  # Set Level 30 sent
    h.reg.handle(DZ_OUT, selector(0), NOON + 10.5)  # the user's off, chosen before Domoticz acted on the 30
    assert mode(h, NOON + 10.5) == "off" and not h.load("ecs").is_forced()
    # Domoticz acts on what it is sent in order: the last level sent is the one it shows
    assert set_levels(h) == [30, 0]
    h.reg.on_disconnected(NOON + 100)
    h.reg.on_connected(NOON + 110)
    h.reg.handle(DZ_OUT, selector(set_levels(h)[-1]), NOON + 111)  # the answer shows what Domoticz shows
    assert mode(h, NOON + 111) == "off" and not h.load("ecs").is_forced()


def test_with_echoes_the_crossed_choices_end_in_agreement_without_a_word_more(tmp_path: Path) -> None:
    # Domoticz echoes what it is sent, after the user's update it had already published: the echo of 30, read after
    # the user's off, sets forced again, which the selector shows. Sending the user's level back made each echo
    # answer the one before, for ever (the heater flipping between forced and off).
    h = answered(tmp_path, ECHOED)
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    published = [0]  # what Domoticz publishes, in order: the user's off, then the echoes of what it is sent
    read = 0
    now = NOON + 10.5
    while published and read < 20:
        level = published.pop(0)
        sent_before = len(set_levels(h))
        h.reg.handle(DZ_OUT, selector(level), now)
        if read == 0:
            published += set_levels(h)  # the 30 sent before the user's update was read, then any level sent since
        else:
            published += set_levels(h)[sent_before:]
        read += 1
        now += 0.3
    assert read == 2 and set_levels(h) == [30]
    assert mode(h, now) == "forced"  # the selector's level, 30: the two agree


def test_a_users_choice_long_after_home_assistant_s_sends_nothing_back(tmp_path: Path) -> None:
    h = answered(tmp_path, "")
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    h.reg.handle(DZ_OUT, selector(0), NOON + 60)  # Domoticz showed 30 for 50 s: the user's off came after it
    assert mode(h, NOON + 60) == "off" and set_levels(h) == [30]


def test_a_users_choice_with_no_level_sent_sends_nothing_back(tmp_path: Path) -> None:
    h = answered(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(30), NOON + 2)
    assert mode(h, NOON + 2) == "forced" and set_levels(h) == []


def test_a_domoticz_echoing_under_prevent_loop_does_not_flip_the_heater_for_ever(tmp_path: Path) -> None:
    # prevent_loop left at its default while Domoticz echoes (its Prevent Loop at No): two modes chosen in Home
    # Assistant within its echo delay. The echo of the first, read within 10 s of the second's level, was taken for a
    # user's choice crossing it and sent back; so was the second's echo: each echo answered the one before, the heater
    # forced and off twice a second until a restart; then each was sent back once (it may be a user's crossing
    # choice), the heater flipped twice more. A level read within ECHO_SOON_S of PySEB sending it is taken for its echo.
    h = answered(tmp_path, "")
    h.reg.handle(HA_MODE, b"forced", NOON + 10)  # Set Level 30
    h.reg.handle(HA_MODE, b"off", NOON + 10.2)  # Set Level 0
    echoed = 0
    now = NOON + 10.5
    while echoed < len(set_levels(h)) and echoed < 20:  # Domoticz echoes every level it is sent, in order
        h.reg.handle(DZ_OUT, selector(set_levels(h)[echoed]), now)
        echoed += 1
        now += 0.3
    assert set_levels(h) == [30, 0] and echoed == 2
    assert mode(h, now) == "off" and not h.load("ecs").is_forced()  # the last choice, which the selector shows


@pytest.mark.parametrize("users_level", [20, 30])
def test_a_users_choice_crossing_the_second_of_two_levels_sent_is_shown_on_the_selector(tmp_path: Path,
                                                                                      users_level: int) -> None:
    # Only the last level sent, and those sent back, are taken for possible echoes: the user's choice read just after
    # Home Assistant's second, another level or the first's, is sent back (the selector showed HA's second while the
    # heater was the user's forced, and the answer at the next connect set HA's mode again without a word).
    h = answered(tmp_path, "")
    h.reg.handle(HA_MODE, b"forced", NOON + 10)  # 30
    h.reg.handle(HA_MODE, b"off", NOON + 13)  # 0
    h.reg.handle(DZ_OUT, selector(users_level), NOON + 13.5)  # the user's, chosen before Domoticz acted on the 0
    assert set_levels(h) == [30, 0, users_level]
