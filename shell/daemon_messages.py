"""What the daemon's main loop does with an MQTT message before the regulator handles it: a retained one that is
old news ignored (a meter's boot message, a reading or a command, Domoticz's last updates), dated by its age on the
steady clock (a step of the wall clock while it waited moves it with the clock), a reading that waited too long in the
queue dropped. Apart from the loop (shell/daemon.py) because it is one job, the message's time and standing, and the
link's other events are in shell/daemon_link.py.

A mixin of `shell.daemon.Daemon` (its `_loop` calls `_on_message`), acting on the daemon's state (declared below,
set by `Daemon.__init__`)."""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Callable

from core.regulator import Regulator
from shell.clock_watch import steady_s
from shell.link_events import Message
from values.boots import is_boot_message
from values.readings import EVIDENCE_SLACK_S

# The daemon's own lines, moved here with the code that writes them: the logger name is part of what the log shows
# (and of the flood limiter's kinds), so it stays what it was.
log = logging.getLogger("shell.daemon")

# A message that waited longer than this in the queue: the main loop was held up (a log file on a stuck SD
# card), and its timers have run since, at a later time. A meter reading that old is dropped: deciding on it
# would act on the surplus of minutes ago. Anything else is handled as received now: the core would take its
# stamp for a clock stepped back, and count the hold-up's energy a second time from it.
QUEUED_TOO_LONG_S = 10.0


class DaemonMessages:
    """The MQTT messages, as the main loop meets them: the part of `Daemon` that hands them to the regulator."""

    # The daemon's state these use (set by Daemon.__init__), and the main loop's part they call.
    reg: Regulator
    _readings: set[str]  # the meters' topics
    _live_only: set[str]  # the topics no retained message is taken from
    _live_only_trees: tuple[str, ...]  # ...and the trees of them (a topic filter's root, its `/#` cut)
    _offer_snapshot: Callable[..., None]

    def _on_message(self, event: Message) -> None:
        if event.retained and event.topic in self._readings and is_boot_message(event.payload):
            # (a meter's own start-up message, which its firmware may publish retained: no reading of anyone's sent
            # retained, as the warning below would say)
            log.info("ignoring a retained boot message on %s: sent when the meter started, before PySEB connected, and "
                     "kept by the broker: not a boot now, nor a reading", event.topic, extra={"limit_key": event.topic})
            return
        if event.retained and event.topic in self._live_only:
            # A retained reading is old news (it may be hours old): deciding on it could switch loads on.
            # (said again at every start and reconnect while it stays on the broker: how to remove it, too)
            log.warning("ignoring a retained message on %s (readings and commands must not be retained: send them "
                        "without retain; clear it on the broker: mosquitto_pub -r -n -t %s)",
                        event.topic, shlex.quote(event.topic), extra={"limit_key": event.topic})
            return
        if event.retained and self._in_live_only_tree(event.topic):
            # (Domoticz retains every device's last update by a choice of its own: one line for each at every
            # connect would be noise)
            log.debug("ignoring a retained message on %s (an old update)", event.topic)
            return
        # Its age on the steady clock, its time on the wall clock as it reads now: a step of the wall clock while it
        # waited in the queue (NTP setting a Pi's clock an hour forward, or correcting it 2 s back) moves it with the
        # clock. (Stamped on the wall clock, one queued across a jump forward was dropped as "an hour in the queue",
        # and one across a step back was dated in the future; taken as received now, a reading 0.25 s older than
        # that was decided on as the evidence 3 s after a command where it came 2.75 s after it.)
        now, steady_now = time.time(), steady_s()
        waited_s = max(0.0, steady_now - event.steady_at)
        received_at = now - waited_s
        dated_steady = event.steady_at
        if waited_s > QUEUED_TOO_LONG_S:
            if event.topic in self._readings:
                log.warning("dropping a reading on %s that waited %.0f s in the queue (the main loop was held up): "
                            "old news", event.topic, waited_s, extra={"limit_key": "late reading"})
                return
            received_at, dated_steady = now, steady_now
        try:
            if event.retained:  # (a meter's boot message the broker kept is no boot now: MeterIntake.boot)
                self.reg.handle(event.topic, event.payload, received_at, retained=True)
            else:
                self.reg.handle(event.topic, event.payload, received_at)
        except Exception:  # a bug on one message must not stop the regulation: logged and dropped
            log.exception("internal error on a message on %s; message dropped", event.topic)
            return
        late_s = steady_s() - dated_steady
        if late_s > EVIDENCE_SLACK_S:
            # A decision (or a force, a timer's command, a variator's command sent again) taken on a message that
            # waited: the regulator stamped its commands with the message's date, and they went now. A house reading
            # received before they went, dated after that date by the settle, would be taken for their evidence (the
            # loop held up 4 s, the same kilowatt added twice): the core is told when they went. (Dating such readings
            # with the message instead would make a meter's last reading seconds older than it was: a live meter cut as
            # silent, a step back of the clock.) Each of the core's parts picks its own commands of that date: a resend
            # keeps its command's time, which no test of the loads' last commands here would find.
            self.reg.commands_sent_late(received_at, late_s)
        self._offer_snapshot()

    def _in_live_only_tree(self, topic: str) -> bool:
        return any(topic == root or topic.startswith(root + "/") for root in self._live_only_trees)
