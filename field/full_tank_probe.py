"""The hourly re-check's probes of the tanks found full (field/full_tank_recheck.py keeps their books): when one starts,
what it commands the load, its verdict from the readings (the house less the other loads, or the load's own meter), and
what ends one with none. FullTankWatch owns it, feeds it the readings and asks it at each tick."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import tzinfo
from functools import partial
from typing import Any

from equipments.base import Equipment
from equipments.variable import VariableEquipment
from field.full_tank_clear import hhmm
from field.full_tank_inferred import InferredFullTank
from field.full_tank_recheck import PROBE_FLOOR_W, FullTankRecheck
from values.saved_numbers import saved_epoch

log = logging.getLogger("field.full_tank_watch")  # (its lines were the watch's: said under the same name)


class FullTankProbes:
    """The re-check probes of the full loads whose fullness is inferred (or watched by their own meter), one at a
    time."""

    def __init__(self, loads: Sequence[Equipment], inferred_loads: Sequence[tuple[VariableEquipment, InferredFullTank]],
                 held: Collection[str], tz: tzinfo | None, settle_s: float, demo_speed: float, *,
                 infers: Callable[[Equipment, float], bool], judge_pace_s: Callable[[Equipment, float], float | None],
                 clear: Callable[[Equipment], None]) -> None:
        """`loads`: all of them, in priority order; `inferred_loads`: those with a house detector, each with it;
        `held`: the names of the loads in a re-probe's hold (the watch's, read only). The watch's answers:
        `infers(load, now)`, whether the house meter judges `load` now (OwnMeterWatch.infers); `judge_pace_s(load,
        now)`, the pace of the meter that judges it (None: unknown); `clear(load)`, `load` not full any more."""
        self.recheck = FullTankRecheck(settle_s, demo_speed)
        self._loads = loads
        self._inferred_loads = inferred_loads
        self._held = held
        self._tz = tz
        self._infers = infers
        self._judge_pace_s = judge_pace_s
        self._clear = clear

    def tick(self, now: float, left_out: Equipment | None) -> bool:
        """A tank found full an hour ago, unforced, is probed at its floor while the house exports that much
        (field/full_tank_recheck.py): its thermostat closes again after showers or as the tank cools (a tank losing
        300 W, closed again an hour after its cut at 08:00, got none of the day's sun until midnight: 2.4 kWh exported
        on serf-east). A probe with no verdict in time is given up, tried again a few minutes later. Not `left_out`
        (the water heater's mode off: its probe was put back at 0 W by the mode in the same tick, every hour). True
        when a command changed."""
        recheck = self.recheck
        changed = False
        for load, _ in self._inferred_loads:
            name = load.name
            if not load.overed or load.full_until is not None:
                continue
            # (a force rules its power, the re-check comes after it; gated, the variator commanded it 0 W: its watts
            # come back with its `on`; the mode off commands it 0 W. Each ends a probe as it commands the load: this
            # catches one whose command was not published)
            kept_out = load.is_forced() or getattr(load, "output_off", False) or load is left_out
            if recheck.probing(name):
                if kept_out:
                    recheck.abandon(name)
                elif recheck.expired(name, now):
                    changed = self._given_up(load, now) or changed
                continue
            if kept_out:
                continue
            floor_w = probe_floor_w(load)
            # (what the variable loads after it draw, counted only when the export alone falls short)
            export_w = recheck.due(name, floor_w, now, partial(lower_variators_w, self._loads, load, self._held))
            if export_w is None or self.other_reprobing(load, now):
                continue
            if self._infers(load, now) and not recheck.steady(name, floor_w):
                continue  # (judged from the house: its probe waits for two readings alike to measure its step from)
            if not load.set_power(floor_w, now, "full-tank re-check: does its tank take power again?") or \
                    load.current_power_w <= 0.0:
                # (its command not published, a full paho queue: no probe, tried again at the next tick. Judged at
                # 0 W, each reading 'drew' half of nothing by its own meter, and its tank was said to take power)
                continue
            # (its verdict waits for two readings of the meter that judges it: the house's, or its own)
            recheck.start(name, load.current_power_w, now, self._judge_pace_s(load, now))
            found_at = recheck.found_at(name)
            lower_w = lower_variators_w(self._loads, load, self._held)
            lower = f" and the variable loads after it draw {lower_w:.0f} W" if lower_w > 0.0 else ""
            log.info("%s: found full at %s, and the house exports %.0f W%s: commanded %.0f W for a moment, to see "
                     "whether its tank takes power again (its thermostat closes after showers, or as the water "
                     "cools)", name, hhmm(found_at if found_at is not None else now, self._tz), export_w, lower,
                     load.current_power_w)
            changed = True
        return changed

    def commanded(self, name: str, commanded_w: float, now: float) -> None:
        """Any command of `name` during its re-check probe other than the probe's own (a force or its end, the water
        heater's mode off, its variator's gate, the regulation suspended): the probe ends with no verdict, re-checked
        at the next chance. (Left running across a force and its end between two ticks, it read the 0 W of the end
        as a tank still full: an hour lost.)"""
        if self.recheck.abandon(name):
            log.info("%s: its re-check probe ended by another command (%.0f W): no verdict, re-checked at the next "
                     "chance", name, commanded_w)

    def suspended(self) -> None:
        """The regulation is suspended (FullTankWatch.regulation_suspended): no probe until a decision sees the export
        again, and one under way ends with no verdict."""
        self.recheck.forget_export()
        for load, _ in self._inferred_loads:
            if self.recheck.abandon(load.name):
                log.info("%s: its re-check probe ended, the regulation suspended: no verdict, re-checked once it "
                         "resumes", load.name)

    def by_house(self, load: VariableEquipment, own_w: float, now: float, commands_fresh: bool,
                 others_doubted: bool = False) -> bool:
        """A house reading less the other loads (`own_w`) while `load` is full: its probe's baseline, or its evidence
        (not while a load's command may not show yet: `commands_fresh`). Not its baseline while another heater's belief
        is in doubt (`others_doubted`: its re-check probe, or suspected full): a full tank's probe believed at 141 W
        and drawing nothing, then put back at 0 W, moved the house less the other loads by +141 W, read as the next
        heater's tank taking its probe. True when a command changed."""
        name = load.name
        recheck = self.recheck
        if not recheck.probing(name):
            if others_doubted:
                recheck.forget_house(name)  # (two readings alike after the doubt make its baseline)
            else:
                recheck.note_house(name, own_w, switched_w(self._loads, load))
            return False
        baseline_w = recheck.baseline_w(name)
        if commands_fresh or baseline_w is None:  # (none: its own meter read when it began, and fell silent since)
            return False
        drew = recheck.judge_house(name, own_w, switched_w(self._loads, load), now, load.at_command_since)
        return self._probed(load, drew, f"the house less the other loads moved by {own_w - baseline_w:+.0f} W", now)

    def by_meter(self, load: VariableEquipment, measured_w: float, now: float) -> bool:
        """A reading of `load`'s own meter (`measured_w`) during its probe: its evidence. True when decided."""
        drew = self.recheck.judge_meter(load.name, measured_w, now, load.at_command_since)
        return self._probed(load, drew, f"its meter reads {measured_w:.0f} W", now)

    def _probed(self, load: VariableEquipment, drew: bool | None, evidence: str, now: float) -> bool:
        """A re-check probe's verdict on `load`: drawing, its flag is lifted (the allocation gives it the surplus by
        its priority); not drawing, 0 W and full for another hour. None: undecided yet (a first reading drawing
        nothing asks its variator whether it is at the probe's command: rebooting, or off the network, it draws
        nothing whatever its tank, and its boot is said after the readings). True when decided."""
        if drew is None:
            if load.answers and self.recheck.asks(load.name, now):
                load.ask_status()
            return False
        probe_w = self.recheck.probe_w(load.name)
        if drew:
            self._clear(load)
            log.info("%s: draws at its re-check (%s at %.0f W commanded): its tank takes power again, given the "
                     "surplus by its priority", load.name, evidence, probe_w)
            return True
        self.recheck.found_full(load.name, now)
        load.set_power(0.0, now, "tank full")
        log.info("%s: still full at its re-check (%s at %.0f W commanded): 0 W, re-checked again in %s",
                 load.name, evidence, probe_w, minutes(self.recheck.recheck_s))
        return True

    def _given_up(self, load: Equipment, now: float) -> bool:
        """`load`'s probe had no verdict in its time: 0 W, re-checked a few minutes later (it told nothing of the tank:
        taken for a tank still full, a variator rebooting or a meter silent through it cost the tank an hour), later
        after each further one in a row, hourly at most (field/full_tank_recheck.py, PROBE_RETRY_S)."""
        probe_w, since = self.recheck.probe_w(load.name), self.recheck.probe_since(load.name)
        why, wait_s = self.recheck.give_up(load.name, now)
        load.set_power(0.0, now, "tank full")
        given_up = self.recheck.no_verdicts(load.name)
        row = f" ({given_up} probes in a row with no verdict: each waits twice as long, an hour at most)" \
            if given_up > 1 else ""
        log.info("%s: no verdict at its re-check (%.0f W commanded for %.0f s: %s): 0 W, re-checked again in %s%s",
                 load.name, probe_w, now - since, why, minutes(wait_s), row)
        return True

    def other_reprobing(self, load: Equipment, now: float) -> bool:
        """True while another inferred load's re-probe, or another full load's re-check probe, runs: one at a time.
        Two heaters suspected at once (one tank's cut, the house's fall matching the other's watts too), their
        re-probes together: the second's step was measured against the first's belief dropped to 0 W by its hold (its
        tank full, it drew nothing), read as no step, and that heater was taken for full until the daily clear (17 kWh
        of a day's sun exported). So were two full heaters probed together: one drawing its probe's watts, the other's
        tank still full, each was judged less the other's belief, and the one drawing found full."""
        return any(other is not load and (detector.reprobing(now) or self.recheck.probing(other.name))
                   for other, detector in self._inferred_loads)

    def restored(self, name: str, saved_at: float, doc: Mapping[str, Any]) -> None:
        """`name` restored full from the status `doc` saved at `saved_at`: re-checked when its saved status said (its
        `full_recheck`), an hour after the save at the latest."""
        latest_at = saved_at + self.recheck.recheck_s
        due_at = saved_due_at(doc, name)
        self.recheck.found_full(name, saved_at, due_at if due_at is not None and due_at <= latest_at else latest_at)


# --- the loads around a probe ---------------------------------------------------------------------------------------

def probe_floor_w(load: Equipment) -> float:
    """What a re-check commands `load`: its floor, at least a step the house meter tells from its noise."""
    return max(getattr(load, "least_on_w", 0.0), PROBE_FLOOR_W)


def switched_w(loads: Sequence[Equipment], load: Equipment) -> float:
    """What the loads switched on or off other than `load` (relays, loads of unknown power) are believed to draw: a
    belief whose error is a whole label's (a radiator drawing 1100 W for its 1000 W), where a variator's follows its
    curve (the one after a heater probed gives back the probe's watts at the next decision, a move of its belief by all
    of them: counted, no probe taking its floor from it was ever decided)."""
    return sum([other.current_power_w for other in loads
                if other is not load and not isinstance(other, VariableEquipment)])


def lower_variators_w(loads: Sequence[Equipment], load: Equipment, held: Collection[str]) -> float:
    """What the regulated variable loads after `load` (of `loads`, in priority order; `held`: names in a re-probe's
    hold) draw: the allocation gives `load` the surplus before them, so its re-check may take its floor from them (they
    give it back at the next decision, a reading's import of the floor at most). Counted from the export alone, a full
    heater before a second one, which took the whole surplus and left the house exporting the setpoint, was never
    re-checked: its tank, reheating after showers, waited for the daily clear. (Relays are not counted: one would be
    switched off for a probe.)"""
    after = loads[loads.index(load) + 1:]
    return sum([other.current_power_w for other in after
                if isinstance(other, VariableEquipment) and not other.is_forced() and not other.overed
                and not other.output_off and other.name not in held])


def saved_due_at(doc: Mapping[str, Any], name: str) -> float | None:
    """When the re-check of load `name` was due by a saved status `doc` (its `full_recheck`), None when unsaid or not a
    plausible time (a file from before 2026-12-07 has none)."""
    entries = doc.get("equipments")
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, Mapping) and entry.get("name") == name:
            recheck = entry.get("full_recheck")
            return saved_epoch(recheck.get("due_at")) if isinstance(recheck, Mapping) else None
    return None


def minutes(seconds: float) -> str:
    """A re-check's wait in a log line: whole minutes, or seconds under one (the live demo's, its speed dividing them:
    at x30 the 5 min retry is 10 s, said "0 min")."""
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"
