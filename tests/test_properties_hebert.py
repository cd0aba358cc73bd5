"""Properties of Hébert's rule (`[evaluate] algorithm = hebert`, core/allocation.py) in the closed-loop house of
tests/property_house.py (hypothesis): 1-2 variators of real calibration curves, 0-3 relays of known or unknown power in
a random priority order, tanks that fill, a sun and a house that ramp and step, noisy meters, lost readings, a meter
falling silent, forces and unforces. The seed's promises (docs/how-it-decides.md, docs/migrating-from-the-seed.md),
checked at every reading and every decision:

- every command in range: whole percents 0..100 for a variator, a relay's own two payloads, every load's belief within
  0 W and its max;
- the seed's order, decision by decision: a shed takes from the lowest priority up (a load is turned down only with
  every regulated load after it at 0 W, or in doubt and shed too: a heater suspected full frees nothing for sure), and
  sheds the whole excess the meter shows, or every regulated watt, from the loads not in doubt; a surplus goes from
  the highest priority down (a load after a variator short of its max gets nothing, nor one after a relay the surplus
  reaching it covered, nor one after a load of unknown power switched on for its measure);
- `margin` is the setpoint: no decision gives power with the meter short of `margin` of export, nor sheds with it
  exporting `margin` or more;
- a force is obeyed at once and holds until its end, which gives the load back at 0 W (the rule gives it power again
  from there); a full tank is out of the allocation (0 W but for its hourly re-check's moment);
- a silent meter puts every unforced load at 0 W within meter_timeout and a tick, and nothing unforced comes on again
  until both meters read.
"""

from __future__ import annotations

import logging
import random
import re
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import core.regulator_decision
from core.allocation import AllocationParams, allocate
from equipments.base import Equipment
from equipments.constant import ConstantEquipment, RelayEquipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment
from tests.property_house import CONS, HEATERS, PERIOD_S, PROD, RELAYS, House, LogTap, Setup, setups
from tests.test_properties_house import PERCENT_TOLERANCE_W, check_commands, check_force

TIMEOUT_S = 10.0  # the house's meter_timeout
IMPORT_W, IMPORT_DECISIONS = 20.0, 2

hebert_setups = st.builds(lambda setup, margin: replace(setup, algorithm="hebert", margin_w=margin),
                          setups(), st.sampled_from([None, 0.0, 20.0]))
Event = tuple[object, ...] | None
# A stretch: periods, the sun's and the house's ramps a period, a force or an unforce at its start, a step of the house
# at its start, and a meter silent through it (None, CONS or PROD).
stretch = st.tuples(st.integers(1, 25), st.integers(-150, 150), st.integers(-60, 60),
                    st.one_of(st.none(), st.tuples(st.just("force"), st.sampled_from(["ecs", "ecs2", *RELAYS]),
                                                   st.sampled_from([0, 400, 1000, 3000]), st.sampled_from([None, 20])),
                              st.tuples(st.just("unforce"), st.sampled_from(["ecs", "ecs2", *RELAYS]))),
                    st.sampled_from([0, 0, 0, 1500, -1500]),
                    st.sampled_from([None, None, None, None, CONS, PROD]))
Stretch = tuple[int, int, int, Event, int, str | None]
Script = tuple[int, list[Stretch], float, float, random.Random]
scripts = st.tuples(st.integers(500, 5000), st.lists(stretch, min_size=3, max_size=10),
                    st.sampled_from([0.0, 10.0]), st.sampled_from([0.0, 0.0, 0.05]), st.randoms(use_true_random=False))


@dataclass
class Decision:
    """One call of the rule: what it was given and what it left."""

    at: float
    regulated: list[Equipment]  # the loads the rule could move, in order
    consumption_w: float
    production_w: float
    params: AllocationParams
    before_w: dict[str, float]
    after_w: dict[str, float] = field(default_factory=dict)
    in_doubt: tuple[str, ...] = ()  # the loads whose draw was in doubt (suspected full, a variator silent)
    result: str = ""


