"""The saver thread: every `interval_s` it writes the latest snapshot the main loop handed it, and at once
when a snapshot carries a new order (orders_of). It never touches live regulator objects (only the dict it was
given)."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

from status.store import save_status

log = logging.getLogger(__name__)


# The most a stop waits for its save, a save under way (a slow SD card) included: part of the daemon's stop, which
# must end within systemd's TimeoutStopSec (see shell/daemon_life_cycle.py's Daemon._shutdown).
STOP_WAIT_S = 6.0
# What of a load's entry in the status document is an order a restart restores: a force (whoever made it) and
# Home Assistant's force settings.
_ORDER_KEYS = ("forced", "forced_power", "force_end", "forced_by", "ha_force_power", "ha_force_duration_min")


def orders_of(document: dict[str, Any]) -> tuple[Any, ...]:
    """The orders in a status `document` (the forces, the water heater's mode, Home Assistant's settings), the time
    of the forecast fetched and where Home Assistant's entities were announced: what must reach the disk at once.
    Saved only every status_time (15 min), an unforce was lost to a power cut and the force it ended came back on at
    the restart, from the grid with no end."""
    loads = tuple(tuple(entry.get(key) for key in _ORDER_KEYS) + (entry.get("name"),)
                  for entry in document.get("equipments", ()) if isinstance(entry, dict))
    heater = document.get("water_heater")
    # The day a report counts (it changes at midnight, once the report is published): the file saved before it is
    # "yesterday's", and a restart from it (a power cut at 00:05) sent that day's report again, retained, cut at the
    # last save, over the whole day's.
    report = document.get("report_today")
    day = report.get("date") if isinstance(report, dict) else None
    # The forecast fetched (twice a day): saved only at status_time, a daemon crashing minutes after each start never
    # kept it, and fetched again at every start (shell.forecast_fetch: none within KEEP_AT_START_S of a kept one). So
    # is a failure's wait the server asked for (a 429, a refused key): a start before it does not ask.
    forecast = document.get("forecast")
    owm = forecast.get("openweathermap") if isinstance(forecast, dict) else None
    fetched = (owm.get("time"), owm.get("ask_again_after")) if isinstance(owm, dict) else None
    # Where Home Assistant's entities were announced (after a new node id, prefix or topic_regul, once the last run's
    # were removed): saved at status_time only, a power cut meanwhile left the old place in the file, and the next
    # start never looked for the device this run announced (field.homeassistant's status).
    # So are the old places whose configs were left alone (another PySEB `online` there): looked at again at a start.
    return (loads, heater.get("mode") if isinstance(heater, dict) else None, day, fetched, document.get("ha_discovery"),
            document.get("ha_discovery_left_alone"))


# What a failed save leaves at the status file's path, as its message says it (what_is_there).
LAST_SAVED = "the file there is the last saved one"


def what_is_there(path: Path) -> str:
    """What a failed save left at `path`: the last good file (save_status's rename), as a rule. A folder put in its
    place (a `mkdir` by mistake, a copy of the folder restored there) makes each save fail, with nothing saved there
    to read, and a missing file (removed by hand) leaves a restart nothing: said as they are, not as the last saved
    file. (Looked at on a saver's thread, after its save failed: never on the stop's, a stuck disk would hold it.)"""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no status file is there now: a restart before a save works starts without the saved status"
    except OSError:
        return LAST_SAVED  # (what is there cannot be looked at: the rename's rule)
    if stat.S_ISDIR(mode):
        return ("a folder is there, not the status file: every save fails until it is moved away, and PySEB does not "
                "start with it there")
    if not stat.S_ISREG(mode):
        return "what is there is not a status file: every save fails until it is moved away"
    return LAST_SAVED


def retry_wait_s(failures: int, first_s: float, interval_s: float) -> float:
    """How long after the `failures`-th failed save in a row the next is tried: `first_s`, twice as long at each
    failure, up to `interval_s` (status_time)."""
    return min(interval_s, first_s * 2 ** min(max(failures, 1) - 1, 32))


class StatusSaver:
    """Periodic, atomic saves of the last offered snapshot, on its own thread."""

    FIRST_RETRY_S = 5.0  # after a failed save, the next is tried this soon, then twice as late each time

    def __init__(self, path: Path, interval_s: float) -> None:
        # The file a symlink names (dangling or not), where the saves go: each save's rename over the link itself
        # replaced it by a plain file, beside it (a status file linked off a Pi's SD card came back to the card).
        # The restore, its temporaries and a file kept aside all go by this path too.
        self.path = Path(os.path.realpath(path))
        self.interval_s = interval_s
        self._lock = threading.Lock()  # the snapshot and its version
        # One save at a time, and never an older snapshot after a newer one: the stop's save on the main thread
        # and the thread's could both be under way (a slow card), and the older one's os.replace came last.
        self._write_lock = threading.Lock()
        self._snapshot: dict[str, Any] | None = None
        self._version = 0  # offers so far
        self._written = 0  # the version on disk
        self._failures = 0  # saves failed in a row (under the write lock)
        self._there = LAST_SAVED  # what the last failed save left at the path (what_is_there); read by the stop's
        self._orders: tuple[Any, ...] | None = None  # those of the last snapshot offered
        self._wake = threading.Event()  # a new order to write at once, or the stop
        self._stop = threading.Event()
        self._saved_at_stop = False  # the saver thread's last save, at the stop, put the last snapshot on disk
        self._stop_waited_s = 0.0  # of STOP_WAIT_S, what the stop's waits took so far (save_again's too)
        self._thread = threading.Thread(target=self._run, name="status-saver", daemon=True)

    def start(self) -> None:
        """Start the timer thread."""
        self._thread.start()

    def prime(self, on_disk: dict[str, Any]) -> None:
        """The orders of the file on disk at the start (`{}`: none, or one set aside): a first snapshot with others is
        written at once. Unprimed, the first snapshot's were taken for those on disk: an unforce sent before the first
        status (the first meter reading) waited for status_time, and a power cut then brought the force back on."""
        with self._lock:
            self._orders = orders_of(on_disk)

    def offer(self, snapshot: dict[str, Any]) -> None:
        """Hand over the newest snapshot (a fresh dict the main loop will not mutate); written at once when its
        orders changed (unprimed, the first one's are taken for those on disk: the restored ones)."""
        orders = orders_of(snapshot)
        with self._lock:
            self._snapshot = snapshot
            self._version += 1
            changed, self._orders = self._orders is not None and orders != self._orders, orders
        if changed:
            self._wake.set()

    def save_soon(self) -> None:
        """Write the last snapshot now, on the saver's thread, whatever its orders (the wall clock set right: the file's
        date on the old clock read, at a restart before the next save, as a file weeks old)."""
        self._wake.set()

    def save_now(self) -> bool:
        """Write the last snapshot if it is newer than the one on disk (after a save under way); True when the
        last snapshot is on disk (written now or before)."""
        with self._write_lock:
            with self._lock:  # (taken under the write lock: the newest at the time of writing)
                snapshot, version = self._snapshot, self._version
            if snapshot is None or version == self._written:
                return True
            try:
                save_status(self.path, snapshot)
            except Exception as exc:  # a bug (a value json cannot write) too: raised, it ended the saver's thread
                self._failed(exc)  # with a bare traceback (no save for the rest of the run) or the daemon's stop
                return False
            self._written = version
            failures, self._failures = self._failures, 0
            self._there = LAST_SAVED
        if failures:
            log.warning("status saved again to %s (%d saves failed before)", self.path, failures)
        else:
            log.debug("status saved to %s", self.path)
        return True

    def _failed(self, exc: Exception) -> None:
        # A full disk or a card gone read-only fails every save (each status_time, each order): the first is said,
        # the next ones at DEBUG until one works again (then said too), as the recorder does. The stop's save is
        # the last chance: its failure is always said. The file on disk is the last good one (save_status's rename).
        # Anything but an OSError is a bug: said as one, with its traceback.
        self._failures += 1
        self._there = there = what_is_there(self.path)
        bug = not isinstance(exc, OSError)
        why = f"internal error saving the status: {type(exc).__name__}: {exc}" if bug else str(exc)
        if self._stop.is_set():
            log.error("status not saved at the stop to %s: %s (%s)", self.path, why, there,
                      exc_info=exc if bug else None)
        elif self._failures == 1:
            log.error("cannot save status to %s: %s (%s; retried in %g s, then up to every %g s, further failures at "
                      "DEBUG until a save works)", self.path, why, there,
                      retry_wait_s(1, self.FIRST_RETRY_S, self.interval_s), self.interval_s,
                      exc_info=exc if bug else None)
        else:
            log.debug("cannot save status to %s: %s (%d failures in a row)", self.path, why, self._failures)

    def stop(self) -> bool:
        """Stop the thread, which writes what is pending; True when the last snapshot is on disk. Waits STOP_WAIT_S
        at most in all: a save under way, then the stop's own, both on the saver's thread. (Written on the main
        thread, the stop's save waited for a disk that had stopped answering as long as it took, and systemd killed
        PySEB at TimeoutStopSec, before its last steps.) A save left behind ends, or not, with the process: the
        file on disk is then the last saved one (save_status's rename)."""
        self._stop.set()
        self._wake.set()
        if not self._thread.is_alive():  # never started (a stop before the regulation started), or stopped before
            # (on a thread of its own too: written on the main thread, a stop before the start, with a file set aside
            # to save, waited for a disk that had stopped answering as long as it took)
            return self._save_on_a_thread("status-saver-stop", "status not saved to")
        if not self._waited(self._thread, "status not saved to"):
            return False
        return self._saved_at_stop

    def save_again(self) -> bool:
        """After the stop: write the snapshot offered since, if any, on a thread of its own; True when it is on disk.
        Waits what is left of the stop's STOP_WAIT_S at most (nothing left: not written): the two waits together are
        the one the daemon's stop counts (a second save on the main thread waited for a disk that had stopped
        answering as long as it took, past systemd's TimeoutStopSec)."""
        if STOP_WAIT_S - self._stop_waited_s <= 0:
            log.error("status not saved again to %s: the stop's %.0f s for saving are spent (%s)", self.path,
                      STOP_WAIT_S, self._there)
            return False
        return self._save_on_a_thread("status-saver-again", "status not saved again to")

    def _save_on_a_thread(self, name: str, not_saved: str) -> bool:
        """save_now on a thread of its own, waited for what is left of STOP_WAIT_S; True when on disk."""
        written: list[bool] = []
        saver = threading.Thread(target=lambda: written.append(self.save_now()), name=name, daemon=True)
        saver.start()
        return self._waited(saver, not_saved) and written == [True]

    def _waited(self, thread: threading.Thread, not_saved: str) -> bool:
        """Wait for `thread`'s save, what is left of STOP_WAIT_S at most; False (said) if it is still under way."""
        began = time.monotonic()
        thread.join(timeout=max(0.0, STOP_WAIT_S - self._stop_waited_s))
        self._stop_waited_s += time.monotonic() - began
        if thread.is_alive():
            log.error("%s %s: the disk has not finished saving in %.0f s (%s)", not_saved, self.path, STOP_WAIT_S,
                      self._there)
            return False
        return True

    def _run(self) -> None:
        wait_s = self.interval_s
        while True:
            self._wake.wait(wait_s)
            # (cleared before the stop is looked at: a stop between the look and the clear had its wake cleared, and
            # the thread slept status_time, 15 min by default, while the stop waited for its save and gave up)
            self._wake.clear()
            if self._stop.is_set():
                self._saved_at_stop = self.save_now()
                return
            # A failed save is tried again soon, then less and less often, up to status_time: an unforce whose save at
            # once failed (a card full for a moment) waited status_time though the next snapshots had the same orders,
            # and a power cut meanwhile brought the ended force back on.
            wait_s = self.interval_s if self.save_now() else retry_wait_s(self._failures, self.FIRST_RETRY_S,
                                                                         self.interval_s)
