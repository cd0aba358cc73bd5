"""Low-energy fallback, the deadline rule (as OpenEMS's heating element): the water heater must have
received `min_energy_wh` by `deadline` each day. Energy from any source counts; when the sun has not
delivered it, the heater is forced at full power from the latest time that still meets the target (less a
margin), inside the optional off-peak span. The force stops once the target is met or the tank is full;
`unreachable` is raised when the target can no longer be met. Pure: `now` and the heater's state come in. Its status,
snapshot and restore, and a deadline moved while stopped: field/fallback_deadline_saved.py (a mixin)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta, tzinfo

from equipments.modes import ForceCommand, UnforceCommand
from field.fallback_answers import ForceAnswers
from field.fallback_deadline_saved import DeadlineSaved
from field.fallback_resume import MIN_FORCE_WH, RetryClock
from field.fallback_seed import FORCED_BY_SEED, Answers, EnergyDelta
from field.fallback_settings import DeadlineSettings
from values.local_time import last_occurrence, local_date, next_occurrence, wall_clock_text

log = logging.getLogger(__name__)

PvSource = Callable[[date], float | None]  # a local date's forecast PV energy (Wh), if known

# The next deadline is never more than a day (and a DST hour) ahead: one further away came from a damaged
# status file or a clock stepped far back, and would hold the rule until then.
MAX_CYCLE_AHEAD_S = 2 * 86400.0
FORCED_BY_DEADLINE = "deadline_rule"  # who forces the heater when this rule does
RULE_OWNERS = (FORCED_BY_SEED, FORCED_BY_DEADLINE)  # the low-energy fallback's rules, which heat from the grid


class DeadlineFallback(DeadlineSaved):
    """One cycle runs from one deadline to the next; `tick` it with the heater's energy counter."""

    def __init__(self, load_name: str, settings: DeadlineSettings, tz: tzinfo | None,
                 status_topic: str | None = None) -> None:
        self.load_name = load_name
        self.settings = settings
        self.tz = tz
        self.delivered_wh = 0.0  # heater energy since the cycle started
        self.delivered_from: float | None = None  # when the first of it was counted (None: nothing yet)
        self.cycle_end: float | None = None  # the next deadline (epoch seconds)
        self.forcing = False
        self.done = False  # target met in this cycle: nothing more to do until the deadline
        # Its tank found full under its force (when; None: not): the cycle's need met (done) short of the target, until
        # the midnight after it (the evening's showers may draw the tank since: the midnight clear tries it again).
        self.full_met_at: float | None = None
        self.ended_early = False  # its force unforced by the user in this cycle: not forced again until the deadline
        self.unreachable = False
        self.start_at: float | None = None  # when the force starts (latest start less the margin)
        self.expected_sun_wh = 0.0  # pv_share of the deadline day's forecast PV: not forced
        self._delta = EnergyDelta()
        self._retry = RetryClock()  # its last force not delivered: when it is tried again
        self._told_small = False  # "not worth a force" logged in this cycle
        # Restored as forcing, not ticked since: the heater's force not on at the first tick is not the user's word
        # (its restore refused at the start) but a force to make again, as the seed rule owes its restored force.
        self._restored_forcing = False
        # A cycle_end restored, not ticked since: judged against the configured deadline at the first tick (one moved
        # in the config while PySEB was stopped was ignored until the old one came: a day without its hot water).
        self._restored_end = False
        # (`status_topic`: where the heater's variator answers, None: nowhere)
        self._answers = ForceAnswers(load_name, status_topic)  # whether the heater's variator heard its force

    def window(self, cycle_end: float) -> tuple[float, float]:
        """The span forcing may use before `cycle_end`: the whole day, or the off-peak span that holds the
        deadline (cut at it) or else the last one ending before it."""
        if self.settings.offpeak is None:
            return cycle_end - timedelta(days=1).total_seconds(), cycle_end
        start_at, end_at = self.settings.offpeak
        start = last_occurrence(cycle_end - 1e-3, start_at, self.tz)  # strictly before the deadline
        # (from just before its start: a span wholly inside the hour the spring jump skips, 02:00-02:30, has both ends
        # at the jump, and the end after the start was the next day's, a window of a day outside the off-peak hours)
        end = next_occurrence(start - 1e-3, end_at, self.tz)
        return start, min(end, cycle_end)

    def tick(self, now: float, heater_energy_wh: float, max_power_w: float, full: bool,
             allowed: bool = True, pv_wh_on: PvSource | None = None,
             forced_by: str | None = FORCED_BY_DEADLINE,
             own_force_ran_out: bool = False, answers: Answers = (None, None),
             heater_yesterday_wh: float | None = None) -> ForceCommand | UnforceCommand | None:
        """Count the heater's energy and decide: start a force, stop it, or nothing. `allowed` is False
        when the water-heater mode excludes the fallback; `pv_wh_on` gives a date's forecast PV (Wh), of
        which `pv_share` is expected in the heater before the deadline and not forced; `forced_by`: who forces
        the heater now, if anyone (the default: none but its own, when it forces). Another's force holds the rule
        until it has ended (its own would not be applied; taken for applied, it was never tried again, and the
        deadline was missed); none while its own should run: a user unforced it, not forced again this cycle, unless
        `own_force_ran_out` (its force ran its time before the span's end, after the clock stepped back) or at the first
        tick after a restore as forcing (its force not resumed at the start: the restored force refused). `answers`: the
        heater's variator's last answer and when its command was last sent (None: no answers to judge by); what is
        counted during its force is counted once the variator has answered it (ForceAnswers). `heater_yesterday_wh`: the
        heater's counter's value at its last reset (midnight)."""
        held_by = forced_by if forced_by != FORCED_BY_DEADLINE else None
        restored_forcing, self._restored_forcing = self._restored_forcing, False
        not_resumed = restored_forcing and forced_by is None
        if restored_forcing:
            # Its force resumed at the restart: the variator's answer to it is waited for from its command at the start,
            # as for a force made now, when it answered before (counted unheard, a variator rebooted at its default by
            # the same power cut, off the network since, made the target reached with the water cold).
            self._answers.start(now)
        drawn_wh = self._delta.step(heater_energy_wh, heater_yesterday_wh)
        self._deliver(self._answers.counted_wh(now, drawn_wh, *answers), now)
        if self._restored_end:
            self._restored_end = False
            self._follow_a_moved_deadline(now)
        if self.cycle_end is None or self.cycle_end - now > MAX_CYCLE_AHEAD_S:
            self.cycle_end = next_occurrence(now, self.settings.deadline, self.tz)
        if now >= self.cycle_end:
            return self._new_cycle(now, full)
        target_wh = self.settings.min_energy_wh
        missing_wh = max(0.0, target_wh - self.delivered_wh)
        if self.full_met_at is not None and local_date(now, self.tz) != local_date(self.full_met_at, self.tz):
            self.done, self.full_met_at = False, None
            log.info("deadline rule: %s's tank, found full under its force, was found so before midnight: its need is "
                     "judged again (%.0f of %.0f Wh delivered)", self.load_name, self.delivered_wh, target_wh)
        if self.done or self.ended_early:
            return None
        if missing_wh <= 0:
            self.done = True
            self._set_unreachable(False, missing_wh, 0.0, max_power_w)
            log.info("deadline rule: %s got %.0f of %.0f Wh: target reached", self.load_name, self.delivered_wh,
                     target_wh)
            return self._stop(now, "target reached")
        if full:
            self._set_unreachable(False, missing_wh, 0.0, max_power_w)
            if self.forcing:
                # Found full under its own force: the water is hot for the deadline; the cycle's need is met until
                # midnight. Not latched, the daily clear (06:00) lifted the flag inside the window and it forced again,
                # a click for a tank found full again at once. Latched past midnight, a tank found full at 21:00 and
                # drawn by the evening's showers was not heated again before a 07:00 deadline. (Not when found full
                # under the seed rule's night force: with a 19:00 deadline that took the day's need for met at 01:20,
                # the morning's showers and a grey day uncorrected; its flag ends with that force, and the rule's own
                # force at its start finds the tank full again, a click.)
                self.done, self.full_met_at = True, now
                log.info("deadline rule: %s's tank is full with %.0f of %.0f Wh delivered: nothing more to force "
                         "before %s", self.load_name, self.delivered_wh, target_wh, self._clock(self.cycle_end))
            # (found full otherwise, by the sun, not latched: once the daily clear lifts the flag the rule may force;
            # a tank still full draws nothing and is found full again, one drawn since is heated)
            return self._stop(now, f"tank full with {self.delivered_wh:.0f} of {target_wh:.0f} Wh delivered")
        self.expected_sun_wh = self._expected_sun_wh(pv_wh_on)
        to_force_wh = missing_wh - self.expected_sun_wh
        if to_force_wh <= 0:
            self._set_unreachable(False, missing_wh, 0.0, max_power_w)
            self.start_at = None
            return self._stop(now, f"the forecast sun is expected to bring the last {missing_wh:.0f} Wh")
        start, end = self.window(self.cycle_end)
        if self.forcing and forced_by is None and allowed and now < end and not (own_force_ran_out or not_resumed):
            # Its force ended by someone else (an unforce on regul/mode, Home Assistant, a Domoticz switch): the user's
            # word, as for the seed rule. Still taken for forcing, it showed "forcing" with the heater at 0 W, warned
            # the target out of reach and logged the force over at the span's end.
            self.forcing, self.ended_early = False, True
            self._deliver(self._answers.stop(now), now)
            log.info("deadline rule: %s's force was ended early (unforced): not forced again before %s (%.0f of %.0f "
                     "Wh delivered)", self.load_name, self._clock(self.cycle_end), self.delivered_wh, target_wh)
            return None
        needed_s = 3600.0 * to_force_wh / max_power_w if max_power_w > 0 else float("inf")
        available_s = max(0.0, end - max(now, start))
        self._set_unreachable(needed_s > available_s, to_force_wh, available_s, max_power_w)
        self.start_at = max(start, end - needed_s - self.settings.start_margin_s)
        if self.forcing:
            if now >= end:
                return self._stop(now, "off-peak span over")
            if held_by is not None:
                return self._stop(now, f"forced by {held_by} meanwhile; the rule forces again once that ends")
            if not allowed:
                return self._stop(now, "the water-heater mode excludes the fallback")
            if forced_by is None and max_power_w > 0:
                # Its force ran its time before the span's end (the clock stepped back: it kept the time it had
                # left), or was not resumed at a restart: the rest forced to the span's end, as a force restored
                # after a restart runs to its end.
                why = (f"was not resumed at the restart: forcing again until {self._clock(end)}" if not_resumed else
                       f"ran its time before {self._clock(end)} (the clock stepped back): forcing again until then")
                log.info("deadline rule: %s's force %s", self.load_name, why)
                self._answers.start(now)
                return ForceCommand(self.load_name, max_power_w, end - now)
            return None
        if held_by is not None or not allowed or max_power_w <= 0 or not self.start_at <= now < end:
            return None
        if to_force_wh < MIN_FORCE_WH:
            # (the sun gave 5999 of 6000 Wh: the heater forced from the grid for 1 Wh, stopped a tick later, a
            # contactor's click for nothing; the seed rule's bound, a few minutes of the heater)
            if not self._told_small:
                self._told_small = True
                log.info("deadline rule: %.0f of %.0f Wh delivered to %s, %.0f Wh missing, under %.0f Wh: not worth "
                         "a force", self.delivered_wh, target_wh, self.load_name, to_force_wh, MIN_FORCE_WH)
            return None
        if self._retry.waiting(now):  # (its last force not delivered)
            return None
        self.forcing = True
        self._answers.start(now)
        sun = f", {self.expected_sun_wh:.0f} Wh expected from the sun" if self.expected_sun_wh else ""
        log.info("deadline rule: forcing %s to %.0f W until %s: %.0f of %.0f Wh delivered, %.0f Wh missing%s "
                 "(%.0f min at full power)", self.load_name, max_power_w, self._clock(end), self.delivered_wh,
                 target_wh, missing_wh, sun, needed_s / 60)
        return ForceCommand(self.load_name, max_power_w, end - now)

    def _expected_sun_wh(self, pv_wh_on: PvSource | None) -> float:
        if not self.settings.pv_share or pv_wh_on is None or self.cycle_end is None:
            return 0.0
        pv_wh = pv_wh_on(local_date(self.cycle_end, self.tz))
        return 0.0 if pv_wh is None else self.settings.pv_share * pv_wh

    def _new_cycle(self, now: float, full: bool) -> UnforceCommand | None:
        """The deadline passed: its outcome said, a new cycle begun. `full`: the tank is flagged full now (the sun
        filled it, or a force: the water is hot, whatever was delivered; "MISSED" was said of a tank the sun filled)."""
        assert self.cycle_end is not None
        met = self.delivered_wh >= self.settings.min_energy_wh
        outcome = ("met" if met else "met: the tank was found full" if self.full_met_at is not None
                   else "met: the tank is full" if full else "MISSED")
        log.info("deadline rule: %s got %.0f of %.0f Wh by %s (%s)", self.load_name, self.delivered_wh,
                 self.settings.min_energy_wh, self._clock(self.cycle_end), outcome)
        command = self._stop(now, "deadline passed")
        self.cycle_end = next_occurrence(now, self.settings.deadline, self.tz)
        self.delivered_wh, self.done, self.unreachable, self.start_at = 0.0, False, False, None
        self.delivered_from = None
        self.full_met_at = None
        self.ended_early = False
        self._retry, self._told_small = RetryClock(), False
        return command

    def _deliver(self, wh: float, now: float) -> None:
        """`wh` more counted in the cycle at `now`."""
        if wh > 0:
            if self.delivered_wh <= 0:
                self.delivered_from = now
            self.delivered_wh += wh

    def force_not_applied(self, now: float) -> None:
        """Its force could not be published: not forcing (taken for forcing, it waited for the deadline with
        the heater cold); tried again a minute later, then 2, 4... 10 (at every tick, a link refusing all night
        wrote 2340 lines to the log)."""
        self.forcing = False
        self._deliver(self._answers.stop(now), now)
        self._retry.failed(now)

    def _stop(self, now: float, reason: str) -> UnforceCommand | None:
        if not self.forcing:
            return None
        self.forcing = False
        self._deliver(self._answers.stop(now), now)
        log.info("deadline rule: %s no longer forced (%s)", self.load_name, reason)
        return UnforceCommand(self.load_name)

    def _set_unreachable(self, value: bool, missing_wh: float, available_s: float, max_power_w: float) -> None:
        if value and not self.unreachable:
            log.warning("deadline rule: %.0f Wh for %s by %s is out of reach: %.0f Wh missing, %.0f min left "
                        "at %.0f W", self.settings.min_energy_wh, self.load_name,
                        self._clock(self.cycle_end or 0.0), missing_wh, available_s / 60, max_power_w)
        self.unreachable = value

    def _clock(self, at: float) -> str:
        # (with its offset in the hour the October change repeats: "until 2026-10-25 02:30" was either of two)
        return wall_clock_text(at, self.tz)
