"""A small closed-loop house for test_properties_house: the Regulator built from a config of real calibration curves
(1 or 2 variators, 0-3 relays of known or unknown power, in a random priority order), and the simulator's loads
(simulation/loads.py: a variator's real response, a relay's real watts, a tank whose thermostat cuts) drawing what
they really draw. Each period of 2 s the commands sent during the last one act, the house meter reads the house and
the loads (with noise) and the production meter reads the sun a second later; either reading may be lost."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from regulation import Regulator
from simulation.loads import Relay, SimLoad, Tank, VariableHeater
from simulation.response import read_response
from tests.configs import reading

ROOT = Path(__file__).resolve().parent.parent
CAL = ROOT / "calibration"
CONS, PROD, MODE = "smeter/pzem/CONSOMMATION", "smeter/pzem/PRODUCTION", "regul/mode"
NOON = 1_699_959_600.0  # 2023-11-14 12:00:00 Europe/Paris
PERIOD_S = 2.0
HEATERS = {  # name: (believed curve, command topic, max_power or None)
    "ecs": ("power_calibration_ECS-04.csv", "regul/vload/ECS/cmd", None),
    "ecs2": ("power_calibration_ECS-03.csv", "regul/vload/ECS2/cmd", 1200.0),
}
RELAYS = {  # name: (kind, label watts or None, command topic)
    "radiator": ("constant", 1000.0, "cmnd/radiator/POWER"),
    "towel": ("constant", 600.0, "cmnd/towel/POWER"),
    "plug": ("unknown", None, "shellies/plug/relay/0/command"),
}


@dataclass(frozen=True)
class Setup:
    order: tuple[str, ...]  # the loads, in priority order
    real_curve: dict[str, str]  # heater -> its real response's CSV
    real_w: dict[str, float]  # relay -> what it really draws
    tank_wh: dict[str, float]  # load -> the room its tank has left (no entry: never full)
    dwell_s: tuple[float, float]  # (min_on_s, min_off_s) of every relay
    gain: float
    margin_w: float | None  # (None: unset, the rule's default)
    algorithm: str = "closed_loop"  # or "hebert" (tests/test_properties_hebert.py)


@st.composite
def setups(draw: st.DrawFn) -> Setup:
    heaters = draw(st.sampled_from([("ecs",), ("ecs2",), ("ecs", "ecs2")]))
    relays = tuple(draw(st.lists(st.sampled_from(sorted(RELAYS)), max_size=3, unique=True)))
    order = tuple(draw(st.permutations(heaters + relays)))
    curves = {name: draw(st.sampled_from([HEATERS[name][0], "power_calibration_ECS-02.csv"])) for name in heaters}
    real = {"radiator": draw(st.sampled_from([1000.0, 1050.0, 1200.0])),
            "towel": draw(st.sampled_from([600.0, 560.0])),
            "plug": draw(st.sampled_from([5.0, 500.0, 1500.0]))}
    tanks = {name: draw(st.sampled_from([30.0, 150.0])) for name in order
             if draw(st.integers(0, 3)) == 0}
    return Setup(order, curves, {name: real[name] for name in relays}, tanks,
                 draw(st.sampled_from([(60.0, 30.0), (30.0, 20.0), (600.0, 120.0)])),
                 draw(st.sampled_from([1.0, 1.0, 0.5])), draw(st.sampled_from([0.0, 20.0])))


# A script: stretches of periods over which the sun and the house ramp, each maybe opened by a force or an unforce.
stretch = st.tuples(st.integers(1, 25), st.integers(-150, 150), st.integers(-60, 60),
                    st.one_of(st.none(), st.tuples(st.just("force"), st.sampled_from(["ecs", "ecs2", *RELAYS]),
                                                   st.sampled_from([0, 400, 1000, 3000]), st.sampled_from([None, 20])),
                              st.tuples(st.just("unforce"), st.sampled_from(["ecs", "ecs2", *RELAYS]))),
                    st.sampled_from([0, 0, 0, 1500, -1500]))  # (a step of the house at the stretch's start)
scripts = st.tuples(st.integers(500, 5000), st.lists(stretch, min_size=3, max_size=10),
                    st.sampled_from([0.0, 10.0]), st.sampled_from([0.0, 0.0, 0.05]), st.randoms(use_true_random=False))


def config_text(setup: Setup) -> str:
    lines = ["[mqtt]", f"topic_cons = {CONS}", f"topic_prod = {PROD}", "", "[evaluate]", "period = 1",
             "meter_timeout = 10", f"gain = {setup.gain}", f"algorithm = {setup.algorithm}", "timezone = Europe/Paris"]
    lines += [] if setup.margin_w is None else [f"margin = {setup.margin_w:g}"]
    lines += ["", "[status]", "file = status.json", "persistent = false", "", "[equipments]"]
    lines += [f"{name} = {'variable' if name in HEATERS else RELAYS[name][0]}" for name in setup.order]
    for name in setup.order:
        lines += ["", f"[{name}]"]
        if name in HEATERS:
            curve, topic, max_w = HEATERS[name]
            lines += [f"topic_set_power = {topic}", f"calibration = {CAL / curve}"]
            lines += [] if max_w is None else [f"max_power = {max_w:g}"]
        else:
            kind, label_w, topic = RELAYS[name]
            lines += [f"topic_set_power = {topic}", "json_on = on", "json_off = off"]
            lines += [] if label_w is None else [f"max_power = {label_w:g}", f"min_on_s = {setup.dwell_s[0]:g}",
                                                 f"min_off_s = {setup.dwell_s[1]:g}"]
    return "\n".join(lines) + "\n"


class LogTap(logging.Handler):
    """The core's INFO lines, with the simulated time they were said at."""

    def __init__(self, house: House) -> None:
        super().__init__(logging.INFO)
        self.house = house
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((self.house.now, record.getMessage()))


