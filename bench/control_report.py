"""bench/control.py's figures and how they are judged: what one replay is (Run) and measured (Figures), the table of
every run, the spread over the noise's draws, and the issue-8 goals, each met or missed."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from simulation.metrics import Summary


@dataclass(frozen=True, slots=True)
class Run:
    """One replay to make: a day, a house, an algorithm and the config overrides."""

    day: str
    house: str
    algorithm: str
    overrides: tuple[tuple[str, str, str], ...] = ()
    label: str = ""


@dataclass(frozen=True, slots=True)
class Figures:
    """What a run measured."""

    run: Run
    summary: Summary
    relays: tuple[int, ...]  # indexes of the on/off loads in the summary
    guard_sheds: int
    trial_sheds: int
    short_stretches: tuple[int, ...]  # per relay (as `relays`): on or off stretches shorter than the dwell
    excused: tuple[int, ...]  # per relay: switched off by the guard, a failed trial, or found idle
    late_oracle_caused_wh: float  # what the oracle's allocation, one reading late, imports
    late_oracle_capture_pct: float | None  # and what it captures
    within_oracle_capture_pct: float | None  # capture never counting more than the oracle in a period
    seconds: float


def _dwell(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_table(figures: Iterable[Figures]) -> None:
    """One line per run: capture, caused import, export, then per relay switches and dwells."""
    print(f"{'day':<24}{'house':<10}{'algorithm':<14}{'capture %':>10}{'caused Wh':>10}{'export Wh':>10}"
          f"{'guard':>6}{'trial':>6}  relays: switches (shortest on s / off s)")
    for f in figures:
        s = f.summary
        capture = "n/a" if s.capture_pct is None else f"{s.capture_pct:.2f}"
        relays = ", ".join(f"{s.names[i]} {s.switches[i]} ({_dwell(s.shortest_on_s[i])}/"
                           f"{_dwell(s.shortest_off_s[i])})" for i in f.relays)
        label = f.run.label or f.run.algorithm
        print(f"{f.run.day:<24}{f.run.house:<10}{label:<14}{capture:>10}{s.caused_import_wh:>10.1f}"
              f"{s.export_wh:>10.0f}{f.guard_sheds:>6}{f.trial_sheds:>6}  {relays}")


def _span(values: Sequence[float], digits: int) -> str:
    """'mean (min-max)' of a figure over the draws."""
    mean = sum(values) / len(values)
    return f"{mean:.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def print_spread(draws: Sequence[Sequence[Figures]]) -> None:
    """Each day, house and algorithm over the noise's draws (`draws[k]`: every run of draw k, in the same
    order): capture and caused import, mean and range, each relay's switches; then, per day and house,
    in how many draws the closed loop captured at least as much as Hébert's rule."""
    print(f"\nover {len(draws)} draws of the noise (seeds 1-{len(draws)}): mean (min-max)")
    print(f"{'day':<24}{'house':<10}{'algorithm':<14}{'capture %':>22}{'caused Wh':>20}  relays: switches")
    for k, first in enumerate(draws[0]):
        rows = [draw[k] for draw in draws]
        captures = [f.summary.capture_pct or 0.0 for f in rows]
        caused = [f.summary.caused_import_wh for f in rows]
        relays = ", ".join(f"{first.summary.names[i]} {min(f.summary.switches[i] for f in rows)}-"
                           f"{max(f.summary.switches[i] for f in rows)}" for i in first.relays)
        run = first.run
        print(f"{run.day:<24}{run.house:<10}{run.label or run.algorithm:<14}{_span(captures, 2):>22}"
              f"{_span(caused, 1):>20}  {relays}")
    by_key = [{(f.run.day, f.run.house, f.run.algorithm): f for f in draw} for draw in draws]
    for day, house, algorithm in by_key[0]:
        if algorithm != "closed_loop" or (day, house, "hebert") not in by_key[0]:
            continue
        above = sum(1 for figures in by_key
                    if (figures[(day, house, "closed_loop")].summary.capture_pct or 0.0)
                    >= (figures[(day, house, "hebert")].summary.capture_pct or 0.0))
        print(f"  {day} / {house}: the closed loop's capture >= Hébert's in {above} of {len(draws)} draws")


def goals(figures: Sequence[Figures], minute_days: Collection[str], houses: Collection[str]) -> list[tuple[str, bool]]:
    """The issue's targets, each with whether it was met, for every day and each of `houses` (those the issue set
    goals for); `minute_days`: the days read once a minute (the others every 10 s: their goals are Hébert's figures,
    not fixed ones)."""
    by_key = {(f.run.day, f.run.house, f.run.algorithm): f for f in figures
              if not f.run.label and f.run.house in houses}
    checks: list[tuple[str, bool]] = []
    for (day, house, algorithm), new in sorted(by_key.items()):
        if algorithm != "closed_loop" or (day, house, "hebert") not in by_key:
            continue
        old = by_key[(day, house, "hebert")].summary
        s, minute = new.summary, day in minute_days
        where = f"{day} / {house}:"
        capture, old_capture = s.capture_pct or 0.0, old.capture_pct or 0.0
        floor = 99.0 if minute else 98.5
        late, within = new.late_oracle_capture_pct, new.within_oracle_capture_pct
        old_within = by_key[(day, house, "hebert")].within_oracle_capture_pct
        notes = [f"the oracle a reading late: {late:.2f} %"] if late is not None else []
        if within is not None and old_within is not None:
            notes.append(f"never over the oracle in a period: {within:.2f} %, Hébert's {old_within:.2f} %")
        checks.append((f"{where} capture {capture:.3f} % >= {floor} % and >= Hébert's {old_capture:.3f} %"
                       + (f" ({'; '.join(notes)})" if notes else ""),
                       capture >= floor and capture >= old_capture))
        limit = 10.0 if minute else old.caused_import_wh + 10.0
        checks.append((f"{where} caused import {s.caused_import_wh:.1f} Wh <= {limit:.1f} Wh "
                       f"(the oracle a reading late: {new.late_oracle_caused_wh:.1f} Wh)",
                       s.caused_import_wh <= limit))
        for i in new.relays:
            limit_sw = 12 if minute else old.switches[i] / 2
            checks.append((f"{where} {s.names[i]} {s.switches[i]} switches <= {limit_sw:g}",
                           s.switches[i] <= limit_sw))
        # Every on and off stretch at least the dwell, except those cut by the guard, a failed measuring
        # trial, or an appliance found idle: per relay, no more short stretches than such exceptions.
        for k, i in enumerate(new.relays):
            checks.append((f"{where} {s.names[i]}: {new.short_stretches[k]} stretches under the dwell, "
                           f"{new.excused[k]} by the guard, a trial or idle",
                           new.short_stretches[k] <= new.excused[k]))
    return checks
