"""The MQTT calibration sweep: set a variator from 100 % down to 0 %, average the load's meter per step.

The link, its events and the checks before any command are calibration.session's (shared with the house meter's
lag measure)."""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from calibration.session import VariatorSession
from calibration.sweep_files import Row, SweepFiles, hold_variator
from calibration.sweep_link import SweepError, format_percent
from calibration.sweep_measure import StepMeasure, SweepPlan, SweepStopped
from calibration.sweep_plan import MAX_REMEASURES
from calibration.sweep_reboot import RebootCheck
from calibration.sweep_remeasures import Again, Cause, Remeasures, tally
from calibration.sweep_target import SweepTarget
from calibration.thermostat import step_cut_reason, sweep_cut_reason
from values.durations import spoken_duration
from values.shown import counted

__all__ = ["SweepError", "SweepOutcome", "SweepPlan", "Sweeper", "format_percent"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SweepOutcome:
    """How a sweep ended."""

    completed: bool
    reason: str  # "done" or why it stopped
    rows_written: int  # in this run
    last_percent: float | None  # the last finished step (this run or an earlier one)
    backup: Path | None = None  # where the CSV this sweep replaced was kept


class Sweeper(VariatorSession):
    """One sweep of one load; `run()` blocks until done or stopped, `stop()` may come from anywhere."""

    # (the variator answers in milliseconds: this long without its answer, it did not take the end percent)
    END_ANSWER_WAIT_S = 30.0  # (sent again every 2 s meanwhile: a variator back on the Wi-Fi gets it)

    def __init__(self, target: SweepTarget, plan: SweepPlan, files: SweepFiles,
                 progress: Callable[[str], None] | None = None, ignore_availability: bool = False) -> None:
        super().__init__(target, plan.end_percent, plan.availability_wait_s, progress, ignore_availability)
        self.plan = plan
        self.files = files
        self._done: list[Row] | None = None
        self._step = StepMeasure(target, plan, self._next_event, self._link.set_percent, ignore_availability)
        self._reboots = RebootCheck(self._step, self._next_event, self._link.ask_status)
        # The steps measured again, each with its re-measures (their causes: the CLI's notes, remeasured_notes)
        self.remeasured: list[tuple[float, list[Again]]] = []

    def prepare(self) -> None:
        """Read what is already measured and refuse what the files do not allow (SweepError); no connection."""
        self._done = self.files.check()
        self._check_resume_start(self._done)

    def _check_resume_start(self, done: list[Row]) -> None:
        """A resume goes on after the last step done; one whose --start lies further down than the next step would
        leave the steps between unmeasured (stopped at 60 %, `--resume --start 30` measured 30, 20...: 50 and 40 %
        never, a file of two sweeps with a hole the curve crossed in a straight line). Refused, saying what to do:
        a start anywhere down to the next step goes on where the sweep stopped."""
        todo, last = self._steps_to_do(done)
        step = self.plan.step_percent
        if last is None or not todo or todo[0] >= last - step - 1e-9:
            return
        where = self.files.partial if self.files.partial.exists() else self.files.final
        start = f"{self.plan.start_percent:g}"
        raise SweepError(
            f"cannot resume with --start {start}: {where} stopped after {format_percent(last)} % (its last step "
            f"done), and {format_percent(last - step)} to {format_percent(todo[0] + step)} % would not be measured "
            f"(a hole the curve would cross in a straight line). To go on where it stopped: --resume without "
            f"--start (or --start {last - step:g}, the next step); to measure from {start} % down on "
            "its own, give another file with --output")

    def _steps_to_do(self, done: list[Row]) -> tuple[list[float], float | None]:
        all_steps = self.plan.percents()
        if not done:
            return all_steps, None
        last = min(p for p, _ in done)
        return [p for p in all_steps if p < last - 1e-9], last

    def run(self) -> SweepOutcome:
        """Check the regulator is not running, connect, sweep, and leave the load at the end percent.

        Raises SweepError for a refusal, OSError when the sweep's files cannot be written.
        """
        if self._done is None:
            self.prepare()
        done = self._done or []
        todo, last_done = self._steps_to_do(done)
        if not todo:
            self._say_torn(self.files.cut_torn())
            backup = self.files.complete()
            self._say(f"nothing left to measure: the sweep already reaches {format_percent(self.plan.stop_percent)} "
                      f"% ({self.files.final})")
            return SweepOutcome(True, "done", 0, last_done, backup)
        variator = hold_variator(self.target, self.files.partial)  # (before any connection: a refusal sends nothing)
        written = 0
        try:
            self._check_regulator()  # before the armed link: no will exists while we may not command
            self._link.start()
            self._wait_connected()
            self._say_torn(self.files.begin(), ", the step it was writing is measured again")
            with self.files.open_partial() as csv_file:
                try:
                    for row in self._sweep(todo, done):
                        csv_file.write(f"{format_percent(row[0])};{row[1]:.2f}\n")
                        csv_file.flush()
                        os.fsync(csv_file.fileno())  # a power cut keeps every finished step
                        written += 1
                        last_done = row[0]
                finally:
                    if written == 0:  # (stopped before its first step; removed while its lock is still held)
                        self.files.remove_if_empty()
            return SweepOutcome(True, "done", written, last_done, self.files.complete())
        except SweepStopped as stop:
            log.warning("sweep stopped: %s", stop)
            return SweepOutcome(False, str(stop), written, last_done)
        finally:
            try:
                self._finish()  # (the load at the end percent; unconfirmed, the CLI says where it may be)
            finally:
                variator.release()  # (once the load is at the end percent: no other sweep commands it before)

    def _say_torn(self, torn: bytes, then: str = "") -> None:
        if torn:
            self._say(f"the last line of {self.files.partial} was cut mid-write (a power cut?): "
                      f"{torn.decode('utf-8', 'replace')!r} is left out{then}")

    def _sweep(self, todo: list[float], done: list[Row]) -> Iterator[Row]:
        """Yield (percent, watts: its readings' median) for each finished step; raise SweepStopped to end early."""
        total = len(todo)
        started = time.monotonic()
        later_steps_s: list[float] = []
        last_valid = started
        previous = done[-1] if done else None  # the step before, for the thermostat check
        highest_w = max((w for _, w in done), default=0.0)
        if previous is not None:
            self._say(f"resuming after {format_percent(min(p for p, _ in done))} %: {counted(total, 'step')} left")
        for index, percent in enumerate(todo):
            settle_s = self.plan.first_settle_s if index == 0 else self.plan.settle_s
            step_started = time.monotonic()
            self._step.remeasures = Remeasures(self.plan.first_settle_s)  # (its re-measures, whatever their causes)
            self._step.command(percent)
            if index == 0:
                self._say(f"{format_percent(percent)} %: stabilising for {settle_s:g} s (until "
                          f"{time.strftime('%H:%M:%S', time.localtime(time.time() + settle_s))})")
            values, invalid, last_valid, again = self._measured(percent, step_started + settle_s, last_valid,
                                                                previous, highest_w)
            # (the median: one glitch under max_meter_power, 5 kW among six readings of 1500 W, made the mean 2083 W)
            watts = statistics.median(values)
            previous, highest_w = (percent, watts), max(highest_w, watts)
            step_s = time.monotonic() - step_started
            if index > 0:
                later_steps_s.append(step_s)
            left = total - index - 1
            # (their median: a step measured again, the first settle waited again, made the mean of every step left
            # 8 times longer for the rest of the sweep)
            typical_s = (statistics.median(later_steps_s) if later_steps_s
                         else self.plan.settle_s + 2.0 * self.plan.readings_per_step)
            note = f", {counted(invalid, 'unusable reading')} skipped" if invalid else ""
            if again:
                # (each cause: a reboot's, then a drop's...; a drop said too: it waited the first settle again)
                note += f"; measured again: {tally([why for _, why in again])}"
                self.remeasured.append((percent, again))
            self._say(f"[{index + 1:>3}/{total}] {format_percent(percent):>6} % -> {watts:8.2f} W "
                      f"({counted(len(values), 'reading')}{note})  "
                      f"elapsed {spoken_duration(time.monotonic() - started)}  ETA {spoken_duration(left * typical_s)}")
            yield percent, watts

    def _measured(self, percent: float, settled_at: float, last_valid: float, previous: Row | None,
                  highest_w: float) -> tuple[list[float], int, float, list[Again]]:
        """The step's readings (StepMeasure.measure), and its re-measures, each with its cause (empty: none; during
        its readings or after them). Readings that fell to the off level stop the sweep as a thermostat cut
        (SweepStopped) only once the variator answers at the step's percent (RebootCheck): rebooted, away or at another
        percent, the step is commanded and measured again, as after the broker lost and back meanwhile;
        MAX_REMEASURES times at most for the step, whatever the causes (Remeasures). A variator whose answers are not
        heard (--no-answers, no status topic) cannot be asked: a cut, as before."""
        away = False  # measured again already for a late answer at the step's percent: the next one is a cut
        while True:
            values, invalid, last_valid = self._step.measure(percent, settled_at, last_valid)
            cut = self._cut_reason(percent, values, previous, highest_w)
            if cut is None:
                return values, invalid, last_valid, list(self._step.remeasures.seen)
            if self.target.topic_variator_status is None:
                raise SweepStopped(cut)
            verdict = self._reboots.verdict(percent, values[-1], last_valid, away_counts=not away)
            last_valid, away = verdict.last_valid, away or verdict.away
            if verdict.again is None:
                raise SweepStopped(cut)
            at = format_percent(percent)
            said = f"{verdict.again} during the step at {at} %"
            counts = self._step.remeasures  # (with the reconnects and boot_detected during its readings)
            if verdict.reconnected:
                # (a lost broker link is no reboot of the variator: measured again as after a reconnect during the
                # step's readings, said as one, not in the end's note on the variator)
                if (stop := counts.again(Cause.DROPPED, verdict.again, at)) is not None:
                    raise SweepStopped(stop)
                log.warning("%s, while the variator was asked its status: command sent again at %s %%, the step "
                            "measured again in %.0f s", said, at, self.plan.first_settle_s)
            else:
                if (stop := counts.again(Cause.FELL, verdict.again, at,
                                         "; its readings of nothing are no thermostat cut")) is not None:
                    raise SweepStopped(stop)
                log.warning("%s: its readings fell to %.1f W, not taken for a thermostat cut; command sent again at "
                            "%s %%, the step measured again (%d/%d) in %.0f s", said, values[-1], at,
                            len(counts.seen), MAX_REMEASURES, self.plan.first_settle_s)
            # The first step's settle, whatever the verdict: the load drew nothing for a while (the variator away, or
            # our will, the end percent, sent by the broker), and its element cooled as before a first step. The later
            # steps' settle is for a small step from a hot element: a reboot's re-measure read it cold. (Not a wait
            # scaled to how long it drew nothing: docs/calibration.md, why a step measured again waits all of it.)
            self._step.command(percent)
            settled_at = time.monotonic() + self.plan.first_settle_s

    def _cut_reason(self, percent: float, values: list[float], previous: Row | None, highest_w: float) -> str | None:
        """Why the step's readings look cut by the thermostat (calibration.thermostat), or None."""
        # (its readings drew, then fell: not kept)
        cut = step_cut_reason(percent, values, highest_w, None if previous is None else previous[1])
        if cut is not None:
            return cut
        cut = sweep_cut_reason(percent, statistics.median(values), previous, highest_w)
        note = self.target.command_topic_note
        if cut is None or note is None or previous is not None:
            return cut
        return f"{cut}; or the variator never got the percents: {note}"
