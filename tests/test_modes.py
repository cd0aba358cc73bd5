"""Forced-mode command validation: anything wrong is refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from equipments.modes import ForceCommand, ModeCommandError, UnforceCommand, parse_mode_command
from settings.config import load_settings
from tests.configs import write_config


@pytest.fixture
def loads(tmp_path: Path):
    settings = load_settings(write_config(tmp_path, ("ecs", "radiator")))
    return {e.name: e for e in settings.equipments}


def test_force_with_duration(loads) -> None:
    cmd = parse_mode_command(b'{"command":"force","name":"ecs","power":1500,"duration":3600}', loads)
    assert cmd == ForceCommand("ecs", 1500.0, 3600.0)


def test_force_without_duration_is_until_unforced(loads) -> None:
    assert parse_mode_command(b'{"command":"force","name":"radiator","power":1000}', loads) == \
        ForceCommand("radiator", 1000.0, None)


def test_unforce(loads) -> None:
    assert parse_mode_command(b'{"command":"unforce","name":"ecs"}', loads) == UnforceCommand("ecs")


@pytest.mark.parametrize(("payload", "fragment"), [
    (b"not json", "not JSON"),
    (b"[]", "JSON object"),
    (b'{"command":"boost","name":"ecs"}', "command must be"),
    (b'{"command":"force","name":"pool","power":10}', "unknown load"),
    (b'{"command":"force","name":"ecs"}', "needs a power"),
    (b'{"command":"force","name":"ecs","power":-1}', "between 0 and 2000"),
    (b'{"command":"force","name":"ecs","power":2001}', "between 0 and 2000"),
    (b'{"command":"force","name":"ecs","power":"lots"}', "must be a number"),
    (b'{"command":"force","name":"ecs","power":true}', "must be a number"),
    (b'{"command":"force","name":"ecs","power":100,"duration":0}', "duration must be"),
    (b'{"command":"force","name":"ecs","power":100,"duration":-5}', "duration must be"),
    (b'{"command":"force","name":"ecs","power":100,"duration":604801}', "duration must be"),
])
def test_refused(loads, payload: bytes, fragment: str) -> None:
    with pytest.raises(ModeCommandError, match=fragment):
        parse_mode_command(payload, loads)
