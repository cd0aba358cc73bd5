"""The broker out of reach, as the daemon's log says it: LinkReport (the reason once, then a reminder, timed on the
steady clock) and the part of `Daemon` that meets a connection lost, refused or left unanswered (DaemonLinkDown: a
takeover by another client with our client id, or a status too big for the broker, said with the drop). Apart from
the link's other events (shell/daemon_link.py) because it is one job: the outage, from its first line to its
reminders; the connection that ends it is said there, with LinkReport.up.

A mixin of `shell.daemon.Daemon` (its `_loop` calls these), acting on the daemon's state (declared below, set by
`Daemon.__init__`)."""

from __future__ import annotations

import logging

from core.regulator import Regulator
from shell.clock_watch import steady_s
from shell.link_events import ATTEMPT_FAILED, Disconnected
from shell.mqtt_link import RETRY_PACE, MqttLink, retry_pace
from shell.paho_compat import CONNECTION_CLOSED
from shell.status_drops import IN_A_ROW as STATUS_DROPS_IN_A_ROW
from shell.status_drops import StatusDrops
from shell.while_down import WhileDown

# The daemon's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("shell.daemon")

OVERSIZE = "oversize packet"  # what mosquitto logs when it drops a client for a message over its max_packet_size


class LinkReport:
    """What the log says while the broker cannot be had: the reason once, then a reminder every
    `reminder_s` while the same reason lasts (paho retries every few seconds: a line per retry would
    bury everything else). Its times are the steady clock's (steady_s): the network coming back at a Pi's boot
    brings NTP's jump with it, and the outage was said to have lasted hours."""

    def __init__(self, reminder_s: float = 600.0) -> None:
        self.reminder_s = reminder_s
        self.down_since: float | None = None
        self.reason: str | None = None
        self.attempts = 0
        self._told_at = 0.0

    def down(self, reason: str, now: float, attempt: bool = True) -> str | None:
        """One more failed attempt, or a lost link (`attempt` False: no attempt of ours failed, and "connected again
        after 1 s (1 failed attempt)" said one had): "first", "reminder" or None (say nothing)."""
        self.attempts += attempt
        if self.down_since is None:
            self.down_since = now
        if reason != self.reason:
            self.reason, self._told_at = reason, now
            return "first"
        if now - self._told_at >= self.reminder_s:
            self._told_at = now
            return "reminder"
        return None

    def up(self, now: float) -> tuple[float, int] | None:
        """Connected: (seconds it was down, failed attempts), or None when it was not down."""
        if self.down_since is None:
            return None
        down = (now - self.down_since, self.attempts)
        self.down_since, self.reason, self.attempts = None, None, 0
        return down