@contextmanager
def spied_rule(house_at: list[float], decisions: list[Decision]) -> Iterator[None]:
    """core.regulator_decision's `allocate`, each call recorded (the loads' beliefs before and after it)."""

    def spy(loads: Sequence[Equipment], consumption_w: float, production_w: float, params: AllocationParams,
            now: float, draws_in_doubt: Collection[str] = ()) -> str:
        everyone = [load for load in loads if in_play(load)]  # (at the decision: a force may end before the check)
        decision = Decision(now, everyone, consumption_w, production_w, params,
                            {load.name: load.current_power_w for load in everyone}, in_doubt=tuple(draws_in_doubt))
        decision.result = allocate(loads, consumption_w, production_w, params, now, draws_in_doubt)
        decision.after_w = {load.name: load.current_power_w for load in everyone}
        decisions.append(decision)
        return decision.result

    with mock.patch.object(core.regulator_decision, "allocate", spy):
        yield


def in_play(load: Equipment) -> bool:
    """A load the rule may move (core.allocation._regulated)."""
    return not load.is_forced() and not load.overed


def check_decision(decision: Decision) -> None:
    """The seed's order and setpoint in one decision."""
    loads = decision.regulated
    before, after = decision.before_w, decision.after_w
    target_w = decision.production_w - decision.params.margin_w
    excess_w = decision.consumption_w - target_w
    said = (f"{decision.result} (consumption {decision.consumption_w:.0f} W, production "
            f"{decision.production_w:.0f} W): {before} -> {after}")
    rose = [load for load in loads if after[load.name] > before[load.name]]
    fell = [load for load in loads if after[load.name] < before[load.name]]
    if excess_w > 0:
        assert decision.result.startswith("decrease"), said
        assert not rose, f"a shed raised {[load.name for load in rose]}: {said}"
        doubted = decision.in_doubt
        for load in fell:  # from the lowest priority up (a load whose draw is in doubt freed nothing for sure)
            after_it = loads[loads.index(load) + 1:]
            # (one in doubt after it is shed too, but need not reach 0 W: it was shed first, its watts counted as none)
            assert all(after[other.name] == 0.0 or (other.name in doubted and other in fell) for other in after_it), (
                f"{load.name} shed before the loads after it: {said}")
        unknown_off = any(isinstance(load, UnknownEquipment) for load in fell)
        # (what a load in doubt gives up frees nothing for sure: the whole excess from the others)
        freed_w = sum(before[load.name] - after[load.name] for load in fell if load.name not in doubted)
        if not unknown_off:  # (a load of unknown power switched off stops the shed: what it freed shows next)
            held_w = sum(before[load.name] for load in loads if load.name not in doubted)
            assert freed_w >= min(excess_w, held_w) - 1e-6, f"shed {freed_w:.0f} W of {excess_w:.0f}: {said}"
        return
    assert not fell or decision.result.startswith("increase"), said
    if -excess_w < decision.params.balance_threshold_w:
        assert decision.result == "balanced" and not rose and not fell, said
        return
    available_w = -excess_w
    taken_w, rounded_w = 0.0, 0.0
    for index, load in enumerate(loads):
        later_rose = [other.name for other in loads[index + 1:] if other in rose]
        if isinstance(load, VariableEquipment):
            # (on under its floor, its whole percent's watts under min_power, 141 W of ECS-04 for 150 W: a surplus too
            # small to lift it over the floor passes it by, equipments/variable.py increase_power_by, and a load of
            # unknown power after it was tried on 0.5 W of surplus. Not the seed's, whose believed watts were those
            # asked: left as found, see the report of 2026-12-06)
            if load.least_on_w <= after[load.name] < load.max_power_w - PERCENT_TOLERANCE_W:
                assert not later_rose, f"{later_rose} given power with {load.name} short of its max: {said}"
            if before[load.name] < load.max_power_w:
                # (what it was asked, its room at most, less its whole percents' rounding: at 1157 W of 1200 it took
                # its 43 W of room, still 1157 W in whole percents)
                rounded_w += PERCENT_TOLERANCE_W
        elif isinstance(load, UnknownEquipment):
            if load in rose:
                assert not later_rose, f"{later_rose} given power as {load.name} was tried: {said}"
        elif isinstance(load, ConstantEquipment) and after[load.name] == 0.0 and later_rose:
            # (left off: the surplus reaching it did not cover its watts, nor could the loads after it free enough)
            assert available_w - taken_w - rounded_w < load.max_power_w, (
                f"{later_rose} given power, {load.name} left off with {available_w - taken_w:.0f} W for it: {said}")
        if load in rose:
            taken_w += after[load.name] - before[load.name]


