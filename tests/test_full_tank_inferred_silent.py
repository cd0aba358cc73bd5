"""A probe of the house meter's full-tank inference whose variator answered its step, then went silent (rebooting
before the probe's readings, its boot said only once it is back): void, no evidence of a full tank."""

from __future__ import annotations

import logging

import pytest

from field.full_tank_inferred import InferredFullTank
from tests.full_tank_house import House, at


def test_a_probe_the_variator_answered_then_went_silent_during_is_void(caplog: pytest.LogCaptureFixture) -> None:
    # A variator rebooting again and again (a weak power supply): it answered a step up, then rebooted before the
    # probe's readings (away, its boot not said yet), and the loop's next command went unanswered; the house did not
    # follow. That second failed probe made the tank full (the first, a reboot before, had made it suspect).
    caplog.set_level(logging.INFO, logger="field.full_tank")
    silent = [False]
    tank = InferredFullTank("ecs", min_power_w=150, heard_after=lambda t: True, silent=lambda now: silent[0])
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = False
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.suspect_since is not None and not tank.full  # (its first failure: rebooting, unannounced)
    house.command(0)
    house.run(80)
    house.command(1500)  # answered, then it reboots: silent for PySEB's next commands
    silent[0] = True
    house.run(20)
    assert not tank.full
    assert "ecs: probe void, a 1500 W step moved the house by 0 W at most but the variator has left PySEB's " \
        "last command unanswered since (rebooting, or off the network)" in caplog.text
    silent[0] = False  # (back, answering: a probe counts again)
    house.command(0)
    house.run(20)
    house.command(1500)
    house.run(20)
    assert tank.full
