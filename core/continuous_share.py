"""The continuous loads' side of the closed loop (variators): the loop's target for each, and the share of
what the relays leave, in priority order, under the bound that keeps a whole percent from importing.

The variable load's target is continuous while the variator takes whole percents: the command is the
whole percent under the target, and the loop integrates what the meter then shows, so the commands
alternate between the two percents around the target and average to it (a first-order sigma-delta
modulator, closed through the real house). The same integration absorbs calibration errors."""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from core.control_params import ControlParams
from core.percent_steps import PercentSteps
from equipments.base import Equipment
from equipments.constant import RelayEquipment
from equipments.variable import VariableEquipment

log = logging.getLogger("core.controller")  # (the name the loop's lines had before it was split in parts)

# A heater on at its floor goes off once the grid's import over its bound (`dither_import`), summed over its readings
# there, passes this (W, a sum over readings: a CUSUM, each export reading taking off what it leaves under the bound).
# One reading over dither_import was the meters' noise as often as not: +-10 W on each meter switched it off and on
# 17 to 169 times in 10 minutes on a steady surplus about its floor. So an import over the bound lasts only as long as
# it adds up to this: 30 W over it at a reading goes off at once, 15 W at the second reading in a row. (60 W cut the
# switches a little more, for twice the benchmark's added caused import: docs/control.md.)
FLOOR_IMPORT_SUM_W = 20.0
# A percent the bound lets through on believed watts is held back on its learned steps (core/percent_steps.py) only when
# they say it imports more than this over dither_import (W). At each upper percent held back, the import it would have
# made is exported instead, and capture loses it: held to dither_import itself, the learned steps cut Payerne 06-29's
# caused import in the demo house from 31.1 to 25.5 Wh but lost 0.04-0.05 point of capture there and on the cloudy
# day; 20 W over it keeps most of both gains with the meters' noise too (docs/control.md).
LEARNED_STEP_SLACK_W = 20.0


@dataclass(slots=True)
class _Target:
    """A load of continuous power: the loop's target and what its command made the load believed at."""

    target_w: float = 0.0
    believed_w: float = 0.0  # a different belief at the next decision: someone else (force, stale) moved it
    floor_import_w: float = 0.0  # on at its floor: the import over its bound summed over its readings (see above)


