"""Shared set-up of the full-tank tests: times in Europe/Paris, real PZEM reading bytes, and House, which drives an
InferredFullTank like the regulator would, and house_for, the tank and house every inferred-tank test starts from
(test_full_tank_inferred_probes, test_full_tank_inferred_loop)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from field.full_tank import InferenceRule, InferredFullTank
from values.readings import MeterReading, parse_meter_payload

PARIS = ZoneInfo("Europe/Paris")


def at(y: int, m: int, d: int, h: int, mi: int = 0, s: int = 0, fold: int = 0) -> float:
    return datetime(y, m, d, h, mi, s, tzinfo=PARIS, fold=fold).timestamp()


def pzem(power_w: float) -> bytes:
    """A reading exactly as the Wifi MQTT Energy Smartmeter sends it."""
    return (b'{ "voltage": 231.40, "current": 1.23, "power": %.2f, "energy": 1234.00, "frequency": 50.00, '
            b'"powerfactor": 0.98, "ppm_err": 0}' % power_w)


def watts(payload: bytes) -> float:
    reading = parse_meter_payload(payload, "power", 0.0, 30000.0)
    assert isinstance(reading, MeterReading)
    return reading.power_w


class House:
    """Drives an InferredFullTank like the regulator would: a reading every 2 s, commands in between."""

    def __init__(self, tank: InferredFullTank, start: float, base_w: float = 300.0) -> None:
        self.tank, self.now, self.base_w = tank, start, base_w
        self.heater_draws = True  # False: the thermostat has cut
        self.command_w = 0.0
        self.others_w = 0.0  # believed power of the other regulated loads (they draw it too)
        self.verdicts: list[bool] = []
        tank.on_command(0.0, start)

    def command(self, watts_: float) -> None:
        self.command_w = watts_
        self.tank.on_command(watts_, self.now)

    def run(self, seconds: float, appliance_w: float = 0.0) -> None:
        """Readings every 2 s for `seconds`; `appliance_w` is an unregulated appliance's draw."""
        for _ in range(int(seconds // 2)):
            self.now += 2.0
            drawn = self.command_w if self.heater_draws else 0.0
            payload = pzem(self.base_w + appliance_w + drawn + self.others_w)
            self.verdicts.append(self.tank.on_consumption(watts(payload), self.now, self.others_w))


_DEFAULT_RULE = InferenceRule()  # (frozen: one value shared as a default)


def house_for(heater_draws: bool = True, rule: InferenceRule = _DEFAULT_RULE,
              heard_after: Callable[[float], bool] | None = None) -> tuple[InferredFullTank, House]:
    """A 150 W minimum heater "ecs" inferred from the house meter, in a house at 11:00 on a June day, its command 0 W.
    heater_draws False: its thermostat has already cut."""
    tank = InferredFullTank("ecs", min_power_w=150, rule=rule, heard_after=heard_after)
    house = House(tank, at(2024, 6, 1, 11))
    house.heater_draws = heater_draws
    return tank, house
