"""A day's report as a value: its figures (Wh) and each load's, the retained document on `[mqtt] topic_report` (the
status's day so far is the same document), that document read back from a saved status, the log's line and the text
`python3 -m simulation report` prints. Apart from the sums that make it (core/daily_report.py, DailyFigures), for a
report is also read back, printed and compared, where no decision is summed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.recheck_probes import probes_text
from values.numbers import finite_json_float

WH = 1 / 3600.0
MAX_COVERED_H = 48.0  # the most hours a saved day's figures may cover (DailyReport.from_json)


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
    # The loads of the day no longer configured (removed or renamed at a restart): their share of `diverted_wh`, kept
    # by name, so that one put back later the same day resumes its own figures (it counted from its return).
    removed: tuple[LoadDay, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The retained document on `[mqtt] topic_report` (Wh rounded to 0.1)."""
        return report_json(self.date, self.covered_h, (self.pv_wh, self.house_wh, self.diverted_wh, self.exported_wh,
                                                       self.imported_wh, self.caused_import_wh, self.missed_wh),
                           _rows(self.loads), _rows(self.removed))

    @classmethod
    def from_json(cls, doc: Any, relays: dict[str, bool]) -> DailyReport:
        """A report as `as_json` wrote it (a saved status's day so far), its loads those of `relays` (by name) that
        it has, in `loads` or in `removed_loads` (a load put back); the others it has, in either, its `removed`;
        ValueError when it is not one (a damaged or hand-edited file)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("date"), str) or not isinstance(doc.get("loads"), dict):
            raise ValueError("not a daily report")
        removed_doc = doc.get("removed_loads", {})  # (only on a day a load was removed: report_json)
        if not isinstance(removed_doc, dict):
            raise ValueError("removed_loads is not a table of loads")
        covered_h = finite_json_float(doc.get("covered_h"))
        # A DST day has 25 h, and a clock stepped back during the day (NTP correcting a clock chip kept in local
        # time, hours ahead) has the decisions after the step cover its hours again: refused over 25 h, a restart
        # that evening lost the day's figures so far. Over two days' hours is no day's.
        if covered_h is None or not 0 <= covered_h <= MAX_COVERED_H:
            raise ValueError(f"covered_h {doc.get('covered_h')!r} is not a day's hours")
        loads = []
        for name, relay in relays.items():
            entry = doc["loads"].get(name, removed_doc.get(name))
            if entry is not None:  # (else a load added since: its day starts now)
                loads.append(_load_day(name, relay, entry))
        removed: list[LoadDay] = []
        for name, entry in [*doc["loads"].items(), *removed_doc.items()]:
            if name not in relays and name not in (load.name for load in removed):
                was_relay = entry.get("relay") if isinstance(entry, dict) else None
                try:
                    if not isinstance(was_relay, bool):
                        raise ValueError(f"{name}'s relay {was_relay!r} is not true or false")
                    removed.append(_load_day(name, was_relay, entry))
                except ValueError:
                    # (a load the config has no more, its entry damaged: left unnamed, its energy in diverted_wh
                    # still; the day's figures are not lost for it, as they were not before such loads were kept)
                    continue
        return cls(doc["date"], covered_h, _saved_wh(doc, "pv_wh"), _saved_wh(doc, "house_wh", signed=True),
                   _saved_wh(doc, "diverted_wh"), _saved_wh(doc, "exported_wh"), _saved_wh(doc, "imported_wh"),
                   _saved_wh(doc, "caused_import_wh"), _saved_wh(doc, "missed_wh"), tuple(loads), tuple(removed))

    def line(self) -> str:
        """The one INFO line of the log."""
        relays = ", ".join(f"{load.name} {load.switches}" for load in self.loads if load.relay) or "none"
        return (f"day {self.date} ({self.covered_h:.1f} h covered): PV {_kwh(self.pv_wh):.2f} kWh, house "
                f"{_kwh(self.house_wh):.2f} kWh, diverted {_kwh(self.diverted_wh):.2f} kWh, exported "
                f"{_kwh(self.exported_wh):.2f} kWh, imported {_kwh(self.imported_wh):.2f} kWh "
                f"({self.caused_import_wh:.0f} Wh caused by the loads); relay switches: {relays}; "
                f"{self._removed_said()}a perfect router would have added {_kwh(self.missed_wh):.2f} kWh (exported "
                "while a load had room)")

    def _removed_said(self) -> str:
        """The line's part for the loads taken out of the config during the day (`removed`), their share of
        `diverted` (without it, a kWh no load of the line accounted for, and no word of why); empty without any."""
        if not self.removed:
            return ""
        said = ", ".join(f"{load.name} ({_kwh(load.energy_wh):.2f} kWh, {load.switches} switches)"
                         for load in self.removed)
        return f"removed from the config during the day: {said}; "

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
        rows += [_load_row(load) + (f"   ({2 * load.recheck_probes} of them {probes_text(load.recheck_probes)})"
                                    if load.recheck_probes else "")
                 for load in self.loads]
        if self.removed:  # (their energy is in `diverted`: listed apart, by the names they had)
            rows.append(f"removed from the config during the day ({'its' if len(self.removed) == 1 else 'their'} "
                        "energy in diverted):")
            rows += [_load_row(load) for load in self.removed]
        return "\n".join(rows)


def _load_row(load: LoadDay) -> str:
    """A load's row of the report's text: its name, kind, energy and switches, in the table's columns."""
    return (f"{load.name:<16}{'relay' if load.relay else 'variable':<10}{_kwh(load.energy_wh):>12.2f}"
            f"{load.switches:>10d}")


