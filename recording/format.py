"""The file format of a recorded day, and its tolerant reader.

A day file is gzip: several gzip members one after the other (each batch of decisions is one whole
member, appended), which gzip and `zcat` read as one stream. Its text is a CSV preceded by one line
that names the format and the loads' kinds:

    # pyseb-record 2 max_gap_s=10 loads=ecs:variable,radiator:relay
    time,production_w,consumption_w,ecs_command,ecs_believed_w,ecs_room_w,ecs_drew_w,radiator_command,...
    2026-05-01T12:00:02.512+02:00,4211.3,1523.0,42,1010.2,1289.8,1010.2,0,0,1000,0

Format 1 (until 2026-12) had no `drew_w` column (what each load drew in the decision's reading): read still, each
row's taken as the row before's `believed_w`, which is what the daily report counted then.

A member cut short (the process killed mid-write, power lost) can only be the last one: the reader drops
it, and the recorder cuts it off before it appends again, so a crash loses at most the batch being
written. A member damaged in the middle (a bad sector, a hand edit) is skipped: the reader goes on at the
next member that reads whole, and says how many bytes it skipped; nothing after it is lost or cut off.

The reader also takes the text unpacked (`gunzip`, a Windows unzip, re-saved with CRLF or a UTF-8 mark). The gzip
members are read in recording/gzip_members.py (read_members and text_mode_undone exported from here too).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from core.decisions import DecisionRecord
from recording.gzip_members import Members, read_members, text_mode_undone
from recording.offsets import RowOffsets, changed_at
from values.text import UTF8_MARK, windows_text

__all__ = ["MAGIC", "TEXT_MODE_COPY", "RecordError", "RecordedDay", "format_rows", "header_text", "is_record_file",
           "plain_day", "read_members", "read_record", "text_mode_undone"]

FAMILY = "# pyseb-record "  # (then the format's version)
MAGIC = FAMILY + "2"
LOAD_COLUMNS = ("command", "believed_w", "room_w", "drew_w")
# The columns of each format this reads, by its version: format 1 had no drew_w (an idle trial of a plug of unknown
# power was counted at the watts free for it, not at the ~0 W its reading measured).
FORMAT_COLUMNS = {"1": LOAD_COLUMNS[:3], "2": LOAD_COLUMNS}


class RecordError(ValueError):
    """A file that is not a recorded day, or one whose text does not parse; names the file and line."""


@dataclass(frozen=True, slots=True)
class RecordedDay:
    """A recorded day as read back."""

    path: str
    names: tuple[str, ...]
    relays: tuple[bool, ...]
    records: list[DecisionRecord]
    truncated: bool  # the file ended inside a batch (a crash): that batch is lost, the rest is here
    max_gap_s: float  # a longer interval between two decisions is a gap (the daemon's meter_timeout)
    date: str | None  # the local date of the first decision (YYYY-MM-DD), None without any
    tz: tzinfo | None  # for display: each instant at its rows' UTC offset (a DST day changes it), None without rows
    damaged_bytes: int = 0  # damaged batches skipped in the middle of the file (their decisions are lost)
    text_mode_copy: bool = False  # its LF bytes had become CR LF (a copy in text mode), undone to read it


TEXT_MODE_COPY = "copied in text mode (FTP's ASCII mode, a tool that changed its line ends): read as it was before"


def header_text(names: Sequence[str], relays: Sequence[bool], max_gap_s: float) -> str:
    """The first two lines of a day file."""
    kinds = ",".join(f"{name}:{'relay' if relay else 'variable'}" for name, relay in zip(names, relays, strict=True))
    return f"{MAGIC} max_gap_s={max_gap_s:g} loads={kinds}\n{','.join(_columns(names, LOAD_COLUMNS))}\n"


def _columns(names: Sequence[str], load_columns: Sequence[str]) -> list[str]:
    return ["time", "production_w", "consumption_w"] + [f"{n}_{c}" for n in names for c in load_columns]


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def format_rows(records: Iterable[DecisionRecord], tz: tzinfo | None) -> str:
    """CSV lines for `records` (times local, with their offset, to the millisecond)."""
    lines = []
    for record in records:
        stamp = datetime.fromtimestamp(record.time_s, tz) if tz is not None else \
            datetime.fromtimestamp(record.time_s).astimezone()
        cells = [stamp.isoformat(timespec="milliseconds"), _number(record.production_w),
                 _number(record.consumption_w)]
        for command, believed, room, drew in zip(record.command, record.believed_w, record.room_w, record.drew_w,
                                                 strict=True):
            cells += [f"{command:g}", _number(believed), _number(room), _number(drew)]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n" if lines else ""


def plain_day(data: bytes) -> bytes | None:
    """The text of a day file unpacked (gunzip, or Windows' unzip; maybe re-saved with a UTF-8 mark and CRLF), or None
    when `data` is not one: a day looked at on another machine and copied back reads as the file it came from."""
    text = data.removeprefix(UTF8_MARK)
    # (any version's: one this PySEB does not read is said so by the header's check, not "not a gzip file")
    return text if text.startswith(FAMILY.encode()) else None


def is_record_file(path: str | Path) -> bool:
    """True when `path` is a gzip file (a recorded day), a day file unpacked (its text starts with MAGIC), or an empty
    one named as such (`.gz`: a failed first write); a trace CSV is plain text of another header. One that cannot be
    read is a day when named as one (`.gz`): its reader then says why (a day file the user may not read was left out
    of a folder without a word)."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(UTF8_MARK) + len(MAGIC))
            gzipped = start[:2] == b"\x1f\x8b"
            return gzipped or plain_day(start) is not None or (not start and str(path).endswith(".gz"))
    except OSError:
        return str(path).endswith(".gz") and not Path(path).is_dir()


# A trace's columns (simulation/trace.py's), told from a recorded day's header in a file given for one.
TRACE_COLUMNS = ("time", "production_w", "house_w")


def _is_trace_header(text: str) -> bool:
    """Whether the first line of `text` names a trace's columns (whatever the spreadsheet's separator)."""
    first = text.partition("\n")[0]
    return all(column in first for column in TRACE_COLUMNS)


def _parse_header(name: str, first: str,
                  second: str) -> tuple[tuple[str, ...], tuple[bool, ...], float, tuple[str, ...]]:
    """The loads' names and kinds, max_gap_s, and each load's columns (its format's) of a day file's first two lines."""
    version = first.removeprefix(FAMILY).split(" ", 1)[0] if first.startswith(FAMILY) else None
    if version is not None and version not in FORMAT_COLUMNS:
        raise RecordError(f"{name}:1: a day recorded in format {version!r} ({first.split(' max_gap_s')[0][:40]}); "
                          f"this PySEB reads formats {' and '.join(FORMAT_COLUMNS)}: update it (git pull) to read "
                          "this day")
    magic = FAMILY + (version or "")
    fields = dict(item.partition("=")[::2] for item in first[len(magic):].split())
    if version is None or not first.startswith(magic + " ") or "loads" not in fields or "max_gap_s" not in fields:
        if _is_trace_header(first):
            raise RecordError(f"{name}:1: a trace ({','.join(TRACE_COLUMNS)}) packed with gzip: unpack it (gunzip "
                              f"{name}) for replay and tune; report takes a day PySEB recorded")
        raise RecordError(f"{name}:1: not a PySEB recorded day (expected a first line {MAGIC} max_gap_s=... "
                          "loads=...)")
    try:
        max_gap_s = float(fields["max_gap_s"])
    except ValueError:
        raise RecordError(f"{name}:1: max_gap_s is not a number: {fields['max_gap_s']!r}") from None
    if not (math.isfinite(max_gap_s) and max_gap_s > 0):  # (the recorder writes meter_timeout: a hand edit)
        raise RecordError(f"{name}:1: max_gap_s must be a number of seconds above 0, got {fields['max_gap_s']!r}")
    names: list[str] = []
    relays: list[bool] = []
    for item in fields["loads"].split(","):
        load, _, kind = item.partition(":")
        if not load or kind not in ("relay", "variable"):
            raise RecordError(f"{name}:1: bad load description {item!r}")
        names.append(load)
        relays.append(kind == "relay")
    load_columns = FORMAT_COLUMNS[version]
    expected = ",".join(_columns(names, load_columns))
    if second.strip() != expected:
        raise RecordError(f"{name}:2: unexpected columns (expected {expected})")
    return tuple(names), tuple(relays), max_gap_s, load_columns


def read_record(path: str | Path) -> RecordedDay:
    """Read a day file; a batch cut short at its end is dropped (`truncated`), damaged batches in the middle are
    skipped (`damaged_bytes`), anything else bad is an error."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise RecordError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if not data:  # (what a full disk leaves at a day's first write: the file made, its batch taken back)
        raise RecordError(f"{name}: empty: nothing recorded in it (a write that failed, a full disk?)")
    plain = plain_day(data)
    members = read_members(data) if plain is None else Members(plain, len(data), 0)
    text_mode_copy = False
    if plain is None and (undone := text_mode_undone(data, members)) is not None:
        (data, members), text_mode_copy = undone, True  # (the file as it was before that copy)
    if members.end == 0 and data[:2] != b"\x1f\x8b":
        trace = (f"; a trace ({','.join(TRACE_COLUMNS)}) has no decisions to report: replay it (python3 -m "
                 f"simulation replay {name} -c config.ini)") if _is_trace_header(windows_text(data[:200])) else ""
        raise RecordError(f"{name}: not a gzip file, nor a day file unpacked (a recorded day is .csv.gz, its text "
                          f"starts with {MAGIC}){trace}")
    try:  # (a UTF-8 mark in a day unpacked, re-saved by Notepad and packed again: read as the file it came from)
        lines = members.text.removeprefix(UTF8_MARK).decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise RecordError(f"{name}: not UTF-8 text inside") from None
    if len(lines) < 2:
        raise RecordError(f"{name}: no header (the first batch was lost, or the file is empty)")
    try:
        names, relays, max_gap_s, load_columns = _parse_header(name, lines[0], lines[1])
    except RecordError:
        if members.skipped:  # (the header is in the first batch alone: `zcat` gives one clean CSV)
            raise RecordError(f"{name}: its first batch, the only one with the header, is damaged: the day cannot "
                              "be read") from None
        raise
    per = len(load_columns)
    width = 3 + per * len(names)
    records: list[DecisionRecord] = []
    first_date: str | None = None  # (the local date of the first row)
    offsets: list[tuple[float, timedelta]] = []  # (the first row at each UTC offset: a DST day has two)
    for number, line in enumerate(lines[2:], start=3):
        if not line.strip():  # (a blank line an editor added: "1 fields, expected N" made the day unreadable)
            continue
        cells = line.split(",")
        if line.startswith(FAMILY):  # (`cat a.csv.gz b.csv.gz > c.csv.gz`: gzip reads both days as one)
            raise RecordError(f"{name}:{number}: a second day's header: two recorded days joined into one file; "
                              "give each day as its own file")
        if len(cells) != width:
            raise RecordError(f"{name}:{number}: {len(cells)} fields, expected {width}")
        try:
            when = datetime.fromisoformat(cells[0])
            stamp = when.timestamp()
            values = [float(c) for c in cells[1:]]
        except ValueError:
            raise RecordError(f"{name}:{number}: not a time or a number in {line!r}") from None
        if not datetime.min.year < when.year < datetime.max.year:
            # (as a trace is refused: the day before or after it is past the dates Python holds, and report, replay and
            # tune ended in a traceback)
            raise RecordError(f"{name}:{number}: a date in the year 1 or 9999 ({cells[0]!r}): no recorded day")
        if when.tzinfo is None:
            # (read in this machine's zone, the day replayed an hour off on a machine in UTC, the zone check skipped)
            raise RecordError(f"{name}:{number}: the time {cells[0]!r} has no UTC offset (the daemon writes one, "
                              f"{datetime.fromtimestamp(stamp).astimezone().isoformat(timespec='milliseconds')} "
                              "say): the instant it names is unknown")
        if not all(math.isfinite(v) for v in values):  # (the recorder writes none: a hand edit, as a trace refuses)
            raise RecordError(f"{name}:{number}: not a finite number in {line!r}")
        if not records:
            first_date = when.date().isoformat()
        offset = when.utcoffset()
        if offset is not None and (not offsets or offsets[-1][1] != offset):
            offsets.append((stamp if not records else changed_at(records[-1].time_s, stamp), offset))
        per_load = values[2:]
        believed = tuple(per_load[1::per])
        # (format 1, without drew_w: the row before's belief, what the daily report counted the interval at then; the
        # first row's own, what the replay took the house less)
        drew = tuple(per_load[3::per]) if per > 3 else records[-1].believed_w if records else believed
        records.append(DecisionRecord(stamp, values[1], values[0], tuple(per_load[0::per]), believed,
                                      tuple(per_load[2::per]), drew))
    return RecordedDay(name, names, relays, records, members.end < len(data), max_gap_s, first_date,
                       RowOffsets(offsets) if offsets else None, members.skipped, text_mode_copy)
