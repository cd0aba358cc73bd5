"""Shared set-up of the full-tank tests wired into the regulator (test_field_tank, test_field_tank_inferred,
test_field_tank_cut, the re-check's, and the fallback and reboot tests): the heater's own PZEM meter, its real bytes
with the tank full (a thermostat cut), the sun over a tank found full, and a house whose variator answers its
commands."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from tests.field_house import ECS_CMD, ECS_METER, RADIATOR, House, at, field_config
from tests.harness import Harness

METERED = f"topic_read_power = {ECS_METER}\n"
EMPTY_TANK = (b'{ "voltage": 231.40, "current": 0.00, "power": 0.00, "energy": 1234.00, "frequency": 50.00, '
              b'"powerfactor": nan, "ppm_err": 0}')
T = at(2024, 6, 1, 11)
_moves = itertools.count()


def live(payload: bytes) -> bytes:
    """`payload` as a live PZEM sends it again: its voltage moved (PROTOCOL.md: consecutive real readings differ; the
    very same bytes again are a frozen meter's)."""
    return payload.replace(b'"voltage": 231.40', f'"voltage": {230 + next(_moves) % 300 / 100:.2f}'.encode())


def metered(tmp_path: Path, evaluate: str = "") -> Harness:
    h = Harness(field_config(tmp_path, ecs=METERED, evaluate=evaluate))
    h.meters(300, 2000, T)  # 1680 W of surplus: the heater takes it
    assert h.load("ecs").current_power_w == pytest.approx(1680)
    return h


def thermostat_cut(h: Harness, start: float, count: int = 5, gap_s: float = 2.0,
                   payload: bytes = EMPTY_TANK) -> float:
    for i in range(count):
        h.reg.handle(ECS_METER, live(payload), start + i * gap_s)
    return start + (count - 1) * gap_s


FOUND = T + 9  # (thermostat_cut's fifth low reading: 11:00:09)


def sun(h: Harness, start: float, end: float, production_w: float = 3500.0, tank_takes: bool = False,
        step_s: float = 5.0) -> None:
    """The meters every `step_s` from `start` to `end`, the regulator ticking between: a 300 W house and the radiator's
    1000 W while on, and the heater's command while `tank_takes` (else its tank is full: it draws nothing)."""
    now = start
    while now <= end:
        heater_w = h.load("ecs").current_power_w if tank_takes else 0.0
        h.meters(300 + (1000 if h.last(RADIATOR) == "ON" else 0) + heater_w, production_w, now)
        h.reg.tick(now + 1)
        now += step_s


def full_an_hour(h: Harness, production_w: float = 3500.0) -> None:
    """The heater found full at FOUND, then the meters for just under an hour: still out, at 0 W."""
    thermostat_cut(h, T + 1)
    sun(h, FOUND + 1, FOUND + 3595, production_w)
    assert h.load("ecs").overed and h.last(ECS_CMD) == "0"  # (not an hour yet)


ECHO = b'{"percent": 0.00, "power": 0, "mode": 0, "state": "ON", "msg": "setpower"}'


class AnsweringHouse(House):
    """The variator answers on its status topic after each reading's commands (as the firmware does after
    every command) while `answering`, at the percent it runs at: the last one sent (its answer at 0 % whatever the
    command was an answer at another client's percent, PySEB's command sent again at each)."""

    answering = True

    def run(self, seconds: float) -> None:
        end = self.now + seconds
        while self.now < end:
            super().run(self.period_s)
            if self.answering:
                percents = [p for p in self.h.on(ECS_CMD) if p != "status"]
                echo = ECHO.replace(b"0.00", f"{float(percents[-1]) if percents else 0.0:.2f}".encode())
                self.h.reg.handle(ECS_CMD[: -len("/cmd")], echo, self.now + 0.1)


def radiator_just_on(tmp_path: Path) -> tuple[Harness, House]:
    """The closed loop's heater saturated (70 W over it), then 2 kW more sun: the 2 kW radiator switched on at a
    decision, the house's readings not showing it yet (the cases of a relay's command the house meter has not seen)."""
    config = field_config(tmp_path, algorithm="closed_loop")
    config.write_text(config.read_text().replace("max_power = 1000\n", "max_power = 2000\n", 1))
    h = Harness(config)
    house = House(h, T, base_w=300, production_w=300 + 2000 + 20 + 50)
    house.run(150)  # the heater saturated, 70 W over it: the radiator stays off
    assert h.last(ECS_CMD) == "100" and h.last(RADIATOR) == "OFF"
    house.production_w += 2000
    for _ in range(3):  # (a decision every other reading: period 2.5 s)
        house.run(2)
        if h.last(RADIATOR) == "ON":
            break  # the radiator switched on at this reading's decision...
    assert h.last(RADIATOR) == "ON"
    return h, house
