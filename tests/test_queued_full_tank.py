"""A command that went out late (its message waited in the queue, the main loop held up: shell/daemon_messages.py) is
judged by the full-tank watch from when it went, as the decision gate judges it: the house readings received before
it went, dated after its stamp by the settle or more, show the load as it was, not the command's effect."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from shell.link_events import Message
from tests.configs import reading
from tests.field_house import ECS_CMD, ECS_METER, ECS_STATUS
from tests.field_tank import EMPTY_TANK, T, live, metered, radiator_just_on
from tests.harness import CONS, PROD, Harness
from tests.test_field_boots import echo
from tests.test_queued_across_step_back import Clocks

FORCE = b'{"command": "force", "name": "ecs", "power": 1000, "duration": 1800}'


def _house(c: Clocks, house_w: float) -> bytes:
    """The house meter's reading: the house and the loads as commanded (the meter sees both)."""
    return reading(house_w + sum(load.current_power_w for load in c.daemon.reg.loads))


def _periods(c: Clocks, count: int) -> None:
    """`count` periods of a house of 500 W without sun, handled as they come."""
    for _ in range(count):
        c.passes(1.0)
        c.handle(c.received(PROD, reading(0.0)))
        c.passes(1.0)
        c.handle(c.received(CONS, _house(c, 500.0)))


def test_readings_from_before_a_late_force_went_are_no_probe_of_its_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="field.full_tank")
    c = Clocks(tmp_path, monkeypatch)
    c.tick()
    _periods(c, 10)  # (the heater at 0 W, the house steady: the baseline of its next step)
    heater = c.daemon.reg.loads_by_name["ecs"]
    tank = c.daemon.reg.field.tanks.inferred["ecs"]
    assert heater.current_power_w == 0.0
    # A force to 1000 W, and the main loop held up 8.5 s: the house readings of those seconds, the heater still off
    # (its command not sent yet), wait in the queue behind it.
    waited: list[Message] = [c.received("regul/mode", FORCE)]
    for _ in range(4):
        c.passes(1.0)
        waited.append(c.received(PROD, reading(0.0)))
        c.passes(1.0)
        waited.append(c.received(CONS, reading(500.0)))
    c.passes(0.5)  # the loop comes back: the force's command goes now
    for event in waited:
        c.handle(event)
    assert heater.current_power_w == 1000.0
    # Taken for the settled readings of the step (3 s and more after its stamp), they showed a 1000 W step moving the
    # house by nothing: "ecs may be full", its re-probe held it at 0 W two minutes later, under its force.
    assert tank.suspect_since is None
    assert "may be full" not in caplog.text
    _periods(c, 6)  # the readings after it went show it: the probe succeeds
    assert tank.suspect_since is None
    assert "may be full" not in caplog.text
    assert c.daemon.reg.status(c.wall)["equipments"][0]["full_suspect"] is False


def test_a_reading_before_a_late_relay_went_is_no_cut(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # A 2 kW relay switched on at a decision whose house reading waited in the queue: its command went 3 s after the
    # reading's date. The readings received meanwhile, dated 1 s and more after it, do not show it: against the beliefs
    # (the relay counted on, "known" a settle after its stamp) the house "fell" by the heater's 2 kW.
    caplog.set_level(logging.INFO)
    h, house = radiator_just_on(tmp_path)
    stamp = h.load("radiator").last_command_at  # (the reading's date: its decision's)
    assert stamp is not None
    heater_at = h.load("ecs").last_command_at
    assert heater_at is not None and heater_at < stamp  # (the heater's command held at that decision)
    h.reg.commands_sent_late(stamp, 3.0)  # ...which went out 3 s late
    assert h.load("ecs").went_at(heater_at) == heater_at  # (the heater's own is no late one)
    for after_s in (1.5, 2.5):  # the readings received before it went
        h.reg.handle(CONS, reading(300 + 2000), stamp + after_s)
    house.now += 3.0
    house.run(10)
    assert "ecs may be full" not in caplog.text
    assert h.reg.field.tanks.inferred["ecs"].suspect_since is None


def _own_meter_at_night(tmp_path: Path) -> tuple[Harness, float]:
    """The heater with its own meter, at 0 W at night, its meter reading nothing: the harness and the time."""
    h = metered(tmp_path)
    now = T
    while h.load("ecs").current_power_w > 0:
        now += 2.0
        assert now < T + 60
        h.meters(300 + h.load("ecs").current_power_w, 0, now)
        h.reg.tick(now + 0.02)
    for i in range(4):
        h.reg.handle(ECS_METER, live(EMPTY_TANK), now + 1 + i)
    return h, now + 4


def _late_force(h: Harness, stamp: float, late_s: float) -> float:
    """A force to 1000 W on a message dated `stamp`, gone `late_s` after it: when it went."""
    h.reg.handle("regul/mode", FORCE, stamp)
    assert h.load("ecs").last_command_at == stamp and h.last(ECS_CMD) == "50"
    h.reg.commands_sent_late(stamp, late_s)
    return stamp + late_s


def test_own_meter_readings_from_before_a_late_force_went_are_no_low_run(tmp_path: Path) -> None:
    # The main loop held up 8 s: the heater's own meter read nothing meanwhile, the heater still off, its force not sent
    # yet. Taken for readings under the force (1000 W commanded, 0 W read, five in a row), its tank was found full, the
    # force undone and the heater out until the daily clear.
    h, now = _own_meter_at_night(tmp_path)
    went_at = _late_force(h, now + 10, 8.0)
    for i in range(5):
        h.reg.handle(ECS_METER, live(EMPTY_TANK), now + 11.5 + 1.5 * i)
    assert not h.load("ecs").overed
    for i in range(5):  # (read from when it went: a full tank is still found)
        h.reg.handle(ECS_METER, live(EMPTY_TANK), went_at + 0.5 + 1.5 * i)
    assert h.load("ecs").overed


def test_an_answer_before_a_late_force_went_is_no_answer_to_it(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # The variator heard 1 s after the force's stamp, before it went: no answer to it (the force's own was lost).
    caplog.set_level(logging.INFO)
    h, now = _own_meter_at_night(tmp_path)
    h.reg.handle(ECS_STATUS, echo("0.00"), now + 0.5)  # (a variator that answers)
    went_at = _late_force(h, now + 10, 8.0)
    h.reg.handle(ECS_STATUS, echo("0.00"), now + 11.0)
    for i in range(5):
        h.reg.handle(ECS_METER, live(EMPTY_TANK), went_at + 2.0 + 1.5 * i)
    assert not h.load("ecs").overed
    assert "the variator has not answered its command: not taken for a full tank" in caplog.text
