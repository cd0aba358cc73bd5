"""What every tool that drives a variator over MQTT shares (the calibration sweep, the house meter's lag): one
armed link with the end percent as its will, an event queue fed by paho's thread, the refusal to run while the
regulator is online, and the clearing of a percent left retained on the command topic.

One thread of ours (the caller's) and paho's network thread. Callbacks only hand events over through a
SimpleQueue (its put() is reentrant, so a signal handler may call `stop` too); the tool blocks on that queue with
a timeout set by its next deadline: no busy-wait, no sleep loop.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable

from calibration.sweep_link import SweepError, SweepLink, format_percent
from calibration.sweep_measure import Event, SweepStopped
from calibration.sweep_target import SweepTarget

__all__ = ["VariatorSession"]

log = logging.getLogger(__name__)


class VariatorSession:
    """The link and the events of one tool driving one variator; `stop()` may come from anywhere."""

    TOOL = "the sweep"  # what the messages call the tool
    END_ANSWER_WAIT_S = 0.0  # how long the end waits for the variator's status at the end percent (end_confirmed)

    def __init__(self, target: SweepTarget, end_percent: float, availability_wait_s: float,
                 progress: Callable[[str], None] | None = None, ignore_availability: bool = False) -> None:
        """`end_percent`: where the load is left however the tool ends (the link's will too);
        `availability_wait_s`: how long to wait for the regulator's retained availability."""
        self.target = target
        self.availability_wait_s = availability_wait_s
        self.ignore_availability = ignore_availability
        self._progress = progress
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self._link = SweepLink(target, end_percent, self._on_event, heed_availability=not ignore_availability)
        # Where the load may have been left, when the broker never confirmed the end percent (see finish).
        self.left_at_percent: float | None = None
        # The variator's status said it runs at the end percent (False: sent, not confirmed; see _finish).
        self.end_confirmed = False

    @property
    def commanded(self) -> bool:
        """True once a percent was sent to the variator (before, the load is wherever it was)."""
        return self._link.commanded

    def where_it_ended(self) -> str:
        """Where the load is left, as far as the variator said (after `run()`): at the end percent only once its
        status confirmed it (the broker's acknowledgement is no proof: a variator offline, or stuck at 100 %, was
        said "at 0.0 %"). The sweep's and the lag measure's one wording of it."""
        if not self.commanded:
            return "nothing was sent to the variator"
        end = format_percent(self._link.end_percent)
        if self.end_confirmed:
            return f"the load is at {end} %"
        status = self.target.topic_variator_status
        why = (f"no status at {end} % on {status}" if status is not None
               else "--no-answers" if not self.target.answers else "no status topic to hear it on")
        said = f"the end percent, {end} %, was sent, not confirmed by the variator ({why})"
        last = self._link.last_percent
        if self._link.yielded_to_regulator:
            return f"{said}: the regulator, online, commands the variator now"
        if status is None or last is None or last == self._link.end_percent:
            return said
        # (a variator off the network then lost it: back, it runs on at the last percent it took)
        return (f"{said}: if it was off the network, it may run on once back at the last percent it took (the last "
                f"sent: {format_percent(last)} %); set it then with: "
                f"{self.target.mosquitto_pub('-t', self.target.topic_set_power, '-m', end)}")

    def stop(self, reason: str) -> None:
        """Ask the session to end: the load goes to the end percent. Signal-safe. Asked again while the end waits
        for a broker that went away, it gives that wait up."""
        self._events.put(("stop", time.monotonic(), reason))
        self._link.stop_asked_at = time.monotonic()

    def _on_event(self, kind: str, data: object) -> None:
        self._events.put((kind, time.monotonic(), data))

    def _say(self, line: str) -> None:
        log.info("%s", line)
        if self._progress is not None:
            self._progress(line)

    def _next_event(self, deadline: float) -> Event | None:
        try:
            return self._events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return None

    def _wait_connected(self, link: SweepLink | None = None) -> None:
        """Wait for `link`'s (the tool's own by default) CONNECT to be answered, 10 s at most."""
        deadline = time.monotonic() + 10.0
        while (event := self._next_event(deadline)) is not None:
            kind, _, data = event
            if kind == "connected":
                return
            if kind == "refused":
                raise SweepError(f"the broker {self.target.host}:{self.target.port} refused the connection: "
                                 f"{data}")
            if kind == "disconnected":
                raise SweepError(f"cannot connect to the broker {self.target.host}:{self.target.port}: {data}")
            if kind == "stop":
                raise SweepStopped(str(data))
        unanswered = (link or self._link).unanswered()
        if unanswered is not None:  # (the connection taken, held without a word: what to check, as the daemon says)
            waited_s, reason = unanswered
            raise SweepError(f"cannot connect to the broker: {reason}; no answer in {waited_s:.0f} s")
        raise SweepError(f"no answer from the broker {self.target.host}:{self.target.port} within 10 s")

    def _check_regulator(self) -> None:
        """Refuse to run while the regulator says it is online: it would command the same variator.

        Checked on a connection of its own, without a will: a kill during the check sends nothing. Once it passes (the
        availability `offline`, none within the wait, or `online` with --ignore-availability: the user vouches it is
        stale), a percent retained on the variator's command topic is cleared (`_clear_leftover`): PySEB never
        retains its commands, so only a leftover (the seed's) is lost, and the tool commands the variator anyway.
        """
        checker = SweepLink(self.target, self._link.end_percent, self._on_event, armed=False)
        checker.start()
        try:
            self._wait_connected(checker)
            log.info("checking the regulator's availability on %s", self.target.topic_availability)
            deadline = time.monotonic() + self.availability_wait_s
            leftover: bytes | None = None
            while (event := self._next_event(deadline)) is not None:
                kind, _, data = event
                if kind == "leftover" and isinstance(data, bytes):
                    leftover = data or None  # (an empty one is a deletion, not a message)
                if kind == "availability" and data == "online" and not self.ignore_availability:
                    raise SweepError(f"the regulator is online ({self.target.topic_availability} = online): it "
                                     f"would fight {self.TOOL} for the variator. Stop it first (its availability "
                                     f"then turns offline), or pass --ignore-availability if that retained "
                                     f"message is stale.")
                if kind == "stop":
                    raise SweepStopped(str(data))
            if leftover is not None:
                self._clear_leftover(checker, leftover)
        finally:
            checker.finish()

    def _clear_leftover(self, checker: SweepLink, payload: bytes) -> None:
        """A message retained on the variator's command topic: the variator takes it again at each reconnect, after
        the tool as during it (the heater at the seed's last percent, the regulator stopped). Called once the
        regulator's check has passed (with --ignore-availability over an `online` too). A percent is cleared (the
        tool's first command follows); anything else is someone's word, said with how to clear it."""
        topic = self.target.topic_set_power
        shown = repr(payload[:40].decode("utf-8", "replace"))
        clear = self.target.mosquitto_pub("-r", "-n", "-t", topic)
        try:
            percent: float | None = float(payload.decode("utf-8").strip())
        except (UnicodeDecodeError, ValueError):
            percent = None
        if percent is None or not 0.0 <= percent <= 100.0:
            self._say(f"warning: a message is retained on {topic} ({shown}): the variator takes it again at each "
                      f"reconnect, after {self.TOOL} too; left as it is (clear it: {clear})")
        elif checker.clear_retained():
            self._say(f"a percent was left retained on {topic} ({shown}; the seed published its percents retained): "
                      f"the variator would take it again at each reconnect, after {self.TOOL} too; cleared")
        else:
            self._say(f"warning: a percent is left retained on {topic} ({shown}), which the variator takes again at "
                      f"each reconnect, and the broker did not confirm clearing it: clear it with {clear}")

    def _finish(self) -> None:
        """The load to the end percent, then a clean disconnect. Unconfirmed (the broker went away and did not come
        back in time), the load may still be at the last percent sent: `left_at_percent` says it. `end_confirmed`:
        the variator's status said it runs at the end percent (waited for up to END_ANSWER_WAIT_S)."""
        if not self._link.finish(answer_wait_s=self.END_ANSWER_WAIT_S):
            self.left_at_percent = self._link.last_percent
        self.end_confirmed = self._link.end_answered
