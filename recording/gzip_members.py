"""A day file's gzip members read back: every member that reads whole, in order, a damaged one skipped up to the next
that does, where the last whole one ends (after it: a batch cut short by a crash), and a file copied in text mode (its
LF bytes made CR LF) taken back to what it was. Apart from the day's CSV (recording/format.py, which reads its text
from these), for the recorder's repair of a cut tail (recording/store.py) reads the members alone."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

GZIP_MEMBER_START = b"\x1f\x8b\x08"  # gzip's magic and its one compression method: where a member may begin


@dataclass(frozen=True, slots=True)
class Members:
    """What a day file's bytes hold: the text of every member that reads whole, where the last of them
    ends, and how many bytes before that end were skipped as damaged."""

    text: bytes
    end: int  # bytes up to the end of the last whole member; after it: a batch cut short, or nothing
    skipped: int  # damaged bytes between whole members


_FEED_BYTES = 1 << 16  # a member is fed this much at a time (a batch is a few kB compressed)


def _whole_member(data: bytes, start: int) -> tuple[bytes, int] | None:
    """The text of the gzip member at `start` and where it ends, or None if it does not read whole."""
    # Fed a piece at a time from a view: given data[start:], each member copied the rest of the file twice (the
    # slice, then unused_data), a day of a batch a minute (1440 members) read in time growing with its square.
    inflater = zlib.decompressobj(wbits=31)
    view = memoryview(data)
    text: list[bytes] = []
    position = start
    try:
        while not inflater.eof and position < len(data):
            piece = view[position:position + _FEED_BYTES]
            text.append(inflater.decompress(piece))
            position += len(piece)
    except zlib.error:
        return None
    if not inflater.eof:
        return None  # cut short
    return b"".join(text), position - len(inflater.unused_data)


def read_members(data: bytes) -> Members:
    """Every whole member of `data`, in order. A member that does not read whole is skipped up to the next
    one that does (searched at each gzip member start): only what follows the last whole member is a tail."""
    text: list[bytes] = []
    end = position = skipped = 0
    while position < len(data):
        member = _whole_member(data, position)
        if member is None:
            # Damaged or cut short: is there a whole member further on? (Each candidate start is tried; a
            # false one inside compressed bytes fails its CRC.)
            found = data.find(GZIP_MEMBER_START, position + 1)
            while found != -1 and _whole_member(data, found) is None:
                found = data.find(GZIP_MEMBER_START, found + 1)
            if found == -1:
                break  # nothing whole after it: a tail cut short
            skipped += found - position
            position = found
            continue
        chunk, position = member
        text.append(chunk)
        end = position
    return Members(b"".join(text), end, skipped)


def text_mode_undone(data: bytes, members: Members) -> tuple[bytes, Members] | None:
    """`data` (gzip, read as `members`) as it was before a copy in text mode made every LF byte CR LF, and its members;
    None when it was no such copy. The reverse is exact (a CR LF of the file's own had become CR CR LF); taken only
    when it reads with nothing skipped, and more of it than the file as it is."""
    if not (members.skipped or members.end < len(data)) or b"\r\n" not in data:
        return None
    before = data.replace(b"\r\n", b"\n")
    undone = read_members(before)
    return (before, undone) if not undone.skipped and len(undone.text) > len(members.text) else None
