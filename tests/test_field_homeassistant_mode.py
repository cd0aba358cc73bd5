"""The water heater's mode `forced` chosen while a force of the user's holds the heater (Home Assistant's switch at
a force power of 0 W): the user's force stays, the mode takes over when it ends. The select then shows `forced` with
the heater at 0 W: docs/domoticz-and-home-assistant.md says so, this checks it."""

from __future__ import annotations

from pathlib import Path

from tests.field_homeassistant import command, harness, state
from tests.harness import NOON


def test_mode_forced_leaves_a_users_force_until_it_ends(tmp_path: Path) -> None:
    h = harness(tmp_path)
    command(h, "load_ecs_force_power", "0", NOON + 2)
    command(h, "load_ecs_force", "ON", NOON + 3)
    command(h, "water_heater_mode", "forced", NOON + 4)
    ecs = h.load("ecs")
    assert ecs.forced_by == "homeassistant" and ecs.forced_power_w == 0
    h.meters(300, 300, NOON + 5)
    assert state(h)["water_heater_mode"] == "forced" and state(h)["load_ecs_power"] == 0
    command(h, "load_ecs_force", "OFF", NOON + 10)
    h.reg.tick(NOON + 11)  # (the mode holds at the next tick)
    assert ecs.forced_by == "mode" and ecs.forced_power_w == ecs.max_force_power_w()
