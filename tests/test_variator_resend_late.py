"""A variator's command sent again on a message that waited in the daemon's queue (another client's percent echoed,
the main loop held up) went out late like a decision's: the daemon tells the core (Regulator.commands_sent_late) even
though no load's last command is stamped with that message (a resend keeps the command's time), and the variator's
answer is awaited from when it went."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.configs import reading
from tests.field_house import ECS_STATUS
from tests.harness import CONS, PROD
from tests.test_field_boots import echo
from tests.test_queued_across_step_back import Clocks


def test_a_resend_on_a_queued_echo_is_awaited_from_when_it_went(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    c = Clocks(tmp_path, monkeypatch)
    c.tick()
    for _ in range(6):
        c.passes(1.0)
        c.handle(c.received(PROD, reading(1100.0)))
        c.passes(1.0)
        c.handle(c.received(CONS, reading(500.0)))
    ecs = c.daemon.reg.loads_by_name["ecs"]
    c.passes(0.1)
    c.handle(c.received(ECS_STATUS, echo(f"{ecs.sent_percent:.2f}")))  # answered: a variator that answers
    c.passes(1.0)
    queued = c.received(ECS_STATUS, echo("100.00"))  # another client's 100 %, waiting while the loop is held up 6 s
    c.passes(6.0)
    commanded_at = ecs.last_command_at
    c.handle(queued)
    assert "sent again" in caplog.text and ecs.last_command_at == commanded_at  # (a resend keeps the command's time)
    c.passes(0.05)
    c.tick()
    # From the message's date, the timers' pass right after the resend went said the variator silent for 6 s, asked
    # its status and held the relays after it.
    assert "has not answered its commands" not in caplog.text
    assert not ecs.silent(c.wall)
