"""The day's figures, from the decisions alone: what the live daemon publishes after midnight and what
`python3 -m simulation report` prints for a recorded day (the same code, so the same numbers).

Each decision's readings stand for the interval since the decision before it: over that interval the loads drew what
the decision's record says they drew in its reading (`DecisionRecord.drew_w`: their belief when the reading came,
which a command since the decision before (a force, a re-probe's hold) moved, or their measure if the reading
measured them: a plug of unknown power tried and found idle drew ~0 W, not the watts free for it, as its own energy
counter says), the house the rest of that reading's consumption. An interval whose end has no decision (midnight,
the day's close) counts at the earlier decision's belief: nothing measured it. An interval longer than `max_gap_s`
(meters silent, daemon stopped) is not counted: `covered_h` says how much of the day the figures cover. The day so
far is in the status document (`report_today`), and a restart the same day resumes it: the report after a restart at
23:00 covered 1 h of a day of sun, PV 0 kWh.

The report these sums make, its document, its text and its log line: core/daily_report_doc.py (exported from here too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from core.daily_report_doc import WH, DailyReport, LoadDay, report_json
from core.decisions import DecisionRecord, command_level
from core.recheck_probes import RecheckProbes

if TYPE_CHECKING:
    from equipments.base import Equipment

__all__ = ["DailyFigures", "DailyReport", "LoadDay", "caused_import_w"]


def caused_import_w(grid_w: float, loads_w: float) -> float:
    """The import the loads caused: the grid's import while they draw, up to what they draw (the house
    alone would have imported the rest). The daily report, the replay's figures and the benchmark's
    yardstick all count it so."""
    # (min(grid_w, loads_w) by a comparison: on Python 3.11 min()'s call parses its keywords, at most decisions)
    return (loads_w if loads_w < grid_w else grid_w) if grid_w > 0 else 0.0


class DailyFigures:
    """Sums a day's decisions; `close` hands the day's report over and starts the next day."""

    def __init__(self, names: Sequence[str], relays: Sequence[bool], max_gap_s: float) -> None:
        self.names = tuple(names)
        self.relays = tuple(relays)
        self.max_gap_s = max_gap_s
        self._previous: DecisionRecord | None = None
        # The relays whose switches are counted from their commands (count_relay_commands), not from the decisions.
        self._by_command = [False] * len(self.names)
        self._probes = RecheckProbes(self.relays)
        self._day_start_s = float("-inf")
        # A past day's report no midnight published (PySEB was stopped at it), restored from the status file: the
        # regulator sends it at its start.
        self.unsent: DailyReport | None = None
        self._reset()

    def _reset(self) -> None:
        self.covered_s = 0.0
        # What loads no longer configured drew earlier in the day (removed or renamed at a restart): still the
        # day's diverted energy (the house's figure was counted without it), though no load shows it now.
        self._gone = 0.0
        # Those of them the day's figures name (DailyReport.removed): a load put back later resumes its own from there.
        self._removed: tuple[LoadDay, ...] = ()
        self._pv = self._house = self._export = self._import = self._caused = self._missed = 0.0
        self._load = [0.0] * len(self.names)
        self._switches = [0] * len(self.names)
        self._probes.reset()
        self.decisions = 0

    def add(self, record: DecisionRecord) -> None:
        """One decision (a decision listener)."""
        previous, self._previous = self._previous, record
        if previous is None:
            return
        self.decisions += 1
        if record.command != previous.command:  # (the same commands, most decisions: no switch to look for)
            for i, (was, now) in enumerate(zip(previous.command, record.command, strict=True)):
                if (was > 0) != (now > 0) and not self._by_command[i]:
                    self._switches[i] += 1
        self._probes.decision(previous, record, self._day_start_s)
        self._count(previous, record.time_s, record.production_w, record.consumption_w, record.drew_w)

    def _count(self, previous: DecisionRecord, until_s: float, production_w: float, consumption_w: float,
               drew_w: Sequence[float]) -> None:
        """The interval from `previous` (its commands in effect) to `until_s`, the meters reading `production_w` and
        `consumption_w` at its end, the loads drawing `drew_w` through it: counted from the day's start at the
        earliest."""
        # (the later of the two by a comparison: on Python 3.11 max()'s call parses its keywords, every decision)
        dt = until_s - (self._day_start_s if self._day_start_s > previous.time_s else previous.time_s)
        # (a gap gauged on the whole interval: cut at midnight, each half of a silence of 1.9 times max_gap_s fitted
        # under it, and the silence was counted whole, in two days)
        if dt <= 0 or until_s - previous.time_s > self.max_gap_s:
            return  # a gap: nothing known of it (or a clock stepped back)
        self.covered_s += dt
        loads_w = 0.0
        for i, watts in enumerate(drew_w):
            self._load[i] += watts * dt
            loads_w += watts
        grid_w = consumption_w - production_w
        self._pv += production_w * dt
        self._house += (consumption_w - loads_w) * dt
        if grid_w > 0:
            self._import += grid_w * dt
            self._caused += caused_import_w(grid_w, loads_w) * dt
        elif grid_w < 0:
            self._export -= grid_w * dt
            self._missed += self._could_add_w(-grid_w, previous.room_w) * dt

    def clock_stepped_forward(self, step_s: float) -> None:
        """The wall clock jumped forward by `step_s` with no time passing: the next decision's interval is not the jump
        (one under `max_gap_s` was counted as that long of PV, import, export and the loads' energy)."""
        if self._previous is not None:
            self._previous = replace(self._previous, time_s=self._previous.time_s + step_s)
        self._probes.clock_stepped_forward(step_s)

    def count_relay_commands(self, loads: Sequence[Equipment]) -> None:
        """Count each relay of `loads` (this figures' loads, in their order) switching at its commands, every one sent
        on or off once, rather than from one decision to the next: those missed the first switch of a run (no
        decision before it), the stale guard's switch off with a decision's switch on again after it (no change from
        one decision to the next), a force and its unforce between two decisions, the stop's switch off. (A recorded
        day, replayed, has only its decisions: simulation.report counts from them.)"""
        for i, (load, relay) in enumerate(zip(loads, self.relays, strict=True)):
            if relay:
                self._by_command[i] = True
                load.add_power_listener(self._relay_listener(i, load))

    def _relay_listener(self, i: int, load: Equipment) -> Callable[[float, float], None]:
        was_on = [command_level(load, True) > 0]

        def commanded(watts: float, now: float) -> None:
            on = command_level(load, True) > 0
            if on != was_on[0]:
                was_on[0] = on
                self._switches[i] += 1
        return commanded

    def _could_add_w(self, export_w: float, room_w: Sequence[float]) -> float:
        # A perfect router, in priority order: a variable load takes what fits, a relay only whole.
        left = export_w
        relays = self.relays
        # (by index, rather than zip(strict=True), which parses its keyword at each call on Python 3.11, nor min():
        # every decision with export)
        for i, room in enumerate(room_w):
            if room <= 0 or left <= 0:
                continue
            take = (room if left >= room else 0.0) if relays[i] else (room if room < left else left)
            left -= take
        return export_w - left

    def _figures_wh(self) -> tuple[float, float, float, float, float, float, float]:
        """The day's figures so far in Wh, in _FIGURES' (and DailyReport's) order."""
        return (self._pv * WH, self._house * WH, (sum(self._load) + self._gone) * WH, self._export * WH,
                self._import * WH, self._caused * WH, self._missed * WH)

    def so_far(self, date: str) -> DailyReport:
        """The report of the day `date` as it stands; nothing is reset."""
        return DailyReport(
            date, self.covered_s / 3600.0, *self._figures_wh(),
            tuple(LoadDay(name, relay, energy * WH, switches, probes) for name, relay, energy, switches, probes
                  in zip(self.names, self.relays, self._load, self._switches, self._probes.counts, strict=True)),
            self._removed)

    def so_far_json(self, date: str) -> dict[str, Any]:
        """`so_far(date).as_json()`, the very same document, without the report's objects: every status holds it."""
        return report_json(date, self.covered_s / 3600.0, self._figures_wh(),
                           [(name, energy * WH, switches, relay, probes) for name, relay, energy, switches, probes
                            in zip(self.names, self.relays, self._load, self._switches, self._probes.counts,
                                   strict=True)],
                           [(load.name, load.energy_wh, load.switches, load.relay, load.recheck_probes)
                            for load in self._removed])

    def forget(self) -> None:
        """Back to a fresh start's figures: a restore that failed part-way may have resumed some."""
        self._reset()
        self.unsent = None

    def resume(self, saved: DailyReport) -> None:
        """Before the first decision of a restart: the day's figures so far are `saved`'s (its loads by name)."""
        self.covered_s = saved.covered_h * 3600.0
        self._pv, self._house, self._export = saved.pv_wh / WH, saved.house_wh / WH, saved.exported_wh / WH
        self._import, self._caused, self._missed = saved.imported_wh / WH, saved.caused_import_wh / WH, \
            saved.missed_wh / WH
        for load in saved.loads:
            i = self.names.index(load.name)
            self._load[i], self._switches[i] = load.energy_wh / WH, load.switches
            self._probes.counts[i] = load.recheck_probes
        # (the removed loads' energies in it, with what no load of the file names: a file of before 2026-12-07 kept
        # a removed load's only in diverted_wh)
        self._gone = max(0.0, saved.diverted_wh - sum(load.energy_wh for load in saved.loads)) / WH
        self._removed = saved.removed

    def close(self, date: str, midnight_s: float) -> DailyReport:
        """The report of the day ending at `midnight_s`; counting starts again from there. The interval from the
        day's last decision to the midnight is the day's, at that decision's commands and readings (the next decision
        counts from the midnight: the day lost its last seconds, 4 Wh of a heater at 2000 W read every 7 s)."""
        previous = self._previous
        if previous is not None and previous.time_s < midnight_s:
            # (no reading at the midnight: the loads at the belief that decision left them at)
            self._count(previous, midnight_s, previous.production_w, previous.consumption_w, previous.believed_w)
        report = self.so_far(date)
        self._reset()
        self._day_start_s = midnight_s
        return report