class ContinuousLoads:
    """The loop's target for each continuous load, by name, across decisions."""

    def __init__(self, params: ControlParams) -> None:
        self.params = params  # (dither_import_w)
        self._targets: dict[str, _Target] = {}
        self.steps = PercentSteps()  # (the variable loads' real steps, learned from the house meter)

    def counted_w(self, load: Equipment) -> float:
        """What a continuous `load` counts for in the loads' total: the loop's target (not the whole-percent
        belief: that is the sigma-delta's memory). Moved by someone else since (a force, the stale guard), the
        target starts again from what it is believed to draw."""
        target = self._target(load)
        if abs(load.current_power_w - target.believed_w) >= 0.5:
            target.target_w = target.believed_w = load.current_power_w
            target.floor_import_w = 0.0  # (a run at its floor starts again too)
        return target.target_w if load.current_power_w > 0 else 0.0

    def _target(self, load: Equipment) -> _Target:
        target = self._targets.get(load.name)  # (not setdefault: that makes a new default at every call)
        if target is None:
            target = self._targets[load.name] = _Target()
        return target

    @staticmethod
    def _floor_holds(load: VariableEquipment, target: _Target, room_w: float, summed: bool = True) -> bool:
        """Whether `load`, on, stays at (or comes down to) its floor with `room_w` left to it: when its floor fits in
        `room_w`, or, at its floor and `summed`, while the import over its bound summed over its readings there stays
        under FLOOR_IMPORT_SUM_W. (Not `summed`: a load before it is short of its max, or this one is held down.)"""
        if summed and 0 < load.current_power_w <= load.least_on_w and target.floor_import_w <= FLOOR_IMPORT_SUM_W:
            return True
        return load.command_for(load.least_on_w)[1] <= room_w

    def _on_real_steps(self, load: VariableEquipment, command_w: float, take_w: float,
                       free_w: float) -> tuple[float, float]:
        """The command and target of an on `load` with its learned steps (core/percent_steps.py) where its calibration's
        are wrong. The percent the bound let through, when its real watts from the percent the load runs at would draw
        over `free_w` by more than LEARNED_STEP_SLACK_W, is lowered to the first that draws no more than `free_w`, its
        floor at the lowest (the target no further than the percent over it, as under the bound); when the bound held
        the target's percent back, the command is raised towards it while a percent really draws no more than `free_w`.
        (The floor's own import is the floor rule's to judge: FLOOR_IMPORT_SUM_W.)"""
        if load.sent_percent is None:
            return command_w, take_w
        at = int(load.sent_percent)
        sent = percent = load.whole_percent_for(command_w)
        floor = -1  # (its floor percent: worked out only when the command is lowered)
        steps = self.steps

        def real_w(whole: int) -> float:
            return load.percent_w(whole) + steps.error_w(load, at, whole)

        if real_w(percent) > free_w + LEARNED_STEP_SLACK_W:
            floor = load.whole_percent_for(load.least_on_w)
            while percent > floor and real_w(percent) > free_w:
                percent -= 1
            if percent < at and real_w(percent) > free_w and real_w(at) <= free_w:
                # (no percent down to the floor fits where the one it runs at does: its learned steps say the lower
                # ones draw more. Either they do, as a real curve's may (ECS-02's 83 -> 84 % draws 61 W less), or a
                # house moving steadily as the heater moved spoiled them (its base falling 54 W a reading as the heater
                # went up: each step learned 40 W too low). It stays: lowered to its floor, the heater after it took
                # the surplus, the order reversed)
                percent = at
        elif percent < 100 and real_w(percent + 1) <= free_w:  # (the target's percent worked out only then)
            wanted = load.whole_percent_for(take_w)
            while percent < wanted and real_w(percent + 1) <= free_w:
                percent += 1
        if percent == sent:
            return command_w, take_w
        log.debug("%s: %d %% rather than %d %%: its learned steps from %d %% would import %s", load.name, percent,
                  sent, at, "over the bound" if percent < sent else "no more than the bound")
        # (at the floor, its watts: the floor percent may be believed under min_power, which command_for sends as off:
        # lowered there, a heater at its floor went off and on at every reading)
        command_w = load.least_on_w if percent == floor else load.percent_w(percent)
        return command_w, min(take_w, load.percent_w(percent + 1)) if percent < sent else take_w

    def share(self, loads: Sequence[Equipment], available_w: float, now: float, import_free_w: float,
              kept_w: Mapping[str, float] | None = None, whole: tuple[float, float] | None = None,
              not_raised_after: str | None = None, draws_in_doubt: Collection[str] = ()) -> float:
        """Give `available_w` to the continuous loads in order, none more than `import_free_w` leaves it (the
        watts they may draw for a grid at 0 W, plus `dither_import`); returns what their commands are believed
        to draw (the decision's summary says what was sent, not the targets). `kept_w`: watts, by relay, counted
        in both for the continuous loads before that relay only. `whole`: the same two with the grid's error taken
        whole (at `gain` under 1): a load that is off starts at its floor when they cover it. `not_raised_after`: a load
        of unknown power switched on to be measured at the next reading; no load after it goes up at this decision (a
        heater's rise at the same reading was measured as the plug's, with its calibration's error). Those before it
        were at their max, or it waited for them (core/relay_trials.raised_before_w): held, they were a priority turned
        round. `draws_in_doubt`: loads that may draw nothing whatever they are believed to (a heater suspected full, a
        variator silent): see _doubted.

        The cap is where the sigma-delta stops: between two whole percents it sends the upper one part of the
        time, and when that percent is believed to draw more than the surplus, each time is an import of the
        difference (a 40-58 W step in the middle of a 2.3 kW heater's curve, against a few watts of setpoint).
        Capped, the load stays on the percent under it and the difference is exported; its target goes no
        further than the percent over the cap, so the loop does not wind up on an error it may not answer.
        docs/control.md has what it does to the replays' figures."""
        drawn_w = 0.0
        whole_w, whole_free_w = whole if whole is not None else (available_w, import_free_w)
        doubted = self._doubted(loads, available_w, draws_in_doubt, kept_w) if draws_in_doubt else None
        if doubted:
            # (their watts are no load's before them to take: each gets its own back at its place in the order)
            for counted_w, _cut_w, believed_w in doubted.values():
                available_w -= counted_w
                whole_w -= counted_w
                import_free_w -= believed_w
                whole_free_w -= believed_w
        short = False  # a continuous load before, on or off, short of its max
        not_raised = False  # (past the load of unknown power being tried)
        for load in loads:
            if isinstance(load, RelayEquipment):
                not_raised = not_raised or load.name == not_raised_after
                if kept_w:
                    # (a relay switched on past the loads before it: the loads after it come after it)
                    available_w -= kept_w.get(load.name, 0.0)
                    import_free_w -= kept_w.get(load.name, 0.0)
                continue
            reserved = doubted.get(load.name) if doubted else None
            over_w = 0.0  # (a load in doubt under a shed: the stream it may not take, see _doubted)
            if reserved is not None:
                counted_w, cut_w, believed_w = reserved
                available_w += counted_w
                whole_w += counted_w
                import_free_w += believed_w
                whole_free_w += believed_w
                if cut_w >= 0.0 and available_w > counted_w - cut_w:
                    over_w = available_w - (counted_w - cut_w)
                    available_w -= over_w
            # (bounded by comparisons rather than min() and max(), whose calls parse their keywords on Python 3.11:
            # every decision)
            take_w = 0.0 if available_w < 0.0 else available_w  # (max(available_w, 0.0): -0.0 stays so)
            if take_w > load.max_power_w:
                take_w = load.max_power_w
            variable = load if isinstance(load, VariableEquipment) else None  # (a user's own class may be neither)
            held_down = not_raised or (variable is not None and variable.held_down(now))
            if held_down:
                # A variator that does not answer after a fall of the house may be rebooting, its triac off: the
                # surplus it leaves is not its to take. Raised meanwhile, its raise was re-sent at its boot, into the
                # surplus its absence made (800 W imported for a reading); lowered, it follows the house as any load.
                take_w = min(take_w, load.current_power_w)
            floor_w = variable.least_on_w if variable is not None else 0.0
            free_w = import_free_w
            target = self._target(load)
            target.floor_import_w = max(0.0, target.floor_import_w + load.current_power_w - whole_free_w) \
                if 0 < load.current_power_w <= floor_w else 0.0
            if take_w < floor_w:
                if not short and not held_down and 0 < floor_w <= min(whole_w, whole_free_w, load.max_power_w):
                    # The surplus covers its floor: at the floor, its later moves damped. At `gain` under 1 the first
                    # step of a load off is a share of the surplus, under the floor, and was set back to 0 at every
                    # decision: the heater stayed off for good on 150-300 W of export at gain 0.5 (its floor, 150 W,
                    # to the floor / gain), a second heater or one after a relay too. (A load on is kept there: taken
                    # off, the whole surplus it left started the load after it, the order reversed.)
                    take_w = free_w = floor_w
                elif not short and not held_down and variable is not None and load.current_power_w > 0 \
                        and self._floor_holds(variable, target, whole_free_w):
                    # On at its floor, the grid importing no more than dither_import (summed over its readings there:
                    # FLOOR_IMPORT_SUM_W): kept there. Taken off at a few watts of import (a heater drawing 10 % over
                    # its curve: 154 W at its 140 W floor percent), it was on again at the next reading's 150 W of
                    # export, off and on at every reading for as long as the surplus stayed there. On over its floor
                    # (the sigma-delta's percent over it), it comes down to its floor when the floor imports no more
                    # than dither_import: it went off, and on again at the next reading's export.
                    take_w = free_w = floor_w
                else:
                    # under min_power the triac misfires, under its first conducting percent it draws nothing:
                    # off, and the surplus goes on down the list
                    take_w = 0.0
            command_w = take_w
            if take_w > free_w:
                command_w = max(free_w, 0.0)
                log.debug("%s: %.0f W sent as %.0f W at most: more would import over %.0f W", load.name, take_w,
                          command_w, self.params.dither_import_w)
                # The target keeps what the sigma-delta carries, up to the percent over the cap: clamped at the
                # cap, the carry was lost at each upper percent and the mean fell short of the surplus (1030 W
                # for 1035 W between 1020 and 1040 W); unclamped, it would wind up while the cap holds.
                take_w = min(take_w, variable.watts_above(command_w) if variable is not None else command_w)
                if variable is not None and command_w < floor_w:
                    # min_power bounds the target, and the percent under it may believe less: 150 W sent as
                    # 22 % (141 W). That percent under the bound, it stays (off at once, on at the next reading,
                    # was a switch every 2 s at dawn). At `gain` under 1, when the whole surplus left to it covers
                    # its floor, as a load off starts there above: the bound, the grid taken at `gain`, fell under
                    # its floor as a relay before it came on (1061 W handed over to a 1000 W radiator at gain 0.5:
                    # a bound of 141 W, 216 W taken whole), and off, it left the heater after it on at its own
                    # floor, a percent believed 6 W less, the order reversed.
                    if (not short and not held_down and floor_w <= min(whole_w, whole_free_w)) \
                            or self._floor_holds(variable, target, command_w, summed=not short and not held_down):
                        command_w, take_w = floor_w, max(take_w, floor_w)
                    else:
                        take_w = command_w = 0.0
            if variable is not None:
                if variable.current_power_w > 0 and command_w >= floor_w > 0 and self.steps.learned(variable):
                    command_w, take_w = self._on_real_steps(variable, command_w, take_w, free_w)
                from_percent, from_w = variable.sent_percent, variable.current_power_w
            if load.set_power(command_w, now, f"grid feedback, {available_w:.0f} W for the variable loads"):
                target.target_w, target.believed_w = take_w, load.current_power_w
                if variable is not None and variable.sent_percent != from_percent:
                    self.steps.moved(variable, from_percent, from_w)  # (a step to learn, if nothing else moves)
            drawn_w += load.current_power_w
            available_w -= take_w
            if reserved is not None and reserved[1] >= 0.0:
                # Shed to its counted watts less the shed reaching it, which the loads before it gave up as well: the
                # loads after it, which that shed passed, get nothing more; none reached it, they get their own back.
                available_w = available_w + over_w if reserved[1] == 0.0 else min(available_w, 0.0)
            whole_w -= take_w
            # (one short of its max, on or off, may take more at the damped pace: a load after it started on the
            # whole surplus meanwhile would take power it could use)
            short = short or take_w < load.max_power_w
            import_free_w -= load.current_power_w  # (what it is believed to draw: the meter will show that)
            whole_free_w -= load.current_power_w
        return drawn_w

    def _doubted(self, loads: Sequence[Equipment], available_w: float, draws_in_doubt: Collection[str],
                 kept_w: Mapping[str, float] | None = None) -> dict[str, tuple[float, float, float]]:
        """The continuous loads of `loads` in `draws_in_doubt` that are on, each with its counted watts (counted_w), the
        shed reaching it (-1 when the loop's total does not fall: `available_w` for the continuous loads covers what
        they count) and its believed watts. The shed is taken from the lowest priority up, as the order takes it; what
        a load in doubt gives up is counted as none, so the whole shed goes on up the list, as Hébert's rule does
        (core/allocation.py). Taken from its belief alone, a heater whose tank had cut, the lowest priority, freed
        nothing, and the heater before it kept the house importing until the belief reached 0 W (240 W for four
        decisions from 1000 W). The shares keep each one's counted watts out of what the loads before it may take
        (out of their bound, its believed watts) at every decision it is in doubt, a shed or not: shared from the top,
        the next decision gave them its phantom watts back, into the same import. `kept_w` (see `share`): a relay's
        watts are a shed of the loads after it only (taken from all, a relay switched on after a heater in doubt, at
        gain 0.5 on the whole surplus, shed that heater by its watts less the damped move: 500 W of 2000, for
        nothing). A load whose sheds the house was found to follow is none of `draws_in_doubt` (the regulator leaves it
        out: core/shed_follow.py): drawing, its sheds were doubled for the whole doubt, a reading's export each time."""
        walk: list[tuple[Equipment, float, bool]] = []  # (each load with its counted watts, or a relay's kept ones)
        shed_w = -available_w
        for load in loads:
            if isinstance(load, RelayEquipment):
                if kept_w and load.name in kept_w:
                    walk.append((load, kept_w[load.name], True))
                    shed_w += kept_w[load.name]  # (the loads after it)
            else:
                watts = self.counted_w(load)
                walk.append((load, watts, False))
                shed_w += watts
        falls = shed_w > 0.0
        doubted: dict[str, tuple[float, float, float]] = {}
        for load, watts, relay in reversed(walk):
            if not relay and load.name in draws_in_doubt and watts > 0.0:
                cut_w = -1.0 if not falls else 0.0 if shed_w <= 0.0 else shed_w if shed_w < watts else watts
                doubted[load.name] = (watts, cut_w, load.current_power_w)
            else:
                shed_w -= watts  # (a relay's kept watts are not the loads' before it to give up)
        return doubted
