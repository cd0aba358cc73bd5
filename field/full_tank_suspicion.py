"""A full tank's suspicion, for a load without its own meter (field/full_tank_inferred.py): the verdicts that raise,
clear or confirm it (a probe's, the closed loop's moves'), and the house's sudden falls (cuts) that raise it. Pure:
what the house did and `now` come in, a verdict goes out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from field.full_tank_loop import Cut, LoopEvidence, LoopVerdict
from field.full_tank_rules import InferenceRule

# The detector's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.full_tank")

# (said of a fall judged a cut once another heater was found full: its belief moves across it were none of its watts)
_HIDDEN = " as a heater since found full moved, which drew nothing"


@dataclass(slots=True)
class Probe:
    """A command step the house must follow, read from its settled readings after it."""

    start_command_w: float
    baseline_w: float  # house consumption minus the other loads' believed power, before the step
    direction: int  # +1: command went up, -1: went down
    started_at: float
    baseline_at: float  # the first house reading its baseline relies on
    changed_at: float  # last command change that extended the step
    moves: list[float] = field(default_factory=list)  # observed moves in the step's direction

    def step_w(self, command_w: float) -> float:
        return (command_w - self.start_command_w) * self.direction


class TankSuspicion:
    """Whether a heater's tank is suspected full, or found full: what the probes (InferredFullTank's) and the closed
    loop's moves concluded, and the falls of the house by what the heater drew (a thermostat's cut), judged here."""

    def __init__(self, name: str, min_power_w: float, rule: InferenceRule) -> None:
        self.name = name
        self._base_rule = rule  # (`rule` is this one for the house meter's pace: follow_pace)
        self.min_power_w = min_power_w
        self.rule = rule
        self.full = False
        self.suspect_since: float | None = None
        self._probe: Probe | None = None  # (the step's under way: a cut seen while it reads waits for its verdict)
        self._reprobe_asked_at: float | None = None
        # The wait between re-probes: reprobe_after_s, doubled by each void probe up to ten times that (a variator off
        # the network voids every one: its heater was held at 0 W every two minutes for as long as it was away).
        self._reprobe_wait_s = rule.reprobe_after_s
        self._loop = LoopEvidence(min_power_w, rule.loop)
        self._cut_at: float | None = None  # the last suspicion raised by a sudden fall (see _judge_cut)
        self._cut_wait_s = rule.cut_every_s  # until the next one may be raised (shorter after one the loop cleared)
        self._cut_in_probe: Cut | None = None  # a sudden fall seen while a probe read: judged if it ends undecided
        # A fall that was a cut only if the beliefs of the heaters suspected full moved for nothing (LoopEvidence's
        # hidden_cut), and when: judged when one of them is found full (fall_explained). When one was found full last,
        # and for how long after a fall so seen is judged at once (its belief's move to 0 W was none of its watts).
        self._hidden_cut: tuple[Cut, float] | None = None
        self._other_full_at: float | None = None
        self._other_full_for_s = 0.0

    def suspected(self, now: float) -> bool:
        """A suspicion of a full tank raised within `longest_doubt_s` of `now`: what the heater draws is in doubt."""
        since = self.suspect_since
        return since is not None and now - since <= self.rule.longest_doubt_s

    def house_fell_at(self, now: float) -> float | None:
        """When the house fell by all or a good part of what the heater drew, unexplained (LoopEvidence's cut or part
        fall at the latest house reading, at most max_gap_s before `now`): that reading, or the one before it where a
        cut over two readings was all read (LoopEvidence.fell_at); else None."""
        loop, last = self._loop, self._loop.last
        if last is None or not 0 <= now - last.at <= self.rule.loop.max_gap_s:
            return None
        return loop.fell_at

    def _judge_cut(self, now: float) -> None:
        """A heater saturated at its max never moves, so neither its moves nor a step show a thermostat
        cutting it: the house falling at once by the watts it drew (its command held, raised by the loop at
        that very reading, or a dither's step down) makes it suspect, and the re-probe decides."""
        cut = self._loop.cut
        if cut is not None:
            self._judge_fall(cut, now, "")

    def _judge_fall(self, cut: Cut, now: float, when: str) -> None:
        """A fall that looks like this heater's cut: suspect now, or once a step's probe reading ends undecided."""
        if self.suspect_since is not None:
            return
        if self._probe is not None:
            # (a step's probe reads the house: its verdict decides. A cut in it moves the house against the step, an
            # undecided probe, and the heater at its max never moves again: judged then, _judge_cut_in_probe)
            self._cut_in_probe = cut
            return
        self._suspect_cut(cut, now, when)

    def _judge_hidden_cut(self, now: float) -> None:
        """A fall that is a cut if the heaters suspected full drew nothing across it (LoopEvidence.hidden_cut): judged
        now if one was found full lately, else kept for when one is (fall_explained). Not judged at once: a heater
        suspected wrongly draws what it is believed to, and its re-probe's hold takes its watts off the house; of the
        size of this heater's, that fall is no cut of this one."""
        hidden = self._loop.hidden_cut
        if hidden is None:
            return
        if self._other_full_at is not None and now - self._other_full_at <= self._other_full_for_s:
            self._judge_fall(hidden, now, _HIDDEN)
        else:
            self._hidden_cut = (hidden, now)

    def _judge_cut_in_probe(self, now: float) -> None:
        """The probe just ended without a verdict (inconclusive, timed out, abandoned): a sudden fall seen while it read
        makes the heater suspect now. Dropped, the loop raising a heater to its max, its thermostat cutting at the next
        reading, left it believed at 2 kW for the rest of the day ("probe inconclusive, the house moved -980 W")."""
        cut, self._cut_in_probe = self._cut_in_probe, None
        if cut is not None and not self.full and self.suspect_since is None:
            self._suspect_cut(cut, now, " while a step's probe read")

    def _suspect_cut(self, cut: Cut, now: float, when: str) -> None:
        if self._cut_at is not None and now - self._cut_at < self._cut_wait_s:
            return
        self._cut_at, self._cut_wait_s = now, self.rule.cut_every_s
        self._verdict(False, f"the house fell by {cut.fell_w:.0f} W at once{when}, a cut of the {cut.drew_w:.0f} W "
                             "it was commanded", now, now)

    def fall_explained(self, since: float, now: float) -> None:
        """Another heater was found full at `now`, suspected since `since` at the earliest: a cut suspicion this one
        raised from then on was that heater's fall matching its watts too, and does not count against `cut_every_s`
        (counted, its own cut minutes later went unseen for hours, 1.8 kWh an hour counted that it never drew).

        That heater's belief moves while suspected (its re-probe's hold to 0 W and back, its 0 W when found full) were
        none of its watts: a fall they hid from then on, or for as long after now, was this one's cut (taken for that
        heater's, the house's fall less its belief's jump no cut, this heater at its max was never found full)."""
        if self._cut_at is not None and self._cut_at >= since:
            self._cut_at = None
        self._other_full_at, self._other_full_for_s = now, now - since
        hidden, self._hidden_cut = self._hidden_cut, None
        if hidden is not None and hidden[1] >= since and not self.full:
            self._judge_fall(hidden[0], now, _HIDDEN)

    def cut_seen(self, now: float) -> bool:
        """True when the house reading at `now` fell at once by what the heater drew (LoopEvidence.cut): its
        thermostat, an appliance of its size, or its variator rebooting, which its status tells."""
        last = self._loop.last
        return self._loop.cut is not None and last is not None and last.at == now

    def draw_in_doubt(self, now: float) -> bool:
        """True when the latest house reading (at most max_gap_s before `now`) fell by a good part of what the
        heater drew, unexplained: the first half of a cut split over two readings, or an appliance stopping.
        The next reading tells which; a load of unknown power measured across it would take the heater's
        second half for its own step, and switched on at that decision it makes the cut check wait (its
        belief, the whole surplus, is no measure of the house)."""
        last = self._loop.last
        return (self._loop.part_fall_w is not None and last is not None
                and 0 <= now - last.at <= self.rule.loop.max_gap_s)

    def _judge_loop(self, verdict: LoopVerdict, now: float) -> None:
        """A window of the loop's moves: it can clear a suspicion or raise one, never conclude. Only the
        re-probe's hold, a deliberate step with settled readings, makes a tank full."""
        followed = f"{verdict.moves_w:.0f} W of command moves were followed at {round(verdict.slope * 100):d}%"
        if verdict.slope < -self.rule.fraction:
            log.debug("%s: loop probe inconclusive, the house moved against its moves (%s)", self.name, followed)
        elif verdict.slope >= 2 * self.rule.fraction:
            self._verdict(True, followed, verdict.started_at, now)
        elif verdict.slope < self.rule.fraction and self.suspect_since is None:
            self._verdict(False, f"{followed} (< {self.rule.fraction:.0%})", verdict.started_at, now)
        # (a quarter to half followed: a heater far off its calibration, neither verdict)


    def _verdict(self, drawing: bool, evidence: str, probe_started_at: float, now: float) -> bool:
        """One probe's outcome: the element drew (clears a suspicion) or did not (a first failure makes
        it suspect, a second one at least `confirm_gap_s` later concludes). True when found full."""
        self._reprobe_wait_s = self.rule.reprobe_after_s  # (the variator answered: a probe decided)
        if drawing:
            if self.suspect_since is not None:
                log.info("%s is not full after all: %s", self.name, evidence)
                if self._cut_at == self.suspect_since and self._reprobe_asked_at is None:
                    # A fall's suspicion the loop's moves cleared before any re-probe held the heater at 0 W:
                    # cut_every_s spares re-probes and this cost none (InferenceRule.cleared_cut_every_s)
                    self._cut_wait_s = self.rule.cleared_cut_every_s
            self.suspect_since = None
            return False
        if self.suspect_since is None:
            # (a new suspicion waits reprobe_after_s from itself: timed from an earlier suspicion's re-probe, it was
            # re-probed at once, too close to it to conclude, the heater held at 0 W for nothing)
            self.suspect_since, self._reprobe_asked_at = now, None
            log.info("%s may be full: %s; waiting for a second probe", self.name, evidence)
            return False
        if probe_started_at - self.suspect_since < self.rule.confirm_gap_s:
            return False  # too close to the first failure: could be the same passing coincidence
        self.full = True
        log.info("%s is full: a second probe, %s", self.name, evidence)
        return True