@dataclass
class House:
    setup: Setup
    folder: Path
    now: float = NOON
    pv_w: float = 2000.0
    base_w: float = 300.0
    sent: list[tuple[float, str, str]] = field(default_factory=list)  # (time, topic, payload)
    pending: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        (self.folder / "config.ini").write_text(config_text(self.setup))
        self.loads: dict[str, SimLoad] = {}
        self.topics: dict[str, str] = {}
        for name in self.setup.order:
            room_wh = self.setup.tank_wh.get(name)
            tank = None if room_wh is None else Tank(room_wh)
            if name in HEATERS:
                self.loads[name] = VariableHeater(name, read_response(CAL / self.setup.real_curve[name]), tank)
                self.topics[HEATERS[name][1]] = name
            else:
                self.loads[name] = Relay(name, self.setup.real_w[name], "on", "off", tank)
                self.topics[RELAYS[name][2]] = name
        self.drawn_w = {name: 0.0 for name in self.loads}
        self.reg = Regulator.from_config(self.folder / "config.ini", publish=self.publish)

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        text = payload.decode() if isinstance(payload, bytes) else payload
        self.sent.append((self.now, topic, text))
        if topic in self.topics:
            self.pending.append((topic, text))

    def handle(self, topic: str, payload: bytes, at: float) -> None:
        self.now = at
        self.reg.tick(at)
        self.reg.handle(topic, payload, at)

    def mode(self, name: str, power_w: object | None = None, duration_s: object | None = None) -> None:
        """A force of load `name` at `power_w` (for `duration_s`, None: until unforced) on the mode topic, or its
        unforce when `power_w` is None, now."""
        if power_w is None:
            self.handle(MODE, f'{{"command": "unforce", "name": "{name}"}}'.encode(), self.now)
            return
        duration = "" if duration_s is None else f', "duration": {duration_s}'
        self.handle(MODE, f'{{"command": "force", "name": "{name}", "power": {power_w}{duration}}}'.encode(), self.now)

    def step(self, rng: random.Random, noise_w: float, loss: float, silent: str | None = None) -> None:
        """One period: the commands act, the loads draw, the meters read (maybe lost; `silent`: CONS or PROD, a meter
        that sends nothing)."""
        for topic, text in self.pending:
            self.loads[self.topics[topic]].command(text)
        self.pending.clear()
        for name, load in self.loads.items():
            self.drawn_w[name] = load.step(PERIOD_S)
        start = self.now
        house_w = self.base_w + sum(self.drawn_w.values()) + rng.uniform(-noise_w, noise_w)
        if rng.random() >= loss and silent != CONS:
            self.handle(CONS, reading(max(0.0, house_w)), start)
        if rng.random() >= loss and silent != PROD:
            self.handle(PROD, reading(max(0.0, self.pv_w + rng.uniform(-noise_w, noise_w))), start + 1.0)
        self.now = start + PERIOD_S - 0.5
        self.reg.tick(self.now)  # (the daemon's timers run between the readings too)
        self.now = start + PERIOD_S

    @property
    def grid_w(self) -> float:
        """The real grid flow over the last period (> 0: import), without the meters' noise."""
        return self.base_w + sum(self.drawn_w.values()) - self.pv_w

    @property
    def caused_w(self) -> float:
        """The import the unforced loads caused over the last period: the grid's import, up to what they drew (a
        forced load's draw is its owner's)."""
        drawn_w = sum(watts for name, watts in self.drawn_w.items() if not self.reg.loads_by_name[name].is_forced())
        return min(max(0.0, self.grid_w), drawn_w)
