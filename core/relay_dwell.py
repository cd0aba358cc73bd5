"""A relay's dwell: the minimum on and off times that spare a contactor, and the longer rest a relay gets
when the import guard keeps having to shed it."""

from __future__ import annotations

from dataclasses import dataclass

from values.readings import stepped_back

# From the second guard shed in a row, each one doubles the relay's minimum off time, up to this rest
# (or its own min_off_s, if longer). A house that cycles a big appliance (an oven's thermostat)
# otherwise has the lowest relay switched on in every pause and shed in every burst. One shed alone is
# a cloud: the relay's own min_off_s is rest enough.
MAX_BACKOFF_S = 1800.0
# From the second guard shed in a row, the surplus must also cover the relay, at every decision, for a
# minute before it switches on again: such an appliance pauses for about a minute between bursts, and a
# relay switched on in the pause is shed in the next burst. (From the first shed it cost capture on a
# cloudy day, where the surplus that comes back is the sun's, and stays.) At most half the relay's own
# min_off_s, so that it scales down with the dwell as the back-off does (the sped-up demo divides the
# dwell by its speed); never more than the minute (half of a 600 s min_off_s cost 1.8 points of capture
# on the cloudy day).
BACKOFF_ON_DELAY_S = 60.0
BACKOFF_ON_DELAY_SHARE = 0.5
# A guard shed whose import came from production's fall rather than the house's rise (a cloud, not an appliance's
# burst) takes the row this far at most: its rest is min_off_s doubled once and the minute of cover, never the
# longer back-off meant for an appliance that cycles (a relays-only house on Payerne 06-29 kept both relays off for
# 16 minutes of 2 kW export after three clouds in a row).
CLOUD_SHEDS_MAX = 2
# A load of unknown power measured too big for the surplus at its trial, and shed, is measured again once this
# much later: one reading cannot tell its watts from a burst of the house at that very reading (an appliance's
# inrush, a meter's glitch), and a 500 W plug believed at 2500 W stayed off all day with 700 W exported. Measured
# too big a second time, the figure stands.
DOUBT_RETRY_S = 1800.0


