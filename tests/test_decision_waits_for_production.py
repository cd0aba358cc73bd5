"""A house reading that completes the meters' pair waits for the production reading due soon (core/decision_gate.py):
the closed loop decides on the freshest sun the meters' pace allows. Asynchronous meters at a 2 s pace, the
production meter reading 1 s after the house meter unless told; a lost house reading used to put every later decision
on the production reading before (a sun a whole reading older), until a production reading was lost in turn.
The meters' pace (core/meters.py) is the median of their last gaps. The test house: tests/controller_house.py
(a linear heater, 20 W per percent; export setpoint 20 W; settle 1 s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.meters import MeterState
from tests.configs import reading, write_config
from tests.controller_house import ECS, House, closed_loop, watts
from tests.harness import CONS, NOON, PROD, Harness
from values.readings import MeterReading


class Meters:
    """The test house read by two meters out of step: the house meter every `house_s`, the production meter every
    `production_s`, `phase_s` after it; in each run, the house readings `house_jitter_s` and the production
    readings `production_jitter_s` late and early in turn, a pair of readings each (meters at the same pace: each
    pair is one of each); `decided` holds the time of each decision the regulator takes."""

    def __init__(self, tmp_path: Path, house_s: float = 2.0, production_s: float = 2.0, phase_s: float = 1.0,
                 house_jitter_s: float = 0.0, production_jitter_s: float = 0.0) -> None:
        self.h = closed_loop(tmp_path, "ecs")
        self.house = House(self.h, base_w=300, pv_w=1320)
        self.house_s, self.production_s, self.phase_s = house_s, production_s, phase_s
        self.jitter_s = {"consumption": house_jitter_s, "production": production_jitter_s}
        self.decided: list[float] = []
        self.h.reg.add_decision_listener(lambda record: self.decided.append(record.time_s))

    def consumption(self, at: float) -> None:
        self.h.reg.handle(CONS, reading(self.house.base_w + self.house.real_w()), at)
        self.h.reg.tick(at)

    def production(self, at: float) -> None:
        self.h.reg.handle(PROD, reading(self.house.pv_w), at)
        self.h.reg.tick(at)

    def run(self, seconds: float, lose: tuple[str, ...] = ()) -> None:
        """Both meters at their paces from the house's `now` for `seconds`, in time order; a meter named in `lose`
        loses its readings."""
        start, end = self.house.now, self.house.now + seconds
        events = [(start + k * self.house_s, "consumption") for k in range(1, int(seconds / self.house_s) + 1)]
        first = start + self.phase_s - self.house_s
        count = int((seconds + self.house_s) / self.production_s) + 2
        events += [(first + k * self.production_s, "production") for k in range(1, count)
                   if start < first + k * self.production_s <= end]
        for k, (at, meter) in enumerate(sorted(events)):
            if meter not in lose:
                jitter_s = self.jitter_s[meter]
                getattr(self, meter)(at + (jitter_s if k // 2 % 2 else -jitter_s))
        self.house.now = end


def settled(tmp_path: Path) -> Meters:
    """The heater at 1000 W for 1320 W of sun over a 300 W house, the meters' pace known, decisions on the
    production readings."""
    m = Meters(tmp_path)
    m.run(10)
    assert watts(m.h, "ecs") == 1000 and m.decided[-1] == m.house.now - 1
    return m


def after_a_lost_house_reading(m: Meters, pv_w: float | None = None) -> None:
    """From a house reading at `now` (2 s meters): the production reading after it (a decision), the house reading at
    now + 2 lost, the production reading after that (no decision: no new house reading), then (the sun at `pv_w`, if
    given) the house reading at now + 4, which completes the pair; the house's `now` is then that reading's time.
    (These readings come on time, whatever the meters' jitter.)"""
    start = m.house.now
    m.production(start + m.phase_s)
    m.production(start + 2 + m.phase_s)
    if pv_w is not None:
        m.house.pv_w = pv_w
    m.house.now = start + 4
    m.consumption(m.house.now)


def kettle_after_a_lost_house_reading(m: Meters) -> Meters:
    """`m` after 10 s of readings (its paces known), then a kettle (380 W of import) and a lost house reading
    (after_a_lost_house_reading): the house reading that completes the pair has just come."""
    m.run(10)
    m.house.base_w += 400
    after_a_lost_house_reading(m)
    return m


def test_after_a_lost_house_reading_the_decision_waits_for_the_next_production_reading(tmp_path: Path) -> None:
    m = settled(tmp_path)
    h, house = m.h, m.house
    after_a_lost_house_reading(m, pv_w=1820)  # the sun comes out after the production reading the pair has
    # The pair is complete, but the production reading (1320 W) is 1 s old and the next is due in 1 s, which the
    # next house reading would still show: the decision waits for it.
    assert m.decided[-1] == house.now - 3 and h.reg.next_deadline() == house.now + 1  # (the last, before the loss)
    m.production(house.now + 1)
    assert m.decided[-1] == house.now + 1
    assert watts(h, "ecs") == 1500 and h.last(ECS) == "75"  # on the new sun: grid -520 W, 500 W to the heater
    # And the decisions stay on the production readings: the next house reading alone decides nothing.
    house.pv_w = 1620
    m.consumption(house.now + 2)
    assert m.decided[-1] == house.now + 1
    m.production(house.now + 3)
    assert m.decided[-1] == house.now + 3 and watts(h, "ecs") == 1300


def test_a_production_reading_that_does_not_come_lets_the_decision_go_on_the_older_one(tmp_path: Path) -> None:
    m = settled(tmp_path)
    h, house = m.h, m.house
    house.base_w += 400  # a kettle: 380 W of import
    after_a_lost_house_reading(m)
    h.reg.tick(house.now + 0.99)
    assert watts(h, "ecs") == 1000  # waiting for the production reading due at +1 s
    h.reg.tick(house.now + 1)  # it did not come (lost): decided at the latest time whose command the next house
    assert m.decided[-1] == house.now + 1 and watts(h, "ecs") == 600  # reading shows, on the reading it has
    assert h.reg.next_deadline() != house.now + 1  # (no more waiting)
    # The next house reading shows that command (settle 1 s): evidence, the loop goes on at the next production one.
    m.consumption(house.now + 2)
    m.production(house.now + 3)
    assert m.decided[-1] == house.now + 3


def test_a_production_reading_due_early_and_late_is_still_waited_for(tmp_path: Path) -> None:
    # The production meter reads half a second after the house meter: a reading due at +0.5 s is waited for until
    # 0.1 s before the latest time whose command the next house reading shows (+1 s).
    m = kettle_after_a_lost_house_reading(Meters(tmp_path, phase_s=0.5))
    h, house = m.h, m.house
    assert h.reg.next_deadline() == house.now + 0.9
    h.reg.handle(PROD, reading(house.pv_w), house.now + 0.7)  # late, but waited for
    assert m.decided[-1] == house.now + 0.7 and watts(h, "ecs") == 600


def test_a_decision_that_waits_in_vain_goes_on_early_enough_for_a_late_timer(tmp_path: Path) -> None:
    # The timer runs a few milliseconds after its time: the decision still leaves the next house reading as evidence.
    m = kettle_after_a_lost_house_reading(Meters(tmp_path, phase_s=0.5))
    h, house = m.h, m.house
    h.reg.tick(house.now + 0.905)  # the production reading lost
    assert m.decided[-1] == house.now + 0.905 and watts(h, "ecs") == 600
    m.consumption(house.now + 2)  # it shows the command of +0.905 s: evidence (settle 1 s)
    m.production(house.now + 2.5)
    assert m.decided[-1] == house.now + 2.5


def test_meters_whose_jitter_could_make_the_wait_run_out_decide_at_once(tmp_path: Path) -> None:
    # The production meter due just `settle` before the next house reading, both meters 30 ms late or early in turn:
    # a production reading late by that would miss the last moment, and the decision would go on a second later on
    # the readings it has now. It is taken at once, as it was before the wait.
    m = kettle_after_a_lost_house_reading(Meters(tmp_path, house_jitter_s=0.03, production_jitter_s=0.03))
    h, house = m.h, m.house
    assert m.decided[-1] == house.now and watts(h, "ecs") == 600


def test_a_production_meter_whose_jitter_could_bring_it_too_late_is_not_waited_for(tmp_path: Path) -> None:
    # A steady house meter; the production meter due 0.95 s after the house reading, 30 ms late or early in turn
    # (its gaps stray by 60 ms): late by that, it would come after the last moment (+1 s). Decided at once.
    m = kettle_after_a_lost_house_reading(Meters(tmp_path, phase_s=0.95, production_jitter_s=0.03))
    assert m.decided[-1] == m.house.now and watts(m.h, "ecs") == 600


def test_meters_with_jitter_wait_when_there_is_room_for_it(tmp_path: Path) -> None:
    m = kettle_after_a_lost_house_reading(Meters(tmp_path, phase_s=0.5, house_jitter_s=0.03, production_jitter_s=0.03))
    h, house = m.h, m.house
    deadline = h.reg.next_deadline()
    assert deadline is not None and house.now + 0.5 < deadline <= house.now + 0.9
    h.reg.handle(PROD, reading(house.pv_w), house.now + 0.55)  # 50 ms late: waited for
    assert m.decided[-1] == house.now + 0.55 and watts(h, "ecs") == 600


def test_a_production_reading_due_too_late_for_the_next_house_reading_is_not_waited_for(tmp_path: Path) -> None:
    # The production meter reads 1.5 s after the house meter: a decision on it would send its command 0.5 s before
    # the next house reading, which could not show it (settle 1 s), and the loop would decide every other reading.
    m = Meters(tmp_path, phase_s=-0.5)
    h, house = m.h, m.house
    m.run(10)
    assert watts(h, "ecs") == 1000 and m.decided[-1] == house.now  # on the house readings
    house.base_w += 400
    m.run(2)
    assert m.decided[-1] == house.now and watts(h, "ecs") == 600  # at once
    assert h.reg.next_deadline() != house.now + 1.5


def test_a_slow_house_meter_waits_for_the_production_reading_of_a_fast_one(tmp_path: Path) -> None:
    # A house meter every 5 s, a production meter every second: once their paces are known (three gaps), each
    # decision comes with the production reading that follows the house reading (it may wait up to 4 s: 5 s less
    # settle).
    m = Meters(tmp_path, house_s=5.0, production_s=1.0, phase_s=0.3)
    m.run(31)
    assert [round(t - NOON, 1) for t in m.decided[-4:]] == [15.0, 20.3, 25.3, 30.3]


def test_a_house_meter_as_fast_as_settle_never_waits(tmp_path: Path) -> None:
    # Both meters every second, the production meter 0.3 s before the house meter, settle 1 s: a command sent on
    # a production reading would come too late for the next house reading; each decision comes with the house
    # reading that completes the pair.
    m = Meters(tmp_path, house_s=1.0, production_s=1.0, phase_s=-0.3)
    m.run(10)
    assert m.decided[-3:] == [NOON + 8, NOON + 9, NOON + 10]


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
    m = settled(tmp_path)
    h, house = m.h, m.house
    house.base_w += 400
    after_a_lost_house_reading(m)
    assert h.reg.next_deadline() == house.now + 1
    h.reg.clock_stepped_forward(3600)
    assert h.reg.next_deadline() == house.now + 3601
    h.reg.tick(house.now + 3600.5)
    assert watts(h, "ecs") == 1000
    h.reg.tick(house.now + 3601)
    assert watts(h, "ecs") == 600


def test_a_clock_stepped_back_moves_the_wait_with_it_once(tmp_path: Path) -> None:
    # Its end on the clock before the step was a minute "ahead": the production reading lost, the decision waited that
    # minute. Told of the step by the daemon's steady clock, then seen by the core at the next tick: moved once.
    m = settled(tmp_path)
    h, house = m.h, m.house
    house.base_w += 400
    after_a_lost_house_reading(m)
    assert h.reg.next_deadline() == house.now + 1
    h.reg.clock_stepped_back(60.0, house.now - 59.8)
    assert h.reg.next_deadline() == house.now - 59
    h.reg.tick(house.now - 59.5)  # (the core sees the step too: the wait is not moved again)
    assert watts(h, "ecs") == 1000 and h.reg.next_deadline() == house.now - 59
    h.reg.tick(house.now - 59)
    assert watts(h, "ecs") == 600


def test_a_house_reading_after_the_wait_ran_out_untimed_decides_at_once(tmp_path: Path) -> None:
    # No timer ran between (the replay runs them at the readings only): the next house reading is past the wait.
    m = settled(tmp_path)
    h, house = m.h, m.house
    after_a_lost_house_reading(m)
    assert h.reg.next_deadline() == house.now + 1  # waiting; the production reading at +1 s is lost too
    house.now += 2
    house.base_w += 400
    h.reg.handle(CONS, reading(house.base_w + house.real_w()), house.now)
    assert m.decided[-1] == house.now and watts(h, "ecs") == 600  # on this house reading, and the older sun


def test_a_meter_gone_silent_while_a_decision_waits_ends_the_wait(tmp_path: Path) -> None:
    # Its deadline, past and never met while regulation is suspended, would hide the daemon's other timers.
    m = settled(tmp_path)
    h, house = m.h, m.house
    after_a_lost_house_reading(m)
    assert h.reg.next_deadline() == house.now + 1
    h.reg.tick(house.now + 0.5 + 10)  # both meters silent past meter_timeout (10 s): every load off, suspended
    assert watts(h, "ecs") == 0
    assert h.reg.next_deadline() != house.now + 1


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


def test_a_meters_jitter_is_how_far_its_gaps_stray_from_its_pace() -> None:
    assert meter(0, 2, 4, 6).jitter_s() == 0
    assert meter(0, 2, 4, 6.05, 8).jitter_s() == pytest.approx(0.05)  # late once: one gap longer, the next shorter
    assert meter(0, 2, 4, 8, 10).jitter_s() == 0  # a lost reading is no jitter
    assert meter(0, 2, 4).jitter_s() == 0  # pace unknown
    assert meter(0, 2.2, 4.4, 6.6, 8.8).jitter_s() == 0  # (2.2 s apart, give or take a float's rounding)


def test_a_meters_next_reading_is_due_at_its_pace_and_not_waited_for_once_it_is_silent() -> None:
    state = meter(0, 2, 4, 6)
    assert state.next_due_at(6.5) == 8
    assert state.next_due_at(8.2) == 10  # the reading due at 8 is late: the one after it
    assert state.next_due_at(10) is None  # silent for two paces: not waited for
    assert state.next_due_at(5) is None  # a clock stepped back before its last reading
    assert MeterState("production", PROD).next_due_at(0) is None
