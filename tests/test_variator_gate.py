"""A variator whose output another client gated off (`off`, PROTOCOL.md: its percent unchanged, its status
`"state": "OFF"`): the heater draws nothing whatever its command. PySEB leaves it out of the regulation until its
status says `on` again; its missing watts are no full tank (taken for one, the heater was left out until the daily
clear after the `on`, the surplus exported all afternoon)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from regulation import Regulator
from tests.configs import reading, write_config
from tests.field_house import ECS_CMD, ECS_STATUS, House, field_config
from tests.field_tank import T
from tests.harness import CONS, MODE, NOON, PROD, Harness

ECS_METER = "regul/ecs/power"
BASE_W, PV_W = 300.0, 1500.0  # 1200 W of surplus: the heater alone takes it (the test curve: 20 W a percent)


class GatedHouse:
    """The heater (20 W a percent, nothing while gated) and the 1000 W radiator, read every 2 s; the variator answers
    each command with its status, as the firmware does."""

    def __init__(self, tmp_path: Path, own_meter: bool) -> None:
        config = write_config(tmp_path, ("ecs", "radiator"), period=1, algorithm="closed_loop")
        if own_meter:
            config.write_text(config.read_text().replace("min_percent = 4\n",
                                                         f"min_percent = 4\ntopic_read_power = {ECS_METER}\n"))
        self.own_meter = own_meter
        self.percent, self.gated, self.radiator_on = 0.0, False, False
        self.answers: list[bytes] = []
        self.sent: list[tuple[str, str]] = []
        self.reg = Regulator.from_config(config, self._publish)
        self.now = NOON
        self.reg.tick(self.now)

    def _publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        text = payload.decode() if isinstance(payload, bytes) else payload
        self.sent.append((topic, text))
        if topic == ECS_CMD:
            self.percent = float(text)
            self.answers.append(self.status("setpower"))
        elif topic == "cmnd/radiator/POWER":
            self.radiator_on = text == "ON"

    def status(self, msg: str) -> bytes:
        return json.dumps({"percent": self.percent, "power": 0, "mode": 0, "state": "OFF" if self.gated else "ON",
                           "msg": msg}).encode()

    def heater_w(self) -> float:
        return 0.0 if self.gated else 20.0 * int(self.percent)

    def gate(self, off: bool) -> None:
        """Another client sends `off` (or `on`) to the variator, which says so on its status topic."""
        self.gated = off
        self.reg.handle(ECS_STATUS, self.status("off" if off else "on"), self.now + 0.1)

    def run(self, seconds: float) -> None:
        for _ in range(int(seconds / 2)):
            self.now += 1
            self.reg.handle(PROD, reading(PV_W), self.now)
            self.now += 0.3
            while self.answers:
                self.reg.handle(ECS_STATUS, self.answers.pop(0), self.now)
            if self.own_meter:
                self.reg.handle(ECS_METER, reading(self.heater_w()), self.now)
            self.now += 0.7
            self.reg.handle(CONS, reading(BASE_W + self.heater_w() + 1000.0 * self.radiator_on), self.now)
            self.reg.tick(self.now)

    def heater(self) -> dict[str, object]:
        return next(e for e in self.reg.status(self.now)["equipments"] if e["name"] == "ecs")


@pytest.mark.parametrize("own_meter", [False, True], ids=["inferred", "own meter"])
def test_a_gated_variator_is_left_out_and_back_at_its_on(tmp_path: Path, own_meter: bool) -> None:
    house = GatedHouse(tmp_path, own_meter)
    house.run(120)
    assert house.heater_w() == 1180.0 and not house.radiator_on
    house.gate(True)
    assert [text for topic, text in house.sent if topic == ECS_CMD][-1] == "0"  # (its percent, not its gate)
    house.run(300)
    heater = house.heater()
    # Out of the regulation: believed at 0 W (its energy counts nothing), the radiator after it takes the surplus,
    # and its tank is not found full for the watts it could not draw.
    assert heater["output_off"] is True and heater["current_power"] == 0.0 and heater["overed"] is False
    assert house.radiator_on and house.percent == 0.0
    assert (ECS_CMD, "on") not in house.sent  # (the owner's `off` is not undone)
    house.gate(False)
    house.run(900)  # (the radiator keeps its dwell: min_on_s 600 s by default)
    heater = house.heater()
    assert "output_off" not in heater and heater["overed"] is False
    assert house.heater_w() == 1180.0 and not house.radiator_on


def test_a_forced_heater_keeps_its_force_when_gated(tmp_path: Path) -> None:
    # A force is the owner's (or a fallback rule's): the gate does not end it, nor is the tank found full for the watts
    # it cannot draw; but it draws nothing, and its energy counts nothing (a rule counted a night's force the heater
    # never drew: its need "met", the water cold).
    house = GatedHouse(tmp_path, own_meter=False)
    house.run(60)
    house.reg.handle("regul/mode", b'{"command": "force", "name": "ecs", "power": 2000}', house.now + 0.2)
    house.run(20)
    assert house.percent == 100.0
    house.gate(True)
    energy_wh = house.heater()["energy"]
    house.run(600)
    heater = house.heater()
    assert heater["forced"] is True and heater["output_off"] is True and heater["overed"] is False
    assert house.percent == 100.0 and heater["current_power"] == 0.0
    assert heater["energy"] == pytest.approx(energy_wh, abs=0.1)
    house.gate(False)  # (its force's watts believed again, its command unchanged)
    house.run(10)
    assert house.heater()["current_power"] == 2000.0 and house.percent == 100.0


def test_a_forced_heater_gated_in_its_full_tank_check_gets_its_force_back_at_the_on(tmp_path: Path,
                                                                                   caplog: pytest.LogCaptureFixture,
                                                                                   ) -> None:
    # A forced heater suspected full is held at 0 W for its re-probe; gated meanwhile, the check is dropped (its watts
    # say nothing then), and its hold with it: at the `on` it stayed at 0 W under its force, for good.
    caplog.set_level(logging.INFO)
    h = Harness(field_config(tmp_path, ("ecs",)))
    house = House(h, T, base_w=2300, production_w=300)
    house.run(10)
    h.reg.handle(MODE, b'{"command": "force", "name": "ecs", "power": 2000}', house.now + 0.5)
    house.base_w = 300
    house.run(20)
    assert "ecs may be full" in caplog.text
    for _ in range(200):
        house.run(2)
        if "held at 0 W" in caplog.text:
            break
    ecs = h.load("ecs")
    assert ecs.current_power_w == 0.0 and ecs.forced_power_w == 2000.0
    gated = {"percent": 0, "power": 0, "mode": 0, "state": "OFF", "msg": "setstate"}
    h.reg.handle(ECS_STATUS, json.dumps(gated).encode(), house.now + 0.1)
    house.full.add("ecs")  # (drawing nothing, as a full tank)
    house.run(60)
    h.reg.handle(ECS_STATUS, json.dumps({**gated, "state": "ON"}).encode(), house.now + 0.1)
    house.full.discard("ecs")
    house.run(20)
    commands = [payload for payload in h.on(ECS_CMD) if payload != "status"]  # (this variator answers no command)
    assert ecs.forced_power_w == 2000.0 and ecs.current_power_w == 2000.0 and commands[-1] == "100"
