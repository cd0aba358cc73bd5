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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from core.decisions import DecisionRecord, command_level
from core.recheck_probes import RecheckProbes, probes_text

if TYPE_CHECKING:
    from equipments.base import Equipment
from values.numbers import finite_json_float

__all__ = ["DailyFigures", "DailyReport", "LoadDay", "caused_import_w"]

WH = 1 / 3600.0
MAX_COVERED_H = 48.0  # the most hours a saved day's figures may cover (DailyReport.from_json)


def caused_import_w(grid_w: float, loads_w: float) -> float:
    """The import the loads caused: the grid's import while they draw, up to what they draw (the house
    alone would have imported the rest). The daily report, the replay's figures and the benchmark's
    yardstick all count it so."""
    # (min(grid_w, loads_w) by a comparison: on Python 3.11 min()'s call parses its keywords, at most decisions)
    return (loads_w if loads_w < grid_w else grid_w) if grid_w > 0 else 0.0


@dataclass(frozen=True, slots=True)
class LoadDay:
    """One load's day."""

    name: str
    relay: bool
    energy_wh: float  # what it drew, by the regulator's belief as each reading corrected it (DecisionRecord.drew_w)
    switches: int  # times its command went from off to on or back
    recheck_probes: int = 0  # a full tank's re-check probes (core/recheck_probes.py): two of its switches each


