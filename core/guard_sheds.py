"""The import guard's sheds at one decision (when they are due: core/import_guard.py): as many relays as the import
the rule's pass leaves needs, and whether that import came from a cloud."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from equipments.base import Equipment

if TYPE_CHECKING:
    from core.relay_pass import RelayPass
    from core.relay_switching import RelaySwitcher


def came_with_a_cloud(before_import: tuple[float, float] | None, house_w: float, production_w: float) -> bool:
    """Whether the import the guard answers came from production's fall at least as much as from the house's rise
    since the last decision without import (`before_import`: the house less the loads, and production, then): a
    cloud's, whose sheds do not grow a relay's back-off past CLOUD_SHEDS_MAX (RelayClock.switched). The back-off is for
    an appliance that cycles; grown on clouds, it kept both relays of the house with relays only off for 16 minutes of
    2 kW export on Payerne 06-29."""
    if before_import is None:
        return False
    house_before_w, production_before_w = before_import
    return production_before_w - production_w >= house_w - house_before_w


def shed_for_import(relays: RelaySwitcher, walk: RelayPass, loads: Sequence[Equipment], consumption_w: float,
                    now: float, import_left_w: float, cloud: bool, relays_on_w: float,
                    import_guard_w: float) -> tuple[float, bool]:
    """Shed relays against their dwell for `import_left_w` (the import the rule's pass leaves): the relays' watts on
    (`relays_on_w`) less those shed, and whether any was."""
    # As many relays as the import needs, at this decision: one a reading, a 2.2 kW burst under two relays
    # imported 1.4 kW for a reading more, the house with relays only on Payerne 06-29. On measured watts only:
    # a relay shed on a belief (its label, a plug's figure from another appliance) may have ended the import
    # by itself, and the next reading says so (a plug learned at 500 W drawing 2000 W was shed with the
    # radiator before it, 1600 W exported for the radiator's min_off_s).
    left_w, shed = import_left_w, False
    while (done := relays.shed_for_guard(walk, consumption_w, loads, now, left_w, cloud)) is not None:
        shed_w, measured = done
        shed, relays_on_w, left_w = True, relays_on_w - shed_w, left_w - shed_w
        if left_w <= import_guard_w or not measured:
            break
    return relays_on_w, shed
