"""The seed rule's night force from the grid when something around it fails: a variator that does not answer the
force's command (its heater's meter then reads 0 W, as for a full tank)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, ECS_METER, ECS_STATUS, at, field_config, ticks
from tests.harness import Harness
from tests.test_field_tank import thermostat_cut


def echo(percent: int) -> bytes:
    """The variator's answer to a command (PROTOCOL.md)."""
    return b'{"percent": %d, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}' % percent


def test_a_variator_that_does_not_answer_the_fallback_s_force_is_no_full_tank(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The variator answered its commands, then fell off the Wi-Fi: the 01:00 force (7000 Wh) reached no one and the
    # heater's own meter read 0 W. Taken for a full tank, the force was dropped within 10 s, its 7000 Wh credited to
    # the day, the heater kept off until 06:00: cold water, and a next night's check counting 7000 Wh never drawn.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ecs=f"topic_read_power = {ECS_METER}\n"))
    ticks(h, at(2024, 1, 10, 0, 30), at(2024, 1, 11, 0, 50))
    h.reg.handle(ECS_STATUS, echo(0), at(2024, 1, 11, 0, 50, 5))
    h.reg.tick(at(2024, 1, 11, 1, 0, 30))
    assert h.load("ecs").forced_by == "seed_rule" and h.last(ECS_CMD) == "100"
    thermostat_cut(h, at(2024, 1, 11, 1, 0, 32), count=8)
    assert not h.load("ecs").overed and h.load("ecs").forced_by == "seed_rule"
    assert "ecs: its meter reads 0.0 W but the variator has not answered its command: not taken for a full tank" \
        in caplog.text
    # Back on the network, it answers (it runs at 100 % and the heater still draws nothing): now a full tank.
    h.reg.handle(ECS_STATUS, echo(100), at(2024, 1, 11, 1, 1))
    thermostat_cut(h, at(2024, 1, 11, 1, 1, 2))
    assert h.load("ecs").overed and not h.load("ecs").is_forced() and h.last(ECS_CMD) == "0"
