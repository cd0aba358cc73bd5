"""Properties of the decision core in a closed loop (hypothesis; tests/property_house.py): houses of 1 or 2 variators
with real calibration curves (believed one sweep, drawing another's), 0-3 relays of known or unknown power in a random
priority order, tanks that fill, a sun and a house that ramp and step, noisy meters, lost readings, forces and
unforces. The promises of docs/control.md checked at every reading:

- every command in range: a variator gets whole percents in 0..100, a relay its own two payloads, a load's belief
  stays within 0 W and its max;
- keep the order: a variable load is not on while one before it (unforced, not full) is short of its max (but for one
  off whose floor the whole surplus left to it does not cover: that surplus goes on down), and a relay the loop
  switches on comes on only over the variable loads before it at their max (less the hysteresis band of the
  relays after it held on: the hand-over, which keeps the total; at gain under 1, on the whole surplus over them at
  their max, where they go at the damped pace, none lowered for it);
- the relays keep their dwell, but for the listed exceptions (the import guard, a force or an unforce, a silent
  meter, a load of unknown power's measure);
- the loads do not keep the house importing: an import over the guard's level that the regulated loads could answer
  lasts no longer than the guard's time and a few readings;
- a force is obeyed at once and holds until its end, which gives the load back to the regulation.
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings

from core.decision_summary import DecisionSummary
from core.decisions import DecisionRecord
from core.relay_pass import relay_power_w
from equipments.base import Equipment
from equipments.constant import RelayEquipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment
from tests.property_house import HEATERS, PERIOD_S, RELAYS, House, LogTap, Setup, scripts, setups

PERCENT_TOLERANCE_W = 60.0  # the believed curves' largest step between two whole percents, and the 5 W bound
GUARD_W, GUARD_TIME_S = 100.0, 20.0  # the defaults
SHED_IMPORT_W = 20.0  # the import a decision sees over which its shed is checked (check_shed_past_doubt)
Script = tuple[int, list[tuple[int, int, int, tuple[object, ...] | None, int]], float, float, random.Random]


class Watch:
    """What the checks carry from one reading to the next; the order is checked at each decision, as it is taken."""

    def __init__(self, house: House) -> None:
        self.house = house
        reg = house.reg
        self.on = {load.name: False for load in reg.loads if isinstance(load, RelayEquipment)}
        self.on_decided = dict(self.on)
        self.switched_at = {name: house.now for name in self.on}
        self.forced = {name: False for name in self.on}
        # Relays unforced since the last decision (handed to the regulation): the next may switch them, whatever
        # their dwell; and those it did switch so.
        self.handed_back: set[str] = set()
        self.excused: set[str] = set()
        # Relays switched off as a load of unknown power before them was switched on for its trial, by name: that load
        self.displaced_by: dict[str, str] = {}
        self.decided = False
        self.import_since: float | None = None
        self.seen = 0
        self.tap = LogTap(house)
        # The loads whose draw the decision being checked took in doubt (suspected full, the house just fell by part of
        # their watts, a variator silent): each decision's shed is checked as it is taken (check_shed_past_doubt).
        self.in_doubt: tuple[str, ...] = ()
        controller = reg.controller
        if controller is not None:
            decide = controller.decide

            def decide_watched(loads: Sequence[Equipment], consumption_w: float, production_w: float, now: float,
                               **kwargs: Any) -> DecisionSummary:
                self.in_doubt = tuple(kwargs.get("draws_in_doubt", ()))
                before = {load.name: (load.current_power_w, getattr(load, "is_on", None)) for load in loads}
                summary = decide(loads, consumption_w, production_w, now, **kwargs)
                check_shed_past_doubt(loads, before, consumption_w - production_w, self.in_doubt, self)
                return summary

            controller.decide = decide_watched  # type: ignore[method-assign]
        reg.add_decision_listener(self._decided)

    def _decided(self, record: DecisionRecord) -> None:
        self.decided = True
        check_order(self.house, self, record)
        check_relays_on(self.house, self, record)
        self.see_forces()
        for name, trial in list(self.displaced_by.items()):
            # (found on and measured, the load tried keeps the place it measured into: the relay rests as usual)
            tried = self.house.reg.loads_by_name[trial]
            if isinstance(tried, UnknownEquipment) and tried.is_on and not tried.measuring:
                del self.displaced_by[name]
        for name in self.handed_back:
            if self.house.reg.loads_by_name[name].is_on != self.on_decided[name]:
                self.excused.add(name)
        self.handed_back.clear()
        self.on_decided = {name: self.house.reg.loads_by_name[name].is_on for name in self.on}

    def see_forces(self) -> None:
        for name in self.on:
            forced = self.house.reg.loads_by_name[name].is_forced()
            if self.forced[name] and not forced:
                self.handed_back.add(name)
            self.forced[name] = forced

    def context(self, since: float) -> str:
        lines = [f"{at - self.house.now:+.0f} s {text}" for at, text in self.tap.lines if at >= since - 4]
        return "\n".join(lines[-30:])


def check_commands(house: House, watch: Watch) -> None:
    for _at, topic, payload in house.sent[watch.seen:]:
        name = house.topics.get(topic)
        if name is None:
            continue
        if name in HEATERS:
            assert payload.isdigit() and 0 <= int(payload) <= 100, f"{name}: sent {payload!r}"
        else:
            assert payload in ("on", "off"), f"{name}: sent {payload!r}"
    watch.seen = len(house.sent)
    for load in house.reg.loads:
        if isinstance(load, VariableEquipment):
            assert 0.0 <= load.current_power_w <= load.max_power_w + 1e-6, (load.name, load.current_power_w)


def check_switches(house: House, watch: Watch, before_forced: dict[str, bool], since: float) -> None:
    """Each relay's switch since the last check keeps its dwell, but for the listed exceptions."""
    reg = house.reg
    min_on_s, min_off_s = house.setup.dwell_s
    for load in reg.loads:
        name = load.name
        if not isinstance(load, RelayEquipment):
            continue
        if load.is_on == watch.on[name]:
            continue
        # (the dwell counted between the commands, as the rule counts it: the checks come at the periods' ends, and a
        # mode message between two switches moved the periods by a second, a dwell kept to the second measured 19 s of
        # 20)
        switched_at = load.last_command_at if load.last_command_at is not None else house.now
        held_s = switched_at - watch.switched_at[name]
        said = [text for at, text in watch.tap.lines if at >= since and text.startswith(f"{name}:")]
        trial = watch.displaced_by.pop(name, None)
        excused = (load.is_forced() or before_forced[name] or name in watch.excused
                   or reg.stale_reason is not None
                   or any(word in text for text in said for word in ("guard", "silent", "frozen"))
                   or RELAYS[name][0] == "unknown"
                   # (switched off for a trial that found nothing, the load tried off again: its rest is not owed,
                   # docs/control.md, a load of unknown power)
                   or (load.is_on and trial is not None and not reg.loads_by_name[trial].is_on))
        if not load.is_on:
            trial = trial_switched_on(house, watch, name, since)
            if trial is not None:
                watch.displaced_by[name] = trial
        if not excused:
            limit_s = min_off_s if load.is_on else min_on_s
            assert held_s >= limit_s - 1e-6, (
                f"{name} switched {'on' if load.is_on else 'off'} {held_s:g} s after its last switch "
                f"(dwell {limit_s:g} s)\n{watch.context(watch.switched_at[name])}")
        watch.on[name] = load.is_on
        watch.switched_at[name] = switched_at
    watch.excused.clear()
    watch.see_forces()
    watch.on_decided = {name: reg.loads_by_name[name].is_on for name in watch.on}


