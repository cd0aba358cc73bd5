"""A house meter reading 0 V is refused, whatever the loads draw: a PZEM that sees no mains voltage (its voltage
wire unplugged, or a power cut) reads 0 W too, and that 0 W says nothing of the house. Taken with the loads off
(the 0 W rule of test_house_meter_zero.py accepts a 0 W house then), all of production looked like export: the
loads went on for a few seconds, and again every 15 minutes when that rule's latch ran out. A production meter
reading 0 V is believed: a DC meter on the panels' side reads 0 V every night."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import pytest

from tests.configs import reading
from tests.harness import CONS, PROD
from tests.test_house_meter_zero import House

_energy = itertools.count()


def no_voltage(moving: bool = True) -> bytes:
    """A PZEM's reading with no voltage on its sense wire. `moving`: its energy counter still advances (a module
    whose messages differ, so the frozen-meter rule does not catch them); else the very same bytes each time."""
    energy_wh = 1234.0 + (next(_energy) * 0.01 if moving else 0.0)
    return (f'{{ "voltage": 0.00, "current": 0.00, "power": 0.00, "energy": {energy_wh:.2f}, "frequency": 0.00, '
            f'"powerfactor": 0.00, "ppm_err": 0}}').encode()


def run_without_voltage(house: House, readings: int, pv_w: float, moving: bool = True) -> int:
    """`readings` periods of sun with the house meter at 0 V; how many of them found a load drawing."""
    drawing = 0
    for _ in range(readings):
        house.now += 2
        house.h.reg.handle(PROD, reading(pv_w), house.now - 0.01)
        house.h.reg.handle(CONS, no_voltage(moving), house.now)
        house.h.reg.tick(house.now)
        drawing += house.drawn_w() > 0
    return drawing


@pytest.mark.parametrize("moving", [True, False])
@pytest.mark.parametrize("pv_before_w", [2500.0, 0.0])
def test_a_house_meter_at_0_v_keeps_every_load_off(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                   moving: bool, pv_before_w: float) -> None:
    # pv_before_w 0: the loads off when the voltage goes (the night, or a cloud), which the 0 W rule let through.
    caplog.set_level(logging.INFO)
    house = House(tmp_path)
    house.run(30, pv_before_w)
    caplog.clear()
    run_without_voltage(house, 5, 2500, moving)  # meter_timeout: the loads as they were (as for a silent meter)
    assert run_without_voltage(house, 1800, 2500, moving) == 0  # then an hour of sun, the sense wire unplugged
    reason = house.h.reg.stale_reason
    assert reason is not None and "consumption meter without a usable reading" in reason and "0 V" in reason
    status = house.h.statuses()[-1]
    assert status["state"] == "stale" and "0 V" in status["stale_reason"]
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and "dropped" in r.getMessage()]
    assert len(warned) == 1 and "0 V" in warned[0]  # one line that says why, then DEBUG
    house.run(10, 2500)  # the voltage back
    assert house.h.reg.stale_reason is None and house.drawn_w() > 0


def test_a_production_meter_at_0_v_is_believed(tmp_path: Path) -> None:
    # A DC meter on the panels' side: 0 V and 0 W all night, the house meter reading its few hundred watts.
    house = House(tmp_path)
    for _ in range(60):
        house.now += 2
        house.h.reg.handle(PROD, no_voltage(), house.now - 0.01)
        house.h.reg.handle(CONS, reading(400), house.now)
        house.h.reg.tick(house.now)
    assert house.h.reg.stale_reason is None


def test_a_house_meter_without_a_voltage_field_is_judged_on_its_power(tmp_path: Path) -> None:
    # Another meter (json_power names its field) may send no voltage at all: nothing to refuse on.
    house = House(tmp_path)
    for n in range(10):
        house.now += 2
        house.h.reg.handle(PROD, reading(0), house.now - 0.01)
        house.h.reg.handle(CONS, b'{"power": 0, "n": %d}' % n, house.now)
        house.h.reg.tick(house.now)
    assert house.h.reg.stale_reason is None


def test_a_house_meter_that_never_read_a_mains_voltage_is_judged_on_its_power(tmp_path: Path) -> None:
    # A build that always sends "voltage": 0 (a clamp-only one, a bridge filling a field it does not measure): refused
    # from its first reading, it kept the regulation suspended for good, with nothing in the config to undo it. The
    # check arms once the meter has read a mains voltage: a meter that never does is judged on its power, as before.
    house = House(tmp_path)
    for _ in range(60):
        house.now += 2
        house.h.reg.handle(PROD, reading(2500), house.now - 0.01)
        cons_w = 400 + house.drawn_w()
        house.h.reg.handle(CONS, b'{"voltage": 0, "power": %.2f, "n": %d}' % (cons_w, house.now), house.now)
        house.h.reg.tick(house.now)
    assert house.h.reg.stale_reason is None and house.drawn_w() > 1500


def restarted(house: House, tmp_path: Path) -> House:
    """`house` after a restart: a new regulator on the same config, its status restored from the last one saved."""
    doc = house.h.reg.status(house.now)
    again = House(tmp_path)
    again.now = house.now + 30
    assert again.h.reg.restore(doc, again.now) == []
    return again


def test_a_house_meter_at_0_v_stays_refused_after_a_restart(tmp_path: Path) -> None:
    # The sense wire unplugged, PySEB restarted (to clear its "stale" state, say): the meter's mains voltage was
    # forgotten with the restart, its 0 V and 0 W taken with the loads off, every load on for the sun until 0 W
    # under them went stale, and again every 15 minutes.
    house = House(tmp_path)
    house.run(30, 2500)
    assert house.h.reg.status(house.now)["meters"]["consumption"]["mains_seen"] is True
    house = restarted(house, tmp_path)
    assert house.h.reg.consumption.mains_seen
    assert run_without_voltage(house, 1800, 2500) == 0
    assert house.h.reg.stale_reason is not None and house.h.reg.consumption.refused == 1800


def test_a_status_without_the_mains_flag_still_restores(tmp_path: Path) -> None:
    # A file saved before the flag was saved: the meter judged on its power until it reads a mains voltage, as before.
    house = House(tmp_path)
    house.run(30, 2500)
    doc = house.h.reg.status(house.now)
    del doc["meters"]
    again = House(tmp_path)
    assert again.h.reg.restore(doc, house.now + 30) == [] and not again.h.reg.consumption.mains_seen


def test_a_house_meter_swapped_for_one_without_voltage_over_a_restart_is_judged_on_its_power(tmp_path: Path) -> None:
    # A PZEM replaced by a clamp-only meter (its "voltage" always 0) while PySEB was stopped: the saved flag must not
    # refuse it for good. A reading at 0 V with watts in it is no PZEM without mains (that one reads 0 W).
    house = House(tmp_path)
    house.run(30, 2500)
    house = restarted(house, tmp_path)
    for _ in range(60):
        house.now += 2
        house.h.reg.handle(PROD, reading(2500), house.now - 0.01)
        cons_w = 400 + house.drawn_w()
        house.h.reg.handle(CONS, b'{"voltage": 0, "power": %.2f, "n": %d}' % (cons_w, house.now), house.now)
        house.h.reg.tick(house.now)
    assert house.h.reg.stale_reason is None and house.drawn_w() > 1500
    assert not house.h.reg.consumption.mains_seen
