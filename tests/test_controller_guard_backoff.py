"""Guard sheds in a row back a relay off (core/relay_dwell.py's RelayClock): from the second, each doubles its
rest, up to half an hour, and the surplus must last a minute before it is switched on again; a cloud's shed (the
import from production's fall) grows the row to two at most; a whole on stretch, a long rest or someone else's
command ends the row. The test house: tests/controller_house.py."""

from __future__ import annotations

from pathlib import Path

from core.relay_dwell import MAX_BACKOFF_S, RelayClock
from tests.controller_house import RADIATOR, House, closed_loop


def shed_by_the_guard(house: House) -> float:
    """An appliance's burst (an oven's thermostat) long enough for the guard to shed the radiator; over at once.
    Returns the shed time."""
    h = house.h
    assert h.last(RADIATOR) == "ON"
    # (the burst starts a reading after the radiator's switch on, and ends a reading after its shed: at the switches'
    # own next readings, the radiator's step and the burst's read as one of 2000 W, and three taught it so)
    house.read()
    house.base_w += 1000  # 1000 W of import
    while h.last(RADIATOR) == "ON":
        house.read()
    shed_at = house.now
    house.read()
    house.base_w -= 1000
    return shed_at


def shed_by_a_cloud(house: House) -> float:
    """A cloud long enough for the guard to shed the radiator; the sun back at once. Returns the shed time."""
    h = house.h
    assert h.last(RADIATOR) == "ON"
    house.pv_w -= 1000  # 1000 W of import
    while h.last(RADIATOR) == "ON":
        house.read()
    house.pv_w += 1000
    return house.now


def off_for(house: House, since: float | None = None) -> float:
    """Reads until the radiator is on again; the seconds it stayed off (since `since`, else now)."""
    since = house.now if since is None else since
    while house.h.last(RADIATOR) == "OFF":
        house.read()
    return house.now - since


def test_from_the_second_guard_shed_in_a_row_each_doubles_the_relays_rest(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator")  # min_on_s 600, min_off_s 120
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    shed_at = shed_by_the_guard(house)
    assert off_for(house, shed_at) == 120  # one shed is a cloud: its own minimum off time
    shed_at = shed_by_the_guard(house)  # again within its minimum on time: an oven's thermostat, say
    assert off_for(house, shed_at) == 240
    shed_at = shed_by_the_guard(house)
    assert off_for(house, shed_at) == 480
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"radiator": 3}


def test_clouds_back_a_relay_off_once_only(tmp_path: Path) -> None:
    # The back-off is for an appliance that cycles. Grown on clouds, it kept both relays of the house with relays
    # only off for 16 minutes of 2 kW export on Payerne 06-29: a cloud's shed grows the row to two at most (its
    # min_off_s doubled once, and the minute of cover).
    h = closed_loop(tmp_path, "radiator")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    shed_by_a_cloud(house)
    assert off_for(house) == 120
    shed_by_a_cloud(house)
    assert off_for(house) == 240
    shed_by_a_cloud(house)
    assert off_for(house) == 240  # (480 for an appliance's third)
    shed_at = shed_by_the_guard(house)  # an appliance's burst grows the row again
    assert off_for(house, shed_at) == 480
    shed_by_a_cloud(house)
    assert off_for(house) == 480  # (a cloud leaves a longer row as it is)
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"radiator": 5}


def test_a_whole_on_stretch_ends_the_back_off(tmp_path: Path) -> None:
    h = closed_loop(tmp_path, "radiator")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    shed_at = shed_by_the_guard(house)
    assert off_for(house, shed_at) == 120
    shed_at = shed_by_the_guard(house)
    assert off_for(house, shed_at) == 240
    for _ in range(300):  # its whole 600 s on: the surplus holds it again
        house.read()
    house.pv_w = 300
    house.read()  # past its dwell: the rule itself switches it off, no guard
    assert h.last(RADIATOR) == "OFF"
    house.pv_w = 300 + 1000 + 20
    assert off_for(house) == 120
    shed_at = shed_by_the_guard(house)
    assert off_for(house, shed_at) == 120  # a new row: its first shed
    shed_at = shed_by_the_guard(house)
    assert off_for(house, shed_at) == 240
    assert h.reg.controller is not None and h.reg.controller.guard_sheds_by == {"radiator": 4}


def test_the_back_off_stops_at_half_an_hour() -> None:
    clock = RelayClock(on=True)
    rests = []
    for shed in range(1, 8):
        clock.switched(False, 10000.0 * shed, 600, guard_shed=True)
        rests.append(clock.min_off_s(120))
    assert rests == [120, 240, 480, 960, 1800, 1800, 1800]
    assert not clock.allows(600, 120, 70000 + 1799) and clock.allows(600, 120, 70000 + 1800)
    assert clock.min_off_s(3600) == 3600  # a min_off_s longer than the cap is kept, never shortened
    assert RelayClock(guard_sheds=10**6).min_off_s(120) == MAX_BACKOFF_S


def test_a_long_rest_or_someone_elses_command_ends_the_back_off_row() -> None:
    clock = RelayClock(on=True, switched_at=0.0)
    clock.switched(False, 100.0, 600, guard_shed=True)
    clock.switched(True, 220.0, 600)
    clock.switched(False, 300.0, 600, guard_shed=True)
    assert clock.min_off_s(120) == 240  # two in a row
    clock.switched(True, 300.0 + 1800, 600)  # off for half an hour: rested
    clock.switched(False, 2200.0, 600, guard_shed=True)
    assert clock.min_off_s(120) == 120  # a new row
    clock.switched(True, 2400.0, 600)
    clock.switched(False, 2500.0, 600, guard_shed=True)
    assert clock.min_off_s(120) == 240
    clock.seen(False, 2600.0)  # a force, an unforce, a restart's command
    assert clock.guard_sheds == 0 and clock.min_off_s(120) == 120


def test_from_the_second_guard_shed_in_a_row_the_surplus_must_last_a_minute(tmp_path: Path) -> None:
    # An oven's thermostat: a relay switched on in its one-minute pause is shed in its next burst.
    h = closed_loop(tmp_path, "radiator")
    house = House(h, base_w=300, pv_w=300 + 1000 + 20)
    house.read()
    shed_by_the_guard(house)
    house.pv_w = 300  # the burst goes on past the radiator's 120 s off
    for _ in range(70):
        house.read()
    house.pv_w = 300 + 1000 + 20
    assert off_for(house) == 2  # one shed: back at the first reading that covers it
    shed_by_the_guard(house)  # the second in a row: 240 s off, and a minute of cover
    house.pv_w = 300
    for _ in range(130):  # past the 240 s
        house.read()
    house.pv_w = 300 + 1000 + 20
    for _ in range(29):  # 58 s of cover: still off
        house.read()
        assert h.last(RADIATOR) == "OFF"
    house.pv_w = 300  # the burst is back: the wait starts again
    house.read()
    house.pv_w = 300 + 1000 + 20
    assert off_for(house) == 60 + 2  # the reading that starts the cover, then 60 s of it
