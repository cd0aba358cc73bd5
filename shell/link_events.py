"""What the MQTT link hands the main loop through the event queue (paho's network thread puts, the loop takes): a
connection, a message, a retained leftover on a command topic, a drop or a failed attempt, a refusal, a fault of
one of the link's callbacks. Values only: the link (shell/mqtt_link.py) makes them, the daemon reads them."""

from __future__ import annotations

from dataclasses import dataclass

from values.readings import MAX_PAYLOAD_BYTES

# What a Leftover keeps of its payload: what the daemon does with one needs its first bytes only (a relay's on or
# off payload to compare it with, its start quoted in the log), and it waits for the main loop outside the queue's
# bounds, once a command topic at every connect, where a retained payload may be as big as the broker passes
# (mosquitto: 256 MB). As much as any handler takes of a message.
LEFTOVER_KEPT_BYTES = MAX_PAYLOAD_BYTES


@dataclass(frozen=True, slots=True)
class Connected:
    """The link is (re)connected and subscribed; `online_refused`: paho's full queue refused its `online` (MqttLink
    sends it at the main loop's ticks, send_owed); `dropped`: the topics of the messages paho held for this connection,
    one a message, dropped, not sent late (MqttLink._on_connect)."""

    at: float
    first: bool
    online_refused: bool = False
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """One MQTT message, with the time it was received on the steady clock (shell.clock_watch.steady_s): the main
    loop dates it on the wall clock as it handles it (its age then: a step of the wall clock while it waited in the
    queue moves it with the clock, exactly)."""

    topic: str
    payload: bytes
    steady_at: float
    retained: bool = False


@dataclass(frozen=True, slots=True)
class Leftover:
    """A retained message found, at a (re)connect, on a topic PySEB publishes its commands to not retained:
    someone else's (the seed published its commands retained), taken as an order by every device or Domoticz
    at each of their reconnects. Its payload's first LEFTOVER_KEPT_BYTES only (a relay's payload in a config is
    never so long: one cut is no relay command of ours), and its whole size."""

    topic: str
    payload: bytes
    at: float
    size: int  # the whole payload's bytes


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link dropped, or an attempt failed (paho reconnects by itself, with backoff)."""

    at: float
    reason: str
    connected_for_s: float | None = None  # how long the connection had lasted; None: it never came up
    taken_over: int = 0  # connections in a row dropped within seconds: another client with our client id?
    backoff_s: float | None = None  # the wait before the next attempt, when it was lengthened for that
    # The broker took the connection and held it without answering PySEB's CONNECT (AnswerWatch.wait_s or longer):
    # paho waited for an answer up to [mqtt] keepalive before this retry's wait began.
    unanswered: bool = False


@dataclass(frozen=True, slots=True)
class Refused:
    """The broker answered the connection with a refusal (bad credentials, not authorised, ...)."""

    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class SubscriptionRefused:
    """The broker refused one of PySEB's subscriptions (its ACL): nothing published on `topic` reaches PySEB.
    `echo`: one PySEB made only to read back its own messages (EchoWatch, a retained leftover), not to be told."""

    at: float
    topic: str
    echo: bool


@dataclass(frozen=True, slots=True)
class LinkFault:
    """One of our paho callbacks raised: logged by the main loop; `fatal` when the link cannot work on."""

    at: float
    callback: str
    trace: str
    fatal: bool


Event = Connected | Message | Leftover | Disconnected | Refused | SubscriptionRefused | LinkFault


ATTEMPT_FAILED = "connection attempt failed"  # paho's background retry failed, its reason unknown
