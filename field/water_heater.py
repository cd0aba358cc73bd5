"""The water heater's mode (Domoticz selector) and the low-energy fallback rules wired into the regulator.
The rules' force and unforce commands are executed like regul/mode ones, marked as the rule's own: a
rule never overrides or undoes a force it did not make."""

from __future__ import annotations

import logging
from datetime import date, tzinfo
from functools import partial
from typing import Any

from equipments.base import Equipment
from equipments.modes import ForceCommand, UnforceCommand
from equipments.power_log import force_line
from equipments.variable import VariableEquipment
from field.fallback_deadline import FORCED_BY_DEADLINE, RULE_OWNERS, DeadlineFallback
from field.fallback_seed import FORCED_BY_SEED, SeedFallback
from field.fallback_settings import FallbackSettings
from field.forecast_book import ForecastBook
from integrations.domoticz_control import EcsMode
from values.shown import shown

log = logging.getLogger(__name__)

FORCED_BY_MODE = "mode"
RULE_TICK_S = 5.0  # the fallback rules run at least this often (and at each of their decision times)
# (the modes the mode hold looks for at every tick, read once: an enum's member is a class attribute lookup through
# the enum's machinery, several times a plain name's cost on Python 3.11)
_OFF, _FORCED = EcsMode.OFF, EcsMode.FORCED
_MODE_NAMES = tuple(mode.value for mode in EcsMode)  # (what a saved mode may be)


