"""`python3 -m simulation tune`'s choice: each setting's figures over the days replayed (Outcome), the best within
the user's limits, what the grid reaches at best when none meets them, the notes on what the best capture costs (in
import, in switches), the trade-off table and the lines to paste into config.ini. Apart from running the replays
(simulation/tune.py): this part reads only the figures, never a file or a process."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulation.metrics import Summary
from simulation.tune_grid import Axis

__all__ = ["Outcome", "best", "config_lines", "fewer_switches_note", "format_table", "least_reached",
           "less_import_note", "outcome"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One setting over all the days."""

    setting: tuple[str, ...]
    days: int
    capture_pct: float | None
    caused_import_wh: float  # per day
    export_wh: float  # per day
    loads_kwh: float  # per day
    switches: tuple[float, ...]  # per relay, per day
    relays: tuple[str, ...]

def outcome(setting: tuple[str, ...], summaries: Sequence[Summary], relay_names: Sequence[str],
            days: int | None = None) -> Outcome:
    """One setting's figures over its days (per day means over `days`, default one per summary; capture
    over all of them)."""
    days = len(summaries) if days is None else days
    names = summaries[0].names
    loads_wh = sum(s.loads_kwh for s in summaries) * 1000.0
    caused = sum(s.caused_import_wh for s in summaries)
    oracle_wh = sum(s.oracle_total_kwh for s in summaries) * 1000.0
    capture = (loads_wh - caused) / oracle_wh * 100.0 if oracle_wh > 0 else None
    switches = tuple(sum(s.switches[names.index(r)] for s in summaries) / days for r in relay_names)
    return Outcome(setting, days, capture, caused / days, sum(s.export_wh for s in summaries) / days,
                   loads_wh / 1000.0 / days, switches, tuple(relay_names))


def best(outcomes: Sequence[Outcome], max_switches: float | None, max_import_wh: float | None,
         current: Sequence[str | None] = ()) -> Outcome | None:
    """The highest capture within the limits (ties: fewer switches, then less caused import), each figure
    compared as the table shows it (capture to 0.01 %, switches and caused import to 0.1): 16 mWh a day
    less caused import is no reason to change a setting. On a tie, the setting closest to `current` (the
    config's own values, per axis; None: no preference): a change is recommended only when the table
    shows it better."""
    fit = [o for o in outcomes if _within(o, max_switches, max_import_wh) and o.capture_pct is not None]
    if not fit:
        return None
    return max(fit, key=lambda o: (round(o.capture_pct or 0.0, 2), -round(max(o.switches, default=0.0), 1),
                                   -round(o.caused_import_wh, 1), _kept(o.setting, current)))


def _meets(figure: float, limit: float | None) -> bool:
    """`figure` within `limit` as the table shows it (to 0.1) or as it is: 24.33 switches, shown 24.3, met no limit of
    24.3, while the hint said 24.3 was the least any setting reaches; 24.26, shown 24.3, meets a limit of 24.28."""
    return limit is None or min(figure, round(figure, 1)) <= limit


def _within(o: Outcome, max_switches: float | None, max_import_wh: float | None) -> bool:
    """`o` within both limits (None: no limit), as the best, the notes and the hints compare them."""
    return all(_meets(s, max_switches) for s in o.switches) and _meets(o.caused_import_wh, max_import_wh)


def least_reached(outcomes: Sequence[Outcome], max_switches: float | None, max_import_wh: float | None) -> str:
    """What the grid reaches at best for each limit given, as the table shows it: how far to loosen them when no setting
    meets them (a figure each limit on its own; no one setting need reach both)."""
    scored = [o for o in outcomes if o.capture_pct is not None]
    said = []
    if max_switches is not None and any(o.switches for o in scored):
        said.append(f"{min(max(o.switches) for o in scored if o.switches):.1f} switches a day of a relay")
    if max_import_wh is not None and scored:
        said.append(f"{min(o.caused_import_wh for o in scored):.1f} Wh of caused import a day")
    return f"the least any setting reaches: {', '.join(said)}" if said else ""


def less_import_note(axes: Sequence[Axis], outcomes: Sequence[Outcome], chosen: Outcome,
                     max_import_wh: float | None, max_switches: float | None = None) -> str:
    """Without an import limit, the setting of the grid with the least caused import, when the chosen one has more (as
    the table shows them, to 0.1 Wh), so the user sees what the best capture costs before pasting it: it can be a loop
    that hunts, its loads swinging over the surplus and back (the overshoots take surplus the oracle leaves, their
    import counted against them only 1:1). Among the settings within `max_switches`, as the best is. "": an import limit
    was given, or nothing imports less."""
    if max_import_wh is not None:
        return ""
    least = _least(axes, outcomes, chosen, lambda o: o.caused_import_wh,
                   lambda o: _within(o, max_switches, None))
    if least is None:
        return ""
    found, setting = least
    return (f"(no import limit given; the least caused import, {found.caused_import_wh:.1f} Wh a day, is with "
            f"{setting} (capture {found.capture_pct:.2f} %), the best's {chosen.caused_import_wh:.1f} Wh: "
            "--max-import-wh N leaves out the settings over N Wh a day)")