def trial_switched_on(house: House, watch: Watch, name: str, since: float) -> str | None:
    """The load of unknown power before relay `name` switched on to be measured since `since`, if any."""
    before = house.setup.order[:house.setup.order.index(name)]
    for at, text in watch.tap.lines:
        trial, _, rest = text.partition(": ")
        if at >= since and trial in before and RELAYS.get(trial, ("",))[0] == "unknown" \
                and rest.startswith("0 W -> ") and "measure" in rest:
            return trial
    return None


def check_relays_on(house: House, watch: Watch, record: DecisionRecord) -> None:
    """A relay the loop switches on comes on over the variable loads before it at their max. At `gain` under 1 they go
    there at the loop's damped pace, the relay on the whole surplus (docs/control.md, 2.): one short of its max is not
    lowered at that decision (but for a relay before it switched on, a hand-over), and the whole surplus the meter
    showed covers it at its max with the relay."""
    reg = house.reg
    assert reg.controller is not None
    params = reg.controller.params
    for load in reg.loads:
        if not isinstance(load, RelayEquipment) or not load.is_on or watch.on_decided[load.name] or load.is_forced():
            continue
        if said_lately(watch, load.name, "covers its label", 0.0):
            continue  # (a figure from one step over the label: the label's watts switch it on, docs/control.md)
        index = reg.loads.index(load)
        band_w = sum(after.hysteresis_w + params.setpoint_w for after in reg.loads[index + 1:]
                     if isinstance(after, RelayEquipment) and not after.is_forced() and after.is_on
                     and watch.on_decided[after.name])
        left_w = whole_left_w(house, record, load) if params.gain < 1 else None
        handed_over = False  # (a relay before it switched on at this decision, which it gives its watts to)
        for before in reg.loads[:index]:
            if isinstance(before, RelayEquipment):
                handed_over = handed_over or (before.is_on and not watch.on_decided[before.name])
            elif isinstance(before, VariableEquipment) and not before.is_forced() and not before.overed:
                if left_w is not None and left_w >= -PERCENT_TOLERANCE_W - band_w and (handed_over or \
                        before.current_power_w >= record.drew_w[reg.loads.index(before)] - PERCENT_TOLERANCE_W):
                    continue  # (going to its max at the damped pace: this relay took none of its move)
                assert before.current_power_w >= before.max_power_w - PERCENT_TOLERANCE_W - band_w, (
                    f"{load.name} switched on with {before.name} at {before.current_power_w:.0f} W of "
                    f"{before.max_power_w:.0f} (the whole surplus left over them at their max: {left_w} W)\n"
                    f"{watch.context(house.now)}")