@dataclass(slots=True)
class RelayClock:
    """When a relay last switched, whether that was a trial to measure an unknown power, and how many
    times in a row the import guard had to shed it."""

    on: bool = False
    switched_at: float | None = None  # None: never switched by anyone since start (no dwell to keep)
    # The relay's last command the clock has seen (its Equipment.last_command_at, as stamped: a command someone else
    # made is one with another stamp; switched_at moves with a clock stepped back, this stays as stamped).
    command_at: float | None = None
    trial: bool = False  # switched on to measure an unknown power: off again without dwell if it misfits
    # A load of unknown power switched on at a figure (measured at every switch on): the figure. A measure above it by
    # more than the house moving is a trial's, off again at once if it misfits; one at most that keeps the dwell.
    trial_w: float | None = None
    # Guard sheds in a row. The row ends with an on stretch that lasts its whole min_on_s, an off
    # stretch longer than MAX_BACKOFF_S, or a command someone else made (a force, the start...).
    guard_sheds: int = 0
    covered_since: float | None = None  # off: since when the surplus has covered it, at every decision
    # `retrying`: a load of unknown power whose figure, from one trial shed as too big (UnknownEquipment.doubted),
    # was forgotten to measure it again (DOUBT_RETRY_S); shed again, it stands.
    retrying: bool = False
    # Switched off for a load of unknown power before it switched on to be measured, in the same decision: its name.
    # Found off at a decision since (idle, too big, the house moved), it did not take this relay's place, and the
    # relay is free again at once (it rested its min_off_s with its watts exported after each idle trial).
    displaced_by: str | None = None

    def seen(self, on: bool, last_command_at: float | None, min_on_s: float = 0.0,
             measure_off_at: float | None = None) -> None:
        """The relay is `on` now, and its last command was published at `last_command_at`. A command we did
        not make (the start's, a force, an unforce, the stale guard) restarts the clock from that moment,
        even an on-and-off pair between two decisions. One stamped `measure_off_at` is the rule's own: a load of
        unknown power switched off by its measure (idle, or the house moved; UnknownEquipment.measure_off_at),
        recorded as the rule's switches are (`min_on_s`: the relay's), so that it does not end the guard's row (a
        plug shed three times in a row, then found idle, was tried again after its 5 minutes of idle wait rather
        than its 480 s of back-off, and its next shed counted as a first)."""
        if (not on and last_command_at is not None and last_command_at == measure_off_at
                and last_command_at != self.command_at):
            self.switched(False, last_command_at, min_on_s)
            self.retrying = False  # (its retry was measured: idle or spoilt; a later too-big figure is doubted afresh)
            return
        if last_command_at is not None and last_command_at != self.command_at:
            self.switched_at, self.trial, self.guard_sheds = last_command_at, False, 0
            self.command_at = last_command_at
            self.covered_since = None
            self.retrying = False
            self.displaced_by = None
        self.on = on

    def switched(self, on: bool, now: float, min_on_s: float, trial: bool = False, guard_shed: bool = False,
                 trial_w: float | None = None, cloud: bool = False) -> None:
        """The rule switched it to `on` at `now` (`guard_shed`: off by the import guard, against its dwell, `cloud`:
        for an import production's fall made; `trial_w`: a trial's figure, see the field)."""
        if self.switched_at is not None and on != self.on:
            stretch_s = now - self.switched_at
            if stretch_s >= (min_on_s if self.on else MAX_BACKOFF_S):
                self.guard_sheds = 0  # a whole on stretch, or a long rest: the row is over
        self.on, self.switched_at, self.trial = on, now, trial and on
        self.command_at = now  # (the stamp its command got: published at `now`)
        self.trial_w = trial_w if self.trial else None
        self.covered_since = None
        self.displaced_by = None
        # (a cloud's shed grows the row up to CLOUD_SHEDS_MAX only; a longer row, an appliance's, it leaves as it is)
        if guard_shed and (not cloud or self.guard_sheds < CLOUD_SHEDS_MAX):
            self.guard_sheds += 1

    def min_off_s(self, min_off_s: float) -> float:
        """The off time it must keep now: `min_off_s`, doubled for each guard shed in a row after the first,
        up to MAX_BACKOFF_S."""
        if self.guard_sheds <= 1:
            return min_off_s
        # (the exponent is bounded first: a relay shed a thousand times must not overflow a float)
        return max(min_off_s, min(min_off_s * 2 ** min(self.guard_sheds - 1, 32), MAX_BACKOFF_S))

    def on_delay_s(self, on_delay_s: float, min_off_s: float) -> float:
        """How long the surplus must cover it before it switches on: `on_delay_s`, and from the second guard
        shed in a row at least BACKOFF_ON_DELAY_S (or BACKOFF_ON_DELAY_SHARE of `min_off_s`, if less).
        The wait may run while its minimum off time still holds it off."""
        if self.guard_sheds >= 2:
            return max(on_delay_s, min(BACKOFF_ON_DELAY_S, BACKOFF_ON_DELAY_SHARE * min_off_s))
        return on_delay_s

    def covered(self, covered: bool, now: float, delay_s: float) -> bool:
        """Whether an off relay may switch on, the surplus covering it now or not (`covered`): only once
        the cover has lasted `delay_s` (its `on_delay_s()`), decision after decision; one decision without
        cover starts the wait again."""
        if not covered:
            self.covered_since = None
            return False
        if self.covered_since is None or now < self.covered_since:  # (or the clock stepped back)
            self.covered_since = now
        return now - self.covered_since >= delay_s

    def stepped_back(self, step_s: float) -> None:
        """The wall clock stepped back by `step_s`: the time it has been in its state is kept (every relay was free
        to switch at once, however short its stretch, and the cover's wait counted from a time still ahead)."""
        if self.switched_at is not None:
            self.switched_at -= step_s
        if self.covered_since is not None:
            self.covered_since -= step_s

    def allows(self, min_on_s: float, min_off_s: float, now: float) -> bool:
        """True when the relay has been in its state long enough to leave it."""
        if self.switched_at is None or stepped_back(now, self.switched_at):
            return True  # never switched, or the clock stepped back: decide rather than freeze
        # (a `now` a little before the switch is a reading stamped on another thread just before it: no dwell yet)
        return now - self.switched_at >= (min_on_s if self.on else self.min_off_s(min_off_s))
