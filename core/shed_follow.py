"""Whether the house followed the sheds of a load whose draw is in doubt (a heater suspected full, a variator silent:
FieldFeatures.draws_in_doubt), under either rule. Hébert's rule counts nothing of what such a load gives up, and sheds
on up the list, only once the house has shown that its sheds free nothing: a heater whose tank cut, believed at its
watts, took each shed into its phantom watts (83 W imported for 20 decisions); one suspected wrongly, drawing, left
each shed of the meter's noise to a relay before it, switched off and on again at each reading for as long as the
doubt lasted (22 times in a minute at +-10 W). The closed loop does the other way round: a load in doubt is kept from
the loads before it, and a shed reaching it goes on up, until the house has shown that it follows its sheds (see
`followed`): kept so, a heater suspected wrongly had every shed reaching it doubled for the whole doubt, a reading's
export each time.

The evidence is the house meter at the decision after a shed: it fell by what the load gave up, beyond what the
others' moves gave up (their sheds, less what they were raised by), or it did not (a load's shed counted as none gave up
nothing to take out of the fall: with two heaters in doubt at once, the cut one's phantom shed taken out, the other,
drawing, was found not followed whatever it freed, and each shed of the meter's noise went on past it to a relay before
it). One shed of the meter's noise tells nothing (a few watts against its +-10 W): a load's sheds are weighed once they
add up to JUDGED_W, the house's falls after them summed alike; the load is found followed if the house fell by half of
them or more, not followed if it fell by under a quarter, and a fall between waits for the next reading (FOLLOWED_SHARE,
NOT_FOLLOWED_SHARE), found not followed then only if still under half; the finding holds until its next weighing. A
load in doubt with no finding yet is counted as usual by Hébert's rule: a cut tank's first sheds go into its phantom
watts (two decisions of an import of 20 W or more at most, the third passing it on up); the shed answered at its
suspicion counts (a tank whose cut a house step hid is suspected from its sheds the house did not follow:
field/full_tank_inferred.py). What is known of a load out of doubt is forgotten, its sheds under JUDGED_W too. A
reading before which a load moved outside the decisions (a force, its end, a full-tank hold) weighs nothing, as one
after a suspension; the others' raises count at half for a finding of followed (UNSHOWN_SHARE)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from equipments.base import Equipment

# A load's sheds are weighed against the house's falls once they add up to this: over the meters' noise (+-10 W a
# reading, a fall between two of them off by up to 20 W), and at most two decisions of an import of 20 W or more.
JUDGED_W = 40.0
# Followed: the house fell by this share of the sheds or more. A house meter that averages over its period shows about
# half of a step at the first reading after it (core/relay_learning.py: a 1050 W radiator's 525 W), the rest at the
# next: judged on the first reading alone at "under half", a heater drawing was found not followed about one time in
# two, and Hébert's rule passed its sheds of the meter's noise on to a relay before it.
FOLLOWED_SHARE = 0.5
# Not followed at once: under this share (a cut tank's falls are the meter's noise about 0 W). Between the two, the
# reading after is weighed too, when the decision between moved nothing of its own (its sheds, if it was shed again).
NOT_FOLLOWED_SHARE = 0.25
# Of the others' raises in the decision before a reading, the share a meter that averages may not show yet: so much
# less of the house's fall is the load's for a finding of followed, until a reading after it is weighed too (taken
# whole, half of another heater's 300 W rise unshown passed for a 300 W shed of a cut tank followed: drawing, for the
# closed loop, whose loads before it took its phantom watts).
UNSHOWN_SHARE = 0.5


class ShedFollow:
    """The house's answers to the sheds of the loads in doubt, load by load (see the module's docstring)."""

    def __init__(self) -> None:
        # (the last decision's house reading, what each load gave up in it (a raise: less than 0), and its sheds counted
        # as none)
        self._last: tuple[float, dict[str, float], Collection[str]] | None = None
        # (every load's believed watts after the last decision recorded: moved by anything else before the next reading
        # (a force, its end, a full-tank hold, the heater's mode), the house's fall is not that decision's answer)
        self._beliefs: tuple[float, ...] = ()
        # (by load: its sheds since its last weighing, the house's falls beyond the others' moves after them, and what
        # the others' last raises may not show yet: UNSHOWN_SHARE)
        self._evidence: dict[str, list[float]] = {}
        self._phantom: set[str] = set()  # loads whose last weighing found the house not following: counted as none
        self._followed: set[str] = set()  # loads whose last weighing found the house following: drawing
        self._pending: set[str] = set()  # loads whose weighing waits for the next reading (a fall between the shares)

    @property
    def pending(self) -> bool:
        """A weighing waits for the next reading: the decision meanwhile is to be recorded (`shed`), a shed or not."""
        return bool(self._pending)

    @property
    def followed(self) -> Collection[str]:
        """The loads in doubt (as of the last `counted_as_none`) whose last weighing found the house following their
        sheds: drawing, whatever the doubt."""
        return self._followed

    def seen(self, consumption_w: float, beliefs: Sequence[float] = ()) -> bool:
        """At each of the rule's decisions, first: the house's answer to the last decision recorded. True while anything
        is known of a load (a finding, sheds not weighed yet): who is in doubt is then asked at each decision, a shed or
        not, for `counted_as_none` to forget it once out of doubt (asked only at sheds, it was kept for as long as none
        came, hours of export after a tank was confirmed full, say: suspected again, drawing, its first sheds were
        counted as none; and sheds under JUDGED_W of a doubt over were added to the next doubt's). `beliefs`: every
        load's believed watts at this reading (before its measures), as `shed` was given them."""
        last, self._last = self._last, None
        if beliefs and last is not None and tuple(beliefs) != self._beliefs:
            last = None  # (a load moved outside the decision: its fall would be taken for the shed's answer)
        pending, self._pending = self._pending, set()
        if last is None:
            for name in pending:  # (no reading to add: a suspension)
                self._judge(name, final=True)
            return self.watching
        then_w, moved, none = last
        fell_w = then_w - consumption_w
        freed_w = raised_w = 0.0  # (what the house was to show; of it, the raises)
        for name, moved_w in moved.items():
            if name not in none:
                freed_w += moved_w
                if moved_w < 0.0:
                    raised_w -= moved_w
        for name, moved_w in moved.items():
            if moved_w > 0.0:
                others_w = freed_w if name in none else freed_w - moved_w
                self._weigh(name, moved_w, fell_w - others_w, raised_w * UNSHOWN_SHARE, name in pending)
        for name in pending:
            moved_w = moved.get(name, 0.0)
            if moved_w == 0.0:  # (the rest of its last shed, the meter averaging: nothing of its own moved since)
                self._weigh(name, 0.0, fell_w - freed_w, raised_w * UNSHOWN_SHARE, final=True)
            elif moved_w < 0.0:  # (raised since: this reading shows that too)
                self._judge(name, final=True)
        return self.watching

    @property
    def watching(self) -> bool:
        """Anything is known of a load: a finding, or sheds not weighed yet (see `seen`)."""
        return bool(self._phantom or self._followed or self._evidence)

    def _weigh(self, name: str, shed_w: float, fell_w: float, unshown_w: float, final: bool) -> None:
        """Add a shed of `name` and the house's fall after it beyond the others' moves, `unshown_w` of the others'
        raises perhaps not shown yet; judge once over JUDGED_W. `final`: the reading right after one weighed (a
        pending weighing's), which shows the rest of the raises before it."""
        evidence = self._evidence.setdefault(name, [0.0, 0.0, 0.0])
        evidence[0] += shed_w
        evidence[1] += fell_w
        evidence[2] = unshown_w if final else evidence[2] + unshown_w
        if evidence[0] >= JUDGED_W:
            self._judge(name, final)

    def _judge(self, name: str, final: bool) -> None:
        """The finding on `name`'s sheds so far (`final`: no further reading is waited for)."""
        evidence = self._evidence.get(name)
        if evidence is None:
            return
        shed_w, fell_w, unshown_w = evidence
        if fell_w - unshown_w >= shed_w * FOLLOWED_SHARE:
            self._followed.add(name)
            self._phantom.discard(name)
        elif final or fell_w < shed_w * NOT_FOLLOWED_SHARE:
            self._phantom.add(name)
            self._followed.discard(name)
        else:
            self._pending.add(name)  # (its finding so far holds meanwhile)
            return
        del self._evidence[name]

    def suspended(self) -> None:
        """The regulation was suspended (a meter silent: every unforced load commanded to 0 W): the last shed is no
        longer weighed, the reading after the silence shows the suspension's switch-off, not its answer."""
        self._last = None

    def counted_as_none(self, draws_in_doubt: Collection[str]) -> list[str]:
        """At a shed (or while `seen` says a load is known): of the loads in doubt, those whose sheds the house did not
        follow. What is known of a load out of doubt is forgotten (a tank that cuts later starts afresh, but for the
        shed just answered)."""
        for name in [name for name in self._evidence if name not in draws_in_doubt]:
            del self._evidence[name]
        self._phantom.intersection_update(draws_in_doubt)
        self._followed.intersection_update(draws_in_doubt)
        self._pending.intersection_update(draws_in_doubt)
        return [name for name in draws_in_doubt if name in self._phantom]

    def shed(self, consumption_w: float, loads: Sequence[Equipment], before_w: Sequence[float],
             counted_as_none: Collection[str] = (), beliefs: Sequence[float] = ()) -> None:
        """After a decision: what each of `loads` gave up from `before_w` (a raise: less than 0), for the next decision
        to weigh; `counted_as_none`: the loads whose sheds it counted as none (`counted_as_none`'s answer); `beliefs`:
        every load's believed watts now (see `seen`)."""
        moved = {load.name: was_w - load.current_power_w
                 for load, was_w in zip(loads, before_w, strict=True) if load.current_power_w != was_w}
        self._last = (consumption_w, moved, counted_as_none) if moved or self._pending else None
        self._beliefs = tuple(beliefs)
