"""The day's figures, computed only from the per-period rows, so that a `--log` file recomputes them."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from core.daily_report import caused_import_w
from core.recheck_probes import probes_text

__all__ = ["LogError", "PeriodRow", "Summary", "format_summary", "read_log", "summarize", "write_log"]

FIXED_COLUMNS = ("time", "period_s", "production_w", "consumption_w", "grid_w")
LOAD_COLUMNS = ("command", "commanded_w", "real_w", "oracle_w")


class LogError(ValueError):
    """A log file that cannot be read back; the message names the file and line."""


# (Not frozen, though never changed once made: a frozen dataclass's __init__ sets each of its nine fields through
# object.__setattr__, 1.9 us a row against 0.4 us, and a replayed day at 2 s makes 28,800 of them.)
@dataclass(slots=True, unsafe_hash=True)  # (hashed by its fields, as a frozen one was)
class PeriodRow:
    """One physical period: meters, and per load (in priority order) its command, the regulator's belief
    of its watts, its real watts and the oracle's watts. Watts are rounded to 0.01 W when made, so the
    CSV log holds exactly what the figures are computed from. Never changed once made."""

    time_s: float
    period_s: float
    production_w: float
    consumption_w: float  # the house meter: base load plus the loads
    grid_w: float  # consumption - production: > 0 import, < 0 export
    command: tuple[float, ...]  # percent for a variator, 1/0 for a relay
    commanded_w: tuple[float, ...]  # what the regulator believes the load draws
    real_w: tuple[float, ...]
    oracle_w: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Summary:
    """The replay's figures; energies in the unit their name says."""

    names: tuple[str, ...]
    periods: int
    hours: float
    pv_kwh: float
    house_kwh: float
    load_kwh: tuple[float, ...]
    export_wh: float
    import_wh: float
    caused_import_wh: float
    oracle_kwh: tuple[float, ...]
    switches: tuple[int, ...]
    # Shortest time a load stayed on (off) between two switches; None: no such whole stretch in the run.
    shortest_on_s: tuple[float | None, ...]
    shortest_off_s: tuple[float | None, ...]
    # Per load, a full tank's re-check probes among its switches (core/recheck_probes.py), when the run's regulator
    # was there to tell them (a replay's; not a --log file's, nor the demo's); () when not told.
    recheck_probes: tuple[int, ...] = ()

    @property
    def loads_kwh(self) -> float:
        """Energy of all the loads."""
        return sum(self.load_kwh)

    @property
    def oracle_total_kwh(self) -> float:
        """What the oracle gave all the loads."""
        return sum(self.oracle_kwh)

    @property
    def capture_pct(self) -> float | None:
        """(load energy - caused import) / oracle, in %; None when the oracle had nothing to give."""
        oracle_wh = self.oracle_total_kwh * 1000.0
        if oracle_wh <= 0:
            return None
        return (self.loads_kwh * 1000.0 - self.caused_import_wh) / oracle_wh * 100.0


def _switching(count: int, rows: Sequence[PeriodRow]) -> tuple[tuple[int, ...], tuple[float | None, ...],
                                                                tuple[float | None, ...]]:
    """Per load: switches, shortest on-time and shortest off-time (dwell), in seconds.

    A load is on while its command is > 0 (a relay's 1, a variator's percent). Only stretches that
    begin and end with a switch count as dwells: the run's first and last stretches were cut by the
    replay's own bounds, not by the regulator.
    """
    switches = [0] * count
    shortest: list[dict[bool, float | None]] = [{True: None, False: None} for _ in range(count)]
    previous_on: list[bool] | None = None
    stretch_s = [0.0] * count
    whole = [False] * count  # did the current stretch begin with a switch?
    for row in rows:
        now_on = [level > 0 for level in row.command]
        for i in range(count):
            if previous_on is not None and now_on[i] != previous_on[i]:
                switches[i] += 1
                best = shortest[i][previous_on[i]]
                if whole[i] and (best is None or stretch_s[i] < best):
                    shortest[i][previous_on[i]] = stretch_s[i]
                stretch_s[i], whole[i] = 0.0, True
            stretch_s[i] += row.period_s
        previous_on = now_on
    return (tuple(switches), tuple(d[True] for d in shortest), tuple(d[False] for d in shortest))


