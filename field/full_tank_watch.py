"""Full tank ("overed") wired into the regulator: each variable load's detector (its own meter, full_tank_own_meter,
or inferred from the house meter, its readings given by full_tank_readings), what a full load gets (0 W, out of the
allocation, any force undone), the re-probe hold that confirms a suspicion, the hourly re-check of a tank found full
(full_tank_probe), and the daily clear at init_at and midnight (full_tank_clear)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from functools import partial
from typing import Any

from equipments.base import Equipment
from equipments.unknown import UnknownEquipment
from equipments.variable import VariableEquipment
from field.fallback_deadline import RULE_OWNERS
from field.full_tank_clear import DailyClear, hhmm
from field.full_tank_inferred import InferredFullTank
from field.full_tank_loop import LoopRule
from field.full_tank_own_meter import OwnMeterWatch
from field.full_tank_probe import FullTankProbes, minutes, probe_floor_w
from field.full_tank_readings import HouseReadings
from field.full_tank_rules import InferenceRule

log = logging.getLogger(__name__)


class FullTankWatch(HouseReadings):
    """The detectors of every load that has one, and the full flags of all loads (the house readings they are given:
    field/full_tank_readings.py)."""

    def __init__(self, loads: Sequence[Equipment], init_at_hour: int, tz: tzinfo | None,
                 max_meter_power_w: float, settle_s: float = 1.0, meter_timeout_s: float = 10.0,
                 frozen_meter: bool = True, demo_speed: float = 1.0,
                 house_pace_s: Callable[[], float | None] = lambda: None) -> None:
        """`house_pace_s`: the house meter's usual seconds between two readings, None while unknown (the regulator's
        MeterState.pace_s)."""
        self.loads = tuple(loads)
        self.settle_s = settle_s  # a load commanded this recently may not show in a house reading yet
        self.init_at_hour = init_at_hour
        self.tz = tz
        self._daily_clear = DailyClear(init_at_hour, tz)
        self.inferred: dict[str, InferredFullTank] = {}
        self._held: set[str] = set()  # loads in a re-probe hold
        # Each load's last command that went out late: (its stamp, when it went; commands_sent_late), until the next
        self._sent_late: dict[str, tuple[float, float]] = {}
        self._believed_w = 0.0
        # The house meter's pace, the regulator's (the inferred detectors' waits must hold enough of its readings), and
        # the last one the detectors were told: a pace of their own needed five gaps to the regulator's three, and took
        # a gap over 60 s for a silence, a meter every 70 s never paced.
        self._house_pace_s = house_pace_s
        self._pace_told_s: float | None = None
        self.since: float | None = None  # the last tick: a clear time passed after it is due
        self._restored_why = ""  # why a clear due at the first tick after a restore is due (restored)
        for load in self.loads:
            if isinstance(load, VariableEquipment) and load.full_detection in ("meter", "inferred"):
                # A house reading `settle` after a command shows it: the regulator's own rule of evidence.
                # (settle_s is the config's, divided by the demo already: the rule's own waits by demo_speed)
                rule = InferenceRule(loop=LoopRule(evidence_s=settle_s)).faster(demo_speed, evidence_s=settle_s)
                detector = InferredFullTank(load.name, load.min_power_w, rule, load.heard_after,
                                            load.off_command_since, load.silent)
                self.inferred[load.name] = detector
                load.add_power_listener(detector.on_command)
        # The loads whose fullness is inferred, with their detectors, in priority order: what every tick and
        # house reading walks (the detectors are made here, once).
        self._inferred_loads = [(load, self.inferred[load.name]) for load in self.loads
                                if isinstance(load, VariableEquipment) and load.name in self.inferred]
        # The hourly re-check of each load found full (by the sun: a flag found under a fallback's force ends with it),
        # its probes; and their books (when each was found full, the export the last decision left, the probes under
        # way), read at every reading and tick.
        self._probes = FullTankProbes(self.loads, self._inferred_loads, self._held, tz, settle_s, demo_speed,
                                      infers=self._infers, judge_pace_s=self._judge_pace_s, clear=self._clear)
        self._recheck = self._probes.recheck
        for load, _ in self._inferred_loads:  # (after its detector's: a command reaches the detector first)
            load.add_power_listener(partial(self._probes.commanded, load.name))
        # The loads' own meters, with their detectors (a load with one is watched from the house meter too, while it is
        # silent or too slow: `inferred` has it as well).
        self._own = OwnMeterWatch(self.loads, self.inferred, max_meter_power_w, meter_timeout_s, frozen_meter,
                                  self._probes, mark_full=self.mark_full, gated=self._gated, clear=self._clear)
        self.metered = self._own.metered
        self.measured_w = self._own.measured_w
        self._unknown_loads = [load for load in self.loads if isinstance(load, UnknownEquipment)]

    def subscriptions(self) -> tuple[str, ...]:
        """The loads' own meters."""
        return self._own.subscriptions()

    def handles(self, topic: str) -> bool:
        """True for one of the loads' own meters."""
        return self._own.handles(topic)

    def on_load_meter(self, topic: str, payload: bytes, now: float) -> bool:
        """A reading of a load's own meter; True when a load was found full."""
        return self._own.on_reading(topic, payload, now)

    def _infers(self, load: Equipment, now: float) -> bool:
        """Whether `load`'s fullness is inferred from the house meter now (OwnMeterWatch.infers)."""
        return self._own.infers(load, now)

    def _judge_pace_s(self, load: Equipment, now: float) -> float | None:
        """The pace of the meter that judges `load` now (None: unknown): the house's, or its own."""
        return self._house_pace_s() if self._infers(load, now) else self.metered[load.name].meter_pace_s()

    def mark_full(self, load: Equipment, now: float, why: str) -> None:
        """Full for the day: 0 W (a force is undone: the element draws nothing anyway), out of the allocation. Found
        under the low-energy fallback's force, full only until that force's end: found full at 06:20 by the deadline
        rule's dawn force, flagged to midnight, the heater got none of the day's sun after the morning's showers."""
        load.overed = True
        next_clear_at = self._daily_clear.next_after(now)
        load.full_until = None
        if load.forced_by in RULE_OWNERS:
            end_at = load.force_end_at
            load.full_until = end_at if end_at is not None and now < end_at < next_clear_at else next_clear_at
        if load.full_until is not None and load.full_until < next_clear_at:
            log.info("%s is full (%s): commanded 0 W and left out of the allocation until %s, the end of the "
                     "low-energy fallback's force", load.name, why, hhmm(load.full_until, self.tz))
        else:
            # (a re-check promised only when one comes: found under a fallback's force ending after the clear, none)
            recheck = (f", or its re-check in {minutes(self._recheck.recheck_s)} (a moment at its floor, once the "
                       f"house exports {probe_floor_w(load):.0f} W)" if load.full_until is None else "")
            log.info("%s is full (%s): commanded 0 W and left out of the allocation until the daily clear at %s (%s)%s",
                     load.name, why, hhmm(next_clear_at, self.tz), self._daily_clear.said(), recheck)
        if load.full_until is None:  # (found under a fallback's force: full until it ends, no re-check)
            self._recheck.found_full(load.name, now)
        if load.is_forced():
            load.unforce(now, "tank full")
        else:
            load.set_power(0.0, now, "tank full")
        self._held.discard(load.name)
        # Its fall may have made the other heaters suspect too: their cut checks given back. (Its verdict may have
        # waited for their re-probes, one at a time: a doubt's length for each heater.)
        for other, detector in self._inferred_loads:
            if other is not load:
                detector.fall_explained(now - len(self._inferred_loads) * detector.rule.longest_doubt_s, now)

    def tick(self, now: float, left_out: Callable[[], Equipment | None] = lambda: None) -> bool:
        """The daily clear and the re-probe holds; True when something changed worth a status. `left_out`: the load
        the water heater's mode keeps out of the allocation (off), which no re-check probes (asked only when a re-check
        is due or runs: the tick is every loop's)."""
        since, self.since = self.since, now
        changed = False
        if self.metered:  # (how many of its own meter's changes a load's last hour did not log: none without one)
            self._own.flush(now)
        restored_why, self._restored_why = self._restored_why, ""
        if since is not None and self._daily_clear.due(since, now):
            changed = self._clear_all(now, restored_why)
        for load in self.loads:
            end_at = load.full_until
            if end_at is not None and now >= end_at:
                self._clear(load)
                log.info("%s: found full under the low-energy fallback's force, which ended at %s: may take power "
                         "again", load.name, hhmm(end_at, self.tz))
                changed = True
        if self._recheck.waiting and self._recheck.busy(now):
            changed = self._probes.tick(now, left_out()) or changed
        several = len(self._inferred_loads) > 1  # (re-probes take turns; one heater: nothing to ask at every tick)
        metered = self.metered
        for load, detector in self._inferred_loads:
            detector.follow_clock(now)
            if load.overed or self._gated(load):
                if load.overed and load.name in metered:
                    self._own.infers(load, now)  # (its silence said still: the status said it read, dead all day)
                continue
            if self._own.infers(load, now) and not (several and self._probes.other_reprobing(load, now)) and \
                    detector.reprobe_due(load.current_power_w, now):
                self._held.add(load.name)
                load.set_power(0.0, now, "full-tank check: held at 0 W to watch the house meter")
                changed = True
            elif load.name in self._held and not detector.holding(now):
                self._held.discard(load.name)
                if load.is_forced() and load.forced_power_w is not None:
                    load.set_power(load.forced_power_w, now, "full-tank check over: forced power again")
                    changed = True
        return changed

    def after_decision(self, export_w: float, now: float) -> None:
        """The grid flow at a decision (`export_w`: production less consumption, negative when importing), less what
        that decision gave the loads since the house reading (a relay it switched on takes that much of it: counted
        whole, a re-check on the export a towel dryer's switch-on took made the loop switch the radiator off to feed
        a tank still full)."""
        if self._recheck.waiting:
            given_w = sum([load.current_power_w for load in self.loads]) - self._believed_w
            self._recheck.note_export(export_w - given_w if given_w > 0.0 else export_w, now)

    def clock_stepped_back(self, step_s: float) -> None:
        """The wall clock stepped back by `step_s` (told by the regulator as it happens): the re-checks keep the wait
        they had left."""
        self._recheck.clock_stepped_back(step_s)

    def regulation_suspended(self) -> None:
        """The regulation is suspended (a silent or frozen meter, the meters' topics swapped), every unforced load at
        0 W already: no re-check probe until a decision sees the export again, and one under way ends with no verdict
        (re-checked once the regulation resumes). A probe started on the minute-old export of a meter silent since
        was judged by the heater's own meter: drawing, its flag was lifted with its floor left on, and no decision came
        to move it while the meter stayed silent, the heater on from the grid into the night. (The suspension's 0 W
        ends a probe as any command does, FullTankProbes.commanded, but only once published: refused by a full paho
        queue, the probe ran on, and its meter's readings lifted the flag.)"""
        self._probes.suspended()

    def _clear_all(self, now: float, why: str = "") -> bool:
        """The daily clear; `why`: what makes it due at the first tick after a restore, said (a clear at 06:00 said at
        07:21, of a flag just restored "for today", read as a contradiction)."""
        cleared = [load.name for load in self.loads if load.overed]
        for load in self.loads:
            self._clear(load)
        if cleared:
            log.info("daily clear at %s (%s)%s: %s may take power again", hhmm(self._daily_clear.last_at(now), self.tz),
                     self._daily_clear.said(), f", {why}" if why else "", ", ".join(cleared))
        return bool(cleared)

    def _clear(self, load: Equipment) -> None:
        """`load` not full, its detectors afresh (which ends a re-probe hold too: the tick that follows gives a forced
        load its power back)."""
        load.overed, load.full_until = False, None
        self._recheck.forget(load.name)
        for detector in (self.metered.get(load.name), self.inferred.get(load.name)):
            if detector is not None:
                detector.clear()

    def in_doubt(self, now: float) -> bool:
        """True while some load is suspected full: what it draws is in doubt until the re-probe decides (its
        belief may be its command's watts while its thermostat has cut), or its own meter has begun to read
        nothing. For the time a re-probe takes at most (a metered tank's, while its low readings chain): a
        suspicion that gets no re-probe (a command under min_power, a restless house, a meter gone quiet)
        does not hold the loads of unknown power back for ever."""
        metered = self.metered
        for load, detector in self._inferred_loads:
            # (a load with its own meter has its own rule below: the house's part fall its meter read after is no doubt)
            if load.name not in metered and self._inferred_in_doubt(detector, now):
                return True
        # (the generator made only for loads with their own meter: a house without any asks at every decision)
        return bool(metered) and any(self._own.in_doubt(name, now) for name in metered)

    def doubted(self, now: float) -> list[str]:
        """The loads `in_doubt` is True for, by name."""
        names = [load.name for load, detector in self._inferred_loads
                 if load.name not in self.metered and self._inferred_in_doubt(detector, now)]
        return names + [name for name in self.metered if self._own.in_doubt(name, now)]

    @staticmethod
    def _inferred_in_doubt(detector: InferredFullTank, now: float) -> bool:
        return not detector.full and (detector.suspected(now) or detector.draw_in_doubt(now))

    def holds_any(self) -> bool:
        """True while some load is in a re-probe hold (`excluded` may then be True for it)."""
        return bool(self._held)

    def excluded(self, load: Equipment, now: float) -> bool:
        """True while a re-probe holds `load` at 0 W: the allocation must leave it there."""
        if load.name not in self._held:
            return False  # the usual case, for every load at every decision
        detector = self.inferred.get(load.name)
        return detector is not None and detector.holding(now)

    def restored(self, saved_at: float | None, doc: Mapping[str, Any], why: str = "") -> None:
        """After a status restore from `doc`: full flags back into the detectors; a clear time passed while stopped
        (since `saved_at`) is applied at the first tick, said with `why` when given. The re-check of a load restored
        full: when its saved status said (its `full_recheck`), an hour after the save at the latest."""
        self._restored_why = why
        for load in self.loads:
            for detector in (self.metered.get(load.name), self.inferred.get(load.name)):
                if detector is not None:
                    detector.full = load.overed
            # (only a load the re-check probes: a relay saved full, or a tank full until a fallback's force ends, had
            # each tick walk the re-checks for nothing)
            if load.overed and load.full_until is None and load.name in self.inferred and saved_at is not None:
                self._probes.restored(load.name, saved_at, doc)
        self.since = saved_at
        self._daily_clear.forget()

    def load_status(self, load: Equipment) -> dict[str, Any]:
        """This load's full-tank fields for the status document."""
        detector = self.inferred.get(load.name)  # (a load with its own meter has one too: for its meter's silences)
        if detector is None:
            return {}
        # (its hourly re-check: when due, and its probe while one runs)
        recheck = {"full_recheck": self._recheck.status(load.name)}
        shown: dict[str, Any] = {}
        if load.name in self.metered:
            shown = self._own.status(load.name)
            if shown["own_meter"] == "reads":
                return {"full_detect": "meter", **shown, **recheck}
        # (found full, no longer a suspicion: both were shown true until the daily clear)
        return {"full_detect": "inferred", "full_suspect": detector.suspect_since is not None and not detector.full,
                **shown, **recheck}
