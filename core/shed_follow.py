"""Whether the house followed Hébert's sheds of a load whose draw is in doubt (a heater suspected full, a variator
silent: core/allocation.py's `draws_in_doubt`). The rule counts nothing of what such a load gives up, and sheds on up
the list, only once the house has shown that its sheds free nothing: a heater whose tank cut, believed at its watts,
took each shed into its phantom watts (83 W imported for 20 decisions); one suspected wrongly, drawing, left each shed
of the meter's noise to a relay before it, switched off and on again at each reading for as long as the doubt lasted
(22 times in a minute at +-10 W).

The evidence is the house meter at the decision after a shed: it fell by what the load gave up, beyond what the
others' sheds gave up, or it did not (a load's shed counted as none gave up nothing to take out of the fall: with two
heaters in doubt at once, the cut one's phantom shed taken out, the other, drawing, was found not followed whatever it
freed, and each shed of the meter's noise went on past it to a relay before it). One shed of the meter's noise tells
nothing (a few watts against its +-10 W): a load's sheds are weighed once they add up to JUDGED_W, the house's falls
after them summed alike, and the load is counted as none if the house fell by under half of them (as usual otherwise)
until its next weighing. A load in doubt with no weighing yet is counted as usual: a cut tank's first sheds go into
its phantom watts (two decisions of an import of 20 W or more at most, the third passing it on up); the shed answered
at its suspicion counts (a tank whose cut a house step hid is suspected from its sheds the house did not follow:
field/full_tank_inferred.py)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from equipments.base import Equipment

# A load's sheds are weighed against the house's falls once they add up to this: over the meters' noise (+-10 W a
# reading, a fall between two of them off by up to 20 W), and at most two decisions of an import of 20 W or more.
JUDGED_W = 40.0


class ShedFollow:
    """The house's answers to Hébert's sheds, load by load (see the module's docstring)."""

    def __init__(self) -> None:
        # (the last decision's house reading, what each load gave up in it, when it shed, and its sheds counted as none)
        self._last: tuple[float, dict[str, float], Collection[str]] | None = None
        # (by load: its sheds since its last weighing, and the house's falls beyond the others' sheds after them)
        self._evidence: dict[str, list[float]] = {}
        self._phantom: set[str] = set()  # loads whose last weighing found the house not following: counted as none

    def seen(self, consumption_w: float) -> bool:
        """At each of the rule's decisions, first: the house's answer to the last decision, if it shed. True while a
        load is known not followed: who is in doubt is then asked at each decision, a shed or not, for `counted_as_none`
        to forget it once out of doubt (asked only at sheds, it was kept for as long as none came, hours of export
        after a tank was confirmed full, say: suspected again, drawing, its first sheds were counted as none)."""
        last, self._last = self._last, None
        if last is None:
            return bool(self._phantom)
        then_w, shed, none = last
        fell_w = then_w - consumption_w
        freed_w = sum([shed_w for name, shed_w in shed.items() if name not in none])  # (what the house was to show)
        for name, shed_w in shed.items():
            evidence = self._evidence.setdefault(name, [0.0, 0.0])
            evidence[0] += shed_w
            evidence[1] += fell_w - (freed_w if name in none else freed_w - shed_w)
            if evidence[0] >= JUDGED_W:
                if evidence[1] < evidence[0] / 2:
                    self._phantom.add(name)
                else:
                    self._phantom.discard(name)
                del self._evidence[name]
        return bool(self._phantom)

    def suspended(self) -> None:
        """The regulation was suspended (a meter silent: every unforced load commanded to 0 W): the last shed is no
        longer weighed, the reading after the silence shows the suspension's switch-off, not its answer."""
        self._last = None

    def counted_as_none(self, draws_in_doubt: Collection[str]) -> list[str]:
        """At a shed (or while `seen` says a load is known not followed): of the loads in doubt, those whose sheds the
        house did not follow. What is known of a load out of doubt is forgotten (a tank that cuts later starts afresh,
        but for the shed just answered)."""
        for name in [name for name in self._evidence if name not in draws_in_doubt]:
            del self._evidence[name]
        self._phantom.intersection_update(draws_in_doubt)
        return [name for name in draws_in_doubt if name in self._phantom]

    def shed(self, consumption_w: float, loads: Sequence[Equipment], before_w: Sequence[float],
             counted_as_none: Collection[str] = ()) -> None:
        """After a shed: what each of `loads` gave up from `before_w`, for the next decision to weigh;
        `counted_as_none`: the loads whose sheds it counted as none (`counted_as_none`'s answer)."""
        shed = {load.name: was_w - load.current_power_w
                for load, was_w in zip(loads, before_w, strict=True) if load.current_power_w < was_w}
        self._last = (consumption_w, shed, counted_as_none) if shed else None
