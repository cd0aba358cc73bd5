"""One HTTP(S) GET that takes at most its timeout in all. urllib's timeout is each socket operation's: a server (a
middlebox in trouble) that sends its status line and headers a byte every few seconds holds a GET for as long as they
last. Here a timer shuts the request's sockets down at the deadline, which ends any read under way; and the name
lookup, which comes before there is a socket to cut (getaddrinfo takes no timeout: a resolver that does not answer
held the GET, and the fetch thread's next try, for as long), is waited for until the deadline only, on a thread of its
own left behind past it (one per name in flight: the next try waits on the same). A lookup that has not returned after
LOOKUP_GIVEN_UP_S is stuck (a resolver that never answers): the next try starts a fresh one, its thread left behind,
MAX_STUCK_LOOKUPS of them at most (then the tries wait on the last one again, said in the log)."""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

# A lookup that has not returned after this is stuck: getaddrinfo's own retries (glibc: 5 s a server, 2 attempts, 3
# servers) end well within it, and it is over the longest timeout_s (120 s). Waited on for ever, one that never returned
# failed every later try of its name until a restart: the forecast lost for good after a resolver's hiccup.
LOOKUP_GIVEN_UP_S = 300.0
# The stuck lookups' threads left behind, at most (all names): each holds a thread (and its stack) until getaddrinfo
# returns, which may be never. Past it, a try waits on the name's last lookup again, as before a fresh one was allowed.
MAX_STUCK_LOOKUPS = 3


class DeadlinePassed(TimeoutError):
    """The GET was cut at its deadline."""


class _Lookup:
    """One name's lookup on a thread of its own; `done` set when getaddrinfo returned."""

    def __init__(self, host: str, port: int) -> None:
        self.done = threading.Event()
        self.started = time.monotonic()
        self.cap_said = False  # (the cap on stuck lookups said once for this one, not at every try)
        self.addresses: list[str] = []
        self.error: OSError | UnicodeError | None = None
        self._key = (host, port)
        threading.Thread(target=self._run, name="http-name-lookup", daemon=True).start()

    def _run(self) -> None:
        try:
            infos = socket.getaddrinfo(*self._key, 0, socket.SOCK_STREAM)
            self.addresses = list(dict.fromkeys(_connectable(info[4]) for info in infos))
        except (OSError, UnicodeError) as exc:  # (UnicodeError: a label over 63 characters, IDNA refusing it)
            self.error = exc
        finally:
            with _LOOKUPS_LOCK:
                if _LOOKUPS.get(self._key) is self:
                    del _LOOKUPS[self._key]
                _STUCK.discard(self)
            self.done.set()


def _connectable(sockaddr: tuple[Any, ...]) -> str:
    """An address getaddrinfo gave, as create_connection takes it again: a link-local IPv6 one with its scope id
    (fe80::1%2), without which its connect fails."""
    scope_id = sockaddr[3] if len(sockaddr) >= 4 else 0
    return f"{sockaddr[0]}%{scope_id}" if scope_id else str(sockaddr[0])


_LOOKUPS: dict[tuple[str, int], _Lookup] = {}  # the lookups under way, by name and port
_STUCK: set[_Lookup] = set()  # the lookups given up, their threads still in getaddrinfo
_LOOKUPS_LOCK = threading.Lock()


