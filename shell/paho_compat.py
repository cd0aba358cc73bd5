"""One way to build a paho client and read its callbacks, for paho-mqtt 2.x (pip) and 1.6.1 (Debian 12 /
Raspberry Pi OS bookworm's python3-paho-mqtt). 2.x needs a callback API version and passes reason codes
and properties; 1.6 passes an int result code and fewer arguments. The wrappers below take either."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho import mqtt as paho_mqtt

PAHO2 = hasattr(mqtt, "CallbackAPIVersion")
LOOP_ERROR_PAUSE_S = 1.0


class Client(mqtt.Client):
    """paho's client, keeping why its last connection attempt failed (its background retries, loop_forever, drop
    the exception and call on_connect_fail without it), and its network thread alive whatever its loop raises."""

    last_attempt_error: OSError | None = None
    # (network thread) What paho's loop let out, the socket closed since: paho reconnects with its backoff. Called,
    # as on_disconnect is (see `socket_lost`), once a socket.
    on_loop_error: Callable[[mqtt.Client, Exception], None] | None = None
    # A socket opened (every connection attempt goes through reconnect(), the first one's too) and its loss not yet
    # told: paho calls on_disconnect twice for a link its keepalive found dead (its keepalive check, then its loop's),
    # and the second, the connection already counted, was said as an attempt the broker never answered, with a TLS
    # hint, by the daemon and the calibration tools alike.
    _socket_live = False

    def socket_lost(self) -> bool:
        """True the first time it is asked after a socket was opened, then False until another is."""
        live, self._socket_live = self._socket_live, False
        return live

    def _thread_main(self) -> None:
        # paho's own (loop_start's thread), kept alive: paho 1.6.1 lets any socket error but a ConnectionError out of
        # its loop (a TLS alert after the handshake: an expired client certificate at a reconnect; a TimeoutError),
        # and its thread died, the client deaf for good without a word. (Private in both versions, alike.)
        last_error_at: float | None = None
        try:
            while True:
                try:
                    self.loop_forever(retry_first_connection=True)
                    return  # disconnect() or loop_stop()
                except Exception as exc:
                    if self._thread_terminate:
                        return
                    lost = self.socket_lost()
                    self._sock_close()  # (the next pass of the loop finds no socket: reconnects after its wait)
                    if lost and self.on_loop_error is not None:
                        self.on_loop_error(self, exc)
                    if last_error_at is not None and time.monotonic() - last_error_at < LOOP_ERROR_PAUSE_S:
                        # (paho's loop waits its backoff before a new socket: never a busy loop of errors all the same)
                        time.sleep(LOOP_ERROR_PAUSE_S)
                    last_error_at = time.monotonic()
        finally:
            if PAHO2:
                self._thread = None  # as paho 2's own does: its loop_stop counts on it (1.6's clears it itself)

    def reconnect(self) -> Any:
        try:
            result = super().reconnect()
        except OSError as exc:  # ssl.SSLError and socket errors alike: what paho's retry loop catches
            self.last_attempt_error = exc
            raise
        self.last_attempt_error = None
        self._socket_live = True
        return result


def new_client(client_id: str = "", clean_session: bool = True) -> Client:
    """A client for MQTT 3.1.1 with the 2.x callback signatures where paho has them."""
    if PAHO2:
        return Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean_session)
    return Client(client_id=client_id, clean_session=clean_session)


def failure_text(code: Any) -> str | None:
    """None for a successful connect result, else its reason as text (a 2.x ReasonCode or a 1.6 int)."""
    if isinstance(code, int):  # paho 1.6: the CONNACK result code
        return None if code == 0 else mqtt.connack_string(code)
    return str(code) if getattr(code, "is_failure", False) else None


CONNECTION_CLOSED = "the broker or the network closed it"


def reason_text(code: Any) -> str:
    """A disconnect reason as text (1.6 passes an int: 0 is a requested disconnect). A socket that closed is said
    alike by both: paho 2's 'Unspecified error' (an MQTT 3.1.1 broker sends no reason) told a user nothing."""
    if isinstance(code, int):
        if code == mqtt.MQTT_ERR_CONN_LOST:
            return CONNECTION_CLOSED
        return "disconnected on request" if code == 0 else mqtt.error_string(code)
    return CONNECTION_CLOSED if str(code) == "Unspecified error" else str(code)


