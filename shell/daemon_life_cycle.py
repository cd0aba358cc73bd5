"""The daemon's start, stop and signals, apart from its main loop: the stop signals caught (queued, never raised),
SIGHUP as logrotate's request to reopen the log, the start (the saved status restored, the saver, the recorder, the
link and the forecast fetcher started, then the loop), the stop (the loads to 0, the last status saved, each thread
ended within its bound, the lock let go).

A mixin of `shell.daemon.Daemon`, not an object of its own: these are the daemon's interface (regulation.py and the
tests call `daemon.run`, `daemon.catch_stop_signals`, `daemon.restore_saved_status`, and reach `_on_signal`), acting on
its state (which is declared below, set by `Daemon.__init__`)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from core.regulator import Regulator
from recording.days import recorded_days
from recording.writer import DayRecorder
from shell.clock_watch import steady_s
from shell.daemon_link_down import LinkReport
from shell.event_queue import EventQueue
from shell.forecast_fetch import ForecastFetcher
from shell.lock import InstanceLock
from shell.loglimit import FloodLimiter
from shell.logsetup import reopen_log_files
from shell.mqtt_link import MqttLink
from shell.removed_offs import RemovedOffs
from shell.stop_signals import StartHangup, StoppedWhileStarting, has_controlling_terminal, stop_signals_to_catch
from shell.unacknowledged_offs import UnacknowledgedOffs
from shell.while_down import WhileDown
from status.saver import StatusSaver
from status.store import load_status, remove_stale_temporaries, set_aside
from values.saved_numbers import saved_epoch

# The daemon's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("shell.daemon")


@dataclass(frozen=True, slots=True)
class StopRequest:
    """SIGINT, SIGTERM or SIGHUP arrived."""

    signal_name: str


@dataclass(frozen=True, slots=True)
class ReopenRequest:
    """SIGHUP arrived at a daemon started without a terminal: no hang-up, logrotate's (or a user's) request to
    open the log file again."""


class DaemonLifeCycle:
    """Signals, start and stop: the part of `Daemon` that runs once a life (and at a SIGHUP)."""

    # The daemon's state these use (set by Daemon.__init__), and the main loop's parts they call.
    lock: InstanceLock
    events: EventQueue
    reg: Regulator
    link: MqttLink
    removed_offs: RemovedOffs
    link_report: LinkReport
    saver: StatusSaver | None
    recorder: DayRecorder | None
    fetcher: ForecastFetcher | None
    status_file: Path
    config_name: str
    _catching: bool
    _stop_asked: StopRequest | None
    _started: bool
    _set_aside_at_start: bool  # the status file was set aside by the restore (restore_saved_status)
    _aside_dated_at: float | None  # ...and its date, when ahead of the clock
    limiter: FloodLimiter | None
    _exit_code: int
    unacknowledged_offs: UnacknowledgedOffs
    while_down: WhileDown
    _loop: Callable[[], None]
    _offer_snapshot: Callable[..., None]
    _offered: dict[str, Any] | None
    _follow_the_clock: Callable[[], None]

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Signal handlers run on the main thread between bytecodes: only enqueue (into a reentrant queue: see
        # Daemon.__init__).
        request = StopRequest(signal.Signals(signum).name)
        self._stop_asked = self._stop_asked or request  # (the first: the one the log names)
        self.events.put_from_signal(request)  # (wakes the loop's wait)

    def _on_reopen_signal(self, signum: int, frame: FrameType | None) -> None:
        self.events.put_from_signal(ReopenRequest())

    def catch_stop_signals(self) -> None:
        """Install the stop handlers (the main thread only; once): from then on a stop signal is queued, not raised.
        The start calls it as soon as the Daemon is built: until then a Ctrl-C or a terminal's hangup raises
        KeyboardInterrupt, which the start turns into a clean exit."""
        if self._catching or threading.current_thread() is not threading.main_thread():
            return
        # SIGHUP stops a daemon run in a terminal (closed, or its ssh session dropped). Without one (systemd,
        # cron), nothing hangs up: it is logrotate's postrotate asking, as of any daemon, to reopen the log; a
        # stop there was exit 0, which systemd's Restart=on-failure leaves stopped, nothing regulating.
        hangup_reopens = not has_controlling_terminal()
        for signum in stop_signals_to_catch():
            reopen = hangup_reopens and signum == getattr(signal, "SIGHUP", None)
            signal.signal(signum, self._on_reopen_signal if reopen else self._on_signal)
        self._catching = True

    def run(self, start_hangup: StartHangup | None = None) -> int:
        """Main loop; returns the exit code. `start_hangup`: a SIGHUP held while PySEB started (the log is reopened).
        Raises StoppedWhileStarting (the lock released) for a stop signal caught before it began, or while it
        restored the saved status (before the link starts)."""
        self.catch_stop_signals()
        self._stop_if_asked()  # (one between the start's end and here)
        if start_hangup is not None and start_hangup.arrived:
            self.events.put(ReopenRequest())  # (logrotate's, while starting: the log file was moved aside)
        if self.saver is not None:
            self.restore_saved_status(time.time())
            # (one during the restore, seconds on a slow card: seen by the loop only, it stopped a link just started)
            if self._stop_asked is not None and self._set_aside_at_start and self._save_what_was_set_aside():
                log.info("status saved to %s", self.saver.path)
            self._stop_if_asked()
            self.saver.start()
        if self.recorder is not None:
            log.info("recording each decision into %s (a batch every %.0f s)", self.recorder.directory,
                     self.recorder.flush_interval_s)
            self.recorder.start()
        failure = self.link.start(stop_asked=lambda: self._stop_asked is not None)
        if failure is not None:
            self.link_report.down(failure, steady_s())  # logged by the link with its details
        self._start_fetcher()
        try:
            self._loop()
        finally:
            self._shutdown()
        return self._exit_code

    def _start_fetcher(self) -> None:
        """The forecast fetcher started, its fetch at start handed to the regulator at once: a check due before the
        loop took the thread's word (a Connected queued first starts the regulator, whose first timer pass checks) waits
        for it."""
        if self.fetcher is None:
            return
        # (a step of the clock since the daemon was built, the restore and the broker's first attempt taking tens of
        # seconds at a boot: told now, the try is dated on the new clock; told by the loop after, the try moved again)
        self._follow_the_clock()
        # (the forecast restored from the status file, if any: a start soon after its fetch does not fetch again)
        # (and the last failure, kept while the server asks to wait: a restart loop asked it at every start; and the
        # seed rule's checks done, restored: a restart after tonight's check has no check due meanwhile)
        kept, held = self.reg.field.forecast.owm, self.reg.field.forecast.owm_failure
        under_way = self.fetcher.start(kept_at=kept.fetched_at if kept is not None else None, held=held,
                                       checks_done=self.reg.field.seed_checks_done_until)
        if under_way is not None:
            self.reg.on_forecast(under_way, under_way.started_at)

    def _stop_if_asked(self) -> None:
        """A stop signal caught while nothing is connected, commanded or saving yet: the lock let go, raise
        StoppedWhileStarting."""
        if self._stop_asked is not None:
            self.lock.release()
            raise StoppedWhileStarting(self._stop_asked.signal_name)

    def restore_saved_status(self, now: float) -> None:
        """Restore the status file at the start, before the saver runs. A file the restore cannot use at all (a bug
        in the restore, not only a bad file) is kept aside like an unreadable one: the first save replaced it."""
        if self.saver is None:
            return
        path = self.saver.path
        # The lock is ours: no save is under way, so any temporary file of our pattern is a killed save's.
        remove_stale_temporaries(path)
        document = load_status(path, keep_aside=True, expected_because=lambda: self._status_expected_because(path))
        kept_aside: list[bool] = []

        def aside(why: str, outcome: str) -> object:
            kept_aside.append(True)
            return set_aside(path, why, outcome)

        if document is not None:
            for warning in self.reg.restore(document, now, set_aside=aside):
                # (each its own kind for the flood limiter: the sixth removed load left on was said nowhere)
                log.warning("status restore: %s", warning, extra={"limit_key": warning})
        self._set_aside_at_start = bool(kept_aside)
        # (its date, when ahead of the clock: the best time known, for the snapshot a stop before the start saves)
        saved_at = saved_epoch(document.get("date")) if document is not None and kept_aside else None
        self._aside_dated_at = saved_at if saved_at is not None and saved_at > now else None
        # What is on disk now (nothing, after a file set aside): an order before the first status, or a first status
        # with other orders than those, is saved at once.
        self.saver.prime({} if document is None or kept_aside else document)

    def _save_what_was_set_aside(self) -> bool:
        """A stop before the regulation started, after a file was set aside at the start (dated ahead, a restore that
        failed part way): what keeps a load off, restored from it, was in memory only, and the next start, finding no
        file, started clean (a removed load left on for good, a force at 0 W gone). Saved, dated as the file was when
        ahead of the clock (a clock a month behind: dated by it, the next start with the clock set right found a force
        "until unforced" older than the 7 days one may last, and dropped it); True when on disk. (A stop caught during
        the restore itself, seconds on a Pi Zero, skipped it: the saver's thread had not started.)"""
        assert self.saver is not None
        self._offer_snapshot(fresh=True, dated_at=self._aside_dated_at)
        return self.saver.stop()

    def _status_expected_because(self, path: Path) -> list[str]:
        """What, outside the status file's folder, says a status file was saved before (its absence then warns,
        rather than being a first start's INFO line): the configured path a symlink to it, the recorder's days."""
        because = []
        configured = self.status_file
        if configured.is_symlink() and configured != path:
            because.append(f"the symlink {configured} names it")
        if self.recorder is not None and (days := recorded_days(self.recorder.directory)):
            because.append(f"the recorder has {len(days)} day(s) in {self.recorder.directory}, the last {days[-1]}")
        return because

    def _reopen_log(self) -> None:
        reopened = reopen_log_files()
        # (`systemctl reload pyseb` sends it too: one who edited the config first learns the reload did not read it)
        log.info("SIGHUP received (PySEB was started without a terminal: no hang-up, SIGTERM stops it): %s; %s is not "
                 "read again (a restart reads it)",
                 f"log file reopened: {', '.join(reopened)}" if reopened else "no log file to reopen",
                 self.config_name)

    def _offs_acknowledged_since_saved(self) -> list[str]:
        """The removed loads whose off the last snapshot offered (the stop's) kept pending and the broker has
        acknowledged since (none is sent after it)."""
        saved = self._offered.get("pending_offs") if self._offered is not None else None
        if not isinstance(saved, list):
            return []
        # (by load and topic: a load moved twice has two old devices, one acknowledged and not the other)
        pending = {(name, off.topic) for name, off in self.reg.pending_offs()}
        return [entry["name"] for entry in saved
                if isinstance(entry, dict) and isinstance(entry.get("off_command"), dict)
                and (entry.get("name"), entry["off_command"].get("topic")) not in pending]

    def _shutdown(self) -> None:
        # Its waits at most, in turn (a fetch under way, the status save (and its second, within the same bound),
        # the recorder's last batch, the broker's acknowledgement of `offline`, paho's thread: each module's
        # STOP_WAIT_S, OFFLINE_WAIT_S and
        # NETWORK_THREAD_WAIT_S), add up to less than contrib/pyseb.service's TimeoutStopSec (20 s), with room to
        # spare for the rest (tests/test_stop_faults.py adds them up). Longer, systemd killed PySEB on a card that
        # stopped answering, before its last steps, the unit failed.
        now = time.time()
        self.link.stopping()  # (what paho holds from now on, the stop's offs, goes out at a connect: not dropped)
        # (named by the link's stop if its offs may not have reached the broker: each stays on until PySEB runs again;
        # those commanded off before, their off not acknowledged, too: the stale guard's offs, the link dead or down)
        unacknowledged = self.unacknowledged_offs.pending()
        left_on = [load.name for load in self.reg.loads
                   if load.current_power_w > 0 or load.name in unacknowledged] if self._started else []
        if self._started:
            # (the stop's offs handed to paho whatever the link: dropped, they were not sent on a link back up since
            # its Connected event, still waiting; on a link down, the link's stop says they were not delivered)
            self.while_down.stopping()
            self.reg.shutdown(now)
            self._offer_snapshot(fresh=True)
        elif self.saver is not None and self._set_aside_at_start:
            self._offer_snapshot(fresh=True, dated_at=self._aside_dated_at)  # (_save_what_was_set_aside says why)
        elif self.saver is not None:
            # Stopped before the first connection: nothing has been decided since the restore, and the file holds
            # what the start had yet to do (a report of a day whose midnight passed while stopped, sent at the
            # start). A fresh status saved over it lost that report, in memory only.
            log.info("status file %s left as it was: stopped before the regulation started", self.saver.path)
        if self.fetcher is not None:
            self.fetcher.stop()
        saved = False  # (the removed loads' offs not acknowledged are in the file saved: sent by the next start)
        if self.saver is not None and self.saver.stop() and (self._started or self._set_aside_at_start):
            saved = True
            log.info("status saved to %s", self.saver.path)
        if self.recorder is not None:
            self.recorder.stop()
        self.link.stop(left_on=left_on, commanded=self._started)
        if saved and self.saver is not None and (acknowledged := self._offs_acknowledged_since_saved()):
            # The link's stop waits for the broker's acknowledgement of `offline`, those of the offs before it first:
            # one acknowledged then (a SIGTERM just after the start) was in the file saved before the wait, and the
            # next start sent it again. Saved once more without it, within what is left of the saver's STOP_WAIT_S
            # (a disk that stopped answering since: the stop still ends within TimeoutStopSec).
            self._offer_snapshot(fresh=True)
            if not self.saver.save_again():
                log.warning("%s: the broker acknowledged %s during the stop, but the status file still has %s: "
                            "sent again at the next start (an off sent twice)", ", ".join(acknowledged),
                            "its off" if len(acknowledged) == 1 else "their offs",
                            "it" if len(acknowledged) == 1 else "them")
        self.removed_offs.at_stop(saved)  # (after the link's stop: it waits for the broker's last acknowledgements)
        if self.limiter is not None:
            self.limiter.flush(all_open=True)  # (a flood's count was said only when its minute ended: lost at a stop)
        self.lock.release()
        log.info("stopped")
