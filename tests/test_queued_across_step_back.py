"""A message the network thread received before a step back of the wall clock, handled by the main loop after it: the
daemon dates it by its age on the steady clock (shell/daemon.py, _on_message), on the new clock, which may put it before
the commands the main loop sent while it waited, or before the regulator's last tick. The daemon has told the regulator
of the step (_follow_the_clock) first: the core must not take the message's date for a second step back."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import shell.daemon
import shell.daemon_messages
from settings.config import load_settings
from shell.clock_watch import ClockWatch
from shell.daemon import Daemon
from shell.link_events import Message
from shell.lock import InstanceLock
from tests.configs import reading, write_config
from tests.harness import CONS, PROD

FORCE = b'{"command": "force", "name": "ecs", "power": 1000, "duration": 1800}'


class Clocks:
    """A daemon (as after its first connection) on a wall and a steady clock the test moves."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = load_settings(write_config(tmp_path, ("ecs", "radiator"), port=9, algorithm="closed_loop"))
        self.daemon = Daemon(settings, InstanceLock(tmp_path / "test.lock"))
        self.daemon._started = True
        self.wall, self.steady = time.time(), time.monotonic()
        for module in (shell.daemon, shell.daemon_messages):  # (the loop's clocks, and the messages' ages)
            monkeypatch.setattr(module, "time", SimpleNamespace(time=lambda: self.wall, monotonic=time.monotonic))
            monkeypatch.setattr(module, "steady_s", lambda: self.steady)
        self.daemon._clock_watch = ClockWatch(self.wall, self.steady)
        self.decisions = 0
        self.daemon.reg.add_decision_listener(self._decided)

    def _decided(self, _record: object) -> None:
        self.decisions += 1

    def passes(self, wall_s: float, steady_s: float | None = None) -> None:
        """Time passes (`steady_s`), the wall clock moving by `wall_s` (a step when they differ)."""
        self.wall += wall_s
        self.steady += wall_s if steady_s is None else steady_s

    def received(self, topic: str, payload: bytes) -> Message:
        """A message the network thread receives now."""
        return Message(topic, payload, self.steady, False)

    def handle(self, event: Message) -> None:
        """The main loop's pass for an event: the clock followed, then the event."""
        self.daemon._follow_the_clock()
        self.daemon._on_message(event)

    def tick(self) -> None:
        self.daemon._follow_the_clock()
        self.daemon.reg.tick(self.wall)


def test_a_house_reading_queued_before_a_force_is_no_evidence_of_it_after_a_step_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The house reading waited 0.2 s while the main loop handled a force; NTP set the clock back a minute before the
    # loop took the reading. Dated by its age, it was 0.2 s before the force on the new clock: the core took that for
    # a step back after the force and moved the force's command back the minute a second time, and the production
    # reading after it had the loop decide on a house reading from before the force (it corrects again what the force
    # changed).
    c = Clocks(tmp_path, monkeypatch)
    c.tick()
    for _ in range(5):
        c.passes(1.0)
        c.handle(c.received(PROD, reading(3000.0)))
        c.passes(1.0)
        c.handle(c.received(CONS, reading(500.0)))
    assert c.decisions > 0  # (the settle rule waits for a reading after the last command: there was a last one)
    c.passes(1.0)
    c.handle(c.received(PROD, reading(3000.0)))
    c.passes(1.0)
    queued = c.received(CONS, reading(500.0))
    c.passes(0.2)
    c.handle(c.received("regul/mode", FORCE))
    assert c.daemon.reg.loads_by_name["ecs"].last_command_at == c.wall  # (the heater at 2000 W: commanded to 1000)
    decisions = c.decisions
    c.passes(0.3 - 60.0, 0.3)  # NTP sets the clock back a minute
    c.handle(queued)
    c.passes(0.3)
    c.handle(c.received(PROD, reading(3000.0)))
    assert c.decisions == decisions
    c.passes(1.0)  # (the next house reading, 1.2 s after the force, shows it: decided on)
    c.handle(c.received(CONS, reading(2500.0)))
    c.passes(0.5)
    c.handle(c.received(PROD, reading(3000.0)))
    assert c.decisions == decisions + 1


def test_a_message_from_before_a_tick_is_no_step_back_after_a_small_one(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # A reading received while the main loop handled another message (a slow SD card: 0.5 s), handled after the timers'
    # pass; NTP set the clock back 9.8 s meanwhile, told to the core (under 10 s: no step to the forces). Dated by its
    # age on the new clock, it was 10.3 s before the tick's time, which the core took for a step back of 10.3 s of its
    # own: the timed force cut 10.3 s short ("the clock stepped back by 10 s"), 0.5 s before its time had run.
    c = Clocks(tmp_path, monkeypatch)
    c.tick()
    c.handle(c.received("regul/mode", FORCE))
    ecs = c.daemon.reg.loads_by_name["ecs"]
    assert ecs.force_end_at is not None
    left_s = ecs.force_end_at - c.wall
    c.passes(1.0)
    queued = c.received(CONS, reading(500.0))
    c.passes(0.5)
    c.tick()
    c.passes(0.1 - 9.8, 0.1)  # NTP sets the clock back 9.8 s
    c.handle(queued)
    c.tick()
    # (a step back under 10 s leaves the forces their end on the old clock: 9.8 s longer, docs/how-it-decides.md)
    assert ecs.force_end_at - c.wall == pytest.approx(left_s - 1.6 + 9.8, abs=0.01)
