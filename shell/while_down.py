"""What the daemon does with a message the regulator publishes while the broker link is down: it drops it, counted.
paho keeps every QoS 1 message published while it has no connection, by default without a bound, and sends them all,
in order, right after the next CONNACK: a night's backlog replayed in a moment (the fallback's force of the heater on
then off, a timed force's end, a Domoticz switch flipped on then off, the daily report twice), memory growing for as
long as the outage lasts. Nothing the broker needs is lost by the drop: at the reconnect the daemon sends each load's
command in effect and the last daily report again (Regulator.resend_commands, republish_report), Domoticz is asked
what its switches show and shown the loads' states, Home Assistant gets its discovery and state, and the status
(QoS 0, never queued) goes out (Regulator.on_connected). What paho took before the main loop knew (a link dead but not
yet known to be, the moments before the loop takes the drop) is dropped at the connect (MqttLink._on_connect), and
said with the rest (`kept_dropped`). No paho here: plain state, kept by the main loop."""

from __future__ import annotations

NAMED_TOPICS = 4  # the topics the reconnect's line names at most (a few loads' commands, domoticz/in, the report)


def kept_dropped(topics: tuple[str, ...]) -> str:
    """The messages paho held for the connection, dropped at its connect (one topic a message), as the reconnect's line
    says them ('' for none): those of a link dead but not yet known to be, which paho took and never delivered."""
    if not topics:
        return ""
    named = list(dict.fromkeys(topics))  # (each once, in order)
    return _dropped_line(len(topics), "paho held unacknowledged on the lost connection dropped, not sent late",
                         named[:NAMED_TOPICS], len(named) > NAMED_TOPICS)


def _dropped_line(count: int, how: str, topics: list[str], more: bool) -> str:
    """The reconnect's words for `count` messages dropped `how`, on `topics` (`more`: others past them)."""
    return (f"; {count} message{'s' if count != 1 else ''} {how} (on {', '.join(topics)}{', ...' if more else ''}): "
            "what is in effect replaces them")


class WhileDown:
    """Whether the main loop knows the link is down (it took a Disconnected event, or paho took a message for the
    reconnect), from then until it takes the next Connected event; what it dropped meanwhile."""

    def __init__(self) -> None:
        self.down = False
        self._stopping = False  # the stop's offs go to paho whatever the link (see `stopping`)
        self.dropped = 0
        self._topics: list[str] = []
        self._more = False  # a topic past the NAMED_TOPICS first

    def went_down(self) -> None:
        """The link dropped (or paho said it has no connection: it keeps that message, not the next ones)."""
        self.down = not self._stopping

    def drops(self, topic: str) -> bool:
        """True when a message on `topic` must not be handed to paho (the link down): counted."""
        if not self.down:  # (the usual case: every publish)
            return False
        self.dropped += 1
        if topic not in self._topics:
            if len(self._topics) < NAMED_TOPICS:
                self._topics.append(topic)
            else:
                self._more = True
        return True

    def stopping(self) -> None:
        """The daemon stops: every message goes to paho from now on, the link up or down (each load's off handed to
        it; the stop says which were not delivered). Back on at the stop, the first off paho kept for a reconnect
        turned the drop on again, and the next loads' offs were dropped, not handed over: lost had paho reconnected
        within the stop's wait."""
        self._stopping = True
        self.back()

    def back(self) -> str:
        """The link is up (a Connected event), or the stop hands its offs to paho whatever the link: messages go to
        paho again. What was dropped, as the reconnect's line says it ('' for nothing)."""
        dropped, topics, more = self.dropped, self._topics, self._more
        self.down, self.dropped, self._topics, self._more = False, 0, [], False
        if not dropped:
            return ""
        return _dropped_line(dropped, "made while the broker was unreachable dropped, not queued", topics, more)
