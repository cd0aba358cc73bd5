"""The `report` command of `python3 -m simulation`: a recorded day's report, each day given in turn."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from settings.version import DEFAULT_CONFIG
from shell.plot_file import plot_file

if TYPE_CHECKING:
    from core.daily_report import DailyReport
    from recording.format import RecordedDay

# (The command's modules are imported when it runs: they need numpy, and the options and --help are read before
# `python3 -m simulation` has checked that it is installed.)

__all__ = ["add_report_parser", "run_report"]


def add_report_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `report` command's options."""
    report = sub.add_parser("report", help="a recorded day's report (what the daemon publishes after midnight)",
                            description="Print a recorded day's report: PV, house, diverted, exported and imported "
                                        "energy, the import the loads caused, each relay's switches and the energy "
                                        "exported while a load still had room; --plot draws the day.")
    report.add_argument("days", metavar="DAY", nargs="+",
                        help="recorded days: files (pyseb-DAY.csv.gz, or unpacked), folders (all their days), "
                             "patterns, or dates YYYY-MM-DD (found in the config's [record] dir); each reported")
    report.add_argument("-c", "--config", type=Path,
                        help=f"PySEB config, to find a date's file in [record] dir (default: {DEFAULT_CONFIG}, "
                             "if here)")
    report.add_argument("--plot", type=plot_file, metavar="PNG",
                        help="draw the day (one day, its parts one after another; needs matplotlib)")
    report.set_defaults(own_parser=report)


def run_report(args: argparse.Namespace) -> int:
    """Print each recorded day's report (and draw the one day given with --plot); 2 when a day cannot be read."""
    from recording.days import day_of_file, day_parts, part_of_file
    from recording.format import RecordError, read_record
    from simulation.report import day_total, find_day, plot_report
    from simulation.tune import day_groups
    from simulation.tune_days import DayReads, resolve_days

    # (each day read once, for resolve_days' checks and its report: its report and its heading kept, not the day)
    reads = DayReads(_reported, (RecordError,))
    unread = 0
    found: list[Path] = []
    dated: list[str] = []  # (a date's parts that cannot be read: left out, as a folder's)
    for day in args.days:
        try:
            parts, left_out = find_day(day, args.config, reads)  # (a date: every part of that day)
            found += parts
            dated += left_out
        except RecordError as exc:  # (a date not recorded, the Pi off that day: said as a day that cannot be read)
            print(f"error: {exc}", file=sys.stderr)
            unread += 1
    # (as tune takes its days: a folder its days, a pattern no shell expanded its files, a day given twice once)
    files, folders, twice = resolve_days(found, reads)
    notes = [*dated, *folders, *twice]
    groups, _ = day_groups(files)  # (the parts of one day together, in order, as tune replays them as one)
    if args.plot and len(groups) > 1:  # (a day in parts is one: drawn whole, parts one after another)
        raise RecordError(f"--plot draws one day: {len(groups)} given (give the one to draw alone)")
    for note in notes:
        print(note)
    for group in groups:
        reports: list[DailyReport] = []
        read: list[Path] = []  # (the parts reported)
        before: _Part | None = None
        for path in group:
            try:  # (a day resolve_days did not read, or could not: read here, and its error said)
                heading, report, part = reads.kept((path,)) or _reported(path, read_record(path))
            except RecordError as exc:  # (said, and the other days reported: the exit code says one was not)
                print(f"error: {exc}", file=sys.stderr)
                unread += 1
                continue
            if path is not files[0] or notes:
                print()
            print(heading)
            if len(group) > 1:
                print(part.begins(path, before))
            # (a part among several: the day's total below says which parts it lacks; "this report covers ... only"
            # was said of each part, above a total of them)
            parts_note = _other_parts_note(path, files) if len(group) == 1 else None
            if parts_note:
                print(parts_note)
            print(report.text())
            reports.append(report)
            read.append(path)
            before = part
            if len(group) == 1:
                print(f"\nlog line: {report.line()}")
        if len(reports) > 1:
            # (the day's one report, as the daemon published it after that midnight: a part's alone is half a day)
            total = day_total(reports)
            key = day_of_file(group[0])
            recorded = day_parts(*key) if key is not None else list(group)
            # (a part left out, one of a folder or a date that cannot be read, one given that could not: not the
            # day's whole total, said so, and which; a part that could not be read left the day without its total)
            reported = {part_of_file(path) for path in read}
            lacks = [part.name for part in recorded if part_of_file(part) not in reported]
            which = (f"its {len(reports)} parts" if not lacks
                     else f"the {len(reports)} parts above, of its {len(recorded)} (not {', '.join(lacks)})")
            print(f"\n{total.date} in total, {which}:\n{total.text()}\n\nlog line: {total.line()}")
        if args.plot and reports:  # (the one day read again: its readings are not kept)
            plot_report(args.plot, day_total(reports), *(read_record(path) for path in read))
            print(f"plot: {args.plot}" + (f" (the {len(read)} parts above, one after another; each restart a dashed "
                                          "line)" if len(read) > 1 else ""))
    return 2 if unread else 0


