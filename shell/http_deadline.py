"""One HTTP(S) GET that takes at most its timeout in all. urllib's timeout is each socket operation's: a server (a
middlebox in trouble) that sends its status line and headers a byte every few seconds holds a GET for as long as they
last. Here a timer shuts the request's sockets down at the deadline, which ends any read under way."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class DeadlinePassed(TimeoutError):
    """The GET was cut at its deadline."""


class _Deadline:
    """The connections a GET opened (one per redirect), shut down together when the timer fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[http.client.HTTPConnection] = []
        self.passed = False

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
            with self._lock:
                self._connections.append(connection)
            return connection
        return make

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
    deadline = _Deadline()
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
            raise DeadlinePassed(f"no answer within {timeout_s:g} s") from None
        raise
    finally:
        timer.cancel()
    if deadline.passed:
        raise DeadlinePassed(f"no answer within {timeout_s:g} s")
