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


@pytest.mark.parametrize("extra", ["", ECHOED], ids=["prevent-loop", "echoed"])
def test_a_users_choice_crossing_home_assistant_s_is_shown_on_the_selector(tmp_path: Path, extra: str) -> None:
    h = answered(tmp_path, extra)
    h.reg.handle(HA_MODE, b"forced", NOON + 10)  # Set Level 30 sent
    h.reg.handle(DZ_OUT, selector(0), NOON + 10.5)  # the user's off, chosen before Domoticz acted on the 30
    assert mode(h, NOON + 10.5) == "off" and not h.load("ecs").is_forced()
    # Domoticz acts on what it is sent in order: the last level sent is the one it shows
    assert set_levels(h) == [30, 0]
    if extra:  # the echoes of both levels, in order: neither is a choice
        h.reg.handle(DZ_OUT, selector(30), NOON + 10.7)
        h.reg.handle(DZ_OUT, selector(0), NOON + 10.9)
        assert mode(h, NOON + 11) == "off"
    h.reg.on_disconnected(NOON + 100)
    h.reg.on_connected(NOON + 110)
    h.reg.handle(DZ_OUT, selector(set_levels(h)[-1]), NOON + 111)  # the answer shows what Domoticz shows
    assert mode(h, NOON + 111) == "off" and not h.load("ecs").is_forced()


def test_a_users_choice_long_after_home_assistant_s_sends_nothing_back(tmp_path: Path) -> None:
    h = answered(tmp_path, "")
    h.reg.handle(HA_MODE, b"forced", NOON + 10)
    h.reg.handle(DZ_OUT, selector(0), NOON + 60)  # Domoticz showed 30 for 50 s: the user's off came after it
    assert mode(h, NOON + 60) == "off" and set_levels(h) == [30]


def test_a_users_choice_with_no_level_sent_sends_nothing_back(tmp_path: Path) -> None:
    h = answered(tmp_path, "")
    h.reg.handle(DZ_OUT, selector(30), NOON + 2)
    assert mode(h, NOON + 2) == "forced" and set_levels(h) == []
