"""`python3 -m simulation report DAY`: a recorded day's report, the same figures the daemon publishes
after midnight (same code: `core.daily_report`), and optionally its picture."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.daily_report import DailyFigures, DailyReport, LoadDay
from recording.days import day_parts
from recording.format import RecordedDay, RecordError, read_record
from settings.ini_file import NoConfigHere, given_or_default_config
from shell.plot_file import pyplot
from simulation.plot import clock_format, kwh_text

if TYPE_CHECKING:
    from simulation.tune_days import DayReads

__all__ = ["dated_or_given", "day_total", "find_day", "plot_report", "report_day", "report_of"]

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def find_day(day: str, config: Path | None, reads: DayReads[Any] | None = None) -> tuple[list[Path], list[str]]:
    """The files of `day`: a path (a file, a folder, a pattern: as given), or a date looked up in the config's
    `[record] dir` (every part of that day, packed or not, as replay and tune take it: dated_or_given, with `reads`);
    without a config, the daemon's default: config.ini here. And the notes of the date's parts left out."""
    path = Path(day)
    if not path.exists() and not DATE.match(day) and not any(char in day for char in "*?["):
        # ("records: cannot read: No such file or directory", where an empty folder was said much better)
        raise RecordError(f"{day}: no such file or folder (give a recorded day's file, a folder of them, or a date, "
                          "YYYY-MM-DD, looked up in the config's [record] dir)")
    return dated_or_given(path, config, reads)


def dated_or_given(day: Path, config: Path | None, reads: DayReads[Any] | None = None,
                   ) -> tuple[list[Path], list[str]]:
    """`day` as given (`replay` and `tune` take a trace, a folder, a pattern), or, a date with no file of that name,
    every part of the day recorded in `config`'s `[record] dir`, as `report` finds it (`replay 2026-06-01` was
    "trace file not found"); and a note of the date's parts left out, those that cannot be read (an empty file a full
    disk left, a power cut in a part's first write), as a folder's are: the owner did not name them (one stopped the
    replay and the tune of the whole date, the other parts' hours with it, and left the report without its total).
    Each part read by `reads` (a folder's days are: DayReads.unreadable), the caller's to read it once."""
    if day.exists() or not DATE.match(str(day)):
        return [day], []
    parts = _dated_parts(str(day), config)
    if len(parts) < 2:
        return parts, []  # (the day's one file: its reader says why it cannot be read, as ever)
    from simulation.tune_days import DayReads

    reads = DayReads() if reads is None else reads
    # (one of too few decisions for a replay is the date's all the same: tune's reads say it unreadable)
    unread = {part: why for part in parts if (why := reads.unreadable(part, at_all=True)) is not None}
    if not unread or len(unread) == len(parts):
        return parts, []  # (none that can be read: each said by its reader)
    left_out = ", ".join(f"{part.name} ({why})" for part, why in unread.items())
    return [part for part in parts if part not in unread], [
        f"{day}: recorded in {len(parts)} files, {len(parts) - len(unread)} of them read; left out: {left_out}"]


def _dated_parts(day: str, config: Path | None) -> list[Path]:
    """The parts of the day recorded on the date `day` in the config's `[record] dir`; RecordError saying why there
    is none."""
    try:
        config = given_or_default_config(config, "a date", "to find the [record] dir")
    except NoConfigHere as exc:
        raise RecordError(f"{day}: no such file ({exc})") from None
    from settings.config import load_settings

    settings = load_settings(config, daemon_files=False)  # (to find the records: a copy of the config, say)
    directory = settings.record.dir
    # (as replay and tune take a day: its file unpacked too, the daemon's .csv.gz when it is there both ways)
    parts = day_parts(directory, day)
    if not parts:
        why = ""
        if not settings.record.enabled:
            why = f"; [record] enabled = false in the config: PySEB records no day ({config})"
        elif not directory.is_dir():
            why = f" (no such folder: PySEB has recorded nothing there yet with {config})"
        elif day == datetime.now(settings.tzinfo).date().isoformat():
            # (the first thing one tries after installing, PySEB running: its first batch is not on disk yet)
            why = (f"; today's decisions reach the file every {settings.record.flush_interval_s:g} s ([record] "
                   "flush_interval) and at PySEB's stop: try again then, or read the day so far in the status "
                   "document's report_today (the status file, or the status topic)")
        raise RecordError(f"{day}: no recorded day pyseb-{day}.csv.gz (nor unpacked, .csv) in {directory}{why}")
    return parts


def report_day(path: str | Path) -> tuple[DailyReport, RecordedDay]:
    """The report of a recorded day, and the day itself."""
    day = read_record(path)
    return report_of(path, day), day


def report_of(path: str | Path, day: RecordedDay) -> DailyReport:
    """The report of the recorded day `day`, read from `path`."""
    if not day.records:
        raise RecordError(f"{path}: no decision recorded")
    figures = DailyFigures(day.names, day.relays, day.max_gap_s)
    for record in day.records:
        figures.add(record)
    # Closed at the midnight after its last decision, as the live report is (its last seconds the day's; not when
    # that decision is further from it than a gap: a recording stopped before midnight ends there)
    last = datetime.fromtimestamp(day.records[-1].time_s, day.tz)
    offset = last.utcoffset()
    midnight = datetime.combine(last.date() + timedelta(days=1), time(), timezone(offset) if offset is not None
                                else None)
    return figures.close(day.date or Path(path).name, midnight.timestamp())


def day_total(parts: Sequence[DailyReport]) -> DailyReport:
    """The report of a day recorded in `parts` (each part's report, in order), across the restarts that began them:
    the energies summed, each load by its name (a load in several parts its figures summed, of the kind its last part
    gives it). A load the last part has not (taken out of the config at a restart) keeps what it drew before under
    `removed`, as the daemon's report of that day lists it (`removed_loads`: its midnight's loads are the config's).
    Near the daemon's own report, not the same: that one counts a relay's switches at a stop and a start (no recorded
    decision shows them)."""
    loads: dict[str, LoadDay] = {}
    for load in (load for part in parts for load in part.loads):
        was = loads.get(load.name)
        loads[load.name] = load if was is None else LoadDay(
            load.name, load.relay, was.energy_wh + load.energy_wh, was.switches + load.switches,
            was.recheck_probes + load.recheck_probes)
    def total(key: str) -> float:
        return float(sum(getattr(part, key) for part in parts))
    last = {load.name for load in parts[-1].loads}
    return DailyReport(parts[0].date, total("covered_h"), total("pv_wh"), total("house_wh"), total("diverted_wh"),
                       total("exported_wh"), total("imported_wh"), total("caused_import_wh"), total("missed_wh"),
                       tuple(load for load in loads.values() if load.name in last),
                       tuple(load for load in loads.values() if load.name not in last))


def _minute_means(times: np.ndarray, values: np.ndarray, start: float) -> tuple[np.ndarray, np.ndarray]:
    # Decisions come every few seconds, irregularly: a mean per minute reads better.
    minute = ((times - start) // 60).astype(int)
    count = np.bincount(minute)
    used = count > 0
    means = np.stack([np.bincount(minute, weights=values[:, j])[used] / count[used]
                      for j in range(values.shape[1])], axis=1)
    return start + 60.0 * np.nonzero(used)[0] + 30.0, means


def _gaps_left_blank(at: np.ndarray, means: np.ndarray, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The minute means with a row of no watts (NaN: nothing drawn) in each gap of the decisions longer than
    `max_gap_s` (PySEB stopped between two parts, the meters silent), which the report does not count either: the
    areas and the grid's line ramped across it, from the watts before it to those after, an hour stopped drawn as a
    slow change of the loads."""
    gaps = np.nonzero(np.diff(at) > 60.0 + max_gap_s)[0] + 1
    return np.insert(at, gaps, at[gaps - 1] + 30.0), np.insert(means, gaps, np.nan, axis=0)


def plot_report(path: str | Path, report: DailyReport, *days: RecordedDay) -> None:
    """Draw the day (PV, house, each load by the regulator's belief, grid) into the PNG `path`: `days` its recorded
    parts, in order (one, or a day's parts after restarts: one after another, each restart a dashed line, each load
    of any part drawn, at 0 W in a part without it), `report` its report (the parts' total)."""
    plt = pyplot()
    import matplotlib.dates as mdates
    names = list(dict.fromkeys(name for day in days for name in day.names))  # (every part's loads, first seen first)
    times = np.concatenate([[r.time_s for r in day.records] for day in days])
    columns = np.concatenate([_columns(day, names) for day in days])
    # (from the earliest row, not the first: a clock stepped back puts rows before it)
    at, means = _minute_means(times, columns, float(times.min() // 60 * 60))
    at, means = _gaps_left_blank(at, means, max(day.max_gap_s for day in days))
    tz = days[0].tz
    stamps = mdates.date2num([datetime.fromtimestamp(t, tz) for t in at])
    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=100)
    ax.fill_between(stamps, means[:, 0], color="#f6c945", alpha=0.45, label="PV production", linewidth=0)
    # (the house's grey, then a colour a load: a day in parts draws every part's loads, and the sixth was the house's
    # grey again, the seventh the first load's red, as the legend said them)
    colors = ["#7f7f7f", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
              "#ff7f0e", "#393b79", "#8c6d31", "#843c39", "#7b4173", "#637939"]
    stack = [means[:, 1].clip(min=0)] + [means[:, 2 + i] for i in range(len(names))]
    ax.stackplot(stamps, *stack, labels=["house (base load)", *names], colors=colors[:len(stack)], alpha=0.8)
    ax.plot(stamps, means[:, -1], color="black", linewidth=0.9, label="grid (+ import, - export)")
    ax.axhline(0, color="black", linewidth=0.5)
    for i, day in enumerate(days[1:]):  # (where PySEB started again: its loads or meter_timeout may have changed)
        ax.axvline(mdates.date2num(datetime.fromtimestamp(day.records[0].time_s, tz)), color="#555555",
                   linestyle="--", linewidth=0.9, label=None if i else "restart (the next part)")
    ax.xaxis_date(tz)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(clock_format(float(times.max() - times.min())), tz=tz))
    ax.set_ylabel("W (mean per minute)")
    named = Path(days[0].path).name if len(days) == 1 else f"{report.date} in {len(days)} parts"
    title = (f"{named}: PV {kwh_text(report.pv_wh)} kWh, house {kwh_text(report.house_wh)} kWh, "
             f"diverted {kwh_text(report.diverted_wh)} kWh, exported {kwh_text(report.exported_wh)} kWh, "
             f"imported {kwh_text(report.imported_wh)} kWh\ncaused import {report.caused_import_wh:.0f} Wh, "
             f"missed {report.missed_wh:.0f} Wh (exported while a load had room), relay switches "
             + (", ".join(f"{d.name} {d.switches}" for d in _drawn_relays(report, names)) or "none"))
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _drawn_relays(report: DailyReport, names: Sequence[str]) -> list[LoadDay]:
    """The relays of `report`, in the order their loads are drawn (`names`), those of its `removed` too: a relay of a
    day in parts that its last part has not is drawn as the others are (its switches were left out of the title)."""
    relays = [load for load in (*report.loads, *report.removed) if load.relay]
    return sorted(relays, key=lambda load: names.index(load.name) if load.name in names else len(names))


def _columns(day: RecordedDay, names: Sequence[str]) -> np.ndarray:
    """A part's rows to draw: PV, the house, each load of `names` (0 W where the part has it not), the grid."""
    records = day.records
    # (what each load drew in a decision's reading: its belief then, or what the reading measured of it; the first
    # row's interval is before the part began)
    drew = np.array([(0.0,) * len(day.names)] + [r.drew_w for r in records[1:]]).reshape(len(records), -1)
    loads = np.zeros((len(records), len(names)))
    for j, name in enumerate(day.names):
        loads[:, names.index(name)] = drew[:, j]
    consumption = np.array([r.consumption_w for r in records])
    production = np.array([r.production_w for r in records])
    # The loads drew, until a decision, what its reading says they drew (drew_w): the house is the rest.
    return np.column_stack([production, consumption - loads.sum(axis=1), loads, consumption - production])