class Watch:
    """What the checks carry from one reading to the next."""

    def __init__(self, house: House) -> None:
        self.house = house
        self.tap = LogTap(house)
        self.seen = 0  # (check_commands' place in house.sent)
        self.decisions: list[Decision] = []
        self.checked = 0
        self.silent_since: dict[str, float] = {}  # meter topic -> since when it sends nothing
        self.import_since: float | None = None

    def context(self, since: float) -> str:
        lines = [f"{at - self.house.now:+.0f} s {text}" for at, text in self.tap.lines if at >= since - 4]
        return "\n".join(lines[-30:])


def check_beliefs(house: House) -> None:
    for load in house.reg.loads:
        assert 0.0 <= load.current_power_w <= load.max_power_w + 1e-6, (load.name, load.current_power_w)
        if isinstance(load, VariableEquipment) and load.overed and not load.is_forced() \
                and not house.reg.field.tanks._recheck.probing(load.name):
            assert load.current_power_w == 0.0, f"{load.name} full, yet at {load.current_power_w:.0f} W"


def check_stale(house: House, watch: Watch) -> None:
    """A meter silent for meter_timeout (and a tick): every unforced load at 0 W, its command 0 or off."""
    if not any(house.now - since >= TIMEOUT_S + PERIOD_S for since in watch.silent_since.values()):
        return
    assert house.reg.stale_reason is not None, "a meter silent, the regulation not suspended"
    for load in house.reg.loads:
        if load.is_forced():
            continue
        assert load.current_power_w == 0.0, f"{load.name} at {load.current_power_w:.0f} W with a meter silent"
        if isinstance(load, RelayEquipment):
            assert not load.is_on, f"{load.name} on with a meter silent"
        else:
            assert load.current_command().payload in ("0", "0.0"), (load.name, load.current_command())


def check_import(house: House, watch: Watch, noise_w: float, moved_w: float) -> None:
    """The loads keep no import: what the unforced loads draw of an import over the noise and two periods' move lasts
    IMPORT_DECISIONS decisions at most (without readings, no decision: the stale guard's, check_stale). Two: a command
    acts a period later, and the rule decides on the pair it has, whose production reading may be a period older than
    the house's (a lost reading shifts the pair; it does not wait for the next production reading as the closed loop
    does, docs/control.md), so on a ramp it trails by up to two periods' move. `moved_w`: the net's move over the last
    period plus the sun's own (an older production reading misses the sun's move even when the house's cancels it)."""
    caused_w = house.caused_w
    if caused_w <= IMPORT_W + 2 * noise_w + 2.5 * abs(moved_w):
        watch.import_since = None
        return
    if watch.import_since is None:
        watch.import_since = house.now
    answered = sum(1 for decision in watch.decisions if decision.at >= watch.import_since)
    lasted_s = house.now - watch.import_since
    assert answered <= IMPORT_DECISIONS, (
        f"the loads kept {caused_w:.0f} W of import for {lasted_s:g} s, {answered} decisions "
        f"(grid {house.grid_w:.0f} W, drawn {house.drawn_w})\n{watch.context(watch.import_since)}")


def check_unforced(house: House, name: str) -> None:
    """A force's end under Hébert's rule: the load at 0 W, off, the rule gives it power again from there."""
    load = house.reg.loads_by_name[name]
    assert not load.is_forced()
    assert load.current_power_w == 0.0, (name, load.current_power_w)
    if isinstance(load, RelayEquipment):
        assert not load.is_on, name


