"""The closed loop's test house, shared by the controller's tests (test_controller_*.py) and the tests that drive
the same regulator (test_unknown_load*.py, test_import_guard_first_reading, test_power_log, test_clock_step_forward,
test_field_tank_cut).

The test heater `ecs` is linear: 20 W per percent, 0..2000 W, min_power 150 W; the radiator is a 1000 W relay;
`small` a 300 W relay; `plug` a relay of unknown power (500 W unless told). Export setpoint (margin) 20 W, gain 1,
settle 1 s, period 1 s. `House` is the physics the regulator does not see; `closed_loop` the regulator."""

from __future__ import annotations

from pathlib import Path

from tests.configs import reading, write_config
from tests.harness import CONS, NOON, PROD, Harness

ECS, RADIATOR, SMALL = "regul/vload/ECS/cmd", "cmnd/radiator/POWER", "regul/cload/small"
PLUG = "shellies/plug/relay/0/command"


class House:
    """The physics the regulator does not see: a base load, PV, and what each load really draws."""

    def __init__(self, h: Harness, base_w: float, pv_w: float, radiator_w: float = 1000.0,
                 plug_w: float = 500.0, heater_factor: float = 1.0) -> None:
        self.h, self.base_w, self.pv_w, self.radiator_w, self.plug_w = h, base_w, pv_w, radiator_w, plug_w
        self.heater_factor = heater_factor  # what the heater really draws per believed watt (its calibration's error)
        self.now = NOON

    def real_w(self) -> float:
        total = 0.0
        for load in self.h.reg.loads:
            if load.name == "radiator":
                total += self.radiator_w if load.is_on else 0.0
            elif load.name == "small":
                total += 300.0 if load.is_on else 0.0
            elif load.name == "plug":
                total += self.plug_w if load.is_on else 0.0
            else:
                total += self.heater_factor * load.current_power_w  # (1: exactly what it is believed to)
        return total

    def read(self, dt_s: float = 2.0) -> None:
        """Both meters read, `dt_s` after the last reading (the commands have taken effect): production
        first, so the decision, made on the house reading, sees this production."""
        self.now += dt_s
        self.h.reg.handle(PROD, reading(self.pv_w), self.now - 0.01)
        self.h.reg.handle(CONS, reading(self.base_w + self.real_w()), self.now)

    def read_until(self, topic: str, payload: str, readings: int) -> None:
        """Reads until the last command on `topic` is `payload`, `readings` at most."""
        for _ in range(readings):
            self.read()
            if self.h.last(topic) == payload:
                return


def closed_loop(tmp_path: Path, *loads: str, extra: str = "", anticipate: float = 0.0,
                dwell_s: tuple[float, float] | None = None, status_interval_s: float = 1,
                relay_options: str | dict[str, str] = "", evaluate_options: str = "", margin_w: float = 20.0,
                meter_timeout_s: float = 10.0) -> Harness:
    """A regulator with the closed loop; `anticipate` off unless asked, so each case shows one mechanism;
    `dwell_s` (min_on_s, min_off_s) for every relay, else their defaults; `relay_options`, lines for every
    relay's section (or by relay name); `evaluate_options`, lines for [evaluate]; `margin_w`, the export setpoint;
    `meter_timeout_s`, over a slow meter's pace."""
    config = write_config(tmp_path, loads, period=1, algorithm="closed_loop", extra=extra,
                          meter_timeout=meter_timeout_s)
    text = config.read_text().replace("[evaluate]\n", f"[evaluate]\nanticipate = {anticipate}\n{evaluate_options}")
    text = text.replace("margin = 20\n", f"margin = {margin_w:g}\n")
    text = text.replace("status_interval = 1\n", f"status_interval = {status_interval_s}\n")
    if dwell_s is not None:
        for relay in ("radiator", "small", "plug"):
            text = text.replace(f"[{relay}]\n", f"[{relay}]\nmin_on_s = {dwell_s[0]}\nmin_off_s = {dwell_s[1]}\n")
    for relay in ("radiator", "small", "plug"):
        lines = relay_options if isinstance(relay_options, str) else relay_options.get(relay, "")
        text = text.replace(f"[{relay}]\n", f"[{relay}]\n{lines}")
    config.write_text(text)
    h = Harness(config)
    # Started long before the first reading: the relays' off time since the start (every relay commanded
    # off) is over, each case starts free.
    h.reg.tick(NOON - 3600)
    return h


def watts(h: Harness, name: str) -> float:
    """What the regulator believes load `name` draws now (W)."""
    return float(h.load(name).current_power_w)


def with_ecs2(h: Harness, min_power_w: float = 150.0) -> Harness:
    """`h`'s config with a second heater `ecs2` (the same linear curve, its own `min_power`) at the end of the list."""
    config = h.config
    head, equipments = config.read_text().split("[equipments]\n")
    names, rest = equipments.split("\n\n", 1)
    config.write_text(f"{head}[equipments]\n{names}\necs2 = variable\n\n{rest}"
                      "\n[ecs2]\ntopic_set_power = regul/vload/ECS2/cmd\n"
                      f"calibration = linear.csv\nmin_power = {min_power_w:g}\n")
    h = Harness(config)
    h.reg.tick(NOON - 3600)
    return h
