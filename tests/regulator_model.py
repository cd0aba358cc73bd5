"""The model test_regulator_properties drives the decision core through: random set-ups (loads in a random
priority order, loop settings, either rule) and events, a simulated house whose loads draw what they really draw,
the Regulator built from a config, and a watch of what it decided."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from core.decision_summary import DecisionSummary
from equipments.base import Equipment
from equipments.constant import RelayEquipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment
from tests.configs import KINDS, reading, write_config
from tests.harness import CONS, NOON, PROD, Harness

NAMES = ("ecs", "radiator", "small", "plug", "ecs2")
ECS2 = "\n[ecs2]\ntopic_set_power = regul/vload/ECS2/cmd\ncalibration = linear.csv\nmin_power = 150\n"
GUARD_W = 100.0  # the default import_guard
METER_TIMEOUT_S = 10.0  # write_config's
PERCENT_W = 20.0  # the test heater's whole percent


@dataclass(frozen=True)
class Setup:
    loads: tuple[str, ...]
    algorithm: str
    gain: float
    anticipate: float
    anticipate_rise: float  # (a rise taken ahead is a chosen guess: the import check is off with it)
    margin_w: float
    dwell_s: tuple[float, float] | None  # (min_on_s, min_off_s) for every relay; None: the defaults
    radiator_w: float  # what the radiator labelled 1000 W really draws
    plug_w: float  # what the plug of unknown power really draws


@st.composite
def setups(draw: st.DrawFn) -> Setup:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    return Setup(tuple(names), draw(st.sampled_from(["closed_loop", "closed_loop", "hebert"])),
                 draw(st.sampled_from([1.0, 0.5])), draw(st.sampled_from([0.0, 1.0])),
                 draw(st.sampled_from([0.0, 0.0, 0.5])), draw(st.sampled_from([0.0, 20.0])),
                 draw(st.sampled_from([None, (0.0, 0.0), (30.0, 20.0)])),
                 draw(st.sampled_from([1000.0, 900.0, 1100.0])), draw(st.sampled_from([40.0, 500.0, 2500.0])))


# Events: a pair of readings (production, then the house) dt_s after the last; one meter only (the other's
# reading lost); the house drawing more for one pair of readings; a silence (the timers run, no reading); a force
# or an unforce.
events = st.lists(st.one_of(
    st.tuples(st.just("read"), st.sampled_from([1.0, 2.0, 2.0, 3.0]), st.integers(-1500, 1500),
              st.integers(-800, 800)),
    st.tuples(st.just("one"), st.sampled_from([PROD, CONS]), st.integers(-300, 300)),
    st.tuples(st.just("burst"), st.sampled_from([300, 2000])),
    st.tuples(st.just("silence"), st.sampled_from([5.0, 11.0, 25.0])),
    st.tuples(st.just("force"), st.sampled_from(NAMES), st.sampled_from([0, 300, 1000, 2000]),
              st.sampled_from([None, 30])),
    st.tuples(st.just("unforce"), st.sampled_from(NAMES)),
), min_size=5, max_size=60)


@dataclass
class House:
    h: Harness
    setup: Setup
    pv_w: float = 2500.0
    base_w: float = 400.0
    now: float = NOON
    last_read: dict[str, float] = field(default_factory=dict)

    def real_w(self, name: str) -> float:
        load = self.h.reg.loads_by_name[name]
        if isinstance(load, VariableEquipment):
            return float(load.current_power_w)  # the linear heater draws what it is believed to
        assert isinstance(load, RelayEquipment)
        if not load.is_on:
            return 0.0
        return {"radiator": self.setup.radiator_w, "small": 300.0, "plug": self.setup.plug_w}[name]

    def drawn_w(self, unknown_w: dict[str, float] | None = None) -> float:
        """What the regulated loads draw, a load of unknown power at what it is believed to draw (`unknown_w`, else
        its belief now): what it really draws no rule can know before its measure, and a measure taken as the
        house moved is off by that much."""
        total_w = 0.0
        for load in self.h.reg.loads:
            if load.is_forced() or load.overed:
                continue
            if isinstance(load, UnknownEquipment):
                total_w += load.current_power_w if unknown_w is None else unknown_w.get(load.name, 0.0)
            else:
                total_w += self.real_w(load.name)
        return total_w

    def send(self, topic: str) -> None:
        consumption_w = self.base_w + sum(self.real_w(load.name) for load in self.h.reg.loads)
        self.h.reg.handle(topic, reading(self.pv_w if topic == PROD else consumption_w), self.now)
        self.last_read[topic] = self.now


def make(setup: Setup, folder: Path) -> Harness:
    config = write_config(folder, tuple(name for name in setup.loads if name != "ecs2"), period=1,
                          algorithm=setup.algorithm)
    text = config.read_text().replace(
        "[evaluate]\n", f"[evaluate]\ngain = {setup.gain}\nanticipate = {setup.anticipate}\n"
                        f"anticipate_rise = {setup.anticipate_rise}\n").replace(
        "margin = 20\n", f"margin = {setup.margin_w:g}\n")
    if "ecs2" in setup.loads:  # (a second heater, in its place in the order)
        written = "\n".join(f"{name} = {KINDS[name]}" for name in setup.loads if name != "ecs2")
        listed = "\n".join(f"{name} = {KINDS.get(name, 'variable')}" for name in setup.loads)
        text = text.replace(f"[equipments]\n{written}\n", f"[equipments]\n{listed}\n", 1) + ECS2
    if setup.dwell_s is not None:
        for relay in ("radiator", "small", "plug"):
            text = text.replace(f"[{relay}]\n", f"[{relay}]\nmin_on_s = {setup.dwell_s[0]:g}\n"
                                                f"min_off_s = {setup.dwell_s[1]:g}\n")
    if setup.algorithm == "hebert":  # (the dwell options are the closed loop's)
        text = "\n".join(line for line in text.splitlines() if not line.startswith("min_o"))
    config.write_text(text)
    return Harness(config)


class Watch:
    """What the checks need across events: each relay's last switch, and the controller's counts."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.decisions = 0
        self.guard_sheds = 0
        h.reg.add_decision_listener(self._decided)
        self.switched_at: dict[str, float] = {}
        self.on: dict[str, bool] = {load.name: bool(getattr(load, "is_on", False)) for load in h.reg.loads}
        # Each regulated load of unknown power's belief once the decision's reading has measured it.
        self.measured_w: dict[str, float] = {}
        for load in h.reg.loads:
            if isinstance(load, UnknownEquipment):
                load.observe_consumption = self._observer(load)  # type: ignore[method-assign]
        # The closed loop's beliefs once its decision has taken in the reading (relays' learned watts too).
        self.believed_at_decision: dict[str, float] = {}
        # The loads whose draw the last decision took in doubt (suspected full, the house just fell by part of their
        # watts, a variator silent): their watts are no load's before them to take (core/continuous_share.py).
        self.in_doubt: tuple[str, ...] = ()
        controller = h.reg.controller
        if controller is not None:
            learn = controller.learning.observe

            def observe(loads: Sequence[Equipment], consumption_w: float, now: float) -> float:
                moved_w = learn(loads, consumption_w, now)
                self.believed_at_decision = {load.name: load.current_power_w for load in loads}
                return moved_w

            controller.learning.observe = observe  # type: ignore[method-assign]
            decide = controller.decide

            def decide_watched(*args: Any, **kwargs: Any) -> DecisionSummary:
                self.in_doubt = tuple(kwargs.get("draws_in_doubt", ()))
                return decide(*args, **kwargs)

            controller.decide = decide_watched  # type: ignore[method-assign]

    def _observer(self, load: UnknownEquipment) -> Callable[[float, float, float, float | None], float]:
        observe = load.observe_consumption

        def observed(consumption_w: float, others_w: float, now: float, house_pace_s: float | None = None) -> float:
            drew_w = observe(consumption_w, others_w, now, house_pace_s)
            if not load.is_forced() and not load.overed:
                self.measured_w[load.name] = load.current_power_w
            return drew_w

        return observed

    def _decided(self, record: object) -> None:
        self.decisions += 1

    def excused(self, name: str) -> int:
        controller = self.h.reg.controller
        load = self.h.reg.loads_by_name[name]
        count = int(getattr(load, "idle_offs", 0))
        if controller is not None:
            count += (controller.guard_sheds_by.get(name, 0) + controller.trial_sheds_by.get(name, 0)
                      + controller.handover_offs_by.get(name, 0))
        return count
