"""A variator's command that went out late (its message waited in the daemon's queue, the main loop held up:
Regulator.commands_sent_late) is awaited from when it went: its silence, the re-check of an echo that may have crossed
it, and the echoes of the percent it replaced are timed from then, not from its stamp (the message's date)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, ECS_STATUS
from tests.harness import Harness
from tests.test_field_boots import echo, nightfall


def _commands(h: Harness, before: int) -> list[str]:
    """What was sent to the variator since `before`."""
    return [payload for topic, payload, _ in h.sent[before:] if topic == ECS_CMD]


def _late_night(tmp_path: Path, late_s: float) -> tuple[Harness, float]:
    """The heater at 49 % (answered), then its 0 % at nightfall sent `late_s` after its stamp: the harness and the
    stamp."""
    h, _ = nightfall(tmp_path, "hebert")
    stamp = h.load("ecs").last_command_at
    assert stamp is not None and h.last(ECS_CMD) == "0"
    h.reg.commands_sent_late(stamp, late_s)
    return h, stamp


def test_a_late_command_s_silence_counts_from_when_it_went(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 0 % went 6 s after its stamp; the timers' pass right after it, its answer on its way: counted from the stamp,
    # the variator "has not answered its commands for 6 s", its status asked and the relays after it held as silent.
    caplog.set_level(logging.INFO)
    h, stamp = _late_night(tmp_path, 6.0)
    before = len(h.sent)
    h.reg.tick(stamp + 6.1)
    assert _commands(h, before) == []
    assert not h.load("ecs").silent(stamp + 6.1)
    assert "has not answered" not in caplog.text
    h.reg.handle(ECS_STATUS, echo("0.00"), stamp + 6.3)  # (its answer)
    h.reg.tick(stamp + 12.0)
    assert _commands(h, before) == []


def test_a_late_command_still_unanswered_is_asked_about_from_when_it_went(tmp_path: Path) -> None:
    h, stamp = _late_night(tmp_path, 3.0)
    before = len(h.sent)
    h.reg.tick(stamp + 7.9)  # (4.9 s after it went)
    assert _commands(h, before) == []
    h.reg.tick(stamp + 8.0)
    assert _commands(h, before) == ["status"]


def test_a_crossed_echo_s_re_check_is_timed_from_when_the_late_command_went(tmp_path: Path) -> None:
    # The 0 % went 3 s late; the variator's 49 % a second after it may be the late answer of the 49 % it replaced: its
    # status is asked ECHO_LAG_S after our 0 % went (from its stamp, 2 s after it went: the answer to our 0 % could
    # still be on its way, the 49 % then taken for another client's).
    h, stamp = _late_night(tmp_path, 3.0)
    h.reg.handle(ECS_STATUS, echo("0.00"), stamp + 3.2)
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("49.00"), stamp + 4.0)
    assert _commands(h, before) == []
    assert h.reg.next_deadline() == pytest.approx(stamp + 8.0)
    h.reg.tick(stamp + 7.9)
    assert _commands(h, before) == []
    h.reg.tick(stamp + 8.0)
    assert _commands(h, before) == ["status"]


def test_the_replaced_percent_s_echo_right_after_a_late_command_went_is_not_another_client_s(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 0 % went 6 s late, and the variator's 49 % came 0.3 s after it went: the 49 % it replaced, 6.3 s after the
    # stamp, was "long ago" (ECHO_LAG_S 5 s): taken for another client's, our 0 % sent again with a warning, and the
    # variator judged off PySEB's command (no full-tank probe across it).
    caplog.set_level(logging.INFO)
    h, stamp = _late_night(tmp_path, 6.0)
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("49.00"), stamp + 6.3)
    assert _commands(h, before) == []
    assert "another client" not in caplog.text
    assert not h.load("ecs").off_command_since(stamp)
    assert h.reg.next_deadline() == pytest.approx(stamp + 11.0)  # (its status asked ECHO_LAG_S after it went)


def _two_late_in_a_row(tmp_path: Path) -> tuple[Harness, float, float]:
    """Two commands of the heater taken on messages that waited in the queue together (the main loop held up 6 s): its
    0 % at nightfall, then a force to 1000 W on a message 0.5 s younger, both gone 6 s after the first's stamp: the
    harness, the first's stamp and when both went."""
    h, stamp = _late_night(tmp_path, 6.0)
    forced_at = stamp + 0.5
    h.reg.handle("regul/mode", b'{"command": "force", "name": "ecs", "power": 1000, "duration": 600}', forced_at)
    assert h.load("ecs").last_command_at == forced_at and h.last(ECS_CMD) != "0"
    h.reg.commands_sent_late(forced_at, 5.5)
    return h, stamp, stamp + 6.0


def test_two_late_commands_in_a_row_their_silence_counts_from_when_the_first_went(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The second's late time replaced the first's: the silence, counted from the first unanswered command, was counted
    # from its stamp again, "not answered for 6 s" at the timers' pass right after both went, its status asked.
    caplog.set_level(logging.INFO)
    h, _, went_at = _two_late_in_a_row(tmp_path)
    before = len(h.sent)
    h.reg.tick(went_at + 0.1)
    assert _commands(h, before) == []
    assert not h.load("ecs").silent(went_at + 0.1)
    assert "has not answered" not in caplog.text


def test_two_late_commands_in_a_row_the_first_s_replaced_percent_is_timed_from_when_it_went(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The 49 % the first (0 %) replaced, echoed 0.3 s after both went: timed from the first's stamp, it was another
    # client's (sent again, a warning, the variator judged off PySEB's command).
    caplog.set_level(logging.INFO)
    h, stamp, went_at = _two_late_in_a_row(tmp_path)
    before = len(h.sent)
    h.reg.handle(ECS_STATUS, echo("49.00"), went_at + 0.3)
    assert _commands(h, before) == []
    assert "another client" not in caplog.text
    assert not h.load("ecs").off_command_since(stamp)
