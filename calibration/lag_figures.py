"""What the house meter's lag measure found: from trials that each step the variator once between two steady levels,
how much of the step every later house reading showed, by the time from the command to the reading; and what that
means for [evaluate] settle and for the replay's [simulation] meter_lag_s. Pure: no clock, no I/O.

A closed loop decides on a house reading only `settle` seconds after its last command (core.decision_gate): a
reading taken sooner may not show the command yet, and the loop would correct again what was already corrected (it
hunts: docs/control.md "A meter that shows a command late"). How soon a reading shows a step is the meter's: its
own averaging, the ESP's publishing, the broker. Nobody measured it for a PZEM; this measures it on the owner's."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

__all__ = ["NO_STEP", "SHOWN_SHARE", "LagFigures", "Trial", "TrialFigures", "lag_figures", "read_trial",
           "replay_lag_line", "settle_advice"]

# A reading "shows" a command when it shows this much of its step: what is left (10 %, 230 W of a 2.3 kW heater)
# the next decision corrects without hunting.
SHOWN_SHARE = 0.9
# A trial whose readings before the command, or after a reading showed the step, differ from their level by more than
# this share of the step is left out: the house moved meanwhile (a kettle, a fridge), and every share it gives is off.
STEADY_SHARE = 0.1
# A step smaller than this is no step: the heater drew nothing (its thermostat open: a hot tank) or the variator
# did not follow. Left out, and said.
MIN_STEP_W = 200.0
NO_STEP = "no step"  # how such a trial's `why` begins
# Margin added to the latest delay at which a reading did not show a command in full, for the advised settle: the
# delays wander by tens of milliseconds (the ESP's loop, the broker, a loaded Pi).
SETTLE_MARGIN_S = 0.1


@dataclass(frozen=True, slots=True)
class Trial:
    """One step of the variator: the house readings before it, its time, the house readings after it."""

    from_percent: float
    to_percent: float
    commanded_at: float  # monotonic s, when the command was published
    before_w: tuple[float, ...]  # the last house readings before the command (W), oldest first
    after: tuple[tuple[float, float], ...]  # (received at, monotonic s; W) of each house reading after it


@dataclass(frozen=True, slots=True)
class TrialFigures:
    """One trial read: its step, and the share of it each later reading showed (None: left out, `why` says)."""

    trial: Trial
    step_w: float
    shown: tuple[tuple[float, float], ...]  # (s from the command to the reading, share of the step shown)
    why: str | None = None


@dataclass(frozen=True, slots=True)
class LagFigures:
    """Every trial read, and what the kept ones say together."""

    trials: tuple[TrialFigures, ...]
    # The latest delay (s after a command) at which a reading showed less than SHOWN_SHARE of the step (0: none did)
    # and the earliest one from which every later reading showed at least that much; the meter's lag lies between.
    not_shown_until_s: float
    shown_from_s: float | None

    @property
    def kept(self) -> tuple[TrialFigures, ...]:
        """The trials whose figures count."""
        return tuple(t for t in self.trials if t.why is None)

    def samples(self) -> list[tuple[float, float]]:
        """(delay s, share) of every reading of the kept trials, by delay."""
        return sorted(sample for t in self.kept for sample in t.shown)


def read_trial(trial: Trial, tail: int = 2) -> TrialFigures:
    """The step of one trial (the median of its last `tail` readings after the command, less the median of its
    readings before it) and the share each reading after it showed; left out when a level was not steady."""
    if len(trial.before_w) < 2 or len(trial.after) < tail + 1:
        return TrialFigures(trial, 0.0, (), "too few readings")
    before_w = statistics.median(trial.before_w)
    end_w = [watts for _, watts in trial.after[-tail:]]
    step_w = statistics.median(end_w) - before_w
    if abs(step_w) < MIN_STEP_W:
        return TrialFigures(trial, step_w, (), f"{NO_STEP} ({step_w:+.0f} W: the heater drew nothing, its "
                                                "thermostat open?)")
    shown = tuple((at - trial.commanded_at, (watts - before_w) / step_w) for at, watts in trial.after)
    return TrialFigures(trial, step_w, shown, _unsteady(trial, shown, step_w, end_w))


def _unsteady(trial: Trial, shown: tuple[tuple[float, float], ...], step_w: float, end_w: list[float]) -> str | None:
    """Why a trial's shares cannot be trusted (None: they can): its level before the command moved, or its last
    readings (`end_w`, its new level) differ (the meter still on its way: slower than the hold), or, once a reading
    showed the step, one before those left it again (the house moved: a fridge started)."""
    limit_w = STEADY_SHARE * abs(step_w)
    spread_w = max(trial.before_w) - min(trial.before_w)
    if spread_w > limit_w:
        return (f"its level before the step moved by {spread_w:.0f} W (the house moved, or the step before was still "
                "showing: hold longer, --hold)")
    spread_w = max(end_w) - min(end_w)
    if spread_w > limit_w:
        return (f"its last {len(end_w)} readings differ by {spread_w:.0f} W: the step had not settled (hold longer, "
                "--hold), or the house moved")
    # (the last readings within a tenth of the step of each other, both show at least 90 % of it: `first` is before)
    first = next(i for i, (_, share) in enumerate(shown) if share >= SHOWN_SHARE)
    middle = [share for _, share in shown[first:-len(end_w)]]
    if any(abs(share - 1.0) > STEADY_SHARE for share in middle):
        moved_w = max(abs(share - 1.0) for share in middle) * abs(step_w)
        return f"the house moved by {moved_w:.0f} W after the step showed"
    return None


def _shown_from(samples: list[tuple[float, float]], share: float) -> tuple[float, float | None]:
    """(the latest delay of a reading under `share`, 0 if none; the earliest delay after it of a reading at `share`
    or more, None if none came after it)."""
    not_shown = max((delay for delay, seen in samples if seen < share), default=0.0)
    shown = [delay for delay, seen in samples if seen >= share and delay > not_shown]
    return not_shown, (min(shown) if shown else None)


def lag_figures(trials: list[Trial], tail: int = 2) -> LagFigures:
    """Read the trials; `tail`: how many of the last readings after a command make its new level."""
    read = tuple(read_trial(trial, tail) for trial in trials)
    samples = sorted(sample for t in read if t.why is None for sample in t.shown)
    not_shown_until_s, shown_from_s = _shown_from(samples, SHOWN_SHARE)
    return LagFigures(read, not_shown_until_s, shown_from_s)


def _tenths_up(seconds: float) -> float:
    return math.ceil(seconds * 10.0 - 1e-9) / 10.0


def settle_advice(figures: LagFigures, settle_s: float, pace_s: float) -> list[str]:
    """What the figures mean for [evaluate] settle (the config's `settle_s`) and for the replay's meter_lag_s, with a
    house meter reading every `pace_s`; lines to print. Empty without kept trials."""
    if not figures.kept or figures.shown_from_s is None:
        return []  # (a kept trial's last two readings show its step: with one, shown_from_s is never None)
    # The lag lies between the two delays: covered up to the later one, and a tenth of a second past the earlier
    # one for the delays' wander (the trials' offsets leave gaps between them).
    needed_s = _tenths_up(max(figures.not_shown_until_s + SETTLE_MARGIN_S, figures.shown_from_s))
    if figures.not_shown_until_s == 0.0:
        lines = [f"every reading after a command showed at least {SHOWN_SHARE:.0%} of it (the soonest "
                 f"{figures.shown_from_s:.2f} s after it): [evaluate] settle = {settle_s:g} is enough"]
    elif needed_s <= settle_s + 1e-9:
        lines = [f"a reading showed a command in full from {figures.not_shown_until_s:.2f}-{figures.shown_from_s:.2f} "
                 f"s after it: [evaluate] settle = {settle_s:g} is enough (at least {needed_s:g} is needed)"]
    else:
        lines = [f"a reading showed a command in full only from {figures.not_shown_until_s:.2f}-"
                 f"{figures.shown_from_s:.2f} s after it: [evaluate] settle = {settle_s:g} is too short, a decision "
                 f"may take a reading that shows part of the last command and correct the rest again (the loop "
                 f"overshoots, and hunts when little of it shows): set settle = {needed_s:g}"]
        if needed_s >= pace_s:
            lines.append(f"note: that is a whole reading of the house meter ({pace_s:.2f} s) or more: every decision "
                         "waits a reading longer; a meter that reads faster (its srate) or shows sooner helps more")
    if (line := replay_lag_line(figures, pace_s)) is not None:
        lines.append(line)
    return lines


def replay_lag_line(figures: LagFigures, pace_s: float) -> str | None:
    """The replay's [simulation] meter_lag_s for this meter (None: no reading came near half a pace after a command).

    At once, the replay's house reading is the loads' mean draw over the half period that ended meter_lag_s before
    it (simulation/replay_loop.py), and its commands go out at the readings: the only house reading that can show a
    command in part is the one half a period after it, which shows 1 - meter_lag_s / half of it. So the lag that
    replays this meter is half a period times the share its readings half a pace after a command did not show, the
    period being the meter's pace to a tenth of a second (as [simulation] period is written; never more than half of
    it, which the replay refuses)."""
    share = _share_at(figures.samples(), pace_s / 2.0, pace_s / 8.0)
    if share is None:
        return None
    share = min(1.0, max(0.0, share))  # (a reading a little past the new level, or short of the old one)
    period_s = max(0.1, round(pace_s, 1))
    half_s = period_s / 2.0
    lag_s = min(half_s, round(half_s * (1.0 - share), 2))
    return (f"to replay your days with this meter: [simulation] actuation = at_once, meter_lag_s = {lag_s:g}, "
            f"period = {period_s:g}; this meter's readings half a reading after a command showed {share:.0%} of it "
            "(docs/your-own-days.md)")


def _share_at(samples: list[tuple[float, float]], delay_s: float, within_s: float) -> float | None:
    """The share shown `delay_s` after a command: interpolated between the readings either side of it when both lie
    within `within_s`, else the one that does (None: neither)."""
    below = [(d, share) for d, share in samples if delay_s - within_s <= d <= delay_s]
    above = [(d, share) for d, share in samples if delay_s <= d <= delay_s + within_s]
    if below and above:
        (d0, s0), (d1, s1) = below[-1], above[0]
        return s0 if d1 == d0 else s0 + (s1 - s0) * (delay_s - d0) / (d1 - d0)
    near = below[-1:] or above[:1]
    return near[0][1] if near else None
