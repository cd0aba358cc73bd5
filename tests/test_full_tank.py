"""Full-tank detection with the load's own meter (the seed's rule), and the daily clear at init_at and midnight
(Europe/Paris, DST days included). Readings are real PZEM bytes. Inferred from the house meter:
test_full_tank_inferred_probes and test_full_tank_inferred_loop."""

from __future__ import annotations

import pytest

from field.full_tank import MeteredFullTank, daily_clear_due
from tests.full_tank_house import PARIS, at, pzem, watts

# --- with the load's own meter --------------------------------------------------------------------------

def test_five_low_readings_in_a_row_make_it_full() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    verdicts = [tank.on_reading(watts(pzem(p)), 1500, t0 + 2 * i) for i, p in enumerate([0, 3.2, 0, 4.99, 0])]
    assert verdicts == [False, False, False, False, True]
    assert tank.full
    assert not tank.on_reading(0.0, 1500, t0 + 10)  # says it once


def test_a_reading_of_5_w_or_more_restarts_the_count() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    for i, p in enumerate([0, 0, 0, 0, 5.0, 0, 0, 0, 0]):
        assert not tank.on_reading(watts(pzem(p)), 1500, t0 + 2 * i)
    assert tank.on_reading(0.0, 1500, t0 + 18)


def test_readings_10_s_apart_do_not_chain() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    for i in range(8):
        assert not tank.on_reading(0.0, 1500, t0 + 10 * i)  # the meter dropped out between each
    assert not tank.full
    assert [tank.on_reading(0.0, 1500, t0 + 100 + 9.9 * i) for i in range(5)][-1] is True


def test_a_command_below_min_power_is_no_evidence() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    for i in range(10):
        assert not tank.on_reading(0.0, 149, t0 + 2 * i)  # the triac misfires down there anyway
    for i in range(4):
        tank.on_reading(0.0, 150, t0 + 30 + 2 * i)
    assert not tank.full  # the low-command readings did not count towards the five


def test_clear_lets_the_load_take_power_again() -> None:
    tank = MeteredFullTank("ecs", min_power_w=150)
    for i in range(5):
        tank.on_reading(0.0, 2000, 100.0 + i)
    assert tank.full
    tank.clear()
    assert not tank.full
    assert not any(tank.on_reading(0.0, 2000, 200.0 + i) for i in range(4))


def part_falls(*readings: tuple[float, float]) -> list[bool]:
    """MeteredFullTank.part_fall after each of `readings` (watts read, watts commanded), 2 s apart."""
    tank = MeteredFullTank("ecs", min_power_w=150)
    t0 = at(2024, 6, 1, 14)
    falls = []
    for i, (measured_w, commanded_w) in enumerate(readings):
        tank.on_reading(measured_w, commanded_w, t0 + 2 * i)
        falls.append(tank.part_fall(t0 + 2 * i + 1))
    return falls


def test_a_reading_that_falls_by_a_quarter_under_a_held_command_is_in_doubt_until_the_next() -> None:
    # The first half of a thermostat's cut its meter's period splits in two, then the second half (the low run's own)
    assert part_falls((2000, 2000), (2000, 2000), (1000, 2000), (0, 2000)) == [False, False, True, False]
    assert part_falls((2000, 2000), (1000, 2000)) == [False, True]  # (nothing before to tell by: in doubt)
    assert part_falls((2000, 2000), (2000, 2000), (1000, 2300)) == [False, False, True]  # (the loop raising it)
    assert part_falls((2000, 2000), (2000, 2000), (1600, 2000)) == [False, False, False]  # (under a quarter)
    assert part_falls((2000, 2000), (2000, 2000), (1000, 1000)) == [False, False, False]  # (the loop took it down)


def test_the_loop_s_move_down_read_a_reading_late_is_no_part_fall() -> None:
    # A meter a reading late (published just after the decision that took the heater down, or averaging over its
    # period): the reading after the move still shows the command before, the next one the move, the command held
    # since. It put the heater's watts in doubt for a reading, each time the loop took it down by a quarter (a load of
    # unknown power not tried, a relay before it not given its watts); the replays with the own meter read after the
    # production reading: twice a day.
    assert part_falls((2000, 2000), (2000, 2000), (2000, 500), (500, 500)) == [False] * 4
    assert part_falls((2000, 2000), (2000, 2000), (1250, 500), (500, 500)) == [False] * 4  # (averaged: split)
    assert part_falls((2000, 2000), (2000, 2000), (2000, 500), (500, 2000)) == [False] * 4  # (and up again)
    # ...the command held since: a fall is in doubt again
    assert part_falls((2000, 2000), (2000, 500), (500, 500), (500, 500), (300, 500))[-1]


# --- the daily clear ------------------------------------------------------------------------------------

@pytest.mark.parametrize("since, now, due", [
    (at(2024, 6, 1, 5, 59), at(2024, 6, 1, 6, 0, 1), True),  # init_at passed
    (at(2024, 6, 1, 6, 0, 1), at(2024, 6, 1, 23, 59), False),
    (at(2024, 6, 1, 23, 59), at(2024, 6, 2, 0, 0, 30), True),  # midnight
    (at(2024, 6, 2, 0, 0, 30), at(2024, 6, 2, 5, 59, 59), False),
    (at(2024, 6, 1, 6, 0, 0), at(2024, 6, 1, 6, 0, 0), False),  # exactly at it, already checked
    (at(2024, 5, 31, 20), at(2024, 6, 1, 8), True),  # restart: saved status time as `since`
])
def test_clear_at_init_at_and_midnight(since: float, now: float, due: bool) -> None:
    assert daily_clear_due(since, now, PARIS, init_at_hour=6) is due


def test_clear_on_the_spring_forward_day_when_init_at_does_not_exist() -> None:
    # 2024-03-31: 02:00 CET jumps to 03:00 CEST; an init_at of 2 happens at the jump.
    assert not daily_clear_due(at(2024, 3, 31, 0, 30), at(2024, 3, 31, 1, 59), PARIS, init_at_hour=2)
    assert daily_clear_due(at(2024, 3, 31, 1, 59), at(2024, 3, 31, 3, 0, 1), PARIS, init_at_hour=2)


def test_clear_once_on_the_fall_back_day_when_init_at_happens_twice() -> None:
    # 2024-10-27: 03:00 CEST falls back to 02:00 CET; 02:00 is lived twice, cleared the first time only.
    first_0230 = at(2024, 10, 27, 2, 30, fold=0)
    second_0230 = at(2024, 10, 27, 2, 30, fold=1)
    assert second_0230 - first_0230 == 3600
    assert daily_clear_due(at(2024, 10, 27, 1, 59), first_0230, PARIS, init_at_hour=2)
    assert not daily_clear_due(first_0230, second_0230, PARIS, init_at_hour=2)


def test_clear_with_the_system_time_zone() -> None:
    t = at(2024, 6, 1, 12)
    assert daily_clear_due(t - 2 * 86400, t, None, init_at_hour=6)  # two days: both passed, whatever the zone
    assert not daily_clear_due(t, t, None, init_at_hour=6)
