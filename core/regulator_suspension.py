"""The regulation suspended and resumed, apart from the regulator's routing: a meter silent, frozen or the meters'
topics swapped (core.stale_guard) stops the decisions, the loop's and the field features' waits with them, and the
status says so at once; whether a relay forced on is handed over on at its unforce follows it.

A mixin of `core.regulator.Regulator`, as `core.life_cycle` is, acting on its state (declared below, set by
`Regulator.__init__`)."""

from __future__ import annotations

from collections.abc import Callable

from core.controller import ClosedLoop
from core.decision_gate import DecisionGate
from core.shed_follow import ShedFollow
from core.stale_guard import StaleGuard
from equipments.base import Equipment
from equipments.constant import RelayEquipment
from field.features import FieldFeatures


class RegulatorSuspension:
    """The regulation's suspension: the part of `Regulator` that runs when a meter goes stale or comes back."""

    # The regulator's state these use (set by Regulator.__init__).
    loads: tuple[Equipment, ...]
    controller: ClosedLoop | None
    field: FieldFeatures
    _stale_guard: StaleGuard
    _gate: DecisionGate
    _shed_follow: ShedFollow
    # (declared only: an annotation is no attribute, so it hides no method another part defines)
    publish_status: Callable[[float], None]  # core.regulator_status

    @property
    def stale_reason(self) -> str | None:
        """Why regulation is suspended (a silent or frozen meter), or None while it runs."""
        return self._stale_guard.reason

    def _let_relays_hand_over(self) -> None:
        """Whether a relay forced on is handed over on at its unforce (RelayEquipment.hands_over): under the closed
        loop while the regulation is not suspended, for a decision to judge it (a meter falling silent before one
        comes suspends it within meter_timeout: every unforced load off); else it is switched off at the unforce (with
        the regulation suspended no decision would: it stayed on)."""
        live = self.controller is not None and self._stale_guard.reason is None
        for load in self.loads:
            if isinstance(load, RelayEquipment):
                load.hands_over = live

    def _stale_changed(self, now: float) -> None:
        self._let_relays_hand_over()
        if self._stale_guard.reason is not None:
            if self.controller is not None:
                self.controller.regulation_suspended()
            self.field.regulation_suspended()  # (no re-check probe of a full tank meanwhile)
            self._shed_follow.suspended()
            self._gate.stop_waiting()  # (else its deadline, past, would hide the daemon's other timers from it)
            self.publish_status(now)  # suspended: the unforced loads were just commanded to 0 W
        else:
            self._gate.resume_after_silence()