def _load_day(name: str, relay: bool, entry: Any) -> LoadDay:
    """A saved load's day (an entry of a report's `loads` or `removed_loads`); ValueError when it is not one."""
    switches = entry.get("switches") if isinstance(entry, dict) else None
    if isinstance(switches, bool) or not isinstance(switches, int) or switches < 0:
        raise ValueError(f"{name}'s switches {switches!r} is not a count")
    # (a variable load's; none in a file from before 2026-12-07)
    probes = entry.get("recheck_probes", 0)
    if isinstance(probes, bool) or not isinstance(probes, int) or not 0 <= probes * 2 <= switches:
        raise ValueError(f"{name}'s recheck_probes {probes!r} is not a count of its switches")
    return LoadDay(name, relay, _saved_wh(entry, "energy_wh"), switches, probes)


def _rows(loads: Sequence[LoadDay]) -> list[tuple[str, float, int, bool, int]]:
    """`loads` as report_json takes them."""
    return [(load.name, load.energy_wh, load.switches, load.relay, load.recheck_probes) for load in loads]


def _kwh(wh: float) -> float:
    """Wh as the kWh a report shows (two decimals): a house believed a few Wh below zero (the loads' believed watts a
    little over the consumption) is 0.00, not -0.00; a figure that shows below zero keeps its sign."""
    return round(wh / 1000, 2) + 0.0  # (-0.0 + 0.0 is 0.0)


_FIGURES = ("pv_wh", "house_wh", "diverted_wh", "exported_wh", "imported_wh", "caused_import_wh", "missed_wh")


def report_json(date: str, covered_h: float, figures_wh: Sequence[float],
                 loads: Sequence[tuple[str, float, int, bool, int]],
                 removed: Sequence[tuple[str, float, int, bool, int]] = ()) -> dict[str, Any]:
    """A report's document (`DailyReport.as_json`) from its figures (in _FIGURES' order) and its loads (name,
    energy_wh, switches, relay, recheck_probes), and those of the loads no longer configured (`removed_loads`, only
    when there are any: every other day's document is as it was): one rule for a report and for the day so far in
    every status. A variable load's re-check probes are its own key, its switches still all of them (a dashboard
    reads them)."""
    doc: dict[str, Any] = {"date": date, "covered_h": round(covered_h, 2)}
    for key, wh in zip(_FIGURES, figures_wh, strict=True):
        doc[key] = round(wh, 1)
    doc["loads"] = _loads_json(loads)
    if removed:
        doc["removed_loads"] = _loads_json(removed)
    return doc


def _loads_json(loads: Sequence[tuple[str, float, int, bool, int]]) -> dict[str, Any]:
    return {name: {"energy_wh": round(energy_wh, 1), "switches": switches, "relay": relay}
            | ({} if relay else {"recheck_probes": probes})
            for name, energy_wh, switches, relay, probes in loads}


def _saved_wh(doc: dict[str, Any], key: str, signed: bool = False) -> float:
    """doc[key] as Wh: a finite number, not negative unless `signed` (else ValueError)."""
    value = finite_json_float(doc.get(key))
    if value is None or (value < 0 and not signed):
        raise ValueError(f"{key} {doc.get(key)!r} is not an energy")
    return value
