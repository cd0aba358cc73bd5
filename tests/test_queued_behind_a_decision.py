"""A decision taken on a message that waited in the queue (the main loop held up: a Pi Zero swapping, say) sends
its commands when the loop gets to it, seconds after the message came. The regulator stamps them with the message's
date, its age on the steady clock: a house reading the network thread received before they really went cannot show
them, and must not be decided on as their evidence (shell/daemon_messages.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shell.link_events import Message
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


def _held_up(c: Clocks, held_s: float) -> list[Message]:
    """The house steps down by 400 W, its readings every 2 s and the production's between them, while the main loop is
    held up `held_s` after the first: what waited in the queue, in order."""
    waited = []
    for n in range(1, 6):
        c.passes(1.0)
        waited.append(c.received(CONS, _house(c, 1600.0 + n)))  # (a real meter's readings differ: no frozen meter)
        c.passes(1.0)
        waited.append(c.received(PROD, reading(3000.0 + n)))
    c.passes(held_s - 9.0)
    return waited


def test_a_live_meter_is_not_cut_as_silent_after_a_late_decision(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # The loop held up 8.5 s after the step's first house reading. The readings that waited behind it were dated with
    # it (the fix's first form): the house meter's last reading "8.5 s old" as the loop came back, 10 s old when its
    # next reading came 0.3 s late: "consumption meter silent for 10 s", every load cut, the meter read every 2 s.
    c = Clocks(tmp_path, monkeypatch)
    _regulating(c)
    waited = _held_up(c, 8.5)
    decisions = c.decisions
    for event in waited:
        c.handle(event)
    assert c.decisions == decisions + 1
    for _ in range(6):  # the timers' passes until the next house reading, 0.3 s late (its Wi-Fi)
        c.passes(0.3)
        c.tick()
    assert c.daemon.reg._stale_guard.reason is None


def test_a_reading_that_waited_behind_a_late_decision_is_no_step_back_of_the_clock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # The loop held up 9.9 s after the step's first house reading, decided on it, then a moment more (0.3 s) with a
    # timers' pass. The readings behind it, dated with the first (the fix's first form), were 10.2 s before that pass:
    # the core took them for the clock stepped back by 10 s (a timed force given 10 s more, the meters cut as silent).
    c = Clocks(tmp_path, monkeypatch)
    c.tick()
    c.handle(c.received("regul/mode", b'{"command": "force", "name": "radiator", "power": 0, "duration": 1800}'))
    radiator = c.daemon.reg.loads_by_name["radiator"]
    _regulating(c)
    assert radiator.force_end_at is not None
    ends_at = radiator.force_end_at
    waited = _held_up(c, 9.9)
    decisions = c.decisions
    c.handle(waited[0])
    assert c.decisions == decisions + 1
    c.passes(0.3)
    c.tick()
    for event in waited[1:]:
        c.handle(event)
    c.tick()
    assert radiator.force_end_at == ends_at
    assert c.daemon.reg._stale_guard.reason is None
    assert "stepped back" not in caplog.text
