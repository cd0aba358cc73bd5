"""The deadline rule's state as others see it and as it is kept: its part of the status document, its snapshot and
restore, and a restored cycle's end judged at the first tick against a deadline moved in the config while PySEB was
stopped. A mixin of DeadlineFallback (field/fallback_deadline.py), which sets the state it declares: apart from the
rule's decisions, which tick once a minute, where these run at a save and a start."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from field.fallback_answers import ForceAnswers
from field.fallback_settings import DeadlineSettings
from values.local_time import last_occurrence, local_date, local_instant, next_occurrence
from values.saved_numbers import saved_energy, saved_epoch
from values.shown import shown

# The rule's own lines, moved here with the code that writes them: the logger name is part of what the log shows (and
# of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("field.fallback_deadline")


class DeadlineSaved:
    """The part of DeadlineFallback that shows and keeps its state: status, snapshot, restore."""

    # The rule's state these use (set by DeadlineFallback.__init__, which says what each is).
    load_name: str
    settings: DeadlineSettings
    tz: tzinfo | None
    delivered_wh: float
    delivered_from: float | None
    cycle_end: float | None
    forcing: bool
    done: bool
    full_met_at: float | None
    ended_early: bool
    unreachable: bool
    start_at: float | None
    expected_sun_wh: float
    _restored_forcing: bool
    _restored_end: bool
    _answers: ForceAnswers
    _clock: Callable[[float], str]  # DeadlineFallback._clock: a time as the log says it

    def status(self) -> dict[str, Any]:
        """The rule's state for the status document."""
        def iso(at: float | None) -> str | None:
            try:
                return None if at is None else datetime.fromtimestamp(at, self.tz).isoformat(timespec="seconds")
            except (OverflowError, OSError, ValueError):  # the status must be built whatever the state holds
                return None

        return {"min_energy_wh": self.settings.min_energy_wh, "delivered_wh": round(self.delivered_wh, 1),
                "deadline": iso(self.cycle_end), "start_at": iso(self.start_at), "forcing": self.forcing,
                "delivered_from": self.delivered_from,
                "done": self.done, "full_met": self.full_met_at is not None, "full_met_at": self.full_met_at,
                "ended_early": self.ended_early,
                "unreachable": self.unreachable,
                "expected_sun_wh": round(self.expected_sun_wh, 1), **self._answers.variator.snapshot()}

    def snapshot(self) -> dict[str, Any]:
        """What to persist across a restart (JSON-ready)."""
        return {"delivered_wh": round(self.delivered_wh, 1), "delivered_from": self.delivered_from,
                "cycle_end": self.cycle_end,
                "forcing": self.forcing, "done": self.done, "full_met_at": self.full_met_at,
                "ended_early": self.ended_early,
                **self._answers.variator.snapshot()}

    def _follow_a_moved_deadline(self, now: float) -> None:
        """A restored cycle's end that is not at the configured deadline's wall time: the deadline was moved in the
        config while PySEB was stopped (07:00 to 18:00). The cycle under way becomes the new deadline's that holds
        `now`, what it delivered kept when all of it came after that cycle began (from `delivered_from`, or the old
        cycle's own start: 07:00 moved to 07:30 after the night's force, the night's energy is the morning's water);
        else the cycle before is closed at that start (the tick judges it) and this one starts from nothing: a
        morning's 6 kWh, restarted at 20:00 under an 18:00 deadline, were that evening's water, and a night's force
        across a deadline moved to 05:30 mostly the night before's. Counted for the wrong cycle, the energy left the
        water cold; not counted, the next force meets a tank already hot, which draws little of it. Until then the
        saved end held: a day on the old deadline. (A deadline unchanged is judged on the saved end alone, not on
        `now`: a Pi booting on a clock behind, an hour before the saved deadline, is no moved deadline.)"""
        assert self.cycle_end is not None
        saved_end, deadline, tz = self.cycle_end, self.settings.deadline, self.tz
        saved_day = local_date(saved_end, tz)
        if local_instant(saved_day, deadline, tz) == saved_end:
            return
        old_start = local_instant(saved_day - timedelta(days=1), datetime.fromtimestamp(saved_end, tz).time(), tz)
        new_end, new_start = next_occurrence(now, deadline, tz), last_occurrence(now, deadline, tz)
        first_at = old_start if self.delivered_from is None else max(old_start, self.delivered_from)
        if self.delivered_wh > 0 and first_at < new_start:
            log.info("deadline rule: the deadline is now %s: of the %.0f Wh delivered since %s, some came before %s, "
                     "where this cycle begins: not counted in it (a tank already hot draws little of a force)",
                     deadline.strftime("%H:%M"), self.delivered_wh, self._clock(first_at), self._clock(new_start))
            self.cycle_end = new_start
            return
        self.cycle_end = new_end
        log.info("deadline rule: the deadline is now %s: this cycle ends at %s (saved: %s), %.0f Wh delivered in it",
                 deadline.strftime("%H:%M"), self._clock(new_end), self._clock(saved_end), self.delivered_wh)

    def restore(self, saved: Mapping[str, Any], force_restored: bool = True) -> None:
        """Take back a snapshot; a cycle that ended while stopped is closed at the next tick. A value that
        is not plausible (not finite, a negative energy, a time outside 2000..2100) is ignored, with a
        warning: the rule starts that part afresh. `force_restored`: the same file has the heater forced by the rule
        (False: unforced there, by a user's unforce saved at once before the rule's tick saw it)."""
        delivered, cycle_end = saved.get("delivered_wh"), saved.get("cycle_end")
        delivered_wh, cycle_end_at = saved_energy(delivered), saved_epoch(cycle_end)
        if delivered_wh is not None:
            self.delivered_wh = delivered_wh
        elif delivered is not None:
            log.warning("deadline rule: saved delivered_wh %s ignored (not a plausible value)", shown(delivered, 40))
        if cycle_end_at is not None:
            self.cycle_end, self._restored_end = cycle_end_at, True
        elif cycle_end is not None:
            log.warning("deadline rule: saved cycle_end %s ignored (not a plausible time)", shown(cycle_end, 40))
        # (a file before 2026-12-05 has no delivered_from: the energy is taken as counted from the cycle's start)
        self.delivered_from = saved_epoch(saved.get("delivered_from")) if self.delivered_wh > 0 else None
        self.forcing = saved.get("forcing") is True
        # (its force not on at the first tick is owed only when the file had it on: refused at the start. Unforced in
        # the file, it is your unforce, saved at once as an order while the rule's own state waited for status_time)
        self._restored_forcing = self.forcing and force_restored
        self.done = saved.get("done") is True
        self.full_met_at = saved_epoch(saved.get("full_met_at")) if self.done else None
        if self.done and self.full_met_at is None and saved.get("full_met_at") is not None:
            # (done by a full tank at an unknown time: latched to the deadline, a cycle short of its target)
            log.warning("deadline rule: saved full_met_at %s ignored (not a plausible time): %s's need is judged "
                        "again", shown(saved.get("full_met_at"), 40), self.load_name)
            self.done = False
        self.ended_early = saved.get("ended_early") is True
        # (the variator's answers judge a force resumed now or made before it is heard again: PySEB, just started, has
        # heard nothing from it yet)
        self._answers.variator.restore(saved)
