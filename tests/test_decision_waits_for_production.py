"""A house reading that completes the meters' pair waits for the production reading due soon (core/decision_gate.py):
the closed loop decides on the freshest sun the meters' pace allows. Asynchronous meters at a 2 s pace, the
production meter reading 1 s after the house meter; a lost house reading used to put every later decision on the
production reading before (a sun a whole reading older), until a production reading was lost in turn.
The meters' pace (core/meters.py) is the median of their last gaps. The test house: tests/controller_house.py
(a linear heater, 20 W per percent; export setpoint 20 W; settle 1 s)."""

from __future__ import annotations

from pathlib import Path

from core.meters import MeterState
from tests.configs import reading, write_config
from tests.controller_house import ECS, House, closed_loop, watts
from tests.harness import CONS, NOON, PROD, Harness
from values.readings import MeterReading


def in_step(h: Harness, house: House, readings: int) -> None:
    """`readings` pairs at a 2 s pace: the house meter at NOON + 2k, the production meter 1 s after it."""
    for _ in range(readings):
        house.now += 2
        h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
        h.reg.tick(house.now)
        h.reg.handle(PROD, reading(house.pv_w), house.now + 1)
        h.reg.tick(house.now + 1)


def settled(tmp_path: Path) -> tuple[Harness, House]:
    """The heater at 1000 W for 1320 W of sun over a 300 W house, the meters' pace known."""
    h = closed_loop(tmp_path, "ecs")
    house = House(h, base_w=300, pv_w=1320)
    house.now = NOON
    in_step(h, house, 5)
    assert watts(h, "ecs") == 1000
    return h, house


def test_after_a_lost_house_reading_the_decision_waits_for_the_next_production_reading(tmp_path: Path) -> None:
    h, house = settled(tmp_path)
    house.now += 2  # the house reading at this time is lost
    h.reg.handle(PROD, reading(house.pv_w), house.now + 1)  # no decision: no new house reading
    house.now += 2
    house.pv_w = 1820  # the sun comes out between the production reading and the next
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    h.reg.tick(house.now)
    # The pair is complete, but the production reading (1320 W) is 1 s old and the next is due in 1 s, which the
    # next house reading would still show: the decision waits for it.
    assert watts(h, "ecs") == 1000 and h.reg.next_deadline() == house.now + 1
    h.reg.handle(PROD, reading(house.pv_w), house.now + 1)
    assert watts(h, "ecs") == 1500 and h.last(ECS) == "75"  # on the new sun: grid -520 W, 500 W to the heater
    # And the decisions stay on the production readings: the next house reading alone decides nothing.
    sent = len(h.on(ECS))
    house.pv_w = 1620
    house.now += 2
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    h.reg.tick(house.now)
    assert len(h.on(ECS)) == sent
    h.reg.handle(PROD, reading(house.pv_w), house.now + 1)
    assert watts(h, "ecs") == 1300


def test_a_production_reading_that_does_not_come_lets_the_decision_go_on_the_older_one(tmp_path: Path) -> None:
    h, house = settled(tmp_path)
    house.now += 2  # the house reading at this time is lost
    h.reg.handle(PROD, reading(house.pv_w), house.now + 1)
    house.now += 2
    house.base_w += 400  # a kettle: 380 W of import
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    h.reg.tick(house.now + 0.5)
    assert watts(h, "ecs") == 1000  # waiting for the production reading due at +1 s
    h.reg.tick(house.now + 0.99)
    assert watts(h, "ecs") == 1000
    h.reg.tick(house.now + 1)  # it did not come (lost): decided at the latest time whose command the next house
    assert watts(h, "ecs") == 600  # reading shows, on the production reading it has
    assert h.reg.next_deadline() != house.now + 1
    # The next house reading shows that command (settle 1 s): it is evidence, the loop goes on at its pace.
    house.now += 2
    h.reg.handle(PROD, reading(house.pv_w), house.now - 1.5)  # (a production reading at last, late)
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    h.reg.tick(house.now)
    assert watts(h, "ecs") == 600