def summarize(names: Sequence[str], rows: Sequence[PeriodRow]) -> Summary:
    """The figures of a run: energies, export/import, caused import, oracle, switches and dwells."""
    count = len(names)
    pv = house = export = imported = caused = seconds = 0.0
    load = [0.0] * count
    oracle = [0.0] * count
    for row in rows:
        dt = row.period_s
        seconds += dt
        loads_w = sum(row.real_w)
        pv += row.production_w * dt
        house += (row.consumption_w - loads_w) * dt
        if row.grid_w > 0:
            imported += row.grid_w * dt
            caused += caused_import_w(row.grid_w, loads_w) * dt
        else:
            export -= row.grid_w * dt
        for i in range(count):
            load[i] += row.real_w[i] * dt
            oracle[i] += row.oracle_w[i] * dt
    switches, shortest_on, shortest_off = _switching(count, rows)
    wh = 1 / 3600.0
    kwh = wh / 1000.0
    return Summary(tuple(names), len(rows), seconds / 3600.0, pv * kwh, house * kwh,
                   tuple(e * kwh for e in load), export * wh, imported * wh, caused * wh,
                   tuple(e * kwh for e in oracle), switches, shortest_on, shortest_off)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def format_summary(summary: Summary) -> str:
    """The figures as printed by `replay` and at the end of `demo`."""
    capture = summary.capture_pct
    lines = [
        f"{summary.periods} periods, {summary.hours:.2f} h",
        f"PV production      {summary.pv_kwh:9.2f} kWh",
        f"house (base load)  {summary.house_kwh:9.2f} kWh",
        f"loads              {summary.loads_kwh:9.2f} kWh",
        f"export             {summary.export_wh:9.0f} Wh",
        f"import             {summary.import_wh:9.0f} Wh",
        f"caused import      {summary.caused_import_wh:9.0f} Wh   (import while the loads draw)",
        f"oracle             {summary.oracle_total_kwh:9.2f} kWh  (best order-keeping allocation)",
        "capture            " + ("      n/a" if capture is None else f"{capture:9.1f} %")
        + "    ((loads - caused import) / oracle)",
        "",
        f"{'load':<16}{'energy kWh':>12}{'oracle kWh':>12}{'switches':>10}{'min on s':>10}{'min off s':>11}",
    ]
    for name, energy, best, switched, on_s, off_s in zip(summary.names, summary.load_kwh, summary.oracle_kwh,
                                                         summary.switches, summary.shortest_on_s,
                                                         summary.shortest_off_s, strict=True):
        lines.append(f"{name:<16}{energy:>12.2f}{best:>12.2f}{switched:>10d}{_seconds(on_s):>10}"
                     f"{_seconds(off_s):>11}")
    # (under the table: a heater full since the morning, probed every hour, showed 12 switches and 4 s on)
    probes = summary.recheck_probes or (0,) * len(summary.names)
    lines += [f"{name}: {2 * count} of its {switched} switches are {probes_text(count)} (its min on s counts them too)"
              for name, count, switched in zip(summary.names, probes, summary.switches, strict=True) if count]
    return "\n".join(lines)


def _header(names: Sequence[str]) -> list[str]:
    return list(FIXED_COLUMNS) + [f"{name}_{col}" for name in names for col in LOAD_COLUMNS]


def _time_text(time_s: float, tz: tzinfo | None) -> str:
    stamp = datetime.fromtimestamp(time_s, tz) if tz is not None else datetime.fromtimestamp(time_s).astimezone()
    return stamp.isoformat(timespec="milliseconds" if time_s % 1 else "seconds")


def write_log(path: str | Path, names: Sequence[str], rows: Sequence[PeriodRow],
              tz: tzinfo | None = None) -> None:
    """One CSV row per period; every printed figure can be recomputed from it (see `read_log`)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(_header(names))
        for row in rows:
            cells = [_time_text(row.time_s, tz), f"{row.period_s:g}", f"{row.production_w:.2f}",
                     f"{row.consumption_w:.2f}", f"{row.grid_w:.2f}"]
            for i in range(len(names)):
                cells += [f"{row.command[i]:.2f}", f"{row.commanded_w[i]:.2f}", f"{row.real_w[i]:.2f}",
                          f"{row.oracle_w[i]:.2f}"]
            out.writerow(cells)


def read_log(path: str | Path) -> tuple[tuple[str, ...], list[PeriodRow]]:
    """The load names and rows of a log written by `write_log`."""
    name = str(path)
    with open(path, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    if not lines or tuple(lines[0][:len(FIXED_COLUMNS)]) != FIXED_COLUMNS:
        raise LogError(f"{name}:1: not a replay log (expected columns {','.join(FIXED_COLUMNS)},...)")
    header = lines[0]
    names = tuple(col[:-len("_real_w")] for col in header if col.endswith("_real_w"))
    if header != _header(names):
        raise LogError(f"{name}:1: unexpected columns for loads {', '.join(names)}")
    rows: list[PeriodRow] = []
    for number, cells in enumerate(lines[1:], start=2):
        try:
            values = [float(c) for c in cells[1:]]
            stamp = datetime.fromisoformat(cells[0]).timestamp()
        except (ValueError, IndexError):
            raise LogError(f"{name}:{number}: not a number or time in {cells!r}") from None
        if len(values) != len(header) - 1:
            raise LogError(f"{name}:{number}: {len(cells)} fields, expected {len(header)}")
        per_load = values[4:]
        rows.append(PeriodRow(stamp, values[0], values[1], values[2], values[3],
                              tuple(per_load[0::4]), tuple(per_load[1::4]), tuple(per_load[2::4]),
                              tuple(per_load[3::4])))
    return names, rows
