"""The day files on disk: which part a batch goes to, appending a batch as one gzip member, repairing a tail cut by a
crash (their names and the old days' removal: recording/days.py)."""

from __future__ import annotations

import gzip
import logging
import os
import stat
import tempfile
import zlib
from datetime import date
from pathlib import Path

from recording.days import day_parts, part_of_file
from recording.format import plain_day
from recording.gzip_members import GZIP_MEMBER_START, read_members, text_mode_undone
from values import file_modes
from values.text import UTF8_MARK

__all__ = ["TEMP_SUFFIX", "FileState", "append_batch", "day_file", "file_state", "give_to_folder_owner", "make_folder"]

log = logging.getLogger(__name__)

# A day file rewritten whole (repair_tail) goes through `.<its name>.XXXXXXXX.tmp` beside it (mkstemp's name):
# what a kill in the middle leaves is that, and recording.leftovers removes it at the next start.
TEMP_SUFFIX = ".tmp"


# A file as it is on disk: (device, inode, size, modification time in ns), None when there is none. Another file renamed
# over it changes its inode, a copy written into it its size (and its time).
FileState = tuple[int, int, int, int] | None


def file_state(path: Path) -> FileState:
    """What tells `path` changed behind the recorder's back: its FileState."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


def _header_of(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(64 * 1024)
    except OSError:
        return None
    unpacked = plain_day(head)
    if unpacked is not None:  # (a day file unpacked and copied back: its header is its text's)
        text = unpacked
    else:
        members = read_members(head)
        undone = text_mode_undone(head, members)  # (a .csv.gz copied in text mode: its header as it was before)
        text = (members if undone is None else undone[1]).text
    if not text:
        # The first member may be longer than what was read: decompress the start of the stream (CR LF read as LF).
        try:
            with gzip.open(path, "rt", encoding="utf-8-sig") as stream:
                return stream.readline() + stream.readline()
        except (OSError, EOFError, UnicodeDecodeError, zlib.error):  # (zlib.error: a damaged batch, a bad sector)
            return None
    # (CR LF and a UTF-8 mark, a day unpacked, re-saved by Notepad, and packed again, as the readers take it: taken for
    # another config's, its next batches went to a -2 part, the day split for no change of loads)
    lines = text.removeprefix(UTF8_MARK).replace(b"\r\n", b"\n").decode("utf-8", "replace").splitlines(keepends=True)
    return "".join(lines[:2])


def day_file(directory: Path, day: date, header: str) -> Path:
    """The file for `day` whose loads are those of `header`: `pyseb-DAY.csv.gz`, or `-2`, `-3`... when
    the config's loads changed during the day (one file, one set of columns). Only the day's last part is
    appended to, so that the parts follow each other in time: a config changed and changed back went back into
    the first part, after the second part's afternoon, and the readers, which keep the day increasing, dropped that
    afternoon (a replay's sun drawn straight across its peak, 4 h "with no decision recorded")."""
    def part(index: int) -> Path:
        return directory / (f"pyseb-{day.isoformat()}.csv.gz" if index == 1 else
                            f"pyseb-{day.isoformat()}-{index}.csv.gz")

    # (the highest part, not the one before the first missing: with a -2 deleted, a batch went back into the first. A
    # part there unpacked only, `gunzip` of today's file in place, counts as the part it is: its decisions are packed
    # again into its .csv.gz before the batch, pack_unpacked_twin; left out, the next batch began a new .csv.gz, and
    # the readers, which take the .csv.gz, lost the day's start)
    written = [path for path in day_parts(directory, day.isoformat()) if path.stat().st_size > 0]
    if not written:
        return part(1)
    last = part_of_file(written[-1])
    existing = _header_of(written[-1])
    if existing is None or existing == header:  # ours (or one whose header is lost: append_batch repairs it)
        return written[-1] if written[-1].name.endswith(".gz") else part(last)
    if last >= 99:
        raise OSError(f"too many record files for {day} in {directory}")
    return part(last + 1)


def pack_unpacked_twin(path: Path) -> bool:
    """Before the first batch into `path`, a `.csv.gz` not there: its part unpacked in place (`gunzip` of today's file
    while PySEB runs) packed again into it, the `.csv` left as it is (the owner's; the readers take the `.csv.gz`,
    and say the `.csv` is the start of it). True when packed."""
    twin = path.with_name(path.name.removesuffix(".gz"))
    if path.exists() or twin == path or not twin.is_file():
        return False
    unpacked = plain_day(twin.read_bytes())
    if unpacked is None:
        return False  # (not a day: the readers say so)
    packed = gzip.compress(_whole_lines(unpacked), compresslevel=6, mtime=0)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_modes.FILE_MODE)
    try:
        give_to_folder_owner(fd, path.parent)
        _write_whole(fd, packed)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)  # (whole or not at all: a half member would be cut at the next start)
        raise
    os.close(fd)
    log.warning("record %s: the day's file was unpacked in place (%s) while recording: its decisions packed again "
                "into %s to record on in it; %s is left as it is", path, twin.name, path.name, twin.name)
    return True


def _whole_lines(text: bytes) -> bytes:
    """A day's text unpacked (maybe re-saved by an editor: CR LF, no line end after its last line) as the recorder
    writes it, LF after every line: the next batch appended to a last line with none joined the two into one row that
    no reader takes."""
    text = text.replace(b"\r\n", b"\n")
    return text if not text or text.endswith(b"\n") else text + b"\n"


