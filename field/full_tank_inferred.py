"""Full tank inferred from the house meter, for a load without its own meter: a command step is a probe the house
must follow, the closed loop's small moves are weighed too (field/full_tank_loop.py), a suspicion is confirmed by a
re-probe that holds the load at 0 W (the suspicion, its verdicts and the house's sudden falls that raise it:
field/full_tank_suspicion.py). Pure: commands, house readings and `now` come in, a verdict goes out."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from field.full_tank_loop import HeaterBeliefs, LoopVerdict
from field.full_tank_rules import InferenceRule
from field.full_tank_suspicion import Probe, TankSuspicion
from values.readings import CLOCK_STEP_BACK_S, stepped_back

# The detector's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.full_tank")

_DEFAULT_RULE = InferenceRule()  # (a frozen value, shared as a default)


class InferredFullTank(TankSuspicion):
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
                 off_command_since: Callable[[float], bool] | None = None,
                 silent: Callable[[float], bool] | None = None) -> None:
        super().__init__(name, min_power_w, rule)
        # Whether the load's device answered a command sent at a time: a probe it did not hear is void
        # (a variator off the network draws what it drew; the house not moving is no full tank).
        self.heard_after = heard_after
        # Whether the load's device ran off our command at some time since a given one (a variator's boot: at its
        # default until our command reaches it): a probe across that time measured its default, not our step.
        self.off_command_since = off_command_since
        # Whether the load's device has left our last command unanswered past the time its answer takes, or its status
        # asked at a fall unanswered (a variator rebooting after it answered a probe's step: its boot is said only once
        # it is back, after the probe's readings).
        self.silent = silent
        self._command_w: float | None = None
        self._changed_at: float | None = None
        self._settled: deque[tuple[float, float]] = deque(maxlen=2)  # (at, consumption - others)
        self._void_command_at: float | None = None  # the command of the last void probe (its answer never came)
        self._hold_until: float | None = None

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

    def _moved_against(self, probe: Probe, commanded_w: float) -> bool:
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
        self._probe = Probe(previous_w, last_w, direction, now, first_at, now)

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

    def _conclude(self, probe: Probe, step_w: float, now: float) -> bool:
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
        # (it answered the step, then went: its boot is said once it is back, after these readings)
        if self.silent is not None and self.silent(now):
            log.info("%s: probe void, %s at most but the variator has left PySEB's last command unanswered since "
                     "(rebooting, or off the network)", self.name, moved)
            return False
        return self._verdict(False, f"{moved} at most (< {needed_w:.0f} W)", probe.started_at, now)


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
            self._probe = Probe(last.command_w, last.own_w, -1, now, last.at, now)
        return True

    def command_sent_late(self, stamp: float, late_s: float) -> None:
        """Its last command, stamped `stamp`, went out `late_s` after it (its message waited in the daemon's queue): the
        house readings until then, dated `settle` or more after the stamp, show the load as it was, so its probe's step,
        the loop's evidence and the next baseline wait from when it went (taken for the step's settled readings, they
        showed a 1000 W force moving the house by nothing: "may be full", the heater held at 0 W for its re-probe)."""
        if self._changed_at == stamp:
            self._changed_at = stamp + late_s
        probe = self._probe
        if probe is not None and probe.changed_at == stamp:
            probe.changed_at = stamp + late_s

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