def whole_left_w(house: House, record: DecisionRecord, relay: RelayEquipment) -> float:
    """What the whole surplus the decision saw (the regulated loads at their believed watts at the reading, less the
    setpoint) leaves `relay` switched on, over the loads before it (the variable ones at their max) and the relays
    after it on."""
    reg = house.reg
    assert reg.controller is not None
    left_w = record.production_w - record.consumption_w - reg.controller.params.setpoint_w
    before = True
    for index, load in enumerate(reg.loads):
        if load.is_forced() or load.overed:
            continue
        left_w += record.drew_w[index]
        if isinstance(load, VariableEquipment):
            left_w -= load.max_power_w if before else 0.0
        elif isinstance(load, RelayEquipment) and load.is_on:
            left_w -= relay_power_w(load) or 0.0
        before = before and load is not relay
    return left_w


def said_lately(watch: Watch, name: str, words: str, seconds: float) -> bool:
    """The core said `words` of load `name` within the last `seconds`."""
    return any(at >= watch.house.now - seconds and text.startswith(f"{name}:") and words in text
               for at, text in watch.tap.lines)


def check_shed_past_doubt(loads: Sequence[Equipment], before: dict[str, tuple[float, bool | None]], grid_w: float,
                          in_doubt: Collection[str], watch: Watch) -> None:
    """A shed the grid's import asks for (no relay switched at the decision: a hand-over moves the heaters both ways)
    that turns a variable load in doubt down turns the ones before it down as well, by as much (a whole percent each
    aside, or all they held), or by the whole import asked when it fell by more (from near its floor to 0: 236 W at an
    import of 155 W, which the heater before it gave, 153 W): what a heater whose tank cut gives up frees nothing. Taken
    from its belief alone, the heater before it kept the house importing until that belief reached 0 W (436 W for three
    readings, 83 W for 23: under the import check's 100 W, or shorter than its time)."""
    if grid_w <= SHED_IMPORT_W or not in_doubt:
        return
    if any(getattr(load, "is_on", None) != before[load.name][1] for load in loads if isinstance(load, RelayEquipment)):
        return
    # (the loads the decision is handed, the forced and the full ones too: those are the house's, not the loop's)
    variable = [load for load in loads if isinstance(load, VariableEquipment) and not load.is_forced()
                and not load.overed]
    controller = watch.house.reg.controller
    setpoint_w = controller.params.setpoint_w if controller is not None else 0.0
    for index, load in enumerate(variable):
        fell_w = before[load.name][0] - load.current_power_w
        if load.name not in in_doubt or fell_w <= PERCENT_TOLERANCE_W:
            continue
        above = [other for other in variable[:index] if other.name not in in_doubt]
        held_w = sum(before[other.name][0] for other in above)
        gave_w = sum(before[other.name][0] - other.current_power_w for other in above)
        asked_w = grid_w + setpoint_w  # (the shed the grid asks for: its import, and the export setpoint)
        assert gave_w >= min(fell_w, held_w, asked_w) - PERCENT_TOLERANCE_W * len(above), (
            f"{load.name}, in doubt, shed by {fell_w:.0f} W at a grid of {grid_w:.0f} W, the loads before it by "
            f"{gave_w:.0f} W of {held_w:.0f}\n{watch.context(watch.house.now)}")