def fewer_switches_note(axes: Sequence[Axis], outcomes: Sequence[Outcome], chosen: Outcome,
                        max_switches: float | None, max_import_wh: float | None = None) -> str:
    """Without a switch limit, the setting of the grid whose busiest relay switches least, when the chosen one's
    switches more (as the table shows them, to 0.1 a day), so the user sees what the best capture costs in wear before
    pasting it: with relays only, the shortest dwell of the grid captures most and switches twice as often
    (docs/control.md). Among the settings within `max_import_wh`, as the best is. "": a switch limit was given, no
    relay, or nothing switches less."""
    if max_switches is not None or not chosen.switches:
        return ""
    least = _least(axes, outcomes, chosen, lambda o: max(o.switches) if o.switches else math.inf,
                   lambda o: _within(o, None, max_import_wh))
    if least is None:
        return ""
    found, setting = least
    return (f"(no switch limit given; the fewest switches, {max(found.switches):.1f} a day of a relay, are with "
            f"{setting} (capture {found.capture_pct:.2f} %), the best's {max(chosen.switches):.1f}: --max-switches N "
            "leaves out the settings over N a day of any relay)")


def _least(axes: Sequence[Axis], outcomes: Sequence[Outcome], chosen: Outcome, figure: Callable[[Outcome], float],
           within: Callable[[Outcome], bool]) -> tuple[Outcome, str] | None:
    """The outcome of least `figure` among those scored and `within` the other limit, with its setting as
    `label=value, ...`, when it is less than the chosen one's as the table shows it (to 0.1); None otherwise. Ties as
    the table shows them (to 0.1 and a capture to 0.01 point): the first of the grid."""
    scored = [o for o in outcomes if o.capture_pct is not None and within(o)]
    least = min(scored, key=lambda o: (round(figure(o), 1), -round(o.capture_pct or 0.0, 2)), default=None)
    if least is None or round(figure(least), 1) >= round(figure(chosen), 1):
        return None
    return least, ", ".join(f"{axis.label}={value}" for axis, value in zip(axes, least.setting, strict=True))


def _kept(setting: Sequence[str], current: Sequence[str | None]) -> int:
    """How many of `setting`'s values are the config's current ones."""
    return sum(1 for value, now in zip(setting, current, strict=False) if value == now)


def format_table(axes: Sequence[Axis], outcomes: Sequence[Outcome], chosen: Outcome | None) -> str:
    """The trade-off table, best capture first; `*` marks the chosen setting."""
    relays = outcomes[0].relays if outcomes else ()
    widths = [max(len(axis.label), *(len(v) for v in axis.values)) for axis in axes]
    head = "  ".join(f"{axis.label:>{w}}" for axis, w in zip(axes, widths, strict=True))
    head += f"  {'capture %':>9}  {'caused Wh':>9}  {'export Wh':>9}  {'loads kWh':>9}"
    head += "".join(f"  {r + ' sw':>{max(9, len(r) + 3)}}" for r in relays)
    lines = ["  " + head]
    ordered = sorted(outcomes, key=lambda o: -(o.capture_pct if o.capture_pct is not None else -1e9))
    for o in ordered:
        cells = "  ".join(f"{v:>{w}}" for v, w in zip(o.setting, widths, strict=True))
        capture = "n/a" if o.capture_pct is None else f"{o.capture_pct:.2f}"
        cells += f"  {capture:>9}  {o.caused_import_wh:>9.1f}  {o.export_wh:>9.0f}  {o.loads_kwh:>9.2f}"
        cells += "".join(f"  {s:>{max(9, len(r) + 3)}.1f}" for r, s in zip(relays, o.switches, strict=True))
        lines.append(("* " if o is chosen else "  ") + cells)
    return "\n".join(lines)


def config_lines(axes: Sequence[Axis], setting: Sequence[str], current: Sequence[str | None] = ()) -> str:
    """The lines to paste into config.ini for `setting`, by section; an axis whose value is the config's
    `current` one is left out (nothing to change there)."""
    sections: dict[str, list[str]] = {}
    kept = tuple(current) + (None,) * (len(axes) - len(current))
    for axis, value, now in zip(axes, setting, kept, strict=True):
        if value == now:
            continue
        for section, key in axis.targets:
            sections.setdefault(section, []).append(f"{key} = {value}")
    return "\n".join(f"[{section}]\n" + "\n".join(lines) for section, lines in sections.items())
