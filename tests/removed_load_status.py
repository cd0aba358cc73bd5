"""Shared set-up of the restart tests on loads the config no longer has (test_status_restore_removed,
test_status_restore_pending_offs): a run's saved status file, and a restart from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.configs import write_config
from tests.harness import MODE, NOON, Harness

RADIATOR, ECS_CMD = "cmnd/radiator/POWER", "regul/vload/ECS/cmd"


def saved_with(tmp_path: Path, command: bytes | None) -> dict[str, Any]:
    """The status file of a run with the heater and the radiator, after `command` on regul/mode, as saved (JSON)."""
    first = Harness(write_config(tmp_path, ("ecs", "radiator")))
    first.meters(300, 0, NOON)
    if command is not None:
        first.reg.handle(MODE, command, NOON + 1)
    return json.loads(json.dumps(first.reg.status(NOON + 2)))


def started(tmp_path: Path, doc: dict[str, Any], loads: tuple[str, ...] = ("ecs",),
            renamed: bool = False) -> tuple[Harness, list[str]]:
    config = write_config(tmp_path, loads)
    if renamed:  # the radiator's device under another name
        config.write_text(config.read_text().replace("radiator", "heater").replace("cmnd/heater/", "cmnd/radiator/"))
    h = Harness(config)
    warnings = h.reg.restore(doc, NOON + 60)
    h.reg.start(NOON + 60)
    return h, warnings
