"""The oracle on its own: priority order, whole relays, real maxima, tanks that fill."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.oracle import OracleLoad, allocate

ECS = OracleLoad("ecs", variable=True, max_w=2000)
RADIATOR = OracleLoad("radiator", variable=False, max_w=1000)
PLUG = OracleLoad("plug", variable=False, max_w=300)


def test_variable_load_takes_the_surplus_up_to_its_max() -> None:
    assert allocate([500, 2500, 0, -300], [ECS], 2) == [(500,), (2000,), (0,), (0,)]


def test_variable_load_gets_nothing_below_its_min_power() -> None:
    # A regulator gives a variator at least its min_power or nothing (the triac misfires below): so does
    # the oracle, and the surplus it could not use goes down the priority order.
    ecs = OracleLoad("ecs", variable=True, max_w=2000, min_w=150)
    assert allocate([100, 149.9, 150, 2500], [ecs], 2) == [(0,), (0,), (150,), (2000,)]
    assert allocate([1100], [OracleLoad("ecs", variable=True, max_w=2000, tank_room_wh=0.0, min_w=150),
                             RADIATOR], 2) == [(0, 1000)]
    assert allocate([1120], [RADIATOR, ecs], 2) == [(1000, 0)]  # 120 W left: under the heater's floor


def test_relay_only_when_what_is_left_covers_it_whole() -> None:
    assert allocate([999, 1000, 1300], [RADIATOR, PLUG], 2) == [(0, 300), (1000, 0), (1000, 300)]


def test_priority_order_first_served_first() -> None:
    # The heater first takes all it can; the radiator gets the rest only if it fits whole.
    assert allocate([2500, 3100], [ECS, RADIATOR, PLUG], 2) == [(2000, 0, 300), (2000, 1000, 0)]
    # In the other order the relay goes first, the heater takes what is left.
    assert allocate([2500], [RADIATOR, ECS], 2) == [(1000, 1500)]


def test_tanks_fill_as_they_go_and_then_take_nothing() -> None:
    tank = OracleLoad("ecs", variable=True, max_w=1800, tank_room_wh=2.0)
    # 1800 W for 2 s = 1 Wh; the second period has 1 Wh of room left; then the thermostat has cut.
    assert allocate([3000, 3000, 3000], [tank, RADIATOR], 2) == [(1800, 1000), (1800, 1000), (0, 1000)]
    half = OracleLoad("ecs", variable=True, max_w=1800, tank_room_wh=1.5)
    rows = allocate([3000, 3000, 3000], [half, PLUG], 2)
    assert rows[1][0] == pytest.approx(900)  # half a period's worth: its mean watts
    assert rows[2] == (0, 300)


def test_full_tank_takes_nothing_from_the_start() -> None:
    full = OracleLoad("ecs", variable=True, max_w=1800, tank_room_wh=0.0)
    assert allocate([2000], [full, RADIATOR], 2) == [(0, 1000)]


loads_strategy = st.lists(
    st.builds(OracleLoad, name=st.just("x"), variable=st.booleans(),
              max_w=st.floats(1, 3000), tank_room_wh=st.one_of(st.none(), st.floats(0, 5)),
              min_w=st.floats(0, 500)),
    min_size=1, max_size=4)


@given(surplus=st.lists(st.floats(-5000, 8000), max_size=30), loads=loads_strategy,
       period_s=st.floats(0.5, 10))
def test_never_imports_never_exceeds_a_load_or_its_tank(surplus: list[float], loads: list[OracleLoad],
                                                        period_s: float) -> None:
    rows = allocate(surplus, loads, period_s)
    assert len(rows) == len(surplus)
    taken_wh = [0.0] * len(loads)
    for available, row in zip(surplus, rows, strict=True):
        assert sum(row) <= max(available, 0) + 1e-6
        for i, (load, watts) in enumerate(zip(loads, row, strict=True)):
            assert 0 <= watts <= load.max_w + 1e-9
            if not load.variable and load.tank_room_wh is None:
                assert watts in (0, load.max_w)
            if load.variable and load.tank_room_wh is None:
                assert watts == 0 or watts >= min(load.min_w, load.max_w)
            taken_wh[i] += watts * period_s / 3600
    for load, wh in zip(loads, taken_wh, strict=True):
        if load.tank_room_wh is not None:
            assert wh <= load.tank_room_wh + 1e-6
