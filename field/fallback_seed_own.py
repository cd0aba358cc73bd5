"""The seed rule's own force, while owed (field/fallback_resume.py's OwnForce): forced again for what is still
missing once another's force over it ends, cut by a full tank, an unforce or the mode, and at its end the credit of
what the heater did not draw given back, with why. A mixin of SeedFallback (field/fallback_seed.py), which sets the
state it declares: apart from the nightly check that makes the force."""

from __future__ import annotations

import logging

from equipments.modes import ForceCommand
from field.fallback_resume import MAX_LATE_S, OwnForce

# The rule's own lines, moved here with the code that writes them: the logger name is part of what the log shows (and
# of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.fallback_seed")

Answers = tuple[float | None, float | None]  # the heater's variator's last answer, and its last command's time


class SeedOwnForce:
    """The part of SeedFallback that follows the force it made."""

    # The rule's state these use (set by SeedFallback.__init__, which says what each is).
    load_name: str
    yesterday_wh: float
    _count_from: float
    _own: OwnForce | None

    def _follow_own_force(self, now: float, delta_wh: float, max_power_w: float, full: bool, allowed: bool,
                          held_by: str | None, own_force_on: bool, answers: Answers) -> ForceCommand | None:
        """The rule's own force, while owed (field.fallback_resume): forced again for what is still missing once
        another's force over it ends; done, it gives back the credit of what the heater did not draw. A full tank
        ends it (the night's heating done); a user's unforce or a mode that no longer allows the fallback cuts it:
        not forced again, and only what the heater drew is credited."""
        own = self._own
        if own is None:
            return None
        if full:
            own.tank_full()
            wanted_wh: float | None = 0.0
        elif not allowed:
            own.end_early(now)
            wanted_wh = 0.0
        else:
            wanted_wh = own.follow(now, delta_wh, held_by, own_force_on, *answers)
        if wanted_wh is None:
            return None
        # Never longer than the force it is the rest of, nor past the night's room: a damaged or hand-edited status
        # file's wanted_wh (1e7 Wh) forced the heater from the grid for 208 days, and 1e308 raised out of tick.
        room_s = max(0.0, min(own.latest_s - MAX_LATE_S, own.due_at + own.latest_s - now))
        duration_s = round(min(3600.0 * wanted_wh / max_power_w, room_s)) if max_power_w > 0 else 0
        if wanted_wh > 0 and duration_s > 0:
            fits_wh = min(wanted_wh, max_power_w * duration_s / 3600.0)
            if wanted_wh - fits_wh >= 1.0:
                # What no longer fits is never forced: not credited either, the next night's check makes it up. (Not
                # the fraction of a second the force's length was rounded down by: a 0 Wh "no longer fitted" line.)
                own.cut_off_wh += wanted_wh - fits_wh
            wanted_wh = fits_wh
            # (the same wording at each try: a link that refuses all night is one line a minute, then ten)
            own.wanted_wh, own.drawn_wh, own.planned_end, own.jumped_s = wanted_wh, 0.0, now + duration_s, 0.0
            own.started(now)
            self._count_from = max(self._count_from, own.planned_end)
            log.info("low-energy fallback: the rest of %s's night force (displaced by another's force, now over, not "
                     "delivered, or cut by a stop of PySEB): forcing again %.0f W for %d s (%.0f Wh still missing)",
                     self.load_name,
                     max_power_w, duration_s, wanted_wh)
            return ForceCommand(self.load_name, max_power_w, duration_s)
        self._own = None
        own.closing(now)
        if own.cut:
            # (what the heater draws from now on is the regulation's, counted in the new window)
            self._count_from = min(self._count_from, now)
        if own.not_drawn_wh > 0:
            # (credited whole when the force was made: the next night's check would take the water for hot)
            self.yesterday_wh = max(0.0, self.yesterday_wh - own.not_drawn_wh)
            self._say_short(own)
        return None

    def _say_short(self, own: OwnForce) -> None:
        """Why its force gave less than it was for (a variator that never heard it: a warning, the water is cold)."""
        if not own.heard:
            log.warning("low-energy fallback: %s's variator never answered during the night force (off the network?): "
                        "the heater may not have heated, the water may be cold; %.0f Wh of it not credited",
                        self.load_name, own.not_drawn_wh)
        elif own.late:
            log.info("low-energy fallback: %s's variator answered the night force late (off the network until then?): "
                     "%.0f Wh of it not credited", self.load_name, own.not_drawn_wh)
        else:
            log.info("low-energy fallback: %s's force %s: %.0f Wh of it not drawn, not credited", self.load_name,
                     own.why_short(), own.not_drawn_wh)

    def force_not_applied(self, now: float) -> None:
        """Its force could not be published (paho refused it): owed as one another's force displaced, forced again
        a minute later (then 2, 4... 10), while the night lasts (taken for done, it credited 7000 Wh the heater
        never got)."""
        if self._own is not None:
            self._own.not_delivered(now)
