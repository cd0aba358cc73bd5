"""The closed loop's evidence across a wall clock stepped back (NTP correcting a Pi's clock, which has no clock chip):
a command sent before the step is dated on the new clock (core/decision_gate.py, DecisionGate.clock_stepped_back), so
the decisions neither stall until the clock comes back to its stamp, nor take a reading within `settle` of it for one
that shows it. A step over 10 s the core sees by itself in the stamps (measured from its last message or tick: the
time since is not counted, the wait a reading longer at most); any step, the daemon's steady clock measures and hands
over (test_a_step_back_is_handed_to_the_regulator_however_small). Their stamps are the wall clock's; `real` below is
the time that passed, which the tests judge by."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.configs import reading
from tests.controller_house import House, closed_loop
from tests.harness import CONS, MODE, NOON, PROD, Harness


class SteppedHouse(House):
    """A house whose wall clock (`now`, the readings' stamps) may step back; `real` is the time that passed. Lists
    each reading's real time and whether it was decided on, and each command's real time."""

    def __init__(self, h: Harness, base_w: float, pv_w: float) -> None:
        super().__init__(h, base_w, pv_w)
        self.real = self.now
        self.decided: list[tuple[float, bool]] = []  # (a house reading's real time, decided on)
        self.commands_real: list[float] = []  # every command's real time
        self._decisions = 0
        h.reg.add_decision_listener(self._count)

    def _count(self, _record: object) -> None:
        self._decisions += 1

    def step_back(self, step_s: float) -> None:
        self.now -= step_s

    def read(self, dt_s: float = 2.0) -> None:
        self.real += dt_s
        stamps = [load.last_command_at for load in self.h.reg.loads]
        before = self._decisions
        super().read(dt_s)
        self.decided.append((self.real, self._decisions > before))
        if [load.last_command_at for load in self.h.reg.loads] != stamps:
            self.commands_real.append(self.real)

    def early_decisions(self, settle_s: float) -> list[float]:
        """The real times of decisions on a house reading taken within `settle_s` of a command before it."""
        early = []
        for at, decided in self.decided:
            before = [sent for sent in self.commands_real if sent < at]
            if decided and before and at - before[-1] < settle_s:
                early.append(at)
        return early

    def longest_stall(self, since: float) -> float:
        """The longest time between two decisions (or `since` and the first) in real time."""
        times = [since] + [at for at, decided in self.decided if decided and at > since]
        return max(b - a for a, b in zip(times, times[1:], strict=False))


def _settled(tmp_path: Path, settle_s: float = 1.0) -> tuple[Harness, SteppedHouse]:
    """The heater just moved (its command's stamp the latest), the house steady after it."""
    h = closed_loop(tmp_path, "ecs", evaluate_options=f"settle = {settle_s:g}\n")
    house = SteppedHouse(h, base_w=300, pv_w=1300)
    for _ in range(3):
        house.read()
    house.pv_w += 300
    house.read()
    assert house.commands_real[-1] == house.real
    return h, house


@pytest.mark.parametrize("step_s", [60.0, 3600.0])
def test_a_step_back_with_no_command_after_it_never_stalls_the_decisions(tmp_path: Path, step_s: float) -> None:
    # Nothing to command after the step: the last command kept its stamp, "in the future". The readings more than 10 s
    # before it were taken for a clock stepped back; those within 10 s of it, before it, and up to `settle` after it,
    # were not evidence: 14 s without a decision (seven readings), step_s - 12 s after the step.
    _h, house = _settled(tmp_path)
    stepped_at = house.real
    house.step_back(step_s)
    while house.real < stepped_at + step_s + 20:
        house.read()
    assert house.longest_stall(stepped_at) <= 4.0  # (the first reading after the step: see the next test)
    assert house.early_decisions(1.0) == []


@pytest.mark.parametrize("step_s", [60.0, 3600.0])
def test_the_first_reading_after_a_step_back_within_settle_of_a_command_is_no_evidence(tmp_path: Path,
                                                                                      step_s: float) -> None:
    # settle 3 s, a reading every 2 s: the one 2 s after the heater's move does not show it. Stamped long before the
    # command's stamp, it was taken for a clock stepped back and decided on: the move corrected again. (The core
    # measures the step from its last reading, 2 s short: the reading after is not taken either, a reading late.)
    _h, house = _settled(tmp_path, settle_s=3.0)
    stepped_at = house.real
    house.step_back(step_s)
    for _ in range(10):
        house.base_w += 40  # (the heater moved at each decision)
        house.read()
    assert house.decided[-10] == (stepped_at + 2, False)
    assert house.early_decisions(3.0) == []
    assert house.longest_stall(stepped_at) <= 6.0


def test_a_command_after_a_step_back_is_later_than_one_stamped_before_it(tmp_path: Path) -> None:
    # The radiator switched, the clock set back a minute, then the heater moved: the radiator's stamp was the latest,
    # "a minute ahead" of every reading, so each was taken for a clock stepped back, and the reading 2 s after the
    # heater's move (settle 3 s) was decided on.
    h = closed_loop(tmp_path, "ecs", "radiator", dwell_s=(0, 0), evaluate_options="settle = 3\n")
    house = SteppedHouse(h, base_w=300, pv_w=300 + 2000 + 20)
    for _ in range(3):
        house.read(4)
    house.pv_w += 1200
    house.read(4)
    radiator = h.load("radiator")
    assert radiator.is_on and radiator.last_command_at == house.now
    switched_at = house.now
    house.step_back(60.0)
    ecs = h.load("ecs")
    while ecs.current_power_w == 2000:
        house.base_w += 60  # (a kettle warming up: the heater lowered)
        house.read()
    assert radiator.last_command_at == switched_at  # (the latest by stamp, a minute "ahead")
    house.base_w += 60
    house.read()  # 2 s after the heater's move
    assert house.decided[-1][1] is False
    assert house.early_decisions(3.0) == []


@pytest.mark.parametrize("step_s", [1.0, 5.0, 9.0, 11.0])
def test_a_small_step_back_told_by_the_daemon_holds_no_decision(tmp_path: Path, step_s: float) -> None:
    # Under 10 s (and up to `settle` and a reading over it) the core cannot tell a step from two threads' stamps out of
    # order: a step of 5 s held the decisions 6 s, one of 9 s 10 s, one of 11 s 12 s (the readings stamped before the
    # command until the clock came back to it). The daemon's steady clock measured it: told, no reading waits.
    h, house = _settled(tmp_path)
    stepped_at = house.real
    house.step_back(step_s)
    h.reg.clock_stepped_back(step_s, house.now + 0.5)  # (the daemon's next pass, half a second after the command)
    for _ in range(10):
        house.read()
    assert house.longest_stall(stepped_at) == 2.0
    assert house.early_decisions(1.0) == []


def test_a_step_told_by_the_daemon_then_seen_by_the_core_moves_the_commands_once(tmp_path: Path) -> None:
    # The daemon measured the minute exactly; the core sees the readings' stamps go back by as much at the next
    # reading: moved twice, the last command was taken for two minutes old, and the reading 2 s after it (settle 3 s)
    # was decided on.
    h, house = _settled(tmp_path, settle_s=3.0)
    stepped_at = house.real
    house.step_back(60.0)
    h.reg.clock_stepped_back(60.0, house.now + 0.5)
    for _ in range(6):
        house.read()
    assert [decided for _, decided in house.decided[-6:]] == [False, True, True, True, True, True]
    assert house.early_decisions(3.0) == []
    assert house.longest_stall(stepped_at) == 4.0


@pytest.mark.parametrize(("step_s", "after_s"), [(1.5, 0.5), (1.5, 1.6), (1.9, 1.95), (1.2, 1.8)])
def test_a_step_back_told_after_its_length_since_the_last_command_holds_no_decision(
        tmp_path: Path, step_s: float, after_s: float) -> None:
    # A step back of 1.5 s half a second after a decision: the `period` (1 s) counted from the decision's stamp, "ahead"
    # of the next reading (2 s after it, stamped 0.5 s after it), held that reading back. And one 1.6 s after the
    # command, stamped before the time the step came back to, was not moved: the reading 2 s after it, stamped 0.5 s
    # after it, was taken for one within `settle` (1 s) of it. Either way a reading lost, 4 s between decisions.
    h, house = _settled(tmp_path)
    stepped_at = house.real
    house.step_back(step_s)
    h.reg.clock_stepped_back(step_s, house.now + after_s)  # (the daemon's next pass, `after_s` after the command)
    for _ in range(10):
        house.read()
    assert house.longest_stall(stepped_at) == 2.0
    assert house.early_decisions(1.0) == []


@pytest.mark.parametrize("back_s", [0.3, 1.5, 30.0])
def test_a_forward_jump_then_a_step_back_holds_no_decision(tmp_path: Path, back_s: float) -> None:
    # A Pi's boot: NTP sets the clock days ahead, then corrects it back a little. The step back 1.5 s after the last
    # command (of 1.5 s) left it at its stamp: the next reading lost (test above).
    h, house = _settled(tmp_path)
    stepped_at = house.real
    house.now += 3 * 86400.0
    h.reg.clock_stepped_forward(3 * 86400.0)
    for _ in range(3):
        house.pv_w += 100
        house.read()
    house.step_back(back_s)
    h.reg.clock_stepped_back(back_s, house.now + 1.5)
    for _ in range(5):
        house.pv_w += 100
        house.read()
    assert house.longest_stall(stepped_at) == 2.0
    assert house.early_decisions(1.0) == []


def test_many_small_steps_back_neither_stall_nor_pile_up(tmp_path: Path) -> None:
    # A Pi's clock corrected back at every reading (2000 steps of 0.2 s; 10 000 tried once): each dated on the new
    # clock, by load, one entry each at most.
    h, house = _settled(tmp_path)
    stepped_at = house.real
    for k in range(2000):
        house.step_back(0.2)
        h.reg.clock_stepped_back(0.2, house.now + 0.3)
        if k % 7 == 0:
            house.pv_w += 50 if k % 2 else -50
        house.read()
    assert house.longest_stall(stepped_at) == 2.0
    assert house.early_decisions(1.0) == []
    assert len(h.reg._gate._moved) <= len(h.reg.loads)


def _forced_between_the_readings(tmp_path: Path) -> tuple[Harness, list[float], float]:
    """Meters out of step (the house at even seconds, production at odd ones, each decision on a production reading),
    then a force: its command at `t`, the next house reading 0.2 s after it (no evidence, `settle` 1 s). Returns the
    harness, the decisions' times and `t`."""
    h = closed_loop(tmp_path, "ecs")
    decided: list[float] = []
    h.reg.add_decision_listener(lambda record: decided.append(record.time_s))
    now = NOON
    for _ in range(4):
        h.reg.handle(CONS, reading(300 + h.load("ecs").current_power_w), now)
        h.reg.handle(PROD, reading(1300), now + 1.0)
        now += 2.0
    forced_at = now - 0.2
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 1000, "duration": 600}', forced_at)
    h.reg.handle(CONS, reading(1300), now)
    return h, decided, forced_at


@pytest.mark.parametrize("step_s", [1.0, 5.0, 60.0])
def test_a_house_reading_before_a_told_step_back_keeps_its_distance_from_a_command_before_it(
        tmp_path: Path, step_s: float) -> None:
    # The daemon measured the step, 0.7 s after the house reading, and every command was moved by it, but not the
    # house reading from before it: 0.2 s after the force, it was taken for one `step_s` + 0.2 s after it, and the
    # production reading's decision was taken on it. (Over 10 s, the reading's age restarted at the production
    # reading, the step's time or later: as far from the force.)
    h, decided, forced_at = _forced_between_the_readings(tmp_path)
    h.reg.clock_stepped_back(step_s, forced_at + 0.9 - step_s)
    before = len(decided)
    h.reg.handle(PROD, reading(1300), forced_at + 1.2 - step_s)
    assert len(decided) == before  # (the house reading, 0.2 s after the force, does not show it)
    h.reg.handle(CONS, reading(1300), forced_at + 2.2 - step_s)
    h.reg.handle(PROD, reading(1300), forced_at + 3.2 - step_s)
    assert len(decided) == before + 1


def test_a_house_reading_before_a_step_back_the_core_saw_keeps_its_distance_from_a_command_before_it(
        tmp_path: Path) -> None:
    # No one told the step (a replay): the core measured it from its last tick, 1.05 s after the force, and moved the
    # force by that much; the house reading 0.2 s after the force, its age restarted at the production reading, was
    # taken for one 1.05 s after it.
    h, decided, forced_at = _forced_between_the_readings(tmp_path)
    h.reg.tick(forced_at + 1.05)
    before = len(decided)
    h.reg.handle(PROD, reading(1300), forced_at + 1.15 - 60.0)
    assert len(decided) == before
