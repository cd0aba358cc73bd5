"""A decision taken on a message that waited in the queue (the main loop held up: a Pi Zero swapping, say) sends
its commands when the loop gets to it, seconds after the message came. The regulator stamps them with the message's
date, its age on the steady clock: a house reading the network thread received before they really went cannot show
them, and must not be decided on as their evidence (shell/daemon_messages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.configs import reading
from tests.harness import CONS, PROD
from tests.test_queued_across_step_back import Clocks


def _house(c: Clocks, house_w: float) -> bytes:
    """The house meter's reading: the house and the loads as commanded (the meter sees both)."""
    return reading(house_w + sum(load.current_power_w for load in c.daemon.reg.loads))


def _regulating(c: Clocks) -> None:
    """A few periods of a steady house and sun: the loop decides on each house reading that shows its last command."""
    c.tick()
    for _ in range(10):
        c.passes(1.0)
        c.handle(c.received(PROD, reading(3000.0)))
        c.passes(1.0)
        c.handle(c.received(CONS, _house(c, 2000.0)))
    assert c.decisions > 0


def test_a_reading_received_before_a_late_decision_s_commands_went_is_not_their_evidence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = Clocks(tmp_path, monkeypatch)
    _regulating(c)
    heater = c.daemon.reg.loads_by_name["ecs"]
    before_w, decisions = heater.current_power_w, c.decisions
    # The house steps down by 400 W, and the main loop is held up 8 s: the readings of those seconds wait in the queue.
    waited = []
    for _ in range(4):
        c.passes(1.0)
        waited.append(c.received(CONS, _house(c, 1600.0)))  # (the meter sees the heater as it was: nothing sent yet)
        c.passes(1.0)
        waited.append(c.received(PROD, reading(3000.0)))
    c.passes(0.5)  # the loop comes back
    for event in waited:
        c.handle(event)
    # One decision on the step, which sends the heater 400 W up when the loop comes back. The readings after it were
    # measured before that command went: taken for its evidence (dated by their age, they came a period after its
    # stamp, the first reading's date), the loop added the same 400 W again on each: the heater at its 2000 W, the
    # house importing 620 W.
    assert heater.current_power_w == pytest.approx(before_w + 400.0, abs=30.0)
    assert c.decisions == decisions + 1
    # A house reading received after the command went shows it: decided on, nothing left to correct.
    risen_w = heater.current_power_w
    for _ in range(3):
        c.passes(1.0)
        c.handle(c.received(CONS, _house(c, 1600.0)))
        c.passes(1.0)
        c.handle(c.received(PROD, reading(3000.0)))
    assert c.decisions > decisions + 1
    assert heater.current_power_w == pytest.approx(risen_w, abs=30.0)
