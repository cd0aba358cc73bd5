"""One regulator per status file: an fcntl lock a second instance (e.g. started by cron) finds taken."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from values.file_modes import FILE_MODE, make_folder


class AlreadyRunning(RuntimeError):
    """Another instance holds the lock: `pid` ('?' when unknown) and the `note` it wrote after its PID."""

    def __init__(self, message: str, pid: str = "?", note: str = "") -> None:
        super().__init__(message)
        self.pid = pid
        self.note = note


class InstanceLock:
    """An exclusive, non-blocking lock on `path`, held until release() or process exit. The file holds the holder's
    PID, and on the next line `note` when given (what it is doing, for the refusal of a second one to say)."""

    def __init__(self, path: Path, note: str = "") -> None:
        self.path = path
        self.note = note
        self._fd: int | None = None
        self._said: str | None = None  # what `keep` said last (a lock that cannot be made again: said once)

    def acquire(self) -> None:
        """Take the lock or raise AlreadyRunning (with the holder's PID when known)."""
        make_folder(self.path.parent)
        writable = True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except PermissionError as refused:
            # Left by a run as another user (root, say): a read-only descriptor locks as well; only the PID
            # is not written. (No read permission either: the caller reports the PermissionError; no such file,
            # its directory refused to make it: that PermissionError, not "no such file".)
            try:
                fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                raise refused from None
            writable = False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder, _, note = os.read(fd, 4096).decode("utf-8", "replace").partition("\n")
            os.close(fd)
            pid = holder.strip() or "?"
            raise AlreadyRunning(f"another PySEB is running (pid {pid}, lock {self.path})", pid,
                                 note.strip()) from None
        if writable:
            os.ftruncate(fd, 0)  # (the last holder's PID is not ours, written or not below)
            try:
                os.write(fd, (f"{os.getpid()}\n" + (f"{self.note}\n" if self.note else "")).encode())
            except OSError:
                # A full disk (a Pi's SD card): the lock is held all the same, the PID only tells who holds it. Refused
                # as a lock that cannot be opened, the start exited 2, which systemd does not restart.
                pass
        self._fd = fd

    def keep(self) -> str | None:
        """While held: make sure `path` still names the file locked. Removed (its folder deleted by hand and made again
        by the status saver, a "stale" lock deleted) or replaced, the next start found no lock held and ran beside this
        one, both driving the same loads. Made and taken again; what to log when something was amiss (once for a
        lasting failure), else None."""
        if self._fd is None:
            return None
        try:
            on_disk, held = os.stat(self.path), os.fstat(self._fd)
            if (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino):
                self._said = None
                return None
        except (FileNotFoundError, NotADirectoryError):  # (removed; its folder replaced by a file)
            pass
        except OSError:  # (its folder unreadable for a moment: judged at the next call)
            return None
        old_fd, self._fd = self._fd, None
        try:
            self.acquire()
        except AlreadyRunning as other:
            self._fd = old_fd
            if other.pid == str(os.getpid()):  # (our own lock after all: a file system whose inodes did not compare)
                return None
            said = (f"the instance lock {self.path} was removed while this PySEB ran, and another (pid {other.pid}) "
                    "has taken a new one: two PySEBs are driving the same loads; stop one")
        except OSError as exc:
            self._fd = old_fd
            said = (f"the instance lock {self.path} was removed while this PySEB ran and cannot be made again "
                    f"({exc}): a second PySEB started on this status file would not be refused")
        else:
            os.close(old_fd)
            said = (f"the instance lock {self.path} was removed while this PySEB ran (its folder deleted?): made and "
                    "taken again, a second PySEB is refused again")
        if said == self._said:
            return None
        self._said = said
        return said

    def release(self) -> None:
        """Let go of the lock (the file stays; its content is the last holder's PID)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