def check_order(house: House, watch: Watch, record: DecisionRecord) -> None:
    """A variable load is not on while one before it (unforced, not full) is short of its max, but for one off whose
    floor the whole surplus left to it does not cover: that surplus goes on down the list, to a variable load whose
    own floor it covers (docs/control.md, 3.: two heaters of min_power 150 W whose floor percents are believed at 147 W
    and 141 W, 142-146 W free for them within the bound: the first off, the second at its floor)."""
    short = None
    for load in house.reg.loads:
        # (a heater suspected full and held at 0 W for its re-probe, 15 s, is out of the allocation: docs/control.md,
        # a full tank; one whose draw is in doubt keeps its watts from the loads before it, and under a shed that
        # passed it, the loads before it gave up what it could not free: neither checked nor short)
        if isinstance(load, VariableEquipment) and not load.is_forced() and not load.overed \
                and not said_lately(watch, load.name, "full-tank check", 20.0) and load.name not in watch.in_doubt:
            assert short is None or load.current_power_w == 0.0, (
                f"{load.name} at {load.current_power_w:.0f} W under {short}\n{watch.context(house.now)}")
            if load.current_power_w < load.max_power_w - PERCENT_TOLERANCE_W:
                room_w = whole_room_w(house, record, load)
                if load.current_power_w == 0.0 and room_w < load.least_on_w:
                    continue  # (its floor over the whole surplus left to it: passed down)
                short = f"{load.name} at {load.current_power_w:.0f} W of {load.max_power_w:.0f} ({room_w:.0f} W free)"


def whole_room_w(house: House, record: DecisionRecord, variable: VariableEquipment) -> float:
    """What the decision left `variable` for a grid at 0 W, plus dither_import, the grid taken whole (the surplus a
    variable load's floor is weighed against): the regulated loads' believed watts at the reading less the grid, less
    the relays on and the variable loads before it as the decision left them."""
    reg = house.reg
    assert reg.controller is not None
    room_w = record.production_w - record.consumption_w + reg.controller.params.dither_import_w
    before = True
    for index, load in enumerate(reg.loads):
        if load.is_forced() or load.overed:
            continue
        room_w += record.drew_w[index]
        if load is variable:
            before = False
        elif isinstance(load, RelayEquipment) and load.is_on:
            room_w -= relay_power_w(load) or 0.0
        elif before and not isinstance(load, RelayEquipment):
            room_w -= load.current_power_w
    return room_w