@dataclass(frozen=True, slots=True)
class DailyReport:
    """A day's energies (Wh), per load figures, and the counterfactual `missed_wh`."""

    date: str  # YYYY-MM-DD, local
    covered_h: float
    pv_wh: float
    house_wh: float  # consumption minus the loads
    diverted_wh: float  # all the loads
    exported_wh: float
    imported_wh: float
    caused_import_wh: float  # import while the loads drew, up to what they drew
    missed_wh: float  # exported while a load still had room: what a perfect router would have added
    loads: tuple[LoadDay, ...]

    def as_json(self) -> dict[str, Any]:
        """The retained document on `[mqtt] topic_report` (Wh rounded to 0.1)."""
        return _report_json(self.date, self.covered_h, (self.pv_wh, self.house_wh, self.diverted_wh, self.exported_wh,
                                                        self.imported_wh, self.caused_import_wh, self.missed_wh),
                            [(load.name, load.energy_wh, load.switches, load.relay, load.recheck_probes)
                             for load in self.loads])

    @classmethod
    def from_json(cls, doc: Any, relays: dict[str, bool]) -> DailyReport:
        """A report as `as_json` wrote it (a saved status's day so far), its loads those of `relays` (by name) that
        it has; ValueError when it is not one (a damaged or hand-edited file)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("date"), str) or not isinstance(doc.get("loads"), dict):
            raise ValueError("not a daily report")
        covered_h = finite_json_float(doc.get("covered_h"))
        # A DST day has 25 h, and a clock stepped back during the day (NTP correcting a clock chip kept in local
        # time, hours ahead) has the decisions after the step cover its hours again: refused over 25 h, a restart
        # that evening lost the day's figures so far. Over two days' hours is no day's.
        if covered_h is None or not 0 <= covered_h <= MAX_COVERED_H:
            raise ValueError(f"covered_h {doc.get('covered_h')!r} is not a day's hours")
        loads = []
        for name, relay in relays.items():
            entry = doc["loads"].get(name)
            if entry is None:
                continue  # a load added since: its day starts now
            switches = entry.get("switches") if isinstance(entry, dict) else None
            if isinstance(switches, bool) or not isinstance(switches, int) or switches < 0:
                raise ValueError(f"{name}'s switches {switches!r} is not a count")
            # (a variable load's; none in a file from before 2026-12-07)
            probes = entry.get("recheck_probes", 0)
            if isinstance(probes, bool) or not isinstance(probes, int) or not 0 <= probes * 2 <= switches:
                raise ValueError(f"{name}'s recheck_probes {probes!r} is not a count of its switches")
            loads.append(LoadDay(name, relay, _saved_wh(entry, "energy_wh"), switches, probes))
        return cls(doc["date"], covered_h, _saved_wh(doc, "pv_wh"), _saved_wh(doc, "house_wh", signed=True),
                   _saved_wh(doc, "diverted_wh"), _saved_wh(doc, "exported_wh"), _saved_wh(doc, "imported_wh"),
                   _saved_wh(doc, "caused_import_wh"), _saved_wh(doc, "missed_wh"), tuple(loads))

    def line(self) -> str:
        """The one INFO line of the log."""
        relays = ", ".join(f"{load.name} {load.switches}" for load in self.loads if load.relay) or "none"
        return (f"day {self.date} ({self.covered_h:.1f} h covered): PV {_kwh(self.pv_wh):.2f} kWh, house "
                f"{_kwh(self.house_wh):.2f} kWh, diverted {_kwh(self.diverted_wh):.2f} kWh, exported "
                f"{_kwh(self.exported_wh):.2f} kWh, imported {_kwh(self.imported_wh):.2f} kWh "
                f"({self.caused_import_wh:.0f} Wh caused by the loads); relay switches: {relays}; a perfect "
                f"router would have added {_kwh(self.missed_wh):.2f} kWh (exported while a load had room)")

    def text(self) -> str:
        """The report as `python3 -m simulation report` prints it."""
        rows = [
            f"day {self.date}, {self.covered_h:.2f} h covered by decisions",
            f"PV production      {_kwh(self.pv_wh):9.2f} kWh",
            f"house (base load)  {_kwh(self.house_wh):9.2f} kWh",
            f"diverted (loads)   {_kwh(self.diverted_wh):9.2f} kWh",
            f"exported           {self.exported_wh:9.0f} Wh",
            f"imported           {self.imported_wh:9.0f} Wh",
            f"caused import      {self.caused_import_wh:9.0f} Wh   (import while the loads drew)",
            f"missed             {self.missed_wh:9.0f} Wh   (exported while a load had room)",
            "",
            f"{'load':<16}{'kind':<10}{'energy kWh':>12}{'switches':>10}",
        ]
        rows += [f"{load.name:<16}{'relay' if load.relay else 'variable':<10}{_kwh(load.energy_wh):>12.2f}"
                 f"{load.switches:>10d}" + (f"   ({2 * load.recheck_probes} of them {probes_text(load.recheck_probes)})"
                                           if load.recheck_probes else "")
                 for load in self.loads]
        return "\n".join(rows)


def _kwh(wh: float) -> float:
    """Wh as the kWh a report shows (two decimals): a house believed a few Wh below zero (the loads' believed watts a
    little over the consumption) is 0.00, not -0.00; a figure that shows below zero keeps its sign."""
    return round(wh / 1000, 2) + 0.0  # (-0.0 + 0.0 is 0.0)


_FIGURES = ("pv_wh", "house_wh", "diverted_wh", "exported_wh", "imported_wh", "caused_import_wh", "missed_wh")


def _report_json(date: str, covered_h: float, figures_wh: Sequence[float],
                 loads: Sequence[tuple[str, float, int, bool, int]]) -> dict[str, Any]:
    """A report's document (`DailyReport.as_json`) from its figures (in _FIGURES' order) and its loads (name,
    energy_wh, switches, relay, recheck_probes): one rule for a report and for the day so far in every status. A
    variable load's re-check probes are its own key, its switches still all of them (a dashboard reads them)."""
    doc: dict[str, Any] = {"date": date, "covered_h": round(covered_h, 2)}
    for key, wh in zip(_FIGURES, figures_wh, strict=True):
        doc[key] = round(wh, 1)
    doc["loads"] = {name: {"energy_wh": round(energy_wh, 1), "switches": switches, "relay": relay}
                    | ({} if relay else {"recheck_probes": probes})
                    for name, energy_wh, switches, relay, probes in loads}
    return doc


def _saved_wh(doc: dict[str, Any], key: str, signed: bool = False) -> float:
    """doc[key] as Wh: a finite number, not negative unless `signed` (else ValueError)."""
    value = finite_json_float(doc.get(key))
    if value is None or (value < 0 and not signed):
        raise ValueError(f"{key} {doc.get(key)!r} is not an energy")
    return value


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
                  in zip(self.names, self.relays, self._load, self._switches, self._probes.counts, strict=True)))

    def so_far_json(self, date: str) -> dict[str, Any]:
        """`so_far(date).as_json()`, the very same document, without the report's objects: every status holds it."""
        return _report_json(date, self.covered_s / 3600.0, self._figures_wh(),
                            [(name, energy * WH, switches, relay, probes) for name, relay, energy, switches, probes
                             in zip(self.names, self.relays, self._load, self._switches, self._probes.counts,
                                    strict=True)])

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
        self._gone = max(0.0, saved.diverted_wh - sum(load.energy_wh for load in saved.loads)) / WH

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
