"""Full tank ("overed"): a water heater whose thermostat has cut draws nothing whatever the command. Once
found full, a load is commanded to 0 and left out of the allocation until the daily clear (init_at hour or
midnight), so its power is not reserved in vain. Two detectors: one reads the load's own meter (here), the
other infers it from the house meter (field/full_tank_inferred.py). Both are pure: readings and `now` come in, a
verdict goes out."""

from __future__ import annotations

import logging
from datetime import tzinfo

from field.full_tank_inferred import InferredFullTank
from field.full_tank_rules import InferenceRule, MeterRule
from field.reading_pace import ReadingPace
from values.boots import SILENT_AFTER_S
from values.local_time import crossed, hour

__all__ = ["InferenceRule", "InferredFullTank", "MeterRule", "MeteredFullTank", "daily_clear_due"]

log = logging.getLogger(__name__)

_DEFAULT_RULE = MeterRule()  # (a frozen value, shared as a default)


def daily_clear_due(since: float, now: float, tz: tzinfo | None, init_at_hour: int = 6) -> bool:
    """True if the `init_at` hour or midnight (local) passed in (since, now]: full flags are cleared then.
    After a restart, pass the saved status time as `since` so a clear missed while down still happens."""
    return crossed(since, now, hour(init_at_hour), tz) or crossed(since, now, hour(0), tz)


