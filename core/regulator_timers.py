"""The regulator's timers, apart from its routing: what a tick runs (the day's roll, the energies kept current, a
meter gone stale, the loads' own timers, the forces' ends, the field features' timers, a status held back, a decision
that waited for a production reading) and when the next one is due, for the daemon to tick then.

A mixin of `core.regulator.Regulator`, as `core.life_cycle` is: `tick` and `next_deadline` are the regulator's
interface (the daemon, the replay and the tests call them), acting on its state (declared below, set by
`Regulator.__init__`)."""

from __future__ import annotations

from collections.abc import Callable

from core.day_roll import DayRoll
from core.decision_gate import DecisionGate
from core.forces import expire_forces
from core.stale_guard import StaleGuard
from core.status_pacing import StatusPacing
from equipments.base import Equipment
from field.features import FieldFeatures
from field.forcers import forcer_name
from settings.config import Settings


class RegulatorTimers:
    """The timers: the part of `Regulator` that runs at each tick, and says when the next is due."""

    # The regulator's state these use (set by Regulator.__init__).
    settings: Settings
    loads: tuple[Equipment, ...]
    field: FieldFeatures
    _timed_loads: tuple[Equipment, ...]
    _started_at: float | None
    _day: DayRoll
    _stale_guard: StaleGuard
    _gate: DecisionGate
    _status_pacing: StatusPacing
    _reconciles: bool
    # (the regulator's methods this calls, declared only: an annotation is no attribute, so none of them hides the
    # method another part defines)
    start: Callable[[float], None]  # core.life_cycle
    _roll_day: Callable[[float], None]  # core.life_cycle
    _follow_clock: Callable[[float], None]  # core.regulator
    _stale_changed: Callable[[float], None]  # core.regulator_suspension
    publish_status: Callable[[float], None]  # core.regulator_status
    _decide: Callable[[float], None]  # core.regulator_decision

    def tick(self, now: float) -> None:
        """Run due timers: daily reset, force expiry, full-tank clear and checks, fallback, stale meters."""
        if self._started_at is None:
            self.start(now)
        self._follow_clock(now)
        if now >= self._day.next_midnight_at:
            self._roll_day(now)
        for load in self.loads:
            load.accumulate_energy(now)  # energies stay current even while no reading comes
        # A meter gone stale at this very tick suspends the regulation before any timer commands a load: checked after
        # them, a full tank's re-check probe due at that tick was sent and cut to 0 W at once (two commands to the
        # variator in one tick, the probe meaningless; suspended, none starts: FieldFeatures.regulation_suspended).
        if self._stale_guard.check(now):
            self._stale_changed(now)
        for load in self._timed_loads:
            load.run_timers(now)  # (a variator's re-send held back from a flood of boots)
        changed = expire_forces(self.loads, now, self._forcer)
        pacing = self._status_pacing
        status_due = (pacing.held or pacing.held_until is not None) and pacing.due(now)  # (a call only when held)
        # (suspended, no decision holds a status back: it goes out every status_interval all the same, the live meter's
        # watts and the silent one's age in it; it went out at the change only, frozen on every dashboard until the
        # meter came back)
        status_due = status_due or (self._stale_guard.reason is not None and pacing.interval_over(now))
        if self.field.tick(now) or changed or status_due:
            self.publish_status(now)
        if self._stale_guard.reason is None and self._gate.decide_after_wait(now, self.loads):
            self._decide(now)  # (a house reading's decision that waited for a production reading, which did not come)
        if self._reconciles:
            self.field.reconcile(now)

    def _forcer(self, forced_by: str | None) -> str:
        """Who forced a load, as the log says it (`Equipment.forced_by`)."""
        return forcer_name(forced_by, self.settings.mqtt.topic_mode)

    def next_deadline(self) -> float | None:
        """The earliest time a timer is due (a meter going stale, a force ending, midnight, a decision that waited
        for a production reading, a load's own: a variator's re-send held back), for the daemon to tick at that very
        moment rather than at its next periodic pass; None before start."""
        if self._started_at is None:
            return None
        due = [self._day.next_midnight_at, *self._stale_guard.deadlines()]
        due.extend(load.force_end_at for load in self.loads if load.force_end_at is not None)
        due.extend(at for at in (load.next_timer_at() for load in self.loads) if at is not None)
        if self._gate.waiting_until is not None:
            due.append(self._gate.waiting_until)
        if self._status_pacing.held_until is not None:
            due.append(self._status_pacing.held_until)
        return min(due)