def check_import(house: House, watch: Watch, noise_w: float, moved_w: float) -> None:
    """`moved_w`: how much the house less the sun moved over the last period. A command acts a reading later (the loop
    answers what the meter showed): on a ramp the loop trails it by about a period's move, an import it answers."""
    caused_w = house.caused_w
    if caused_w <= GUARD_W + 2 * noise_w + 1.5 * abs(moved_w):
        watch.import_since = None
        return
    if watch.import_since is None:
        watch.import_since = house.now
    lasted_s = house.now - watch.import_since
    assert lasted_s <= GUARD_TIME_S + 5 * PERIOD_S, (
        f"the loads kept {caused_w:.0f} W of import for {lasted_s:g} s (grid {house.grid_w:.0f} W, "
        f"drawn {house.drawn_w})\n{watch.context(watch.import_since)}")


def check_force(house: House, name: str, power_w: int) -> None:
    load = house.reg.loads_by_name[name]
    assert load.is_forced()
    if isinstance(load, RelayEquipment):
        assert load.is_on == (power_w > 0), (name, power_w, load.is_on)
    else:
        assert abs(load.current_power_w - min(power_w, load.max_power_w)) <= PERCENT_TOLERANCE_W, (
            name, power_w, load.current_power_w)


def run(setup: Setup, script: Script) -> House:
    pv_start_w, stretches, noise_w, loss, rng = script
    with tempfile.TemporaryDirectory() as folder:
        house = House(setup, Path(folder))
        house.pv_w = float(pv_start_w)
        watch = Watch(house)
        logger = logging.getLogger()
        logger.addHandler(watch.tap)
        level = logger.level
        logger.setLevel(logging.INFO)
        try:
            house.reg.tick(house.now)
            for periods, pv_ramp_w, base_ramp_w, event, house_step_w in stretches:
                house.base_w = max(100.0, house.base_w + house_step_w)
                if event is not None and event[1] in house.reg.loads_by_name:
                    name = str(event[1])
                    before_forced = {load.name: load.is_forced() for load in house.reg.loads}
                    house.now += 0.5
                    watch.decided = False
                    if event[0] == "force":
                        house.mode(name, event[2], event[3])
                        check_force(house, name, int(str(event[2])))
                    else:
                        house.mode(name)
                        assert not house.reg.loads_by_name[name].is_forced()
                    check_commands(house, watch)
                    check_switches(house, watch, before_forced, house.now)
                    house.now += 0.5
                for _ in range(periods):
                    house.pv_w = min(6000.0, max(0.0, house.pv_w + pv_ramp_w))
                    house.base_w = min(3000.0, max(100.0, house.base_w + base_ramp_w))
                    before_forced = {load.name: load.is_forced() for load in house.reg.loads}
                    watch.decided = False
                    since = house.now
                    house.step(rng, noise_w, loss)
                    for load in house.reg.loads:  # a force's end gives the load back
                        if load.is_forced() and load.force_end_at is not None:
                            assert house.now < load.force_end_at + PERIOD_S, (load.name, "still forced")
                    check_commands(house, watch)
                    check_switches(house, watch, before_forced, since)
                    check_import(house, watch, noise_w, base_ramp_w - pv_ramp_w)
        finally:
            logger.removeHandler(watch.tap)
            logger.setLevel(level)
        return house


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(setups(), scripts)
# The documented exceptions the search met, each kept: a relay handed back on at an unforce, off at the next decision
# whatever its dwell; a radiator provisional at 1214 W (label 1000 W) switched on by its label's watts, the heater
# before it giving back 195 W; a heater suspected full held at 0 W for its re-probe, the one after it kept on; a steady
# ramp of the sun down and the house up (128 W a period) the loop trails by about a period's move; the relays after an
# idle plug switched off for its trial, on again at the decision that found it idle (their rest not owed); a heater
# (ecs2, its floor percent believed 147 W) on at 160 W, off for 146 W free within the bound as the house rose, the
# heater after it (its floor percent 141 W) on at its floor (passed down: back at the next reading). At gain 0.5, a
# relay switched on on the whole surplus over the heater before it at its max, the heater still rising there at the
# damped pace (2229 W of 2298 as the house fell by 1500 W; the search met it as the meters came back after a silence,
# every load from 0 W); so too with a radiator before the heater switched on at the same decision, the heater giving it
# its watts (971 W of 1200). And a case the core got wrong: at gain 0.5 ecs2 handed 1061 W over to the radiator before
# it and went off, its bound (the grid taken at half) 141 W under its floor though the whole surplus left, 216 W,
# covered it; ecs took its floor (core/continuous_share.py now keeps ecs2 at its floor there).
@example(Setup(("ecs", "radiator"), {"ecs": "power_calibration_ECS-04.csv"}, {"radiator": 1000.0},
               {"ecs": 30.0, "radiator": 30.0}, (60.0, 30.0), 1.0, 0.0),
         (500, [(1, 0, 0, None, 0), (2, 0, 0, ("force", "radiator", 400, None), 0),
                (1, 0, 0, ("unforce", "radiator"), 0)], 0.0, 0.0, random.Random(0)))