class MeteredFullTank:
    """Full when the load's own meter reads < 5 W while it is commanded >= min_power, 5 times in a row with
    readings less than 10 s apart (a reading and a half at a slower meter's pace), and its variator answered during
    them (one silent may have heard nothing, or be rebooting: asked for its status, FullTankWatch sends the
    question)."""

    def __init__(self, name: str, min_power_w: float, rule: MeterRule = _DEFAULT_RULE) -> None:
        self.name = name
        self.min_power_w = min_power_w
        self.rule = self._base_rule = rule
        # (its meter's own pace: a slow one's readings chain further apart, MeterRule.for_pace)
        self._pace = ReadingPace()
        self.full = False
        self._low_count = 0
        self._last_low_at: float | None = None
        self._low_since = 0.0  # the first reading of this run of low ones
        self._told_deaf = False  # "the variator has not answered" logged for this run of low readings
        # The first command sent since its variator last answered (None: none, or it never answers)
        self._unanswered_from: float | None = None
        self._asked_at: float | None = None  # its variator last asked for its status in this run of low readings
        self._ask_wait_s = rule.ask_every_s  # then asked again this much later
        self.question_due = False  # its variator is to be asked for its status now (FullTankWatch asks it)
        # Its last reading (when, watts read, watts commanded) and the one before it, and when the latest one fell by a
        # good part of what it read before under a command held (the first half of a thermostat's cut its meter's
        # period split in two)
        self._last: tuple[float, float, float] | None = None
        self._older: tuple[float, float, float] | None = None
        self._part_fall_at: float | None = None

    def meter_pace_s(self) -> float | None:
        """How often its meter reads (ReadingPace.usual_s), None before a second reading."""
        return self._pace.usual_s()

    def meter_slow_s(self) -> float | None:
        """Its meter's last gap when it reads every few minutes (ReadingPace.slow_s), else None."""
        return self._pace.slow_s()

    def heard(self, now: float) -> None:
        """A usable reading of its meter at `now`, judged or not (its tank full, its load's output off): its pace."""
        if (pace_s := self._pace.reading(now)) is not None:
            self.rule = self._base_rule.for_pace(pace_s)

    def suspect(self, now: float) -> bool:
        """Its meter has begun to read nothing, lately enough to chain with the next low reading: its
        belief (its command's watts) may be wrong."""
        return (self._low_count > 0 and not self.full and self._last_low_at is not None
                and now - self._last_low_at < self.rule.max_gap_s)

    def in_doubt(self, now: float) -> bool:
        """`suspect`, for the time a run of low readings takes to decide when its variator answers (its readings and
        one question): past that, a variator off the network (rebooted to 0 %, no Wi-Fi) keeps the run going for as
        long as it is away, and held every load of unknown power's measure back that long (its heater's belief, its
        command, does not move meanwhile: a step of the house is no move of it). Also until the next reading after one
        that fell by a good part of what it read, its command held (`part_fall`)."""
        return (self.suspect(now) and now - self._low_since <= self.rule.longest_doubt_s) or self.part_fall(now)

    def part_fall(self, now: float) -> bool:
        """True when its latest reading (at most max_gap_s before `now`) fell by at least `part_fall` of the one
        before, its command held or down by `part_fall_command_drop` at most since the reading before that one (a
        meter a reading late shows the loop's own move down a reading later), without reading nothing yet: the first
        half of a thermostat's cut a meter averaging over its period splits over two readings, as the house meter does.
        That half is surplus: a load of unknown power tried on it took the second half, a reading later, for its own
        step (a 600 W towel dryer measured at 166 W), or saw the house move and was off for its min_off_s."""
        at = self._part_fall_at
        return at is not None and not self.full and 0 <= now - at < self.rule.max_gap_s

    def on_reading(self, measured_w: float, commanded_w: float, now: float, heard_at: float | None = None,
                   commanded_at: float | None = None, off_command_at: float | None = None) -> bool:
        """One reading of the load's meter (told `heard` first); True exactly when it concludes the tank is full.
        `heard_at`: its variator's last answer (None: it never answers, nothing to judge by); `commanded_at`: when its
        command was last sent; `off_command_at`: when its variator was last known off PySEB's command (its boot message
        or `boot_detected`, or its answer at a percent not PySEB's). Sets `question_due` when its variator is to be
        asked whether it is alive."""
        self.question_due = False
        # (the first command unanswered, not the last: the loop moving the heater at every reading, each command a
        # moment old, a variator gone after its last answer was never judged deaf, and its heater's 0 W taken for a
        # full tank at the fifth reading; it answers every command, PROTOCOL.md)
        if commanded_at is None or heard_at is None or heard_at >= commanded_at:
            self._unanswered_from = None
        elif (first := self._unanswered_from) is None or first <= heard_at or first > commanded_at:
            self._unanswered_from = commanded_at
        self._part_fall_at, older, last = None, self._older, self._last
        self._older, self._last = last, (now, measured_w, commanded_w)
        if self.full:
            return False
        if last is not None and self._fell_in_part(last, older, measured_w, commanded_w, now):
            self._part_fall_at = now
        if measured_w >= self.rule.below_w or commanded_w < self.min_power_w:
            self._reset_run()
            return False
        if self._last_low_at is not None and now - self._last_low_at < self.rule.max_gap_s and \
                (off_command_at is None or off_command_at < self._low_since):
            self._low_count += 1
        else:
            # First low reading, the previous one too old to chain with, or its variator off PySEB's command during the
            # run (rebooted, or answering at another percent: at its default after a boot whose re-sends were lost):
            # the readings before, until PySEB's command was sent again, are no cut.
            self._low_count, self._low_since, self._asked_at = 1, now, None
        self._last_low_at = now
        if self._low_count < self.rule.count:
            return False
        # Its variator answered during these readings: it is alive and at PySEB's command (the closed loop's
        # commands, or the question below). Its answer to a command from before them is not enough: a variator
        # rebooting, or off the network with its output off, makes the heater draw nothing under a force it had
        # answered (taken for full, the fallback's night force from the grid was dropped and credited whole, the
        # water cold). Judged again at each reading, once it answers.
        # Nor has PySEB's last command gone unanswered since, past the time its answer takes (the variator gone again
        # after its answer, rebooting again and again: off that command, at its default maybe). The closed loop's
        # command of the house reading just before, its answer on its way, is no such one.
        unanswered_from = self._unanswered_from
        deaf_since = unanswered_from is not None and \
            not 0 <= now - unanswered_from < SILENT_AFTER_S  # (younger, its answer may be on its way)
        if heard_at is None or (heard_at >= self._low_since and not deaf_since):
            self.full = True
            log.info("%s is full: its meter read %.1f W (< %g W) %d times in a row while commanded %.0f W",
                     self.name, measured_w, self.rule.below_w, self._low_count, commanded_w)
            return True
        self._ask(measured_w, now, deaf=commanded_at is not None and heard_at < commanded_at)
        return False

    def _fell_in_part(self, last: tuple[float, float, float], older: tuple[float, float, float] | None,
                      measured_w: float, commanded_w: float, now: float) -> bool:
        last_at, last_w, last_commanded_w = last
        rule = self.rule
        held = 1.0 - rule.part_fall_command_drop
        if not (0 < now - last_at < rule.max_gap_s and measured_w >= rule.below_w and last_w >= self.min_power_w
                and last_commanded_w >= self.min_power_w and commanded_w >= held * last_commanded_w
                and last_w - measured_w >= rule.part_fall * last_w):
            return False
        # Its command held since the reading before the last one too: a meter a reading late (read just after the
        # decision that took the heater down, or averaging over its period) showed the watts of the command before at
        # the last reading, and the loop's own move down a reading later (no cut, its command then held) held the
        # loads of unknown power back for nothing. (Nothing to tell by before a third reading: in doubt.)
        if older is not None and 0 < last_at - older[0] < rule.max_gap_s:
            lowest_w = commanded_w if commanded_w < last_commanded_w else last_commanded_w
            return lowest_w >= held * older[2]
        return True

    def low_run_started(self, now: float) -> bool:
        """True when the reading at `now` is the first of a run reading nothing under a command: its thermostat
        cutting, or its variator rebooting (its triac off), which its status tells at once."""
        return self._low_count == 1 and self._last_low_at == now

    def _ask(self, measured_w: float, now: float, deaf: bool) -> None:
        """Its variator not heard during the low readings: asked for its status (again ask_every_s later without an
        answer, then twice that, up to ten times); said once a run."""
        if self._asked_at is None or now - self._asked_at >= self._ask_wait_s:
            # (the wait doubles, up to ten times the first: a variator off the network all night was asked 210 times)
            self._ask_wait_s = self.rule.ask_every_s if self._asked_at is None else \
                min(2 * self._ask_wait_s, 10 * self.rule.ask_every_s)
            self._asked_at, self.question_due = now, True
        if self._told_deaf:
            return
        self._told_deaf = True
        if deaf:
            log.info("%s: its meter reads %.1f W but the variator has not answered its command: not taken for a "
                     "full tank", self.name, measured_w)
        else:
            log.info("%s: its meter reads %.1f W and the variator has not been heard since these readings began: asked "
                     "for its status (rebooting or off the network it is no full tank)", self.name, measured_w)

    def _reset_run(self) -> None:
        self._low_count, self._last_low_at, self._told_deaf, self._asked_at = 0, None, False, None

    def clear(self) -> None:
        """The daily clear: the load may take power again."""
        self.full = False
        self._reset_run()
        self._last = self._older = self._part_fall_at = None