def run(setup: Setup, script: Script) -> House:
    pv_start_w, stretches, noise_w, loss, rng = script
    decisions: list[Decision] = []
    with tempfile.TemporaryDirectory() as folder, spied_rule([], decisions):
        house = House(setup, Path(folder))
        assert house.reg.controller is None  # (Hébert's rule)
        house.pv_w = float(pv_start_w)
        watch = Watch(house)
        watch.decisions = decisions
        logger = logging.getLogger()
        logger.addHandler(watch.tap)
        level = logger.level
        logger.setLevel(logging.INFO)
        try:
            house.reg.tick(house.now)
            for periods, pv_ramp_w, base_ramp_w, event, house_step_w, silent in stretches:
                house.base_w = max(100.0, house.base_w + house_step_w)
                if silent is None:
                    watch.silent_since.clear()
                else:
                    watch.silent_since = {silent: watch.silent_since.get(silent, house.now)}
                if event is not None and event[1] in house.reg.loads_by_name:
                    name = str(event[1])
                    house.now += 0.5
                    was_forced = house.reg.loads_by_name[name].is_forced()
                    if event[0] == "force":
                        house.mode(name, event[2], event[3])
                        check_force(house, name, int(str(event[2])))
                    else:
                        house.mode(name)
                        if was_forced:
                            check_unforced(house, name)
                    check_commands(house, watch)  # type: ignore[arg-type]
                    house.now += 0.5
                for _ in range(periods):
                    net_w, sun_w = house.base_w - house.pv_w, house.pv_w
                    house.pv_w = min(6000.0, max(0.0, house.pv_w + pv_ramp_w))
                    house.base_w = min(3000.0, max(100.0, house.base_w + base_ramp_w))
                    # (the net's move, and the sun's own: a production reading a period older than the house's misses
                    # it whatever the house did, the sun and the house falling together, 47 and 50 W a period)
                    moved_w = abs(house.base_w - house.pv_w - net_w) + abs(house.pv_w - sun_w)
                    ending = [load.name for load in house.reg.loads
                              if load.force_end_at is not None and load.force_end_at <= house.now + PERIOD_S]
                    house.step(rng, noise_w, loss, silent)
                    for name in ending:  # a force's end gives the load back, at 0 W
                        load = house.reg.loads_by_name[name]
                        if not load.is_forced() and not any(d.at >= load.last_command_at for d in decisions
                                                            if load.last_command_at is not None):
                            check_unforced(house, name)
                    for load in house.reg.loads:
                        if load.is_forced() and load.force_end_at is not None:
                            assert house.now < load.force_end_at + PERIOD_S, (load.name, "still forced")
                    check_commands(house, watch)  # type: ignore[arg-type]
                    check_beliefs(house)
                    check_stale(house, watch)
                    check_import(house, watch, noise_w, moved_w)
                    for decision in decisions[watch.checked:]:
                        try:
                            check_decision(decision)
                        except AssertionError as exc:
                            raise AssertionError(f"{exc}\n{watch.context(decision.at)}") from None
                    watch.checked = len(decisions)
        finally:
            logger.removeHandler(watch.tap)
            logger.setLevel(level)
        return house


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hebert_setups, scripts)
# The search's case: the sun and the house falling together (47 and 50 W a period), the heater on at 5 W of surplus,
# each decision's production reading a period older than the house's: 37 W imported for three decisions.
@example(Setup(("ecs",), {"ecs": "power_calibration_ECS-04.csv"}, {}, {}, (60.0, 30.0), 1.0, None, "hebert"),
         (529, [(1, 150, -11, None, 0, PROD), (3, 0, -5, None, 0, PROD), (6, 0, 11, None, 0, CONS),
                (5, -47, -50, None, 0, None)], 0.0, 0.0, random.Random(0)))
