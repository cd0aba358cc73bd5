"""The house readings the full-tank watch (field/full_tank_watch.py) judges the loads inferred by: each heater's
detector is given the house less the other loads' beliefs, and whether those beliefs are a measure of the reading (a
load commanded within `settle`, a load of unknown power on its first measure). A mixin of FullTankWatch, which sets the
state it declares: the reading's path apart from the watch's timers, flags and status; and the commands that went out
late, judged from when they went."""

from __future__ import annotations

from collections.abc import Callable

from equipments.base import Equipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment
from field.full_tank_inferred import InferredFullTank
from field.full_tank_loop import HeaterBeliefs
from field.full_tank_own_meter import OwnMeterWatch
from field.full_tank_probe import FullTankProbes
from field.full_tank_recheck import FullTankRecheck
from field.reading_pace import pace_is_news


def _beliefs_but(heaters: list[tuple[Equipment, tuple[float, bool]]], load: Equipment) -> HeaterBeliefs:
    """The beliefs of `heaters` (FullTankWatch.on_consumption's) but `load`'s."""
    return tuple([belief for other, belief in heaters if other is not load])


class HouseReadings:
    """The part of FullTankWatch that takes each house reading to the inferred loads' detectors."""

    # The watch's state these use (set by FullTankWatch.__init__, which says what each is).
    loads: tuple[Equipment, ...]
    settle_s: float
    inferred: dict[str, InferredFullTank]
    _inferred_loads: list[tuple[VariableEquipment, InferredFullTank]]
    _unknown_loads: list[UnknownEquipment]
    _held: set[str]
    _sent_late: dict[str, tuple[float, float]]
    _believed_w: float
    _house_pace_s: Callable[[], float | None]
    _pace_told_s: float | None
    _recheck: FullTankRecheck
    _probes: FullTankProbes
    _own: OwnMeterWatch
    # (the watch's methods these call, declared only: an annotation is no attribute, so none hides the watch's method)
    mark_full: Callable[[Equipment, float, str], None]
    _clear: Callable[[Equipment], None]

    def on_consumption(self, consumption_w: float, now: float) -> bool:
        """A house reading, for the loads inferred; True when a load was found full."""
        if not self._inferred_loads:
            return False  # no tank to watch
        pace_s, told_s = self._house_pace_s(), self._pace_told_s
        if pace_s is not None and pace_s != told_s and pace_is_news(pace_s, told_s):  # (most readings: the pace told)
            self._pace_told_s = pace_s  # (a meter's jitter is no news)
            for _, detector in self._inferred_loads:
                detector.follow_pace(pace_s)
        believed_w = sum([load.current_power_w for load in self.loads])  # (a list: cheaper than a generator)
        self._believed_w = believed_w  # (what the loads were believed to draw at this reading: after_decision)
        # A load of unknown power on its first measure is believed at the whole surplus until the decision
        # after this reading measures it: the others' beliefs are no measure of the house then.
        known = not any([load.measuring and load.learned_power_w is None for load in self._unknown_loads])
        # Nor is the belief of a load commanded within `settle` before this reading, which may not show it
        # yet (a 2 kW relay switched on half a second ago read as the heater's cut).
        # (plain loops, here and below: a comprehension that reads this method's own names, `now`, `self`, a load, makes
        # each of them a cell, made anew at every house reading)
        # (one that went out late, from its stamp to `settle` after it went: commands_sent_late)
        fresh: list[Equipment] = []
        sent_late, settle_s = self._sent_late, self.settle_s
        for load in self.loads:
            at = load.last_command_at
            if at is None or now < at:
                continue
            went_at = at
            if sent_late and (late := sent_late.get(load.name)) is not None and late[0] == at:
                went_at = late[1]
            if now - went_at < settle_s:
                fresh.append(load)
        # Each heater's belief, and whether it is suspected full (or found so): what it draws is then in doubt, its
        # belief may move for nothing (a re-probe's hold, 0 W when found full), so another's fall is seen with those
        # moves put back too (LoopEvidence.hidden_cut).
        # (a full one's re-check probe is a belief in doubt too: its tank may take the probe's watts or not)
        heaters: list[tuple[Equipment, tuple[float, bool]]] = []
        if len(self._inferred_loads) > 1:
            probing = self._recheck.probing
            for load, detector in self._inferred_loads:
                heaters.append((load, (load.current_power_w, detector.suspect_since is not None or probing(load.name))))
        # (the heaters whose belief is in doubt as this reading came, a full one's re-check probe or a suspicion, before
        # a verdict in this loop moves it: no other full heater's probe baseline is taken from it)
        doubted = self._doubted() if heaters and self._recheck.waiting else []
        changed = False
        for load, detector in self._inferred_loads:
            if load.overed:
                # (its readings still the baseline of its next step: a force at the very tick of the daily clear)
                own_w = consumption_w - (believed_w - load.current_power_w)
                detector.keep_baseline(own_w, now)
                # (near its re-check's hour: its probe's baseline is taken from those readings)
                if not (self._recheck.waiting and self._recheck.baseline_due(now)):
                    continue
                if load.is_forced():  # (its force's readings are no baseline: the probe after it takes two of its own)
                    self._recheck.forget_house(load.name)
                elif self._own.infers(load, now):
                    # (another heater's belief in doubt at this reading is in own_w: no baseline)
                    others_doubted = bool(doubted) and not (len(doubted) == 1 and doubted[0] is load)
                    changed = self._probes.by_house(load, own_w, now, bool(fresh), others_doubted) or changed
                continue
            if self._gated(load):
                continue
            # (no load but this one commanded within `settle`)
            others_known = known and (not fresh or (len(fresh) == 1 and fresh[0] is load))
            others = _beliefs_but(heaters, load) if heaters else ()
            if not self._own.infers(load, now):
                # (its own meter watches the tank; the house's fall it has not read yet puts the heater in doubt)
                detector.watch_house(consumption_w, now, believed_w - load.current_power_w, others_known, others)
                continue
            if detector.on_consumption(consumption_w, now, believed_w - load.current_power_w, others_known, others):
                self.mark_full(load, now, "inferred from the house meter")
                changed = True
            elif detector.cut_seen(now):
                load.doubt_drawing(now)  # (a reboot looks the same: no relay over it until its variator answers)
        return changed

    def commands_sent_late(self, stamp: float, late_s: float) -> None:
        """The commands just stamped `stamp` (a message's date) went out `late_s` after it, their message having waited
        in the daemon's queue (core/decision_gate_clock.py, the decision gate's own): the house readings received until
        then show the loads as they were, and are no evidence of those commands (Regulator.commands_sent_late)."""
        for load in self.loads:
            if load.last_command_at == stamp:
                self._sent_late[load.name] = (stamp, stamp + late_s)
                detector = self.inferred.get(load.name)
                if detector is not None:
                    detector.command_sent_late(stamp, late_s)

    def _gated(self, load: Equipment) -> bool:
        """True while `load`'s variator says its output is gated off (an `off` from another client): it draws nothing
        whatever its command, which says nothing of its tank (taken for a full one, the heater was left out until the
        daily clear after the variator's `on`). Any suspicion is dropped: its watts come back only with the `on`."""
        if not getattr(load, "output_off", False):
            return False
        if not load.overed:  # (a tank found full before the gate stays so)
            self._held.discard(load.name)
            self._clear(load)
        return True

    def _doubted(self) -> list[Equipment]:
        """The heaters whose belief is in doubt: a full one's re-check probe, or a suspicion of one not full yet. (A
        method of its own: on_consumption's comprehension made its names cells, made anew at every house reading.)"""
        probing = self._recheck.probing
        return [load for load, detector in self._inferred_loads
                if probing(load.name) or (detector.suspect_since is not None and not load.overed)]