def _addresses_of(host: str, port: int, wait_s: float) -> list[str] | None:
    """`host`'s addresses (itself when it is one); None when its lookup takes longer than `wait_s`."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    with _LOOKUPS_LOCK:
        lookup, said = _LOOKUPS.get((host, port)), None
        if lookup is not None and time.monotonic() - lookup.started > LOOKUP_GIVEN_UP_S:
            set_aside, said = _given_up(lookup, host)
            lookup = None if set_aside else lookup
        if lookup is None:
            lookup = _LOOKUPS[(host, port)] = _Lookup(host, port)
    if said is not None:
        log.warning(said)
    if not lookup.done.wait(max(0.0, wait_s)):
        return None
    if lookup.error is not None:
        raise lookup.error
    if not lookup.addresses:
        raise OSError(f"no address for {host}")
    return lookup.addresses


def _given_up(lookup: _Lookup, host: str) -> tuple[bool, str | None]:
    """`lookup`, stuck, set aside for a fresh one (under _LOOKUPS_LOCK) unless MAX_STUCK_LOOKUPS are already: whether
    it was, and what to log (said once for a lookup kept, the cap reached), None for nothing."""
    age_s = time.monotonic() - lookup.started
    if len(_STUCK) >= MAX_STUCK_LOOKUPS:
        if lookup.cap_said:
            return False, None
        lookup.cap_said = True
        return False, (f"the name lookup of {host} has not returned for {age_s:.0f} s, nor have {len(_STUCK)} "
                       "before it (the most left behind): no new one is started, each try waits on it (check the "
                       "resolver, /etc/resolv.conf; a restart of PySEB ends them)")
    _STUCK.add(lookup)
    del _LOOKUPS[lookup._key]
    return True, (f"the name lookup of {host} has not returned for {age_s:.0f} s: given up, a fresh one started "
                  f"(its thread left behind: {len(_STUCK)} of {MAX_STUCK_LOOKUPS} at most)")


class _Deadline:
    """The connections a GET opened (one per redirect), shut down together when the timer fires."""

    def __init__(self, ends_at: float) -> None:
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []
        self.passed = False
        self.ends_at = ends_at  # (time.monotonic())
        self.why = ""  # what the deadline cut, when it is not an answer's wait

    def track(self, http_class: Callable[..., http.client.HTTPConnection]) -> Callable[..., http.client.HTTPConnection]:
        def make(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            connection = http_class(*args, **kwargs)
            connect = connection.connect

            def connect_in_time() -> None:
                connect()
                with self._lock:  # (the timer fired while connecting: it found no socket to cut)
                    if self.passed:
                        raise DeadlinePassed("the deadline passed while connecting")
            connection.connect = connect_in_time  # type: ignore[method-assign]
            connection._create_connection = self._looked_up_in_time(connection._create_connection)  # type: ignore[attr-defined]
            with self._lock:
                self._connections.append(connection)
            return connection
        return make

    def _looked_up_in_time(self, create: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
        """http.client's socket.create_connection, its name looked up within the deadline, each address tried in turn
        as create_connection does, with what is left of the deadline: given the whole timeout each, addresses that
        do not answer (a dual-stack board whose IPv6 route goes nowhere) made a try last as many timeouts."""
        def create_in_time(address: tuple[str, int], timeout: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
            host, port = address
            addresses = _addresses_of(host, port, self.ends_at - time.monotonic())
            if addresses is None:
                raise self._passed(f"the name lookup of {host} took longer")
            failed: OSError | None = None
            for ip in addresses:
                left_s = self.ends_at - time.monotonic()
                if left_s <= 0.0:
                    break
                try:
                    return create((ip, port), min(timeout, left_s) if isinstance(timeout, (int, float)) else left_s,
                                  *args, **kwargs)
                except DeadlinePassed:
                    raise
                except OSError as exc:
                    failed = exc
            if failed is None or self.ends_at - time.monotonic() <= 0.0:
                raise self._passed(f"connecting to {host} took longer")
            raise failed
        return create_in_time

    def _passed(self, why: str) -> DeadlinePassed:
        with self._lock:
            self.passed, self.why = True, why
        return DeadlinePassed(why)

    def fire(self) -> None:
        with self._lock:
            self.passed = True
            for connection in self._connections:
                sock = connection.sock  # (None once closed: nothing to cut; a closed socket refuses shutdown)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class: Any, req: Any, **http_conn_args: Any) -> Any:
        return super().do_open(self._deadline.track(http_class), req, **http_conn_args)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._deadline = deadline

    def do_open(self, http_class: Any, req: Any, **http_conn_args: Any) -> Any:
        return super().do_open(self._deadline.track(http_class), req, **http_conn_args)


@contextmanager
def opener_within(timeout_s: float, direct: bool) -> Iterator[urllib.request.OpenerDirector]:
    """An opener (TLS verified; the environment's proxy unless `direct`) whose GETs, and the reads of their answers
    inside the `with`, end at `timeout_s` from its start: DeadlinePassed is raised at the `with`'s end if the
    deadline cut them (whatever the cut read raised instead, EOF included)."""
    deadline = _Deadline(time.monotonic() + timeout_s)
    handlers: list[urllib.request.BaseHandler] = [_HttpHandler(deadline),
                                                  _HttpsHandler(deadline, ssl.create_default_context())]
    if direct:
        handlers.append(urllib.request.ProxyHandler({}))
    timer = threading.Timer(timeout_s, deadline.fire)
    timer.daemon = True
    timer.start()
    try:
        yield urllib.request.build_opener(*handlers)
    except Exception:
        if deadline.passed:
            raise DeadlinePassed(_cut(timeout_s, deadline.why)) from None
        raise
    finally:
        timer.cancel()
    if deadline.passed:
        raise DeadlinePassed(_cut(timeout_s, deadline.why))


def _cut(timeout_s: float, why: str) -> str:
    return f"no answer within {timeout_s:g} s" + (f" ({why})" if why else "")
