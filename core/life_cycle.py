"""The regulator's life cycle, apart from its routing: the start (a load no longer configured that was left on
switched off, every load to 0, the restored forces, the report of a day whose midnight passed while stopped), the
restore of a saved status and the day it resumes, the midnight's roll and its report (published retained, again after
a reconnect), a jump of the wall clock, the stop.

A mixin of `core.regulator.Regulator`, not an object of its own: these are the regulator's interface (the
daemon, the tests and the simulator call `reg.start`, `reg.restore`, `reg.shutdown`), acting on its state
(which is declared below, set by `Regulator.__init__`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, cast

from core.controller import ClosedLoop
from core.daily_report import DailyFigures, DailyReport
from core.day_roll import DayRoll
from core.decision_gate import DecisionGate
from core.forces import keep_forces_off_lengths, start_loads
from core.meters import EnergyCounter
from core.stale_guard import StaleGuard
from equipments.base import Equipment
from equipments.load_command import Command, Publish, QueueFull
from equipments.variable import VariableEquipment
from field.features import FieldFeatures
from settings.config import Settings
from status.restore import restore_status
from status.restore_offs import said_of
from status.view import RegulatorView
from values.readings import CLOCK_STEP_BACK_S

# The regulator's own lines, moved here with the code that writes them: the logger name is part of what the log
# shows, so it stays what it was.
log = logging.getLogger("core.regulator")

class RegulatorLifeCycle:
    """Start, restore, day roll and report, stop: the part of `Regulator` that runs once a day or once a life."""

    # The regulator's state these use (set by Regulator.__init__).
    settings: Settings
    _publish: Publish
    loads: tuple[Equipment, ...]
    loads_by_name: dict[str, Equipment]
    field: FieldFeatures
    daily: DailyFigures
    _day: DayRoll
    _stale_guard: StaleGuard
    _gate: DecisionGate
    controller: ClosedLoop | None
    production_energy: EnergyCounter
    _started_at: float | None
    _resumed_day_at: float | None
    _restored_at: float | None
    _resumed_since: float | None
    _clock_seen_at: float | None
    _told_back_s: float
    _last_report: str | None
    _removed_left_on: list[tuple[str, Command]]
    _removed_off_starts: dict[tuple[str, str], tuple[int, float]]
    _unacknowledged_offs: Callable[[], list[tuple[str, Command]]]

    def start(self, now: float) -> None:
        """Command every load to 0 before anything else (a load no longer configured that was left on off, first), a
        load with a restored force to that force, then send the restored report of a day whose midnight passed while
        stopped; once."""
        if self._started_at is not None:
            return
        self._started_at = now
        self._stale_guard.start(now)
        # (energies not restored count from the start itself, whatever day it counts)
        self._day.start(self._day_started_at(now), now if self._resumed_since is None else self._resumed_since,
                        from_file=self._resumed_since is not None)
        self._switch_off_removed()
        self.field.start(now)
        start_loads(self.loads, now)
        unsent, self.daily.unsent = self.daily.unsent, None
        if unsent is not None:
            log.info("the report of %s, whose midnight passed while PySEB was stopped: %s", unsent.date, unsent.line())
            self._publish_report(unsent)

    def _day_started_at(self, now: float) -> float:
        """The instant whose local day the regulator starts counting: `now`, but for a restored status. A file restored
        from ahead of the clock holds that day's figures: the clock stepping forward to it is no midnight. Any other
        restore sorted the file's figures into today's and yesterday's at its own time: a midnight between it and the
        start (a restart just before midnight, the broker answering only after it) is that day's roll, at the first
        decision or tick, its report published and its energies yesterday's; started from `now`, the ended day's
        figures were counted as the new day's, and its report never sent."""
        if self._resumed_day_at is not None:
            return max(now, self._resumed_day_at)
        if self._restored_at is not None:
            return min(now, self._restored_at)
        return now

    def switch_off_at_start(self, name: str, off: Command, starts: int, since: float) -> None:
        """Publish `off` at the start, before the loads' own commands: it switches off `name`, a load the config no
        longer has that was left on, or the old device of one whose command moved since (status.restore finds it).
        `starts`: the starts that will have sent it, this one included, since `since` (epoch s), the first's time: kept
        with it while pending (removed_off_starts), by name and topic: a load moved twice has two old devices."""
        self._removed_left_on.append((name, off))
        self._removed_off_starts[name, off.topic] = (starts, since)

    def removed_off_starts(self, name: str, topic: str) -> tuple[int, float] | None:
        """The starts that sent the off of `name` (a load no longer configured, or the old device of one moved) on
        `topic` and the first one's time; None once the off is no longer pending (acknowledged: pending_offs forgets
        its count)."""
        return self._removed_off_starts.get((name, topic))

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing (NTP setting a Pi's clock: the shell's
        steady clock tells, this core cannot): the meters' readings keep their ages, the energy counters skip it,
        Domoticz's answers keep their wait, the import guard counts no import for it, the next decision keeps its
        `period` and `settle`. A timed force on, a relay's dwell, other waits end that much earlier; a timed force to
        0 W keeps the time it had left (core.forces.keep_forces_off_lengths). A pending off first sent by this start
        (its `starts` 1) is dated from the start on the clock as set: read before the jump (a Pi booted days behind),
        the next start found its days of giving up (status.restore_offs) past at once. A step under CLOCK_STEP_BACK_S
        (the shell tells one from CLOCK_NUDGE_S, shell/clock_watch.py) keeps only the readings' ages, the decisions'
        `period` and `settle`, the import guard's time and the forecast try's deadline. (Before the start, only the
        forecast fetch's try a check waits for is moved: handed over before the broker's Connected, its deadline was
        left on the old clock.)"""
        if self._started_at is None:
            self.field.forecast.clock_stepped(step_s)
            return
        if step_s < CLOCK_STEP_BACK_S:
            # (NTP correcting a slow clock, the daemon's steady clock measured: what compares times seconds apart keeps
            # them, the readings' ages (a step of 9.5 s made them 10 s old: every load cut), the decisions' evidence (a
            # reading within `settle` of a command stamped the step later) and the import guard's time; a force, a
            # dwell, a day end that much earlier, as before: a step back under 10 s is as small to them)
            self._stale_guard.clock_stepped_forward(step_s)
            self._gate.clock_stepped_forward(step_s, self.loads)
            if self.controller is not None:
                self.controller.clock_stepped_forward(step_s)
            # (and the forecast try a check waits for, its deadline seconds away: left, it came that much early, the
            # check going on as for 100 % clouds before the try's answer, in its time)
            self.field.forecast.clock_stepped(step_s)
            return
        self._removed_off_starts = {key: (starts, since + step_s if starts == 1 else since)
                                    for key, (starts, since) in self._removed_off_starts.items()}
        keep_forces_off_lengths(self.loads, step_s)
        self._stale_guard.clock_stepped_forward(step_s)
        self._gate.clock_stepped_forward(step_s, self.loads)
        for load in self.loads:
            load.skip_energy(step_s)
        self.production_energy.skip(step_s)
        if self.controller is not None:
            self.controller.clock_stepped_forward(step_s)
        self.daily.clock_stepped_forward(step_s)
        self._day.clock_stepped_forward(step_s, self._clock_seen_at)
        self.field.clock_stepped_forward(step_s)

    def clock_stepped_back(self, step_s: float, now: float) -> None:
        """The wall clock stepped back by `step_s` to `now` (NTP correcting a Pi's clock), as the shell's steady clock
        measured it, however small: the commands sent before it keep their distance from the readings after it, so the
        next decision waits no longer than `settle` for a reading that shows the last one (core/decision_gate.py). A
        step under CLOCK_STEP_BACK_S is no step to the rest of the core, which cannot tell it from two threads' stamps
        out of order; one over it, the core takes at the next message or tick as measured (Regulator._follow_clock:
        measured there from its last message or tick, a step of 10.5 s 0.8 s after a tick was 9.7 s, said by no one,
        the timed forces 10.5 s longer; and a longer one, the time since that tick longer). Before the start, only the
        forecast fetch's try a check waits for is moved, as a step forward moves it."""
        if self._started_at is None:
            self.field.forecast.clock_stepped(-step_s)
        else:
            self._gate.clock_stepped_back(step_s, now, self.loads, measured=True)
            if step_s >= CLOCK_STEP_BACK_S:
                self._told_back_s += step_s
            elif self._clock_seen_at is not None:
                # (the last time seen, on the new clock: a message received before the last tick and dated by its age
                # on the new clock was that much before the tick's stamp, a step of its own to Regulator._follow_clock,
                # and the forces cut short: a step of 9.8 s and a message 0.5 s older than the tick, by 10.3 s)
                self._clock_seen_at -= step_s
            if step_s < CLOCK_STEP_BACK_S and self.controller is not None:
                self.controller.guard_clock_stepped_back(step_s)  # (a longer one: at _follow_clock, with the dwell)

    def commands_sent_late(self, stamp: float, late_s: float) -> None:
        """The commands the last `handle` stamped `stamp` (its `now`) went out `late_s` after it: the message waited in
        the daemon's queue. Each consumer of the commands' times takes them as sent then: the decision gate
        (core/decision_gate_clock.py), the full-tank watch (field/full_tank_readings.py: the house readings received
        before they went are no evidence of them) and the variators (their answers awaited from then)."""
        self._gate.commands_sent_late(stamp, late_s, self.loads)
        self.field.commands_sent_late(stamp, late_s)
        for load in self.loads:
            if isinstance(load, VariableEquipment):
                load.command_sent_late(stamp, late_s)

    def take_switch_offs_at_start(self, unacknowledged: Callable[[], list[tuple[str, Command]]] | None = None,
                                  ) -> list[tuple[str, Command]]:
        """The offs switch_off_at_start was given (name, off), for a caller that sends them itself before `start`
        (the daemon: it knows whether its broker link is up, and says so); `start` then sends none. `unacknowledged`
        tells which of them the broker has not acknowledged yet: those stay in pending_offs."""
        taken, self._removed_left_on = self._removed_left_on, []
        if unacknowledged is not None:
            self._unacknowledged_offs = unacknowledged
        return taken

    def pending_offs(self) -> list[tuple[str, Command]]:
        """The offs of loads no longer configured not known to have reached the broker (name, off): those not sent
        yet, and those the daemon sent that its broker has not acknowledged. The status document keeps them: the
        status file saved after the start no longer has those loads, and a kill before the broker was back lost
        them, the device on for good (status.restore_offs.restore_pending_offs sends them at the next start)."""
        held = self._unacknowledged_offs()
        pending = [*self._removed_left_on, *held] if held else list(self._removed_left_on)
        if len(self._removed_off_starts) > len(pending):  # (acknowledged since: its count is done with)
            keys = {(name, off.topic) for name, off in pending}
            self._removed_off_starts = {key: count for key, count in self._removed_off_starts.items() if key in keys}
        return pending

    def _switch_off_removed(self) -> None:
        """The loads no longer configured that were left on, commanded off (first: a renamed device's own start
        command, if its off differs, comes after and wins)."""
        removed, self._removed_left_on = self._removed_left_on, []
        for name, off in removed:
            try:
                self._publish(off.topic, off.payload, off.retain)
            except Exception as exc:  # paho's ValueError, a full queue: said, as a load's command that failed
                log.error("%s: its off command %r on %s could not be published (%s): switch it off yourself",
                          said_of(name, self.loads_by_name), off.payload, off.topic, exc)
                continue
            log.info("%s: commanded off, %r on %s", said_of(name, self.loads_by_name), off.payload, off.topic)

    def restore(self, document: dict[str, Any], now: float,
                set_aside: Callable[[str, str], object] | None = None) -> list[str]:
        """Take energies, forces and full flags from a saved status (by load name); returns warnings. A document
        that cannot be used at all: a clean start, and `set_aside` (if given) called with why."""
        self._restored_at = now  # (the day the figures were sorted for: see _day_started_at)
        return restore_status(cast(RegulatorView, self), document, now, set_aside)  # (the whole Regulator is one)

    def resume_day(self, saved_at: float) -> None:
        """The restored day's figures are of the day of `saved_at`, ahead of the clock: its midnight comes first."""
        self._resumed_day_at = saved_at

    def resume_counting_since(self, since: float | None) -> None:
        """The restored day's energies were counted from `since` (None: no day's energies restored, they count
        from the start)."""
        self._resumed_since = since

    def resend_commands(self, reason: str) -> None:
        """Publish every load's current command again (after a reconnect)."""
        for load in self.loads:
            load.resend(reason)

    def republish_report(self) -> None:
        """Publish the last daily report again, retained (after a reconnect): a broker restarted without its retained
        messages (no persistence, or a power cut before its autosave) lost it, and a dashboard connecting later in
        the day found no report until the next midnight."""
        if self._last_report is None:
            return
        try:
            self._publish(self.settings.mqtt.topic_report, self._last_report, True)
        except QueueFull as exc:  # paho's full queue: owed by the daemon's link, sent once paho has room
            log.warning("the last daily report could not be published again (%s): sent as soon as the link takes it",
                        exc)
        except Exception as exc:  # paho's ValueError, ...: as a load's command that could not be sent; not owed
            log.warning("the last daily report could not be published again (%s): tried again at the next reconnect",
                        exc)

    def shutdown(self, now: float) -> None:
        """Stop: every load to 0 (forced ones too: nothing stays on without the regulator)."""
        if now >= self._day.next_midnight_at:
            # A stop just after midnight, before the timers saw it (the main loop held up): the status saved now
            # held the past day's energies and figures under the new day's date, resumed at the restart as today's.
            try:
                self._roll_day(now)
            except Exception:  # a bug there must not keep a load on: it raised out of the stop, the loop below unrun
                log.exception("internal error rolling the day over at the stop; the loads are commanded off anyway")
        for load in self.loads:
            try:
                load.set_power(0.0, now, "regulator stopping")
            except Exception:  # (nor one load's bug the others)
                log.exception("internal error commanding %s off at the stop", load.name)
        log.info("all loads commanded to 0 W")

    def _roll_day(self, now: float) -> None:
        """`now` is at or after the next local midnight: roll the day over, publish the report."""
        report = self._day.roll(now)
        if report is not None:
            self._publish_report(report)

    def _publish_report(self, report: DailyReport) -> None:
        # Retained: a dashboard that connects later in the day still finds yesterday's report.
        self._last_report = json.dumps(report.as_json(), allow_nan=False)
        try:
            self._publish(self.settings.mqtt.topic_report, self._last_report, True)
        except QueueFull as exc:  # paho's full queue: as a load's command that could not be sent. Raised, it broke off
            # the reading (its decision not made) or the timers that rolled the day, said as an internal error.
            # (the daemon's link owes it: sent once paho has room, shell/owed_messages.py; or at the reconnect)
            log.warning("the report of %s could not be published (%s): sent again as soon as the link takes it (at "
                        "the next reconnect at the latest)", report.date, exc)
        except Exception as exc:  # paho's ValueError, ...: not owed (only a full queue is); republish_report at the
            # next reconnect tries it again
            log.warning("the report of %s could not be published (%s): tried again at the next reconnect", report.date,
                        exc)