def test_a_production_reading_due_too_late_for_the_next_house_reading_is_not_waited_for(tmp_path: Path) -> None:
    # The production meter reads 1.5 s after the house meter: a decision on it would send its command 0.5 s before
    # the next house reading, which could not show it (settle 1 s), and the loop would decide every other reading.
    h = closed_loop(tmp_path, "ecs")
    house = House(h, base_w=300, pv_w=1320)
    for _ in range(5):
        house.now += 2
        h.reg.handle(PROD, reading(house.pv_w), house.now - 0.5)
        h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    assert watts(h, "ecs") == 1000
    house.base_w += 400
    house.now += 2
    h.reg.handle(PROD, reading(house.pv_w), house.now - 0.5)
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    assert watts(h, "ecs") == 600  # decided on the house reading, at once
    assert h.reg.next_deadline() != house.now + 1.5


def test_hebert_never_waits(tmp_path: Path) -> None:
    h = Harness(write_config(tmp_path, ("ecs",), period=1, algorithm="hebert"))
    now = NOON
    for _ in range(5):
        now += 2
        h.reg.handle(CONS, reading(300), now)
        h.reg.handle(PROD, reading(300), now + 1)
    assert not any(float(p) > 0 for p in h.on(ECS))
    now += 2  # a house reading lost, then the sun
    h.reg.handle(PROD, reading(1300), now + 1)
    now += 2
    h.reg.handle(CONS, reading(300), now)  # completes the pair: Hébert's rule decides on it at once
    assert float(h.last(ECS) or 0) > 0 and h.reg.next_deadline() != now + 1


def test_a_clock_stepped_forward_moves_the_wait_with_it(tmp_path: Path) -> None:
    h, house = settled(tmp_path)
    house.now += 2  # a house reading lost
    h.reg.handle(PROD, reading(house.pv_w), house.now + 1)
    house.now += 2
    house.base_w += 400
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    assert h.reg.next_deadline() == house.now + 1
    h.reg.clock_stepped_forward(3600)
    assert h.reg.next_deadline() == house.now + 3601
    h.reg.tick(house.now + 3600.5)
    assert watts(h, "ecs") == 1000
    h.reg.tick(house.now + 3601)
    assert watts(h, "ecs") == 600


def meter(*received_at: float) -> MeterState:
    state = MeterState("production", PROD)
    for at in received_at:
        state.accept(MeterReading(1000.0, at))
    return state


def test_a_meters_pace_is_the_median_of_its_last_gaps() -> None:
    assert meter(0, 2, 4).pace_s() is None  # two gaps: too few to tell
    assert meter(0, 2, 4, 6).pace_s() == 2
    assert meter(0, 2, 4, 8, 10).pace_s() == 2  # a lost reading's gap of 4 s does not move it
    assert meter(0, 2, 4, 6, 6.5, 8).pace_s() == 2  # nor a late and an early one
    assert meter(*range(0, 30, 5), 30, 32, 34, 36).pace_s() == 2  # a meter set to another pace: after 3 gaps
    assert len(meter(*range(100)).gaps_s) == 5


def test_a_meters_next_reading_is_due_at_its_pace_and_not_waited_for_once_it_is_silent() -> None:
    state = meter(0, 2, 4, 6)
    assert state.next_due_at(6.5) == 8
    assert state.next_due_at(8.2) == 10  # the reading due at 8 is late: the one after it
    assert state.next_due_at(10) is None  # silent for two paces: not waited for
    assert state.next_due_at(5) is None  # a clock stepped back before its last reading
    assert MeterState("production", PROD).next_due_at(0) is None


def test_a_house_reading_after_the_wait_ran_out_untimed_decides_at_once(tmp_path: Path) -> None:
    # No timer ran between (the replay ticks only at the readings): the next house reading is past the wait's end.
    h, house = settled(tmp_path)
    house.now += 2  # a house reading lost
    h.reg.handle(PROD, reading(house.pv_w), house.now + 1)
    house.now += 2
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    assert h.reg.next_deadline() == house.now + 1  # waiting; the production reading at +1 s is lost too
    house.now += 2
    house.base_w += 400
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    assert watts(h, "ecs") == 600  # decided on this house reading, with the production reading it has