@example(Setup(("ecs", "radiator", "plug", "towel"), {"ecs": "power_calibration_ECS-04.csv"},
               {"towel": 600.0, "plug": 5.0, "radiator": 1200.0}, {"radiator": 30.0, "towel": 30.0}, (60.0, 30.0),
               1.0, 0.0),
         (1695, [(17, 119, 0, None, 0), (13, -67, 0, None, -1500), (7, 10, 0, None, 0), (24, 21, 0, None, 0),
                 (1, 0, 0, None, -1500)], 0.0, 0.0, random.Random(0)))
@example(Setup(("ecs", "ecs2"), {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"}, {},
               {"ecs2": 30.0}, (60.0, 30.0), 1.0, 0.0),
         (1171, [(25, 73, 42, None, 0), (23, 0, 0, None, -1500), (12, 0, 0, None, 0), (16, 0, 0, None, 0),
                 (10, 0, 0, ("unforce", "ecs"), 0)], 0.0, 0.0, random.Random(0)))
@example(Setup(("ecs", "ecs2", "plug"), {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"},
               {"plug": 5.0}, {}, (60.0, 30.0), 1.0, 0.0),
         (1775, [(26, 88, 0, None, 0), (7, 9, -30, ("force", "ecs2", 400, None), 0), (17, -98, 30, None, 1500)],
          0.0, 0.0, random.Random(0)))
@example(Setup(("ecs", "plug", "ecs2", "radiator", "towel"),
               {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"},
               {"radiator": 1000.0, "towel": 600.0, "plug": 5.0}, {"ecs": 30.0}, (60.0, 30.0), 1.0, 0.0),
         (2543, [(25, 79, 0, None, 0), (8, 0, 0, None, 0), (13, 0, 51, None, 0), (25, 140, 0, None, 0)], 0.0, 0.15,
          random.Random(424)))
@example(Setup(("ecs", "radiator", "ecs2", "plug", "towel"),
               {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"},
               {"plug": 5.0, "radiator": 1000.0, "towel": 600.0}, {"ecs": 30.0}, (30.0, 20.0), 1.0, 0.0),
         (3092, [(11, 75, 0, None, 0), (13, 0, 0, None, 0), (13, 0, 0, None, 0), (24, 0, 0, None, 0),
                 (1, 0, 0, ("unforce", "ecs"), 0), (1, 0, 0, None, 0)], 0.0, 0.3, random.Random(160)))
@example(Setup(("ecs2", "ecs", "plug"), {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"},
               {"plug": 5.0}, {"ecs2": 30.0}, (60.0, 30.0), 1.0, 0.0),
         (500, [(1, 0, 18, None, 0), (1, 0, 34, None, 0), (1, 0, 0, None, 0)], 0.0, 0.0, random.Random(0)))
@example(Setup(("radiator", "ecs2", "ecs"),
               {"ecs2": "power_calibration_ECS-02.csv", "ecs": "power_calibration_ECS-04.csv"}, {"radiator": 1000.0},
               {"ecs2": 30.0}, (30.0, 20.0), 0.5, 20.0),
         (798, [(1, 69, 6, None, 0), (10, 99, 34, None, 0), (1, 0, 0, None, 0)], 0.0, 0.0, random.Random(0)))
# A house whose base falls 54 W a reading as ecs2 goes up (and rose 35 W a reading as it went down) spoiled its learned
# steps (29 -> 30 % at -15 W, believed +40 W): every percent from its floor to 31 % looked over its room, the one it ran
# at (33 %, 437 W in 437.6 W) did not; lowered to its floor, ecs took the surplus, the order reversed. It stays.
@example(Setup(("radiator", "ecs2", "ecs"),
               {"ecs2": "power_calibration_ECS-02.csv", "ecs": "power_calibration_ECS-04.csv"}, {"radiator": 1000.0},
               {}, (30.0, 20.0), 0.5, 20.0),
         (500, [(11, 104, 49, ("force", "ecs", 400, 20), 0), (20, -3, 35, None, 0), (11, 94, -60, None, 1500),
                (22, -43, -54, None, 0), (2, -27, 3, None, 0)], 0.0, 0.0, random.Random(0)))
# Met by CI's run of the fixed profile (2026-12-07): at gain 0.5, ecs suspected full (the house fell by 1500 W at once),
# the radiator after it switched on over the whole surplus, and the share's shed past ecs counted the relay's kept
# watts for every load: ecs, in doubt but drawing, was shed from its max for nothing (fixed by counting them relay by
# relay, core/continuous_share.py _doubted).
@example(Setup(("ecs", "plug", "radiator"), {"ecs": "power_calibration_ECS-04.csv"}, {"plug": 5.0, "radiator": 1000.0},
               {}, (30.0, 20.0), 0.5, 0.0),
         (2819, [(1, 130, -20, None, 0), (1, 150, -60, None, 0), (1, 150, -60, None, 0), (1, 150, -60, None, 0),
                 (6, 0, 0, None, 1500), (1, 0, 0, None, -1500)], 0.0, 0.0, random.Random(0)))
@example(Setup(("ecs", "towel"), {"ecs": "power_calibration_ECS-04.csv"}, {"towel": 600.0}, {}, (30.0, 20.0), 0.5, 0.0),
         (3300, [(20, 0, 0, None, 1500), (10, 0, 0, None, -1500)], 0.0, 0.0, random.Random(0)))
@example(Setup(("ecs", "radiator", "ecs2", "towel", "plug"),
               {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"},
               {"radiator": 1000.0, "towel": 600.0, "plug": 5.0}, {}, (600.0, 120.0), 0.5, 0.0),
         (1200, [(25, 93, 3, ("force", "ecs", 1000, None), 0), (9, -49, 60, None, 0), (9, -1, -6, None, 0),
                 (1, -2, 4, ("unforce", "ecs2"), 0), (15, 55, -55, ("unforce", "plug"), 0)], 0.0, 0.0,
          random.Random(0)))
# h2's search's case of Hébert's rule (tests/test_properties_hebert.py), in closed loop: ecs2's tank cut, suspected
# full but believed at 1157 W, a house step of +1500 W shed from its phantom watts first (1157 -> 709 -> 262 -> 0 W),
# ecs importing 436 W for three readings; the shed now takes ecs too, at the first decision.
@example(Setup(("ecs", "ecs2"), {"ecs": "power_calibration_ECS-04.csv", "ecs2": "power_calibration_ECS-03.csv"}, {},
               {"ecs2": 30.0}, (60.0, 30.0), 1.0, None),
         (4147, [(1, 0, 0, None, 0), (22, 0, -52, None, 0), (1, 0, 0, None, 0), (19, 144, 22, None, 0),
                 (1, 0, 0, None, 0), (22, -50, 0, None, 0), (20, -51, 0, None, 0),
                 (12, 0, 0, ("unforce", "ecs"), 1500)], 0.0, 0.0, random.Random(0)))
def test_a_house_in_closed_loop_keeps_the_promises(setup: Setup, script: Script) -> None:
    run(setup, script)
