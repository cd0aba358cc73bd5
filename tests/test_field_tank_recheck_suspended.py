"""A full tank's hourly re-check while the regulation is suspended (a meter silent, the meters' topics swapped): no
probe switches the heater on, one under way is given up, and the re-check comes once the regulation resumes. Until
2026-12-07 a probe started on the export a decision saw a minute before the production meter fell silent: the heater's
own meter showed it drawing, its flag was lifted with its floor left on, and no decision came to move it while the
meter stayed silent (the heater on from the grid into the night, the status `stale` with the heater at 140 W)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.configs import reading
from tests.field_house import ECS_CMD, ECS_METER, RADIATOR
from tests.field_tank import EMPTY_TANK, live, metered, thermostat_cut
from tests.harness import CONS, PROD, Harness
from tests.test_field_tank_recheck import FOUND, T

DRAWING = EMPTY_TANK.replace(b'"power": 0.00', b'"power": 139.00')


def full_with_its_meter(h: Harness, until: float) -> float:
    """The heater found full at FOUND, its own meter reading what it draws (nothing, the tank full, until it is
    commanded again), both house meters every 5 s until `until`; returns the next reading's time."""
    thermostat_cut(h, T + 1)
    now = FOUND + 1
    while now < until:
        readings(h, now, production=True)
        now += 5
    return now


def readings(h: Harness, now: float, production: bool, tank_takes: bool = False) -> None:
    """One round of readings at `now`: the heater's own meter (what its tank takes of its command), the house
    meter, the production meter when `production`, and a tick."""
    ecs = h.load("ecs")
    drawn_w = ecs.current_power_w if tank_takes else 0.0
    h.reg.handle(ECS_METER, live(DRAWING if drawn_w > 0 else EMPTY_TANK), now)
    house_w = 300 + (1000 if h.last(RADIATOR) == "ON" else 0) + drawn_w
    if production:
        h.meters(house_w, 3500, now + 0.5)
    else:
        h.reg.handle(CONS, reading(house_w), now + 0.5)
    h.reg.tick(now + 1)


def probing(tmp_path: Path) -> tuple[Harness, float]:
    """A heater found full at FOUND, probed at its floor an hour later (its own meter reading nothing until then); the
    harness and the time of that probe's readings."""
    h = metered(tmp_path)
    now = full_with_its_meter(h, FOUND + 3600)
    readings(h, now, production=True)  # (its hour up: probed at its floor)
    assert h.load("ecs").overed and h.load("ecs").current_power_w > 0
    return h, now


def test_no_recheck_probe_while_a_meter_is_silent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h = metered(tmp_path)
    now = full_with_its_meter(h, FOUND + 3590)  # (its hour nearly up, the house exporting)
    sent = len(h.on(ECS_CMD))
    for i in range(40):  # (the production meter silent from here: its re-check falls due meanwhile)
        readings(h, now + 2 * i, production=False, tank_takes=True)
    ecs = h.load("ecs")
    assert h.reg.stale_reason is not None
    assert ecs.overed and ecs.current_power_w == 0
    assert [c for c in h.on(ECS_CMD)[sent:] if c not in ("0", "status")] == []
    assert h.reg.status(now + 80)["equipments"][0]["current_power"] == 0
    now += 80
    for i in range(6):  # (the production meter back: the regulation resumes, the re-check comes)
        readings(h, now + 5 * i, production=True, tank_takes=True)
    assert h.reg.stale_reason is None and not ecs.overed
    assert "ecs: draws at its re-check (its meter reads 139 W at 140 W commanded): its tank takes power again, " \
        "given the surplus by its priority" in caplog.messages


def test_a_recheck_probe_under_way_is_given_up_when_a_meter_falls_silent(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    h, now = probing(tmp_path)
    ecs = h.load("ecs")
    for i in range(1, 7):  # (the house meter and the heater's own silent from its probe's start)
        h.reg.handle(PROD, reading(3500), now + 2 * i + 0.5)
        h.reg.tick(now + 2 * i + 1)
    assert h.reg.stale_reason is not None
    assert ecs.overed and ecs.current_power_w == 0 and h.last(ECS_CMD) == "0"
    for i in range(7, 12):  # (both back: the heater's meter reads what it draws at 0 W, nothing)
        readings(h, now + 2 * i, production=True)
    resumed = max(i for i, m in enumerate(caplog.messages) if "regulation resumes" in m)
    suspended = caplog.messages[:resumed]
    assert not [m for m in suspended if "at its re-check" in m]  # (no verdict on a heater at 0 W)
    assert "ecs: its re-check probe ended by another command (0 W): no verdict, re-checked at the next chance" \
        in suspended
    assert any(m.startswith("ecs: found full at 11:00, and the house exports") for m in caplog.messages[resumed:])


def test_no_recheck_probe_at_the_very_tick_a_meter_goes_stale(tmp_path: Path) -> None:
    # The re-check due at the tick the house meter's last reading is meter_timeout old: the field's timers ran before
    # the stale check, and the probe went out (7 %) and was cut to 0 in that tick, two commands to the variator.
    h = metered(tmp_path)
    due = FOUND + 3600.0  # (its hour)
    full_with_its_meter(h, due - 20)
    h.meters(300, 3500, due - 10)  # (the house meter's last reading)
    for at in (due - 8, due - 6, due - 4, due - 2):
        h.reg.handle(PROD, reading(3500), at)
        h.reg.tick(at + 0.1)
    sent = len(h.on(ECS_CMD))
    h.reg.tick(due)
    assert h.reg.stale_reason is not None and h.reg.stale_reason.startswith("consumption meter silent for 10 s")
    assert h.on(ECS_CMD)[sent:] == []  # (the heater at 0 W already, its tank full: nothing to send)
    assert h.load("ecs").overed and h.load("ecs").current_power_w == 0


def test_a_probe_whose_suspension_off_was_not_published_decides_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The probe under way as the production meter falls silent, and the suspension's 0 W refused (a full paho queue):
    # no command changed, so no listener ended the probe, and the heater's own meter, reading it draw the probe it
    # still ran at, lifted its flag with the regulation suspended. The suspension itself ends the probe.
    caplog.set_level(logging.INFO)
    h, now = probing(tmp_path)
    ecs = h.load("ecs")

    def refused(topic: str, payload: str | bytes, retain: bool = False) -> None:
        raise RuntimeError("the queue is full")

    ecs.bind(refused)
    for i in range(1, 9):  # (the production meter and the heater's own silent: the regulation suspended at 10 s)
        h.reg.handle(CONS, reading(300), now + 2 * i + 0.5)
        h.reg.tick(now + 2 * i + 1)
    assert h.reg.stale_reason is not None
    for i in range(9, 15):  # (the heater's meter back, reading the probe its tank takes: it still runs at it)
        h.reg.handle(ECS_METER, live(DRAWING), now + 2 * i)
        h.reg.handle(CONS, reading(439), now + 2 * i + 0.5)
        h.reg.tick(now + 2 * i + 1)
    assert h.reg.stale_reason is not None
    assert ecs.overed
    assert not [m for m in caplog.messages if m.startswith("ecs: draws at its re-check")]