# h2's search's case: ecs2's tank cut, suspected full ('the house fell by 1139 W at once') but believed at 1157 W, a
# house step of +1500 W shed from its phantom watts first (1157 -> 709 -> 262 -> 0 W), ecs importing 436 W for three
# decisions. A heater suspected full frees nothing for sure: the shed takes ecs too.
@example(Setup(("ecs", "ecs2"), {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"}, {},
               {"ecs2": 30.0}, (60.0, 30.0), 1.0, None, "hebert"),
         (4147, [(1, 0, 0, None, 0, None), (22, 0, -52, None, 0, None), (1, 0, 0, None, 0, None),
                 (19, 144, 22, None, 0, None), (1, 0, 0, None, 0, None), (22, -50, 0, None, 0, PROD),
                 (20, -51, 0, None, 0, None), (12, 0, 0, ("unforce", "ecs"), 1500, None)], 0.0, 0.0, random.Random(0)))
def test_hebert_rule_keeps_the_seeds_promises(setup: Setup, script: Script) -> None:
    run(setup, script)


# --- a full tank under Hébert's rule: found full, out of the allocation, re-checked an hour later ---------------------
FOUND_FULL_S = 300.0  # a cut found within: a suspicion (moves, steps or the cut at saturation), 120 s, the re-probe
RECHECK_S = 3600.0 + 120.0  # the hourly re-check (field/full_tank_recheck.py), once the house exports the floor


@st.composite
def tank_houses(draw: st.DrawFn) -> tuple[Setup, str, float, float, float]:
    """A house of Hébert's rule whose heater `full` has a small tank; the sun (W), its draw of hot water (minutes
    after the start, Wh) that gives its tank room before its re-check."""
    heaters = draw(st.sampled_from([("ecs",), ("ecs2",), ("ecs", "ecs2")]))
    relays = tuple(draw(st.lists(st.sampled_from(["radiator", "towel"]), max_size=2, unique=True)))
    order = tuple(draw(st.permutations(heaters + relays)))
    full = draw(st.sampled_from(heaters))
    setup = Setup(order, {name: draw(st.sampled_from(["power_calibration_ECS-04.csv", "power_calibration_ECS-03.csv"]))
                          for name in heaters},
                  {name: {"radiator": 1000.0, "towel": 600.0}[name] for name in relays},
                  {full: draw(st.sampled_from([20.0, 40.0]))}, (60.0, 30.0), 1.0, None, "hebert")
    return (setup, full, float(draw(st.integers(1500, 5000))), float(draw(st.integers(10, 50))),
            float(draw(st.sampled_from([200.0, 500.0]))))


def run_tank(setup: Setup, full: str, pv_w: float, draw_min: float, draw_wh: float, noise_w: float,
             rng: random.Random) -> None:
    """75 minutes of a steady sun: the tank of `full` fills, is found full, gets room again `draw_min` minutes after
    the start (a shower of `draw_wh`) and is re-checked an hour after it was found full."""
    decisions: list[Decision] = []
    with tempfile.TemporaryDirectory() as folder, spied_rule([], decisions):
        house = House(setup, Path(folder))
        house.pv_w = pv_w
        watch = Watch(house)
        watch.decisions = decisions
        # (the log read by the checks, its lines said in a failure's context: the re-check's verdicts)
        logger = logging.getLogger()
        logger.addHandler(watch.tap)
        level = logger.level
        logger.setLevel(logging.INFO)
        try:
            heater = house.reg.loads_by_name[full]
            tank = house.loads[full].tank
            assert tank is not None
            cut_since: float | None = None
            found_at: float | None = None
            spare_since: float | None = None
            retry_at: float | None = None  # (when a re-check with no verdict is made again)
            read_lines = 0
            drawn = False
            house.reg.tick(house.now)
            start = house.now
            while house.now < start + 75 * 60:
                if not drawn and house.now >= start + draw_min * 60:
                    tank.take(draw_wh)
                    drawn = True
                house.step(rng, noise_w, 0.0)
                check_commands(house, watch)  # type: ignore[arg-type]
                check_beliefs(house)
                if house.reg.controller is None:
                    for decision in decisions[watch.checked:]:
                        check_decision(decision)
                    watch.checked = len(decisions)
                # A cut while commanded: found full (or commanded 0 W) within FOUND_FULL_S.
                if tank.full and heater.current_power_w > 0.0 and not heater.overed:
                    cut_since = house.now if cut_since is None else cut_since
                    assert house.now - cut_since <= FOUND_FULL_S, (
                        f"{full} cut for {house.now - cut_since:.0f} s, believed at {heater.current_power_w:.0f} W, "
                        f"not found full\n{watch.context(cut_since)}")
                else:
                    cut_since = None
                if heater.overed and found_at is None:
                    found_at = house.now
                if found_at is not None and not heater.overed:
                    found_at = None  # (re-checked: drawing again)
                # Re-checked within 2 minutes once its hour is up and the house exports its floor (the variable loads
                # after it counted: the rule sheds them for it), its tank taking power; relays that take the surplus
                # whole are not switched off for a probe (docs/field-features.md, re-checked an hour later).
                after = setup.order[setup.order.index(full) + 1:]
                spare_w = -house.grid_w + sum(house.drawn_w[name] for name in after if name in HEATERS)
                # (a re-check with no verdict, the house too restless to read a step in, is made again the wait its line
                # says on, PROBE_RETRY_S or twice the last one's: the two minutes count from then)
                for at, text in watch.tap.lines[read_lines:]:
                    if text.startswith(f"{full}: no verdict at its re-check"):
                        wait = re.search(r"re-checked again in (\d+) min", text)
                        assert wait is not None, text
                        retry_at = at + 60.0 * float(wait.group(1))
                read_lines = len(watch.tap.lines)
                if found_at is None or not drawn or tank.full or house.now < found_at + 3600.0 or (
                        retry_at is not None and house.now < retry_at):
                    spare_since = None
                elif spare_w >= max(heater.least_on_w, 100.0) + 20.0 and spare_since is None:  # type: ignore[attr-defined]
                    spare_since = house.now
                if spare_since is not None:
                    assert house.now - spare_since <= RECHECK_S - 3600.0, (
                        f"{full} flagged full since {house.now - found_at:.0f} s, its tank taking power, the house "
                        f"exporting its floor since {house.now - spare_since:.0f} s\n{watch.context(spare_since)}")
        finally:
            logger.removeHandler(watch.tap)
            logger.setLevel(level)
        assert drawn


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tank_houses(), st.sampled_from([0.0, 10.0]), st.integers(0, 2**16).map(random.Random))
# The search's case: ecs2's first re-check found no verdict (the radiator shed as its floor came on, Hébert's rule
# moving ecs after it at each reading), made again 5 min on, where the tank drew.
@example((Setup(("ecs2", "ecs", "radiator"), {"ecs": "power_calibration_ECS-04.csv",
                                              "ecs2": "power_calibration_ECS-04.csv"},
                {"radiator": 1000.0}, {"ecs2": 20.0}, (60.0, 30.0), 1.0, None, "hebert"), "ecs2", 2421.0, 10.0, 200.0),
         0.0, random.Random(0))