class DaemonLinkDown:
    """The link down, as the main loop meets it: the part of `Daemon` that says the broker is out of reach."""

    # The daemon's state these use (set by Daemon.__init__).
    reg: Regulator
    link: MqttLink
    link_report: LinkReport
    client_id: str
    status_drops: StatusDrops  # the statuses sent, and the drops right after one
    _started: bool
    while_down: WhileDown  # what the regulator published while the link was down (dropped)

    def _check_answer(self) -> None:
        """A connection the broker took and has not answered for a few seconds, said then: paho waits for the answer
        up to [mqtt] keepalive, and the log was silent for as long. Its drop, said with the same reason, is not said
        again."""
        unanswered = self.link.unanswered()
        if unanswered is not None:
            waited_s, reason = unanswered
            self._report_down(f"cannot connect to the broker: {reason}", attempt=False,
                              pace=retry_pace(self.link.settings.keepalive),
                              so_far=f"; no answer in {waited_s:.0f} s so far")

    def _report_down(self, reason: str, level: int = logging.WARNING, attempt: bool = True, pace: str = RETRY_PACE,
                     so_far: str = "") -> None:
        """`reason` said once, then reminded; `pace`: how soon PySEB tries again; `so_far`: said after the reason the
        first time only (not a part of it: the same failure said later without it is no news)."""
        now = steady_s()
        said = self.link_report.down(reason, now, attempt)
        if said == "first":
            log.log(level, "%s%s; %s (logged again every %.0f min while it lasts)", reason, so_far, pace,
                    self.link_report.reminder_s / 60)
        elif said == "reminder":
            assert self.link_report.down_since is not None
            log.log(level, "still not connected: %s (%d attempts in %.0f min)", reason, self.link_report.attempts,
                    (now - self.link_report.down_since) / 60)

    def _oversize_hint(self, event: Disconnected) -> str:
        """What drops each right after a status may be: a broker whose packet limit is under its size drops the link
        at each status (mosquitto's max_packet_size; the status grows with the loads). Said only when the evidence
        points at the size (StatusDrops: the broker closed the link right after a status bigger than any it took and
        than any other message sent with it, twice in a row): a status goes out every few seconds, and two broker
        restarts days apart, each within 2 s of one, were told to raise it. From then on the status is held back while
        too big (StatusDrops.allows: the link holds, the loads are regulated), one tried a minute on (the two drops may
        have been a broker restarted twice), then hourly: a try the broker drops again is said as such."""
        drops = self.status_drops
        held = drops.holding
        size = drops.dropped(event.at, event.reason == CONNECTION_CLOSED)
        every = f"{drops.retry_s / 60:.0f} min"
        passed = f"{drops.passed_bytes} bytes" if drops.passed_bytes else "none so far"
        if size is not None and held:
            return (f", just after PySEB tried its status again ({size} bytes), held back as too big for the broker: "
                    f"still too big, held back again (raise its max_packet_size: \"{OVERSIZE}\" in its log); tried "
                    f"again in {every}")
        if size is None or drops.in_a_row < STATUS_DROPS_IN_A_ROW:
            return ""
        # (held back from now on: shell/status_drops.py; the status file is saved as ever)
        return (f", just after PySEB published its status ({size} bytes): a broker that refuses a message as too big "
                f"(\"{OVERSIZE}\" in its log) drops the link so; raise its max_packet_size; until it fits, PySEB "
                f"publishes no status bigger than the largest the broker took ({passed}), and tries one again in "
                f"{drops.first_try_s / 60:.0f} min, then every {every}")

    def _on_disconnected(self, event: Disconnected) -> None:
        log.debug("not connected to the broker (%s): retrying", event.reason)
        self.while_down.went_down()
        if self._started:
            self.reg.on_disconnected(event.at)
        if event.backoff_s is not None:
            # (a drop in its row all the same: the one that begins the status's hold is said with it, else it began
            # unsaid)
            hint = self._oversize_hint(event)
            # (its own sentence: after "Next attempt in 30 s", ", just after PySEB published its status" read as the
            # attempt's time)
            hint = f". This drop came {hint.removeprefix(', ')}" if hint else ""
            log.warning("the broker dropped the connection %d times in a row within seconds of connecting: another "
                        "client is probably connected with client_id %r (a second PySEB with a copy of this "
                        "config?); give each its own [mqtt] client_id. Or the broker refuses one of PySEB's "
                        "messages as too big (its log says \"%s\"): raise its max_packet_size. Next attempt in "
                        "%.0f s%s", event.taken_over, self.client_id, OVERSIZE, event.backoff_s, hint)
            # (the drop is said above, with its own wait: not once more with paho's usual pace)
            self.link_report.down(f"connection to the broker lost ({event.reason})", steady_s(), attempt=False)
        elif event.connected_for_s is not None:
            self._report_down(f"connection to the broker lost ({event.reason}){self._oversize_hint(event)}",
                              attempt=False)
        else:
            reason = f"cannot connect to the broker: {event.reason}"
            if event.reason == ATTEMPT_FAILED and self.link_report.reason is not None:
                reason = self.link_report.reason  # paho's retries say no more than the reason already logged
            # (a broker that held the attempt unanswered: paho waited [mqtt] keepalive before its usual wait)
            self._report_down(reason, pace=retry_pace(self.link.settings.keepalive if event.unanswered else None))