class HeaterControl:
    """What the water heater may do (its mode) and the fallback rules that keep its water warm."""

    def __init__(self, heater: Equipment, fs: FallbackSettings, mode: EcsMode, tz: tzinfo | None,
                 forecast: ForecastBook | None = None) -> None:
        self.heater = heater
        self.mode = mode
        self.mode_source = "default"  # or "domoticz", "restored"
        self.forecast = forecast
        # (where its variator answers: whether it answers is saved for that topic, learned afresh for another)
        topic = heater.topic_status if isinstance(heater, VariableEquipment) else None
        self.seed = SeedFallback(heater.name, fs.seed, tz, topic) if fs.seed.enabled else None
        self.deadline = DeadlineFallback(heater.name, fs.deadline, tz, topic) if fs.deadline else None
        self._next_rules_at: float | None = None
        self._deadline_force_end_at: float | None = None  # the deadline rule's force's end, moved by a clock step back
        # The rule whose force a mode that excludes the fallback ended since the rules last looked: it sees the mode
        # exclude it, even if the mode allows it again by then (off and back within 5 s took that for a user's
        # unforce). The other rule sees the mode as it is (a check at that look would have been skipped).
        self._rule_force_excluded: str | None = None

    def set_mode(self, mode: EcsMode, now: float, source: str) -> None:
        """A new mode takes effect at once (the caller logged where it came from)."""
        old, self.mode, self.mode_source = self.mode, mode, source
        heater = self.heater
        if old is mode:
            return
        if not mode.allows_fallback and heater.forced_by in RULE_OWNERS:
            self._rule_force_excluded = heater.forced_by
        if mode is EcsMode.OFF:
            if heater.is_forced():
                heater.unforce(now, "water-heater mode off")
            heater.set_power(0.0, now, "water-heater mode off")
        self._hold_mode(now)

    def start(self, now: float) -> None:
        """The regulator starts, before the loads' first commands: a restored force the mode excludes ends here (at
        the first tick, the variator got the night's force, `100`, and `0` a millisecond later: a mode off set while
        PySEB was stopped)."""
        self._hold_mode(now)

    def _hold_mode(self, now: float) -> bool:
        heater = self.heater
        mode = self.mode
        if heater.forced_by is None and mode is not _OFF and mode is not _FORCED:
            return False  # the usual case, at every tick: no force to end, none to hold, no mode off to keep
        forced = mode is _FORCED
        # A force the mode no longer allows (e.g. restored after the mode changed while stopped) ends.
        if (heater.forced_by == FORCED_BY_MODE and not forced) or \
                (heater.forced_by in RULE_OWNERS and not self.mode.allows_fallback and not forced):
            heater.unforce(now, f"water-heater mode {self.mode.value}")
            return True
        if mode is _OFF and not heater.is_forced() and heater.current_power_w > 0:
            heater.set_power(0.0, now, "water-heater mode off")
            return True
        # (a rule's force is taken over, not undone first: undone, the heater was commanded 0 W at full power, then
        # forced again by the mode a tick later, an off-on click for nothing; the rule sees the mode exclude it)
        if forced and (not heater.is_forced() or heater.forced_by in RULE_OWNERS) and not heater.overed:
            log.info("water-heater mode forced: %s held at %.0f W until the mode changes", heater.name,
                     heater.max_force_power_w(), extra=force_line(heater.name))  # (the mode flipped from outside)
            heater.force(heater.max_force_power_w(), None, now, "water-heater mode forced", by=FORCED_BY_MODE)
            return True
        return False

    def runs(self, owner: str, load: Equipment) -> bool:
        """True when the fallback rule `owner` (FORCED_BY_SEED or FORCED_BY_DEADLINE) runs, on `load`."""
        rule = self.seed if owner == FORCED_BY_SEED else self.deadline if owner == FORCED_BY_DEADLINE else None
        return rule is not None and load is self.heater

    def excluded(self) -> bool:
        """True when the mode keeps the heater out of the allocation (off)."""
        return self.mode is _OFF  # (every decision)

    def tick(self, now: float) -> bool:
        """Hold the mode and run the fallback rules when due; True when the heater's state changed."""
        changed = self._hold_mode(now)
        if self.heater.forced_by == FORCED_BY_DEADLINE:
            self._deadline_force_end_at = self.heater.force_end_at
        # (a due time further ahead than the rules' own pace is from before a clock stepped back: the rules would
        # wait for the clock to get there again)
        if self._next_rules_at is not None and now < self._next_rules_at <= now + RULE_TICK_S:
            return changed
        heater = self.heater
        heater.accumulate_energy(now)
        allowed = self.mode.allows_fallback
        excluded, self._rule_force_excluded = self._rule_force_excluded, None
        book = self.forecast
        # Who forces the heater now: a rule does not force over another's force (a user's, the mode's, the other
        # rule's), it waits for it to end. A force over a rule's that has come and gone since the rules last looked is
        # that rule's to see as holding it: its end is not a user's unforce of the rule's own.
        taken_over, heater.force_taken_over = heater.force_taken_over, None
        forced_by = heater.forced_by if heater.is_forced() else None
        # (a variator's answers tell whether it heard a rule's force; a relay's are not known)
        heard_at = heater.heard_at if isinstance(heater, VariableEquipment) else None
        # The watts its force at its max really sets (a plug learned at 2000 W forced at its 3680 W label draws 2000 W:
        # sized on the label, the force was too short by almost half, and credited whole)
        force_w = heater.forced_watts(heater.max_power_w)
        if self.seed is not None:
            command = self.seed.tick(now, heater.energy_wh, force_w, heater.overed,
                                     allowed and excluded != FORCED_BY_SEED,
                                     partial(book.clouds_for, now=now) if book is not None else None,
                                     _holder(forced_by, taken_over, FORCED_BY_SEED),
                                     (heard_at, heater.last_command_at), heater.energy_yesterday_wh,
                                     heater.overed and heater.full_until is None,
                                     book.awaited(now) if book is not None else None)
            if command is not None:
                changed = self._carry_out(command, FORCED_BY_SEED, self.seed, now) or changed
                forced_by = heater.forced_by if heater.is_forced() else None
        if self.deadline is not None:
            # Its force gone by its own time (the clock stepped back: the force kept the time it had left, to end
            # before the span's end on the new clock), not by an unforce: no user's word.
            end_at = self._deadline_force_end_at
            ran_out = forced_by is None and end_at is not None and now >= end_at
            deadline_command = self.deadline.tick(now, heater.energy_wh, force_w, heater.overed,
                                                  allowed and excluded != FORCED_BY_DEADLINE,
                                                  self._pv_wh_on, _holder(forced_by, taken_over, FORCED_BY_DEADLINE),
                                                  ran_out,
                                                  (heard_at, heater.last_command_at), heater.energy_yesterday_wh)
            if deadline_command is not None:
                changed = self._carry_out(deadline_command, FORCED_BY_DEADLINE, self.deadline, now) or changed
            if heater.forced_by != FORCED_BY_DEADLINE:
                self._deadline_force_end_at = None  # (seen by the rule: no longer its force's)
        self._next_rules_at = self._next_rules_due(now)
        return changed

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing: the seed rule's force in its course ended
        early; the forecast fetch's try a check waits for, dated on the clock before, keeps its deadline's distance."""
        if self.seed is not None:
            self.seed.clock_stepped_forward(step_s)
        self._move_awaited(step_s)

    def clock_stepped_back(self, step_s: float, now: float) -> None:
        """The wall clock stepped back by `step_s` to `now`: the seed rule's force keeps the time it had left, as the
        heater's force does (its end on the old clock, the force's own end on the new one was taken for a user's
        unforce). (The deadline rule sees its force run out by itself: `ran_out`.) So does the forecast fetch's try a
        check waits for."""
        if self.seed is not None:
            self.seed.clock_stepped_back(step_s, now)
        self._move_awaited(-step_s)

    def _move_awaited(self, step_s: float) -> None:
        if self.forecast is not None:
            self.forecast.clock_stepped(step_s)

    def _pv_wh_on(self, day: date) -> float | None:
        forecast = self.forecast.pv_wh_for(day) if self.forecast is not None else None
        return None if forecast is None else forecast.pv_wh

    def _next_rules_due(self, now: float) -> float:
        # The rules count energy by differences and decide on the hour: every RULE_TICK_S is plenty, but a
        # known decision time (check_at, the deadline rule's start or deadline) is never waited for.
        # (the earliest by comparisons in min()'s own order, the first of equals kept: its call parses its keywords on
        # Python 3.11, at every pass of the rules)
        due = now + RULE_TICK_S
        if self.seed is not None:
            check_at = self.seed.check_at.next_after(now)
            due = check_at if check_at < due else due
        if self.deadline is not None:
            for t in (self.deadline.cycle_end, self.deadline.start_at):
                if t is not None and t > now and t < due:
                    due = t
        return due

    def _carry_out(self, command: ForceCommand | UnforceCommand, owner: str, rule: SeedFallback | DeadlineFallback,
                   now: float) -> bool:
        """`rule`'s command executed; a force not applied is told to the rule, which must not take it for done."""
        applied = self._execute(command, owner, now)
        if not applied and isinstance(command, ForceCommand):
            rule.force_not_applied(now)
        return applied

    def _execute(self, command: ForceCommand | UnforceCommand, owner: str, now: float) -> bool:
        heater = self.heater
        if isinstance(command, UnforceCommand):
            if heater.forced_by != owner:
                log.debug("%s: the %s's unforce skipped: its force is not in effect", heater.name, owner)
                return False
            heater.unforce(now, f"{owner.replace('_', ' ')} over")
            return True
        if heater.is_forced() and heater.forced_by != owner:
            log.info("%s: the %s's force (%.0f W) not applied: already forced by %s", heater.name,
                     owner.replace("_", " "), command.power_w, heater.forced_by)
            return False
        span = "until unforced" if command.duration_s is None else f"for {command.duration_s:.0f} s"
        # (False: the command could not be published, logged by the heater: the rule must not take it for done)
        return heater.force(command.power_w, command.duration_s, now, f"low-energy fallback "
                            f"({owner.replace('_', ' ')}) {span}", by=owner)

    @property
    def energy_yesterday_wh(self) -> float:
        """The seed's ECS_energy_yesterday: the fallback's count when its rule runs, else the counter's."""
        return self.seed.yesterday_wh if self.seed is not None else self.heater.energy_yesterday_wh

    def status(self) -> dict[str, Any]:
        """The heater's mode and rules for the status document (the rules' saved state included)."""
        doc: dict[str, Any] = {"name": self.heater.name, "mode": self.mode.value, "mode_source": self.mode_source}
        if self.seed is not None:
            doc["seed_rule"] = {"check_at": self.seed.settings.check_at_hour, **self.seed.snapshot()}
        if self.deadline is not None:
            doc["deadline_rule"] = {**self.deadline.status(), "cycle_end": self.deadline.cycle_end}
        return doc

    def mode_left(self, saved: Any, why: str | None = None) -> list[str]:
        """The warning for a mode saved in `saved` (the file's water_heater) that is not restored, because `why`, or
        (None) nothing in this configuration sets the mode (Home Assistant's discovery, a Domoticz selector turned off
        since): left silently, a mode off set before going away came back as the default, its fallback heating from
        the grid."""
        ours = isinstance(saved, dict) and saved.get("name") == self.heater.name
        if ours and (no_mode := self._not_a_mode(saved)):
            return no_mode  # (not restored either way: what it was, said)
        mode = saved.get("mode") if ours else None
        # (a list or an object is no mode: unhashable, it raised, and the rules' state was lost with it)
        if not isinstance(mode, str) or mode not in _MODE_NAMES or mode == self.mode.value:
            return []
        if saved.get("mode_source") == "default":
            return []  # (the config's own default then, nothing set from outside: ecs_mode_default changed since)
        why = why or ("nothing in this configuration sets the mode (no Home Assistant discovery, no Domoticz "
                      "idx_ecs_mode)")
        return [f"{self.heater.name}: its saved water-heater mode {mode} is not restored: {why}: {self.mode.value} "
                "([domoticz] ecs_mode_default)"]

    def restore(self, saved: dict[str, Any], restore_mode: bool, restore_rules: bool = True,
                saved_forced_by: str | None = FORCED_BY_DEADLINE) -> list[str]:
        """Take back the rules' state (when `restore_rules`) and the mode (when `restore_mode`) from a saved
        `status()`; `saved_forced_by`: who forced the heater in the same file (None: not forced)."""
        if saved.get("name") != self.heater.name:
            return [f"saved fallback state is for {shown(saved.get('name'), 40)}, the water heater is now "
                    f"{self.heater.name!r}: not restored"]
        warnings = self._not_a_mode(saved) if restore_mode else []
        if restore_rules and self.seed is not None and isinstance(saved.get("seed_rule"), dict):
            self.seed.restore(saved["seed_rule"], saved_forced_by is not None)
        if restore_rules and self.deadline is not None and isinstance(saved.get("deadline_rule"), dict):
            self.deadline.restore(saved["deadline_rule"], saved_forced_by == FORCED_BY_DEADLINE)
        # (a mode nobody chose, the config's default then, gives way to the config's default now: restored, an owner's
        # change of ecs_mode_default never took effect; a file from before mode_source restores its mode as it did)
        if restore_mode and isinstance(saved.get("mode"), str) and saved["mode"] in _MODE_NAMES \
                and saved.get("mode_source") != "default":
            self.mode, self.mode_source = EcsMode(saved["mode"]), "restored"
        return warnings

    def _not_a_mode(self, saved: dict[str, Any]) -> list[str]:
        """The warning for a saved mode that is none (a word this version does not know, a number, a list: a hand edit,
        a damaged file, a later version's), with the mode used instead: dropped without a word, a heater set off while
        away came back on its default mode, and nothing said why."""
        if "mode" not in saved or (isinstance(saved["mode"], str) and saved["mode"] in _MODE_NAMES):
            return []
        return [f"{self.heater.name}: its saved water-heater mode {shown(saved['mode'], 40)} is no mode (one of "
                f"{', '.join(_MODE_NAMES)}): not restored: {self.mode.value} ([domoticz] ecs_mode_default)"]


def _holder(forced_by: str | None, taken_over: tuple[str, str] | None, rule: str) -> str | None:
    """Who forces the heater, as `rule` sees it: whoever does now, else whoever took `rule`'s force over since it last
    looked (that force over since)."""
    if forced_by is None and taken_over is not None and taken_over[0] == rule:
        return taken_over[1]
    return forced_by
