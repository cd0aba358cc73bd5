"""A load of unknown power forced on by the user (equipments.unknown): measured at its switch on as the regulation's
trials are when the house allows, else believed at its figure, or at no more than the house meter shows."""

from __future__ import annotations

import logging

from equipments.base import FORCED_BY_USER
from equipments.power_log import force_line
from equipments.unknown_trial import TrialRelay

# The load's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("equipments.unknown")


class ForcedTrialRelay(TrialRelay):
    """A TrialRelay as a force leaves it: on at its figure, measured when it can be, its belief capped by the house."""

    def forced_watts(self, power_w: float) -> float:
        # (on, it draws what it was last measured at, whatever power is asked: see force)
        if power_w > 0 and self.learned_power_w is not None:
            return self.learned_power_w
        return super().forced_watts(power_w)

    def force(self, power_w: float, duration_s: float | None, now: float, reason: str,
              by: str = FORCED_BY_USER) -> bool:
        # On or off: forced on, it draws what it was last measured at, whatever power is asked (kept as
        # asked, the status said "forced at 300 W" of a plug measured at 600 W).
        was_on = self.is_on
        if power_w > 0 and self.learned_power_w is not None:
            power_w = self.learned_power_w
        sent = super().force(power_w, duration_s, now, reason, by)
        if sent:
            # Someone acted on it (a new cycle started, a charger plugged in): its rest and waits start afresh.
            self._idle.start_afresh()
        if sent and power_w > 0 and not was_on and self._house.without_at is not None and not self._kept_unsteady():
            # The next house reading tells what it draws, not the power asked (Home Assistant's force switch asks its
            # max_power, 3680 W by default), nor its last figure (a plug learned at 500 W, forced on for an hour
            # drawing 2000 W, was counted 500 Wh and still believed at 500 W after): measured at each switch on, as
            # the regulation's are. Only against the house the last
            # decision saw without it: on at that decision (forced, idle, and unforced since), the house without
            # it was older (an hour's, 800 W lower: the idle plug forced again was believed at 800 W). And only on a
            # steady house, as the regulation's trials (_kept_unsteady).
            self._house.start()
        if sent and power_w > 0 and self.learned_power_w is None and not self.measuring:
            self._house.unmeasured_w = self.current_power_w
            log.info("%s: forced on with no reading of the house without it to measure it against: believed at "
                     "%.0f W (the power asked) until the house meter reads, then at no more than it shows; measured "
                     "when the force ends", self.name, self.current_power_w, extra=force_line(self.name))
        return sent

    def _kept_unsteady(self) -> bool:
        """Forced on while the house is on the move (house_steady): True, its figure kept, when it has one. As the
        regulation's trials wait for a steady house, so that the house's next move is not taken for the load's (a 600 W
        plug forced on as a heat pump ramped up was believed at 1200 W all through its force); a force cannot wait,
        and no later step measures it while forced on (its step down at the force's end may, if smaller). Never
        measured, it is measured anyway: a ramp's move is nearer its watts than the power the force asked."""
        if self.learned_power_w is None or self.house_steady:
            return False
        log.info("%s: forced on while the house is on the move: believed at its %.0f W, not measured (the house's "
                 "next move would be taken for its own)", self.name, self.learned_power_w,
                 extra=force_line(self.name))
        return True


    def _believe_at_most(self, house_w: float, now: float) -> None:
        """Forced on and never measured: believed at the power the force asked, it counted that much for the whole
        force (a 500 W plug at Home Assistant's 3680 W for hours: 7 times its energy, the house's power negative).
        It draws no more than the house meter shows for the house and it (`house_w`): believed at most that, at
        each reading (the house's own draw with it: no reading tells them apart until the force ends)."""
        believed_w = self._house.believed_at_most(house_w)
        if believed_w != self.current_power_w:
            self.accumulate_energy_and_believe(believed_w, now)


    def forget_the_house(self) -> None:
        """A meter fell silent (the stale guard suspends the regulation): the house seen before the silence is no
        baseline for a step after it. Forced, the load is left as it is through the silence: a force during it
        was measured against the house before it (a 500 W plug at 2500 W, an oven on meanwhile), and so was an
        unforce's step down (a 2000 W plug at 500 W, a kettle on meanwhile). It is measured at its next switch
        after the silence instead (a force's power asked believed until then, at no more than the house meter shows
        once it reads again: _believe_at_most, a force being measured as the silence began too)."""
        # (a force measured idle kept its measure: believed at what it drew, learned when the force ends)
        if (self.is_forced() and self.is_on and self.measuring and self.learned_power_w is None
                and self._house.unmeasured_w is None):
            self._house.unmeasured_w = self.current_power_w
            log.info("%s: forced on, its measure lost to the house meter's silence: believed at no more than the "
                     "house meter shows once it reads; measured when the force ends", self.name)
        self._house.forget()

