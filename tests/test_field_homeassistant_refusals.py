"""Home Assistant commands refused, as the daemon's log shows them (its FloodLimiter: 5 lines of a kind a minute). Every
refusal shared one kind: a user's sixth mistake within a minute, on any control, wrote no warning at the time. They
are counted per control (its command topic): a mistake on one control does not hide one on another, and a flood on
one stays bounded. (Junk on every topic at once: test_fuzz_every_topic.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.field_homeassistant import command, harness
from tests.harness import NOON
from tests.log_flood import lines_let_through


def test_a_refusal_on_one_control_is_not_hidden_by_mistakes_on_others(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    h = harness(tmp_path)
    mistakes = [("load_ecs_force_power", "-1"), ("load_ecs_force_duration", "x"), ("load_ecs_force", "maybe"),
                ("load_radiator_force", "1"), ("load_ecs_force_power", "nan")]

    def send() -> None:
        for i, (object_id, payload) in enumerate(mistakes):
            command(h, object_id, payload, NOON + 2 + i)
        command(h, "water_heater_mode", "boost", NOON + 10)  # the sixth, within the minute, on another control

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if "refused" in line]) == 6, passed
    assert "Home Assistant command 'boost' on 'Water heater mode' refused: not a mode: use one of off, solar, " \
           "solar+fallback, forced" in passed, passed


def test_a_flood_of_refusals_on_one_control_stays_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = harness(tmp_path)

    def send() -> None:
        for i in range(100):
            command(h, "load_ecs_force", f"maybe {i}", NOON + 2 + i * 0.1)
            command(h, "load_ecs_force", "ON" * 40, NOON + 2 + i * 0.1)  # (too large: its own line)
        command(h, "load_radiator_force", "1", NOON + 20)

    passed = lines_let_through(caplog, send)
    assert len([line for line in passed if "on 'ecs force' refused: expected ON or OFF" in line]) == 5, passed
    assert len([line for line in passed if "on 'ecs force' refused: payload of 80 bytes" in line]) == 5, passed
    assert any("on 'radiator force' refused" in line for line in passed), passed
