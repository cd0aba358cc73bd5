"""Full tank inferred from the house meter, for a load without its own meter: a command step is a probe the house
must follow, the closed loop's small moves are weighed too (field/full_tank_loop.py), a suspicion is confirmed by a
re-probe that holds the load at 0 W. Pure: commands, house readings and `now` come in, a verdict goes out."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from field.full_tank_loop import Cut, HeaterBeliefs, LoopEvidence, LoopVerdict
from field.full_tank_rules import InferenceRule
from values.readings import CLOCK_STEP_BACK_S, stepped_back

# The detector's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.full_tank")

_DEFAULT_RULE = InferenceRule()  # (a frozen value, shared as a default)
# (said of a fall judged a cut once another heater was found full: its belief moves across it were none of its watts)
_HIDDEN = " as a heater since found full moved, which drew nothing"


@dataclass(slots=True)
class _Probe:
    start_command_w: float
    baseline_w: float  # house consumption minus the other loads' believed power, before the step
    direction: int  # +1: command went up, -1: went down
    started_at: float
    baseline_at: float  # the first house reading its baseline relies on
    changed_at: float  # last command change that extended the step
    moves: list[float] = field(default_factory=list)  # observed moves in the step's direction

    def step_w(self, command_w: float) -> float:
        return (command_w - self.start_command_w) * self.direction


class InferredFullTank:
    """Full inferred from the house meter, for a load without its own meter.

    A command step of >= min_power (up or down) is a probe: the settled house readings after it must move
    by at least `fraction` of the step. The other loads' believed power is subtracted, and a probe is
    inconclusive when the house was unsteady before the step, moved the wrong way, or scattered: another
    appliance switching at the same moment must not look like a full tank. A first failed probe only
    makes the load *suspect*; a second failed probe, started at least `confirm_gap_s` later, concludes.
    A successful probe clears the suspicion. The command's small moves from reading to reading (the
    closed loop's) are weighed too (field/full_tank_loop.py): they can raise or clear a suspicion, and
    the re-probe's hold then decides."""

    def __init__(self, name: str, min_power_w: float, rule: InferenceRule = _DEFAULT_RULE,
                 heard_after: Callable[[float], bool] | None = None,
                 off_command_since: Callable[[float], bool] | None = None) -> None:
        self.name = name
        self._base_rule = rule  # (`rule` is this one for the house meter's pace: follow_pace)
        # Whether the load's device answered a command sent at a time: a probe it did not hear is void
        # (a variator off the network draws what it drew; the house not moving is no full tank).
        self.heard_after = heard_after
        # Whether the load's device ran off our command at some time since a given one (a variator's boot: at its
        # default until our command reaches it): a probe across that time measured its default, not our step.
        self.off_command_since = off_command_since
        self.min_power_w = min_power_w
        self.rule = rule
        self.full = False
        self.suspect_since: float | None = None
        self._command_w: float | None = None
        self._changed_at: float | None = None
        self._settled: deque[tuple[float, float]] = deque(maxlen=2)  # (at, consumption - others)
        self._probe: _Probe | None = None
        self._reprobe_asked_at: float | None = None
        # The wait between re-probes: reprobe_after_s, doubled by each void probe up to ten times that (a variator off
        # the network voids every one: its heater was held at 0 W every two minutes for as long as it was away).
        self._reprobe_wait_s = rule.reprobe_after_s
        self._void_command_at: float | None = None  # the command of the last void probe (its answer never came)
        self._hold_until: float | None = None
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

    def on_command(self, commanded_w: float, now: float) -> None:
        """The regulator changed this load's command (call it for every change, forced ones too)."""
        previous_w, self._command_w = self._command_w, commanded_w
        if commanded_w == previous_w:
            return
        probe = self._probe
        if previous_w is None or self.full:
            pass
        elif probe is not None and probe.step_w(commanded_w) >= self.min_power_w and self._moved_against(probe,
                                                                                                         commanded_w):
            # The closed loop answers an appliance's fall by raising the heater: a re-probe's step back up grown so,
            # its moves cleared, was measured from a baseline the appliance was still in (an oven's 2.2 kW less, the
            # heater's 2.1 kW more: "moved by 98 W"), and the tank was found full for the day in the sun.
            log.debug("%s: probe abandoned, the house moved against it before its step changed (another "
                      "appliance)", self.name)
            self._probe = None
            self._judge_cut_in_probe(now)
        elif probe is not None and probe.step_w(commanded_w) >= self.min_power_w:
            probe.changed_at = now  # the step grew or shrank but still counts: wait for it to settle
            probe.moves.clear()
        else:
            if probe is not None:
                log.debug("%s: probe abandoned, the command went back to %.0f W", self.name, commanded_w)
                self._probe = None
                self._judge_cut_in_probe(now)
            self._maybe_start(previous_w, commanded_w, now)
        # Readings before a change describe the old command: the next baseline must come after it.
        self._settled.clear()
        self._changed_at = now

    def _moved_against(self, probe: _Probe, commanded_w: float) -> bool:
        """Whether the house's last reading since `probe` started moved against its step by more than what the step,
        changed to `commanded_w`, must move it: the baseline no longer holds (an appliance switched meanwhile)."""
        last = self._loop.last
        if last is None or last.at < probe.started_at:
            return False
        return (last.own_w - probe.baseline_w) * probe.direction < -self.rule.fraction * probe.step_w(commanded_w)

    def _maybe_start(self, previous_w: float, commanded_w: float, now: float) -> None:
        step_w = abs(commanded_w - previous_w)
        if step_w < self.min_power_w or len(self._settled) < 2:
            return
        (first_at, first_w), (last_at, last_w) = self._settled
        if now - last_at > self.rule.max_baseline_age_s:
            return
        if abs(last_w - first_w) > self.rule.fraction * step_w:
            log.debug("%s: no probe, the house was unsteady before the step (%.0f -> %.0f W)", self.name,
                      first_w, last_w)
            return
        direction = 1 if commanded_w > previous_w else -1
        self._probe = _Probe(previous_w, last_w, direction, now, first_at, now)

    def keep_baseline(self, own_w: float, now: float) -> None:
        """A house reading less the other loads (`own_w`), kept as the baseline of the next step, full or not: not
        kept while full, a force made at the very tick of the daily clear had none, was never a probe, and a tank
        still full was taken for drawing its force's watts all night."""
        if self._changed_at is None or now - self._changed_at >= self.rule.settle_s:
            self._settled.append((now, own_w))

    def on_consumption(self, consumption_w: float, now: float, others_w: float = 0.0,
                       others_known: bool = True, heaters: HeaterBeliefs = ()) -> bool:
        """A house reading; `others_w` is what the other loads are believed to draw (`others_known`: False
        when that belief is no measure of this reading, see LoopEvidence.on_reading), `heaters` the other heaters
        watched for a full tank (EvidenceReading.heaters). True exactly when it concludes the tank is full."""
        followed = self._follow_house(consumption_w, now, others_w, others_known, heaters)
        if followed is None:
            return False
        own_w, command_w, verdict = followed
        if verdict is not None:
            self._judge_loop(verdict, now)
        self._judge_cut(now)
        self._judge_hidden_cut(now)
        probe = self._probe
        if probe is None:
            return False
        if now - probe.started_at > self.rule.probe_timeout_s:
            log.debug("%s: probe timed out without %d settled readings", self.name, self.rule.readings)
            self._probe = None
            self._judge_cut_in_probe(now)
            return False
        if now - probe.changed_at < self.rule.settle_s:
            return False
        probe.moves.append((own_w - probe.baseline_w) * probe.direction)
        if len(probe.moves) < self.rule.readings:
            return False
        self._probe = None
        return self._conclude(probe, probe.step_w(command_w), now)

    def watch_house(self, consumption_w: float, now: float, others_w: float = 0.0, others_known: bool = True,
                    heaters: HeaterBeliefs = ()) -> None:
        """A house reading while the heater's own meter watches its tank: the house's moves are followed
        (`house_fell_at`, and the loop's evidence is current if that meter falls silent), nothing judged."""
        self._follow_house(consumption_w, now, others_w, others_known, heaters)

    def _follow_house(self, consumption_w: float, now: float, others_w: float, others_known: bool,
                      heaters: HeaterBeliefs) -> tuple[float, float, LoopVerdict | None] | None:
        """A house reading taken as the baseline and into the loop's evidence: what the heater drew by it, its command,
        and the loop's verdict if a window closed (None when full, or never commanded: nothing to follow)."""
        own_w = consumption_w - others_w
        self.keep_baseline(own_w, now)
        command_w = self._command_w
        if self.full or command_w is None:
            return None
        return own_w, command_w, self._loop.on_reading(own_w, others_w, command_w, self._changed_at, now,
                                                       others_known, heaters)

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

    def _conclude(self, probe: _Probe, step_w: float, now: float) -> bool:
        needed_w = self.rule.fraction * step_w
        low, high = min(probe.moves), max(probe.moves)
        if low < -needed_w or high - low > needed_w:
            log.debug("%s: probe inconclusive, the house moved %.0f..%.0f W for a %.0f W step", self.name,
                      low, high, step_w)
            self._judge_cut_in_probe(now)
            return False
        self._cut_in_probe = None  # (the probe decides: a fall during it that its readings do not show was not a cut)
        moved = f"a {step_w:.0f} W step moved the house by {round(high):d} W"
        if high >= needed_w:
            return self._verdict(True, moved, probe.started_at, now)
        if self.off_command_since is not None and self.off_command_since(probe.baseline_at):
            log.info("%s: probe void, the variator was off PySEB's command during it (rebooted, at its default until "
                     "the command reached it, or at another client's percent): %s at most", self.name, moved)
            return False
        if self.heard_after is not None and not self.heard_after(probe.changed_at):
            self._reprobe_wait_s = min(2 * self._reprobe_wait_s, 10 * self.rule.reprobe_after_s)
            self._void_command_at = probe.changed_at
            log.info("%s: probe void, %s at most but the variator did not answer the command (next re-probe in %.0f s "
                     "at the earliest)", self.name, moved, self._reprobe_wait_s)
            return False
        return self._verdict(False, f"{moved} at most (< {needed_w:.0f} W)", probe.started_at, now)

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

    def reprobe_due(self, commanded_w: float, now: float) -> bool:
        """True when the regulator should command this load to 0 now and keep it there while `holding`:
        a suspicion then gets its confirming probe (the step down, then the step back up)."""
        if self.full or self.suspect_since is None or self._probe is not None or commanded_w < self.min_power_w:
            return False
        since = self._reprobe_asked_at if self._reprobe_asked_at is not None else self.suspect_since
        if (self._void_command_at is not None and self.heard_after is not None
                and self.heard_after(self._void_command_at)):
            # (heard again since: back to the usual wait; kept at 20 minutes, a full tank was found 14 minutes late)
            self._reprobe_wait_s, self._void_command_at = self.rule.reprobe_after_s, None
        if now - since < self._reprobe_wait_s:
            return False
        self._reprobe_asked_at = now
        self._hold_until = now + self.rule.hold_s
        log.info("%s: re-probe, held at 0 W for %.0f s (suspected full for %.0f s)", self.name,
                 self.rule.hold_s, now - self.suspect_since)
        # The step down to 0 is the probe, measured from the last reading that showed the command. A
        # closed loop moving the command at every reading leaves no two settled readings to start one
        # from (see `_maybe_start`), so it is started here.
        last = self._loop.last
        if last is not None and now - last.at <= self.rule.max_baseline_age_s and last.command_w >= self.min_power_w:
            self._probe = _Probe(last.command_w, last.own_w, -1, now, last.at, now)
        return True

    def follow_clock(self, now: float) -> None:
        """The times kept (a suspicion's, a re-probe's, its hold's end, the last command change, a probe's) further
        ahead of `now` than they can be are from before the clock stepped back (NTP): they start again at `now`, so
        each wait keeps its length (an hour's step held the heater at 0 W for an hour with 2 kW exported, and put off
        the re-probe as long; a command changed just before it was "not settled yet" for the hour: no probe
        concluded, the cut of a saturated heater went unseen)."""
        if self._changed_at is not None and stepped_back(now, self._changed_at):
            self._changed_at = now
        probe = self._probe
        if probe is not None and stepped_back(now, probe.started_at):
            probe.started_at = now
        if probe is not None and stepped_back(now, probe.changed_at):
            probe.changed_at = now
        if self._hold_until is not None and self._hold_until - now > self.rule.hold_s + CLOCK_STEP_BACK_S:
            self._hold_until = now + self.rule.hold_s
        if self.suspect_since is not None and stepped_back(now, self.suspect_since):
            self.suspect_since = now
        if self._reprobe_asked_at is not None and stepped_back(now, self._reprobe_asked_at):
            self._reprobe_asked_at = now
        if self._void_command_at is not None and stepped_back(now, self._void_command_at):
            # (an answer is judged after it: ahead by the step, none counted for that long, the wait kept doubled)
            self._void_command_at = now
        if self._cut_at is not None and stepped_back(now, self._cut_at):
            self._cut_at = now
        if self._hidden_cut is not None and stepped_back(now, self._hidden_cut[1]):
            self._hidden_cut = (self._hidden_cut[0], now)
        if self._other_full_at is not None and stepped_back(now, self._other_full_at):
            self._other_full_at = now

    def follow_pace(self, pace_s: float) -> None:
        """The house meter is read every `pace_s`: the rule's waits for it (InferenceRule.for_pace)."""
        rule = self._base_rule.for_pace(pace_s)
        if rule != self.rule:
            log.debug("%s: the house meter reads every %.1f s: re-probes hold %.0f s, probes wait %.0f s", self.name,
                      pace_s, rule.hold_s, rule.probe_timeout_s)
            self.rule, self._loop.rule = rule, rule.loop

    def holding(self, now: float) -> bool:
        """True while a re-probe needs the load kept at 0 W (the allocation must leave it out)."""
        return self._hold_until is not None and now < self._hold_until

    def reprobing(self, now: float) -> bool:
        """True from a re-probe's start to `settle` after its hold: its load's belief moves (to 0 W, and back) where
        the house may not (a full tank drew nothing), so no other load's re-probe is judged meanwhile
        (FullTankWatch.tick). Nor while the re-probe's own probe still gathers its readings (its step down, or the step
        back up from the hold's readings), which a meter every 10 s makes outlast the hold: the other heater's hold
        begun then dropped that one's belief (its tank full, a phantom) under the probe, "inconclusive", both re-probed
        in turn every two minutes for the day, neither found full (3.5 kWh an hour counted that they never drew)."""
        if self._hold_until is None:
            return False
        if now < self._hold_until + self.rule.settle_s:
            return True
        # (the step back up starts from the hold's readings, at most max_baseline_age after it: a later step is the
        # loop's own, not this re-probe's)
        probe, asked_at = self._probe, self._reprobe_asked_at
        return (probe is not None and asked_at is not None
                and asked_at <= probe.started_at <= self._hold_until + self.rule.max_baseline_age_s
                and now - probe.started_at <= self.rule.probe_timeout_s)

    def clear(self) -> None:
        """The daily clear: the load may take power again; any suspicion is dropped."""
        self.full, self.suspect_since, self._probe = False, None, None
        self._reprobe_asked_at = self._hold_until = self._cut_at = self._cut_in_probe = None
        self._hidden_cut = self._other_full_at = None
        self._cut_wait_s = self.rule.cut_every_s
        self._reprobe_wait_s, self._void_command_at = self.rule.reprobe_after_s, None
        self._loop.clear()