def on_connect(client: mqtt.Client, handler: Callable[[mqtt.Client, str | None], None]) -> None:
    """`handler(client, failure)`: failure is None when the broker accepted the connection."""
    def _called(c: mqtt.Client, userdata: object, flags: object, code: Any, *rest: object) -> None:
        handler(c, failure_text(code))
    client.on_connect = _called


def on_disconnect(client: mqtt.Client, handler: Callable[[mqtt.Client, str], None]) -> None:
    """`handler(client, reason)` after the link drops, once a socket (Client.socket_lost)."""
    def _called(c: mqtt.Client, userdata: object, *args: Any) -> None:
        if isinstance(c, Client) and not c.socket_lost():
            return  # (this socket's loss was told already)
        # 2.x: (flags, reason_code, properties); 1.6: (rc,)
        handler(c, reason_text(args[1] if len(args) >= 2 else args[0]))
    client.on_disconnect = _called


def on_subscribe(client: mqtt.Client, handler: Callable[[mqtt.Client, int, bool], None]) -> None:
    """`handler(client, mid, refused)` once the broker answered a subscription; `refused` when it refused one of its
    topics (MQTT 3.1.1's 0x80 in the SUBACK: a broker whose ACL checks subscriptions, mosquitto's dynamic security,
    EMQX; mosquitto's acl_file grants it and drops the messages)."""
    def _called(c: mqtt.Client, userdata: object, mid: int, granted: Any, *rest: object) -> None:
        handler(c, mid, any(_refused(code) for code in granted))
    client.on_subscribe = _called


def _refused(code: Any) -> bool:
    """One topic's answer in a SUBACK refuses it (1.6: the granted QoS, an int; 2.x: a ReasonCode)."""
    return code >= 0x80 if isinstance(code, int) else bool(getattr(code, "is_failure", False))


def acknowledged(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether the broker acknowledged a QoS 1 message. A message published while the link was down keeps the rc of
    that moment (MQTT_ERR_NO_CONN) after paho sent it at the next connection, and is_published() raises for it
    whatever came since (both versions): its flag is read as is_published() reads it (private in both, alike)."""
    try:
        return info.is_published()
    except (RuntimeError, ValueError):
        return bool(getattr(info, "_published", False))


# A QoS 1 message paho holds for the next connection, to send right after its CONNACK: published while it had none,
# or sent on a connection lost before the broker acknowledged it (paho resets those to be sent again, DUP). (Their
# names looked up at each drop: a paho without them, read at the import, and PySEB did not start at all.)
_KEPT_STATE_NAMES = ("mqtt_ms_publish", "mqtt_ms_queued")
_internals_said = False  # (the drop given up: said once a run)


def drop_kept(client: mqtt.Client, keep: Callable[[], bool] = lambda: False) -> list[str]:
    """The QoS 1 messages paho holds for the connection being made, dropped (its on_connect: paho sends them right
    after it, both versions); their topics, in order. None when `keep()`, asked once paho's queue is locked (a stop:
    its offs, handed to paho from then on, are not dropped). Those sent on this connection already are left (paho 2's
    own drop_out_messages drops them too: their acknowledgements then came for messages it no longer knew, each holding
    one of its in-flight places for good). (Private in both, alike: a paho whose internals differ drops nothing, and
    says so once; raised, it broke the connect's callback, and the daemon stopped at every connect.)"""
    dropped: list[str] = []
    try:
        states = tuple(getattr(mqtt, name) for name in _KEPT_STATE_NAMES)
        with client._out_message_mutex:
            if keep():
                return []
            held = client._out_messages
            for mid in [mid for mid, message in held.items() if message.state in states]:
                dropped.append(held.pop(mid).topic)
    except Exception as exc:  # noqa: BLE001 (whatever paho's internals became: the link must work on)
        _say_internals_changed(exc)
    return dropped


def _say_internals_changed(exc: Exception) -> None:
    global _internals_said
    if _internals_said:
        return
    _internals_said = True
    logging.getLogger("shell.mqtt_link").warning(
        "paho-mqtt %s is not as PySEB knows it (%s: %s): what it holds for a lost connection is not dropped at the "
        "reconnect, so a command made on a link dead but not yet known to be may be sent late, before the command in "
        "effect (a relay on for a moment); report it with paho's version", getattr(paho_mqtt, "__version__", "?"),
        type(exc).__name__, exc)