def repair_tail(path: Path) -> int:
    """Cut `path` after its last whole gzip member (a crash may have left half of one); its new size. A day file
    unpacked and copied back under its name is packed again instead, one copied in text mode (CR LF) given back as
    it was; one that is none of these (not gzip, or more than a batch after its last whole member) is set aside,
    renamed, never cut: the batch then starts the day's file again."""
    if not path.is_file():
        return 0
    data = path.read_bytes()
    if not data:
        return 0
    unpacked = plain_day(data)
    if unpacked is not None:
        # The readers take it as the .csv.gz it came from; taken for a batch cut short, it was cut to nothing (the
        # day's decisions so far lost), and a batch appended to its text made it unreadable.
        packed = gzip.compress(_whole_lines(unpacked), compresslevel=6, mtime=0)
        _replace(path, packed)
        log.warning("record %s: a day file unpacked (its text, not gzip) was copied back: packed again to record on "
                    "in it", path)
        return len(packed)
    members = read_members(data)
    undone = text_mode_undone(data, members)
    if undone is not None:
        # (the readers undo it too; cut, it lost every batch that held a LF byte: the day's decisions so far)
        data, members = undone
        _replace(path, data)
        log.warning("record %s: a day file copied in text mode (its LF bytes made CR LF) was copied back: given back "
                    "as it was to record on in it", path)
    good = members.end  # (past any damaged batch in the middle: that is kept, and skipped)
    if good < len(data) and (not data.startswith(GZIP_MEMBER_START)
                             or data.find(GZIP_MEMBER_START, good + 1) != -1):
        # A crash leaves one member cut short, at the end of a file that starts with one: anything else is no
        # batch of ours to cut (a file put there by mistake, a copy damaged besides).
        aside = _set_aside_name(path)
        os.rename(path, aside)
        log.warning("record %s: not a day file that a crash cut short (not gzip, or several batches unreadable at "
                    "its end): set aside as %s, the day's recording starts again", path, aside.name)
        return 0
    if good < len(data):
        log.warning("record %s: %d bytes of a batch cut short by a crash removed", path, len(data) - good)
        with open(path, "r+b") as handle:
            handle.truncate(good)
            os.fsync(handle.fileno())
    return good


def _set_aside_name(path: Path) -> Path:
    """A free name beside `path` that no day file's pattern takes (not pruned, not written, not tuned as a day)."""
    for index in range(1, 1000):
        aside = path.with_name(f"set-aside{'' if index == 1 else f'-{index}'}-{path.name}")
        if not aside.exists():
            return aside
    raise OSError(f"too many files set aside beside {path}")


def _write_whole(fd: int, data: bytes) -> None:
    """All of `data` to `fd` (os.write may take part of it), then to the disk (fsync)."""
    written = 0
    while written < len(data):
        written += os.write(fd, data[written:])
    os.fsync(fd)


def _replace(path: Path, data: bytes) -> None:
    """Write `data` as the existing `path`, whole or not at all (temp file beside it, fsync, rename), its mode kept."""
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, mode)
        give_to_folder_owner(fd, path.parent)
        _write_whole(fd, data)
    except OSError:
        os.close(fd)
        os.unlink(temp)
        raise
    os.close(fd)
    os.replace(temp, path)


def append_batch(path: Path, text: str, header: str) -> int:
    """Append `text` (whole CSV lines) as one gzip member, the header first in a new file; fsync'ed.
    Returns the bytes written. One write of a whole member: a crash leaves at most that member cut. A file that does
    not start as gzip (a day unpacked swapped in while recording, for a caller that does not check the file as the
    recorder does) is repaired as at the start first, never appended to."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(GZIP_MEMBER_START))
    except FileNotFoundError:
        start = b""
    if start and start != GZIP_MEMBER_START:
        repair_tail(path)  # (ours unpacked: packed again; anything else: set aside)
    new = not path.exists() or path.stat().st_size == 0
    payload = gzip.compress(((header if new else "") + text).encode("utf-8"), compresslevel=6, mtime=0)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, file_modes.FILE_MODE)
    try:
        if new:
            give_to_folder_owner(fd, path.parent)
        size_before = os.fstat(fd).st_size
        _write_whole(fd, payload)
    except OSError:
        # A disk that filled up mid-member: take the half member back, or the next batch would follow garbage.
        try:
            os.ftruncate(fd, size_before)
        except OSError:
            pass  # the tail is repaired at the next start (repair_tail)
        raise
    finally:
        os.close(fd)
    return len(payload)


def give_to_folder_owner(fd: int, folder: Path) -> None:
    """As root, give a file just made (or a folder, by `fd` opened on it) the owner of `folder`, unless that
    is root: one run as root (a test by hand) must not leave the day's recording to root, and the service
    user unable to add to it for the rest of the day (as the status file keeps its owner)."""
    if os.geteuid() != 0:
        return
    owner = os.stat(folder)
    if (owner.st_uid, owner.st_gid) != (0, 0):
        os.fchown(fd, owner.st_uid, owner.st_gid)


def make_folder(directory: Path) -> None:
    """Make the recordings' folder (and its parents) if missing; made as root, it gets its parent's owner."""
    if directory.is_dir():
        return
    file_modes.make_folder(directory)
    fd = os.open(directory, os.O_RDONLY)
    try:
        give_to_folder_owner(fd, directory.parent)
    finally:
        os.close(fd)