def test_hebert_rule_finds_a_full_tank_and_rechecks_it(house_of: tuple[Setup, str, float, float, float],
                                                        noise_w: float, rng: random.Random) -> None:
    run_tank(*house_of, noise_w, rng)


@pytest.mark.parametrize("algorithm", ["hebert", "closed_loop"])
def test_a_full_heater_is_rechecked_while_the_one_after_it_takes_the_surplus(algorithm: str) -> None:
    """The search's case: ecs found full, ecs2 after it takes the whole surplus (the house exports the setpoint). Its
    re-check took its floor from the export alone: never due, the tank reheated after a shower at 12:10 waited for
    the daily clear. Now the floor may come from ecs2, which the allocation sheds for it."""
    setup = Setup(("ecs", "ecs2"), {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-04.csv"}, {},
                  {"ecs": 20.0}, (60.0, 30.0), 1.0, None, algorithm)
    run_tank(setup, "ecs", 1500.0, 10.0, 200.0, 0.0, random.Random(0))


# --- a tank that cuts, believed drawing: Hébert's shed went into its phantom watts first ------------------------------
def test_a_heater_whose_tank_cuts_hidden_by_a_house_step_keeps_an_import_four_decisions_at_most() -> None:
    """h2's case: ecs's tank cuts over the readings where the house steps up by 1500 W, its first half hidden by the
    step, its second at the reading where the rule sheds ecs by 232 W (2298 -> 2066 W, the step's excess). Blamed on
    ecs2 ('ecs2 may be full: the house fell by 902 W at once'), ecs was believed at its 2298 W drawing nothing, its
    moves' window spoilt by that fall (-232 W against -1134 W) until its 300 s were up: suspected 530 s after its cut,
    and each shed meanwhile went into its phantom watts first, ecs2 importing 83 W for 20 decisions. The fall no move
    explains now starts the window afresh: the sheds of ecs that the house does not follow make it suspect 24 s after
    its cut, and the next shed takes ecs2 too. No reading showed the cut before the sheds (the house step hid it), and
    the window needs 300 W of moves: the import lasts four decisions, not two (three sheds of 99-124 W and the one
    that answers it)."""
    setup = Setup(("plug", "ecs2", "ecs"), {"ecs": "power_calibration_ECS-04.csv",
                                            "ecs2": "power_calibration_ECS-03.csv"},
                  {"plug": 500.0}, {"ecs": 30.0}, (60.0, 30.0), 1.0, None, "hebert")
    # (three decisions seen importing, the fourth answering it: at four, its answer could come a decision later unseen)
    with mock.patch(f"{__name__}.IMPORT_DECISIONS", 3):
        run(setup, (4500, [(25, 0, 0, None, 0, None), (10, -111, 0, ("force", "plug", 3000, None), 1500, None),
                           (10, 0, 0, None, 0, None)], 0.0, 0.0, random.Random(0)))