@dataclass(frozen=True)  # (no slots: imported before the Python version check, which must run on a 3.8)
class _Part:
    """What tells one part of a day from the part before it: its header, and where it begins."""

    names: tuple[str, ...]
    relays: tuple[bool, ...]
    max_gap_s: float
    date: str
    first: str  # HH:MM:SS, its first decision's
    number: int  # which part of its day (part_of_file)

    def begins(self, path: Path, before: _Part | None) -> str:
        """Which part of its day the file `path` is, where it begins and, after the part `before`, what changed."""
        from recording.days import day_of_file, day_parts

        key = day_of_file(path)
        count = len(day_parts(*key)) if key is not None else 0
        said = f"part {self.number} of {count} of {self.date}, from {self.first}"
        if before is None:
            return said
        # (after a part not reported (left out, or not given), what changed at this one's start is not known: part 3
        # after part 1 of the same loads was said "the file format changed", part 2's other loads between them)
        since = "" if before.number == self.number - 1 else f" since part {before.number}"
        if (before.names, before.relays) != (self.names, self.relays):
            return f"{said}: its loads changed{since} ({', '.join(before.names)}, now {', '.join(self.names)})"
        if before.max_gap_s != self.max_gap_s:
            return (f"{said}: [evaluate] meter_timeout changed{since} ({before.max_gap_s:g} s, now "
                    f"{self.max_gap_s:g} s)")
        if since:
            return f"{said}: after part {before.number} (the part(s) between not reported)"
        return f"{said}: the file format changed (an update of PySEB)"


def _reported(path: Path, day: RecordedDay) -> tuple[str, DailyReport, _Part]:
    """The heading of the report of `day` (the file `path`), the report, and what tells it from another part."""
    from recording.days import part_of_file
    from recording.format import TEXT_MODE_COPY
    from simulation.recorded_house import below_zero_note, own_load_w
    from simulation.report import report_of
    from values.shown import counted

    report = report_of(path, day)  # (first: a day without a decision has no heading either)
    unseen = below_zero_note(str(path), own_load_w(day), held_at_zero=False)
    return (f"Report of {path} ({counted(len(day.records), 'decision')})"
            + (" -- its last batch was cut short (a crash): lost" if day.truncated else "")
            + (f" -- {day.damaged_bytes} bytes of damaged batches skipped (their decisions are lost)"
               if day.damaged_bytes else "")
            + (f" -- {TEXT_MODE_COPY}" if day.text_mode_copy else "")
            + (f"\nnote: {unseen}" if unseen else "")), report, _Part(
        day.names, day.relays, day.max_gap_s, day.date or "", datetime.fromtimestamp(day.records[0].time_s, day.tz)
        .strftime("%H:%M:%S"), part_of_file(path))


def _other_parts_note(path: Path, given: list[Path]) -> str | None:
    """A note when the day of `path` was recorded in several files (PARTS_WHY) and some are not among the `given`
    ones: each part has its own columns, and its own report."""
    from recording.days import PARTS_WHY, day_of_file, day_parts, part_of_file

    key = day_of_file(path)
    if key is None:
        return None
    folder, day = key
    reported = {part_of_file(other) for other in given if day_of_file(other) == key}  # (packed or not)
    parts = day_parts(folder, day)
    others = [part for part in parts if part_of_file(part) not in reported]
    if not others:
        return None
    return (f"note: {day} was recorded in {len(parts)} files ({PARTS_WHY}); this report "
            f"covers {path.name} only; the other(s): {', '.join(str(part) for part in others)}")
