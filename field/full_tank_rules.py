"""The numbers of the two full-tank detectors: the seed's rule with the load's own meter (field/full_tank.py), and
the inference from the house meter (field/full_tank_inferred.py); documented in docs/field-features.md, "Full tank"."""

from __future__ import annotations

from dataclasses import dataclass, replace

from field.full_tank_loop import LoopRule


@dataclass(frozen=True, slots=True)
class MeterRule:
    """The seed's rule with the load's own meter."""

    below_w: float = 5.0  # a reading under this is "draws nothing"
    count: int = 5  # that many low readings in a row...
    max_gap_s: float = 10.0  # ...each less than this after the previous one
    # Its variator, not heard during them, asked for its status; silent, asked again this much later, then twice
    # that... up to ten times (its answer takes well under a second on a working network).
    ask_every_s: float = 60.0
    # A reading that fell by this share of the one before, its command held or down by part_fall_command_drop at most,
    # puts what it draws in doubt until the next reading (MeteredFullTank.part_fall; the house meter's LoopRule
    # cut_tolerance and cut_command_drop).
    part_fall: float = 0.25
    part_fall_command_drop: float = 0.1

    @property
    def longest_doubt_s(self) -> float:
        """How long a run of low readings may take to be decided, its variator answering: its readings and the first
        question to it (110 s)."""
        return self.count * self.max_gap_s + self.ask_every_s

    def for_pace(self, pace_s: float) -> MeterRule:
        """This rule for a load's meter read every `pace_s`: its low readings chain up to a reading and a half apart
        when that is longer than `max_gap_s`, sized for a PZEM every 2 s. With a meter every 10 s (a Tasmota's
        TelePeriod) no two readings were "less than 10 s" apart: the tank was never found full by its meter."""
        max_gap_s = max(self.max_gap_s, 1.5 * pace_s)
        return self if max_gap_s == self.max_gap_s else replace(self, max_gap_s=max_gap_s)


@dataclass(frozen=True, slots=True)
class InferenceRule:
    """The numbers of the inference from the house meter (documented in docs/field-features.md, "Full tank")."""

    fraction: float = 0.25  # a working load moves consumption by at least this share of its command step
    settle_s: float = 3.0  # readings closer than this to a command change still show the old state
    readings: int = 3  # settled readings that make one probe
    probe_timeout_s: float = 30.0  # a probe without enough settled readings by then is inconclusive
    confirm_gap_s: float = 60.0  # the confirming probe starts at least this long after the first failure
    reprobe_after_s: float = 120.0  # while suspect with no probe, ask the regulator for one this often
    hold_s: float = 15.0  # a re-probe holds the load at 0 this long: settling plus three readings
    max_baseline_age_s: float = 10.0  # the reading before a step must be this fresh
    # A sudden fall of the house by the command's watts (LoopEvidence.cut) raises a suspicion at most
    # this often: an appliance of the heater's size stopping looks the same, and each re-probe holds the
    # heater at 0 for `hold_s`...
    cut_every_s: float = 1800.0
    # ...and after one the loop's moves cleared before its re-probe (no hold spent), at most this often: counted as
    # the others, a real cut minutes later went unseen for the rest of the half hour; not counted, an oven cycling
    # beside a heater with room raised one at each of its stops, each holding the loads of unknown power back.
    cleared_cut_every_s: float = 300.0
    # The closed loop moves the command at nearly every reading, so a step rarely stays still long enough
    # to settle: its moves are weighed together instead (field/full_tank_loop.py).
    loop: LoopRule = LoopRule()

    def faster(self, speed: float, evidence_s: float) -> InferenceRule:
        """This rule for a house `speed` times faster than the daemon's clock (the live demo): every wait divided
        by it; `evidence_s`, the config's settle, is divided by the demo already."""
        if speed == 1.0:
            return self
        loop = replace(self.loop, evidence_s=evidence_s, max_gap_s=self.loop.max_gap_s / speed,
                       window_s=self.loop.window_s / speed)
        return replace(self, settle_s=self.settle_s / speed, probe_timeout_s=self.probe_timeout_s / speed,
                       confirm_gap_s=self.confirm_gap_s / speed, reprobe_after_s=self.reprobe_after_s / speed,
                       hold_s=self.hold_s / speed, max_baseline_age_s=self.max_baseline_age_s / speed,
                       cut_every_s=self.cut_every_s / speed, cleared_cut_every_s=self.cleared_cut_every_s / speed,
                       loop=loop)

    def for_pace(self, pace_s: float) -> InferenceRule:
        """This rule for a house meter read every `pace_s`: the waits sized for a meter every 2 s (a PZEM's) are
        stretched where they would not hold enough of its readings: a re-probe's hold and a probe's time its settle
        and `readings` settled readings, the baseline before a step and a pair of readings one reading and a half
        apart. With a meter every 10 s the 15 s hold saw one or two readings: a full tank was re-probed every two
        minutes for the rest of the day and never found full (its heater counted at 2.3 kW), and a false suspicion
        held a heater in the sun at 0 W for 15 s of every two minutes until the daily clear."""
        hold_s = max(self.hold_s, self.settle_s + (self.readings + 0.5) * pace_s)
        probe_timeout_s = max(self.probe_timeout_s, self.settle_s + (self.readings + 1.0) * pace_s)
        baseline_age_s = max(self.max_baseline_age_s, 1.5 * pace_s)
        loop_gap_s = max(self.loop.max_gap_s, 1.5 * pace_s)
        if (hold_s, probe_timeout_s, baseline_age_s, loop_gap_s) == (self.hold_s, self.probe_timeout_s,
                                                                     self.max_baseline_age_s, self.loop.max_gap_s):
            return self
        return replace(self, hold_s=hold_s, probe_timeout_s=probe_timeout_s, max_baseline_age_s=baseline_age_s,
                       loop=replace(self.loop, max_gap_s=loop_gap_s))

    @property
    def longest_doubt_s(self) -> float:
        """How long a suspicion may take to be decided: the wait for the re-probe, its hold, its readings."""
        return self.reprobe_after_s + self.hold_s + self.probe_timeout_s
